"""Rules for Hive date and time functions, Hive -> DuckDB.

Hive's date functions take a DATE, a TIMESTAMP or a 'yyyy-MM-dd[ HH:mm:ss]' string; arguments are first
converted to a DuckDB DATE/TIMESTAMP (`hive_types.to_date`/`to_ts`), then the function becomes a DuckDB
built-in or a `hive__*` macro. Java date patterns are converted by `java_time`; time-zone sensitive
functions use the DuckDB session TimeZone, as Hive uses its session time zone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from elt.dialects import java_time
from elt.dialects._common import Rule, call, hive_name, is_string, macro, refuse
from elt.dialects.hive_reader import java_pattern
from elt.dialects.hive_types import to_date, to_epoch, to_ts


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


DATE_ANONYMOUS_RULES: dict[str, Callable[[exp.Anonymous], exp.Expr]] = {
    "to_unix_timestamp": _anon_unix_timestamp,
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
