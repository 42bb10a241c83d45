"""Loading a seed: rows into a temporary table, then swap in, like a table model."""

from __future__ import annotations

from elt.adapters.base import Adapter
from elt.materializations import TMP_SUFFIX, drop_if_exists, swap_in
from elt.nodes import Relation
from elt.project.seed_files import SeedData


def load_seed(adapter: Adapter, relation: Relation, data: SeedData) -> int:
    built = relation.with_name(relation.name + TMP_SUFFIX)
    drop_if_exists(adapter, built)
    try:
        adapter.load_rows(built, data.columns, data.rows)
    except Exception:
        drop_if_exists(adapter, built)
        raise
    swap_in(adapter, built, relation, "table")
    return len(data.rows)
