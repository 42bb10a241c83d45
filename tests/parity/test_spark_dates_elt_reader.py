"""The Spark date functions of `corpus/spark_dates.yaml`, parsed as elt parses a model (elt's Hive reader,
which keeps Java date patterns as written, where test_parity_duckdb.py uses sqlglot's stock reader), return
the server's rows on DuckDB: dbt_date's `spark__` macros reach DuckDB this way.
"""

from __future__ import annotations

import canonical
import corpus
import pytest
import sqlglot

from elt.dialects import translate
from elt.dialects.hive_reader import HIVE

QUERIES = [q for q in corpus.load() if q.group == "spark_dates" and not q.refuse]
FIXTURES = corpus.load_fixtures()


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.key)
def test_elt_reader_returns_the_server_rows(query: corpus.Query, duckdb_conn) -> None:
    fixture = FIXTURES[query.key]
    assert fixture["sql"] == query.sql, f"fixture for {query.key} is stale: run scripts/capture-parity-fixtures"
    sql = translate(sqlglot.parse_one(query.sql, read=HIVE), "hive", "duckdb", path=f"{query.key}.sql")
    cursor = duckdb_conn.execute(sql)
    kinds = [canonical.kind(d[1]) for d in cursor.description]
    assert kinds == [canonical.kind(t) for _, t in fixture["columns"]], sql
    rows = [[canonical.canon(v) for v in row] for row in cursor.fetchall()]
    assert canonical.same_rows(fixture["rows"], rows, fixture["ordered"]), (
        f"rows differ\nexpected (server): {fixture['rows']}\nactual (DuckDB): {rows}\n{sql}"
    )
