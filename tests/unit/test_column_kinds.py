"""elt.dialects.column_kinds: a column reference is typed only where its type is certain."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from elt.dialects.column_kinds import annotate_column_kinds
from elt.dialects.hive_types import engine_kind, static_type

CATALOG = {
    "raw.orders": {"id": "INTEGER", "amount": "DECIMAL(10,2)", "status": "VARCHAR", "ts": "TIMESTAMP"},
    "raw.people": {"id": "BIGINT", "name": "VARCHAR", "score": "DOUBLE"},
}


def kinds(sql: str, relations: dict | None = CATALOG) -> list[tuple[str, str | None]]:
    """(column as written, kind) for each column reference, in source order."""
    tree = sqlglot.parse_one(sql, read="hive")
    annotate_column_kinds(tree, relations)
    columns = [c for c in tree.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
    columns.sort(key=lambda c: c.this.meta.get("start", 0))
    return [(c.sql("hive"), static_type(c)) for c in columns]


def test_columns_of_catalog_tables_take_their_kinds():
    assert kinds("SELECT id, amount, o.status, ts FROM raw.orders o") == [
        ("id", "INT"), ("amount", "DECIMAL"), ("o.status", "VARCHAR"), ("ts", "TIMESTAMP")]


def test_names_are_case_insensitive():
    assert kinds("SELECT ID, O.Status FROM RAW.Orders o") == [("ID", "INT"), ("O.Status", "VARCHAR")]


def test_a_name_two_sources_have_is_not_typed():
    assert kinds("SELECT id, name, o.id FROM raw.orders o JOIN raw.people p ON o.id = p.id") == [
        ("id", None), ("name", "VARCHAR"), ("o.id", "INT"), ("o.id", "INT"), ("p.id", "INT")]


def test_a_source_of_unknown_columns_leaves_unqualified_names_untyped():
    assert kinds("SELECT status, x.a FROM raw.orders JOIN other.t x ON true") == [("status", None), ("x.a", None)]
    assert kinds("SELECT id FROM raw.orders", relations=None) == [("id", None)]


def test_a_select_alias_outside_the_select_list_is_not_typed():
    sql = "SELECT CAST(id AS STRING) AS id, status FROM raw.orders ORDER BY id, status"
    assert kinds(sql) == [("id", "INT"), ("status", "VARCHAR"), ("id", None), ("status", "VARCHAR")]


def test_lateral_views_and_using_joins_leave_unqualified_names_untyped():
    assert kinds("SELECT status, o.id FROM raw.orders o LATERAL VIEW explode(array(1)) t AS item") == [
        ("status", None), ("o.id", "INT")]
    assert kinds("SELECT id, name FROM raw.orders JOIN raw.people USING (id)") == [("id", None), ("name", None)]


def test_struct_fields_and_outer_columns_are_not_typed():
    assert kinds("SELECT s.f, o.s.f FROM raw.orders o") == [("s.f", None), ("o.s.f", None)]
    sql = "SELECT id FROM raw.orders o WHERE EXISTS (SELECT 1 FROM raw.people p WHERE p.name = status)"
    assert kinds(sql) == [("id", "INT"), ("p.name", "VARCHAR"), ("status", None)]


def test_kinds_flow_through_ctes_subqueries_and_stars():
    sql = """
        WITH src AS (SELECT * FROM raw.orders),
             typed AS (SELECT CAST(id AS STRING) AS id, amount, row_number() OVER (ORDER BY ts) AS rn,
                              count(*) AS n, max(status) AS top, sum(amount) AS total FROM src GROUP BY id, amount, ts)
        SELECT id, amount, rn, n, top, total FROM (SELECT * FROM typed) t
    """
    assert [k for c, k in kinds(sql) if c in ("id", "amount", "rn", "n", "top", "total")][-6:] == [
        "VARCHAR", "DECIMAL", "INT", "INT", "VARCHAR", "DECIMAL"]


def test_union_branches_must_agree():
    sql = """
        WITH u AS (SELECT 1 AS a, 'x' AS b, 1 AS c UNION ALL SELECT NULL, 'y', 2.5)
        SELECT a, b, c FROM u
    """
    assert kinds(sql) == [("a", "INT"), ("b", "VARCHAR"), ("c", None)]


def test_engine_kinds_follow_the_macros():
    assert [engine_kind(t) for t in ("INTEGER", "HUGEINT", "UBIGINT", "DECIMAL(38,2)", "TIMESTAMP",
                                     "TIMESTAMP WITH TIME ZONE", "INTEGER[]", "varchar")] == [
        "INT", "INT", "INT", "DECIMAL", "TIMESTAMP", None, None, "VARCHAR"]


def test_the_translation_uses_the_kinds():
    from elt.dialects import translate

    sql = "SELECT CAST(id AS INT) AS i, CAST(status AS STRING) AS s FROM raw.orders WHERE id = 1"
    typed = translate(sqlglot.parse_one(sql, read="hive"), "hive", "duckdb", relations=CATALOG)
    untyped = translate(sqlglot.parse_one(sql, read="hive"), "hive", "duckdb")
    assert "HIVE_INTEGRAL" not in typed.upper() and "HIVE_CMP_EQ" not in typed.upper()
    assert "HIVE_INTEGRAL" in untyped.upper() and "HIVE_CMP_EQ" in untyped.upper()
