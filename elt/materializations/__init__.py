"""Materializations: how a model's query becomes a relation, safely.

Tables (and views replacing a table) are built under a temporary name and swapped in only once the
build succeeded, so a failing model leaves the previous relation readable and unchanged. Engine
differences are read from the adapter's capability flags.
"""

from __future__ import annotations

from elt.adapters.base import Adapter, RelationKind
from elt.nodes import Relation

TMP_SUFFIX = "__elt_tmp"
BACKUP_SUFFIX = "__elt_backup"


def drop_if_exists(adapter: Adapter, relation: Relation) -> None:
    adapter.drop_if_exists(relation)


def swap_in(adapter: Adapter, built: Relation, relation: Relation, kind: RelationKind) -> None:
    """Replace `relation` (if any) by `built` (same schema), atomically where the engine can."""
    old = adapter.relation_kind(relation)
    if adapter.SUPPORTS_TRANSACTIONS:
        with adapter.transaction():
            if old is not None:
                adapter.drop_relation(relation, old)
            adapter.rename_relation(built, relation.name, kind)
        return
    # No transactions: park the old relation under a backup name, so it can be put back.
    backup = relation.with_name(relation.name + BACKUP_SUFFIX)
    if old is not None:
        drop_if_exists(adapter, backup)
        adapter.rename_relation(relation, backup.name, old)
    try:
        adapter.rename_relation(built, relation.name, kind)
    except Exception:
        if old is not None:
            adapter.rename_relation(backup, relation.name, old)
        raise
    if old is not None:
        adapter.drop_relation(backup, old)
