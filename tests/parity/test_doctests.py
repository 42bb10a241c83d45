"""Run the `>>>` examples of the dialect helpers and of the parity suite's own canonical form."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["elt.dialects.java_time", "elt.dialects.hive_functions", "canonical"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
