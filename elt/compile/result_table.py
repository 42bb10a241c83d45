"""The rows a query run during a render returns, shaped as the agate table dbt's macros read.

`run_query(...)`, `load_result('name').table` give a `ResultTable`: `.rows` (each a tuple that also
answers `row['column']`), `.columns` (by position or name: `.columns[0].values()`,
`.columns['x'].values()`, `.columns.items()`), `.column_names`, `len()`, iteration, `print_table()`.
Only the reading side of agate that packages use; agate itself is not a dependency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class ResultRow(tuple[Any, ...]):
    """One row: a tuple, also indexed by column name (`row['id']`), as agate's Row."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        return self._names

    def dict(self) -> dict[str, Any]:
        return dict(zip(self._names, self, strict=False))


class ResultColumn:
    """One column: `.name`, `.values()`, and its values by index (`column[0]`)."""

    def __init__(self, name: str, values: tuple[Any, ...]) -> None:
        self.name = name
        self._values = values

    def values(self) -> tuple[Any, ...]:
        return self._values

    def values_distinct(self) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(self._values))

    def __getitem__(self, index: int) -> Any:
        return self._values[index]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __repr__(self) -> str:
        return f"<Column {self.name!r}>"


class ResultColumns(Sequence[ResultColumn]):
    """The columns, by position or by name, with the mapping methods agate's MappedSequence has."""

    def __init__(self, columns: list[ResultColumn]) -> None:
        self._columns = columns

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for column in self._columns:
                if column.name == key:
                    return column
            raise KeyError(key)
        return self._columns[key]

    def __len__(self) -> int:
        return len(self._columns)

    def __contains__(self, key: object) -> bool:
        return key in self.keys() if isinstance(key, str) else key in self._columns

    def keys(self) -> list[str]:
        return [column.name for column in self._columns]

    def values(self) -> list[ResultColumn]:  # type: ignore[override]
        return list(self._columns)

    def items(self) -> list[tuple[str, ResultColumn]]:
        return [(column.name, column) for column in self._columns]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


class ResultTable:
    """A query's result: column names and rows (tuples)."""

    def __init__(self, column_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        names = tuple(column_names)
        row_type = type("ResultRow", (ResultRow,), {"_names": names})
        self.column_names = names
        self.rows: tuple[ResultRow, ...] = tuple(row_type(row) for row in rows)
        width = len(names) or (len(self.rows[0]) if self.rows else 0)
        self.columns = ResultColumns([
            ResultColumn(names[i] if i < len(names) else str(i), tuple(row[i] for row in self.rows))
            for i in range(width)])

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ResultRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> ResultRow:
        return self.rows[index]

    def print_table(self, *args: Any, **kwargs: Any) -> str:
        """agate prints the table to stdout; elt's library code prints nothing."""
        return ""

    def __repr__(self) -> str:
        return f"<ResultTable {len(self.rows)} row(s): {', '.join(self.column_names)}>"
