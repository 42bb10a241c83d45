"""Unit tests for elt.compile.graph: structure, ancestry, cycles, order, layers, subgraphs."""

from __future__ import annotations

import doctest
import itertools
import random
import re

import pytest

import elt.compile.graph
from elt.compile.graph import CycleFound, Graph
from elt.errors import GraphError

# seed.s -> model.a -> model.b -> model.d
#                  \-> model.c -/
# model.z stands alone.
DIAMOND_NODES = ["seed.s", "model.a", "model.b", "model.c", "model.d", "model.z"]
DIAMOND_EDGES = [
    ("seed.s", "model.a"),
    ("model.a", "model.b"),
    ("model.a", "model.c"),
    ("model.b", "model.d"),
    ("model.c", "model.d"),
]


@pytest.fixture
def diamond() -> Graph:
    return Graph(DIAMOND_NODES, DIAMOND_EDGES)


def chain(*ids: str) -> list[tuple[str, str]]:
    """Edges a -> b -> c ... for the given ids."""
    return list(itertools.pairwise(ids))


def random_dag(node_count: int, edge_count: int, seed: int) -> tuple[list[str], set[tuple[str, str]]]:
    """A DAG whose edges always point from a lower index to a higher one."""
    rng = random.Random(seed)
    ids = [f"model.m{i:05d}" for i in range(node_count)]
    edges: set[tuple[str, str]] = set()
    while len(edges) < edge_count:
        child = rng.randrange(1, node_count)
        edges.add((ids[rng.randrange(0, child)], ids[child]))
    return ids, edges


# --- construction -------------------------------------------------------------------------------


def test_nodes_include_isolated_nodes(diamond: Graph) -> None:
    assert diamond.nodes == frozenset(DIAMOND_NODES)


def test_nodes_is_a_frozenset(diamond: Graph) -> None:
    assert isinstance(diamond.nodes, frozenset)


@pytest.mark.parametrize("edge", [("model.ghost", "model.a"), ("model.a", "model.ghost")])
def test_edge_with_unknown_end_raises(edge: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="ghost"):
        Graph(["model.a"], [edge])


def test_duplicate_edges_count_once() -> None:
    graph = Graph(["a", "b"], [("a", "b"), ("a", "b")])
    assert graph.edges == frozenset({("a", "b")})


def test_edges_lists_every_edge(diamond: Graph) -> None:
    assert diamond.edges == frozenset(DIAMOND_EDGES)


def test_len_counts_nodes(diamond: Graph) -> None:
    assert len(diamond) == 6


@pytest.mark.parametrize(("node", "expected"), [("model.a", True), ("model.ghost", False)])
def test_contains_tells_known_nodes(diamond: Graph, node: str, expected: bool) -> None:
    assert (node in diamond) is expected


def test_repr_counts_nodes_and_edges(diamond: Graph) -> None:
    assert repr(diamond) == "Graph(6 nodes, 5 edges)"


def test_nodes_may_be_any_iterable() -> None:
    graph = Graph((n for n in ["a", "b"]), iter([("a", "b")]))
    assert graph.children("a") == frozenset({"b"})


# --- parents and children -----------------------------------------------------------------------


def test_parents_are_direct_only(diamond: Graph) -> None:
    assert diamond.parents("model.d") == frozenset({"model.b", "model.c"})


def test_children_are_direct_only(diamond: Graph) -> None:
    assert diamond.children("model.a") == frozenset({"model.b", "model.c"})


def test_root_has_no_parents(diamond: Graph) -> None:
    assert diamond.parents("seed.s") == frozenset()


@pytest.mark.parametrize("method", ["parents", "children", "ancestors", "descendants"])
def test_unknown_node_raises_key_error(diamond: Graph, method: str) -> None:
    with pytest.raises(KeyError, match="ghost"):
        getattr(diamond, method)("model.ghost")


# --- ancestors and descendants ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (None, {"seed.s", "model.a", "model.b", "model.c"}),
        (1, {"model.b", "model.c"}),
        (2, {"model.a", "model.b", "model.c"}),
        (3, {"seed.s", "model.a", "model.b", "model.c"}),
        (99, {"seed.s", "model.a", "model.b", "model.c"}),
        (0, set()),
    ],
)
def test_ancestors_respect_depth(diamond: Graph, depth: int | None, expected: set[str]) -> None:
    assert diamond.ancestors("model.d", depth) == expected


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (None, {"model.a", "model.b", "model.c", "model.d"}),
        (1, {"model.a"}),
        (2, {"model.a", "model.b", "model.c"}),
        (0, set()),
    ],
)
def test_descendants_respect_depth(diamond: Graph, depth: int | None, expected: set[str]) -> None:
    assert diamond.descendants("seed.s", depth) == expected


def test_depth_counts_the_shortest_path() -> None:
    # x reaches d both directly and through a long chain: depth 1 must find it.
    graph = Graph(["x", "a", "b", "c", "d"], [*chain("x", "a", "b", "c", "d"), ("x", "d")])
    assert graph.ancestors("d", depth=1) == {"c", "x"}


@pytest.mark.parametrize("method", ["ancestors", "descendants"])
def test_negative_depth_raises(diamond: Graph, method: str) -> None:
    with pytest.raises(ValueError, match="depth"):
        getattr(diamond, method)("model.a", -1)


def test_ancestors_of_root_is_empty(diamond: Graph) -> None:
    assert diamond.ancestors("seed.s") == set()


def test_descendants_of_leaf_is_empty(diamond: Graph) -> None:
    assert diamond.descendants("model.d") == set()


def test_ancestors_returns_a_fresh_set(diamond: Graph) -> None:
    diamond.ancestors("model.d").add("junk")
    assert "junk" not in diamond.ancestors("model.d")


@pytest.mark.parametrize("depth", [None, 1])
def test_ancestors_on_a_cycle_exclude_the_node(depth: int | None) -> None:
    graph = Graph(["a", "b"], [("a", "b"), ("b", "a")])
    assert graph.ancestors("a", depth) == {"b"}


@pytest.mark.parametrize("depth", [None, 1])
def test_descendants_on_a_cycle_exclude_the_node(depth: int | None) -> None:
    graph = Graph(["a", "b"], [("a", "b"), ("b", "a")])
    assert graph.descendants("a", depth) == {"b"}


def test_ancestors_of_unites_several_nodes(diamond: Graph) -> None:
    assert diamond.ancestors_of(["model.b", "model.z"]) == {"seed.s", "model.a"}


@pytest.mark.parametrize("depth", [None, 1])
def test_ancestors_of_includes_a_start_that_is_an_ancestor_of_another(
    diamond: Graph, depth: int | None
) -> None:
    assert "model.a" in diamond.ancestors_of(["model.a", "model.b"], depth)


def test_descendants_of_respects_depth(diamond: Graph) -> None:
    assert diamond.descendants_of(["seed.s", "model.b"], depth=1) == {"model.a", "model.d"}


def test_ancestors_of_unknown_node_raises(diamond: Graph) -> None:
    with pytest.raises(KeyError, match="ghost"):
        diamond.ancestors_of(["model.a", "model.ghost"])


def test_unlimited_ancestry_agrees_with_a_depth_limited_walk() -> None:
    # An unlimited query is answered from a precomputed closure, a limited one by walking: a depth as
    # large as the graph must give the same answer for every node.
    ids, edges = random_dag(300, 900, seed=7)
    graph = Graph(ids, edges)
    for node in ids:
        assert graph.ancestors(node) == graph.ancestors(node, depth=len(ids)), node
        assert graph.descendants(node) == graph.descendants(node, depth=len(ids)), node


# --- find_cycle ---------------------------------------------------------------------------------


def test_find_cycle_is_none_when_acyclic(diamond: Graph) -> None:
    assert diamond.find_cycle() is None


@pytest.mark.parametrize("order", list(itertools.permutations(["model.a", "model.b", "model.c"])))
@pytest.mark.parametrize("reverse_edges", [False, True])
def test_find_cycle_starts_at_smallest_id_whatever_the_input_order(
    order: tuple[str, ...], reverse_edges: bool
) -> None:
    edges = [("model.b", "model.c"), ("model.c", "model.a"), ("model.a", "model.b")]
    graph = Graph(order, edges[::-1] if reverse_edges else edges)
    assert graph.find_cycle() == ["model.a", "model.b", "model.c", "model.a"]


def test_find_cycle_reports_a_self_loop() -> None:
    assert Graph(["model.a"], [("model.a", "model.a")]).find_cycle() == ["model.a", "model.a"]


def test_find_cycle_picks_the_cycle_with_the_smallest_id() -> None:
    graph = Graph(["c", "d", "b", "e"], [("c", "d"), ("d", "c"), ("e", "b"), ("b", "e")])
    assert graph.find_cycle() == ["b", "e", "b"]


def test_find_cycle_ignores_nodes_between_cycles() -> None:
    # "a" is downstream of one cycle and upstream of another, but on neither.
    edges = [("x", "y"), ("y", "x"), ("y", "a"), ("a", "m"), ("m", "n"), ("n", "m")]
    graph = Graph(["a", "m", "n", "x", "y"], edges)
    assert graph.find_cycle() == ["m", "n", "m"]


def test_find_cycle_takes_the_shortest_way_back() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a"), ("b", "a")]
    graph = Graph(["a", "b", "c", "d"], edges)
    assert graph.find_cycle() == ["a", "b", "a"]


def test_find_cycle_breaks_ties_by_id() -> None:
    # Twenty equally short cycles through "a": set order alone would rarely pick the smallest.
    others = [f"n{i:02d}" for i in range(20)]
    edges = [edge for other in reversed(others) for edge in (("a", other), (other, "a"))]
    assert Graph(["a", *others], edges).find_cycle() == ["a", "n00", "a"]


def test_find_cycle_on_a_long_chain_does_not_recurse() -> None:
    ids = [f"n{i:05d}" for i in range(5000)]
    graph = Graph(ids, [*chain(*ids), (ids[-1], ids[0])])
    cycle = graph.find_cycle()
    assert cycle is not None
    assert cycle[0] == cycle[-1] == ids[0]
    assert len(cycle) == 5001


# --- topological_order and generations ----------------------------------------------------------


def test_topological_order_puts_parents_first_and_breaks_ties_by_id(diamond: Graph) -> None:
    assert diamond.topological_order() == ["model.z", "seed.s", "model.a", "model.b", "model.c", "model.d"]


def test_topological_order_does_not_depend_on_input_order() -> None:
    nodes = ["model.b", "model.a", "model.c", "seed.x"]
    edges = [("seed.x", "model.c"), ("model.a", "model.c"), ("model.b", "model.c")]
    first = Graph(nodes, edges).topological_order()
    second = Graph(reversed(nodes), reversed(edges)).topological_order()
    assert first == second == ["model.a", "model.b", "seed.x", "model.c"]


def test_topological_order_of_empty_graph_is_empty() -> None:
    assert Graph([], []).topological_order() == []


def test_generations_layer_the_graph(diamond: Graph) -> None:
    assert diamond.generations() == [
        ["model.z", "seed.s"],
        ["model.a"],
        ["model.b", "model.c"],
        ["model.d"],
    ]


def test_generations_place_a_node_after_its_deepest_parent() -> None:
    graph = Graph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    assert graph.generations() == [["a"], ["b"], ["c"]]


@pytest.mark.parametrize("method", ["topological_order", "generations"])
def test_cycle_raises_cycle_found_with_its_path(method: str) -> None:
    graph = Graph(
        ["model.x", "model.b", "model.a"], [("model.x", "model.a"), *chain("model.a", "model.b", "model.a")]
    )
    with pytest.raises(CycleFound) as caught:
        getattr(graph, method)()
    assert caught.value.cycle == ["model.a", "model.b", "model.a"]


def test_cycle_found_names_the_path_in_its_message() -> None:
    graph = Graph(["model.a", "model.b"], chain("model.a", "model.b", "model.a"))
    with pytest.raises(CycleFound, match=re.escape("model.a -> model.b -> model.a")):
        graph.topological_order()


@pytest.mark.parametrize("base", [ValueError, GraphError])
def test_cycle_found_is_a_value_error_and_a_graph_error(base: type[Exception]) -> None:
    assert issubclass(CycleFound, base)


def test_cycle_found_names_the_first_node() -> None:
    assert CycleFound(["model.a", "model.b", "model.a"]).node == "model.a"


# --- subgraph -----------------------------------------------------------------------------------


def test_subgraph_keeps_edges_between_kept_nodes(diamond: Graph) -> None:
    sub = diamond.subgraph(["model.a", "model.b", "model.d"])
    assert sub.nodes == frozenset({"model.a", "model.b", "model.d"})
    assert sub.edges == frozenset({("model.a", "model.b"), ("model.b", "model.d")})


def test_subgraph_does_not_bridge_removed_nodes(diamond: Graph) -> None:
    sub = diamond.subgraph(["seed.s", "model.d"])
    assert sub.ancestors("model.d") == set()


def test_subgraph_of_unknown_node_raises(diamond: Graph) -> None:
    with pytest.raises(ValueError, match="ghost"):
        diamond.subgraph(["model.a", "model.ghost"])


def test_subgraph_leaving_out_a_cycle_member_is_acyclic() -> None:
    graph = Graph(["a", "b", "c"], [*chain("a", "b", "c"), ("c", "a")])
    assert graph.subgraph(["a", "b"]).topological_order() == ["a", "b"]


# --- size and docs ------------------------------------------------------------------------------


def test_large_graph_orders_every_edge_and_answers_ancestry() -> None:
    # Sanity at the size we promise (5000 nodes, 15000 edges); speed is watched by hand, not asserted.
    ids, edges = random_dag(5000, 15000, seed=1)
    graph = Graph(ids, edges)
    order = graph.topological_order()
    position = {node: index for index, node in enumerate(order)}
    assert sorted(order) == ids
    assert all(position[parent] < position[child] for parent, child in edges)
    ancestry = {node: graph.ancestors(node) for node in ids}
    last = ids[-1]
    assert ancestry[last] == graph.ancestors(last, depth=len(ids))
    assert ancestry[ids[0]] == set()


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(elt.compile.graph)
    assert result.attempted > 0
    assert result.failed == 0


def _naive_additions(nodes: list[str], edges: list[tuple[str, str]], candidates: list[tuple[str, str]]):
    """acyclic_additions by brute force: try each candidate on the whole graph."""
    kept: list[tuple[str, str]] = []
    for candidate in candidates:
        current = set(edges) | set(kept)
        if candidate in current or Graph(nodes, [*current, candidate]).find_cycle() is not None:
            continue
        kept.append(candidate)
    return kept


def test_acyclic_additions_refuses_an_edge_that_closes_a_cycle_with_earlier_additions():
    # t1 reads a and b, t2 reads d and c; t1 -> c and t2 -> b are each fine, not both.
    g = Graph(["a", "b", "c", "d", "t1", "t2"],
              [("a", "c"), ("d", "b"), ("a", "t1"), ("b", "t1"), ("d", "t2"), ("c", "t2")])
    assert g.acyclic_additions([("t1", "c"), ("t2", "b")]) == [("t1", "c")]
    assert g.acyclic_additions([("t2", "b"), ("t1", "c")]) == [("t2", "b")]


def test_acyclic_additions_matches_brute_force_on_random_graphs():
    rng = random.Random(14)
    for _ in range(300):
        size = rng.randint(2, 9)
        nodes = [f"n{i}" for i in range(size)]
        edges = [(nodes[i], nodes[j]) for i in range(size) for j in range(i + 1, size) if rng.random() < 0.25]
        candidates = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(1, 12))]
        candidates = [(u, v) for u, v in candidates if u != v]
        assert Graph(nodes, edges).acyclic_additions(candidates) == _naive_additions(nodes, edges, candidates), \
            (edges, candidates)


def test_acyclic_additions_on_a_cyclic_graph_names_the_cycle():
    with pytest.raises(CycleFound):
        Graph(["a", "b"], [("a", "b"), ("b", "a")]).acyclic_additions([])
