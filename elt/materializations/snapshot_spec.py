"""A snapshot's checked settings (SCD type 2): what the compiler validates and the build reads.

A snapshot node carries its config as any node does (`Node.config`: yml `config:`, the `{% snapshot %}`
block's `config()`, folder defaults). `SnapshotSpec` is that config checked and normalised once, with dbt's
meanings and defaults, so the build (`materializations/snapshot.py`) never reads raw config keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Strategy = Literal["timestamp", "check"]
HardDeletes = Literal["ignore", "invalidate", "new_record"]


@dataclass(frozen=True)
class SnapshotColumns:
    """The names of the columns a snapshot adds (dbt's `snapshot_meta_column_names`)."""

    scd_id: str = "dbt_scd_id"
    updated_at: str = "dbt_updated_at"
    valid_from: str = "dbt_valid_from"
    valid_to: str = "dbt_valid_to"
    is_deleted: str = "dbt_is_deleted"


@dataclass(frozen=True)
class SnapshotSpec:
    """Attributes:
        unique_key: the column(s) identifying a row of the snapshotted query.
        strategy: `timestamp` (a row changed when `updated_at` moved) or `check` (when a `check_cols` value did).
        updated_at: the query's column (timestamp strategy; optional for check, where dbt uses it as the
            row's time when given).
        check_cols: check strategy: the compared columns; None means `all` (every column but the key).
        hard_deletes: what a key missing from the query does to its current row.
        columns: the names of the added columns.
        valid_to_current: SQL expression current rows carry in `valid_to` (dbt_valid_to_current), else NULL.
    """

    unique_key: tuple[str, ...]
    strategy: Strategy
    updated_at: str | None = None
    check_cols: tuple[str, ...] | None = None
    hard_deletes: HardDeletes = "ignore"
    columns: SnapshotColumns = SnapshotColumns()
    valid_to_current: str | None = None
