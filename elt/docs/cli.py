"""`elt docs ...` commands: thin wrappers over elt.docs (imports stay inside the commands)."""

from __future__ import annotations

from pathlib import Path

import click

from elt.cli_options import _common, _handle_errors, _invocation, _selection


@click.group()
def docs() -> None:
    """Documentation: the model graph and column lineage."""


@docs.command(name="graph")
@_common
@_selection
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid",
              help="mermaid (pastes into GitHub/GitLab markdown), dot (Graphviz) or json.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@click.option("--columns", is_flag=True, default=False,
              help="Draw each node's columns and the column-level lineage edges.")
@_handle_errors
def docs_graph(project_dir, profiles_dir, target, vars_, debug, select, exclude, fmt, output, columns) -> int:  # noqa: ANN001
    """Print the model DAG, grouped by layer (schema)."""
    from elt.console import Console
    from elt.docs.graph import render_graph
    from elt.tasks import compile_manifest
    from elt.tasks import select as select_nodes

    inv = _invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    manifest = compile_manifest(inv, console)
    selected = select_nodes(manifest, inv, console, {"model", "seed", "source"})
    if columns:
        from elt.docs.column_graph import render_column_graph
        from elt.docs.lineage import compute_lineage

        text = render_column_graph(manifest, selected, fmt, compute_lineage(manifest, selected))
    else:
        text = render_graph(manifest, selected, fmt)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0


@docs.command(name="lineage")
@_common
@click.argument("target_spec", metavar="MODEL[.COLUMN]")
@click.option("--downstream", is_flag=True, default=False,
              help="Show the columns that read it, instead of the columns it derives from.")
@_handle_errors
def docs_lineage(project_dir, profiles_dir, target, vars_, debug, target_spec, downstream) -> int:  # noqa: ANN001
    """Print a column's lineage as a tree, down to seeds and sources (every column without .COLUMN).

    MODEL may be a model, a seed, or a source as source_name.table.
    """
    from elt.console import Console
    from elt.docs.lineage import compute_lineage
    from elt.docs.lineage_tree import check_column, render_tree, resolve_target
    from elt.tasks import compile_manifest

    inv = _invocation(project_dir, profiles_dir, target, vars_, debug)
    manifest = compile_manifest(inv, Console())
    wanted = resolve_target(manifest, target_spec)
    scope = None if downstream else [wanted.unique_id]
    lineage = compute_lineage(manifest, scope)
    click.echo(render_tree(manifest, lineage, check_column(manifest, lineage, wanted), downstream=downstream),
               nl=False)
    return 0

