"""Fixtures for the parity suite: a DuckDB connection prepared as the DuckDB adapter prepares one, and a
connection to a real HiveServer2 (Spark Thrift Server) when ELT_HIVE_HOST/ELT_HIVE_PORT point at one.

The hive-marked test connects here itself (not through tests/hive's `hive_server`), so the parity suite
only needs a running server: CI starts one and sets the two variables; without them the test skips.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

#: engine -> outcome ('identical', 'refused', 'different') -> count; printed after the run.
PARITY: dict[str, Counter[str]] = {}


@pytest.fixture(scope="session")
def duckdb_conn() -> Iterator[Any]:
    """One DuckDB connection as the adapter makes it: Hive macros registered, session time zone UTC."""
    import duckdb

    from elt.dialects.duckdb_functions import register

    conn = duckdb.connect()
    register(conn)
    conn.execute("SET TimeZone = 'UTC'")
    yield conn
    conn.close()


def hive_address() -> tuple[str, int] | None:
    host, port = os.environ.get("ELT_HIVE_HOST"), os.environ.get("ELT_HIVE_PORT")
    if not host or not port:
        return None
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return host, int(port)
    except OSError:
        return None


@pytest.fixture(scope="session")
def hive_conn() -> Iterator[Any]:
    """A pyhive connection to ELT_HIVE_HOST:ELT_HIVE_PORT, session time zone UTC; skips without one."""
    address = hive_address()
    if address is None:
        pytest.skip("no Hive server: set ELT_HIVE_HOST and ELT_HIVE_PORT to a running one")
    from pyhive import hive

    conn = hive.connect(host=address[0], port=address[1], username="elt", auth="NONE")
    cursor = conn.cursor()
    cursor.execute("SET spark.sql.session.timeZone=UTC")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def parity_record() -> dict[str, Counter[str]]:
    return PARITY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for engine, counts in PARITY.items():
        total = sum(counts.values())
        terminalreporter.write_line(
            f"parity ({engine} vs fixtures from Hive): {counts['identical']}/{total} identical, "
            f"{counts['refused']} refused with SqlError, {counts['different']} different"
        )
