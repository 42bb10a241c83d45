"""What a diff found: the schema diff, row counts, the rows by key; as lines for people or as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SchemaDiff:
    """Columns compared by name (case-insensitive), types in Hive's terms (`elt.dialects.row_text`)."""

    only_here: list[tuple[str, str]] = field(default_factory=list)
    only_there: list[tuple[str, str]] = field(default_factory=list)
    #: (column, type here, type there)
    type_changes: list[tuple[str, str, str]] = field(default_factory=list)
    #: the common columns stand in another order (a note: values are compared by name).
    order_differs: bool = False

    @property
    def identical(self) -> bool:
        return not (self.only_here or self.only_there or self.type_changes)


@dataclass
class ColumnChange:
    """A column whose value differs in rows present on both sides: how many, and examples
    (key values, value here, value there)."""

    column: str
    rows: int
    examples: list[tuple[list[Any], Any, Any]] = field(default_factory=list)


@dataclass
class RowDiff:
    key: list[str]
    only_here: int = 0
    only_there: int = 0
    #: rows on both sides with at least one differing value.
    changed: int = 0
    only_here_examples: list[list[Any]] = field(default_factory=list)
    only_there_examples: list[list[Any]] = field(default_factory=list)
    columns: list[ColumnChange] = field(default_factory=list)
    #: columns not compared, with the reason (a complex type across engines).
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.only_here or self.only_there or self.changed)


@dataclass
class Diff:
    here: str
    there: str
    schema: SchemaDiff
    rows_here: int
    rows_there: int
    rows: RowDiff
    #: how the rows were compared, for the reader and the bench.
    method: str = ""
    here_relation: str = ""
    there_relation: str = ""

    @property
    def identical(self) -> bool:
        return self.schema.identical and self.rows.identical and self.rows_here == self.rows_there

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["identical"] = self.identical
        return data


def _key_text(key: list[str], values: list[Any]) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in zip(key, values, strict=False))


def _show(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def text_lines(diff: Diff) -> list[str]:
    """The diff for people: one section each for columns, counts and rows."""
    lines = [f"--- {diff.here}: {diff.here_relation}", f"+++ {diff.there}: {diff.there_relation}"]
    schema = diff.schema
    if schema.identical:
        lines.append("columns: identical" + (" (in another order)" if schema.order_differs else ""))
    else:
        lines.append("columns:")
        lines += [f"  - {name} {type_} (only in {diff.here})" for name, type_ in schema.only_here]
        lines += [f"  + {name} {type_} (only in {diff.there})" for name, type_ in schema.only_there]
        lines += [f"  ~ {name}: {a} -> {b}" for name, a, b in schema.type_changes]
        if schema.order_differs:
            lines.append("  (the common columns stand in another order)")
    delta = diff.rows_there - diff.rows_here
    lines.append(f"rows: {diff.rows_here} -> {diff.rows_there}" + (f" ({delta:+d})" if delta else " (same count)"))
    rows = diff.rows
    key = rows.key
    if rows.identical:
        lines.append(f"rows by key ({', '.join(key)}): identical")
    else:
        lines.append(f"rows by key ({', '.join(key)}): {rows.only_here} only in {diff.here}, {rows.only_there} "
                     f"only in {diff.there}, {rows.changed} changed")
        for count, examples, where in ((rows.only_here, rows.only_here_examples, diff.here),
                                       (rows.only_there, rows.only_there_examples, diff.there)):
            if count:
                lines.append(f"  only in {where}: {count}, e.g. " + "; ".join(_key_text(key, e) for e in examples))
        for change in rows.columns:
            lines.append(f"  ~ {change.column}: {change.rows} row(s) differ")
            lines += [f"      {_key_text(key, k)}: {_show(a)} -> {_show(b)}" for k, a, b in change.examples]
    for name, reason in rows.skipped:
        lines.append(f"  (column {name} not compared: {reason})")
    lines.append(f"compared by {diff.method}")
    lines.append("identical" if diff.identical else "different")
    return lines
