"""Run the `>>>` examples in the docstrings of the pure modules."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["elt.sqlmap", "elt.project", "elt.console", "elt.datatests", "elt.freshness", "elt.gates", "elt.secrets",
           "elt.seeds", "elt.docs.serve", "elt.interrupts", "elt.errors", "elt.lock"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
