"""`view`: CREATE OR REPLACE over a view; over a table, build under a temporary name and swap in."""

from __future__ import annotations

from elt.adapters.base import Adapter
from elt.materializations import TMP_SUFFIX, drop_if_exists, swap_in
from elt.nodes import Relation


def build_view(adapter: Adapter, relation: Relation, query: str) -> None:
    existing = adapter.relation_kind(relation)
    if existing in (None, "view"):
        # Replacing a view is atomic on every engine we support, and fails without change.
        adapter.create_view_as(relation, query, replace=existing == "view")
        return
    built = relation.with_name(relation.name + TMP_SUFFIX)
    drop_if_exists(adapter, built)
    adapter.create_view_as(built, query, replace=False)
    swap_in(adapter, built, relation, "view")
