"""`incremental`: load new rows into an existing table — append, insert_overwrite or merge.

The new rows are first materialized in a temporary table, so a query error never touches the target;
the load itself is one statement (Hive) or one transaction (DuckDB). On the first run, with
--full-refresh, or when a view stands at the name, the table is built like a `table` model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elt.adapters.base import Adapter
from elt.errors import AdapterError
from elt.incremental import as_list, strategy
from elt.materializations import TMP_SUFFIX, drop_if_exists
from elt.materializations.table import build_table
from elt.nodes import Column, Node


@dataclass
class IncrementalOutcome:
    strategy: str
    rows_inserted: int
    partitions: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _names(columns: list[Column]) -> list[str]:
    return [c.name.lower() for c in columns]


def _reconcile(adapter: Adapter, node: Node, old: list[Column], new: list[Column], outcome: IncrementalOutcome,
               ) -> tuple[list[str], list[str]]:
    """Apply on_schema_change; return (target columns to fill, select list from the new rows)."""
    mode = node.config.get("on_schema_change", "fail")
    old_names, new_names = _names(old), _names(new)
    added = [c for c in new if c.name.lower() not in old_names]
    removed = [c for c in old if c.name.lower() not in new_names]
    partition_by = [p.lower() for p in as_list(node.config.get("partition_by"))]
    if (added or removed) and mode == "fail":
        raise AdapterError(
            f"the columns of {node.relation} changed: new {[c.name for c in added] or 'none'}, "
            f"gone {[c.name for c in removed] or 'none'}",
            hint="set on_schema_change to ignore, append_new_columns or sync_all_columns, or run with "
                 "--full-refresh to rebuild the table",
        )
    if mode in ("append_new_columns", "sync_all_columns") and added:
        adapter.add_columns(node.relation, added)
        outcome.columns_added = [c.name for c in added]
    if mode == "sync_all_columns" and removed:
        if not adapter.SUPPORTS_DROP_COLUMN:
            raise AdapterError(f"{node.relation}: this engine cannot drop columns ({[c.name for c in removed]})",
                               hint="use append_new_columns, or --full-refresh to rebuild the table")
        adapter.drop_columns(node.relation, [c.name for c in removed])
        outcome.columns_removed = [c.name for c in removed]
    target = [c.name for c in adapter.get_columns(node.relation)]
    # Partition columns go last, in the order partition_by gives (Hive's INSERT ... PARTITION rule).
    ordered = [c for c in target if c.lower() not in partition_by] + [
        c for p in partition_by for c in target if c.lower() == p]
    select = [c if c.lower() in new_names else "NULL" for c in ordered]
    return ordered, select


def build_incremental(adapter: Adapter, node: Node, query: str, *, full_refresh: bool) -> IncrementalOutcome:
    """Load `query`'s rows into the model's table by its strategy (or build the table)."""
    relation = node.relation
    assert relation is not None
    existing = adapter.relation_kind(relation)
    if existing != "table" or full_refresh:
        rows = build_table(adapter, relation, query, node.config)
        return IncrementalOutcome("full_refresh" if existing else "create", rows)
    chosen = strategy(node)
    staged = relation.with_name(relation.name + TMP_SUFFIX)
    drop_if_exists(adapter, staged)
    adapter.create_table_as(staged, query, {})
    try:
        outcome = IncrementalOutcome(chosen, adapter.row_count(staged))
        columns, select = _reconcile(adapter, node, adapter.get_columns(relation), adapter.get_columns(staged),
                                     outcome)
        partition_by = as_list(node.config.get("partition_by"))
        if partition_by:
            rows = adapter.fetchall(f"SELECT DISTINCT {', '.join(partition_by)} FROM {staged} ORDER BY 1")
            outcome.partitions = ["/".join(f"{c}={v}" for c, v in zip(partition_by, row, strict=True))
                                  for row in rows]
        if chosen == "append":
            adapter.insert_into(relation, staged, columns, select, partition_by)
        elif chosen == "insert_overwrite":
            adapter.insert_overwrite(relation, staged, columns, select, partition_by)
        else:
            adapter.merge(relation, staged, columns, select, as_list(node.config.get("unique_key")))
    finally:
        drop_if_exists(adapter, staged)
    return outcome
