"""Every corpus query, run through elt's DuckDB path, returns the rows the real Hive engine returned.

The path is the one `elt run` takes: parse with read='hive', `translate(..., 'hive', 'duckdb')`, run on a
connection with the Hive macros registered and TimeZone UTC. Queries marked `refuse:` must instead raise
`SqlError` naming the construct and its line.

Each query runs three ways, which must all return Hive's rows:
- `typed`: as translated by default, conversions written for the column types the query shows (the
  datasets are CTEs of literals, so most columns are typed);
- `untyped`: every column's conversion left to the `hive_*` macros, which dispatch at bind time (a
  query marked `untyped_raises` must raise that DuckDB error instead: integer overflow of a column of
  unknown width, loud where Hive wraps);
- `catalog`: the datasets are tables in the database, and the translation is given their column
  types from the catalog, as `elt run` gives it the types of the relations a model reads.
"""

from __future__ import annotations

from collections import Counter

import canonical
import corpus
import duckdb
import pytest
import sqlglot

from elt.dialects import translate
from elt.errors import SqlError

QUERIES = corpus.load()
FIXTURES = corpus.load_fixtures()


def _fixture(query: corpus.Query) -> dict:
    fixture = FIXTURES.get(query.key)
    assert fixture is not None, f"no fixture for {query.key}: run scripts/capture-parity-fixtures"
    assert fixture["sql"] == query.sql, f"fixture for {query.key} is stale: run scripts/capture-parity-fixtures"
    return fixture


@pytest.fixture(scope="module")
def dataset_tables(duckdb_conn) -> dict[str, dict[str, str]]:
    """The shared datasets as tables `ds.<name>`; returns their column types, as the catalog has them."""
    duckdb_conn.execute("CREATE SCHEMA IF NOT EXISTS ds")
    for name, sql in corpus.datasets().items():
        query = translate(sqlglot.parse_one(sql, read="hive"), "hive", "duckdb")
        duckdb_conn.execute(f"CREATE OR REPLACE TABLE ds.{name} AS {query}")
    rows = duckdb_conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'ds'"
    ).fetchall()
    types: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        types.setdefault(f"ds.{table}", {})[column] = data_type
    return types


def _reading_tables(query: corpus.Query) -> sqlglot.exp.Expression:
    """The query as written, its datasets read from the `ds` tables instead of CTEs."""
    tree = sqlglot.parse_one(query.body, read="hive")
    own_ctes = {cte.alias_or_name for cte in tree.find_all(sqlglot.exp.CTE)}
    for table in tree.find_all(sqlglot.exp.Table):
        if table.name in query.uses and not table.args.get("db") and table.name not in own_ctes:
            table.set("db", sqlglot.exp.to_identifier("ds"))
    return tree


@pytest.mark.parametrize("mode", ["typed", "untyped", "catalog"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.key)
def test_duckdb_returns_hive_rows(query: corpus.Query, mode: str, duckdb_conn, dataset_tables,
                                  parity_record: dict[str, Counter]) -> None:
    outcomes = parity_record.setdefault("duckdb", Counter()) if mode == "typed" else Counter()
    fixture = _fixture(query)
    tree = _reading_tables(query) if mode == "catalog" else sqlglot.parse_one(query.sql, read="hive")
    how = {"column_types": mode != "untyped", "relations": dataset_tables if mode == "catalog" else None}
    if query.refuse:
        with pytest.raises(SqlError) as info:
            translate(tree, "hive", "duckdb", path=f"{query.key}.sql", **how)
        assert query.refuse in info.value.message
        assert info.value.line is not None and info.value.hint
        outcomes["refused"] += 1
        return
    outcomes["different"] += 1  # until proven identical
    sql = translate(tree, "hive", "duckdb", path=f"{query.key}.sql", **how)
    if mode == "untyped" and query.untyped_raises:  # loud, never a silently different answer
        with pytest.raises(duckdb.Error, match=query.untyped_raises):
            duckdb_conn.execute(sql).fetchall()
        outcomes["different"] -= 1
        return
    cursor = duckdb_conn.execute(sql)
    kinds = [canonical.kind(d[1]) for d in cursor.description]
    rows = [[canonical.canon(v) for v in row] for row in cursor.fetchall()]
    expected_kinds = [canonical.kind(t) for _, t in fixture["columns"]]
    assert len(kinds) == len(expected_kinds), f"columns differ\n{sql}"
    if query.hive_columns is not None:  # the fixture has Spark's names (tests/parity/README.md)
        assert tuple(d[0] for d in cursor.description) == query.hive_columns, sql
    for got, want in zip(kinds, expected_kinds, strict=True):
        assert got is None or want is None or got == want, f"column kinds {kinds} != {expected_kinds}\n{sql}"
    assert canonical.same_rows(fixture["rows"], rows, fixture["ordered"]), (
        f"rows differ\nexpected (Hive): {fixture['rows']}\nactual (DuckDB): {rows}\n{sql}"
    )
    outcomes["different"] -= 1
    outcomes["identical"] += 1
