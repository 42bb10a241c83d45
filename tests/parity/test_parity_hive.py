"""The corpus against the real Hive engine: the fixtures still describe what the server returns.

Marked `hive`: needs ELT_HIVE_HOST/ELT_HIVE_PORT pointing at a running HiveServer2 (else skipped).
Refused queries run too: they are valid Hive, only DuckDB cannot run them faithfully.
"""

from __future__ import annotations

from collections import Counter

import canonical
import corpus
import pytest

QUERIES = corpus.load()
FIXTURES = corpus.load_fixtures()


@pytest.mark.hive
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.key)
def test_hive_matches_fixture(query: corpus.Query, hive_conn, parity_record: dict[str, Counter]) -> None:
    outcomes = parity_record.setdefault("hive", Counter())
    fixture = FIXTURES.get(query.key)
    assert fixture is not None and fixture["sql"] == query.sql, f"missing or stale fixture for {query.key}"
    cursor = hive_conn.cursor()
    cursor.execute(query.sql)
    types = [d[1] for d in cursor.description]
    rows = [canonical.hive_row(row, types) for row in cursor.fetchall()]
    ok = canonical.same_rows(fixture["rows"], rows, fixture["ordered"])
    outcomes["identical" if ok else "different"] += 1
    assert ok, f"Hive now returns {rows}, fixture has {fixture['rows']}"
