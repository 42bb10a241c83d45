"""Reading seed CSV files: column types inferred (Hive type names), overridable per column in yml.

Values are converted to Python objects of the column's type, so every adapter loads the same data.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elt.errors import ProjectError
from elt.nodes import IDENTIFIER
from elt.project.loader import read_text

_INT = re.compile(r"^[+-]?\d+$")
#: a number as text: integer, decimal, or float with an exponent (a CSV cell, a unit test's given value).
_NUMBER = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The hour may have one digit (`2020-02-04 4:30:21`), as dbt-duckdb (agate) and spreadsheets write it.
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2}(:\d{2}(\.\d{1,6})?)?)$")
_BOOL = {"true": True, "false": False}
INT_MAX = 2**31 - 1


def is_number(text: str) -> bool:
    """Whether `text` is a decimal number as a CSV writes one (no inf or nan)."""
    return _NUMBER.match(text) is not None


@dataclass(frozen=True)
class SeedData:
    """A parsed seed: (name, Hive type) per column and the converted rows."""

    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]


def infer_type(values: list[str]) -> str:
    """The Hive type of a column from its values as text ('' is missing): int, bigint, double, boolean,
    date, timestamp, or string."""
    present = [v for v in values if v != ""]
    if not present:
        return "string"
    if all(_INT.match(v) for v in present):
        # A leading zero is an identifier (zip code, course code), not a number.
        if any(len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0") for v in present):
            return "string"
        return "int" if all(abs(int(v)) <= INT_MAX for v in present) else "bigint"
    if all(is_number(v) for v in present):
        return "double"
    if all(v.lower() in _BOOL for v in present):
        return "boolean"
    if all(_DATE.match(v) and _is_date(v) for v in present):
        return "date"
    if all(_is_timestamp(v) for v in present):
        return "timestamp"
    return "string"


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_timestamp(value: str) -> bool:
    if not _TIMESTAMP.match(value):
        return False
    try:
        _timestamp(value)
    except ValueError:  # 25:00, February 30
        return False
    return True


def _timestamp(value: str) -> datetime.datetime:
    """A timestamp in ISO form, or with a one-digit hour (which `fromisoformat` refuses).

    >>> _timestamp("2020-02-04 4:30:21"), _timestamp("2020-02-04T14:30")
    (datetime.datetime(2020, 2, 4, 4, 30, 21), datetime.datetime(2020, 2, 4, 14, 30))
    """
    match = _TIMESTAMP.match(value)
    if match:
        day, hour, rest = match.group(1, 2, 3)
        value = f"{day} {int(hour):02d}:{rest}"
    return datetime.datetime.fromisoformat(value.replace("T", " "))


def _converter(hive_type: str) -> Callable[[str], Any]:
    base = hive_type.lower().split("(")[0].strip()
    if base in ("int", "integer", "bigint", "smallint", "tinyint"):
        return int
    if base in ("double", "float"):
        return float
    if base == "decimal":
        return decimal.Decimal
    if base == "boolean":
        return lambda v: _BOOL[v.lower()]
    if base == "date":
        return datetime.date.fromisoformat
    if base == "timestamp":
        return _timestamp
    return str


def _check_unique(header: list[str], rel_path: str) -> None:
    """Raise when two columns have one name; DuckDB and Hive do not tell `id` from `ID`."""
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        positions.setdefault(name.lower(), []).append(number)
    repeated = [numbers for numbers in positions.values() if len(numbers) > 1]
    if not repeated:
        return
    described = []
    for numbers in repeated:
        spellings = " and ".join(repr(s) for s in dict.fromkeys(header[n - 1] for n in numbers))
        described.append(f"{spellings} (columns {', '.join(map(str, numbers[:-1]))} and {numbers[-1]})")
    raise ProjectError(f"duplicate column name(s): {', '.join(described)}", path=rel_path, line=1,
                       hint="rename the columns in the header row so that each name is used once")


def read_seed(root: Path, rel_path: str, config: dict[str, Any]) -> SeedData:
    """Parse a seed CSV (header row first) into typed rows.

    Raises:
        ProjectError: unreadable/non-UTF-8 file, no header, bad or repeated column names, ragged rows, or a
            value that does not fit a type given in `column_types` (with its line).
    """
    path = root / rel_path
    text = read_text(path)
    delimiter = str(config.get("delimiter", ","))
    try:
        records = list(csv.reader(text.splitlines(), delimiter=delimiter))
    except csv.Error as exc:
        raise ProjectError(f"malformed CSV: {exc}", path=rel_path) from None
    if not records or not records[0]:
        raise ProjectError("seed has no header row", path=rel_path, hint="the first line names the columns")
    header = [h.strip() for h in records[0]]
    for name in header:
        if not IDENTIFIER.match(name):
            raise ProjectError(f"seed column name {name!r} is not a valid identifier", path=rel_path, line=1)
    _check_unique(header, rel_path)
    # (line number, fields) of each data row; blank lines are skipped, as spreadsheets write them.
    numbered = [(number, r) for number, r in enumerate(records[1:], start=2) if r]
    body = [r for _, r in numbered]
    for number, record in numbered:
        if len(record) != len(header):
            raise ProjectError(
                f"row has {len(record)} fields, the header has {len(header)}", path=rel_path, line=number
            )
    overrides = {str(k): str(v) for k, v in (config.get("column_types") or {}).items()}
    unknown = sorted(set(overrides) - set(header))
    if unknown:
        raise ProjectError(f"column_types names unknown column(s): {', '.join(unknown)}", path=rel_path)
    columns = [(name, overrides.get(name) or infer_type([r[i] for r in body])) for i, name in enumerate(header)]
    converters = [_converter(t) for _, t in columns]
    rows = []
    for number, record in numbered:
        try:
            rows.append(tuple(None if v == "" else conv(v) for v, conv in zip(record, converters, strict=True)))
        except (ValueError, KeyError, decimal.InvalidOperation) as exc:
            raise ProjectError(f"value does not fit its column type: {exc}", path=rel_path, line=number) from None
    return SeedData(columns=columns, rows=rows)
