"""elt.state's pure parts: the tree checksum, the macros a text calls, `state:` selectors."""

from __future__ import annotations

import pytest
import sqlglot

from elt.compile.canonical import canonical_sql, tree_checksum
from elt.compile.graph import Graph
from elt.dialects.hive_reader import reader
from elt.errors import ProjectError
from elt.nodes import Node
from elt.run.selection import select_nodes
from elt.state import StateChanges
from elt.state.fingerprint import MacroIndex

NAMES = {"dev.stg": "__ref__stg", "prod.stg": "__ref__stg"}


def _sum(sql: str) -> str:
    return tree_checksum(sqlglot.parse_one(sql, read=reader("hive")), NAMES)


def test_layout_comments_and_keyword_case_leave_the_checksum():
    plain = _sum("select a, b from dev.stg where a > 1")
    assert _sum("SELECT a,\n  -- why\n  b /* c */\nFROM dev.stg\nWHERE a   >   1") == plain


def test_the_relations_of_nodes_count_by_name_not_by_schema():
    assert _sum("select a from dev.stg") == _sum("select a from prod.stg")
    assert _sum("select a from dev.stg") != _sum("select a from dev.other")


@pytest.mark.parametrize("changed", [
    "select a, b from dev.stg where a > 2",      # a filter
    "select a from dev.stg where a > 1",         # a column
    "select a, b from dev.stg where a >= 1",     # an operator
    "select a, 'b' from dev.stg where a > 1",    # a literal for a name
])
def test_a_change_of_the_tree_changes_the_checksum(changed):
    assert _sum(changed) != _sum("select a, b from dev.stg where a > 1")


def test_the_tree_is_left_as_it_was():
    query = sqlglot.parse_one("select a from dev.stg -- note", read=reader("hive"))
    before = query.sql(dialect=reader("hive"))
    tree_checksum(query, NAMES)
    assert canonical_sql(query, "hive", NAMES) == "SELECT a FROM __ref__stg"
    assert query.sql(dialect=reader("hive")) == before


def test_macros_called_directly_and_through_other_macros():
    index = MacroIndex([("macros/m.sql", "{% macro outer(x) %}{{ inner(x) }}{% endmacro %}\n"
                                         "{% macro inner(x) %}({{ x }}){% endmacro %}\n"
                                         "{% macro unused() %}1{% endmacro %}")])
    assert sorted(index.called("select {{ outer('a') }} as inner from t")) == ["inner", "outer"]
    assert index.called("select inner from t") == {}  # a column of a macro's name is no call


NODES = {uid: Node(uid, uid.split(".")[1], "model", f"models/{uid}.sql") for uid in ("model.a", "model.b", "model.c")}
GRAPH = Graph(NODES, [("model.a", "model.b"), ("model.b", "model.c")])
CHANGES = StateChanges(new=frozenset({"model.c"}), old=frozenset({"model.a", "model.b"}),
                       modified={"model.a": frozenset({"body"})})


@pytest.mark.parametrize(("selector", "expected"), [
    ("state:new", {"model.c"}),
    ("state:modified", {"model.a", "model.c"}),
    ("state:modified.body", {"model.a"}),
    ("state:modified.configs", set()),
    ("state:modified.body+", {"model.a", "model.b", "model.c"}),
    ("state:modified.body+,state:old", {"model.a", "model.b"}),
    ("state:unmodified", {"model.b"}),
])
def test_state_selectors(selector, expected):
    assert select_nodes(GRAPH, NODES, [selector], state=CHANGES) == expected


def test_a_state_selector_without_a_state_is_an_error():
    with pytest.raises(ProjectError, match="no --state was given"):
        select_nodes(GRAPH, NODES, ["state:modified"])
    with pytest.raises(ProjectError, match="unknown state 'changed'"):
        select_nodes(GRAPH, NODES, ["state:changed"], state=CHANGES)
