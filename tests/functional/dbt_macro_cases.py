"""dbt's cross-database macros, as models call them, with the values dbt means (dbt's docs and its
adapters): one model of a column per case, shared by the DuckDB tests (test_dbt_macros.py) and the
Hive server's (tests/hive/test_dbt_macros_on_hive.py).

Dates are given as `cast('...' as date|timestamp)`, text both Hive and DuckDB read. dateadd and
date_trunc return timestamps; datediff counts the boundaries of the unit crossed (weeks from Sunday,
as dbt's adapters count them); date_trunc('week') starts on Monday.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

D = "cast('{}' as date)".format
T = "cast('{}' as timestamp)".format
dt = datetime.datetime

#: (column, Jinja expression, the value dbt means).
CASES: list[tuple[str, str, Any]] = [
    ("add_day", f"dbt.dateadd('day', 1, \"{D('2024-01-31')}\")", dt(2024, 2, 1)),
    ("add_day_expr", f"dbt.dateadd('day', 'cast(2 as int) + 1', \"{T('2024-03-09 23:30:45')}\")",
     dt(2024, 3, 12, 23, 30, 45)),
    ("add_week_back", f"dbt.dateadd('week', -1, \"{D('2024-03-03')}\")", dt(2024, 2, 25)),
    ("add_month_clamped", f"dbt.dateadd('month', 1, \"{D('2024-01-31')}\")", dt(2024, 2, 29)),
    # Hive's add_months would keep a month end at the month end (2024-03-31): dbt means the same day
    ("add_month_from_month_end", f"dbt.dateadd('month', 1, \"{D('2024-02-29')}\")", dt(2024, 3, 29)),
    ("add_13_months", f"dbt.dateadd('month', 13, \"{T('2024-05-31 00:00:01')}\")", dt(2025, 6, 30, 0, 0, 1)),
    ("add_month_text", f"dbt.dateadd('month', \"'-2'\", \"{D('2024-01-31')}\")", dt(2023, 11, 30)),
    ("add_quarter_back", f"dbt.dateadd('quarter', -1, \"{T('2024-05-31 00:00:01')}\")", dt(2024, 2, 29, 0, 0, 1)),
    ("add_year", f"dbt.dateadd('year', 1, \"{D('2024-02-29')}\")", dt(2025, 2, 28)),
    ("add_hour", f"dbt.dateadd('hour', 1, \"{T('2024-03-09 23:30:45')}\")", dt(2024, 3, 10, 0, 30, 45)),
    ("add_minutes_expr", f"dbt.dateadd('minute', 'cast(-5 as int)', \"{T('2024-03-09 23:30:45')}\")",
     dt(2024, 3, 9, 23, 25, 45)),
    ("add_seconds", f"dbt.dateadd('second', 15, \"{T('2024-03-09 23:30:45')}\")", dt(2024, 3, 9, 23, 31)),
    ("diff_day", f"dbt.datediff(\"{D('2024-01-31')}\", \"{D('2024-02-01')}\", 'day')", 1),
    ("diff_week_sat_sun", f"dbt.datediff(\"{D('2024-03-02')}\", \"{D('2024-03-03')}\", 'week')", 1),
    ("diff_week_same", f"dbt.datediff(\"{D('2024-03-03')}\", \"{D('2024-03-09')}\", 'week')", 0),
    ("diff_week_back", f"dbt.datediff(\"{D('2024-03-09')}\", \"{D('2024-03-02')}\", 'week')", -1),
    ("diff_month", f"dbt.datediff(\"{D('2024-01-31')}\", \"{D('2024-02-01')}\", 'month')", 1),
    ("diff_quarter", f"dbt.datediff(\"{D('2024-06-30')}\", \"{D('2024-07-01')}\", 'quarter')", 1),
    ("diff_year", f"dbt.datediff(\"{D('2023-12-31')}\", \"{D('2025-01-01')}\", 'year')", 2),
    ("diff_hour", f"dbt.datediff(\"{T('2024-03-09 23:30:45')}\", \"{T('2024-03-10 00:10:00')}\", 'hour')", 1),
    ("diff_minute", f"dbt.datediff(\"{T('2024-03-10 10:00:00')}\", \"{T('2024-03-10 11:30:59')}\", 'minute')", 90),
    ("diff_second", f"dbt.datediff(\"{T('2024-03-10 10:00:00')}\", \"{T('2024-03-10 11:30:59')}\", 'second')", 5459),
    ("trunc_week", f"dbt.date_trunc('week', \"{T('2024-03-09 23:30:45')}\")", dt(2024, 3, 4)),
    ("trunc_week_monday", f"dbt.date_trunc('week', \"{D('2024-03-04')}\")", dt(2024, 3, 4)),
    ("trunc_week_sunday", f"dbt.date_trunc('week', \"{D('2024-03-03')}\")", dt(2024, 2, 26)),
    ("trunc_month", f"dbt.date_trunc('month', \"{T('2024-05-31 00:00:01')}\")", dt(2024, 5, 1)),
    ("trunc_quarter", f"dbt.date_trunc('quarter', \"{D('2024-05-31')}\")", dt(2024, 4, 1)),
    ("trunc_year", f"dbt.date_trunc('year', \"{D('2024-05-31')}\")", dt(2024, 1, 1)),
    ("trunc_hour", f"dbt.date_trunc('hour', \"{T('2024-03-09 23:30:45')}\")", dt(2024, 3, 9, 23)),
    ("trunc_day", f"dbt.date_trunc('day', \"{T('2024-03-09 23:30:45')}\")", dt(2024, 3, 9)),
    ("last_day_month", f"dbt.last_day(\"{D('2024-02-10')}\", 'month')", dt(2024, 2, 29)),
    ("last_day_quarter", f"dbt.last_day(\"{D('2024-05-31')}\", 'quarter')", dt(2024, 6, 30)),
    ("hash", "dbt.hash(\"'abc'\")", "900150983cd24fb0d6963f7d28e17f72"),
    ("concat", "dbt.concat([\"'a'\", \"'b'\", \"'c'\"])", "abc"),
    ("concat_null", "dbt.concat([\"'a'\", 'cast(null as ' ~ dbt.type_string() ~ ')'])", None),
    ("length", "dbt.length(\"'abcd'\")", 4),
    ("position", "dbt.position(\"'c'\", \"'abcd'\")", 3),
    ("replace", "dbt.replace(\"'a.b.c'\", \"'.'\", \"'-'\")", "a-b-c"),
    ("right", "dbt.right(\"'abcdef'\", 2)", "ef"),
    ("right_longer", "dbt.right(\"'abc'\", 5)", "abc"),
    ("right_none", "dbt.right(\"'abc'\", 0)", ""),
    ("split_part", "dbt.split_part(\"'a,b,,c'\", \"','\", 2)", "b"),
    ("split_part_empty", "dbt.split_part(\"'a,b,,c'\", \"','\", 3)", ""),
    ("split_part_last", "dbt.split_part(\"'a,b,,c'\", \"','\", -1)", "c"),
    ("split_part_past_end", "dbt.split_part(\"'a,b,,c'\", \"','\", 5)", None),
    ("split_part_regex_char", "dbt.split_part(\"'a|b|c'\", \"'|'\", 2)", "b"),
    ("escaped_quote", "\"'\" ~ dbt.escape_single_quotes(\"they're\") ~ \"'\"", "they're"),
    ("string_literal", "dbt.string_literal('x y')", "x y"),
    ("safe_cast", "dbt.safe_cast(\"'12'\", dbt.type_int())", 12),
    ("safe_cast_bad", "dbt.safe_cast(\"'abc'\", dbt.type_int())", None),
    ("numeric", "dbt.cast(\"'1.5'\", dbt.type_numeric())", decimal.Decimal("1.5")),
    ("bigint", "dbt.cast(\"'7'\", dbt.type_bigint())", 7),
    ("timestamp", "dbt.cast(\"'2024-01-02 03:04:05'\", dbt.type_timestamp())", dt(2024, 1, 2, 3, 4, 5)),
    ("bool_text", "dbt.cast_bool_to_text('1 = 1')", "true"),
    ("date", "dbt.date(2024, 2, 29)", datetime.date(2024, 2, 29)),
    # unqualified, as dbt_utils and projects also call them
    ("unqualified", "dateadd('day', 1, \"" + D("2024-12-31") + "\")", dt(2025, 1, 1)),
]

#: A model of each case as a column.
MODEL = "select\n" + ",\n".join(f"  {{{{ {expr} }}}} as {name}" for name, expr, _ in CASES) + "\n"

#: Aggregates and set operations: (model name, model, expected rows).
ROWS = "select 1 as v, 'x' as w union all select 3 as v, 'x' as w union all select 2 as v, 'x' as w"
OTHER_MODELS: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "aggregates": (
        f"select {{{{ dbt.bool_or('v > 2') }}}} as any_big, {{{{ dbt.listagg('w', \"'-'\") }}}} as joined,"
        f" {{{{ dbt.any_value('w') }}}} as one from ({ROWS}) t",
        [(True, "x-x-x", "x")],
    ),
    "series": (
        "select count(*) as n, sum(generated_number) as total from ({{ dbt.generate_series(5) }}) s",
        [(5, 15)],
    ),
    "excepted": ("select v from (" + ROWS + ") t {{ dbt.except() }} select 2 as v", [(1,), (3,)]),
}


def normal(value: Any) -> Any:
    """A value as both engines' drivers give it, in one form: dates and timestamps as datetimes, decimals
    and integers as numbers, Hive's textual dates parsed."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return dt(value.year, value.month, value.day)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str) and len(value) in (10, 19) and value[4:5] == "-" and value[7:8] == "-":
        try:
            return normal(datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    return value
