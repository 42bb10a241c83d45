"""A common form for query results from Hive (through pyhive) and DuckDB, so the two can be compared.

pyhive gives DATE as str, DECIMAL as Decimal, TIMESTAMP as datetime, and ARRAY/MAP/STRUCT as Spark's text
form (`[1,2]`, `{"a":1}`, `{1:"x"}`, with dates unquoted); DuckDB gives date, Decimal, datetime, list and
dict. Both become JSON-friendly values: numbers, str, bool, None, lists, `{"map": [[k, v], ...]}` for
maps and structs, `{"float": "nan"}` for non-finite floats, `{"bytes": hex}` for binary. Dates and
timestamps become their ISO text (`2024-01-01`, `2024-01-01 10:00:00.5`).

Also here: the coarse type of a column (number, string, date, ...) and the comparison with a tolerance.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from typing import Any

# -- values ---------------------------------------------------------------------------------------------


def _timestamp_text(value: dt.datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def canon(value: Any) -> Any:
    """The common form of one value (from either engine, once Spark's complex text is parsed)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"float": "nan"}
        if math.isinf(value):
            return {"float": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, dt.datetime):
        return _timestamp_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, (dict, Pairs)):
        items = value.items() if isinstance(value, dict) else value
        return {"map": sorted(([canon(k), canon(v)] for k, v in items), key=lambda kv: sort_key(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canon(v) for v in value]
    return str(value)


class Pairs(list):
    """Key/value pairs parsed from Spark's text of a map or struct (keys need not be strings)."""


# -- Spark's text form of complex values ------------------------------------------------------------

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:E-?\d+)?|NaN|Infinity)")


class _SparkText:
    """Parser for `HiveResult.toHiveString` output: JSON-like, but strings are not escaped, map keys
    need not be strings, and dates/timestamps are unquoted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Any:
        value = self._value()
        if self.pos != len(self.text):
            raise ValueError(f"trailing text in {self.text!r} at {self.pos}")
        return value

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _value(self) -> Any:
        ch = self._peek()
        if ch == "[":
            self.pos += 1
            items: list[Any] = []
            while self._peek() != "]":
                items.append(self._value())
                if self._peek() == ",":
                    self.pos += 1
            self.pos += 1
            return items
        if ch == "{":
            self.pos += 1
            pairs = Pairs()
            while self._peek() != "}":
                key = self._value()
                if self._peek() != ":":
                    raise ValueError(f"expected ':' in {self.text!r} at {self.pos}")
                self.pos += 1
                pairs.append((key, self._value()))
                if self._peek() == ",":
                    self.pos += 1
            self.pos += 1
            return pairs
        if ch == '"':
            # strings are not escaped: the closing quote is the one followed by a delimiter
            end = self.pos + 1
            while True:
                end = self.text.index('"', end)
                if end + 1 == len(self.text) or self.text[end + 1] in ",]}:":
                    break
                end += 1
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        for word, value in (("null", None), ("true", True), ("false", False)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        match = _DATETIME.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return match.group(0)
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            text = match.group(0)
            if text in ("NaN", "Infinity", "-Infinity"):
                return float(text.replace("Infinity", "inf"))
            return float(text) if any(c in text for c in ".E") else int(text)
        raise ValueError(f"cannot parse {self.text!r} at {self.pos}")


def parse_spark_text(text: str | None) -> Any:
    """Spark's text of an ARRAY/MAP/STRUCT value -> Python values (maps/structs as `Pairs`).

    >>> parse_spark_text('{"a":[1,2.5],"b":null,"d":2024-01-01}')
    [('a', [1, 2.5]), ('b', None), ('d', '2024-01-01')]
    >>> parse_spark_text('{1:"x,y"}')
    [(1, 'x,y')]
    """
    return None if text is None else _SparkText(text).parse()


# -- types ----------------------------------------------------------------------------------------------

_KINDS = [
    ("number", re.compile(r"^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|REAL|DOUBLE|DECIMAL)")),
    ("string", re.compile(r"^(STRING|VARCHAR|CHAR)")),
    ("boolean", re.compile(r"^BOOLEAN")),
    ("date", re.compile(r"^DATE")),
    ("timestamp", re.compile(r"^TIMESTAMP")),
    ("binary", re.compile(r"^(BINARY|BLOB)")),
    ("array", re.compile(r"(^ARRAY|\[\]$)")),
    ("map", re.compile(r"^MAP")),
    ("struct", re.compile(r"^STRUCT")),
]


def kind(type_name: str) -> str | None:
    """Coarse kind of a Spark (`INT_TYPE`) or DuckDB (`INTEGER`, `VARCHAR[]`) type name; None for NULL."""
    name = str(type_name).upper().removesuffix("_TYPE")
    for label, pattern in _KINDS:
        if label == "array" and pattern.search(name):
            return "array"
    for label, pattern in _KINDS:
        if pattern.search(name):
            return label
    return None


def hive_row(row: tuple[Any, ...], types: list[str]) -> list[Any]:
    """One pyhive row -> common form (complex columns arrive as Spark text)."""
    out = []
    for value, type_name in zip(row, types, strict=True):
        if kind(type_name) in ("array", "map", "struct") and isinstance(value, str):
            value = parse_spark_text(value)
        out.append(canon(value))
    return out


# -- comparison -----------------------------------------------------------------------------------------


def sort_key(value: Any) -> str:
    """A total order over common-form values; floats rounded so near-equal values sort together."""

    def rounded(v: Any) -> Any:
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)):
            return f"{float(v):.9g}"
        if isinstance(v, list):
            return [rounded(x) for x in v]
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return v

    return json.dumps(rounded(value), sort_keys=True, default=str)


def same(a: Any, b: Any) -> bool:
    """Equal in common form, numbers within a relative tolerance of 1e-9."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def same_rows(expected: list[list[Any]], actual: list[list[Any]], ordered: bool) -> bool:
    if len(expected) != len(actual):
        return False
    if not ordered:
        expected = sorted(expected, key=sort_key)
        actual = sorted(actual, key=sort_key)
    return all(same(e, a) for e, a in zip(expected, actual, strict=True))
