"""Snapshot builds (SCD type 2) on DuckDB, with dbt's semantics: each case of snapshot_cases.py run state
by state on a real DuckDB database, the rows compared with the ones written by hand; the refusals leave
the snapshot as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elt.adapters.duckdb import DuckDBAdapter
from elt.errors import ExecutionError, ProjectError
from elt.materializations.snapshot import SnapshotOutcome, build_snapshot
from elt.materializations.snapshot_config import snapshot_spec
from elt.nodes import Relation
from elt.project.config import TargetConfig
from tests.functional.snapshot_cases import (
    ALL_CASES,
    CUSTOMERS,
    S1,
    TIMESTAMP,
    Row,
    as_text,
    day,
    load_source,
    run_case,
    snapshot_node,
)

SOURCE, SNAPSHOT = Relation("raw", "customers"), Relation("snap", "customers_history")


@pytest.fixture
def duck(tmp_path: Path) -> Any:
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1,
                          settings={"path": str(tmp_path / "warehouse.duckdb")},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")
    adapter = DuckDBAdapter(target)
    adapter.open()
    adapter.create_schema("raw")
    adapter.create_schema("snap")
    yield adapter
    adapter.close()


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_case_gives_dbt_rows(duck: Any, name: str) -> None:
    def check(run: int, rows: list[Row], expected: list[Row], outcome: SnapshotOutcome) -> None:
        assert rows == expected, f"run {run}"
        assert outcome.created == (run == 1)

    run_case(duck, ALL_CASES[name], SOURCE, SNAPSHOT, check)


def test_run_without_change_writes_nothing(duck: Any) -> None:
    node = snapshot_node(SNAPSHOT, TIMESTAMP)
    load_source(duck, SOURCE, CUSTOMERS, S1)
    build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    with duck.recording() as sent:
        outcome = build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert (outcome.rows_inserted, outcome.rows_closed, outcome.message) == (0, 0, "no change")
    assert not [s for s in sent if str(SNAPSHOT) in s and s.lstrip().upper().startswith(("MERGE", "INSERT", "UPDATE",
                                                                                        "ALTER", "DELETE"))]


def test_outcome_counts_a_change(duck: Any) -> None:
    node = snapshot_node(SNAPSHOT, {**TIMESTAMP, "hard_deletes": "invalidate"})
    load_source(duck, SOURCE, CUSTOMERS, S1)
    first = build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert (first.created, first.rows_inserted, first.message) == (True, 3, "created with 3 rows")
    load_source(duck, SOURCE, CUSTOMERS, [(1, "a2", day(2)), (2, "b", day(1)), (4, "d", day(2))])
    second = build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert (second.rows_inserted, second.rows_closed, second.rows_deleted) == (2, 2, 1)
    assert second.message == "2 inserted, 2 closed, 1 deleted"


REFUSALS = [
    ({**TIMESTAMP}, [(1, "a", day(2)), (1, "b", day(3)), (2, "c", day(2))],
     ExecutionError, "the unique_key (id) is not unique in the query: id=1 (2 rows)"),
    ({**TIMESTAMP}, [(None, "a", day(2)), (2, "c", day(2))],
     ExecutionError, "the query gives a NULL unique_key (id) in rows such as (id=None)"),
    ({**TIMESTAMP}, [(1, "a", None), (2, "c", day(2))],
     ExecutionError, "updated_at (updated_at) is NULL or not a timestamp in rows such as id=1: None"),
    ({**TIMESTAMP}, [(1, "a0", "2023-12-31 00:00:00"), (2, "b", day(1)), (3, "c", day(1))],
     ExecutionError, "updated_at (updated_at) goes backwards: older than the snapshot's current row (dbt_valid_from) "
     "for id=1: 2023-12-31 00:00:00 < 2024-01-01 00:00:00"),
    ({"unique_key": "id", "strategy": "check", "check_cols": ["name", "colour"]}, S1,
     ProjectError, "check_cols column(s) colour are not among the query's columns (id, name, updated_at)"),
    ({**TIMESTAMP, "unique_key": "customer_id"}, S1,
     ProjectError, "unique_key column(s) customer_id are not among the query's columns (id, name, updated_at)"),
]


@pytest.mark.parametrize(("config", "rows", "error", "message"), REFUSALS)
def test_refusal_writes_nothing(duck: Any, config: dict[str, Any], rows: list[Row], error: type[Exception],
                                message: str) -> None:
    first = snapshot_node(SNAPSHOT, TIMESTAMP)
    load_source(duck, SOURCE, CUSTOMERS, S1)
    build_snapshot(duck, first, snapshot_spec(first), f"SELECT * FROM {SOURCE}")
    before = as_text(duck, SNAPSHOT)
    node = snapshot_node(SNAPSHOT, config)
    load_source(duck, SOURCE, CUSTOMERS, rows)
    with pytest.raises(error) as caught:
        build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert message in caught.value.message
    assert caught.value.path == "snapshots/history.yml"
    assert caught.value.hint
    assert as_text(duck, SNAPSHOT) == before
    assert {r[0] for r in duck.fetchall("SELECT table_name FROM duckdb_tables()")} == {"customers", "customers_history"}


def test_refusal_on_the_first_run_creates_nothing(duck: Any) -> None:
    node = snapshot_node(SNAPSHOT, TIMESTAMP)
    load_source(duck, SOURCE, CUSTOMERS, [(1, "a", day(2)), (1, "b", day(3))])
    with pytest.raises(ExecutionError, match="not unique"):
        build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert duck.relation_kind(SNAPSHOT) is None


def test_interrupted_swap_is_not_taken_for_a_first_run(duck: Any) -> None:
    """The snapshot's name missing and its backup there (a swap cut short): refused, history kept."""
    node = snapshot_node(SNAPSHOT, TIMESTAMP)
    load_source(duck, SOURCE, CUSTOMERS, S1)
    build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    duck.rename_relation(SNAPSHOT, SNAPSHOT.name + "__elt_backup", "table")
    with pytest.raises(ExecutionError) as caught:
        build_snapshot(duck, node, snapshot_spec(node), f"SELECT * FROM {SOURCE}")
    assert "an earlier build was interrupted while swapping in the new version" in caught.value.message
    assert caught.value.hint == ("put the previous snapshot back: ALTER TABLE snap.customers_history__elt_backup "
                                 "RENAME TO snap.customers_history, then run again")
    assert duck.relation_kind(SNAPSHOT) is None
