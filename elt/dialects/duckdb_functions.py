"""Hive functions that DuckDB lacks (or means differently), registered on each DuckDB connection as macros.

`translate()` rewrites Hive calls into calls of these `hive_*` macros; `register()` creates them in the
database's `main` schema, so the views elt builds keep working for any client that opens the database
file (a DuckDB shell, a BI tool), not only for elt's own connections. A marker macro named after a hash
of the definitions makes `register()` a single cheap query once they are in place; a read-only database
without them gets TEMP macros instead (visible to that connection only).

Several macros dispatch on `typeof(x)`: DuckDB binds a macro's body for the argument's actual type and
folds the constant `typeof()` test, so only the matching branch runs. Every branch must still bind for
any type, hence the TRY_CASTs. Where Hive's behaviour for a type cannot be reproduced, the branch calls
`error()`, so the query fails loudly instead of returning another answer (a refusal at run time, for
types that are only known then).

A macro is expanded by copying its argument into every place the body names it, and macros nest (a
cast of a cast); a body that names an argument many times goes through `_once()` (a one-element list
and a lambda), so the argument is written once and nesting stays linear.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

from elt.dialects.duckdb_builtins import MACROS as BUILTIN_MACROS

_CREATING = threading.Lock()


def _once(value: str, var: str, body: str) -> str:
    """`body` with `var` bound to `value`, evaluated once: list_transform([value], lambda var: body)[1].

    A field of `var` is read as `var['field']`: DuckDB (2.0) binds `var.field` inside HAVING as a
    column named `field` ("must appear in the GROUP BY clause").
    """
    body = re.sub(rf"\b{re.escape(var)}\.([A-Za-z_]\w*)", rf"{var}['\1']", body)
    return f"list_transform([{value}], lambda {var}: {body})[1]"


def _is(type_regex: str, expr: str) -> str:
    """A test on the DuckDB type name of `expr` (constant at bind time)."""
    return f"regexp_full_match(typeof({expr}), '{type_regex}')"


_INT = r"U?(TINYINT|SMALLINT|INTEGER|BIGINT)|HUGEINT"
#: The DuckDB type names the macros treat as integers (hive_types.engine_kind reads the same).
INT_TYPES = _INT
_NUM = _INT + r"|FLOAT|DOUBLE|DECIMAL\(.*\)"
_NULL = r'"NULL"'  # typeof(NULL)
_NUMERIC_SOURCE = _NUM + r"|VARCHAR|BOOLEAN|" + _NULL
_DATETIME = r"DATE|TIMESTAMP.*|" + _NULL


def _cast_error(target: str) -> str:
    return f"error('elt: CAST from ' || typeof(x) || ' to {target} has no faithful DuckDB translation')"


#: name -> (parameters, body). Bodies are DuckDB SQL; helpers named `hive__*` are internal.
MACROS: dict[str, tuple[str, str]] = {}

# -- conversions ---------------------------------------------------------------------------------------
# A Hive date/timestamp argument may be a DATE, a TIMESTAMP or a string. A string is a date when, trimmed,
# it is 'yyyy-M-d' alone or followed by a space or a 'T' and anything (Hive 3's Date.valueOf cuts there);
# '2024-01-05x' is not a date (NULL).
_NOT_A_DATE = "error('elt: Hive date functions take a DATE, TIMESTAMP or STRING, not ' || typeof(x))"
# DuckDB reads an hour of 24 ('2024-03-09 24:00:00') as the next midnight; Java's time parsing (Hive 3's
# and the server's) rejects it: NULL.
MACROS["hive__str_to_ts"] = (
    "s", "CASE WHEN regexp_matches(s, '^\\s*\\S+?[ T]\\s*24:') THEN NULL ELSE TRY_CAST(trim(s) AS TIMESTAMP) END")
MACROS["hive__str_to_date"] = (
    "s", "TRY_CAST(regexp_extract(s, '^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})(\\s*$|[ T])', 1) AS DATE)")
MACROS["hive_to_ts"] = (
    "x",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN hive__str_to_ts(CAST(x AS VARCHAR))"
    f" WHEN {_is(_DATETIME, 'x')} THEN TRY_CAST(x AS TIMESTAMP) ELSE {_NOT_A_DATE} END",
)
MACROS["hive_to_date"] = (
    "x",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN hive__str_to_date(CAST(x AS VARCHAR))"
    f" WHEN {_is(_DATETIME, 'x')} THEN TRY_CAST(x AS DATE) ELSE {_NOT_A_DATE} END",
)
# CAST(x AS <integer type>): Hive truncates fractions, wraps integers that overflow (Java narrowing),
# saturates doubles at the int/long range, and parses strings as [+-]digits[.digits] (else NULL).
# DuckDB rounds instead, and raises on overflow. Returns HUGEINT; the caller casts to the target type.
# Wrapping is (v + 2^(bits-1)) mod 2^bits - 2^(bits-1); the mod of a two's-complement HUGEINT by a
# power of two is a bitwise AND (non-negative for negative v too). Each power of two is a constant
# DuckDB folds when it plans every query (and every view a query reads): three of them instead of the
# five of the %-based form cut the binding cost of a cast to an integer type by a third.
MACROS["hive__wrap"] = (
    "v, bits",
    "((v + (1::HUGEINT << (bits - 1))) & ((1::HUGEINT << bits) - 1)) - (1::HUGEINT << (bits - 1))",
)
_LONG = "CASE WHEN bits = 64 THEN {0} ELSE {1} END"
MACROS["hive__double_to_integral"] = (
    "x, bits",
    _once(
        "x",
        "_d",
        "hive__wrap(CASE WHEN isnan(_d) THEN 0"
        f" WHEN _d >= {_LONG.format('9223372036854775807', '2147483647')}"
        f" THEN {_LONG.format('9223372036854775807', '2147483647')}"
        f" WHEN _d <= {_LONG.format('-9223372036854775808', '-2147483648')}"
        f" THEN {_LONG.format('-9223372036854775808', '-2147483648')}"
        " ELSE CAST(trunc(_d) AS HUGEINT) END, bits)",
    ),
)
MACROS["hive__str_to_integral"] = (
    "s",
    _once(
        "trim(s)",
        "_s",
        "CASE WHEN regexp_full_match(_s, '[+-]?\\d+(\\.\\d*)?') THEN TRY_CAST(split_part(_s, '.', 1) AS HUGEINT) END",
    ),
)
MACROS["hive__decimal_to_integral"] = (
    "x, bits",
    "hive__wrap(TRY_CAST(split_part(CAST(x AS VARCHAR), '.', 1) AS HUGEINT), bits)",
)
MACROS["hive_integral"] = (
    "x, bits",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN hive__str_to_integral(CAST(x AS VARCHAR))"
    " WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN hive__double_to_integral(TRY_CAST(x AS DOUBLE), bits)"
    " WHEN typeof(x) LIKE 'DECIMAL%' THEN hive__decimal_to_integral(x, bits)"
    f" WHEN {_is(_INT + '|' + _NULL, 'x')} THEN hive__wrap(TRY_CAST(x AS HUGEINT), bits)"
    " WHEN typeof(x) = 'BOOLEAN' THEN CASE WHEN TRY_CAST(x AS BOOLEAN) THEN 1 ELSE 0 END"
    " ELSE " + _cast_error("an integer type") + " END",
)
for _target in ("DOUBLE", "FLOAT"):
    MACROS[f"hive_to_{_target.lower()}"] = (
        "x",
        f"CASE WHEN {_is(_NUMERIC_SOURCE, 'x')} THEN TRY_CAST(x AS {_target}) ELSE {_cast_error(_target)} END",
    )
# Decimal target: the caller wraps this in TRY_CAST(... AS DECIMAL(p, s)); DuckDB rounds half away from
# zero like Hive's HALF_UP, and gives NULL on overflow like Hive.
MACROS["hive_decimal_source"] = ("x", f"CASE WHEN {_is(_NUMERIC_SOURCE, 'x')} THEN x ELSE {_cast_error('DECIMAL')} END")
MACROS["hive_to_boolean"] = (
    "x",
    f"CASE WHEN {_is('BOOLEAN|' + _NULL, 'x')} THEN TRY_CAST(x AS BOOLEAN)"
    f" WHEN {_is(_NUM, 'x')} THEN TRY_CAST(x AS DOUBLE) <> 0"
    " ELSE error('elt: CAST from ' || typeof(x) || ' to BOOLEAN differs between Hive versions; compare"
    " the value instead (x = ''true'')') END",
)
MACROS["hive_to_binary"] = (
    "x",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN encode(CAST(x AS VARCHAR))"
    f" WHEN {_is('BLOB|' + _NULL, 'x')} THEN TRY_CAST(x AS BLOB) ELSE {_cast_error('BINARY')} END",
)
# Java's Double.toString: plain digits for 1e-3 <= |x| < 1e7, else d.dddE<n>; NaN, Infinity.
# From DuckDB's shortest text of |x| (`s`: '12300000000.0', '1.23e+25', '0.0001'): digits and exponent.
MACROS["hive__sci"] = (
    "s, neg",
    _once(
        "{'digits': rtrim(CASE WHEN contains(s, 'e') THEN replace(split_part(s, 'e', 1), '.', '')"
        " WHEN split_part(s, '.', 1) <> '0' THEN split_part(s, '.', 1) || split_part(s, '.', 2)"
        " ELSE ltrim(split_part(s, '.', 2), '0') END, '0'),"
        " 'exp': CASE WHEN contains(s, 'e') THEN CAST(split_part(s, 'e', 2) AS INTEGER)"
        " WHEN split_part(s, '.', 1) <> '0' THEN length(split_part(s, '.', 1)) - 1"
        " ELSE -(length(split_part(s, '.', 2)) - length(ltrim(split_part(s, '.', 2), '0')) + 1) END}",
        "_n",
        "(CASE WHEN neg THEN '-' ELSE '' END) || left(_n.digits, 1) || '.'"
        " || CASE WHEN length(_n.digits) > 1 THEN substr(_n.digits, 2) ELSE '0' END"
        " || 'E' || CAST(_n.exp AS VARCHAR)",
    ),
)
MACROS["hive__float_str"] = (
    "x",
    _once(
        "x",
        "_f",
        "CASE WHEN isnan(_f) THEN 'NaN' WHEN isinf(_f) AND _f > 0 THEN 'Infinity' WHEN isinf(_f) THEN '-Infinity'"
        " WHEN _f = 0 OR (abs(_f) >= 0.001 AND abs(_f) < 10000000) THEN CAST(_f AS VARCHAR)"
        " ELSE hive__sci(CAST(abs(_f) AS VARCHAR), _f < 0) END",
    ),
)
_COMPLEX = r"(.*\[\]|MAP\(.*|STRUCT\(.*)"
# CAST(x AS STRING), and the implicit conversion to string (concat): Hive writes booleans as TRUE/FALSE
# and doubles the Java way.
MACROS["hive__bool_str"] = ("b", "CASE WHEN b THEN 'TRUE' WHEN NOT b THEN 'FALSE' END")
MACROS["hive_to_string"] = (
    "x",
    "CASE WHEN typeof(x) = 'BOOLEAN' THEN hive__bool_str(TRY_CAST(x AS BOOLEAN))"
    " WHEN typeof(x) = 'DOUBLE' THEN hive__float_str(TRY_CAST(x AS DOUBLE))"
    " WHEN typeof(x) = 'FLOAT' THEN hive__float_str(TRY_CAST(x AS FLOAT))"
    f" WHEN {_is(_COMPLEX, 'x')}"
    " THEN error('elt: Hive cannot convert ' || typeof(x) || ' to STRING')"
    " ELSE CAST(x AS VARCHAR) END",
)

# -- numbers -------------------------------------------------------------------------------------------
# Hive rounds a DOUBLE as BigDecimal.valueOf(x).setScale(d, HALF_UP): on its shortest decimal text, so
# round(1.005, 2) = 1.01 (DuckDB's binary rounding gives 1.0).
MACROS["hive__round_double"] = (
    "x, d",
    _once(
        "x",
        "_r",
        "CASE WHEN isnan(_r) OR isinf(_r) OR abs(_r) >= 1e19 THEN _r"
        " ELSE CAST(round(CAST(CAST(_r AS VARCHAR) AS DECIMAL(38, 18)), d) AS DOUBLE) END",
    ),
)
MACROS["hive_round"] = (
    "x, d",
    "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN hive__round_double(TRY_CAST(x AS DOUBLE), d) ELSE round(x, d) END",
)
MACROS["hive_div"] = ("a, b", "CAST(trunc(a // NULLIF(b, 0)) AS BIGINT)")
# a / b: Hive gives a DOUBLE, or a DECIMAL when a decimal meets a decimal or an integer, with scale
# max(6, s1 + p2 + 1) (reduced when the precision passes 38), rounded HALF_UP. The double quotient is
# rounded to that scale when it is small enough to matter. A precision of 38 is DuckDB's widening of an
# aggregate (sum), not the Hive type, so no rounding is attempted then. The scale is folded at bind time.
MACROS["hive__div_scale"] = (
    "ta, tb",
    _once(
        "[ta, tb]",
        "_t",
        _once(
            "list_transform(_t, lambda _e: CASE WHEN _e LIKE 'DECIMAL(%'"
            " THEN [CAST(regexp_extract(_e, '(\\d+),', 1) AS INTEGER),"
            " CAST(regexp_extract(_e, ',(\\d+)', 1) AS INTEGER)]"
            " WHEN _e = 'TINYINT' THEN [3, 0] WHEN _e = 'SMALLINT' THEN [5, 0] WHEN _e = 'INTEGER' THEN [10, 0]"
            " WHEN _e = 'BIGINT' THEN [19, 0] END)",
            "_p",
            "CASE WHEN (_t[1] LIKE 'DECIMAL%' OR _t[2] LIKE 'DECIMAL%') AND _p[1] IS NOT NULL AND _p[2] IS NOT NULL"
            " AND _p[1][1] < 38 AND _p[2][1] < 38 THEN "
            + _once(
                "CASE WHEN _p[1][1] - _p[1][2] + _p[2][2] + greatest(6, _p[1][2] + _p[2][1] + 1) > 38"
                " THEN greatest(38 - (_p[1][1] - _p[1][2] + _p[2][2]), least(greatest(6, _p[1][2] + _p[2][1] + 1), 6))"
                " ELSE greatest(6, _p[1][2] + _p[2][1] + 1) END",
                "_s",
                "CASE WHEN _s < 15 THEN _s END",
            )
            + " END",
        ),
    ),
)
MACROS["hive_divide"] = (
    "a, b",
    _once(
        "{'q': TRY_CAST(a AS DOUBLE) / NULLIF(TRY_CAST(b AS DOUBLE), 0), 's': hive__div_scale(typeof(a), typeof(b))}",
        "_z",
        "CASE WHEN _z.s IS NULL THEN _z.q ELSE round(_z.q, _z.s) END",
    ),
)
MACROS["hive_pmod"] = ("a, b", "((a % NULLIF(b, 0)) + b) % NULLIF(b, 0)")
MACROS["hive_sqrt"] = ("x", "CASE WHEN x < 0 THEN NULL ELSE sqrt(x) END")
MACROS["hive_ln"] = ("x", "CASE WHEN x <= 0 THEN NULL ELSE ln(x) END")
MACROS["hive_log10"] = ("x", "CASE WHEN x <= 0 THEN NULL ELSE log10(x) END")
MACROS["hive_log2"] = ("x", "CASE WHEN x <= 0 THEN NULL ELSE log2(x) END")
MACROS["hive_log"] = ("b, x", "CASE WHEN x <= 0 OR b <= 0 OR b = 1 THEN NULL ELSE ln(x) / ln(b) END")

# -- strings -------------------------------------------------------------------------------------------
# substr: 1-based; 0 means 1; negative counts from the end; |pos| past the end gives ''.
MACROS["hive_substr"] = (
    "s, pos, len",
    _once(
        "{'s': s, 'pos': pos, 'len': len}",
        "_a",
        "CASE WHEN _a.s IS NULL OR _a.pos IS NULL OR _a.len IS NULL THEN NULL"
        " WHEN abs(_a.pos) > length(_a.s) OR _a.len <= 0 THEN ''"
        " ELSE substring(_a.s, CASE WHEN _a.pos > 0 THEN _a.pos WHEN _a.pos < 0 THEN length(_a.s) + _a.pos + 1"
        " ELSE 1 END, _a.len) END",
    ),
)
MACROS["hive_locate"] = (
    "sub, s, pos",
    "CASE WHEN sub IS NULL OR s IS NULL OR pos IS NULL THEN NULL WHEN pos < 1 THEN 0 ELSE "
    + _once("strpos(substring(s, pos), sub)", "_i", "CASE WHEN _i = 0 THEN 0 ELSE _i + pos - 1 END")
    + " END",
)
MACROS["hive_substring_index"] = (
    "s, delim, cnt",
    "CASE WHEN s IS NULL OR delim IS NULL OR cnt IS NULL THEN NULL WHEN cnt = 0 OR delim = '' THEN ''"
    " WHEN cnt > 0 THEN array_to_string(string_split(s, delim)[1:cnt], delim)"
    " ELSE array_to_string(string_split(s, delim)[cnt:], delim) END",
)
MACROS["hive_find_in_set"] = (
    "s, l",
    "CASE WHEN s IS NULL OR l IS NULL THEN NULL WHEN contains(s, ',') THEN 0"
    " ELSE coalesce(list_position(string_split(l, ','), s), 0) END",
)
# initcap: first letter of each whitespace-separated word upper, the rest lower.
MACROS["hive_initcap"] = (
    "s",
    "array_to_string(list_transform(regexp_extract_all(s, '\\s+|\\S+'),"
    " lambda w: upper(left(w, 1)) || lower(substr(w, 2))), '')",
)
# upper(): Java maps the German sharp s to SS (full case mapping); DuckDB keeps it as one letter.
MACROS["hive_upper"] = ("s", "upper(replace(s, 'ß', 'SS'))")
# size(): -1 for NULL. The argument may be an array or a map, only known at bind time; a JSON view of it
# answers both without a type-specific function (which DuckDB would refuse to bind).
MACROS["hive_size"] = (
    "x",
    _once(
        "to_json(x)",
        "_j",
        "CASE WHEN _j IS NULL THEN -1 WHEN json_type(_j) = 'ARRAY' THEN CAST(json_array_length(_j) AS INTEGER)"
        " ELSE CAST(len(json_keys(_j)) AS INTEGER) END",
    ),
)
MACROS["hive_get_json_object"] = ("j, path", "CASE WHEN json_valid(j) THEN json_extract_string(j, path) END")
# A pattern only known at run time that matches the empty string: Java replaces an empty match right after
# another match, RE2 does not ('aaa', 'a*', 'x' gives 'xx' in Hive, 'x' in DuckDB); with a non-empty
# replacement that changes the answer, so raise (hive_functions.matches_empty decides for literals).
_EMPTY_MATCH = (
    "error('elt: regexp_replace pattern ' || p || ' can match the empty string, which Java and DuckDB"
    " replace differently')"
)
MACROS["hive_regexp_replace"] = (
    "s, p, r",
    f"CASE WHEN r <> '' AND regexp_full_match('', p) THEN {_EMPTY_MATCH} ELSE regexp_replace(s, p, r, 'g') END",
)
# regexp_replace with a replacement only known at run time: Java ($1) and RE2 (\1) group references
# differ, so refuse those at run time; plain text is the same on both.
MACROS["hive_regexp_replace_dyn"] = (
    "s, p, r",
    "CASE WHEN contains(r, '$') OR contains(r, '\\') THEN error('elt: regexp_replace replacement with $ or \\"
    " must be a literal to be translated')"
    f" WHEN r <> '' AND regexp_full_match('', p) THEN {_EMPTY_MATCH} ELSE regexp_replace(s, p, r, 'g') END",
)
# split(s, p) with a pattern only known at run time: one that matches the empty string splits differently
# in Java (String.split) and RE2, so raise (hive_functions.can_match_empty decides for literals).
MACROS["hive_split"] = (
    "s, p",
    "CASE WHEN regexp_full_match('', p) THEN error('elt: split pattern ' || p || ' can match the empty string,"
    " which Java and DuckDB split differently') ELSE regexp_split_to_array(s, p) END",
)
# str_to_map(text, d1, d2): Java String.split on both regexes (trailing empty pairs dropped, a pair
# without d2 maps to NULL). A repeated key makes DuckDB raise (Hive keeps the last value).
MACROS["hive__drop_trailing_empty"] = (
    "arr",
    "CASE WHEN len(arr) = 1 THEN arr"
    " ELSE arr[1 : len(arr) + 1 - coalesce(list_position(list_transform(list_reverse(arr), lambda e: e <> ''),"
    " true), len(arr) + 1)] END",
)
MACROS["hive_str_to_map"] = (
    "text, d1, d2",
    "map_from_entries(list_transform(hive__drop_trailing_empty(regexp_split_to_array(text, d1)), lambda kv:"
    " {'key': CASE WHEN regexp_matches(kv, d2) THEN regexp_extract(kv, '^(.*?)(' || d2 || ')', 1) ELSE kv END,"
    " 'value': CASE WHEN regexp_matches(kv, d2) THEN substr(kv, length(regexp_extract(kv, '^(.*?)(' || d2 || ')', 0))"
    " + 1) END}))",
)

# -- dates ---------------------------------------------------------------------------------------------
# Arguments arrive as DuckDB DATE or TIMESTAMP (hive_types.to_date/to_ts convert Hive's inputs first).
# add_months: a month-end date stays at the month end (Hive 1.x-3.x), otherwise clamped.
MACROS["hive__add_months"] = (
    "d, n",
    _once(
        "d",
        "_d",
        "CASE WHEN _d = last_day(_d) THEN last_day(CAST(_d + to_months(TRY_CAST(n AS INTEGER)) AS DATE))"
        " ELSE CAST(_d + to_months(TRY_CAST(n AS INTEGER)) AS DATE) END",
    ),
)
MACROS["hive__months_between"] = (
    "a, b",
    _once(
        "{'a': a, 'b': b}",
        "_p",
        _once(
            "(year(_p.a) - year(_p.b)) * 12 + month(_p.a) - month(_p.b)",
            "_m",
            "CASE WHEN _p.a IS NULL OR _p.b IS NULL THEN NULL"
            " WHEN day(_p.a) = day(_p.b)"
            " OR (CAST(_p.a AS DATE) = last_day(_p.a) AND CAST(_p.b AS DATE) = last_day(_p.b))"
            " THEN CAST(_m AS DOUBLE)"
            " ELSE hive__round_double(_m + ((day(_p.a) - day(_p.b)) + ((hour(_p.a) - hour(_p.b)) * 3600"
            " + (minute(_p.a) - minute(_p.b)) * 60 + second(_p.a) - second(_p.b)) / 86400.0) / 31.0, 8) END",
        ),
    ),
)
MACROS["hive__next_day"] = (
    "d, dow",
    _once(
        "d",
        "_d",
        "_d + CAST((CASE WHEN upper(dow) IN ('MO', 'MON', 'MONDAY') THEN 1"
        " WHEN upper(dow) IN ('TU', 'TUE', 'TUESDAY') THEN 2 WHEN upper(dow) IN ('WE', 'WED', 'WEDNESDAY') THEN 3"
        " WHEN upper(dow) IN ('TH', 'THU', 'THURSDAY') THEN 4 WHEN upper(dow) IN ('FR', 'FRI', 'FRIDAY') THEN 5"
        " WHEN upper(dow) IN ('SA', 'SAT', 'SATURDAY') THEN 6 WHEN upper(dow) IN ('SU', 'SUN', 'SUNDAY') THEN 7 END"
        " - isodow(_d) + 6) % 7 + 1 AS INTEGER)",
    ),
)
# trunc(date, fmt): Hive supports year and month (and quarter) units; anything else is NULL.
MACROS["hive__trunc"] = (
    "d, fmt",
    _once(
        "d",
        "_d",
        "CASE WHEN upper(fmt) IN ('YEAR', 'YYYY', 'YY') THEN CAST(date_trunc('year', _d) AS DATE)"
        " WHEN upper(fmt) IN ('MONTH', 'MON', 'MM') THEN CAST(date_trunc('month', _d) AS DATE)"
        " WHEN upper(fmt) IN ('QUARTER', 'Q') THEN CAST(date_trunc('quarter', _d) AS DATE) END",
    ),
)
MACROS["hive_from_unixtime"] = ("n, fmt", "strftime(to_timestamp(TRY_CAST(n AS BIGINT)), fmt)")
# unix_timestamp: seconds in the session time zone. Java's parser ignores text after the pattern, so the
# matching prefix is cut out before strptime.
# Spark's to_timestamp(number): seconds since the epoch, the fraction truncated to microseconds, as a local
# TIMESTAMP of the session time zone; to_timestamp(s, pattern): the whole string must match the pattern.
MACROS["hive__epoch_to_ts"] = (
    "n", "CAST(to_timestamp(0) + to_microseconds(CAST(trunc(n * CAST(1000000 AS BIGINT)) AS BIGINT)) AS TIMESTAMP)")
# ... and a value whose type is only known at bind time (a number is read as DECIMAL(38,9): exact for
# integers and decimals of up to 9 fraction digits).
MACROS["hive_to_timestamp_any"] = (
    "x", f"CASE WHEN {_is(_NUM, 'x')} THEN hive__epoch_to_ts(TRY_CAST(x AS DECIMAL(38,9))) ELSE hive_to_ts(x) END")
MACROS["hive__parse_ts_strict"] = ("s, fmt, regex", "CASE WHEN regexp_matches(s, regex) THEN try_strptime(s, fmt) END")
MACROS["hive__ts_epoch"] = ("t", "CAST(floor(epoch(CAST(t AS TIMESTAMPTZ))) AS BIGINT)")
MACROS["hive__parse_epoch"] = ("s, fmt, prefix", "hive__ts_epoch(try_strptime(regexp_extract(s, prefix, 1), fmt))")
MACROS["hive_unix_timestamp"] = (
    "x, fmt, prefix",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN hive__parse_epoch(CAST(x AS VARCHAR), fmt, prefix)"
    " ELSE hive__ts_epoch(hive_to_ts(x)) END",
)

# -- comparisons with a literal -------------------------------------------------------------------------
# x OP y, y a number or numeric text, ytext its text. Hive compares a string with a number as two
# doubles; DuckDB casts the string to the number's type, rounding '2.4' to 2 (and the literal 1.5 to 2
# against an INT column). The branch chosen by the types at bind time runs, and folds to the operator.
_MIXED = f"(typeof(x) = 'VARCHAR' AND typeof(y) <> 'VARCHAR') OR (typeof(y) = 'VARCHAR' AND {_is(_NUM, 'x')})"
_INT_VS_FRACTION = f"{_is(_INT, 'x')} AND NOT {_is(_INT, 'y')}"
for _name, _op in (("eq", "="), ("ne", "<>"), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")):
    MACROS[f"hive_cmp_{_name}"] = (
        "x, y, ytext",
        f"CASE WHEN {_MIXED} OR ({_INT_VS_FRACTION}) THEN TRY_CAST(x AS DOUBLE) {_op} TRY_CAST(y AS DOUBLE)"
        f" ELSE x {_op} ytext END",
    )
# x IN (...) with a literal list: Hive's IN resolves one common type for all values, which Hive versions
# and Spark pick differently when strings meet numbers; elt raises instead of guessing.
MACROS["hive_in_eq"] = (
    "x, y, ytext",
    f"CASE WHEN {_MIXED} THEN error('elt: IN (...) between strings and numbers compares differently across"
    " Hive versions; cast one side explicitly')"
    f" WHEN {_INT_VS_FRACTION} THEN TRY_CAST(x AS DOUBLE) = TRY_CAST(y AS DOUBLE)"
    " ELSE x = ytext END",
)
# x IN (<integer literals>), x's type known only at bind time: one DuckDB IN (as fast on 20k items as
# DuckDB's own), after the check hive_in_eq makes per item (no integer literal is a fraction or text).
MACROS["hive__in_numbers"] = (
    "x",
    "CASE WHEN typeof(x) = 'VARCHAR' THEN error('elt: IN (...) between strings and numbers compares differently"
    " across Hive versions; cast one side explicitly') ELSE x END",
)

# Variants that evaluate the argument once, for arguments built from other macros (see hive_types).
for _name in (
    "hive_to_ts",
    "hive_to_date",
    "hive_integral",
    "hive_to_double",
    "hive_to_float",
    "hive_decimal_source",
    "hive_to_boolean",
    "hive_to_binary",
    "hive_to_string",
    "hive_unix_timestamp",
    "hive_to_timestamp_any",
    "hive_sqrt",
    "hive_ln",
    "hive_log10",
    "hive_log2",
    *(f"hive_{kind}_{op}" for kind in ("cmp", "in") for op in ("eq", "ne", "lt", "le", "gt", "ge")),
):
    if _name not in MACROS:
        continue
    _params, _body = MACROS[_name]
    _rest = _params.split(", ")[1:]
    MACROS[f"{_name}_once"] = (_params, _once("x", "_x", f"{_name}({', '.join(['_x', *_rest])})"))

MACROS.update(BUILTIN_MACROS)

_DEFINITIONS = [f"{name}({params}) AS {body}" for name, (params, body) in MACROS.items()]
#: Changes whenever a definition changes, so a database with older macros gets them replaced.
VERSION = hashlib.sha256("\n".join(_DEFINITIONS).encode()).hexdigest()[:12]
_MARKER = f"hive__macros_{VERSION}"
_PERSISTENT = ";\n".join(
    [*(f"CREATE OR REPLACE MACRO main.{d}" for d in _DEFINITIONS), f"CREATE OR REPLACE MACRO main.{_MARKER}() AS 1"]
)
_TEMPORARY = ";\n".join(f"CREATE OR REPLACE TEMP MACRO {d}" for d in _DEFINITIONS)


def register(connection: Any) -> None:
    """Make the Hive-compatibility macros available on a DuckDB connection (idempotent, cheap once done).

    Args:
        connection: a `duckdb.DuckDBPyConnection` (or a cursor of one).
    """
    import duckdb

    def present() -> bool:
        try:
            connection.execute(f"SELECT {_MARKER}()")
            return True
        except duckdb.CatalogException:
            return False

    if present():
        return  # this version's macros are already in the database
    with _CREATING:  # cursors of one connection registering from several threads would conflict
        if present():
            return
        try:
            connection.execute(_PERSISTENT)
        except duckdb.Error:
            # a read-only database without the macros: this connection gets its own
            connection.execute(_TEMPORARY)
