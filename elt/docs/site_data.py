"""What the docs site shows, as one JSON-able dict: nodes, layers, SQL, columns, tests and lineage.

The site's script reads it from `data.js`; nothing here knows about HTML.
"""

from __future__ import annotations

from typing import Any

from elt import __version__
from elt.compile.compiler import Manifest
from elt.compile.graph import Graph
from elt.docs.graph import DOC_TYPES, display_name, layer_of
from elt.docs.lineage import ColumnLineage, Lineage, NodeLineage
from elt.docs.svg import layer_colours, node_caption
from elt.nodes import Node
from elt.project.docs_blocks import OVERVIEW


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


def _node_record(manifest: Manifest, graph: Graph, node: Node, lineage: Lineage,
                 tests: dict[tuple[str, str | None], list[str]]) -> dict[str, Any]:
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
        "raw_sql": node.raw_sql if node.resource_type in ("model", "snapshot") else None,
        "compiled_sql": manifest.compiled_sql.get(node.unique_id),
        "parents": sorted(graph.parents(node.unique_id)),
        "children": sorted(graph.children(node.unique_id)),
        "columns": _columns(node, node_lineage, tests),
        "columns_unresolved": node_lineage.unresolved if node_lineage else "not analysed",
        "tests": tests.get((node.unique_id, None), []),
    }


def build_site_data(manifest: Manifest, lineage: Lineage) -> dict[str, Any]:
    """Everything the site shows. Layers are listed in the order data flows through them."""
    graph = doc_graph(manifest)
    tests = _tests(manifest)
    nodes = {uid: _node_record(manifest, graph, manifest.nodes[uid], lineage, tests) for uid in sorted(graph.nodes)}
    first_generation: dict[str, int] = {}
    for index, generation in enumerate(graph.generations()):
        for uid in generation:
            first_generation.setdefault(nodes[uid]["layer"], index)
    layer_order = sorted(first_generation, key=lambda layer: (first_generation[layer], layer))
    colours = layer_colours(sorted(first_generation))
    layers = [{"name": layer, "colour": colours[layer],
               "nodes": sorted((uid for uid in nodes if nodes[uid]["layer"] == layer), key=lambda u: nodes[u]["name"])}
              for layer in layer_order]
    overview = manifest.project.docs.get(OVERVIEW)  # dbt's `{% docs __overview__ %}`: the landing page's text
    return {"project": manifest.project.config.name, "elt_version": __version__, "dialect": manifest.dialect,
            "layers": layers, "nodes": nodes, "overview": overview.text if overview else ""}
