"""`table`: build under a temporary name, then swap in (or, where the engine replaces a table atomically
in one statement, SUPPORTS_ATOMIC_REPLACE, that statement). Where nothing has the name yet, there is no
previous table to protect: the table is created in place, in one statement.

A table with a `location` (engines with SUPPORTS_TABLE_OPTIONS) lives in a folder the rebuild cannot
share: the temporary table is built without it (in the schema's own folder), so a failing query leaves
the previous table and its files untouched. Only then is the previous table parked under a backup name
(for an external table, a rename keeps its files where they are), the new one created at `location` from
the temporary rows (which replaces the folder's files), and the backup dropped (an external table: its
folder, now the new table's, stays). Should that last write fail, the backup is renamed back; but the
backup reads the same folder, so a write that failed halfway may have replaced some of its files: only
that last step is not atomic.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, overload

from elt.adapters.base import Adapter
from elt.materializations import BACKUP_SUFFIX, TMP_SUFFIX, drop_if_exists, swap_in
from elt.nodes import Relation

log = logging.getLogger("elt")

#: Model config keys that only an engine with SUPPORTS_TABLE_OPTIONS applies.
TABLE_OPTIONS = ("partition_by", "clustered_by", "buckets", "file_format", "location", "tblproperties", "comment")


@overload
def build_table(adapter: Adapter, relation: Relation, query: str, config: dict[str, Any], *,
                count_rows: Literal[True] = ...) -> int: ...
@overload
def build_table(adapter: Adapter, relation: Relation, query: str, config: dict[str, Any], *,
                count_rows: bool) -> int | None: ...
def build_table(adapter: Adapter, relation: Relation, query: str, config: dict[str, Any], *,
                count_rows: bool = True) -> int | None:
    """Create or replace `relation` as a table from `query`; returns its row count (None when not
    `count_rows` and the engine does not give it for free)."""
    if not adapter.SUPPORTS_TABLE_OPTIONS:
        ignored = [key for key in TABLE_OPTIONS if config.get(key) not in (None, "", [], {})]
        if ignored:
            log.debug("%s: %s ignored on %s (Hive table options)", relation, ", ".join(ignored), adapter.type)
    location = config.get("location") if adapter.SUPPORTS_TABLE_OPTIONS else None
    if adapter.SUPPORTS_ATOMIC_REPLACE and not location and adapter.relation_kind(relation) != "view":
        return adapter.replace_table_as(relation, query, config)
    existing = adapter.relation_kind(relation)
    if existing is None and not location:
        # Nothing to protect. A CTAS that fails leaves no table (the engine drops what it began), and
        # is never followed by a drop here: should the name have been taken meanwhile, the CTAS fails
        # on it and must not remove it.
        adapter.create_table_as(relation, query, config)
        return adapter.row_count(relation) if count_rows else None
    built = relation.with_name(relation.name + TMP_SUFFIX)
    drop_if_exists(adapter, built)
    try:
        # Never at `location`: that folder holds the live table's files until the swap.
        adapter.create_table_as(built, query, {k: v for k, v in config.items() if k != "location"})
    except Exception:
        drop_if_exists(adapter, built)
        raise
    if location:
        _swap_in_at_location(adapter, built, relation, config)
    else:
        swap_in(adapter, built, relation, "table")
    return adapter.row_count(relation) if count_rows else None


def _swap_in_at_location(adapter: Adapter, built: Relation, relation: Relation, config: dict[str, Any]) -> None:
    """Replace `relation` by a table at config's `location` holding the rows of `built`; drop `built`."""
    old = adapter.relation_kind(relation)
    backup = relation.with_name(relation.name + BACKUP_SUFFIX)
    try:
        if old is not None:
            drop_if_exists(adapter, backup)
            adapter.rename_relation(relation, backup.name, old)
        try:
            adapter.create_table_as(relation, f"SELECT * FROM {built}", config)
        except Exception:
            drop_if_exists(adapter, relation)
            if old is not None:
                adapter.rename_relation(backup, relation.name, old)
            raise
        if old is not None:
            adapter.drop_relation(backup, old)
    finally:
        drop_if_exists(adapter, built)
