"""Unit tests cast given and expected values in the project dialect (elt.compile.unit_types): in a Hive
project, the value a cast gives on the in-memory DuckDB (through the translation) is the value the same
CAST gives on the real server."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from elt.adapters import memory_adapter
from elt.compile.unit_types import cast_value
from elt.dialects import translate

pytestmark = pytest.mark.hive

CASES: list[tuple[Any, str]] = [
    (1.7, "int"), ("1.7", "int"), ("n/a", "int"), (1, "decimal(10,2)"), (1.001, "decimal(10,2)"),
    ("2016-09-01", "timestamp"), ("2016-09-01 10:00:00", "date"), (datetime.date(2016, 9, 1), "timestamp"),
    ("2.5", "double"), (True, "string"), ("TRUE", "boolean"), (False, "boolean"), (3000000000, "int"), (None, "bigint"),
]


def test_unit_test_casts_mean_what_hive_casts_mean(adapter: Any):
    columns = [exp.alias_(cast_value(value, exp.DataType.build(kind, dialect="hive"), "t", {}), f"c{number}")
               for number, (value, kind) in enumerate(CASES)]
    query = exp.select(*columns)
    on_server = adapter.fetchall(query.sql(dialect="hive"))[0]
    with memory_adapter(Path("profiles.yml")) as memory:
        local = memory.fetchall(translate(query, "hive", memory.dialect))[0]
    # as text: the Hive driver gives DATE values as text
    assert [None if v is None else str(v) for v in local] == [None if v is None else str(v) for v in on_server]
