"""What the docs site shows, as one JSON-able dict: nodes, layers, SQL, columns, tests and lineage.

The site's script reads it from `data.js`; nothing here knows about HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from elt import __version__
from elt.compile.compiler import Manifest
from elt.compile.graph import Graph
from elt.docs.graph import DOC_TYPES, EPHEMERAL_LAYER, display_name, layer_of
from elt.docs.lineage import ColumnLineage, Lineage, NodeLineage
from elt.docs.svg import layer_colours, node_caption
from elt.nodes import Node
from elt.project.docs_blocks import OVERVIEW
from elt.report.sorting import natural_key

#: The usual medallion layers, in the order data flows through them (a tie-break between layers that
#: first appear at the same depth).
PIPELINE = ("raw", "landing", "bronze", "staging", "silver", "intermediate", "gold", "marts", "mart")


def layer_order(graph: Graph, layers: Mapping[str, str]) -> list[str]:
    """The layers in pipeline order: by the first generation of the DAG holding one of their nodes, then
    by the usual medallion order (raw, bronze, silver, gold), then by name."""
    first: dict[str, int] = {}
    for index, generation in enumerate(graph.generations()):
        for uid in generation:
            first.setdefault(layers[uid], index)

    def key(layer: str) -> tuple[int, int, tuple[tuple[tuple[int, int | str], ...], str]]:
        # ephemeral models are inlined into what reads them: before a layer that starts with them
        rank = PIPELINE.index(layer) if layer in PIPELINE else -1 if layer == EPHEMERAL_LAYER else len(PIPELINE)
        return first[layer], rank, natural_key(layer)

    return sorted(first, key=key)


def doc_graph(manifest: Manifest) -> Graph:
    """The DAG of what the site documents: models, seeds and sources (not tests)."""
    return manifest.graph.subgraph(uid for uid, n in manifest.nodes.items() if n.resource_type in DOC_TYPES)


def _tests(manifest: Manifest) -> dict[tuple[str, str | None], list[str]]:
    """(node, column or None) -> names of the data tests declared on it in yml."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for spec in getattr(manifest.project, "test_specs", []):
        column = spec.column_name.lower() if spec.column_name else None
        found.setdefault((spec.attached_to, column), []).append(spec.test_name)
    return {key: sorted(names) for key, names in found.items()}


def _column(column: ColumnLineage, tests: list[str], *, documented_only: bool = False) -> dict[str, Any]:
    return {**column.to_json(), "tests": tests, "documented_only": documented_only}


def _columns(node: Node, node_lineage: NodeLineage | None,
             tests: dict[tuple[str, str | None], list[str]]) -> list[dict[str, Any]]:
    columns = list(node_lineage.columns.values()) if node_lineage else []
    records = [_column(c, tests.get((node.unique_id, c.name.lower()), [])) for c in columns]
    known = {c.name.lower() for c in columns}
    complete = node_lineage is not None and node_lineage.complete
    for name, doc in node.columns.items():
        if name.lower() in known:
            continue
        reason = ("documented in yml, but the query does not produce it" if complete
                  else "documented in yml; its origin is unknown")
        records.append(_column(ColumnLineage(name, doc.data_type, doc.description, unresolved=[reason]),
                               tests.get((node.unique_id, name.lower()), []), documented_only=True))
    return records


def _by_name(uids: Iterable[str], manifest: Manifest) -> list[str]:
    return sorted(uids, key=lambda uid: (natural_key(display_name(manifest.nodes[uid])), uid))


def _node_record(manifest: Manifest, graph: Graph, node: Node, lineage: Lineage,
                 tests: dict[tuple[str, str | None], list[str]], run: dict[str, Any]) -> dict[str, Any]:
    node_lineage = lineage.nodes.get(node.unique_id)
    layer = layer_of(node)
    _, caption = node_caption(node, layer)
    return {
        "unique_id": node.unique_id,
        "name": display_name(node),
        "caption": caption,
        "resource_type": node.resource_type,
        "materialized": node.materialized,
        "layer": layer,
        "relation": str(node.relation) if node.relation else None,
        "path": node.path,
        "description": node.description,
        "tags": list(node.tags),
        "fqn": list(node.fqn or (node.name,)),
        "source_name": node.source_name,
        "raw_sql": node.raw_sql if node.resource_type in ("model", "snapshot") else None,
        "compiled_sql": manifest.compiled_sql.get(node.unique_id),
        "parents": _by_name(graph.parents(node.unique_id), manifest),
        "children": _by_name(graph.children(node.unique_id), manifest),
        "columns": _columns(node, node_lineage, tests),
        "columns_unresolved": node_lineage.unresolved if node_lineage else "not analysed",
        "filters": [{**ref.to_json(), "clauses": clauses}
                    for ref, clauses in sorted((node_lineage.filter_only() if node_lineage else {}).items())],
        "tests": tests.get((node.unique_id, None), []),
        "last_run": run.get(node.unique_id),
    }


def build_site_data(manifest: Manifest, lineage: Lineage, run: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the site shows. Layers are listed in the order data flows through them, names in
    natural order (`stg_2` before `stg_10`).

    Args:
        run: what the last run did (`elt.docs.last_run.last_run`); None: nothing shown.
    """
    graph = doc_graph(manifest)
    tests = _tests(manifest)
    run = run or {"run": None, "nodes": {}, "notes": []}
    nodes = {uid: _node_record(manifest, graph, manifest.nodes[uid], lineage, tests, run["nodes"])
             for uid in sorted(graph.nodes)}
    order = layer_order(graph, {uid: nodes[uid]["layer"] for uid in nodes})
    colours = layer_colours(sorted(order))
    layers = [{"name": layer, "colour": colours[layer],
               "nodes": _by_name((uid for uid in nodes if nodes[uid]["layer"] == layer), manifest)}
              for layer in order]
    overview = manifest.project.docs.get(OVERVIEW)  # dbt's `{% docs __overview__ %}`: the landing page's text
    return {"project": manifest.project.config.name, "elt_version": __version__, "dialect": manifest.dialect,
            "layers": layers, "nodes": nodes, "overview": overview.text if overview else "",
            "run": run["run"], "run_notes": run["notes"]}
