"""Every corpus query, run through elt's DuckDB path, returns the rows the real Hive engine returned.

The path is the one `elt run` takes: parse with read='hive', `translate(..., 'hive', 'duckdb')`, run on a
connection with the Hive macros registered and TimeZone UTC. Queries marked `refuse:` must instead raise
`SqlError` naming the construct and its line.
"""

from __future__ import annotations

from collections import Counter

import canonical
import corpus
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


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.key)
def test_duckdb_returns_hive_rows(query: corpus.Query, duckdb_conn, parity_record: dict[str, Counter]) -> None:
    outcomes = parity_record.setdefault("duckdb", Counter())
    fixture = _fixture(query)
    tree = sqlglot.parse_one(query.sql, read="hive")
    if query.refuse:
        with pytest.raises(SqlError) as info:
            translate(tree, "hive", "duckdb", path=f"{query.key}.sql")
        assert query.refuse in info.value.message
        assert info.value.line is not None and info.value.hint
        outcomes["refused"] += 1
        return
    outcomes["different"] += 1  # until proven identical
    sql = translate(tree, "hive", "duckdb", path=f"{query.key}.sql")
    cursor = duckdb_conn.execute(sql)
    kinds = [canonical.kind(d[1]) for d in cursor.description]
    rows = [[canonical.canon(v) for v in row] for row in cursor.fetchall()]
    expected_kinds = [canonical.kind(t) for _, t in fixture["columns"]]
    assert len(kinds) == len(expected_kinds), f"columns differ\n{sql}"
    for got, want in zip(kinds, expected_kinds, strict=True):
        assert got is None or want is None or got == want, f"column kinds {kinds} != {expected_kinds}\n{sql}"
    assert canonical.same_rows(fixture["rows"], rows, fixture["ordered"]), (
        f"rows differ\nexpected (Hive): {fixture['rows']}\nactual (DuckDB): {rows}\n{sql}"
    )
    outcomes["different"] -= 1
    outcomes["identical"] += 1
