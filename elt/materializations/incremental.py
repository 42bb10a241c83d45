"""`incremental`: load new rows into an existing table — append, insert_overwrite or merge.

The new rows are first materialized in a temporary table, and everything that can refuse the load
(a query error, a schema change under on_schema_change='fail', a partition column or a unique key
missing) is checked before the target is touched. Only then are the table's columns reconciled and
the rows loaded: in one transaction where the engine has them (DuckDB). Without transactions (Hive),
when columns must be added the load is first rehearsed on an empty copy of the table with those
columns, so a row that cannot be converted fails there and the table is left as it was. On the first
run, with --full-refresh, or when a view stands at the name, the table is built like a `table` model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from elt.adapters.base import Adapter
from elt.errors import AdapterError
from elt.materializations import TMP_SUFFIX, drop_if_exists
from elt.materializations.incremental_config import as_list, strategy, type_changes
from elt.materializations.table import build_table
from elt.nodes import Column, Node, Relation

#: the empty copy of the table a load is rehearsed on (engines without transactions).
REHEARSAL_SUFFIX = "__elt_rehearsal"


@dataclass
class IncrementalOutcome:
    strategy: str
    rows_inserted: int
    partitions: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SchemaChange:
    """What on_schema_change will do to the table's columns before the load."""

    add: list[Column] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    #: sync_all_columns: (column, new type) for columns whose type family changed.
    retype: list[tuple[str, str]] = field(default_factory=list)


def _names(columns: Sequence[Column]) -> set[str]:
    return {c.name.lower() for c in columns}


def plan_schema_change(node: Node, old: list[Column], new: list[Column], *, can_drop: bool) -> SchemaChange:
    """Decide on_schema_change's action, changing nothing yet.

    Raises:
        AdapterError: under `fail`, the columns or their types changed (naming them); under
            `sync_all_columns`, columns are gone and the engine cannot drop columns.
    """
    mode = node.config.get("on_schema_change", "fail")
    added = [c for c in new if c.name.lower() not in _names(old)]
    removed = [c.name for c in old if c.name.lower() not in _names(new)]
    if mode == "fail":
        retyped = type_changes(old, new)
        if added or removed or retyped:
            parts = []
            if added or removed:
                parts.append(f"new {[c.name for c in added] or 'none'}, gone {removed or 'none'}")
            parts.extend(f"type of {name}: {before} -> {after}" for name, before, after in retyped)
            raise AdapterError(
                f"the columns of {node.relation} changed: {'; '.join(parts)}",
                hint="set on_schema_change to ignore, append_new_columns or sync_all_columns, or run with "
                     "--full-refresh to rebuild the table",
            )
    if mode == "sync_all_columns" and removed and not can_drop:
        raise AdapterError(f"{node.relation}: this engine cannot drop columns ({removed})",
                           hint="use append_new_columns, or --full-refresh to rebuild the table")
    change = SchemaChange()
    if mode in ("append_new_columns", "sync_all_columns"):
        change.add = added
    if mode == "sync_all_columns":
        change.drop = removed
        change.retype = [(name, after) for name, _, after in type_changes(old, new)]
    return change


def _apply(adapter: Adapter, relation: Relation, change: SchemaChange) -> None:
    if change.add:
        adapter.add_columns(relation, change.add)
    if change.drop:
        adapter.drop_columns(relation, change.drop)
    for name, data_type in change.retype:
        adapter.alter_column_type(relation, name, data_type)


def _load_lists(target: list[Column], new: list[Column], partition_by: list[str]) -> tuple[list[str], list[str]]:
    """(target columns to fill, select list over the new rows): partition columns last, in
    partition_by's order (Hive's INSERT ... PARTITION rule); a column the new rows lack is NULL."""
    names = [c.name for c in target]
    keys = [p.lower() for p in partition_by]
    ordered = [c for c in names if c.lower() not in keys] + [c for p in keys for c in names if c.lower() == p]
    present = _names(new)
    return ordered, [c if c.lower() in present else "NULL" for c in ordered]


def _partitions(adapter: Adapter, relation: Relation, partition_by: list[str]) -> list[str]:
    """The partitions (`dt=2024-06-01`, `a=1/b=x`) present in `relation`, sorted."""
    if not partition_by:
        return []
    rows = adapter.fetchall(f"SELECT DISTINCT {', '.join(partition_by)} FROM {relation}")
    values = sorted(tuple("" if v is None else str(v) for v in row) for row in rows)
    return ["/".join(f"{c}={v}" for c, v in zip(partition_by, row, strict=True)) for row in values]


def _check_partition_columns(node: Node, columns: list[Column], partition_by: list[str]) -> None:
    missing = [c for c in partition_by if c.lower() not in _names(columns)]
    if columns and missing:
        raise AdapterError(f"partition_by column(s) {', '.join(missing)} are not in the query of {node.relation}",
                           hint="select the partition column(s), or change partition_by")


def _check_staged(adapter: Adapter, node: Node, staged: Relation, columns: list[Column],
                  partition_by: list[str], unique_key: list[str], chosen: str) -> None:
    """Refuse, before the target is touched, new rows that cannot be loaded as configured."""
    _check_partition_columns(node, columns, partition_by)
    present = _names(columns)
    if chosen != "merge":
        return
    missing = [c for c in unique_key if c.lower() not in present]
    if missing:
        raise AdapterError(f"unique_key column(s) {', '.join(missing)} are not in the query of {node.relation}")
    keys = ", ".join(unique_key)
    duplicated = adapter.fetchall(
        f"SELECT COUNT(*) FROM (SELECT {keys} FROM {staged} GROUP BY {keys} HAVING COUNT(*) > 1) elt_duplicates")
    if int(duplicated[0][0]):
        raise AdapterError(
            f"the new rows of {node.relation} hold {duplicated[0][0]} unique_key value(s) more than once "
            f"({keys}); merge would not know which row to keep",
            hint="deduplicate the model's rows on its unique_key")


def _load(adapter: Adapter, chosen: str, relation: Relation, source: Relation, columns: list[str],
          select: list[str], partition_by: list[str], unique_key: list[str]) -> None:
    if chosen == "append":
        adapter.insert_into(relation, source, columns, select, partition_by)
    elif chosen == "insert_overwrite":
        adapter.insert_overwrite(relation, source, columns, select, partition_by)
    else:
        adapter.merge(relation, source, columns, select, unique_key)


def _rehearse(adapter: Adapter, relation: Relation, rehearsal: Relation, staged: Relation,
              change: SchemaChange, new: list[Column], partition_by: list[str]) -> list[str]:
    """Without transactions: load the new rows into an empty copy of the table with the columns to
    add, exactly as the real load would (same conversions). Returns the copy's columns — the real load
    then reads the copy, whose types are the table's, so it converts nothing and cannot fail on a
    value."""
    drop_if_exists(adapter, rehearsal)
    adapter.create_table_like(rehearsal, relation)
    _apply(adapter, rehearsal, change)
    columns, select = _load_lists(adapter.get_columns(rehearsal), new, partition_by)
    adapter.insert_into(rehearsal, staged, columns, select, partition_by)
    return columns


def build_incremental(adapter: Adapter, node: Node, query: str, *, full_refresh: bool) -> IncrementalOutcome:
    """Load `query`'s rows into the model's table by its strategy (or build the table)."""
    relation = node.relation
    assert relation is not None
    partition_by = as_list(node.config.get("partition_by"))
    existing = adapter.relation_kind(relation)
    if existing != "table" or full_refresh:
        if partition_by and not adapter.SUPPORTS_TABLE_OPTIONS:
            # Hive's CTAS refuses a missing partition column itself; elsewhere partition_by is only
            # read by the loads, so check the query's columns before the table is replaced.
            names, _ = adapter.fetch_table(f"SELECT * FROM (\n{query}\n) elt_columns LIMIT 0")
            _check_partition_columns(node, [Column(name) for name in names], partition_by)
        rows = build_table(adapter, relation, query, node.config)
        return IncrementalOutcome("full_refresh" if existing else "create", rows,
                                  partitions=_partitions(adapter, relation, partition_by))
    chosen = strategy(node)
    unique_key = as_list(node.config.get("unique_key"))
    staged = relation.with_name(relation.name + TMP_SUFFIX)
    rehearsal: Relation | None = None
    drop_if_exists(adapter, staged)
    adapter.create_table_as(staged, query, {})
    try:
        new = adapter.get_columns(staged)
        _check_staged(adapter, node, staged, new, partition_by, unique_key, chosen)
        change = plan_schema_change(node, adapter.get_columns(relation), new, can_drop=adapter.SUPPORTS_DROP_COLUMN)
        outcome = IncrementalOutcome(chosen, adapter.row_count(staged),
                                     partitions=_partitions(adapter, staged, partition_by),
                                     columns_added=[c.name for c in change.add], columns_removed=change.drop)
        source = staged
        if change.add and not adapter.SUPPORTS_TRANSACTIONS:
            rehearsal = relation.with_name(relation.name + REHEARSAL_SUFFIX)
            shaped = _rehearse(adapter, relation, rehearsal, staged, change, new, partition_by)
            source, new = rehearsal, [Column(name) for name in shaped]
        with adapter.transaction():
            _apply(adapter, relation, change)
            columns, select = _load_lists(adapter.get_columns(relation), new, partition_by)
            _load(adapter, chosen, relation, source, columns, select, partition_by, unique_key)
    finally:
        drop_if_exists(adapter, staged)
        if rehearsal is not None:
            drop_if_exists(adapter, rehearsal)
    return outcome
