"""Placing the DAG on a plane for the docs site: one column per generation, left to right.

Pure and deterministic. A node's column is its generation (`Graph.generations()`: every parent lies in
an earlier column), or, given bands (the layers in pipeline order: raw, bronze, silver, gold), its band
then its depth inside the band, so each layer is a block of columns of its own. Within a column, nodes
are ordered by the barycentre of their neighbours, swept left-to-right then right-to-left a few times,
which removes most edge crossings of a layered DAG.

>>> from elt.compile.graph import Graph
>>> g = Graph(["s", "a", "b"], [("s", "a"), ("s", "b")])
>>> layout = layout_dag(g, {"s": 40, "a": 40, "b": 40})
>>> [(box.column, box.row) for box in (layout.boxes["s"], layout.boxes["a"], layout.boxes["b"])]
[(0, 0), (1, 0), (1, 1)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elt.compile.graph import Graph

NODE_HEIGHT = 40
ROW_GAP = 18
COLUMN_GAP = 64
MARGIN = 20
SWEEPS = 6


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: its column and row, and its rectangle in pixels."""

    column: int
    row: int
    x: float
    y: float
    width: float
    height: float = NODE_HEIGHT

    @property
    def left(self) -> tuple[float, float]:
        return self.x, self.y + self.height / 2

    @property
    def right(self) -> tuple[float, float]:
        return self.x + self.width, self.y + self.height / 2


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    width: float
    height: float


def _order_columns(graph: Graph, columns: list[list[str]]) -> list[list[str]]:
    position = {uid: index for column in columns for index, uid in enumerate(column)}

    def reorder(column: list[str], neighbours: Mapping[str, frozenset[str]]) -> list[str]:
        def key(uid: str) -> tuple[float, int]:
            near = [position[n] for n in neighbours[uid] if n in position]
            # Nodes without neighbours on that side keep their place.
            return (sum(near) / len(near) if near else position[uid], position[uid])

        ordered = sorted(column, key=key)
        for index, uid in enumerate(ordered):
            position[uid] = index
        return ordered

    parents = {uid: graph.parents(uid) for column in columns for uid in column}
    children = {uid: graph.children(uid) for column in columns for uid in column}
    columns = [list(c) for c in columns]
    for _ in range(SWEEPS):
        for index in range(1, len(columns)):
            columns[index] = reorder(columns[index], parents)
        for index in range(len(columns) - 2, -1, -1):
            columns[index] = reorder(columns[index], children)
    return columns


def _banded_columns(graph: Graph, bands: Mapping[str, int]) -> list[list[str]]:
    """Columns by (band, depth in the band). A node never sits in a band before one of its parents'
    (a model of an early layer reading a later one is drawn with its parent's band), so every edge
    still goes left to right."""
    band: dict[str, int] = {}
    depth: dict[str, int] = {}
    for uid in graph.topological_order():
        parents = graph.parents(uid)
        band[uid] = max([bands.get(uid, 0), *(band[p] for p in parents)])
        depth[uid] = max((depth[p] + 1 for p in parents if band[p] == band[uid]), default=0)
    keys = sorted({(band[uid], depth[uid]) for uid in graph.nodes})
    index = {key: i for i, key in enumerate(keys)}
    columns: list[list[str]] = [[] for _ in keys]
    for uid in graph.nodes:
        columns[index[(band[uid], depth[uid])]].append(uid)
    return columns


def layout_dag(graph: Graph, widths: Mapping[str, float], *, initial_order: Mapping[str, Any] | None = None,
               bands: Mapping[str, int] | None = None) -> Layout:
    """Boxes for every node of `graph`, laid out left to right by generation.

    Args:
        graph: the (acyclic) graph to draw.
        widths: each node's box width in pixels (the text it shows decides it).
        initial_order: a sort key per node for the first ordering of each column (e.g. layer then
            name), before crossings are reduced; default: the node id.
        bands: a band number per node (its layer's place in the pipeline); default: one band.

    Raises:
        CycleFound: the graph has a cycle.
    """
    key: Mapping[str, Any] = initial_order or {uid: uid for uid in graph.nodes}
    groups = _banded_columns(graph, bands) if bands else [list(g) for g in graph.generations()]
    columns = [sorted(group, key=lambda uid: (key[uid], uid)) for group in groups]
    if columns:
        columns = _order_columns(graph, columns)
    tallest = max((len(c) for c in columns), default=0)
    total_height = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP if tallest else 0
    boxes: dict[str, Box] = {}
    x = float(MARGIN)
    for index, column in enumerate(columns):
        width = max(widths[uid] for uid in column)
        column_height = len(column) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
        top = MARGIN + (total_height - column_height) / 2
        for row, uid in enumerate(column):
            boxes[uid] = Box(index, row, x, top + row * (NODE_HEIGHT + ROW_GAP), width)
        x += width + COLUMN_GAP
    width = x - COLUMN_GAP + MARGIN if columns else 2 * MARGIN
    return Layout(boxes, width, total_height + 2 * MARGIN)
