"""elt.state.categories: the category of one model's change, from its two queries."""

from __future__ import annotations

import pytest

from elt.state.categories import ALL, BREAKING, METADATA_ONLY, NON_BREAKING, canonical, classify, parse, shape

SCHEMA = {"raw": {"t": {"a": "int", "b": "int", "c": "int"}, "u": {"a": "int", "d": "int"}}}
BASE = """
with s as (select * from raw.t),
v as (select a, b, row_number() over (partition by a order by b) as rn from s)
select v.a, v.b, x.d
from v join (select a, d from raw.u where d > 1) x on v.a = x.a
where rn = 1
"""


def change(new: str, old: str = BASE):
    before, after = parse(old, "hive"), parse(new, "hive")
    return classify(shape(before, SCHEMA, "hive"), shape(after, SCHEMA, "hive"),
                    canonical(before, "hive") == canonical(after, "hive"))


def test_reformatting_and_comments_are_metadata_only():
    found = change(BASE.replace("select v.a", "-- the rows\nSELECT   v.a").replace("\n", "\n\n"))
    assert found.category == METADATA_ONLY and not found.changed and not found.rows


@pytest.mark.parametrize("new, added", [
    (BASE.replace("x.d\n", "x.d, v.a + 1 as a2\n"), ["a2"]),
    # the column is added in the CTE too, and read through it
    (BASE.replace("select a, b, row", "select a, b, c, row").replace("x.d\n", "x.d, v.c\n"), ["c"]),
    ("select * from raw.t", ["c"]),  # SELECT * over a table with one more column than the old list
], ids=["outer", "through-cte", "star"])
def test_added_columns_are_non_breaking(new, added):
    found = change(new, BASE if new.startswith("\n") else "select a, b from raw.t")
    assert (found.category, found.added, found.rows) == (NON_BREAKING, added, False)


@pytest.mark.parametrize("new, clause", [
    (BASE.replace("d > 1", "d > 2"), "WHERE in cte x changed"),
    (BASE.replace("order by b", "order by b desc"), "column rn in cte v changed"),  # read by the outer WHERE
    (BASE.replace("join (", "left join ("), "JOIN changed"),
    (BASE.replace("select v.a", "select distinct v.a"), "DISTINCT changed"),
], ids=["filter-in-subquery", "window-read-by-filter", "join", "distinct"])
def test_row_set_changes_are_breaking(new, clause):
    found = change(new)
    assert found.category == BREAKING and found.rows and found.changed == {ALL}
    assert clause in found.reasons


def test_a_changed_expression_is_breaking_for_that_column_only():
    found = change(BASE.replace("select v.a, v.b,", "select v.a, v.b * 2 as b,"))
    assert (found.category, found.changed, found.rows) == (BREAKING, {"b"}, False)
    assert found.reasons == ["column b: expression changed"]


def test_a_removed_column_is_breaking():
    found = change(BASE.replace("select v.a, v.b,", "select v.a,"))
    assert (found.category, found.changed, found.rows) == (BREAKING, {"b"}, False)


@pytest.mark.parametrize("old, new", [
    ("select a, b from raw.t", "select a, b, explode(array(1, 2)) as e from raw.t"),
    ("select distinct a from raw.t", "select distinct a, b from raw.t"),
    ("select a, count(*) as n from raw.t group by 1", "select b, a, count(*) as n from raw.t group by 1"),
], ids=["udtf", "distinct", "positional-group-by"])
def test_an_added_column_that_changes_rows_is_breaking(old, new):
    found = change(new, old)
    assert found.category == BREAKING and found.rows


def test_the_shape_says_which_parent_columns_each_output_and_the_rows_read():
    found = shape(parse(BASE, "hive"), SCHEMA, "hive")
    assert found.column_reads == {"a": {("raw.t", "a")}, "b": {("raw.t", "b")}, "d": {("raw.u", "d")}}
    # the join key, the filter in the subquery, and the window's columns that the outer WHERE reads
    assert found.row_reads == {("raw.t", "a"), ("raw.t", "b"), ("raw.u", "a"), ("raw.u", "d")}
    assert found.parents == {"raw.t", "raw.u"}


def test_a_query_that_cannot_be_qualified_is_breaking_everywhere():
    before = shape(parse("select a from raw.t", "hive"), SCHEMA, "hive")
    after = before.__class__(opaque="cannot qualify")
    found = classify(before, after, False)
    assert found.category == BREAKING and found.rows and found.changed == {ALL}


def test_a_query_over_relations_of_unknown_columns_is_analysed_all_the_same():
    # no parent's columns known: sqlglot is given no schema, and the columns are the query's own
    found = shape(parse("select id, score from __elt.__ref__x where score > 1", "hive"), {"__elt": {}}, "hive")
    assert found.opaque is None and list(found.columns) == ["id", "score"]
    assert found.row_reads == {("__elt.__ref__x", "score")}
