"""dbt's cross-database macros built on DuckDB: a DuckDB-dialect project gets the values dbt means, and
so does a Hive-dialect project, whose Hive text elt translates for DuckDB (the same model runs on the
Hive server in tests/hive/test_dbt_macros_on_hive.py)."""

from __future__ import annotations

import pytest

from tests.conftest import PYPROJECT
from tests.functional.dbt_macro_cases import CASES, MODEL, OTHER_MODELS, normal

DIALECTS = {"hive": PYPROJECT, "duckdb": PYPROJECT.replace('profile = "test"', 'profile = "test"\ndialect = "duckdb"')}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_each_macro_gives_what_dbt_means(project, dialect: str) -> None:
    files = {"models/marts/cases.sql": MODEL}
    files.update({f"models/marts/{name}.sql": sql for name, (sql, _) in OTHER_MODELS.items()})
    proj = project(files, pyproject=DIALECTS[dialect])
    result = proj.elt("run")
    assert result.exit_code == 0, result.output

    row = proj.query("select * from gold.cases")[0]
    got = {name: normal(value) for (name, _, _), value in zip(CASES, row, strict=True)}
    want = {name: normal(value) for name, _, value in CASES}
    assert {k: v for k, v in got.items() if v != want[k]} == {}
    for name, (_, rows) in OTHER_MODELS.items():
        assert sorted(proj.query(f"select * from gold.{name}")) == rows, name
