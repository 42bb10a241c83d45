"""Helpers for testing models from Python (pytest), on in-memory DuckDB, with no warehouse.

    from elt.testing import run_model, assert_model_returns

    def test_course_average():
        rows = run_model("mart_course_monthly_scores", given={
            "int_scores_enriched": [{"course_id": 1, "exam_date": "2024-01-10", "normalized_score": 80.0}],
        }, project_dir="path/to/project")
        assert rows[0]["avg_score"] == 80.0

Inputs are keyed by model or seed name (or written `ref('x')` / `source('src', 'table')`; `this` is
an incremental model's existing table, read when `is_incremental=True`), and hold a list of dicts or
anything with `to_dict(orient="records")` (a pandas DataFrame). A missing value — None, or the NaN /
NaT a DataFrame holds — is NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Rows = Iterable[Mapping[str, Any]] | Any


def _records(rows: Rows) -> list[dict[str, Any]]:
    from elt.compile.unittests import is_missing

    records = rows.to_dict(orient="records") if hasattr(rows, "to_dict") else rows
    return [{k: None if is_missing(v) else v for k, v in dict(r).items()} for r in records]


def _input(key: str) -> str:
    return key if "(" in key or key == "this" else f"ref('{key}')"


def _manifest(project_dir: str | Path, target: str | None, vars: Mapping[str, Any] | None) -> Any:
    from elt.compile.compiler import compile_project
    from elt.project.config import load_target
    from elt.project.loader import load_project

    project = load_project(Path(project_dir), dict(vars or {}))
    return compile_project(project, load_target(project.config, None, target))


def _spec(model: str, given: Mapping[str, Rows], expect: Rows | None, vars: Mapping[str, Any] | None,
          is_incremental: bool) -> Any:
    from elt.project.loader import UnitTestSpec

    return UnitTestSpec(
        name=f"python_{model}", model=model,
        given=[{"input": _input(k), "rows": _records(v)} for k, v in given.items()],
        expect={"rows": _records(expect or [])},
        overrides={"vars": dict(vars or {}), "macros": {"is_incremental": is_incremental}},
        description="", path="<python>", line=None,
    )


def run_model(model: str, given: Mapping[str, Rows], *, project_dir: str | Path = ".",
              vars: Mapping[str, Any] | None = None, is_incremental: bool = False,
              target: str | None = None) -> list[dict[str, Any]]:
    """Run one model over the given input rows; return its rows as dicts."""
    from elt.adapters import memory_adapter
    from elt.compile.unit_types import UnitTypes
    from elt.compile.unittests import render_unit_test

    manifest = _manifest(project_dir, target, vars)
    with memory_adapter(manifest.target.profiles_path) as adapter:
        # the inputs' columns as dbt fills them: those a row leaves out are NULL of their type
        types = UnitTypes(manifest, adapter)
        rendered = render_unit_test(manifest, _spec(model, given, None, vars, is_incremental), types)
        columns, rows = adapter.fetch_table(types.engine_sql(rendered))
    return [dict(zip(columns, row, strict=True)) for row in rows]


def assert_model_returns(model: str, given: Mapping[str, Rows], expected: Rows, *,
                         project_dir: str | Path = ".", vars: Mapping[str, Any] | None = None,
                         is_incremental: bool = False, target: str | None = None) -> None:
    """Assert the model returns exactly `expected` (order-insensitive, on the expected columns).

    Raises:
        AssertionError: with a table of the rows missing (-) and extra (+).
    """
    from elt.adapters import memory_adapter
    from elt.compile.unittests import run_unit_test

    manifest = _manifest(project_dir, target, vars)
    spec = _spec(model, given, expected, vars, is_incremental)
    with memory_adapter(manifest.target.profiles_path) as adapter:
        outcome = run_unit_test(manifest, spec, adapter)
    if not outcome.passed:
        raise AssertionError(f"model {model} returned other rows than expected:\n{outcome.diff()}")
