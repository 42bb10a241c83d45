"""Hive functions that DuckDB lacks, registered on each DuckDB connection as macros."""

from __future__ import annotations

from typing import Any


def register(connection: Any) -> None:
    """Create the Hive-compatibility macros on a DuckDB connection (idempotent)."""
