"""Both relations in one database: the rows compared by one FULL OUTER JOIN on the key, on the engine.

Only counts come back (rows only on one side, changed rows, changed rows per column), then, per kind of
difference found, `examples` rows ordered by key. Values compare null-safely (`<=>`) as the engine holds
them; a column whose types differ on the two sides compares by its canonical text
(`elt.dialects.row_text`), so that an INT 1 and a STRING '1' are equal and a DECIMAL 1.50 and 1.5 are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elt.dialects.row_text import engine_sql, value_text
from elt.diff.result import ColumnChange, RowDiff
from elt.diff.sides import Side

_HERE, _THERE = "`__elt_diff_here`", "`__elt_diff_there`"


def join_diff(here: Side, there: Side, key: Sequence[str], compared: Sequence[str], examples: int) -> RowDiff:
    """The row diff of two relations of one database (`here.adapter` reads both).

    Args:
        key: the key columns (lower case), on both sides.
        compared: the other common columns (lower case).
        examples: how many example rows per kind of difference.
    """
    relations = {**here.engine_types(), **there.engine_types()}

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        return here.adapter.fetchall(engine_sql(sql, here.dialect, relations))

    source = (f"(SELECT *, 1 AS {_HERE} FROM {here.sql_name()}) h FULL OUTER JOIN "
              f"(SELECT *, 1 AS {_THERE} FROM {there.sql_name()}) t ON "
              + " AND ".join(f"h.{here.column(k)} <=> t.{there.column(k)}" for k in key))
    both = f"h.{_HERE} IS NOT NULL AND t.{_THERE} IS NOT NULL"
    differs = {name: _differs(here, there, name) for name in compared}
    any_differs = " OR ".join(differs.values()) or "FALSE"
    sums = [f"SUM(CASE WHEN t.{_THERE} IS NULL THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN h.{_HERE} IS NULL THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {both} AND ({any_differs}) THEN 1 ELSE 0 END)"]
    sums += [f"SUM(CASE WHEN {both} AND {condition} THEN 1 ELSE 0 END)" for condition in differs.values()]
    counts = [int(v or 0) for v in fetch(f"SELECT {', '.join(sums)} FROM {source}")[0]]
    result = RowDiff(key=[here.columns[k][0] for k in key], only_here=counts[0], only_there=counts[1],
                     changed=counts[2])
    keys_here = ", ".join(f"h.{here.column(k)}" for k in key)
    keys_there = ", ".join(f"t.{there.column(k)}" for k in key)
    if result.only_here:
        rows = fetch(f"SELECT {keys_here} FROM {source} WHERE t.{_THERE} IS NULL ORDER BY {keys_here} "
                     f"LIMIT {examples}")
        result.only_here_examples = [list(r) for r in rows]
    if result.only_there:
        rows = fetch(f"SELECT {keys_there} FROM {source} WHERE h.{_HERE} IS NULL ORDER BY {keys_there} "
                     f"LIMIT {examples}")
        result.only_there_examples = [list(r) for r in rows]
    for (name, condition), count in zip(differs.items(), counts[3:], strict=True):
        if not count:
            continue
        change = ColumnChange(here.columns[name][0], count)
        rows = fetch(f"SELECT {keys_here}, h.{here.column(name)}, t.{there.column(name)} FROM {source} "
                     f"WHERE {both} AND {condition} ORDER BY {keys_here} LIMIT {examples}")
        change.examples = [(list(r[: len(key)]), r[-2], r[-1]) for r in rows]
        result.columns.append(change)
    return result


def _differs(here: Side, there: Side, name: str) -> str:
    """Hive SQL: the column's values differ on a joined row."""
    type_here, type_there = here.columns[name][2], there.columns[name][2]
    left, right = f"h.{here.column(name)}", f"t.{there.column(name)}"
    if type_here != type_there:
        left, right = value_text(left, type_here), value_text(right, type_there)
    return f"NOT ({left} <=> {right})"
