"""--state on the Hive server: a prod and a dev database of one server, production built once for the
module and its manifest.json the state; state selectors, --defer and elt clone across the two."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import ProjectDir

pytestmark = pytest.mark.hive

PYPROJECT = """\
[tool.elt]
name = "state_on_hive"
profile = "test"
"""

FILES = {
    "seeds/raw_orders.csv": "id,amount,status\n1,10,paid\n2,20,paid\n3,30,open\n4,40,paid\n",
    "macros/money.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
    "models/stg_orders.sql": "select id, amount, status from {{ ref('raw_orders') }}\n",
    "models/int_paid.sql": "{{ config(materialized='table') }}\nselect id, {{ cents('amount') }} as cents "
                           "from {{ ref('stg_orders') }} where status = 'paid'\n",
    "models/mart_total.sql": "{{ config(materialized='table') }}\nselect count(*) as n, sum(cents) as total "
                             "from {{ ref('int_paid') }}\n",
}


@pytest.fixture(scope="module")
def built(hive_server: Any, make_target: Any) -> Iterator[tuple[ProjectDir, Path, str]]:
    """The project, production built on the server, and the state folder; yields (project, state, prefix)."""
    root = Path(tempfile.mkdtemp(prefix="elt-hive-state-"))
    prefix = f"st{uuid.uuid4().hex[:6]}_"
    hive = f"type: hive, host: {hive_server.host}, port: {hive_server.port}, username: elt_test, auth: NONE"
    profiles = f"""\
test:
  target: dev
  outputs:
    dev: {{{hive}, schema: {prefix}dev, threads: 2}}
    prod: {{{hive}, schema: {prefix}prod, threads: 2}}
    local: {{type: duckdb, path: target/local.duckdb}}
"""
    proj = ProjectDir(root / "proj")
    proj.root.mkdir()
    proj.write({"pyproject.toml": PYPROJECT, "profiles.yml": profiles, **FILES})
    try:
        result = proj.elt("build", "--target", "prod")
        assert result.exit_code == 0, result.output
        state = root / "prod_state"
        state.mkdir()
        shutil.copy(proj.root / "target" / "manifest.json", state / "manifest.json")
        yield proj, state, prefix
    finally:
        shutil.rmtree(root, ignore_errors=True)
        with HiveAdapter(make_target()) as adapter:
            for name in ("dev", "prod"):
                adapter.execute(f"DROP DATABASE IF EXISTS {prefix}{name} CASCADE")


def _rows(make_target: Any, sql: str) -> list[tuple[Any, ...]]:
    with HiveAdapter(make_target()) as adapter:
        return sorted(adapter.fetchall(sql))


def test_state_modified_compares_parsed_trees_across_targets(built: Any) -> None:
    proj, state, _ = built
    original = (proj.root / "models" / "stg_orders.sql").read_text()
    try:
        proj.write({"models/stg_orders.sql": "-- orders\nSELECT id,\n  amount, /* euros */ status\n"
                                             "FROM {{ ref('raw_orders') }}\n"})
        result = proj.elt("ls", "-s", "state:modified", "--state", str(state))
        assert result.exit_code == 0, result.output
        assert result.stdout.split() == []  # reformatted only
        proj.write({"models/stg_orders.sql": "select id, amount, status from {{ ref('raw_orders') }} where id > 1\n"})
        result = proj.elt("ls", "--resource-type", "model", "-s", "state:modified.body+", "--state", str(state))
        assert result.exit_code == 0, result.output
        assert set(result.stdout.split()) == {"stg_orders", "int_paid", "mart_total"}
    finally:
        proj.write({"models/stg_orders.sql": original})


def test_defer_builds_a_mart_in_dev_from_production_tables(built: Any, make_target: Any) -> None:
    proj, state, prefix = built
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert f"int_paid -> {prefix}prod.int_paid" in result.output
    with HiveAdapter(make_target()) as adapter:
        # Spark's SHOW TABLES: (database, name, temporary)
        assert [row[1] for row in adapter.fetchall(f"SHOW TABLES IN {prefix}dev")] == ["mart_total"]
    assert _rows(make_target, f"select * from {prefix}dev.mart_total") == \
        _rows(make_target, f"select * from {prefix}prod.mart_total") == [(3, 7000)]


def test_clone_makes_views_on_production_and_keeps_dev_tables(built: Any, make_target: Any) -> None:
    proj, state, prefix = built
    assert proj.elt("run", "-s", "mart_total", "--defer", "--state", str(state)).exit_code == 0
    result = proj.elt("clone", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert f"kept {prefix}dev.mart_total: exists (table)" in result.output
    assert f"cloned {prefix}dev.int_paid: view on {prefix}prod.int_paid" in result.output
    assert _rows(make_target, f"select * from {prefix}dev.int_paid") == \
        _rows(make_target, f"select * from {prefix}prod.int_paid")


def test_a_duckdb_target_deferring_to_a_hive_state_is_refused(built: Any) -> None:
    proj, state, _ = built
    result = proj.elt("run", "--target", "local", "-s", "mart_total", "--defer", "--state", str(state))
    assert result.exit_code == 2
    assert "they are on a hive target ('prod')" in result.output and "Traceback" not in result.output
    assert json.loads((state / "manifest.json").read_text())["metadata"]["target"]["type"] == "hive"
