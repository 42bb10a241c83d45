"""Which nodes wait for which tests in `elt build`: dbt's rule, on node ids only.

A test runs once every node it reads is built. A node waits for the tests of the nodes it reads: the
tests *declared on* them (a test's `attached_to`), so a relationships test declared on `orders` with
`to: ref('customers')` gates what reads `orders`, not what reads `customers`. A singular test,
declared on nothing, gates what reads any node it reads. A gate that would close a cycle (the child
is upstream of the test: a relationships test pointing at a child of its model) is left out, so a
plan always has an order. Gates are considered upstream tests first, so which one is left out does
not depend on names alone.

>>> from elt.compile.graph import Graph
>>> g = Graph(["a", "b", "c", "t"], [("a", "b"), ("a", "c"), ("a", "t"), ("c", "t")])
>>> gate_edges(g, {"t": ["a"]}, lambda uid: uid != "t")  # t on a, pointing to c: c cannot wait for t
[('t', 'b')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from elt.compile.graph import Graph


def gate_edges(graph: Graph, tested: Mapping[str, Iterable[str]],
               gated: Callable[[str], bool]) -> list[tuple[str, str]]:
    """The `(test, node)` edges: `node` waits for `test`.

    Args:
        graph: every node, tests included, with an edge from each node a test reads to the test.
        tested: each test that gates -> the nodes it is declared on (a singular test: what it reads).
        gated: whether a node may wait for tests (models; not tests themselves).

    Raises:
        CycleFound: the graph itself has a cycle.
    """
    position = {uid: i for i, uid in enumerate(graph.topological_order())}
    candidates = [
        (test, child)
        for test in sorted(tested, key=position.__getitem__)
        for node in sorted(set(tested[test]), key=position.__getitem__)
        for child in sorted(graph.children(node), key=position.__getitem__)
        if child != test and gated(child)
    ]
    return graph.acyclic_additions(candidates)


def passing_through(graph: Graph, edges: Iterable[tuple[str, str]],
                    kept: Callable[[str], bool]) -> set[tuple[str, str]]:
    """`edges` onto the nodes `kept`: an edge to a node that is left out (an ephemeral model, a node
    not selected) becomes edges to the nearest kept nodes below it, so `t -> ephemeral e -> m` is `t -> m`.
    The nodes that must not become targets (tests) are left out of `kept`: they have no children to
    pass through.
    """
    result: set[tuple[str, str]] = set()
    below: dict[str, set[str]] = {}
    for source, target in edges:
        if kept(target):
            result.add((source, target))
            continue
        if target not in below:
            found, seen, stack = set(), {target}, [target]
            while stack:
                for child in graph.children(stack.pop()):
                    if child in seen:
                        continue
                    seen.add(child)
                    if kept(child):
                        found.add(child)
                    else:
                        stack.append(child)
            below[target] = found
        result.update((source, node) for node in below[target])
    return result
