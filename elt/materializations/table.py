"""`table`: build under a temporary name, then swap in."""

from __future__ import annotations

from typing import Any

from elt.adapters.base import Adapter
from elt.materializations import TMP_SUFFIX, drop_if_exists, swap_in
from elt.nodes import Relation


def build_table(adapter: Adapter, relation: Relation, query: str, config: dict[str, Any]) -> int:
    """Create or replace `relation` as a table from `query`; returns its row count."""
    built = relation.with_name(relation.name + TMP_SUFFIX)
    drop_if_exists(adapter, built)
    try:
        adapter.create_table_as(built, query, config)
    except Exception:
        drop_if_exists(adapter, built)
        raise
    swap_in(adapter, built, relation, "table")
    return adapter.row_count(relation)
