"""`elt docs graph`: the DAG as Mermaid, Graphviz dot or JSON, grouped by layer (schema).

Output is sorted so that it diffs cleanly in review. Sources and seeds appear as inputs; ephemeral
models sit in a layer of their own, since they have no relation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Literal

from elt.compile.compiler import Manifest
from elt.nodes import Node
from elt.report.sorting import natural_key

GraphFormat = Literal["mermaid", "dot", "json"]
EPHEMERAL_LAYER = "(ephemeral)"
#: What the docs draw and document (tests are attached to these, not drawn).
DOC_TYPES = frozenset({"model", "seed", "snapshot", "source"})


def display_name(node: Node) -> str:
    """The name a user types for a node: `model_or_seed`, or `source_name.table` for a source."""
    return f"{node.source_name}.{node.name}" if node.resource_type == "source" else node.name


def layer_of(node: Node) -> str:
    return str(node.relation.schema) if node.relation else EPHEMERAL_LAYER


def node_label(node: Node) -> str:
    if node.resource_type == "source":
        return f"{node.source_name}.{node.name} (source)"
    return f"{node.name} ({node.materialized})"


def model_edges(manifest: Manifest, selected: Collection[str]) -> list[tuple[str, str]]:
    edges = [(p, c) for p, c in manifest.graph.edges if p in selected and c in selected]
    return sorted(edges, key=lambda edge: (natural_key(edge[0]), natural_key(edge[1])))


def group_by_layer(manifest: Manifest, selected: Collection[str]) -> dict[str, list[Node]]:
    layers: dict[str, list[Node]] = {}
    for uid in sorted(selected, key=natural_key):  # stg_2 before stg_10
        node = manifest.nodes[uid]
        layers.setdefault(layer_of(node), []).append(node)
    return dict(sorted(layers.items(), key=lambda item: natural_key(item[0])))


def mermaid_id(uid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", uid)


def to_mermaid(manifest: Manifest, selected: Collection[str]) -> str:
    lines = ["flowchart LR"]
    for layer, nodes in group_by_layer(manifest, selected).items():
        lines.append(f'  subgraph {mermaid_id("layer." + layer)}["{layer}"]')
        for node in nodes:
            shape = ('[("', '")]') if node.resource_type in ("seed", "source") else ('["', '"]')
            lines.append(f"    {mermaid_id(node.unique_id)}{shape[0]}{node_label(node)}{shape[1]}")
        lines.append("  end")
    for parent, child in model_edges(manifest, selected):
        lines.append(f"  {mermaid_id(parent)} --> {mermaid_id(child)}")
    return "\n".join(lines) + "\n"


def to_dot(manifest: Manifest, selected: Collection[str]) -> str:
    lines = ["digraph elt {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for layer, nodes in group_by_layer(manifest, selected).items():
        lines.append(f'  subgraph "cluster_{layer}" {{')
        lines.append(f'    label="{layer}";')
        for node in nodes:
            shape = "cylinder" if node.resource_type in ("seed", "source") else "box"
            lines.append(f'    "{node.unique_id}" [label="{node_label(node)}", shape={shape}];')
        lines.append("  }")
    for parent, child in model_edges(manifest, selected):
        lines.append(f'  "{parent}" -> "{child}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(manifest: Manifest, selected: Collection[str]) -> str:
    data = {
        "nodes": [
            {"unique_id": n.unique_id, "name": n.name, "resource_type": n.resource_type,
             "materialized": n.materialized, "layer": layer_of(n),
             "relation": str(n.relation) if n.relation else None, "path": n.path}
            for nodes in group_by_layer(manifest, selected).values() for n in nodes
        ],
        "edges": [{"from": p, "to": c} for p, c in model_edges(manifest, selected)],
        "layers": {layer: [n.unique_id for n in nodes] for layer, nodes in group_by_layer(manifest, selected).items()},
    }
    return json.dumps(data, indent=2) + "\n"


def render_graph(manifest: Manifest, selected: Collection[str], fmt: GraphFormat) -> str:
    """The selected part of the DAG in format `fmt`."""
    return {"mermaid": to_mermaid, "dot": to_dot, "json": to_json}[fmt](manifest, selected)
