"""Unit tests for elt.run.selection: every selector form, unions, intersections, exclude, errors."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

import elt.run.selection
from elt.compile.graph import Graph
from elt.errors import ProjectError
from elt.nodes import Node
from elt.run.selection import select_nodes, unmatched_selectors


def model(name: str, folder: str, parents: list[str], **config: Any) -> Node:
    return Node(
        unique_id=f"model.{name}",
        name=name,
        resource_type="model",
        path=f"models/{folder}/{name}.sql",
        config=config,
        fqn=(*folder.split("/"), name),
        depends_on=parents,
    )


def seed(name: str) -> Node:
    return Node(f"seed.{name}", name, "seed", f"seeds/{name}.csv", fqn=(name,))


def source(source_name: str, table: str, path: str) -> Node:
    return Node(f"source.{source_name}.{table}", table, "source", path, source_name=source_name)


#   seed.students ──> stg_students ──┐
#   source.raw.orders ──> stg_orders ─┴─> int_enriched ──┬─> mart_summary
#   seed.courses ──> stg_courses ────────────────────────┘   └ (int_enriched) ─> mart_other
#   source.raw.customers ──> legacy            source.crm.accounts (alone)
NODE_LIST = [
    seed("students"),
    seed("courses"),
    source("raw", "orders", "models/staging/_sources.yml"),
    source("raw", "customers", "models/staging/_sources.yml"),
    source("crm", "accounts", "models/crm/_sources.yml"),
    model("stg_students", "staging", ["seed.students"], materialized="view", tags=["daily"]),
    model("stg_orders", "staging", ["source.raw.orders"], materialized="view", tags=["daily", "nightly"]),
    model("stg_courses", "staging", ["seed.courses"]),
    model(
        "int_enriched",
        "intermediate",
        ["model.stg_students", "model.stg_orders"],
        materialized="table",
        tags=["nightly"],
        partition_by=["term", "year"],
        buckets=8,
    ),
    model(
        "mart_summary",
        "marts",
        ["model.int_enriched", "model.stg_courses"],
        materialized="table",
        tags=["gold", "nightly"],
    ),
    model(
        "mart_other",
        "marts/finance",
        ["model.int_enriched"],
        materialized="ephemeral",
        tags=["gold"],
        enabled=True,
    ),
    model("legacy", "staging_old", ["source.raw.customers"]),
]
NODES = {node.unique_id: node for node in NODE_LIST}
GRAPH = Graph(NODES, [(parent, node.unique_id) for node in NODE_LIST for parent in node.depends_on])
ALL = set(NODES)
MODELS = {uid for uid in NODES if uid.startswith("model.")}
SEEDS = {"seed.students", "seed.courses"}
SOURCES = {"source.raw.orders", "source.raw.customers", "source.crm.accounts"}


def select(*select: str, **kwargs: Any) -> set[str]:
    return select_nodes(GRAPH, NODES, list(select), **kwargs)


def m(*names: str) -> set[str]:
    """Model ids for names."""
    return {f"model.{name}" for name in names}


# --- everything, and resource types ---------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, [], [""], ["  "]])
def test_no_selector_selects_every_node(empty: list[str] | None) -> None:
    assert select_nodes(GRAPH, NODES, empty) == ALL


@pytest.mark.parametrize(
    ("resource_types", "expected"),
    [({"model"}, MODELS), ({"seed"}, SEEDS), ({"source"}, SOURCES), ({"model", "seed"}, MODELS | SEEDS)],
)
def test_resource_types_filter_every_node(resource_types: set[str], expected: set[str]) -> None:
    assert select_nodes(GRAPH, NODES, resource_types=resource_types) == expected


def test_resource_types_filter_after_graph_operators() -> None:
    # +mart_summary reaches seeds and sources, which `run` then leaves out.
    assert select("+mart_summary", resource_types={"model"}) == m(
        "mart_summary", "int_enriched", "stg_students", "stg_orders", "stg_courses"
    )


def test_graph_operators_traverse_other_types() -> None:
    # From a seed, through models: `elt run -s students+` builds what reads the seed.
    assert select("students+", resource_types={"model"}) == m(
        "stg_students", "int_enriched", "mart_summary", "mart_other"
    )


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("stg_orders", {"model.stg_orders"}),
        ("students", {"seed.students"}),
        ("stg_*", m("stg_students", "stg_orders", "stg_courses")),
        ("*_summary", {"model.mart_summary"}),
        ("stg_?????s", m("stg_orders")),
        ("mart_[os]*", m("mart_other", "mart_summary")),
    ],
)
def test_name_selects_models_and_seeds(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


def test_plain_name_does_not_select_sources() -> None:
    # The source table is named `orders`; sources are selected with `source:`.
    assert select("orders") == set()


def test_name_match_is_whole_name() -> None:
    assert select("stg") == set()


def test_name_match_is_case_sensitive() -> None:
    assert select("STG_ORDERS") == set()


# --- graph operators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (
            "+int_enriched",
            m("int_enriched", "stg_students", "stg_orders") | {"seed.students", "source.raw.orders"},
        ),
        ("int_enriched+", m("int_enriched", "mart_summary", "mart_other")),
        (
            "+int_enriched+",
            m("int_enriched", "stg_students", "stg_orders", "mart_summary", "mart_other")
            | {"seed.students", "source.raw.orders"},
        ),
        ("1+int_enriched", m("int_enriched", "stg_students", "stg_orders")),
        (
            "2+mart_summary",
            m("mart_summary", "int_enriched", "stg_courses", "stg_students", "stg_orders") | {"seed.courses"},
        ),
        ("stg_students+1", m("stg_students", "int_enriched")),
        ("stg_students+2", m("stg_students", "int_enriched", "mart_summary", "mart_other")),
        ("1+int_enriched+1", m("int_enriched", "stg_students", "stg_orders", "mart_summary", "mart_other")),
        ("0+int_enriched", m("int_enriched")),
        ("+students", {"seed.students"}),
        ("mart_summary+", m("mart_summary")),
    ],
)
def test_graph_operators(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


def test_at_adds_descendants_and_their_ancestors() -> None:
    assert select("@stg_students") == (
        m("stg_students", "int_enriched", "mart_summary", "mart_other", "stg_orders", "stg_courses")
        | {"seed.students", "source.raw.orders", "seed.courses"}
    )


def test_at_on_a_leaf_adds_its_ancestors() -> None:
    assert select("@mart_other") == (
        m("mart_other", "int_enriched", "stg_students", "stg_orders") | {"seed.students", "source.raw.orders"}
    )


def test_at_with_trailing_plus_is_the_same_as_at() -> None:
    assert select("@stg_students+") == select("@stg_students")


def test_graph_operators_apply_to_every_match_of_a_wildcard() -> None:
    assert select("stg_*+1") == m("stg_students", "stg_orders", "stg_courses", "int_enriched", "mart_summary")


def test_graph_operators_apply_to_methods() -> None:
    assert select("+tag:gold", resource_types={"seed", "source"}) == {
        "seed.students",
        "seed.courses",
        "source.raw.orders",
    }


def test_graph_operators_on_a_cyclic_graph_terminate() -> None:
    nodes = {"model.a": model("a", "x", ["model.b"]), "model.b": model("b", "x", ["model.a"])}
    graph = Graph(nodes, [("model.a", "model.b"), ("model.b", "model.a")])
    assert select_nodes(graph, nodes, ["+a+"]) == {"model.a", "model.b"}


# --- methods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tag:daily", m("stg_students", "stg_orders")),
        ("tag:nightly", m("stg_orders", "int_enriched", "mart_summary")),
        ("tag:night*", m("stg_orders", "int_enriched", "mart_summary")),
        ("tag:gold+", m("mart_summary", "mart_other")),
        ("tag:nope", set()),
    ],
)
def test_tag(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


@pytest.mark.parametrize(
    "selector",
    ["path:models/staging", "path:models/staging/", "path:./models/staging", "path:models\\staging"],
)
def test_path_selects_a_folder_however_written(selector: str) -> None:
    # Sources count as under the folder of the yml that declares them, as in dbt.
    assert select(selector) == m("stg_students", "stg_orders", "stg_courses") | {
        "source.raw.orders",
        "source.raw.customers",
    }


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("path:models/marts", m("mart_summary", "mart_other")),
        ("path:models/marts/finance", m("mart_other")),
        ("path:models/marts/mart_summary.sql", m("mart_summary")),
        ("path:models/marts/mart_summ", set()),
        ("path:seeds", SEEDS),
        ("path:models/*/mart_*.sql", m("mart_summary", "mart_other")),
        ("path:models/intermediate+", m("int_enriched", "mart_summary", "mart_other")),
    ],
)
def test_path(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


def test_path_does_not_match_a_sibling_folder_with_the_same_prefix() -> None:
    assert "model.legacy" not in select("path:models/staging")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("config.materialized:table", m("int_enriched", "mart_summary")),
        ("config.materialized:ephemeral", m("mart_other")),
        # No explicit materialized: a model is a view, a seed a seed, as Node.materialized says.
        ("config.materialized:view", m("stg_students", "stg_orders", "stg_courses", "legacy")),
        ("config.materialized:seed", SEEDS),
        ("config.partition_by:year", m("int_enriched")),
        ("config.tags:daily", m("stg_students", "stg_orders")),
        ("config.buckets:8", m("int_enriched")),
        ("config.enabled:true", m("mart_other")),
        ("config.enabled:True", m("mart_other")),
        ("config.materialized:t*", m("int_enriched", "mart_summary")),
        ("config.unknown_key:x", set()),
    ],
)
def test_config(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("resource_type:seed", SEEDS),
        ("resource_type:source", SOURCES),
        ("resource_type:model", MODELS),
    ],
)
def test_resource_type(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("source:raw", {"source.raw.orders", "source.raw.customers"}),
        ("source:raw.orders", {"source.raw.orders"}),
        ("source:raw.*", {"source.raw.orders", "source.raw.customers"}),
        ("source:*.accounts", {"source.crm.accounts"}),
        ("source:crm.orders", set()),
        ("source:students", set()),
        (
            "source:raw.orders+",
            {"source.raw.orders"} | m("stg_orders", "int_enriched", "mart_summary", "mart_other"),
        ),
    ],
)
def test_source(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


def test_source_without_source_name_falls_back_to_the_unique_id() -> None:
    node = Node("source.raw.orders", "orders", "source", "models/_sources.yml")
    nodes = {node.unique_id: node}
    assert select_nodes(Graph(nodes, []), nodes, ["source:raw"]) == {"source.raw.orders"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("fqn:staging.stg_orders", m("stg_orders")),
        ("fqn:staging", m("stg_students", "stg_orders", "stg_courses")),
        ("fqn:marts.finance", m("mart_other")),
        ("fqn:stg_orders", m("stg_orders")),
        ("fqn:marts.stg_orders", set()),
        ("fqn:staging.stg_orders.extra", set()),
        ("fqn:staging.*", m("stg_students", "stg_orders", "stg_courses")),
    ],
)
def test_fqn(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


# --- unions and intersections ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [["stg_orders stg_courses"], ["stg_orders", "stg_courses"], ["  stg_orders\tstg_courses "]],
)
def test_spaces_and_repeated_arguments_unite(arguments: list[str]) -> None:
    assert select_nodes(GRAPH, NODES, arguments) == m("stg_orders", "stg_courses")


def test_a_bare_string_is_one_argument() -> None:
    assert select_nodes(GRAPH, NODES, "stg_orders stg_courses") == m("stg_orders", "stg_courses")


def test_union_of_overlapping_selectors_counts_each_node_once() -> None:
    assert select("tag:daily tag:nightly") == m("stg_students", "stg_orders", "int_enriched", "mart_summary")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tag:nightly,config.materialized:table", m("int_enriched", "mart_summary")),
        ("tag:gold,path:models/marts/finance", m("mart_other")),
        ("+mart_summary,resource_type:seed", SEEDS),
        ("tag:daily,tag:nightly", m("stg_orders")),
        ("tag:daily,tag:gold", set()),
        ("stg_*,tag:daily,config.materialized:view", m("stg_students", "stg_orders")),
    ],
)
def test_comma_intersects(selector: str, expected: set[str]) -> None:
    assert select(selector) == expected


# --- exclude --------------------------------------------------------------------------------------


def test_exclude_alone_removes_from_every_node() -> None:
    assert select_nodes(GRAPH, NODES, exclude=["tag:gold"]) == ALL - m("mart_summary", "mart_other")


def test_exclude_removes_from_the_selection() -> None:
    assert select("+int_enriched", exclude=["resource_type:source"]) == (
        m("int_enriched", "stg_students", "stg_orders") | {"seed.students"}
    )


def test_exclude_accepts_graph_operators() -> None:
    assert select("stg_students+", exclude=["int_enriched+"]) == m("stg_students")


def test_exclude_accepts_several_selectors() -> None:
    assert select("stg_*", exclude=["stg_orders", "stg_courses"]) == m("stg_students")


def test_exclude_wins_over_select() -> None:
    assert select("stg_orders", exclude=["stg_orders"]) == set()


def test_exclude_matching_nothing_changes_nothing() -> None:
    assert select("stg_orders", exclude=["nothing_here"]) == m("stg_orders")


# --- unmatched selectors --------------------------------------------------------------------------


def test_unmatched_selectors_name_each_selector_that_matches_nothing() -> None:
    found = unmatched_selectors(GRAPH, NODES, ["stg_orders ghost", "tag:daily,tag:gold", "tag:nope"])
    assert found == ["ghost", "tag:daily,tag:gold", "tag:nope"]


def test_unmatched_selectors_name_a_repeated_selector_once() -> None:
    assert unmatched_selectors(GRAPH, NODES, ["ghost", "ghost"]) == ["ghost"]


@pytest.mark.parametrize("selectors", [None, [], ["stg_orders +tag:gold"]])
def test_unmatched_selectors_empty_when_all_match(selectors: list[str] | None) -> None:
    assert unmatched_selectors(GRAPH, NODES, selectors) == []


def test_unmatched_selectors_can_count_only_some_resource_types() -> None:
    # `elt seed -s stg_orders`: the model exists, but there is no seed to load.
    assert unmatched_selectors(GRAPH, NODES, ["stg_orders", "students"], resource_types={"seed"}) == [
        "stg_orders"
    ]


def test_selection_of_unmatched_selector_keeps_the_matches() -> None:
    assert select("ghost stg_orders") == m("stg_orders")


# --- malformed selectors --------------------------------------------------------------------------

MALFORMED = [
    "config.:x",
    "config.materialized:",
    "config.a.b:x",
    "config.a-b:x",
    "tag:",
    "path:",
    "path:/",
    "foo:bar",
    "name:stg_orders",
    ":stg_orders",
    "3+",
    "+",
    "@",
    "@+stg_orders",
    "a,,b",
    "stg_orders,",
    ",stg_orders",
    "models/staging",
    "staging.stg_orders",
    "a+b",
    "++stg_orders",
    "stg_orders++",
    "resource_type:exposure",
    "source:",
    "source:a.b.c",
    "source:.orders",
    "source:raw.",
    "fqn:staging..stg_orders",
]


@pytest.mark.parametrize("bad", MALFORMED)
def test_malformed_selector_raises_naming_it(bad: str) -> None:
    with pytest.raises(ProjectError) as caught:
        select(bad)
    assert repr(bad) in caught.value.message


@pytest.mark.parametrize("bad", MALFORMED)
def test_malformed_selector_hint_lists_the_forms(bad: str) -> None:
    with pytest.raises(ProjectError) as caught:
        select(bad)
    assert caught.value.hint is not None
    assert "tag:x" in caught.value.hint
    assert "config.<key>:<value>" in caught.value.hint


@pytest.mark.parametrize("bad", ["3+", "+", "@"])
def test_operators_without_a_name_say_so(bad: str) -> None:
    with pytest.raises(ProjectError, match="no name"):
        select(bad)


def test_malformed_exclude_raises() -> None:
    with pytest.raises(ProjectError, match="tag:"):
        select("stg_orders", exclude=["tag:"])


def test_malformed_selector_raises_even_after_valid_ones() -> None:
    with pytest.raises(ProjectError, match="foo:bar"):
        select_nodes(GRAPH, NODES, ["stg_orders", "ghost foo:bar"])


def test_malformed_selector_raises_on_an_empty_graph() -> None:
    with pytest.raises(ProjectError, match="3\\+"):
        select_nodes(Graph([], []), {}, ["3+"])


def test_unmatched_selectors_raise_on_malformed() -> None:
    with pytest.raises(ProjectError, match="foo:bar"):
        unmatched_selectors(GRAPH, NODES, ["foo:bar"])


@pytest.mark.parametrize(
    "selector",
    [
        "stg-orders",
        "a1",
        "1a",
        "9+stg_orders",
        "stg_orders+12",
        "@stg_*",
        "+path:models/staging+1",
        "config.enabled:false",
    ],
)
def test_well_formed_selectors_do_not_raise(selector: str) -> None:
    select(selector)


def test_graph_node_without_a_node_raises() -> None:
    with pytest.raises(ValueError, match="ghost"):
        select_nodes(Graph(["model.ghost"], []), {}, ["tag:x"])


def test_nodes_outside_the_graph_are_never_selected() -> None:
    extra = {**NODES, "model.orphan": model("orphan", "staging", [])}
    assert select_nodes(GRAPH, extra, ["stg_*"]) == m("stg_students", "stg_orders", "stg_courses")


# --- docs -----------------------------------------------------------------------------------------


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(elt.run.selection)
    assert result.attempted > 0
    assert result.failed == 0
