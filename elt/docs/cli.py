"""`elt docs ...` commands: thin wrappers over elt.docs (imports stay inside the commands)."""

from __future__ import annotations

from pathlib import Path

import click

from elt.cli_options import _common, _handle_errors, _invocation, _selection


@click.group()
def docs() -> None:
    """Documentation: the model graph."""


@docs.command(name="graph")
@_common
@_selection
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid",
              help="mermaid (pastes into GitHub/GitLab markdown), dot (Graphviz) or json.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@_handle_errors
def docs_graph(project_dir, profiles_dir, target, vars_, debug, select, exclude, fmt, output) -> int:  # noqa: ANN001
    """Print the model DAG, grouped by layer (schema)."""
    from elt.console import Console
    from elt.docs.graph import render_graph
    from elt.tasks import compile_manifest
    from elt.tasks import select as select_nodes

    inv = _invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    manifest = compile_manifest(inv, console)
    text = render_graph(manifest, select_nodes(manifest, inv, console, {"model", "seed", "source"}), fmt)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0
