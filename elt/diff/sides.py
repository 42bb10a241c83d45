"""One side of a diff: a relation on an engine, its columns in Hive's type terms; the schema diff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elt.adapters.base import Adapter
from elt.dialects.row_text import engine_sql, type_name
from elt.diff.result import SchemaDiff
from elt.errors import ProjectError
from elt.nodes import Relation


@dataclass
class Side:
    """A relation to compare, on the engine of `adapter` (open)."""

    #: how the output names this side: the target's name, or the relation when both share a target.
    label: str
    adapter: Adapter
    relation: Relation
    #: column name (lower case) -> (name as the engine has it, engine type, Hive type); filled by `describe`.
    columns: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return type(self.adapter).dialect

    def sql_name(self) -> str:
        """The relation quoted for Hive SQL (the translation quotes it for the engine)."""
        return f"`{self.relation.schema}`.`{self.relation.name}`"

    def describe(self) -> None:
        """Read the relation's columns.

        Raises:
            ProjectError: the relation does not exist.
        """
        if self.adapter.relation_kind(self.relation) is None:
            raise ProjectError(f"{self.relation} does not exist in {self.label} "
                                 f"(target {self.adapter.target.name!r})",
                                 hint="build it there first, or check the relation's name and the target")
        self.columns = {c.name.lower(): (c.name, c.data_type or "", type_name(c.data_type or "", self.dialect))
                        for c in self.adapter.get_columns(self.relation)}

    def engine_types(self) -> dict[str, dict[str, str]]:
        """The relation's columns and engine types, as `elt.dialects.translate` takes them."""
        return {str(self.relation): {name: engine for name, engine, _ in self.columns.values()}}

    def column(self, name: str) -> str:
        """A column quoted for Hive SQL."""
        return f"`{self.columns[name][0]}`"


def schema_diff(here: Side, there: Side) -> SchemaDiff:
    """Columns only on one side, and the common ones whose Hive types differ."""
    diff = SchemaDiff()
    diff.only_here = [(c[0], c[2]) for name, c in here.columns.items() if name not in there.columns]
    diff.only_there = [(c[0], c[2]) for name, c in there.columns.items() if name not in here.columns]
    diff.type_changes = [(c[0], c[2], there.columns[name][2]) for name, c in here.columns.items()
                         if name in there.columns and c[2] != there.columns[name][2]]
    common_here = [name for name in here.columns if name in there.columns]
    common_there = [name for name in there.columns if name in here.columns]
    diff.order_differs = common_here != common_there
    return diff


def duplicate_keys(side: Side, key: list[str], limit: int = 3) -> list[tuple[Any, ...]]:
    """Up to `limit` key values that more than one row of the side has, with their row counts."""
    keys = ", ".join(side.column(k) for k in key)
    sql = (f"SELECT {keys}, COUNT(*) AS n FROM {side.sql_name()} GROUP BY {keys} HAVING COUNT(*) > 1 "
           f"ORDER BY n DESC LIMIT {limit}")
    return side.adapter.fetchall(engine_sql(sql, side.dialect, side.engine_types()))


def duplicate_keys_error(side: Side, key: list[str]) -> ProjectError:
    """The error saying the key is not unique on a side, with examples."""
    found = duplicate_keys(side, key)
    shown = "; ".join(", ".join(f"{side.columns[k][0]}={'NULL' if v is None else repr(v)}"
                                for k, v in zip(key, row, strict=False))
                      + f" ({row[-1]} rows)" for row in found)
    names = ", ".join(side.columns[k][0] for k in key)
    return ProjectError(f"the key ({names}) is not unique in {side.label} ({side.relation}): e.g. {shown}",
                        hint="give --key the column(s) that identify a row")
