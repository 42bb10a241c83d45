"""Hive's implicit conversions of arguments, and integer arithmetic that wraps around as Hive's does.

Hive converts an argument to the type a function or operator wants where DuckDB's binder refuses or
converts otherwise (FunctionRegistry.implicitConvertible: numbers and dates convert to STRING, strings
to DOUBLE):

- a number, boolean or date given to a string function (`length(123)`, `substr(12345, 2, 2)`,
  `upper(5)`, `lpad(7, 3, '0')`, `123 LIKE '1%'`) is first converted to a string as CAST(x AS STRING)
  converts it (so a DOUBLE prints as Java prints it, `1.0E10`);
- a string operand of arithmetic is read as a DOUBLE (NULL when it is not a number).

`with_conversions` puts these conversions before the rewrite rules of those functions and operators.

Integer arithmetic wraps around in Hive (Java's two's complement ints and longs) and raises in DuckDB.
The rules `with_conversions` adds for +, -, * and unary - on integers of known widths, and for
sum() of integers (a BIGINT in Hive, a HUGEINT in DuckDB), compute them in HUGEINT and fold the result
back into the Hive type's range (and avg() of a DECIMAL is rounded as Hive rounds it). A width is known
from literals, CASTs, Hive's result type of a function (month() and length() are INTs, count() a
BIGINT) and, for a column of a CTE, subquery or upstream table, from elt.dialects.column_kinds. The
integer functions' DuckDB values (often BIGINTs) are cast to their Hive type, so that no value is wider
in DuckDB than in Hive: an operand of unknown width is left to DuckDB, which then raises on overflow
where Hive wraps (loud, never silently different).
"""

from __future__ import annotations

import re

from sqlglot import exp

from elt.dialects._common import Rule, data_type, macro
from elt.dialects.hive_types import BITS_META, VOLATILE_CALLS, static_type, to_date, to_string, to_ts

DT = exp.DataType.Type

#: String functions, with the arguments Hive converts to a string.
_STRING_ARGS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.Length: ("this",),
    exp.Substring: ("this",),
    exp.Upper: ("this",),
    exp.Lower: ("this",),
    exp.Initcap: ("this",),
    exp.Reverse: ("this",),
    exp.Trim: ("this",),
    exp.Pad: ("this", "fill_pattern"),
    exp.Repeat: ("this",),
    exp.Ascii: ("this",),
    exp.StrPosition: ("this", "substr"),
    exp.SubstringIndex: ("this",),
    exp.Like: ("this", "expression"),
    exp.ILike: ("this", "expression"),
    exp.RegexpLike: ("this",),
    exp.RegexpReplace: ("this",),
    exp.RegexpExtract: ("this",),
    exp.RegexpSplit: ("this",),
    exp.Translate: ("this",),
}
#: Kinds that convert to a string the CAST way (not BINARY, nor complex types).
_TO_STRING = frozenset({"INT", "DECIMAL", "DOUBLE", "FLOAT", "BOOLEAN", "DATE", "TIMESTAMP"})
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)
_WRAPPING = (exp.Add, exp.Sub, exp.Mul)
_NOT_STRINGS = (exp.Literal, *_ARITHMETIC, exp.Neg, exp.Sum, exp.Avg, exp.Count)


_INT_BITS = {DT.TINYINT: 8, DT.SMALLINT: 16, DT.INT: 32, DT.BIGINT: 64}
_INT_TYPE = {8: "TINYINT", 16: "SMALLINT", 32: "INT", 64: "BIGINT"}
#: Functions whose Hive result is an integer, with its width (Hive's UDFs: month() is an INT, where
#: DuckDB's is a BIGINT); their DuckDB value is cast to that type (`_hive_width`), so a table or a CTE
#: holds Hive's width and arithmetic on it overflows where Hive's wraps.
_INT_FUNCTIONS: dict[type[exp.Expr], int] = {
    **dict.fromkeys((exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute, exp.Second,
                     exp.WeekOfYear, exp.Quarter, exp.DayOfWeek, exp.DayOfYear, exp.Length, exp.ArraySize,
                     exp.DateDiff, exp.StrPosition, exp.Ascii, exp.Levenshtein), 32),
    exp.StrToUnix: 64,
}
#: The same for the Hive functions sqlglot does not know (exp.Anonymous), by name.
_INT_CALLS = {"find_in_set": 32, "octet_length": 32, "field": 32}
#: Ranking window functions: an INT on Hive (and Spark), a BIGINT on DuckDB; cast around the window.
_RANKINGS = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)


def with_conversions(rules: dict[type[exp.Expr], Rule]) -> dict[type[exp.Expr], Rule]:
    """`rules` with the rules of string functions and arithmetic operators preceded by Hive's implicit
    conversion of their arguments (which are rewritten by then, so their types are those of the
    DuckDB values: `substr(to_date(ts), 1, 7)` sees a DATE)."""
    wrapped = dict(rules)
    for klass, keys in _STRING_ARGS.items():
        wrapped[klass] = _converting(rules.get(klass), keys, _string_argument)
    for klass in _ARITHMETIC:
        wrapped[klass] = _converting(rules.get(klass), ("this", "expression"), _numeric_argument)
    for klass in (exp.Coalesce, exp.If, exp.Case):
        wrapped[klass] = _common_string(rules.get(klass))
    for klass in _COMPARISONS:
        wrapped[klass] = _comparing(rules.get(klass))
    for klass in (*_WRAPPING, exp.Neg, exp.Sum):
        wrapped[klass] = _wrapping(wrapped.get(klass))
    for klass in (*_INT_FUNCTIONS, exp.Anonymous):
        wrapped[klass] = _hive_width(wrapped.get(klass))
    wrapped[exp.Avg] = _decimal_avg(rules.get(exp.Avg))
    for klass in (exp.Floor, exp.Ceil):
        wrapped[klass] = _long_rounding(wrapped.get(klass))
    wrapped[exp.Window] = _window(rules.get(exp.Window))
    return wrapped


_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_NUMBERS = frozenset({"INT", "DECIMAL", "DOUBLE", "FLOAT"})
#: Text DuckDB reads as the date or timestamp Hive reads (other text goes through Hive's conversion).
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?")


def _comparing(rule: Rule | None) -> Rule:
    """Comparisons as Hive types them (FunctionRegistry.getCommonClassForComparison): a string with a
    number compares as two doubles (a literal side is the comparison rule's job), a string with a
    date or timestamp as a date or timestamp: Hive's conversion, NULL for text that is not one
    (DuckDB raises, or refuses to compare a VARCHAR column with a DATE)."""

    def converted(node: exp.Expr) -> exp.Expr:
        left, right = node.this, node.expression
        kinds = (_kind(left), _kind(right))
        if set(kinds) == {"VARCHAR"} | (set(kinds) & _NUMBERS) and len(set(kinds)) == 2:
            if not isinstance(left, exp.Literal) and not isinstance(right, exp.Literal):
                node.set("this", exp.TryCast(this=left, to=data_type("DOUBLE")))
                node.set("expression", exp.TryCast(this=right, to=data_type("DOUBLE")))
        elif "VARCHAR" in kinds and ("DATE" in kinds or "TIMESTAMP" in kinds):
            text_key = "this" if kinds[0] == "VARCHAR" else "expression"
            other = kinds[1] if text_key == "this" else kinds[0]
            text = node.args[text_key]
            plain = _PLAIN_DATE if other == "DATE" else _PLAIN_TIMESTAMP
            if not (isinstance(text, exp.Literal) and plain.fullmatch(text.this)):
                node.set(text_key, to_date(text) if other == "DATE" else to_ts(text))
        return node if rule is None else rule(node)

    return converted


_Place = tuple[exp.Expr, str, int | None]


def _branches(node: exp.Expr) -> list[_Place]:
    """The (parent, key, index) places of the values a COALESCE, IF or CASE may return."""
    places: list[_Place]
    if isinstance(node, exp.Coalesce):
        places = [(node, "this", None)]
        places.extend((node, "expressions", i) for i in range(len(node.expressions)))
    elif isinstance(node, exp.If):
        places = [(node, "true", None), (node, "false", None)]
    else:
        places = [(i, "true", None) for i in node.args.get("ifs") or []]
        places.append((node, "default", None))
    return places


def _common_string(rule: Rule | None) -> Rule:
    """COALESCE / IF / CASE whose branches mix strings with numbers or dates return a STRING in Hive 3
    (FunctionRegistry.getCommonClass via getPrimitiveCommonCategory: "the common class of string and
    double is string"); DuckDB would cast the string to the number's type instead."""

    def converted(node: exp.Expr) -> exp.Expr:
        places = []
        for parent, key, index in _branches(node):
            value = parent.args.get(key) if index is None else parent.args[key][index]
            if isinstance(value, exp.Expr) and not isinstance(value, exp.Null):
                places.append((parent, key, index, value, _kind(value)))
        kinds = {kind for *_, kind in places}
        if "VARCHAR" in kinds and len(kinds) > 1 and kinds - {"VARCHAR", None} <= _TO_STRING - {"BOOLEAN"}:
            for parent, key, index, value, kind in places:
                if kind != "VARCHAR":
                    parent.set(key, to_string(value), index)
        return node if rule is None else rule(node)

    return converted


def _converting(rule: Rule | None, keys: tuple[str, ...], convert: Rule) -> Rule:
    def converted(node: exp.Expr) -> exp.Expr:
        for key in keys:
            arg = node.args.get(key)
            if isinstance(arg, exp.Expr):
                new = convert(arg)
                if new is not arg:
                    node.set(key, new)
        return node if rule is None else rule(node)

    return converted


def _string_argument(arg: exp.Expr) -> exp.Expr:
    """A number, boolean or date converted as CAST(x AS STRING) converts it; a value of unknown type
    by the macro that picks the conversion from its type."""
    kind = _kind(arg)
    if kind == "VARCHAR" or isinstance(arg, exp.Null) or (kind is not None and kind not in _TO_STRING):
        return arg
    return to_string(arg)


def _numeric_argument(arg: exp.Expr) -> exp.Expr:
    """A string (other than a literal, which the operator's rule reads) is read as a DOUBLE, NULL when
    it is not a number."""
    inner = arg.unnest()
    if isinstance(inner, _NOT_STRINGS):  # arithmetic is never a string: no need to type it (deep trees)
        return arg
    if static_type(arg) == "VARCHAR":
        return exp.TryCast(this=arg, to=data_type("DOUBLE"))
    return arg


def _kind(node: exp.Expr) -> str | None:
    if isinstance(node, exp.CurrentDate):
        return "DATE"
    if isinstance(node, exp.CurrentTimestamp):
        return "TIMESTAMP"
    return static_type(node)


def int_bits(node: exp.Expr) -> int | None:
    """The width of the Hive integer type of `node` (8, 16, 32, 64) when the query, the catalog (for a
    column: elt.dialects.column_kinds) or Hive's result type of a function shows it, else None (not an
    integer, or an integer of unknown width)."""
    if isinstance(node, exp.Column):
        bits: int | None = node.meta_get(BITS_META)
        return bits
    if isinstance(node, (exp.Paren, exp.Window)) or (isinstance(node, (exp.Min, exp.Max)) and not node.expressions):
        return int_bits(node.this)
    if isinstance(node, (exp.Coalesce, exp.If, exp.Case)):
        return _branches_bits(node)
    if isinstance(node, exp.Anonymous):
        return _INT_CALLS.get(node.name.lower())
    if type(node) in _INT_FUNCTIONS:
        return _INT_FUNCTIONS[type(node)]
    if isinstance(node, exp.Literal):
        if node.is_string or not node.is_int:
            return None
        return 32 if -(2**31) <= int(node.this) < 2**31 else 64 if -(2**63) <= int(node.this) < 2**63 else None
    if isinstance(node, exp.Cast):
        return _INT_BITS.get(node.args["to"].this)
    if isinstance(node, exp.Neg):
        return int_bits(node.this)
    if isinstance(node, _WRAPPING):
        left, right = int_bits(node.this), int_bits(node.expression)
        return None if left is None or right is None else max(left, right)
    if isinstance(node, exp.Sum):  # Hive's sum of any integer type is a BIGINT
        return 64 if static_type(node.this) == "INT" else None
    if isinstance(node, exp.Count):
        return 64
    if isinstance(node, _RANKINGS):
        return 32
    if isinstance(node, (exp.Floor, exp.Ceil)) and _rounds_to_long(node):
        return 64
    return None


def _branches_bits(node: exp.Expr) -> int | None:
    """The widest of the branches' widths when every branch that is not NULL is an integer of known width."""
    widths = []
    for parent, key, index in _branches(node):
        value = parent.args.get(key) if index is None else parent.args[key][index]
        if isinstance(value, exp.Expr) and not isinstance(value, exp.Null):
            widths.append(int_bits(value))
    if not widths or None in widths:
        return None
    return max(w for w in widths if w is not None)


def _hive_width(rule: Rule | None) -> Rule:
    """An integer function's DuckDB value cast to its Hive type (a BIGINT in DuckDB, an INT in Hive:
    `month(d) * 1000000000` would not overflow, and a table would keep the wider type)."""

    def cast(node: exp.Expr) -> exp.Expr:
        bits = int_bits(node)  # before the rewrite, which makes another node
        new = node if rule is None else rule(node)
        if bits is None:
            return new
        return exp.Cast(this=new, to=data_type(_INT_TYPE[bits]))

    return cast


def _constant_in_range(node: exp.Expr, bits: int) -> bool:
    """Literal arithmetic whose value fits the type: nothing to wrap (the common `x * 100` is not
    constant; `60 * 60 * 24` is)."""
    if isinstance(node, exp.Sum):
        return False
    try:
        value = _constant(node)
    except (TypeError, ValueError):
        return False
    return value is not None and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def _constant(node: exp.Expr) -> int | None:
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    if isinstance(node, exp.Neg):
        inner = _constant(node.this)
        return None if inner is None else -inner
    if isinstance(node, _WRAPPING):
        left, right = _constant(node.this), _constant(node.expression)
        if left is None or right is None:
            return None
        if isinstance(node, exp.Add):
            return left + right
        return left - right if isinstance(node, exp.Sub) else left * right
    return None


def _in_window(node: exp.Expr) -> bool:
    return isinstance(node.parent, exp.Window) and node.arg_key == "this"


def _wrapping(rule: Rule | None) -> Rule:
    """+, -, *, unary - and sum() of integers of visible widths, computed in HUGEINT and folded into
    the Hive type's range (two's complement, as Java wraps). A sum() that is a window's function is
    folded around the window (`_window`)."""

    def wrapped(node: exp.Expr) -> exp.Expr:
        new = node if rule is None else rule(node)
        if new is not node or (isinstance(node, exp.Sum) and _in_window(node)):
            return new  # another rule's rewrite (date arithmetic), or the window's job
        bits = int_bits(node)
        if bits is None or _constant_in_range(node, bits):
            return node
        if not isinstance(node, exp.Sum):  # in HUGEINT, which cannot overflow here
            node.set("this", exp.Cast(this=node.this, to=data_type("HUGEINT")))
        return _wrapped(node, bits)

    return wrapped


def _rounds_to_long(node: exp.Expr) -> bool:
    """floor()/ceil() of one argument that is not a DECIMAL: a BIGINT in Hive (GenericUDFFloor/Ceil)."""
    return not node.args.get("decimals") and static_type(node.this) in ("DOUBLE", "FLOAT", "INT", "VARCHAR")


def _long_rounding(rule: Rule | None) -> Rule:
    """floor()/ceil() of a DOUBLE (or of an integer or a string, which Hive reads as a DOUBLE first) as
    Hive's: a BIGINT, `(long) Math.floor(d)` in Java, which saturates at the long range and makes NaN 0. DuckDB's is a
    DOUBLE, which would print as `2.0` where Hive prints `2`. Of a DECIMAL both give a DECIMAL of scale
    0; of a value of unknown type DuckDB's function stays (a known gap, tests/parity/README.md)."""

    def to_long(node: exp.Expr) -> exp.Expr:
        kind = static_type(node.this) if _rounds_to_long(node) else None  # before the rewrite
        if kind == "VARCHAR":  # Hive reads the string as a DOUBLE (NULL when it is not a number)
            node.set("this", exp.TryCast(this=node.this, to=data_type("DOUBLE")))
        new = node if rule is None else rule(node)
        if kind is None:
            return new
        # Hive converts every argument that is not a DECIMAL to a DOUBLE first (GenericUDFFloorCeilBase):
        # a BIGINT beyond 2^53 comes back rounded, as it does in Hive (Spark keeps it exact).
        value = exp.Cast(this=new, to=data_type("DOUBLE"))
        return exp.Cast(this=macro("hive__double_to_integral", value, exp.Literal.number(64)),
                        to=data_type("BIGINT"))

    return to_long


def _decimal_avg(rule: Rule | None) -> Rule:
    def rounded(node: exp.Expr) -> exp.Expr:
        new = node if rule is None else rule(node)
        if new is not node or _in_window(node) or not _rounds(node):
            return new
        return _decimal_average(node, node.this, in_window=False)

    return rounded


def _rounds(avg: exp.Expr) -> bool:
    """avg() of a DECIMAL, or of a value of unknown type (the scale is chosen at bind time)."""
    return static_type(avg.this) in ("DECIMAL", None) and not _volatile(avg.this)


def _window(rule: Rule | None) -> Rule:
    """A window over sum() of integers or avg() of a DECIMAL: folded or rounded around the window; a
    ranking (row_number(), rank(), ...) cast to Hive's INT around it (DuckDB's is a BIGINT, which a table
    would keep: `elt diff` against Hive saw the column types differ)."""

    def hoisted(node: exp.Expr) -> exp.Expr:
        function = node.this
        new = node if rule is None else rule(node)
        if isinstance(function, _RANKINGS):
            return exp.Cast(this=new, to=data_type("INT"))
        if isinstance(function, exp.Sum):
            bits = int_bits(function)
            return new if bits is None else _wrapped(new, bits)
        if isinstance(function, exp.Avg) and _rounds(function):
            return _decimal_average(new, function.this, in_window=True)
        return new

    return hoisted


def _volatile(value: exp.Expr) -> bool:
    """A volatile call, which the copy in typeof() would count twice (and Hive's average of random
    values has no answer to match)."""
    return any(call.name.lower() in VOLATILE_CALLS for call in value.find_all(exp.Anonymous))


def _wrapped(value: exp.Expr, bits: int) -> exp.Expr:
    return exp.Cast(this=_fold(value, bits), to=data_type(_INT_TYPE[bits]))


def _decimal_average(average: exp.Expr, value: exp.Expr, in_window: bool) -> exp.Expr:
    """Hive's avg() of a DECIMAL(p, s) is a DECIMAL rounded half up to s + 4 digits (at most 38;
    GenericUDAFAverage), DuckDB's a DOUBLE: round it to that scale, read from the argument's type at
    bind time (`typeof` of its min(), which keeps the type, where a plain column reference would not
    be allowed beside an aggregate). For a value of another type the scale is NULL, and the 400 digits
    of round() leave a DOUBLE as it is (so the average is written once)."""
    typed = value.copy() if in_window else exp.Min(this=value.copy())
    type_name = exp.Anonymous(this="typeof", expressions=[typed])
    scale = exp.TryCast(
        this=exp.Anonymous(this="regexp_extract", expressions=[type_name, exp.Literal.string(r"DECIMAL\(\d+,(\d+)\)"),
                                                              exp.Literal.number(1)]),
        to=data_type("INT"),
    )
    digits = exp.Anonymous(this="least", expressions=[exp.Add(this=scale, expression=exp.Literal.number(4)),
                                                      exp.Literal.number(38)])
    return exp.Anonymous(this="round", expressions=[average, exp.Coalesce(this=digits, expressions=[
        exp.Literal.number(400)])])


def _fold(value: exp.Expr, bits: int) -> exp.Expr:
    """((v + 2^(bits-1)) & (2^bits - 1)) - 2^(bits-1), with the powers of two as HUGEINT literals."""
    half = exp.Cast(this=exp.Literal.number(2 ** (bits - 1)), to=data_type("HUGEINT"))
    mask = exp.Cast(this=exp.Literal.number(2**bits - 1), to=data_type("HUGEINT"))
    shifted = exp.Paren(this=exp.Add(this=exp.Paren(this=value), expression=half))
    return exp.Paren(this=exp.Sub(this=exp.Paren(this=exp.BitwiseAnd(this=shifted, expression=mask)),
                                  expression=half.copy()))
