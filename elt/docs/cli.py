"""`elt docs ...` commands: thin wrappers over elt.docs (imports stay inside the commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from elt.cli.options import common_options, handle_errors, make_invocation, selection_options
from elt.secrets import mask


@click.group()
def docs() -> None:
    """Documentation: the model graph, column lineage and a static docs site."""


@docs.command(name="graph")
@common_options
@selection_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid",
              help="mermaid (pastes into GitHub/GitLab markdown), dot (Graphviz) or json.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@click.option("--columns", is_flag=True, default=False,
              help="Draw each node's columns and the column-level lineage edges.")
@handle_errors
def docs_graph(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None, debug: bool,
               select: tuple[str, ...], exclude: tuple[str, ...], fmt: Literal["mermaid", "dot", "json"],
               output: Path | None, columns: bool) -> int:
    """Print the model DAG, grouped by layer (schema)."""
    from elt.cli.invocation import compile_manifest
    from elt.cli.invocation import select as select_nodes
    from elt.docs.graph import render_graph
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    manifest = compile_manifest(inv, console, live=True)
    selected = select_nodes(manifest, inv, console, {"model", "seed", "snapshot", "source"})
    if columns:
        from elt.docs.column_graph import render_column_graph
        from elt.docs.lineage import compute_lineage

        text = render_column_graph(manifest, selected, fmt, compute_lineage(manifest, selected))
    else:
        text = render_graph(manifest, selected, fmt)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(mask(text), encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0


@docs.command(name="lineage")
@common_options
@click.argument("target_spec", metavar="MODEL[.COLUMN]")
@click.option("--downstream", is_flag=True, default=False,
              help="Show the columns that read it, instead of the columns it derives from.")
@handle_errors
def docs_lineage(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None,
                 debug: bool, target_spec: str, downstream: bool) -> int:
    """Print a column's lineage as a tree, down to seeds and sources (every column without .COLUMN).

    MODEL may be a model, a seed, or a source as source_name.table. Marks: `=` a copy of one upstream
    column, `ƒ` a derived column; with --downstream, `~` a model reading it only in WHERE / JOIN /
    GROUP BY / HAVING. A legend of the marks ends the output.
    """
    from elt.cli.invocation import compile_manifest
    from elt.docs.lineage import compute_lineage
    from elt.docs.lineage_tree import check_column, render_tree, resolve_target
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    manifest = compile_manifest(inv, Console(), live=True)
    wanted = resolve_target(manifest, target_spec)
    scope = None if downstream else [wanted.unique_id]
    lineage = compute_lineage(manifest, scope)
    click.echo(render_tree(manifest, lineage, check_column(manifest, lineage, wanted), downstream=downstream),
               nl=False)
    return 0


def _docs_dir(project_dir: Path | None, vars_: str | None, output_dir: Path | None) -> Path:
    if output_dir is not None:
        return output_dir
    from elt.cli.invocation import parse_vars
    from elt.project.config import load_project_config

    return load_project_config((project_dir or Path.cwd()).resolve(), parse_vars(vars_)).target_dir / "docs"


@docs.command(name="generate")
@common_options
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the site to (default: <target-path>/docs).")
@handle_errors
def docs_generate(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None,
                  debug: bool, output_dir: Path | None) -> int:
    """Write the static docs site: models by layer, columns, SQL, the DAG and column lineage.

    The site works offline, opened from the file system (index.html) or with `elt docs serve`.
    """
    from elt.cli.invocation import compile_manifest
    from elt.docs.site import generate_site
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    console = Console()
    manifest = compile_manifest(inv, console, live=True)
    from elt.docs.lineage import compute_lineage
    from elt.report.artifacts import write_manifest

    directory = output_dir or manifest.project.config.target_dir / "docs"
    lineage = compute_lineage(manifest)
    summary = generate_site(manifest, directory, lineage)
    write_manifest(manifest, column_lineage=lineage.to_json()["nodes"])
    if summary.unresolved_columns or summary.unresolved_nodes:
        console.warning(f"lineage unresolved for {summary.unresolved_columns} column(s) and the column list of "
                        f"{summary.unresolved_nodes} node(s); the site says why for each")
    click.echo(f"Wrote the docs site for {summary.nodes} node(s), {summary.columns} column(s) to "
               f"{directory / 'index.html'}")
    return 0


@docs.command(name="serve")
@common_options
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8080, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the generated site (default: <target-path>/docs).")
@handle_errors
def docs_serve(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None,
               debug: bool, port: int, output_dir: Path | None) -> int:
    """Serve the generated docs site on http://127.0.0.1:PORT/ until Ctrl-C."""
    from elt.docs.serve import make_server, serve_until_stopped, url_of

    server = make_server(_docs_dir(project_dir, vars_, output_dir), port)
    click.echo(f"Serving the docs on {url_of(server)} (Ctrl-C to stop)")
    serve_until_stopped(server)
    click.echo("Stopped.")
    return 0
