"""A snapshot's config checked once, at compile time: `snapshot_spec(node)` -> SnapshotSpec, or a
ProjectError naming the snapshot's file and line, what is wrong and what to write instead.

The keys and their meanings are dbt's (1.9+): unique_key, strategy (timestamp | check), updated_at,
check_cols ('all' or a list), hard_deletes (ignore | invalidate | new_record, or the legacy
invalidate_hard_deletes: true), dbt_valid_to_current, snapshot_meta_column_names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from elt.errors import ProjectError
from elt.materializations.snapshot_spec import HardDeletes, SnapshotColumns, SnapshotSpec, Strategy
from elt.nodes import IDENTIFIER, Node

STRATEGIES: tuple[Strategy, ...] = ("timestamp", "check")
HARD_DELETES: tuple[HardDeletes, ...] = ("ignore", "invalidate", "new_record")
#: snapshot_meta_column_names' keys -> SnapshotColumns' fields.
META_COLUMNS = {"dbt_scd_id": "scd_id", "dbt_updated_at": "updated_at", "dbt_valid_from": "valid_from",
                "dbt_valid_to": "valid_to", "dbt_is_deleted": "is_deleted"}

_EXAMPLE = ("e.g. config: {unique_key: id, strategy: timestamp, updated_at: updated_at} or "
            "{unique_key: [id, day], strategy: check, check_cols: [status, amount]}")


def snapshot_spec(node: Node) -> SnapshotSpec:
    """The checked settings of a snapshot node, from its merged config (`node.config`).

    Raises:
        ProjectError: a missing unique_key, an unknown strategy, timestamp without updated_at, check
            without check_cols, a bad hard_deletes, bad column names; naming `node.path` and `node.line`.
    """
    config = node.config
    unique_key = _names(node, "unique_key", config.get("unique_key"), required=True,
                        hint="unique_key: id (or a list: [id, day]): the column(s) identifying a row of the query")
    strategy = config.get("strategy")
    if strategy is None:
        _fail(node, "has no strategy",
              f"set strategy: timestamp (with updated_at) or check (with check_cols); {_EXAMPLE}")
    if strategy not in STRATEGIES:
        _fail(node, f"unknown strategy {strategy!r}", f"use one of: {', '.join(STRATEGIES)}")
    updated_at = _name(node, "updated_at", config.get("updated_at"))
    if strategy == "timestamp" and updated_at is None:
        _fail(node, "the timestamp strategy needs updated_at",
              "updated_at: <the query's column holding when the row last changed>, or strategy: check with check_cols")
    check_cols = _check_cols(node, config.get("check_cols"), strategy)
    return SnapshotSpec(
        unique_key=unique_key,
        strategy=strategy,
        updated_at=updated_at,
        check_cols=check_cols,
        hard_deletes=_hard_deletes(node, config),
        columns=_columns(node, config.get("snapshot_meta_column_names"), unique_key),
        valid_to_current=_valid_to_current(node, config.get("dbt_valid_to_current")),
    )


def _fail(node: Node, problem: str, hint: str) -> NoReturn:
    raise ProjectError(f"snapshot {node.name!r}: {problem}", path=node.path, line=node.line, node=node.unique_id,
                       hint=hint)


def _name(node: Node, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        _fail(node, f"{key} must be a column name, not {value!r}", "letters, digits and _, not starting with a digit")
    return value


def _names(node: Node, key: str, value: Any, *, required: bool, hint: str) -> tuple[str, ...]:
    if value in (None, "", []):
        if required:
            _fail(node, f"has no {key}", hint)
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and IDENTIFIER.match(n) for n in names):
        _fail(node, f"{key} must be a column name or a list of column names, not {value!r}", hint)
    lowered = [n.lower() for n in names]
    if len(set(lowered)) != len(lowered):
        _fail(node, f"{key} names a column twice: {value!r}", hint)
    return tuple(names)


def _check_cols(node: Node, value: Any, strategy: str) -> tuple[str, ...] | None:
    if strategy != "check":
        if value is not None:
            _fail(node, "check_cols is only read by the check strategy; timestamp would ignore it",
                  "remove check_cols, or set strategy: check")
        return None
    hint = "check_cols: all (every column of the query), or a list of the compared columns: [status, amount]"
    if value is None:
        _fail(node, "the check strategy needs check_cols", hint)
    if value == "all":
        return None
    if isinstance(value, str):
        _fail(node, f"check_cols must be all or a list of column names, not {value!r}", hint)
    return _names(node, "check_cols", value, required=True, hint=hint)


def _hard_deletes(node: Node, config: Mapping[str, Any]) -> HardDeletes:
    legacy, chosen = config.get("invalidate_hard_deletes"), config.get("hard_deletes")
    if legacy is not None and chosen is not None:
        _fail(node, "sets both hard_deletes and the older invalidate_hard_deletes",
              "keep hard_deletes only (invalidate_hard_deletes: true is hard_deletes: invalidate)")
    if legacy is not None:
        if not isinstance(legacy, bool):
            _fail(node, f"invalidate_hard_deletes must be true or false, not {legacy!r}",
                  "better: hard_deletes: ignore | invalidate | new_record")
        return "invalidate" if legacy else "ignore"
    if chosen is None:
        return "ignore"
    for mode in HARD_DELETES:
        if chosen == mode:
            return mode
    _fail(node, f"unknown hard_deletes {chosen!r}",
          "use ignore (default: a key gone from the query keeps its current row), invalidate (its current row "
          "is closed) or new_record (closed, and a row marked deleted is added)")


def _columns(node: Node, value: Any, unique_key: tuple[str, ...]) -> SnapshotColumns:
    hint = "e.g. snapshot_meta_column_names: {dbt_valid_from: valid_from, dbt_valid_to: valid_to}"
    if value is not None and not isinstance(value, Mapping):
        _fail(node, f"snapshot_meta_column_names must be a mapping, not {value!r}", hint)
    value = value or {}
    unknown = sorted(str(k) for k in value if k not in META_COLUMNS)
    if unknown:
        _fail(node, f"snapshot_meta_column_names: unknown key(s) {', '.join(unknown)}",
              f"its keys are {', '.join(META_COLUMNS)}; {hint}")
    renamed = {META_COLUMNS[key]: _name(node, f"snapshot_meta_column_names.{key}", name)
               for key, name in value.items() if name is not None}
    columns = SnapshotColumns(**{field: name for field, name in renamed.items() if name is not None})
    names = [columns.scd_id, columns.updated_at, columns.valid_from, columns.valid_to, columns.is_deleted]
    lowered = [n.lower() for n in names]
    if len(set(lowered)) != len(lowered):
        _fail(node, f"snapshot_meta_column_names gives two columns one name ({', '.join(names)})", hint)
    clash = [k for k in unique_key if k.lower() in lowered]
    if clash:
        _fail(node, f"the unique_key column {clash[0]} has the name of a snapshot column", hint)
    return columns


def _valid_to_current(node: Node, value: Any) -> str | None:
    if value is None:
        return None
    hint = "an SQL expression in the project's dialect, e.g. dbt_valid_to_current: \"CAST('9999-12-31' AS TIMESTAMP)\""
    if not isinstance(value, str) or not value.strip():
        _fail(node, f"dbt_valid_to_current must be an SQL expression, not {value!r}", hint)
    import sqlglot

    from elt.dialects.hive_reader import reader
    from elt.dialects.names import DEFAULT_DIALECT

    try:
        parsed = sqlglot.parse_one(value, read=reader(DEFAULT_DIALECT))
    except sqlglot.errors.ParseError as exc:
        _fail(node, f"dbt_valid_to_current {value!r} is not an SQL expression: {str(exc).splitlines()[0]}", hint)
    if not isinstance(parsed, sqlglot.exp.Expr) or isinstance(parsed, sqlglot.exp.Query) or parsed.find(
            sqlglot.exp.Column) is not None:
        _fail(node, f"dbt_valid_to_current {value!r} must be a constant expression (no column, no query)", hint)
    return value.strip()
