"""The dialect names elt accepts without importing sqlglot are ones sqlglot really has."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect

from elt.config import _KNOWN_DIALECTS


@pytest.mark.parametrize("name", sorted(_KNOWN_DIALECTS))
def test_known_dialect_exists_in_sqlglot(name: str) -> None:
    assert Dialect.get_or_raise(name) is not None
