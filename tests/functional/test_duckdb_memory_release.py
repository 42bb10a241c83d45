"""A run lets go of the tables DuckDB holds in memory, without bounding DuckDB's memory for queries.

On a real DuckDB file: past elt.adapters.duckdb.TABLE_MEMORY_BOUND of table data, the adapter asks the
runner for a pause; in it a CHECKPOINT writes the tables to the file and DuckDB drops them from its
buffer pool, and the memory limit is back to what it was (DuckDB's default, or the profile's), so a
query that needs more memory than the pause's momentary limit still runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elt.adapters import duckdb as duckdb_adapter
from elt.adapters.duckdb import DuckDBAdapter
from elt.project.config import TargetConfig
from tests.functional.test_profiles import profiles_with

#: more than the pause's momentary limit (TABLE_MEMORY_BOUND / 4) in one allocation: 2 million
#: strings in 10 lists fail at 64MB ("failed to allocate data of size 32.0 MiB") and run under DuckDB's default.
BIG_AGGREGATION = ("SELECT count(*), sum(len(l)) FROM (SELECT i % 10 AS k, list('value-' || i::VARCHAR) AS l "
                   "FROM range(2000000) t(i) GROUP BY k)")


def _open(tmp_path: Path, **settings: Any) -> DuckDBAdapter:
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1,
                          settings={"path": str(tmp_path / "m.duckdb"), **settings},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")
    duck = DuckDBAdapter(target)
    duck.open()
    return duck


def _table_memory(duck: DuckDBAdapter) -> int:
    return int(duck.fetchall("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                             "WHERE tag IN ('IN_MEMORY_TABLE', 'BASE_TABLE')")[0][0])


def _limit(duck: DuckDBAdapter) -> str:
    return str(duck.fetchall("SELECT current_setting('memory_limit')")[0][0])


@pytest.fixture
def small_bound(monkeypatch):
    """Pauses asked for past 8 MB of table data, at every look."""
    monkeypatch.setattr(duckdb_adapter, "TABLE_MEMORY_BOUND", 8 * 2**20)
    monkeypatch.setattr(duckdb_adapter, "_LOOK_EVERY", 0.0)


#: DuckDB's automatic checkpoints (past 16 MB of WAL) never come during a run that builds several
#: models at once; here, on one connection, they are put off so that the tables stay in memory alike.
NO_CHECKPOINT = {"checkpoint_threshold": "10GB"}


def _fill(duck: DuckDBAdapter, tables: int = 8) -> None:
    for n in range(tables):
        duck.execute(f"CREATE TABLE t{n} AS SELECT i, 'value-' || i::VARCHAR AS s FROM range(100000) t(i)")


@pytest.mark.parametrize("limit", [{}, {"memory_limit": "3GB"}], ids=["duckdb-default", "profile-limit"])
def test_a_pause_writes_the_tables_and_lets_them_go(tmp_path, small_bound, limit):
    duck = _open(tmp_path, settings=NO_CHECKPOINT, **limit)
    try:
        limit = _limit(duck)
        assert not duck.wants_pause()
        _fill(duck)
        held = _table_memory(duck)
        assert held > duckdb_adapter.TABLE_MEMORY_BOUND
        assert duck.wants_pause()
        duck.pause()
        assert _table_memory(duck) < held / 2
        assert duck.fetchall("SELECT count(*), max(s) FROM t7") == [(100000, "value-99999")]
        assert _limit(duck) == limit  # DuckDB's own, or the profile's
        assert duck.fetchall(BIG_AGGREGATION) == [(10, 2000000)]
        assert not duck.wants_pause()  # what is left is not enough for another pause
    finally:
        duck.close()


def test_an_in_memory_database_never_pauses(tmp_path, small_bound):
    duck = _open(tmp_path, path=":memory:", settings=NO_CHECKPOINT)
    try:
        _fill(duck)
        assert not duck.wants_pause()  # no file to write its tables to
    finally:
        duck.close()


def test_a_run_pauses_between_models_and_builds_them_all(project, small_bound, monkeypatch):
    pauses = []
    original = DuckDBAdapter.pause

    def counted(self: DuckDBAdapter) -> None:
        original(self)
        pauses.append(_limit(self))

    monkeypatch.setattr(DuckDBAdapter, "pause", counted)
    files = {f"models/intermediate/t{n}.sql": "select pos as i, concat('value-', cast(pos as string)) as s\n"
             "from (select posexplode(split(space(99999), ' ')) as (pos, v)) x" for n in range(8)}
    files["models/marts/total.sql"] = ("select count(*) as n from (\n"
                                       + "\nunion all\n".join(f"select i from {{{{ ref('t{n}') }}}}" for n in range(8))
                                       + "\n) u")
    proj = project(files, profiles=profiles_with(
        "path: target/test.duckdb\n      threads: 2\n      settings: {checkpoint_threshold: 10GB}"))
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert pauses  # at least one, between models
    assert proj.query("SELECT n FROM gold.total") == [(800000,)]
