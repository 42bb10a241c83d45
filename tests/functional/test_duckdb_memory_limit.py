"""DuckDB's memory limit comes from the profile (`memory_limit`, or dbt-duckdb's `settings:`).

On a real DuckDB: without a setting DuckDB keeps its own limit, the profile's value reaches every
cursor, a bad value is a profile error naming profiles.yml, the target and the key, with no database
left behind, and a model that runs out of memory says where the limit is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elt.adapters.duckdb import DuckDBAdapter
from elt.project.config import TargetConfig
from tests.functional.test_errors import GOOD, check_usage_error
from tests.functional.test_profiles import profiles_with


def _open(tmp_path: Path, **settings: Any) -> DuckDBAdapter:
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1,
                          settings={"path": str(tmp_path / "m.duckdb"), **settings},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")
    duck = DuckDBAdapter(target)
    duck.open()
    return duck


def _limit_of(duck: DuckDBAdapter) -> str:
    # DuckDB shows the limit rounded to MiB/GiB: compare with what it shows for the same SET.
    duck.fetchall("SELECT 1")  # a worker cursor, not the connection the setting was made on
    return str(duck.fetchall("SELECT current_setting('memory_limit')")[0][0])


def _shown(value: str) -> str:
    import duckdb

    probe = duckdb.connect()
    probe.execute(f"SET memory_limit = '{value}'")
    return str(probe.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


@pytest.mark.parametrize("settings, expected", [
    ({"memory_limit": "300MB"}, "300MB"),
    ({"settings": {"memory_limit": "1GB"}}, "1GB"),
    ({"settings": {"memory_limit": "1GB"}, "memory_limit": "400MB"}, "400MB"),
], ids=["memory_limit", "dbt-duckdb-settings", "top-level-wins"])
def test_memory_limit_reaches_duckdb(tmp_path, settings, expected):
    duck = _open(tmp_path, **settings)
    try:
        assert _limit_of(duck) == _shown(expected)
    finally:
        duck.close()


@pytest.mark.parametrize("path", ["m.duckdb", ":memory:"])
def test_without_a_limit_duckdb_keeps_its_own(tmp_path, path):
    # A smaller default would refuse queries DuckDB's own default runs (DuckDBAdapter.duckdb_settings).
    import duckdb

    own = duckdb.connect(str(tmp_path / "own.duckdb") if path != ":memory:" else ":memory:")
    duck = _open(tmp_path, path=str(tmp_path / path) if path != ":memory:" else path)
    try:
        assert _limit_of(duck) == own.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    finally:
        duck.close()
        own.close()


def test_out_of_memory_says_where_the_limit_is_set(project):
    model = ("{{ config(materialized='table') }}\n"
             "select pos % 100 as k, collect_list(concat('value-', cast(pos as string))) as ids\n"
             "from (select posexplode(split(space(2000000), ' ')) as (pos, v)) t group by pos % 100\n")
    proj = project({"models/big.sql": model},
                   profiles=profiles_with("path: target/test.duckdb\n      memory_limit: 16MB"))
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "Out of Memory Error" in result.output
    assert "`memory_limit` in the profile's target (profiles.yml" in result.output
    assert "Traceback" not in result.output


def test_other_duckdb_settings_are_passed_on(tmp_path):
    duck = _open(tmp_path, settings={"preserve_insertion_order": False})
    try:
        assert duck.fetchall("SELECT current_setting('preserve_insertion_order')") == [(False,)]
    finally:
        duck.close()


BAD = {
    "not-a-size": ("memory_limit: lots", ["DuckDB refuses `memory_limit: lots`", "memory_limit: 1GB"]),
    "a-list": ("memory_limit: [1GB]", ["DuckDB setting `memory_limit` cannot be ['1GB']"]),
    "settings-not-a-mapping": ("settings: 1GB", ["`settings` must be a mapping"]),
    "unknown-setting": ("settings: {memroy_limit: 1GB}", ["DuckDB refuses `memroy_limit: 1GB`"]),
}


@pytest.mark.parametrize("setting, fragments", BAD.values(), ids=BAD.keys())
def test_bad_memory_limit_is_a_profile_error(project, setting, fragments):
    proj = project(GOOD, profiles=profiles_with(f"path: target/test.duckdb\n      {setting}"))
    check_usage_error(proj.elt("run"), "profiles.yml", "target 'dev'", *fragments)
    assert not proj.database.exists()

