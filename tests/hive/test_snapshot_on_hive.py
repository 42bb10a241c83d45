"""Snapshot builds on the real Hive server (Spark Thrift Server, plain tables: the next version is built
under a temporary name and swapped in): every case of tests/functional/snapshot_cases.py gives the rows
written by hand there, which the DuckDB tests check too, so both engines give the same rows. A failure at
the last step of the swap leaves the previous snapshot whole, and no scratch table behind.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from elt.errors import AdapterError, ProjectError
from elt.materializations import TMP_SUFFIX
from elt.materializations.snapshot import SnapshotOutcome, build_snapshot
from elt.materializations.snapshot_config import snapshot_spec
from elt.nodes import Relation
from tests.functional.snapshot_cases import (
    ALL_CASES,
    CUSTOMERS,
    S1,
    S2,
    TIMESTAMP,
    Row,
    as_text,
    load_source,
    run_case,
    snapshot_node,
)
from tests.hive.conftest import target_for

pytestmark = pytest.mark.hive


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_case_gives_the_rows_duckdb_gives(adapter: Any, rel: Any, name: str) -> None:
    def check(run: int, rows: list[Row], expected: list[Row], outcome: SnapshotOutcome) -> None:
        assert rows == expected, f"run {run}"

    run_case(adapter, ALL_CASES[name], rel("customers"), rel("customers_history"), check)
    leftovers = {r[1] for r in adapter.fetchall(f"SHOW TABLES IN {rel('x').schema}")}
    assert leftovers == {"customers", "customers_history"}


class SwapFails(HiveAdapter):
    """The real server, with the last step of a swap (the new table renamed to the snapshot's name) failing."""

    def rename_relation(self, relation: Relation, new_name: str, kind: Any) -> None:
        if relation.name.endswith(TMP_SUFFIX):
            raise AdapterError("forced failure: the server went away during the swap")
        super().rename_relation(relation, new_name, kind)


def test_failed_swap_leaves_the_previous_snapshot(hive_server: Any, adapter: Any, rel: Any) -> None:
    source, snapshot = rel("customers"), rel("customers_history")
    node = snapshot_node(snapshot, {**TIMESTAMP, "hard_deletes": "invalidate"})
    load_source(adapter, source, CUSTOMERS, S1)
    build_snapshot(adapter, node, snapshot_spec(node), f"SELECT * FROM {source}")
    before = as_text(adapter, snapshot)
    load_source(adapter, source, CUSTOMERS, S2)
    failing = SwapFails(target_for(hive_server))
    failing.open()
    try:
        with pytest.raises(AdapterError, match="forced failure"):
            build_snapshot(failing, node, snapshot_spec(node), f"SELECT * FROM {source}")
    finally:
        failing.close()
    fresh = HiveAdapter(target_for(hive_server))
    fresh.open()
    try:
        assert as_text(fresh, snapshot) == before
        assert {r[1] for r in fresh.fetchall(f"SHOW TABLES IN {snapshot.schema}")} == {"customers",
                                                                                      "customers_history"}
    finally:
        fresh.close()


ACID = {**TIMESTAMP, "transactional": True, "clustered_by": ["id"], "buckets": 2}


def test_transactional_snapshot_is_merged_into(adapter: Any, rel: Any) -> None:
    """`transactional: true`: the table is created ACID (ORC, bucketed) and later changed by one MERGE, not
    rebuilt. Spark Thrift Server (the test server) refuses MERGE into a Hive table: then the refusal is the
    build's error and the snapshot is left as it was; a server that merges must give the case's rows."""
    source, snapshot = rel("customers"), rel("customers_history")
    node = snapshot_node(snapshot, ACID)
    load_source(adapter, source, CUSTOMERS, S1)
    build_snapshot(adapter, node, snapshot_spec(node), f"SELECT * FROM {source}")
    properties = {str(r[0]).lower(): str(r[1]) for r in adapter.fetchall(f"SHOW TBLPROPERTIES {snapshot}")}
    assert properties.get("transactional") == "true"
    before = as_text(adapter, snapshot)
    load_source(adapter, source, CUSTOMERS, S2)
    with adapter.recording() as sent:
        try:
            outcome = build_snapshot(adapter, node, snapshot_spec(node), f"SELECT * FROM {source}")
        except AdapterError as exc:
            assert "MERGE INTO" in exc.message
            assert as_text(adapter, snapshot) == before
        else:
            case = ALL_CASES["timestamp_ignore"]
            assert as_text(adapter, snapshot) == sorted(case.expected[1]({2: outcome.snapshot_time}),
                                                        key=lambda r: tuple((v is None, v) for v in r))
    writes = re.compile(rf"^(MERGE INTO|INSERT \w+ TABLE|ALTER TABLE|CREATE TABLE|DROP TABLE IF EXISTS) {snapshot}\b")
    assert [s.split()[0] for s in sent if writes.match(s)] == ["MERGE"]
    assert not [s for s in sent if TMP_SUFFIX in s]
    assert {r[1] for r in adapter.fetchall(f"SHOW TABLES IN {snapshot.schema}")} == {"customers", "customers_history"}


def test_location_is_refused_on_a_plain_table(adapter: Any, rel: Any) -> None:
    source, snapshot = rel("customers"), rel("customers_history")
    node = snapshot_node(snapshot, {**TIMESTAMP, "location": "/tmp/elt-snapshot-location"})
    load_source(adapter, source, CUSTOMERS, S1)
    with pytest.raises(ProjectError, match="cannot keep a `location`"):
        build_snapshot(adapter, node, snapshot_spec(node), f"SELECT * FROM {source}")
    assert {r[1] for r in adapter.fetchall(f"SHOW TABLES IN {snapshot.schema}")} == {"customers"}
