"""Run the `>>>` examples in the docstrings of the pure modules."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "elt.compile.sqlmap", "elt.project.loader", "elt.report.console", "elt.compile.datatests",
    "elt.run.freshness", "elt.run.gates", "elt.secrets", "elt.project.seed_files", "elt.docs.serve",
    "elt.run.interrupts", "elt.errors", "elt.run.lock", "elt.materializations.incremental_config",
    "elt.materializations.incremental_render", "elt.compile.dbt_namespace", "elt.project.hooks",
    "elt.materializations.external", "elt.project.snapshot_files",
    "elt.dialects.column_types", "elt.run.pull_plan", "elt.adapters.hive",
    "elt.dialects.row_text", "elt.diff.hashes",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
