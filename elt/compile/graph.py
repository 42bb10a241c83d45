"""The DAG over node unique ids: deterministic order, layers, cycle paths, ancestors and descendants.

Pure and engine-free: it knows ids and edges, nothing about what a node is. An edge `(parent, child)`
means the child reads the parent. Every answer that is a sequence is deterministic (ties are broken
by id), so plans, logs and artifacts are stable from one run to the next.

>>> g = Graph(["seed.s", "model.a", "model.b"], [("seed.s", "model.a"), ("model.a", "model.b")])
>>> g.topological_order()
['seed.s', 'model.a', 'model.b']
>>> sorted(g.ancestors("model.b"))
['model.a', 'seed.s']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import compress

from elt.errors import GraphError


class CycleFound(GraphError, ValueError):
    """The graph has a cycle, so it has no order.

    A `GraphError` so the CLI prints it without a traceback, and a `ValueError` for callers that
    treat the graph as a plain data structure.

    Attributes:
        cycle: the cycle's path, first node repeated at the end (`['model.a', 'model.b', 'model.a']`).
    """

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(
            "dependency cycle: " + " -> ".join(cycle),
            node=cycle[0],
            hint="remove one of these ref()s so the models no longer depend on each other",
        )
        self.cycle = cycle


class Graph:
    """An immutable directed graph over node unique ids.

    Args:
        nodes: every node id; ids that appear only in `edges` are not added implicitly.
        edges: `(parent, child)` pairs: the child depends on the parent. Duplicates are ignored.

    Raises:
        ValueError: an edge names a node that is not in `nodes`.
    """

    def __init__(self, nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> None:
        self._nodes = frozenset(nodes)
        self._parents: dict[str, set[str]] = {node: set() for node in self._nodes}
        self._children: dict[str, set[str]] = {node: set() for node in self._nodes}
        parents_of, children_of = self._parents, self._children
        for parent, child in edges:
            if parent not in parents_of or child not in parents_of:
                unknown = [end for end in (parent, child) if end not in self._nodes]
                raise ValueError(f"edge {parent!r} -> {child!r} names unknown node(s): {', '.join(unknown)}")
            parents_of[child].add(parent)
            children_of[parent].add(child)

    @property
    def nodes(self) -> frozenset[str]:
        """Every node id."""
        return self._nodes

    @property
    def edges(self) -> frozenset[tuple[str, str]]:
        """Every `(parent, child)` edge."""
        return frozenset((parent, child) for child, parents in self._parents.items() for parent in parents)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def __repr__(self) -> str:
        edge_count = sum(len(parents) for parents in self._parents.values())
        return f"Graph({len(self._nodes)} nodes, {edge_count} edges)"

    def parents(self, node: str) -> frozenset[str]:
        """The nodes `node` reads directly. Raises KeyError for an unknown node."""
        return frozenset(self._lookup(self._parents, node))

    def children(self, node: str) -> frozenset[str]:
        """The nodes that read `node` directly. Raises KeyError for an unknown node."""
        return frozenset(self._lookup(self._children, node))

    def ancestors(self, node: str, depth: int | None = None) -> set[str]:
        """Every node `node` depends on, directly or not, at most `depth` edges up (None: no limit).

        `node` itself is never included, even when it lies on a cycle. `depth=1` gives the parents.
        """
        self._lookup(self._parents, node)
        reached = self.ancestors_of([node], depth)
        reached.discard(node)
        return reached

    def descendants(self, node: str, depth: int | None = None) -> set[str]:
        """Every node that depends on `node`, directly or not, at most `depth` edges down.

        `node` itself is never included, even when it lies on a cycle. `depth=1` gives the children.
        """
        self._lookup(self._children, node)
        reached = self.descendants_of([node], depth)
        reached.discard(node)
        return reached

    def ancestors_of(self, nodes: Iterable[str], depth: int | None = None) -> set[str]:
        """The union of the ancestors of several nodes, in one walk.

        A node of `nodes` is included only when it is an ancestor of one of them (itself included,
        on a cycle): the result is everything reached by following parent edges at least once.
        """
        if depth is None and self._closure is not None:
            return self._closure.union(self._closure.ancestors, nodes)
        return _walk(self._parents, nodes, depth)

    def descendants_of(self, nodes: Iterable[str], depth: int | None = None) -> set[str]:
        """The union of the descendants of several nodes, in one walk (see `ancestors_of`)."""
        if depth is None and self._closure is not None:
            return self._closure.union(self._closure.descendants, nodes)
        return _walk(self._children, nodes, depth)

    def find_cycle(self) -> list[str] | None:
        """A cycle's path, first node repeated at the end, or None if the graph is acyclic.

        Deterministic: the cycle starts at the smallest id lying on any cycle and is a shortest cycle
        through it (ties broken by id).

        >>> Graph(["b", "a", "c"], [("a", "b"), ("b", "c"), ("c", "a")]).find_cycle()
        ['a', 'b', 'c', 'a']
        """
        if self._kahn[1]:
            return None  # every node placed in layers: acyclic (and the layers are kept for later)
        on_cycle = [
            node
            for component in _strongly_connected_components(self._children)
            for node in component
            if len(component) > 1 or node in self._children[node]
        ]
        if not on_cycle:
            return None
        start = min(on_cycle)
        return _shortest_cycle_through(self._children, start)

    def topological_order(self) -> list[str]:
        """Every node, parents before children: the generations, one after the other.

        Raises:
            CycleFound: the graph has a cycle (its path is on the exception).
        """
        return [node for generation in self.generations() for node in generation]

    def generations(self) -> list[list[str]]:
        """Layers of nodes: each node's parents all lie in earlier layers; each layer sorted by id.

        Nodes of one layer do not depend on each other, so a runner may build them concurrently.

        Raises:
            CycleFound: the graph has a cycle (its path is on the exception).
        """
        return [list(layer) for layer in self._layers]

    @property
    def _layers(self) -> tuple[tuple[str, ...], ...]:
        layers, complete = self._kahn
        if not complete:
            cycle = self.find_cycle()
            assert cycle is not None, "nodes left unplaced but find_cycle found no cycle"
            raise CycleFound(cycle)
        return layers

    @cached_property
    def _kahn(self) -> tuple[tuple[tuple[str, ...], ...], bool]:
        """(layers, whether they hold every node: False on a cyclic graph).

        Kahn's algorithm, a layer at a time (graphlib gives the same layers, at twice the cost); the
        graph is immutable, so the layers are computed once (a compile checks for cycles, then orders
        the graph, and its writes ask again)."""
        waiting = {node: len(parents) for node, parents in self._parents.items()}
        layer = sorted(node for node, count in waiting.items() if count == 0)
        layers: list[tuple[str, ...]] = []
        placed = 0
        while layer:
            layers.append(tuple(layer))
            placed += len(layer)
            ready = []
            for node in layer:
                for child in self._children[node]:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        ready.append(child)
            layer = sorted(ready)
        return tuple(layers), placed == len(self._nodes)

    def acyclic_additions(self, candidates: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The candidate edges that can join the graph: each, in order, unless with the edges of the
        graph and the candidates kept before it, it would close a cycle (or it is already an edge).

        >>> g = Graph(["a", "b", "c", "d"], [("a", "b"), ("c", "d")])
        >>> g.acyclic_additions([("b", "c"), ("d", "a"), ("a", "d")])
        [('b', 'c'), ('a', 'd')]

        Raises:
            CycleFound: the graph itself has a cycle.
            ValueError: a candidate names a node that is not in the graph.
        """
        closure = self._closure
        if closure is None:
            self.topological_order()  # raises CycleFound with the cycle's path
        assert closure is not None
        unknown = sorted({end for edge in candidates for end in edge if end not in self._nodes})
        if unknown:
            raise ValueError(f"candidate edges name unknown node(s): {', '.join(unknown)}")
        return _Additions(closure, self._parents).add(candidates)

    def subgraph(self, nodes: Iterable[str]) -> Graph:
        """The induced subgraph: the given nodes and every edge between two of them.

        Raises:
            ValueError: a node is not in this graph.
        """
        keep = set(nodes)
        unknown = sorted(keep - self._nodes)
        if unknown:
            raise ValueError(f"subgraph names unknown node(s): {', '.join(unknown)}")
        edges = [(parent, child) for child in keep for parent in self._parents[child] if parent in keep]
        return Graph(keep, edges)

    @cached_property
    def _closure(self) -> _Closure | None:
        """Every node's full ancestry and descent, or None on a cyclic graph (walks serve those)."""
        try:
            order = self.topological_order()
        except CycleFound:
            return None
        return _Closure.build(order, self._parents, self._children)

    @staticmethod
    def _lookup(adjacency: Mapping[str, set[str]], node: str) -> set[str]:
        try:
            return adjacency[node]
        except KeyError:
            raise KeyError(f"unknown node: {node!r}") from None


# Maps the characters of bin() to the 0/1 flags itertools.compress wants.
_BIT_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class _Closure:
    """Transitive closure of an acyclic graph as bitmasks (bit i = `ids[i]`, in topological order).

    Unlimited ancestor queries are what selection (`+model`) and planning ask most. Walking the graph
    for each costs O(reach x degree) in Python; OR-ing precomputed ints and decoding them with C-level
    helpers keeps "ancestors of every node" of a 5000-node graph well under a second, in a few MB.
    """

    ids: tuple[str, ...]
    ancestors: dict[str, int]
    descendants: dict[str, int]
    bit: dict[str, int]

    @classmethod
    def build(
        cls, order: list[str], parents: Mapping[str, set[str]], children: Mapping[str, set[str]]
    ) -> _Closure:
        bit = {node: 1 << position for position, node in enumerate(order)}
        return cls(
            ids=tuple(order),
            ancestors=_reach_masks(order, parents, bit),
            descendants=_reach_masks(order[::-1], children, bit),
            bit=bit,
        )

    def union(self, masks: Mapping[str, int], nodes: Iterable[str]) -> set[str]:
        combined = 0
        for node in nodes:
            try:
                combined |= masks[node]
            except KeyError:
                raise KeyError(f"unknown node: {node!r}") from None
        flags = bin(combined)[:1:-1].encode().translate(_BIT_FLAGS)  # bit i -> flags[i]
        return set(compress(self.ids, flags))


class _Additions:
    """Adds edges to an acyclic graph one at a time, refusing those that would close a cycle.

    An edge u -> v closes a cycle when v reaches u. Reach is the graph's closure (bitmasks) widened by
    the edges kept so far, but most kept edges widen nothing that matters: when every parent of u
    already reaches v, a path through u -> v could go through that parent instead, so such an edge
    ("shortcut") only matters for a walk that starts at u, as long as u gains no parent. That is the
    common case of a data test gating its model's children (the test reads only that model), so the
    walks stay short however large the graph.
    """

    def __init__(self, closure: _Closure, parents: Mapping[str, set[str]]) -> None:
        self.closure = closure
        self.parents = parents
        #: u -> targets of kept shortcut edges out of u.
        self.shortcuts: dict[str, list[str]] = {}
        #: kept edges that widen reach from anywhere, as (mask of u, mask of v and its descendants).
        self.wideners: list[tuple[int, int]] = []
        #: nodes that gained a parent from a kept edge.
        self.new_parents: dict[str, set[str]] = {}
        self.kept: set[tuple[str, str]] = set()

    def add(self, candidates: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        added = []
        for parent, child in candidates:
            if (parent, child) in self.kept or parent in self.parents[child] or self._reaches(child, parent):
                continue
            self._keep(parent, child)
            added.append((parent, child))
        return added

    def _below(self, node: str) -> int:
        """The node and everything the graph's own edges lead to from it."""
        return self.closure.bit[node] | self.closure.descendants[node]

    def _reaches(self, start: str, goal: str) -> bool:
        if start == goal:
            return True
        reach = self._below(start)
        for target in self.shortcuts.get(start, ()):
            reach |= self._below(target)
        grown = True
        while grown:
            grown = False
            for source, below in self.wideners:
                if reach & source and below & ~reach:
                    reach |= below
                    grown = True
        return bool(reach & self.closure.bit[goal])

    def _keep(self, parent: str, child: str) -> None:
        self.kept.add((parent, child))
        # The child's shortcut edges now widen reach for whatever reaches the child through this edge.
        for target in self.shortcuts.pop(child, ()):
            self.wideners.append((self.closure.bit[child], self._below(target)))
        self.new_parents.setdefault(child, set()).add(parent)
        ancestors = self.closure.ancestors[child]
        if parent not in self.new_parents and all(ancestors & self.closure.bit[p] for p in self.parents[parent]):
            self.shortcuts.setdefault(parent, []).append(child)
        else:
            self.wideners.append((self.closure.bit[parent], self._below(child)))


def _reach_masks(
    order: list[str], neighbours: Mapping[str, set[str]], bit: Mapping[str, int]
) -> dict[str, int]:
    """For each node, the mask of everything reachable through `neighbours` (listed earlier in `order`)."""
    masks: dict[str, int] = {}
    for node in order:
        mask = 0
        for neighbour in neighbours[node]:
            mask |= masks[neighbour] | bit[neighbour]
        masks[node] = mask
    return masks


def _walk(adjacency: Mapping[str, set[str]], starts: Iterable[str], depth: int | None) -> set[str]:
    """Nodes reached from `starts` by following `adjacency` between 1 and `depth` times.

    Breadth-first, level by level, so a depth limit counts the shortest distance from any start;
    set operations keep the per-edge work in C, which is what makes 5000-node graphs cheap.
    """
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    frontier = set(starts)
    unknown = frontier - adjacency.keys()
    if unknown:
        raise KeyError(f"unknown node(s): {', '.join(sorted(unknown))}")
    reached: set[str] = set()
    level = 0
    while frontier and (depth is None or level < depth):
        step: set[str] = set()
        for node in frontier:
            step |= adjacency[node]
        frontier = step - reached
        reached |= frontier
        level += 1
    return reached


def _strongly_connected_components(children: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative so that long chains do not hit the recursion limit."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    # Which nodes lie on cycles does not depend on visiting order, so nothing here is sorted.
    for root in children:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(children[root]))]
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in index:
                    index[child] = lowlink[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, list(children[child])))
                elif child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _shortest_cycle_through(children: Mapping[str, set[str]], start: str) -> list[str]:
    """A shortest path from `start` back to itself (breadth-first, children visited in id order)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier: list[str] = []
        for node in frontier:
            for child in sorted(children[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in came_from:
                    came_from[child] = node
                    next_frontier.append(child)
        frontier = next_frontier
    raise ValueError(f"{start!r} is not on a cycle")
