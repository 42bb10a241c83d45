"""Hooks on the real Hive server: pre_hook / post_hook and on-run-start / on-run-end run there, a failing
pre-hook keeps the previous table; materialized='external' is refused (Hive writes no files of its own)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import PYPROJECT
from tests.hive.test_incremental_on_hive import hive_rows, profiles

pytestmark = pytest.mark.hive


@pytest.fixture
def hooked_project(project, hive_server, make_target):
    """A project in schemas of its own (dropped afterwards) whose on-run-start creates an audit table
    and whose on-run-end writes each node's status there."""
    prefix = f"h{uuid.uuid4().hex[:6]}_"
    gold = f"{prefix}gold"
    hooks = (
        f'on-run-start = ["create database if not exists {gold}", '
        f'"create table if not exists {gold}.audit (what string)"]\n'
        f'on-run-end = "{{% for r in results %}}insert into {gold}.audit values '
        f"('end {{{{ r.node.name }}}}={{{{ r.status }}}}');{{% endfor %}}\"\n"
    )
    pyproject = PYPROJECT.replace('schema = "gold"', f'schema = "{gold}"').replace(
        'schema = "raw"', f'schema = "{prefix}raw"').replace("[tool.elt.seeds]", hooks + "\n[tool.elt.seeds]")
    created: list[Any] = []

    def make(files: dict[str, str]) -> Any:
        proj = project(files, pyproject=pyproject, profiles=profiles(hive_server))
        proj.gold = gold
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


def test_hooks_run_on_the_hive_server(hooked_project, make_target):
    proj = hooked_project({
        "models/marts/m.sql": """\
            {{ config(materialized='table',
                      pre_hook="insert into {{ this.schema }}.audit values ('pre {{ this }}')",
                      post_hook=["insert into {{ this.schema }}.audit "
                                 "select concat('post ', count(*)) from {{ this }}"]) }}
            select 1 as x
        """,
    })
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 0, result.output
    gold = proj.gold
    assert hive_rows(make_target, f"SELECT what FROM {gold}.audit") == [
        ("end m=success",), ("post 1",), (f"pre {gold}.m",)]
    # A failing pre-hook: the model is not built, its previous table stays; on-run-end still runs.
    proj.write({"models/marts/m.sql": """\
        {{ config(materialized='table', pre_hook="insert into {{ this.schema }}.no_such_table values (1)") }}
        select 2 as x
    """})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 1, result.output
    assert "pre_hook of model 'm' failed" in result.output and "no_such_table" in result.output
    assert hive_rows(make_target, f"SELECT x FROM {gold}.m") == [("1",)]
    assert ("end m=error",) in hive_rows(make_target, f"SELECT what FROM {gold}.audit")


def test_external_is_refused_on_hive(hooked_project):
    proj = hooked_project({"models/marts/files.sql": "{{ config(materialized='external') }}\nselect 1 as x"})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 2, result.output
    assert "materialized='external'" in result.output and "models/marts/files.sql" in result.output
    assert "use materialized='table' with `location`" in result.output
