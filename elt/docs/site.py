"""`elt docs generate`: write the static docs site (and the lineage artefact) to a folder.

The site is four files, viewable from `file://` with no network: `index.html` (with the DAG drawn as
inline SVG), `style.css`, `app.js` (plain JavaScript from `elt/docs/assets/`) and `data.js` (the project
as `window.ELT_DOCS`; a script rather than JSON because browsers refuse `fetch()` on `file://`).
`lineage.json` holds the column lineage for other tools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from elt.compile.compiler import Manifest
from elt.docs.last_run import last_run
from elt.docs.lineage import Lineage, compute_lineage
from elt.docs.site_data import build_site_data, doc_graph
from elt.docs.svg import render_dag_svg
from elt.errors import ProjectError
from elt.report.sorting import natural_key
from elt.secrets import masker

ASSETS = Path(__file__).parent / "assets"
SITE_FILES = ("index.html", "style.css", "app.js", "data.js", "lineage.json")


@dataclass(frozen=True)
class SiteSummary:
    """What `generate_site` wrote."""

    directory: Path
    nodes: int
    columns: int
    unresolved_columns: int
    unresolved_nodes: int


def _script_json(data: Any) -> str:
    # ASCII-only, and no `</` that could end a <script> if the file is ever inlined.
    return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def _asset(name: str) -> str:
    try:
        return (ASSETS / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"elt is installed without its docs assets ({ASSETS / name} is missing)",
                           hint="reinstall elt; a packaged elt must ship elt/docs/assets/*") from None


def render_index(manifest: Manifest, svg: str) -> str:
    """index.html: the page skeleton with the DAG inline."""
    title = escape(manifest.project.config.name)
    return _asset("index.html").replace("{{TITLE}}", title).replace("{{SVG}}", svg)


def generate_site(manifest: Manifest, directory: Path, lineage: Lineage | None = None) -> SiteSummary:
    """Write the docs site for `manifest` into `directory` (created if needed).

    Raises:
        ProjectError: the folder cannot be written.
    """
    lineage = lineage or compute_lineage(manifest)
    data = build_site_data(manifest, lineage, last_run(manifest))
    graph = doc_graph(manifest)
    svg = render_dag_svg(graph, manifest.nodes, {uid: data["nodes"][uid]["layer"] for uid in graph.nodes},
                         [layer["name"] for layer in data["layers"]], natural_key)
    files = {
        "index.html": render_index(manifest, svg),
        "style.css": _asset("style.css"),
        "app.js": _asset("app.js"),
        "data.js": f"window.ELT_DOCS = {_script_json(data)};\n",
        "lineage.json": json.dumps(lineage.to_json(), indent=2, sort_keys=True) + "\n",
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        mask_text = masker()  # the SQL shown names relations: a schema may be set from a secret
        for name, text in files.items():
            (directory / name).write_text(mask_text(text), encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot write the docs site: {exc.strerror or exc}", path=directory) from None
    columns = [c for n in data["nodes"].values() for c in n["columns"]]
    return SiteSummary(
        directory=directory, nodes=len(data["nodes"]), columns=len(columns),
        unresolved_columns=sum(1 for c in columns if c["unresolved"] and not c["documented_only"]),
        unresolved_nodes=sum(1 for n in data["nodes"].values() if n["columns_unresolved"]),
    )
