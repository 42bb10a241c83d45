"""Hive's conversions (casts, and the implicit ones date functions and concat make), chosen by type.

Where the type of a value is visible in the query (a literal, a CAST, the result of a function or of an
elt macro), the conversion is written for that type: `CAST(x AS STRING)` of a DATE is a plain cast, of a
DOUBLE a Java-style formatting. Otherwise (a column) a `hive_*` macro picks the conversion from the type
DuckDB binds (`typeof`); when the value is itself built from elt macros, its `_once` variant is used so
the value is not copied into every branch (macro expansion would otherwise grow with each nesting level).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from elt.dialects._common import DUCKDB, call, data_type, macro, refuse
from elt.dialects.duckdb_functions import INT_TYPES

#: A coarse DuckDB type: VARCHAR, BOOLEAN, INT, DECIMAL, DOUBLE, FLOAT, DATE, TIMESTAMP, or None (unknown).
Kind = str | None

#: Meta key of a column reference's kind, set by elt.dialects.column_kinds (copies of the node keep it).
KIND_META = "elt_kind"
#: Meta key of the width in bits (8, 16, 32, 64) of the Hive integer type of a column reference.
BITS_META = "elt_int_bits"

_INT_TYPE = re.compile(INT_TYPES)
_DECIMAL_TYPE = re.compile(r"DECIMAL\(.*\)")
_SCIENTIFIC = re.compile(r"(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_PLAIN_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


def engine_kind(type_name: str) -> Kind:
    """The kind of a DuckDB type name (as `typeof` and the catalog write it), by the same tests the
    `hive_*` macros apply to `typeof`; None for a type they do not tell apart."""
    name = type_name.upper()
    if name in ("VARCHAR", "BOOLEAN", "DOUBLE", "FLOAT", "DATE", "TIMESTAMP"):
        return name
    if _INT_TYPE.fullmatch(name):
        return "INT"
    if _DECIMAL_TYPE.fullmatch(name):
        return "DECIMAL"
    return None

DT = exp.DataType.Type
_KIND_OF_TYPE = {
    **dict.fromkeys((DT.TEXT, DT.VARCHAR, DT.CHAR, DT.NCHAR, DT.NVARCHAR), "VARCHAR"),
    **dict.fromkeys((DT.TINYINT, DT.SMALLINT, DT.INT, DT.BIGINT), "INT"),
    DT.DECIMAL: "DECIMAL",
    DT.DOUBLE: "DOUBLE",
    DT.FLOAT: "FLOAT",
    DT.BOOLEAN: "BOOLEAN",
    DT.DATE: "DATE",
    DT.TIMESTAMP: "TIMESTAMP",
}

#: What the functions elt emits return.
_KIND_OF_CALL = {
    **dict.fromkeys(
        (
            "hive_to_string",
            "hive_to_string_once",
            "hive__float_str",
            "hive__bool_str",
            "hive_substr",
            "hive_upper",
            "hive_initcap",
            "hive_get_json_object",
            "hive_substring_index",
            "hive_regexp_replace",
            "hive_regexp_replace_dyn",
            "hive_from_unixtime",
            "strftime",
            "regexp_extract",
            "regexp_replace",
            "left",
        ),
        "VARCHAR",
    ),
    **dict.fromkeys(("hive_to_date", "hive_to_date_once", "hive__str_to_date", "last_day"), "DATE"),
    **dict.fromkeys(("hive__add_months", "hive__next_day", "hive__trunc"), "DATE"),
    **dict.fromkeys(("hive_to_ts", "hive_to_ts_once", "hive__str_to_ts", "hive_to_timestamp",
                      "hive__epoch_to_ts", "hive__parse_ts_strict",
                      "hive_to_timestamp_any", "hive_to_timestamp_any_once"), "TIMESTAMP"),
    **dict.fromkeys(("hive_to_double", "hive_divide", "hive__months_between", "random"), "DOUBLE"),
    "hive_to_float": "FLOAT",
    **dict.fromkeys(
        (
            "hive_size",
            "hive_unix_timestamp",
            "hive__parse_epoch",
            "hive__ts_epoch",
            "hive_locate",
            "hive_find_in_set",
            "strpos",
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "weekofyear",
            "quarter",
        ),
        "INT",
    ),
}

_STRING_NODES = (
    exp.DPipe,
    exp.Concat,
    exp.ConcatWs,
    exp.Upper,
    exp.Lower,
    exp.Trim,
    exp.Reverse,
    exp.Replace,
    exp.Translate,
    exp.Repeat,
    exp.Pad,
    exp.MD5,
    exp.SHA,
)


#: Aggregates and window functions DuckDB types BIGINT whatever their argument.
_BIGINT_FUNCS = (exp.Count, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)
#: DuckDB's sum(): HUGEINT of integers (an INT kind), DOUBLE of floats, DECIMAL(38, s) of decimals.
_SUM_KIND = {"INT": "INT", "DOUBLE": "DOUBLE", "FLOAT": "DOUBLE", "DECIMAL": "DECIMAL"}


def static_type(node: exp.Expr) -> Kind:
    """The coarse type of `node` when the query shows it (or, for a column, the catalog), else None."""
    klass = type(node)
    tests = _TESTS_BY_TYPE.get(klass)
    if tests is None:
        tests = _TESTS_BY_TYPE[klass] = tuple(test for types, test in _TESTS if issubclass(klass, types))
    for test in tests:
        kind = test(node)
        if kind is not _NOT_DECIDED:
            return kind
    return None


#: A test's answer when the next test that applies to the node decides.
_NOT_DECIDED: Any = object()


def _literal_kind(node: exp.Literal) -> Kind:
    if node.is_string:
        return "VARCHAR"
    text = node.this.lstrip("+-")
    if _SCIENTIFIC.fullmatch(text):
        return "DOUBLE"  # 1e3 is a DOUBLE in Hive and in DuckDB
    if not _PLAIN_NUMBER.fullmatch(text) or len(text.replace(".", "")) > 38:
        return None  # DuckDB reads a number of more than 38 digits as a DOUBLE, Hive otherwise
    return "INT" if node.is_int else "DECIMAL"


def _of_this(node: exp.Expr) -> Kind:
    return static_type(node.this)


def _min_max_kind(node: exp.Expr) -> Kind:
    return _NOT_DECIDED if node.expressions else static_type(node.this)


def _lag_lead_kind(node: exp.Expr) -> Kind:
    return static_type(node.this) if node.args.get("default") is None else _NOT_DECIDED


def _arithmetic_kind(node: exp.Expr) -> Kind:
    kind = arithmetic_type(node)  # type: ignore[arg-type]
    return _NOT_DECIDED if kind is None else kind


def _date_arithmetic_kind(node: exp.Expr) -> Kind:
    """Date arithmetic as elt writes it (date_add, datediff)."""
    left, right = static_type(node.this), static_type(node.expression)
    if left == "DATE":
        return "INT" if right == "DATE" else "DATE" if right == "INT" else None
    return None


def _branches_kind(branches: list[exp.Expr | None]) -> Kind:
    # DuckDB gives the branches one common type: one kind, or numbers of known kinds (promoted).
    return _common_kind({static_type(b) for b in branches if b is not None and not isinstance(b, exp.Null)})


#: (node types, test) in the order they are tried; a node's kind is the first decided answer of
#: the tests of its types (none decided: unknown).
_TESTS: list[tuple[type | tuple[type, ...], Callable[[Any], Kind]]] = [
    (exp.Column, lambda node: node.meta_get(KIND_META)),
    (exp.Paren, _of_this),
    (exp.Literal, _literal_kind),
    (exp.Window, _of_this),
    (_BIGINT_FUNCS, lambda node: "INT"),
    ((exp.Min, exp.Max), _min_max_kind),
    (exp.Sum, lambda node: _SUM_KIND.get(static_type(node.this) or "")),
    ((exp.Lag, exp.Lead), _lag_lead_kind),
    ((exp.FirstValue, exp.LastValue), _of_this),
    (exp.Div, lambda node: "DOUBLE"),  # written as a DOUBLE quotient (hive_functions._divide, or hive_divide)
    (exp.Avg, lambda node: "DOUBLE" if static_type(node.this) in _NUMBER_KINDS else None),
    (exp.Nullif, _of_this),
    ((exp.Add, exp.Sub, exp.Mul, exp.Mod), _arithmetic_kind),
    (exp.Neg, _of_this),
    (exp.Boolean, lambda node: "BOOLEAN"),
    ((exp.Cast, exp.TryCast), lambda node: _KIND_OF_TYPE.get(node.args["to"].this)),
    (exp.Anonymous, lambda node: _KIND_OF_CALL.get(node.name.lower())),
    (_STRING_NODES, lambda node: "VARCHAR"),
    ((exp.Add, exp.Sub), _date_arithmetic_kind),
    (exp.Coalesce, lambda node: _branches_kind([node.this, *node.expressions])),
    (exp.If, lambda node: _branches_kind([node.args.get("true"), node.args.get("false")])),
    (exp.Case, lambda node: _branches_kind(
        [i.args.get("true") for i in node.args.get("ifs") or []] + [node.args.get("default")])),
]
#: node type -> the tests of `_TESTS` that apply to it, in order (filled on first sight).
_TESTS_BY_TYPE: dict[type, tuple[Callable[[Any], Kind], ...]] = {}


def _common_kind(kinds: set[Kind]) -> Kind:
    """DuckDB's common type of values of these kinds (checked against `typeof` for COALESCE and
    arithmetic): one kind is itself; numbers promote INT < DECIMAL < FLOAT < DOUBLE; else unknown."""
    if len(kinds) == 1:
        return kinds.pop()
    if not kinds or not kinds <= _NUMBER_KIND_SET:
        return None
    return next(kind for kind in ("DOUBLE", "FLOAT", "DECIMAL", "INT") if kind in kinds)


def arithmetic_type(node: exp.Binary) -> Kind:
    """DuckDB's result kind for +, -, * and % of two numbers of known kinds (checked against
    `typeof`): integers stay integers, a DOUBLE makes a DOUBLE, else a FLOAT a FLOAT, else a DECIMAL a
    DECIMAL (but a DECIMAL % HUGEINT is a DOUBLE, and HUGEINT is an integer kind: unknown)."""
    kinds = {static_type(node.this), static_type(node.expression)}
    if not kinds <= _NUMBER_KIND_SET:
        return None
    if isinstance(node, exp.Mod) and kinds == {"DECIMAL", "INT"}:
        return None
    return _common_kind(kinds)


#: DuckDB functions that give another value at each call (what Hive's rand() and uuid() become).
VOLATILE_CALLS = frozenset({"random", "uuid", "gen_random_uuid"})


def _heavy(node: exp.Expr) -> bool:
    """The value is built from elt macros, so a dispatching macro must not copy it into every branch;
    or it is volatile, so each copy would be another value."""
    return any(
        n.name.lower().startswith("hive") or n.name.lower() in VOLATILE_CALLS for n in node.find_all(exp.Anonymous)
    )


def _dispatch(name: str, value: exp.Expr, *rest: exp.Expr) -> exp.Expr:
    return macro(f"{name}_once" if _heavy(value) else name, value, *rest)


def once(name: str, value: exp.Expr, *rest: exp.Expr) -> exp.Expr:
    """A call of macro `name`, or of its `_once` variant (which evaluates `value` once) when `value` is
    built from macros or volatile: the macro's body names its first parameter more than once."""
    return _dispatch(name, value, *rest)


def _cast(value: exp.Expr, type_sql: str, safe: bool = True) -> exp.Expr:
    klass = exp.TryCast if safe else exp.Cast
    return klass(this=value, to=data_type(type_sql))


# -- the conversions ------------------------------------------------------------------------------------


def to_string(value: exp.Expr) -> exp.Expr:
    """Hive's conversion to STRING (CAST AS STRING, concat arguments)."""
    kind = static_type(value)
    if kind == "VARCHAR":
        return value
    if isinstance(value, exp.Literal) and kind in ("INT", "DECIMAL"):  # its text is the same in Hive
        return exp.Literal.string(value.this)
    if kind == "BOOLEAN":
        return macro("hive__bool_str", value)
    if kind in ("DOUBLE", "FLOAT"):
        return macro("hive__float_str", value)
    if kind is not None:
        return _cast(value, "VARCHAR", safe=False)
    return _dispatch("hive_to_string", value)


def to_date(value: exp.Expr) -> exp.Expr:
    """A Hive date argument (DATE, TIMESTAMP, or a 'yyyy-MM-dd...' string) as a DuckDB DATE."""
    kind = static_type(value)
    if kind == "DATE":
        return value
    if kind == "VARCHAR":
        return macro("hive__str_to_date", value)
    if kind == "TIMESTAMP":
        return _cast(value, "DATE", safe=False)
    if kind is not None:
        refuse("date function", f"Hive date functions take a DATE, TIMESTAMP or STRING, not {kind}", value)
    return _dispatch("hive_to_date", value)


def to_ts(value: exp.Expr) -> exp.Expr:
    """A Hive timestamp argument (TIMESTAMP, DATE, or a string) as a DuckDB TIMESTAMP."""
    kind = static_type(value)
    if kind == "TIMESTAMP":
        return value
    if kind == "VARCHAR":
        return macro("hive__str_to_ts", value)
    if kind == "DATE":
        return _cast(value, "TIMESTAMP", safe=False)
    if kind is not None:
        refuse("date function", f"Hive date functions take a DATE, TIMESTAMP or STRING, not {kind}", value)
    return _dispatch("hive_to_ts", value)


def to_epoch(value: exp.Expr, fmt: str, prefix: str) -> exp.Expr:
    """unix_timestamp(value[, pattern]) -> seconds, in the session time zone."""
    kind = static_type(value)
    fmt_lit, prefix_lit = exp.Literal.string(fmt), exp.Literal.string(prefix)
    if kind == "VARCHAR":
        return macro("hive__parse_epoch", value, fmt_lit, prefix_lit)
    if kind in ("DATE", "TIMESTAMP"):
        return macro("hive__ts_epoch", to_ts(value))
    if kind is not None:
        refuse("unix_timestamp()", f"takes a DATE, TIMESTAMP or STRING, not {kind}", value)
    return _dispatch("hive_unix_timestamp", value, fmt_lit, prefix_lit)


def to_integral(value: exp.Expr, bits: int, node: exp.Expr) -> exp.Expr:
    """CAST to TINYINT..BIGINT the Hive way (truncate, wrap, NULL for bad text); returns HUGEINT."""
    kind = static_type(value)
    bits_lit = exp.Literal.number(bits)
    if kind == "VARCHAR":
        return macro("hive__str_to_integral", value)
    if kind in ("DOUBLE", "FLOAT"):
        return macro("hive__double_to_integral", value, bits_lit)
    if kind == "DECIMAL":
        return macro("hive__decimal_to_integral", value, bits_lit)
    if kind == "INT":
        return macro("hive__wrap", _cast(value, "HUGEINT", safe=False), bits_lit)
    if kind == "BOOLEAN":
        return exp.Case(ifs=[exp.If(this=value, true=exp.Literal.number(1))], default=exp.Literal.number(0))
    if kind is not None:
        refuse("CAST", f"CAST from {kind} to an integer type has no faithful DuckDB translation", node)
    return _dispatch("hive_integral", value, bits_lit)


def to_number(value: exp.Expr, target: str, node: exp.Expr) -> exp.Expr:
    """CAST to DOUBLE/FLOAT/DECIMAL(p,s): TRY_CAST from numbers and text (NULL when it is not a number)."""
    kind = static_type(value)
    if kind in ("VARCHAR", "BOOLEAN", "INT", "DECIMAL", "DOUBLE", "FLOAT"):
        return _cast(value, target)
    if kind is not None:
        refuse("CAST", f"CAST from {kind} to {target} has no faithful DuckDB translation", node)
    if target in ("DOUBLE", "FLOAT"):
        return _dispatch(f"hive_to_{target.lower()}", value)
    return _cast(_dispatch("hive_decimal_source", value), target)


def to_boolean(value: exp.Expr, node: exp.Expr) -> exp.Expr:
    kind = static_type(value)
    if kind == "BOOLEAN":
        return value
    if kind in ("INT", "DECIMAL", "DOUBLE", "FLOAT"):
        return exp.Paren(this=exp.NEQ(this=_cast(value, "DOUBLE"), expression=exp.Literal.number(0)))
    if kind is not None:
        refuse("CAST AS BOOLEAN", f"CAST from {kind} to BOOLEAN differs between Hive versions", node)
    return _dispatch("hive_to_boolean", value)


def to_timestamp(value: exp.Expr, node: exp.Expr) -> exp.Expr:
    if static_type(value) in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "BOOLEAN"):
        refuse("CAST AS TIMESTAMP", "Hive reads numbers as seconds or milliseconds by configuration", node)
    return to_ts(value)


_NUMBER_KINDS: tuple[str, ...] = ("INT", "DECIMAL", "DOUBLE", "FLOAT")
_NUMBER_KIND_SET = frozenset(_NUMBER_KINDS)


def compare(op: str, value: exp.Expr, literal: exp.Expr, *, in_list: bool = False) -> exp.Expr:
    """`value OP literal` (a number or numeric text) with Hive's typing: a string meeting a number compares
    as two doubles; DuckDB would cast the string to the number's type (rounding '2.4' to 2)."""
    kind, lit_kind = static_type(value), static_type(literal)
    if kind is not None:
        if _mixed(kind, lit_kind) and in_list:
            refuse("IN (...)", "a list that mixes strings and numbers compares differently across Hive versions", value)
        if _as_doubles(kind, lit_kind):
            left, right = _cast(value, "DOUBLE"), _cast(literal, "DOUBLE")
        else:
            left, right = value, literal
        return _OPERATORS[op](this=left, expression=right)
    # copy=False: generating a number literal changes nothing in it
    text = literal.this if literal.is_string else literal.sql(dialect=DUCKDB, copy=False)
    name = f"hive_in_{op}" if in_list else f"hive_cmp_{op}"
    return _dispatch(name, value, literal, exp.Literal.string(text))


def in_integers(value: exp.Expr, items: list[exp.Expr]) -> exp.Expr:
    """`value IN (items)`, every item an integer literal, as one DuckDB IN: `compare` would write each
    item as its own comparison (an OR chain, 30 times slower on 20k items). Against integers, `compare`
    leaves every type but a string as it is, and DuckDB's IN compares those as its `=` does; a string
    is refused, or raises at run time when its type shows only then (hive__in_numbers)."""
    kind = static_type(value)
    if kind == "VARCHAR":
        refuse("IN (...)", "a list that mixes strings and numbers compares differently across Hive versions", value)
    if kind is None:
        value = macro("hive__in_numbers", value)
    return exp.In(this=value, expressions=items)


_OPERATORS = {"eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "le": exp.LTE, "gt": exp.GT, "ge": exp.GTE}


def _mixed(kind: Kind, lit_kind: Kind) -> bool:
    return (kind == "VARCHAR" and lit_kind != "VARCHAR") or (kind in _NUMBER_KINDS and lit_kind == "VARCHAR")


def _as_doubles(kind: Kind, lit_kind: Kind) -> bool:
    """Whether `compare` compares a value of `kind` with a literal of `lit_kind` as two doubles."""
    return _mixed(kind, lit_kind) or (kind == "INT" and lit_kind != "INT")


def between(value: exp.Expr, low: exp.Expr, high: exp.Expr) -> exp.Expr | None:
    """`value BETWEEN low AND high` (both bounds numbers or numeric text) typed as `compare` types each
    comparison, without writing `value` twice (it may be volatile); None when its type is not visible."""
    kind = static_type(value)
    if kind is None:
        return None
    if any(_as_doubles(kind, static_type(bound)) for bound in (low, high)):
        return exp.Between(this=_cast(value, "DOUBLE"), low=_cast(low, "DOUBLE"), high=_cast(high, "DOUBLE"))
    return exp.Between(this=value, low=low, high=high)


def to_binary(value: exp.Expr) -> exp.Expr:
    if static_type(value) == "VARCHAR":
        return call("encode", value)
    return _dispatch("hive_to_binary", value)
