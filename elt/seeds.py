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
from elt.project import read_text

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
_BOOL = {"true": True, "false": False}
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class SeedData:
    """A parsed seed: (name, Hive type) per column and the converted rows."""

    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]


def _infer(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if not present:
        return "string"
    if all(_INT.match(v) for v in present):
        # A leading zero is an identifier (zip code, course code), not a number.
        if any(len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0") for v in present):
            return "string"
        return "int" if all(abs(int(v)) <= INT_MAX for v in present) else "bigint"
    if all(_FLOAT.match(v) for v in present):
        return "double"
    if all(v.lower() in _BOOL for v in present):
        return "boolean"
    if all(_DATE.match(v) and _is_date(v) for v in present):
        return "date"
    if all(_TIMESTAMP.match(v) for v in present):
        return "timestamp"
    return "string"


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


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
        return lambda v: datetime.datetime.fromisoformat(v.replace("T", " "))
    return str


def read_seed(root: Path, rel_path: str, config: dict[str, Any]) -> SeedData:
    """Parse a seed CSV (header row first) into typed rows.

    Raises:
        ProjectError: unreadable/non-UTF-8 file, no header, bad column names, ragged rows, or a
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
    columns = [(name, overrides.get(name) or _infer([r[i] for r in body])) for i, name in enumerate(header)]
    converters = [_converter(t) for _, t in columns]
    rows = []
    for number, record in numbered:
        try:
            rows.append(tuple(None if v == "" else conv(v) for v, conv in zip(record, converters, strict=True)))
        except (ValueError, KeyError, decimal.InvalidOperation) as exc:
            raise ProjectError(f"value does not fit its column type: {exc}", path=rel_path, line=number) from None
    return SeedData(columns=columns, rows=rows)
