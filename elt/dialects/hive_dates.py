"""Rules for Hive date and time functions, Hive -> DuckDB.

Hive's date functions take a DATE, a TIMESTAMP or a 'yyyy-MM-dd[ HH:mm:ss]' string; arguments are first
converted to a DuckDB DATE/TIMESTAMP (`hive_types.to_date`/`to_ts`), then the function becomes a DuckDB
built-in or a `hive__*` macro. Java date patterns are converted by `java_time`; time-zone sensitive
functions use the DuckDB session TimeZone, as Hive uses its session time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from elt.dialects import java_time
from elt.dialects._common import Rule, call, hive_name, is_string, macro, refuse
from elt.dialects.hive_reader import java_pattern
from elt.dialects.hive_types import once, static_type, to_date, to_epoch, to_ts


def _format(node: exp.Expr, arg: str = "format") -> str:
    fmt = node.args.get(arg)
    if fmt is None or not is_string(fmt):
        refuse(hive_name(node), "the date pattern must be a string literal to be translated", node)
    original = java_pattern(fmt)
    try:
        if original is not None:
            return java_time.java_to_strftime(original)
        return java_time.to_strftime(fmt.this)  # parsed by sqlglot's stock reader: its notation only
    except java_time.PatternError as exc:
        refuse(hive_name(node), str(exc), node)


#: Hive's default pattern of unix_timestamp(s) / to_unix_timestamp(s).
_DEFAULT_PATTERN = "yyyy-MM-dd HH:mm:ss"


def _parse_format(node: exp.Expr, fmt_node: exp.Expr | None, *, java: bool = False) -> tuple[str, str]:
    """(strptime format, prefix regex) of a parsing pattern: `java` when `fmt_node` holds the Java
    pattern itself (a function sqlglot does not know), else as the reader left it."""
    if fmt_node is not None and not is_string(fmt_node):
        refuse(hive_name(node), "the date pattern must be a string literal to be translated", node)
    original = _DEFAULT_PATTERN if fmt_node is None else fmt_node.this if java else java_pattern(fmt_node)
    try:
        if original is not None:
            return java_time.java_to_strptime(original)
        return java_time.to_strptime(fmt_node.this)  # type: ignore[union-attr]  # stock reader's notation
    except java_time.PatternError as exc:
        refuse(hive_name(node), str(exc), node)


def _date_add(node: exp.Expr) -> exp.Expr:
    unit = node.args.get("unit")
    if unit is not None and unit.name.upper() != "DAY":
        refuse(hive_name(node), f"unit {unit.name} is not a Hive form", node)
    days = exp.TryCast(this=node.expression, to=exp.DataType.build("INT"))
    return exp.Paren(this=exp.Add(this=to_date(node.this), expression=days))


def _datediff(node: exp.Expr) -> exp.Expr:
    if node.args.get("unit") is not None and node.args["unit"].name.upper() not in ("DAY",):
        refuse("datediff()", "Hive's datediff counts days only", node)
    return exp.Paren(this=exp.Sub(this=to_date(node.this), expression=to_date(node.expression)))


def _months_between(node: exp.Expr) -> exp.Expr:
    if node.args.get("roundoff") is not None:
        refuse("months_between()", "the third argument is not a Hive form", node)
    return macro("hive__months_between", to_ts(node.this), to_ts(node.expression))


def _trunc(node: exp.Expr) -> exp.Expr:
    unit = node.args.get("unit")
    if not isinstance(unit, (exp.Var, exp.Literal)):
        refuse("trunc()", "the unit must be a literal", node)
    return macro("hive__trunc", to_date(node.this), exp.Literal.string(unit.name))


def _part(name: str) -> Rule:
    def rule(node: exp.Expr) -> exp.Expr:
        return call(name, to_ts(node.this))

    return rule


def _from_unixtime(node: exp.Expr) -> exp.Expr:
    return macro("hive_from_unixtime", node.this, exp.Literal.string(_format(node)))


def _unix_timestamp(node: exp.Expr) -> exp.Expr:
    fmt, prefix = _parse_format(node, node.args.get("format"))
    return to_epoch(node.this, fmt, prefix)


def _date_format(node: exp.Expr) -> exp.Expr:
    return call("strftime", to_ts(node.this), exp.Literal.string(_format(node)))


_EXTRACT = {
    "YEAR": "year",
    "QUARTER": "quarter",
    "MONTH": "month",
    "WEEK": "weekofyear",
    "DAY": "day",
    "HOUR": "hour",
    "MINUTE": "minute",
    "SECOND": "second",
}


def _extract(node: exp.Expr) -> exp.Expr:
    unit = node.this.name.upper()
    if unit == "DAYOFWEEK":
        return _dayofweek(node.expression)
    if unit not in _EXTRACT:
        refuse(f"EXTRACT({unit} FROM ...)", "this unit has no checked DuckDB equivalent", node)
    return call(_EXTRACT[unit], to_ts(node.expression))


def _dayofweek(value: exp.Expr) -> exp.Expr:
    # Hive: 1 = Sunday ... 7 = Saturday; DuckDB's dayofweek starts at 0.
    return exp.Paren(this=exp.Add(this=call("dayofweek", to_ts(value)), expression=exp.Literal.number(1)))


def _current_timestamp(node: exp.Expr) -> exp.Expr:
    # Hive's current_timestamp is a local TIMESTAMP in the session time zone.
    return exp.Cast(this=exp.CurrentTimestamp(), to=exp.DataType.build("TIMESTAMP"))


def _anon_unix_timestamp(node: exp.Anonymous) -> exp.Expr:
    args = node.expressions
    fmt, prefix = _parse_format(node, args[1] if len(args) > 1 else None, java=True)
    return to_epoch(args[0], fmt, prefix)


def _utc(node: exp.Anonymous, from_utc: bool) -> exp.Expr:
    if len(node.expressions) != 2:
        refuse(f"{node.name}()", "expects 2 arguments", node)
    ts, zone = node.expressions
    first, second = (exp.Literal.string("UTC"), zone) if from_utc else (zone, exp.Literal.string("UTC"))
    return call("timezone", second, call("timezone", first.copy(), to_ts(ts)))


# -- Spark built-ins that dbt-spark projects (and packages such as dbt_date) use ------------------------
# Spark SQL functions, not Hive ones: a dbt-spark project's SQL is read with the hive dialect, and these
# are what its macros call. Semantics are the Spark Thrift Server's (the project's Hive engine).

#: date_part field (case-insensitive; Spark's DatePart.parseExtractField) -> (DuckDB function, source is a
#: DATE rather than a TIMESTAMP). Spark converts a string source to the type the field reads.
_DATE_PART: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(("year", "y", "years", "yr", "yrs"), ("year", True)),
    "yearofweek": ("isoyear", True),
    **dict.fromkeys(("quarter", "qtr"), ("quarter", True)),
    **dict.fromkeys(("month", "mon", "mons", "months"), ("month", True)),
    **dict.fromkeys(("week", "w", "weeks"), ("weekofyear", True)),  # ISO week, as Hive's weekofyear
    **dict.fromkeys(("day", "d", "days"), ("day", True)),
    **dict.fromkeys(("dayofweek", "dow"), ("dayofweek", True)),  # 1 = Sunday .. 7: shifted below
    **dict.fromkeys(("dayofweek_iso", "dow_iso"), ("isodow", True)),  # 1 = Monday .. 7
    "doy": ("dayofyear", True),
    **dict.fromkeys(("hour", "h", "hours", "hr", "hrs"), ("hour", False)),
    **dict.fromkeys(("minute", "m", "min", "mins", "minutes"), ("minute", False)),
}
_SECOND_FIELDS = frozenset(("second", "s", "sec", "seconds", "secs"))


def _anon_date_part(node: exp.Anonymous) -> exp.Expr:
    if len(node.expressions) != 2:
        refuse("date_part()", "expects 2 arguments (field, source)", node)
    field, source = node.expressions
    if not is_string(field):
        refuse("date_part()", "the field must be a string literal to be translated", node)
    name = field.name.lower()
    if name in _SECOND_FIELDS:
        # Spark's seconds keep their fraction: DECIMAL(8,6). DuckDB's microsecond() counts from the minute.
        micros = call("microsecond", to_ts(source))
        return exp.Cast(this=exp.Div(this=micros, expression=exp.Literal.number(1000000)),
                        to=exp.DataType.build("DECIMAL(8,6)"))
    if name not in _DATE_PART:
        refuse(f"date_part('{field.name}', ...)", "this field has no checked DuckDB equivalent; use year, quarter, "
               "month, week, day, dayofweek, dayofweek_iso, doy, hour, minute or second", node)
    function, on_date = _DATE_PART[name]
    value: exp.Expr = call(function, to_date(source) if on_date else to_ts(source))
    if function == "dayofweek":  # DuckDB's dayofweek starts at 0 on Sunday
        value = exp.Add(this=value, expression=exp.Literal.number(1))
    return exp.Cast(this=value, to=exp.DataType.build("INT"))


_NUMBER_KINDS = frozenset(("INT", "DECIMAL", "DOUBLE", "FLOAT"))


def _anon_to_timestamp(node: exp.Anonymous) -> exp.Expr:
    args = node.expressions
    if len(args) == 2:
        fmt, regex = _strict_format(node, args[1])
        return macro("hive__parse_ts_strict", args[0], exp.Literal.string(fmt), exp.Literal.string(regex))
    if len(args) != 1:
        refuse("to_timestamp()", "expects 1 or 2 arguments", node)
    kind = static_type(args[0])
    if kind in _NUMBER_KINDS:
        # Spark: seconds since the epoch (fraction to the microsecond, truncated), in the session time zone.
        return macro("hive__epoch_to_ts", args[0])
    if kind is None:
        return once("hive_to_timestamp_any", args[0])  # a number or a date, known at bind time
    return to_ts(args[0])  # a string, DATE or TIMESTAMP converts as CAST(x AS TIMESTAMP)


#: Java letter run -> (strptime directive, regex of what Spark's parser accepts for it) for
#: to_timestamp(s, pattern): Spark (DateTimeFormatter) needs the whole string and a two-letter run two digits.
_STRICT = {
    "yyyy": ("%Y", r"\d{4}"),
    "MM": ("%m", r"\d{2}"), "M": ("%m", r"\d{1,2}"), "MMM": ("%b", "[A-Za-z]{3}"),
    "dd": ("%d", r"\d{2}"), "d": ("%d", r"\d{1,2}"),
    "HH": ("%H", r"\d{2}"), "H": ("%H", r"\d{1,2}"),
    "mm": ("%M", r"\d{2}"),
    "ss": ("%S", r"\d{2}"),
    "SSS": ("%g", r"\d{3}"),
}


def _strict_format(node: exp.Expr, fmt_node: exp.Expr) -> tuple[str, str]:
    if not is_string(fmt_node):
        refuse("to_timestamp()", "the date pattern must be a string literal to be translated", node)
    try:
        tokens = java_time.java_tokens(fmt_node.this)
    except java_time.PatternError as exc:
        refuse("to_timestamp()", str(exc), node)
    fmt, regex = [], []
    for kind, text in tokens:
        if kind == "lit":
            fmt.append(text.replace("%", "%%"))
            regex.append(re.escape(text))
        elif text in _STRICT:
            fmt.append(_STRICT[text][0])
            regex.append(_STRICT[text][1])
        else:
            refuse("to_timestamp()", f"date pattern '{text}' is not checked for parsing; use yyyy, M, MM, MMM, d, "
                   "dd, H, HH, mm, ss, SSS and literal text", node)
    return "".join(fmt), "^" + "".join(regex) + "$"


DATE_ANONYMOUS_RULES: dict[str, Callable[[exp.Anonymous], exp.Expr]] = {
    "to_unix_timestamp": _anon_unix_timestamp,
    "date_part": _anon_date_part,
    "to_timestamp": _anon_to_timestamp,
    "from_utc_timestamp": lambda n: _utc(n, from_utc=True),
    "to_utc_timestamp": lambda n: _utc(n, from_utc=False),
}

DATE_RULES: dict[type[exp.Expr], Rule] = {
    exp.TsOrDsToDate: lambda n: to_date(n.this),
    exp.TimeStrToTime: lambda n: to_ts(n.this),
    exp.TsOrDsAdd: _date_add,
    exp.DateDiff: _datediff,
    exp.MonthsBetween: _months_between,
    exp.AddMonths: lambda n: macro("hive__add_months", to_date(n.this), n.expression),
    exp.LastDay: lambda n: call("last_day", to_date(n.this)),
    exp.NextDay: lambda n: macro("hive__next_day", to_date(n.this), n.expression),
    exp.TimestampTrunc: _trunc,
    exp.Year: _part("year"),
    exp.Month: _part("month"),
    exp.Day: _part("day"),
    exp.DayOfMonth: _part("day"),
    exp.Hour: _part("hour"),
    exp.Minute: _part("minute"),
    exp.Second: _part("second"),
    exp.WeekOfYear: _part("weekofyear"),
    exp.Quarter: _part("quarter"),
    exp.DayOfWeek: lambda n: _dayofweek(n.this),
    exp.UnixToStr: _from_unixtime,
    exp.StrToUnix: _unix_timestamp,
    exp.TimeToStr: _date_format,
    exp.CurrentTimestamp: _current_timestamp,
    exp.Extract: _extract,
}
