"""Incremental models' config: the effective strategy, the checks made at compile time for the target's
engine (strategy, unique_key, partitions, on_schema_change), and the column type changes a load would
not keep the meaning of. How a model is rendered for its run is in `incremental_render`, how its rows
are loaded in `incremental`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from elt.errors import ProjectError
from elt.nodes import Column, Node

if TYPE_CHECKING:
    from elt.adapters.base import Adapter

STRATEGIES = ("append", "insert_overwrite", "merge")
SCHEMA_CHANGES = ("fail", "ignore", "append_new_columns", "sync_all_columns")


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def strategy(node: Node) -> str:
    """The effective strategy: as configured, else insert_overwrite with partition_by, else append."""
    return str(node.config.get("incremental_strategy") or ("insert_overwrite" if node.config.get("partition_by")
                                                           else "append"))


def check_config(node: Node, *, adapter: type[Adapter], engine: str, columns: Sequence[str] | None = None) -> None:
    """Refuse unsafe or impossible combinations before anything runs.

    Args:
        adapter: the target's adapter class: what its engine can do (merge, drop columns).
        engine: the target's type, for messages.
        columns: the names of the query's output columns when they are known at compile time (no
            `select *`), to check partition_by against.

    Raises:
        ProjectError: naming the model file, what is wrong and what to do instead.
    """
    config, chosen = node.config, strategy(node)
    where: dict[str, Any] = {"path": node.path}
    if chosen not in STRATEGIES:
        raise ProjectError(f"unknown incremental_strategy {chosen!r} for model {node.name!r}", **where,
                           hint=f"use one of: {', '.join(STRATEGIES)}")
    change = config.get("on_schema_change", "fail")
    if change not in SCHEMA_CHANGES:
        raise ProjectError(f"unknown on_schema_change {change!r} for model {node.name!r}", **where,
                           hint=f"use one of: {', '.join(SCHEMA_CHANGES)}")
    if change == "sync_all_columns" and not adapter.SUPPORTS_DROP_COLUMN:
        raise ProjectError(
            f"model {node.name!r}: on_schema_change='sync_all_columns' needs to drop columns, and {engine} "
            "tables cannot drop columns", **where,
            hint="use append_new_columns (a removed column is then filled with NULL), or --full-refresh "
                 "after a change of columns")
    if chosen == "insert_overwrite" and not config.get("partition_by") and config.get("full_overwrite_ok") is not True:
        raise ProjectError(
            f"model {node.name!r}: insert_overwrite without partition_by would replace the whole table "
            "on every run", **where,
            hint="set partition_by=[...] to replace only the partitions loaded, use append or merge, or "
                 "set full_overwrite_ok=true if replacing everything is what you want")
    unique_key = as_list(config.get("unique_key"))
    if chosen == "merge" and not unique_key:
        raise ProjectError(f"model {node.name!r}: the merge strategy needs unique_key", **where,
                           hint="unique_key='id' or unique_key=['id', 'day']")
    if chosen != "merge" and unique_key:
        # Silently ignoring it would let rows with the same key pile up.
        raise ProjectError(
            f"model {node.name!r}: unique_key is only used by the merge strategy; {chosen} would ignore it "
            "and load rows with keys already in the table", **where,
            hint="set incremental_strategy='merge', or remove unique_key")
    refusal = adapter.merge_refusal(config, unique_key, engine) if chosen == "merge" else None
    if refusal is not None:
        problem, fix = refusal
        raise ProjectError(f"model {node.name!r}: {problem}", **where, hint=fix)
    if config.get("batch_size") not in (None, "day", "month"):
        raise ProjectError(f"model {node.name!r}: batch_size must be day or month", **where)
    partition_by = as_list(config.get("partition_by"))
    if columns is not None and partition_by:
        missing = [p for p in partition_by if p.lower() not in {c.lower() for c in columns}]
        if missing:
            raise ProjectError(
                f"model {node.name!r}: partition_by column(s) {', '.join(missing)} are not among the "
                f"query's columns ({', '.join(columns)})", **where,
                hint="select the partition column(s), or change partition_by")


def check_models(manifest: Any, adapter_cls: type[Adapter]) -> None:
    """`check_config` for every incremental model of a compiled manifest, for the target's engine."""
    for node in manifest.nodes.values():
        if node.resource_type == "model" and node.materialized == "incremental":
            check_config(node, adapter=adapter_cls, engine=manifest.target.type,
                         columns=output_columns(manifest, node) if node.config.get("partition_by") else None)


def output_columns(manifest: Any, node: Node) -> list[str] | None:
    """The names of a model's output columns from its parsed query; None when they are not all
    known without the catalog (`select *`, an unnamed expression)."""
    try:
        names = list(manifest.queries[node.unique_id].named_selects)
    except (KeyError, AttributeError):
        return None
    if not names or any(not name or name == "*" for name in names):
        return None
    return names


# Coarse type families: a column whose family changes (int -> double, date -> string) would have its
# new values converted to the old type on load — 5.4 stored as 5 — so on_schema_change='fail' refuses
# it. Within a family (int -> bigint, varchar -> string) values keep their meaning.
_FAMILIES = {
    "integer": ("tinyint", "smallint", "int", "integer", "bigint", "hugeint", "long", "short", "byte",
                "int1", "int2", "int4", "int8", "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"),
    "decimal": ("decimal", "numeric", "dec"),
    "float": ("float", "double", "real", "float4", "float8", "double precision"),
    "string": ("string", "varchar", "char", "text", "bpchar", "character varying"),
    "boolean": ("boolean", "bool"),
    "date": ("date",),
    "timestamp": ("timestamp", "datetime", "timestamp_ntz", "timestamp_ltz", "timestamp with time zone",
                  "timestamptz", "timestamp without time zone"),
    "binary": ("binary", "blob", "bytea", "varbinary"),
}
_FAMILY_OF = {name: family for family, names in _FAMILIES.items() for name in names}
_DECIMAL = re.compile(r"^(?:decimal|numeric|dec)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


def type_family(data_type: str) -> tuple[str, int]:
    """(family, decimal scale) of an engine's type name; a nested type is its own family.

    >>> type_family("BIGINT"), type_family("int"), type_family("DECIMAL(38,2)"), type_family("varchar(10)")
    (('integer', 0), ('integer', 0), ('decimal', 2), ('string', 0))
    >>> type_family("decimal(20,0)")
    ('integer', 0)
    """
    text = " ".join(data_type.lower().split())
    if any(mark in text for mark in "<[") or text.startswith(("struct", "map", "array", "union")):
        return text.replace(" ", ""), 0
    decimal = _DECIMAL.match(text)
    if decimal:
        scale = int(decimal.group(2) or 0)
        return ("integer", 0) if scale == 0 else ("decimal", scale)
    base = text.split("(")[0].strip()
    return _FAMILY_OF.get(base, base), 0


def type_changes(old: Sequence[Column], new: Sequence[Column]) -> list[tuple[str, str, str]]:
    """(column, old type, new type) for the columns of both lists whose values would not load
    unchanged: another type family, or a decimal with more digits after the point.

    >>> type_changes([Column("a", "", "INTEGER"), Column("b", "", "int")],
    ...              [Column("a", "", "DECIMAL(3,1)"), Column("b", "", "BIGINT")])
    [('a', 'INTEGER', 'DECIMAL(3,1)')]
    """
    before = {c.name.lower(): c for c in old}
    changes = []
    for column in new:
        previous = before.get(column.name.lower())
        if previous is None:
            continue
        old_type, new_type = previous.data_type or "", column.data_type or ""
        (old_family, old_scale), (new_family, new_scale) = type_family(old_type), type_family(new_type)
        if old_family != new_family or new_scale > old_scale:
            changes.append((column.name, old_type, new_type))
    return changes
