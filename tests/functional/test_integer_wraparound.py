"""Integer arithmetic on the columns of upstream models wraps around at the width of their Hive type, as
Hive's does (two's complement): elt knows the types from the catalog, and integer functions such as
month() and length() are stored as Hive's INT, not DuckDB's BIGINT. The expected values are Hive's (checked
on the Spark Thrift Server with the same data)."""

from __future__ import annotations

WRAPPING = {
    "seeds/things.csv": "id,n,day,label\n1,2000000000,2024-12-01,abcdef\n2,-2147483648,2024-01-31,\n",
    "seeds/seeds.yml": "seeds:\n  - name: things\n    config:\n      column_types: {n: int}\n",
    "models/staging/stg_things.sql": """\
        select id, n, month(day) as mon, length(label) as len, cast(n as bigint) * 4 as big
        from {{ ref('things') }}
    """,
    "models/marts/wrapped.sql": """\
        {{ config(materialized='table') }}
        select id, n * 3 as a, n + n as b, -n as c, mon * 1000000000 as d, len * 1000000000 as e,
               big * 4611686018427387904 as f
        from {{ ref('stg_things') }}
    """,
}


def test_arithmetic_on_upstream_int_columns_wraps_as_in_hive(project):
    proj = project(WRAPPING)
    assert proj.elt("seed").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    types = dict(proj.query(
        "select column_name, data_type from information_schema.columns where table_name = 'stg_things'"))
    assert (types["n"], types["mon"], types["len"], types["big"]) == ("INTEGER", "INTEGER", "INTEGER", "BIGINT")
    rows = proj.query("select id, a, b, c, d, e, f from gold.wrapped order by id")
    assert rows == [
        (1, 1705032704, -294967296, -2000000000, -884901888, 1705032704, 0),
        (2, -2147483648, 0, -2147483648, 1000000000, None, 0),
    ]
