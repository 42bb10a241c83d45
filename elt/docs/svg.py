"""The DAG as an SVG drawing for the docs site, laid out by `elt.docs.layout`.

Inside `<g class="drawing whole">`, each node is a `<g class="node" data-uid=...>` and each edge a
`<path class="edge" data-from data-to>`, so the page's script can pan, zoom, open and highlight them
without a graph library; the drawing is readable without any script too. Fill colours are per layer (schema).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from elt.compile.graph import Graph
from elt.docs.layout import Layout, layout_dag
from elt.nodes import Node

#: Colours of the usual medallion layers; other layers take the palette in order.
NAMED_COLOURS = {"raw": "#dbeafe", "bronze": "#f5d6b8", "silver": "#e2e5ea", "gold": "#fce38a",
                 "(ephemeral)": "#ffffff"}
PALETTE = ("#dcfce7", "#f3e8ff", "#fce7f3", "#ccfbf1", "#fef9c3", "#e0e7ff", "#ffedd5", "#f1f5f9")

NAME_CHAR_WIDTH = 7.6  # 13px sans-serif, a little generous so names never overflow their box
KIND_CHAR_WIDTH = 6.4  # 11px
PADDING = 12
FAR_NODES = 150


def layer_colours(layers: Sequence[str]) -> dict[str, str]:
    """A fill colour per layer, stable for a given list of layers.

    >>> layer_colours(["gold", "marketing", "raw"])
    {'gold': '#fce38a', 'marketing': '#dcfce7', 'raw': '#dbeafe'}
    """
    others = iter(PALETTE * (len(layers) // len(PALETTE) + 1))
    return {layer: NAMED_COLOURS.get(layer) or next(others) for layer in layers}


def node_caption(node: Node, layer: str) -> tuple[str, str]:
    """The two lines a node box shows: its name, and what it is where."""
    if node.resource_type == "source":
        return f"{node.source_name}.{node.name}", f"source · {layer}"
    if node.relation is None:
        return node.name, str(node.materialized)
    return node.name, f"{node.materialized} · {layer}"


def _width(name: str, kind: str) -> float:
    return round(max(len(name) * NAME_CHAR_WIDTH, len(kind) * KIND_CHAR_WIDTH) + 2 * PADDING)


def _edge_path(layout: Layout, parent: str, child: str) -> str:
    (x1, y1), (x2, y2) = layout.boxes[parent].right, layout.boxes[child].left
    x2 -= 6  # leave room for the arrow head
    bend = max(30.0, (x2 - x1) / 2)
    return f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def render_dag_svg(graph: Graph, nodes: Mapping[str, Node], layers: Mapping[str, str],
                   pipeline: Sequence[str] = (), name_key: Callable[[str], Any] = str) -> str:
    """The whole DAG as an inline `<svg id="dag">` element.

    Args:
        graph: the graph to draw (models, seeds and sources only).
        nodes: every node of `graph` by unique id.
        layers: each node's layer (schema) by unique id.
        pipeline: the layers in pipeline order: each is drawn as a block of columns, left to right.
        name_key: the sort key of names (natural order) for the first order of each column.
    """
    captions = {uid: node_caption(nodes[uid], layers[uid]) for uid in graph.nodes}
    rank = {layer: index for index, layer in enumerate(pipeline)}
    order = {uid: (nodes[uid].resource_type != "seed", rank.get(layers[uid], len(rank)), name_key(captions[uid][0]))
             for uid in graph.nodes}
    bands = {uid: rank.get(layers[uid], len(rank)) for uid in graph.nodes} if rank else None
    layout = layout_dag(graph, {uid: _width(*captions[uid]) for uid in graph.nodes}, initial_order=order,
                        bands=bands)
    colours = layer_colours(sorted(set(layers.values())))
    # A large DAG starts without its texts (unreadable when it is all in view, and slow to lay out);
    # the page's script shows them once zoomed in.
    far = ' class="far"' if len(graph.nodes) >= FAR_NODES else ""
    parts = [
        # No xmlns: the HTML parser puts an inline <svg> in the SVG namespace, and the page names no URL.
        f'<svg id="dag"{far} viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" '
        f'data-width="{layout.width:.0f}" data-height="{layout.height:.0f}" role="img" '
        'aria-label="Model graph: click a node to open it">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="2" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>',
        '<g class="drawing whole"><g class="edges">',
    ]
    for parent, child in sorted(graph.edges):
        parts.append(f'<path class="edge" data-from="{escape(parent)}" data-to="{escape(child)}" '
                     f'd="{_edge_path(layout, parent, child)}" marker-end="url(#arrow)"/>')
    parts.append('</g><g class="nodes">')
    for uid in sorted(graph.nodes):
        box, node = layout.boxes[uid], nodes[uid]
        name, kind = captions[uid]
        ephemeral = " ephemeral" if node.resource_type == "model" and node.relation is None else ""
        parts.append(
            f'<g class="node type-{node.resource_type}{ephemeral}" data-uid="{escape(uid)}" tabindex="0" '
            f'role="button" transform="translate({box.x:.1f},{box.y:.1f})">'
            f"<title>{escape(uid)}</title>"
            f'<rect width="{box.width:.0f}" height="{box.height:.0f}" rx="7" fill="{colours[layers[uid]]}"/>'
            f'<text class="name" x="{PADDING}" y="17">{escape(name)}</text>'
            f'<text class="kind" x="{PADDING}" y="32">{escape(kind)}</text></g>'
        )
    parts.append("</g></g></svg>")
    return "".join(parts)
