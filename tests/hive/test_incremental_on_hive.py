"""Incremental models on the real Hive server: the same loads as on DuckDB, with the same rows.

Each project here runs both targets — `dev` (DuckDB) and `hive` — so every assertion compares Hive with
what the DuckDB run of the very same project holds.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import PYPROJECT
from tests.functional.test_incremental import DAILY, EVENTS, MERGE

pytestmark = pytest.mark.hive


def profiles(server: Any) -> str:
    return f"""\
test:
  target: dev
  outputs:
    dev: {{type: duckdb, path: target/test.duckdb}}
    hive: {{type: hive, host: {server.host}, port: {server.port}, username: elt_test, auth: NONE, threads: 2}}
"""


@pytest.fixture
def hive_project(project, hive_server, make_target):
    """A project whose schemas are unique to this test, on both targets; dropped afterwards."""
    prefix = f"i{uuid.uuid4().hex[:6]}_"
    pyproject = PYPROJECT.replace('schema = "raw"', f'schema = "{prefix}raw"').replace(
        'schema = "gold"', f'schema = "{prefix}gold"')
    created: list[Any] = []

    def make(files: dict[str, str]) -> Any:
        proj = project(files, pyproject=pyproject, profiles=profiles(hive_server))
        proj.prefix = prefix
        created.append(proj)
        return proj

    yield make
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        for schema in ("raw", "gold"):
            hive.execute(f"DROP DATABASE IF EXISTS {prefix}{schema} CASCADE")
    finally:
        hive.close()


def hive_rows(make_target: Any, sql: str) -> list[tuple]:
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        return sorted((tuple(str(v) for v in row) for row in hive.fetchall(sql)), key=repr)
    finally:
        hive.close()


def both(proj: Any, *args: str) -> None:
    for target in ("dev", "hive"):
        result = proj.elt(*args, "--target", target)
        assert result.exit_code == 0, (target, result.output)


def duck_rows(proj: Any, sql: str) -> list[tuple]:
    return sorted((tuple(str(v) for v in row) for row in proj.query(sql)), key=repr)


def test_daily_partitions_on_hive_equal_duckdb(hive_project, make_target):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/daily.sql": DAILY})
    table = f"{proj.prefix}gold.daily"
    both(proj, "seed")
    for day in ("2024-06-01", "2024-06-02", "2024-06-03"):
        both(proj, "run", "--start", day, "--end", day)
    assert hive_rows(make_target, f"SELECT * FROM {table}") == duck_rows(proj, f"SELECT * FROM {table}")
    partitions = [p for (p,) in hive_rows(make_target, f"SHOW PARTITIONS {table}")]
    assert partitions == ["dt=2024-06-01", "dt=2024-06-02", "dt=2024-06-03"]

    # Re-running one day with changed source rows replaces that partition only.
    before = hive_rows(make_target, f"SELECT * FROM {table} WHERE dt <> '2024-06-02'")
    proj.write({"seeds/events.csv": EVENTS.replace("3,2024-06-02,1,5", "3,2024-06-02,1,500")})
    both(proj, "seed")
    both(proj, "run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert hive_rows(make_target, f"SELECT user_id, amount FROM {table} WHERE dt = '2024-06-02'") == [("1", "500")]
    assert hive_rows(make_target, f"SELECT * FROM {table} WHERE dt <> '2024-06-02'") == before
    assert hive_rows(make_target, f"SELECT * FROM {table}") == duck_rows(proj, f"SELECT * FROM {table}")


def test_failing_incremental_load_on_hive_leaves_the_table(hive_project, make_target):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/daily.sql": DAILY})
    table = f"{proj.prefix}gold.daily"
    proj.elt("seed", "--target", "hive")
    assert proj.elt("run", "--target", "hive", "--start", "2024-06-01", "--end", "2024-06-03").exit_code == 0
    before = hive_rows(make_target, f"SELECT * FROM {table}")
    proj.write({"models/marts/daily.sql": DAILY.replace("sum(amount)", "sum(no_such_column)")})
    result = proj.elt("run", "--target", "hive", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 1
    assert hive_rows(make_target, f"SELECT * FROM {table}") == before


def test_new_column_on_hive_with_append_new_columns(hive_project, make_target):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/daily.sql": DAILY})
    table = f"{proj.prefix}gold.daily"
    both(proj, "seed")
    both(proj, "run", "--start", "2024-06-01", "--end", "2024-06-01")
    wider = DAILY.replace("materialized='incremental'", "materialized='incremental', "
                          "on_schema_change='append_new_columns'").replace(
        "sum(amount) as amount, dt", "sum(amount) as amount, count(*) as events, dt")
    proj.write({"models/marts/daily.sql": wider})
    both(proj, "run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert hive_rows(make_target, f"SELECT user_id, amount, events, dt FROM {table}") == duck_rows(
        proj, f"SELECT user_id, amount, events, dt FROM {table}")


def test_merge_is_refused_on_hive_unless_transactional(hive_project):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/totals.sql": MERGE})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 2
    assert "merge needs a table that supports MERGE" in result.stderr
