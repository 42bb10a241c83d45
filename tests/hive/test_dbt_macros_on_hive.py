"""dbt's cross-database macros of a Hive-dialect project, built on the Hive server: the values dbt means,
the same as the project's DuckDB build gives (tests/functional/test_dbt_macros.py)."""

from __future__ import annotations

from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.functional.dbt_macro_cases import CASES, MODEL, OTHER_MODELS, normal
from tests.hive.test_incremental_on_hive import hive_project  # noqa: F401 - the fixture

pytestmark = pytest.mark.hive


def test_macros_on_hive_give_what_dbt_means(hive_project, make_target) -> None:  # noqa: F811
    files = {"models/marts/cases.sql": MODEL}
    files.update({f"models/marts/{name}.sql": sql for name, (sql, _) in OTHER_MODELS.items()})
    proj = hive_project(files)
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 0, result.output

    hive = HiveAdapter(make_target())
    hive.open()
    try:
        read: dict[str, list[tuple[Any, ...]]] = {
            name: hive.fetchall(f"SELECT * FROM {proj.prefix}gold.{name}") for name in ["cases", *OTHER_MODELS]}
    finally:
        hive.close()
    got = {name: normal(value) for (name, _, _), value in zip(CASES, read["cases"][0], strict=True)}
    want = {name: normal(value) for name, _, value in CASES}
    assert {k: v for k, v in got.items() if v != want[k]} == {}
    for name, (_, rows) in OTHER_MODELS.items():
        assert sorted(tuple(normal(v) for v in row) for row in read[name]) == rows, name
