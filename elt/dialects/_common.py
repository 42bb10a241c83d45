"""Small helpers shared by the Hive -> DuckDB rewrite rules: refusing a construct, building macro calls."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import NoReturn

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from elt.errors import SqlError

#: A rewrite rule: gets a node (its children already rewritten), returns what stands in its place.
Rule = Callable[[exp.Expr], exp.Expr]

#: sqlglot's DuckDB dialect, made once: naming it by its name makes a new one each time.
DUCKDB = Dialect.get_or_raise("duckdb")

_NUMERIC_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def is_string(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def is_number(node: exp.Expr) -> bool:
    if isinstance(node, exp.Neg):
        return is_number(node.this)
    return isinstance(node, exp.Literal) and not node.is_string


def numeric_text(node: exp.Expr) -> bool:
    """A string literal that Hive would read as a number in a numeric context."""
    return is_string(node) and bool(_NUMERIC_TEXT.match(node.this))


#: How to get around a refusal when no better way exists.
BRANCH_HINT = (
    "write it differently, or give DuckDB its own SQL in a Jinja branch: "
    "{% if target.type == 'duckdb' %} ... {% else %} ... {% endif %}"
)


class Refusal(Exception):
    """A construct cannot run on the target with Hive's meaning (turned into `SqlError` by the caller)."""

    def __init__(self, construct: str, why: str, node: exp.Expr, hint: str | None = None) -> None:
        super().__init__(f"{construct}: {why}")
        self.construct = construct
        self.why = why
        self.node = node
        self.hint = hint or BRANCH_HINT

    def to_error(self, target: str, path: str | None) -> SqlError:
        line, col = position_of(self.node)
        return SqlError(
            f"{self.construct} cannot be translated from Hive to {target}: {self.why}",
            path=path,
            line=line,
            col=col,
            hint=self.hint,
        )


def refuse(construct: str, why: str, node: exp.Expr, hint: str | None = None) -> NoReturn:
    """Stop the translation: `construct` has no faithful equivalent."""
    raise Refusal(construct, why, node, hint)


def position_of(node: exp.Expr) -> tuple[int | None, int | None]:
    """(line, col) of a node in the query text, from the node itself or the nearest node that has one."""
    for candidate in node.walk():
        if candidate.meta_get("line") is not None:
            return candidate.meta_get("line"), candidate.meta_get("col")
    parent = node.parent
    while parent is not None:
        if parent.meta_get("line") is not None:
            return parent.meta_get("line"), parent.meta_get("col")
        parent = parent.parent
    return None, None


def data_type(text: str) -> exp.DataType:
    """`exp.DataType.build(text)`, parsed once per text (a copy each call)."""
    return _parsed_type(text).copy()


@cache
def _parsed_type(text: str) -> exp.DataType:
    return exp.DataType.build(text)


def macro(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call of one of the `hive_*` DuckDB macros (see `duckdb_functions.MACROS`)."""
    return exp.Anonymous(this=name, expressions=list(args))


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call of a DuckDB built-in, rendered as written (no sqlglot rewriting)."""
    return exp.Anonymous(this=name, expressions=list(args))


def hive_name(node: exp.Expr) -> str:
    """The function name to show in messages."""
    if isinstance(node, exp.Anonymous):
        return f"{node.name}()"
    return f"{HIVE_NAMES.get(type(node), node.key)}()"


#: sqlglot node -> the Hive function a user wrote, where the names differ.
HIVE_NAMES: dict[type[exp.Expr], str] = {
    exp.ApproxQuantile: "percentile_approx",
    exp.Quantile: "percentile",
    exp.ArrayAgg: "collect_list",
    exp.ArrayUniqueAgg: "collect_set",
    exp.Variance: "var_samp",
    exp.Stddev: "stddev",
    exp.UnixToStr: "from_unixtime",
    exp.StrToUnix: "unix_timestamp",
    exp.TimeToStr: "date_format",
    exp.TsOrDsAdd: "date_add/date_sub",
    exp.TsOrDsToDate: "to_date",
    exp.TimestampTrunc: "trunc",
    exp.JSONExtractScalar: "get_json_object",
    exp.RegexpSplit: "split",
    exp.ArraySize: "size",
    exp.StrPosition: "instr/locate",
    exp.Substring: "substr",
    exp.RegexpLike: "rlike",
    exp.Struct: "named_struct/struct",
    exp.VarMap: "map",
    exp.Rand: "rand",
}
