"""`elt diff` across engines (a model built on DuckDB and on the Hive server: the same rows hash alike)
and within the Hive server (two schemas: one FULL OUTER JOIN there)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter

pytestmark = pytest.mark.hive

PYPROJECT = """\
[tool.elt]
name = "diff_project"
profile = "test"
"""

#: 60 rows of doubles (thirds, huge and tiny quotients, negative zero), decimals, floats, timestamps
#: with fractions, dates, booleans, unicode strings and NULLs in every column; --vars '{change: true}'
#: changes `s` on every 10th row and drops row 60.
MODEL = """\
{{ config(materialized='table', unique_key='id', schema=var('prefix') ~ target.name) }}
select id,
       id / 3 as third,
       case when id % 7 = 0 then null else 1e20 / id end as big,
       case when id = 5 then -0.0 else 1e-300 / id end as tiny,
       cast(id / 7 as decimal(12, 4)) as dec,
       cast(id / 9 as float) as f,
       case when id % 5 = 0 then null
            else cast(concat('2024-03-', lpad(cast(id % 28 + 1 as string), 2, '0'), ' 10:11:12.',
                             cast(id * 7919 % 1000000 as string)) as timestamp) end as ts,
       date_add(cast('2023-12-30' as date), id) as dt,
       case when id % 4 = 0 then null else id % 2 = 0 end as b,
       {% if var('change', false) %}
       case when id % 10 = 0 then 'changed' when id % 6 = 0 then null else concat('é', cast(id as string), '€') end
       {% else %}
       case when id % 6 = 0 then null else concat('é', cast(id as string), '€') end
       {% endif %} as s
from (
{% for i in range(1, 61) %}select {{ i }} as id{% if not loop.last %} union all {% endif %}
{% endfor %}) t
{% if var('change', false) %}where id != 60{% endif %}
"""


def _profiles(server: Any) -> str:
    hive = f"type: hive, host: {server.host}, port: {server.port}, username: elt_test, auth: NONE, threads: 1"
    return f"""\
test:
  target: dev
  outputs:
    dev: {{type: duckdb, path: target/test.duckdb}}
    hive: {{{hive}}}
    hive2: {{{hive}}}
"""


@pytest.fixture
def diff_project(project, hive_server, make_target):
    prefix = f"d{uuid.uuid4().hex[:6]}_"
    proj = project({"models/m.sql": MODEL}, pyproject=PYPROJECT, profiles=_profiles(hive_server))
    proj.prefix = prefix
    yield proj
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        for target in ("hive", "hive2"):
            hive.execute(f"DROP DATABASE IF EXISTS {prefix}{target} CASCADE")
    finally:
        hive.close()


def _run(proj: Any, target: str, change: bool = False) -> None:
    result = proj.elt("run", "--target", target, "--vars", f"{{prefix: {proj.prefix}, change: {str(change).lower()}}}")
    assert result.exit_code == 0, result.output


def _diff(proj: Any, *args: str) -> Any:
    return proj.elt("diff", "m", "--vars", f"{{prefix: {proj.prefix}}}", *args)


def test_same_model_on_duckdb_and_hive_is_identical_then_a_change_shows(diff_project):
    proj = diff_project
    _run(proj, "hive")
    _run(proj, "dev")
    result = _diff(proj, "--against", "hive")
    assert result.exit_code == 0, result.output
    assert "columns: identical" in result.stdout
    assert "rows: 60 -> 60 (same count)" in result.stdout
    assert "rows by key (id): identical" in result.stdout
    assert "hashes per key on each engine" in result.stdout

    _run(proj, "dev", change=True)
    result = _diff(proj, "--against", "hive")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "rows: 59 -> 60 (+1)" in out
    assert "rows by key (id): 0 only in dev, 1 only in hive, 5 changed" in out
    assert "only in hive: 1, e.g. id='60'" in out
    assert "~ s: 5 row(s) differ" in out
    assert "id='10': 'changed' -> 'é10€'" in out
    assert out.count(" row(s) differ") == 1  # no other column differs


def test_two_schemas_on_hive_compare_by_one_join_there(diff_project):
    proj = diff_project
    _run(proj, "hive")
    _run(proj, "hive2", change=True)
    result = _diff(proj, "--target", "hive2", "--against", "hive")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "one FULL OUTER JOIN" in out
    assert "rows by key (id): 0 only in hive2, 1 only in hive, 5 changed" in out
    assert "~ s: 5 row(s) differ" in out and "id=10: 'changed' -> 'é10€'" in out
