"""`elt docs graph`: the DAG as Mermaid, Graphviz dot or JSON, grouped by layer (schema).

Output is sorted so that it diffs cleanly in review. Sources and seeds appear as inputs; ephemeral
models sit in a layer of their own, since they have no relation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Literal

from elt.compiler import Manifest
from elt.nodes import Node

GraphFormat = Literal["mermaid", "dot", "json"]
EPHEMERAL_LAYER = "(ephemeral)"


def layer_of(node: Node) -> str:
    return str(node.relation.schema) if node.relation else EPHEMERAL_LAYER


def _label(node: Node) -> str:
    if node.resource_type == "source":
        return f"{node.source_name}.{node.name} (source)"
    return f"{node.name} ({node.materialized})"


def _edges(manifest: Manifest, selected: Collection[str]) -> list[tuple[str, str]]:
    return sorted((p, c) for p, c in manifest.graph.edges if p in selected and c in selected)


def _layers(manifest: Manifest, selected: Collection[str]) -> dict[str, list[Node]]:
    layers: dict[str, list[Node]] = {}
    for uid in sorted(selected):
        node = manifest.nodes[uid]
        layers.setdefault(layer_of(node), []).append(node)
    return dict(sorted(layers.items()))


def _mermaid_id(uid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", uid)


def to_mermaid(manifest: Manifest, selected: Collection[str]) -> str:
    lines = ["flowchart LR"]
    for layer, nodes in _layers(manifest, selected).items():
        lines.append(f'  subgraph {_mermaid_id("layer." + layer)}["{layer}"]')
        for node in nodes:
            shape = ('[("', '")]') if node.resource_type in ("seed", "source") else ('["', '"]')
            lines.append(f"    {_mermaid_id(node.unique_id)}{shape[0]}{_label(node)}{shape[1]}")
        lines.append("  end")
    for parent, child in _edges(manifest, selected):
        lines.append(f"  {_mermaid_id(parent)} --> {_mermaid_id(child)}")
    return "\n".join(lines) + "\n"


def to_dot(manifest: Manifest, selected: Collection[str]) -> str:
    lines = ["digraph elt {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for layer, nodes in _layers(manifest, selected).items():
        lines.append(f'  subgraph "cluster_{layer}" {{')
        lines.append(f'    label="{layer}";')
        for node in nodes:
            shape = "cylinder" if node.resource_type in ("seed", "source") else "box"
            lines.append(f'    "{node.unique_id}" [label="{_label(node)}", shape={shape}];')
        lines.append("  }")
    for parent, child in _edges(manifest, selected):
        lines.append(f'  "{parent}" -> "{child}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(manifest: Manifest, selected: Collection[str]) -> str:
    data = {
        "nodes": [
            {"unique_id": n.unique_id, "name": n.name, "resource_type": n.resource_type,
             "materialized": n.materialized, "layer": layer_of(n),
             "relation": str(n.relation) if n.relation else None, "path": n.path}
            for nodes in _layers(manifest, selected).values() for n in nodes
        ],
        "edges": [{"from": p, "to": c} for p, c in _edges(manifest, selected)],
        "layers": {layer: [n.unique_id for n in nodes] for layer, nodes in _layers(manifest, selected).items()},
    }
    return json.dumps(data, indent=2) + "\n"


def render_graph(manifest: Manifest, selected: Collection[str], fmt: GraphFormat) -> str:
    """The selected part of the DAG in format `fmt`."""
    return {"mermaid": to_mermaid, "dot": to_dot, "json": to_json}[fmt](manifest, selected)
