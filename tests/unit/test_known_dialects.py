"""The dialect names elt accepts without importing sqlglot are ones sqlglot really has."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect

from elt.dialects.names import KNOWN_DIALECTS


@pytest.mark.parametrize("name", sorted(KNOWN_DIALECTS))
def test_known_dialect_exists_in_sqlglot(name: str) -> None:
    assert Dialect.get_or_raise(name) is not None


def test_elts_hive_reader_leaves_sqlglots_hive_alone() -> None:
    """elt parses Hive models with its own subclass; sqlglot's registry keeps the stock 'hive' for others."""
    from sqlglot.dialects.hive import Hive

    from elt.dialects.hive_reader import HIVE, EltHive, reader

    assert type(Dialect.get_or_raise("hive")) is Hive
    assert reader("hive") is HIVE and isinstance(HIVE, EltHive)
    assert reader("spark") == "spark"
