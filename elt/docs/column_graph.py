"""`elt docs graph --columns`: the DAG with each node's columns and the column-to-column lineage edges.

Same layers, node order and formats as `elt.docs.graph`; a column whose origin is not (fully) known is
marked `?` (Mermaid, dot) or carries its reasons (`unresolved`, JSON). Output is sorted for diffing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Collection

from elt.compile.compiler import Manifest
from elt.docs.graph import GraphFormat, group_by_layer, layer_of, mermaid_id, model_edges, node_label
from elt.docs.lineage import ColumnRef, Lineage, NodeLineage


def _column_edges(lineage: Lineage, selected: Collection[str]) -> list[tuple[ColumnRef, ColumnRef]]:
    """Edges between listed columns of selected nodes (a column of a node whose columns are unknown
    is not drawn; the reading column's `upstream` still names it)."""
    return [(up, down) for up, down in lineage.edges()
            if up.node in selected and down.node in selected and lineage.column(up) is not None]


def _columns(lineage: Lineage, uid: str) -> NodeLineage:
    return lineage.nodes.get(uid) or NodeLineage(uid, complete=False, unresolved="not analysed")


def _mark(lineage: Lineage, ref: ColumnRef) -> str:
    column = lineage.column(ref)
    return " ?" if column is None or column.unresolved else ""


def to_mermaid(manifest: Manifest, selected: Collection[str], lineage: Lineage) -> str:
    lines = ["flowchart LR"]
    for layer, nodes in group_by_layer(manifest, selected).items():
        lines.append(f'  subgraph {mermaid_id("layer." + layer)}["{layer}"]')
        for node in nodes:
            node_columns = _columns(lineage, node.unique_id)
            incomplete = " ?" if not node_columns.complete else ""
            lines.append(f'    subgraph {mermaid_id(node.unique_id)}["{node_label(node)}{incomplete}"]')
            for name in node_columns.columns:
                ref = ColumnRef(node.unique_id, name)
                lines.append(f'      {mermaid_id(node.unique_id)}__{mermaid_id(name)}["{name}{_mark(lineage, ref)}"]')
            lines.append("    end")
        lines.append("  end")
    for up, down in _column_edges(lineage, selected):
        lines.append(f"  {mermaid_id(up.node)}__{mermaid_id(up.column)} --> "
                     f"{mermaid_id(down.node)}__{mermaid_id(down.column)}")
    return "\n".join(lines) + "\n"


def _dot_table(title: str, columns: list[tuple[str, str]]) -> str:
    """A Graphviz HTML-like label: the node's title, then one row (with a port) per column."""
    rows = [f'<tr><td bgcolor="#e8e8e8"><b>{html.escape(title)}</b></td></tr>']
    rows += [f'<tr><td port="{port}" align="left">{html.escape(text)}</td></tr>' for port, text in columns]
    return '<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>>"


def to_dot(manifest: Manifest, selected: Collection[str], lineage: Lineage) -> str:
    lines = ["digraph elt {", "  rankdir=LR;", '  node [shape=plain, fontname="Helvetica"];']
    ports: dict[ColumnRef, str] = {}
    for layer, nodes in group_by_layer(manifest, selected).items():
        lines.append(f'  subgraph "cluster_{layer}" {{')
        lines.append(f'    label="{layer}";')
        for node in nodes:
            node_columns = _columns(lineage, node.unique_id)
            rows = []
            for index, name in enumerate(node_columns.columns):
                ref = ColumnRef(node.unique_id, name)
                ports[ref] = f"c{index}"
                rows.append((ports[ref], name + _mark(lineage, ref)))
            title = node_label(node) + ("" if node_columns.complete else " ?")
            lines.append(f'    "{node.unique_id}" [label={_dot_table(title, rows)}];')
        lines.append("  }")
    for up, down in _column_edges(lineage, selected):
        if up in ports and down in ports:
            lines.append(f'  "{up.node}":{ports[up]}:e -> "{down.node}":{ports[down]}:w;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(manifest: Manifest, selected: Collection[str], lineage: Lineage) -> str:
    layers = group_by_layer(manifest, selected)
    data = {
        "nodes": [
            {"unique_id": n.unique_id, "name": n.name, "resource_type": n.resource_type,
             "materialized": n.materialized, "layer": layer_of(n),
             "relation": str(n.relation) if n.relation else None, "path": n.path,
             **_columns(lineage, n.unique_id).to_json()}
            for nodes in layers.values() for n in nodes
        ],
        "edges": [{"from": p, "to": c} for p, c in model_edges(manifest, selected)],
        "column_edges": [{"from": up.to_json(), "to": down.to_json()}
                         for up, down in _column_edges(lineage, selected)],
        "layers": {layer: [n.unique_id for n in nodes] for layer, nodes in layers.items()},
    }
    return json.dumps(data, indent=2) + "\n"


def render_column_graph(manifest: Manifest, selected: Collection[str], fmt: GraphFormat, lineage: Lineage) -> str:
    """The selected part of the DAG with its columns and column lineage, in format `fmt`."""
    return {"mermaid": to_mermaid, "dot": to_dot, "json": to_json}[fmt](manifest, selected, lineage)
