"""Macros that read the database while a model is rendered, on the real Hive server: a star over the
columns of a model built in the same run, and a pivot on the distinct values of a seed (run_query and
`{% call statement %}`), with the same rows as the DuckDB run of the very same project."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import PYPROJECT
from tests.functional.test_introspection import COLORS, HAS_COLUMNS, MACROS, RESULTS_AS_DICT, SALES

pytestmark = pytest.mark.hive

SCHEMAS = ("raw", "bronze", "silver", "gold")
#: on a model nothing reads, so that the failing test skips nothing in `elt build`
PROPS = ("version: 2\nmodels:\n  - name: pivoted\n    data_tests:\n"
         "      - has_columns: {expected: [amount_red, total]}\n"
         "      - has_columns: {expected: [amount_red, nothing_like_it], name: pivoted_lacks_a_column}\n")

PIVOT = """\
select
{%- for c in column_values(ref('sales'), 'color') %}
  sum(case when color = '{{ c }}' then amount else 0 end) as amount_{{ c }},
{%- endfor %}
  {{ total(ref('sales')) }} as total
from {{ ref('sales') }}
"""


@pytest.fixture
def hive_project(project, hive_server, make_target):
    prefix = f"c{uuid.uuid4().hex[:6]}_"
    pyproject = PYPROJECT
    for schema in SCHEMAS:
        pyproject = pyproject.replace(f'schema = "{schema}"', f'schema = "{prefix}{schema}"')
    profiles = f"""\
test:
  target: dev
  outputs:
    dev: {{type: duckdb, path: target/test.duckdb}}
    hive: {{type: hive, host: {hive_server.host}, port: {hive_server.port}, username: elt_test, auth: NONE, threads: 2}}
"""
    files = {"seeds/sales.csv": SALES, "macros/introspect.sql": MACROS + RESULTS_AS_DICT,
             "macros/has_columns.sql": HAS_COLUMNS, "models/marts/_props.yml": PROPS,
             "models/marts/colors.sql": COLORS,
             "models/intermediate/wide_sales.sql": "select id, color, amount, 'x' as note, 2 * amount as twice\n"
                                                   "from {{ ref('sales') }}\n",
             "models/marts/starred.sql": "select {{ my_star(ref('wide_sales'), except=['note']) }}\n"
                                         "from {{ ref('wide_sales') }}\n",
             "models/marts/pivoted.sql": PIVOT}
    proj = project(files, pyproject=pyproject, profiles=profiles)
    proj.prefix = prefix
    yield proj
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        for schema in SCHEMAS:
            hive.execute(f"DROP DATABASE IF EXISTS {prefix}{schema} CASCADE")
    finally:
        hive.close()


def _hive(make_target: Any, sql: str) -> list[tuple[Any, ...]]:
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        return hive.fetchall(sql)
    finally:
        hive.close()


def test_introspective_models_build_on_hive_as_on_duckdb(hive_project, make_target):
    proj, gold = hive_project, f"{hive_project.prefix}gold"
    for target in ("dev", "hive"):
        result = proj.elt("build", "--target", target)
        assert result.exit_code == 1, (target, result.output)  # the one failing test, only
        results = json.loads((proj.root / "target/run_results.json").read_text())["results"]
        assert sorted(r["unique_id"] for r in results if r["status"] != "success") == \
            ["test.pivoted_lacks_a_column"], (target, result.output)
    columns = [row[0] for row in _hive(make_target, f"DESCRIBE {gold}.starred")]
    assert columns == ["id", "color", "amount", "twice"]
    assert [row[0] for row in proj.query(f"DESCRIBE {gold}.starred")] == columns
    pivot = f"SELECT amount_blue, amount_green, amount_red, total FROM {gold}.pivoted"
    assert [tuple(row) for row in _hive(make_target, pivot)] == proj.query(pivot) == [(5, 2, 11, 18)]
    colors = f"SELECT colors, n FROM {gold}.colors"
    assert [tuple(row) for row in _hive(make_target, colors)] == proj.query(colors) == [("red,blue,red,green", 4)]
