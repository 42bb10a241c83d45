"""Hive functions that DuckDB lacks (or means differently), registered on each DuckDB connection as macros.

`translate()` rewrites Hive calls into calls of these `hive_*` macros; `register()` creates them on a
connection. They are TEMP macros: they live in the connection's own temp catalog, so a database file is
never written and every connection (or cursor) needs its own `register()` call.

Several macros dispatch on `typeof(x)`: DuckDB binds a macro's body for the argument's actual type and
folds the constant `typeof()` test, so only the matching branch runs. Where Hive's behaviour for a type
cannot be reproduced, the branch calls `error()`, so the query fails loudly instead of returning another
answer (a refusal at run time, for types that are only known then).
"""

from __future__ import annotations

from typing import Any

_INT_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')"
_NUM_OK = (
    "(typeof(x) IN ('VARCHAR', 'BOOLEAN', 'FLOAT', 'DOUBLE', '\"NULL\"') OR typeof(x) IN "
    + _INT_TYPES
    + " OR typeof(x) LIKE 'DECIMAL%')"
)

#: name -> (parameters, body). Bodies are DuckDB SQL; helpers named `hive__*` are internal.
MACROS: dict[str, tuple[str, str]] = {
    # -- conversions -----------------------------------------------------------------------------
    # A Hive date/timestamp argument may be a DATE, a TIMESTAMP or a string; strings are parsed by their
    # 'yyyy-MM-dd[ HH:mm:ss[.f]]' prefix as Hive does, anything after the date is ignored by to_date.
    "hive_to_ts": (
        "x",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN TRY_CAST(trim(CAST(x AS VARCHAR)) AS TIMESTAMP)"
        " WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN CAST(TRY_CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)"
        " ELSE TRY_CAST(x AS TIMESTAMP) END",
    ),
    "hive_to_date": (
        "x",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN TRY_CAST(regexp_extract(CAST(x AS VARCHAR),"
        " '^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})', 1) AS DATE)"
        " WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN CAST(CAST(TRY_CAST(x AS TIMESTAMPTZ) AS TIMESTAMP) AS DATE)"
        " WHEN typeof(x) IN ('DATE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', '\"NULL\"')"
        " THEN TRY_CAST(x AS DATE)"
        " ELSE error('elt: Hive date functions take a DATE, TIMESTAMP or STRING, not ' || typeof(x)) END",
    ),
    # CAST(x AS <integer type>): Hive truncates fractions, wraps integers that overflow (Java narrowing),
    # saturates doubles at the int/long range, and parses strings as [+-]digits[.digits] (else NULL).
    # DuckDB rounds instead, and raises on overflow. Returns HUGEINT; the caller casts to the target.
    "hive__wrap": (
        "v, bits",
        "((v + (1::HUGEINT << (bits - 1))) % (1::HUGEINT << bits) + (1::HUGEINT << bits))"
        " % (1::HUGEINT << bits) - (1::HUGEINT << (bits - 1))",
    ),
    "hive_integral": (
        "x, bits",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN CASE WHEN regexp_full_match(CAST(x AS VARCHAR),"
        " '\\s*[+-]?\\d+(\\.\\d*)?\\s*') THEN TRY_CAST(split_part(trim(CAST(x AS VARCHAR)), '.', 1) AS HUGEINT) END"
        " WHEN typeof(x) = '\"NULL\"' THEN NULL"
        " WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN hive__wrap(CASE WHEN isnan(TRY_CAST(x AS DOUBLE)) THEN 0"
        " WHEN TRY_CAST(x AS DOUBLE) >= (CASE WHEN bits = 64 THEN 9223372036854775807 ELSE 2147483647 END)"
        " THEN (CASE WHEN bits = 64 THEN 9223372036854775807 ELSE 2147483647 END)"
        " WHEN TRY_CAST(x AS DOUBLE) <= (CASE WHEN bits = 64 THEN -9223372036854775808 ELSE -2147483648 END)"
        " THEN (CASE WHEN bits = 64 THEN -9223372036854775808 ELSE -2147483648 END)"
        " ELSE TRY_CAST(trunc(TRY_CAST(x AS DOUBLE)) AS HUGEINT) END, bits)"
        " WHEN typeof(x) LIKE 'DECIMAL%'"
        " THEN hive__wrap(TRY_CAST(split_part(CAST(x AS VARCHAR), '.', 1) AS HUGEINT), bits)"
        " WHEN typeof(x) IN " + _INT_TYPES + " THEN hive__wrap(TRY_CAST(x AS HUGEINT), bits)"
        " WHEN typeof(x) = 'BOOLEAN' THEN CASE WHEN TRY_CAST(x AS BOOLEAN) THEN 1 ELSE 0 END"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to an integer type has no faithful DuckDB translation') END",
    ),
    "hive_to_double": (
        "x",
        "CASE WHEN " + _NUM_OK + " THEN TRY_CAST(x AS DOUBLE)"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to DOUBLE has no faithful DuckDB translation') END",
    ),
    "hive_to_float": (
        "x",
        "CASE WHEN " + _NUM_OK + " THEN TRY_CAST(x AS FLOAT)"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to FLOAT has no faithful DuckDB translation') END",
    ),
    # Decimal target: the caller wraps this in TRY_CAST(... AS DECIMAL(p, s)); DuckDB rounds half away
    # from zero like Hive's HALF_UP, and gives NULL on overflow like Hive.
    "hive_decimal_source": (
        "x",
        "CASE WHEN " + _NUM_OK + " THEN x"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to DECIMAL has no faithful DuckDB translation') END",
    ),
    "hive_to_boolean": (
        "x",
        "CASE WHEN typeof(x) = 'BOOLEAN' OR typeof(x) = '\"NULL\"' THEN TRY_CAST(x AS BOOLEAN)"
        " WHEN typeof(x) IN ('FLOAT', 'DOUBLE') OR typeof(x) LIKE 'DECIMAL%' OR typeof(x) IN "
        + _INT_TYPES
        + " THEN TRY_CAST(x AS DOUBLE) <> 0"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to BOOLEAN differs between Hive versions; compare"
        " the value instead (x = ''true'')') END",
    ),
    "hive_to_timestamp": (
        "x",
        "CASE WHEN typeof(x) IN ('VARCHAR', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', '\"NULL\"')"
        " THEN hive_to_ts(x)"
        " ELSE error('elt: CAST from ' || typeof(x) || ' to TIMESTAMP has no faithful DuckDB translation;"
        " use from_unixtime()') END",
    ),
    "hive_to_binary": (
        "x",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN encode(CAST(x AS VARCHAR)) WHEN typeof(x) IN ('BLOB', '\"NULL\"')"
        " THEN TRY_CAST(x AS BLOB) ELSE error('elt: CAST from ' || typeof(x) || ' to BINARY is not supported') END",
    ),
    # Java's Double.toString: plain digits for 1e-3 <= |x| < 1e7, else d.dddE<n>; 'NaN', 'Infinity'.
    "hive__sci_digits": (
        "s",
        "rtrim(CASE WHEN contains(s, 'e') THEN replace(split_part(s, 'e', 1), '.', '')"
        " WHEN split_part(s, '.', 1) <> '0' THEN split_part(s, '.', 1) || split_part(s, '.', 2)"
        " ELSE ltrim(split_part(s, '.', 2), '0') END, '0')",
    ),
    "hive__sci_exp": (
        "s",
        "CASE WHEN contains(s, 'e') THEN CAST(split_part(s, 'e', 2) AS INTEGER)"
        " WHEN split_part(s, '.', 1) <> '0' THEN length(split_part(s, '.', 1)) - 1"
        " ELSE -(length(split_part(s, '.', 2)) - length(ltrim(split_part(s, '.', 2), '0')) + 1) END",
    ),
    "hive__sci": (
        "s, neg",
        "(CASE WHEN neg THEN '-' ELSE '' END) || left(hive__sci_digits(s), 1) || '.'"
        " || CASE WHEN length(hive__sci_digits(s)) > 1 THEN substr(hive__sci_digits(s), 2) ELSE '0' END"
        " || 'E' || CAST(hive__sci_exp(s) AS VARCHAR)",
    ),
    "hive__float_str": (
        "x",
        "CASE WHEN isnan(x) THEN 'NaN' WHEN isinf(x) AND x > 0 THEN 'Infinity' WHEN isinf(x) THEN '-Infinity'"
        " WHEN x = 0 OR (abs(x) >= 0.001 AND abs(x) < 10000000) THEN CAST(x AS VARCHAR)"
        " ELSE hive__sci(CAST(abs(x) AS VARCHAR), x < 0) END",
    ),
    # CAST(x AS STRING) and the implicit conversion to string: Hive writes booleans as TRUE/FALSE and
    # doubles the Java way.
    "hive_to_string": (
        "x",
        "CASE WHEN typeof(x) = 'BOOLEAN' THEN CASE WHEN TRY_CAST(x AS BOOLEAN) THEN 'TRUE' ELSE 'FALSE' END"
        " WHEN typeof(x) = 'DOUBLE' THEN hive__float_str(TRY_CAST(x AS DOUBLE))"
        " WHEN typeof(x) = 'FLOAT' THEN hive__float_str(TRY_CAST(x AS FLOAT))"
        " WHEN typeof(x) LIKE '%[]' OR typeof(x) LIKE 'MAP(%' OR typeof(x) LIKE 'STRUCT(%'"
        " THEN error('elt: Hive cannot convert ' || typeof(x) || ' to STRING')"
        " ELSE CAST(x AS VARCHAR) END",
    ),
    # -- numbers ---------------------------------------------------------------------------------
    # Hive rounds a DOUBLE as BigDecimal.valueOf(x).setScale(d, HALF_UP): on its shortest decimal form,
    # so round(1.005, 2) = 1.01 (DuckDB's binary rounding gives 1.0).
    "hive__round_double": (
        "x, d",
        "CASE WHEN isnan(x) OR isinf(x) OR abs(x) >= 1e19 THEN x"
        " ELSE CAST(round(CAST(CAST(x AS VARCHAR) AS DECIMAL(38, 18)), d) AS DOUBLE) END",
    ),
    "hive_round": (
        "x, d",
        "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN hive__round_double(TRY_CAST(x AS DOUBLE), d)"
        " ELSE round(x, d) END",
    ),
    "hive_div": ("a, b", "CAST(trunc(a // NULLIF(b, 0)) AS BIGINT)"),
    # a / b: Hive gives a DOUBLE, or a DECIMAL when a decimal meets a decimal or an integer, with scale
    # max(6, s1 + p2 + 1) (reduced when the precision passes 38), rounded HALF_UP. The double quotient is
    # rounded to that scale when it is small enough to matter. A precision of 38 is DuckDB's widening of
    # an aggregate (sum), not the Hive type, so no rounding is attempted then.
    "hive__dec_p": (
        "t",
        "CASE WHEN t LIKE 'DECIMAL(%' THEN CAST(regexp_extract(t, 'DECIMAL\\((\\d+),', 1) AS INTEGER)"
        " WHEN t = 'TINYINT' THEN 3 WHEN t = 'SMALLINT' THEN 5 WHEN t = 'INTEGER' THEN 10"
        " WHEN t = 'BIGINT' THEN 19 END",
    ),
    "hive__dec_s": (
        "t",
        "CASE WHEN t LIKE 'DECIMAL(%' THEN CAST(regexp_extract(t, ',(\\d+)\\)', 1) AS INTEGER) ELSE 0 END",
    ),
    "hive__div_scale_raw": (
        "p1, s1, p2, s2",
        "CASE WHEN p1 - s1 + s2 + greatest(6, s1 + p2 + 1) > 38"
        " THEN greatest(38 - (p1 - s1 + s2), least(greatest(6, s1 + p2 + 1), 6)) ELSE greatest(6, s1 + p2 + 1) END",
    ),
    "hive__div_scale": (
        "ta, tb",
        "CASE WHEN (ta LIKE 'DECIMAL%' OR tb LIKE 'DECIMAL%') AND hive__dec_p(ta) IS NOT NULL"
        " AND hive__dec_p(tb) IS NOT NULL AND hive__dec_p(ta) < 38 AND hive__dec_p(tb) < 38"
        " AND hive__div_scale_raw(hive__dec_p(ta), hive__dec_s(ta), hive__dec_p(tb), hive__dec_s(tb)) < 15"
        " THEN hive__div_scale_raw(hive__dec_p(ta), hive__dec_s(ta), hive__dec_p(tb), hive__dec_s(tb)) END",
    ),
    "hive_divide": (
        "a, b",
        "CASE WHEN hive__div_scale(typeof(a), typeof(b)) IS NOT NULL"
        " THEN round(TRY_CAST(a AS DOUBLE) / NULLIF(TRY_CAST(b AS DOUBLE), 0), hive__div_scale(typeof(a), typeof(b)))"
        " ELSE TRY_CAST(a AS DOUBLE) / NULLIF(TRY_CAST(b AS DOUBLE), 0) END",
    ),
    # upper(): Java maps the German sharp s to SS (full case mapping); DuckDB keeps it as one letter.
    "hive_upper": ("s", "upper(replace(s, 'ß', 'SS'))"),
    "hive_pmod": ("a, b", "((a % NULLIF(b, 0)) + b) % NULLIF(b, 0)"),
    "hive_sqrt": ("x", "CASE WHEN x < 0 THEN NULL ELSE sqrt(x) END"),
    "hive_ln": ("x", "CASE WHEN x <= 0 THEN NULL ELSE ln(x) END"),
    "hive_log10": ("x", "CASE WHEN x <= 0 THEN NULL ELSE log10(x) END"),
    "hive_log2": ("x", "CASE WHEN x <= 0 THEN NULL ELSE log2(x) END"),
    "hive_log": ("b, x", "CASE WHEN x <= 0 OR b <= 0 OR b = 1 THEN NULL ELSE ln(x) / ln(b) END"),
    # -- strings ---------------------------------------------------------------------------------
    # substr: 1-based; 0 means 1; negative counts from the end; |pos| past the end gives ''.
    "hive_substr": (
        "s, pos, len",
        "CASE WHEN s IS NULL OR pos IS NULL OR len IS NULL THEN NULL"
        " WHEN abs(pos) > length(s) OR len <= 0 THEN ''"
        " ELSE substring(s, CASE WHEN pos > 0 THEN pos WHEN pos < 0 THEN length(s) + pos + 1 ELSE 1 END, len) END",
    ),
    "hive_locate": (
        "sub, s, pos",
        "CASE WHEN sub IS NULL OR s IS NULL OR pos IS NULL THEN NULL WHEN pos < 1 THEN 0"
        " WHEN strpos(substring(s, pos), sub) = 0 THEN 0 ELSE strpos(substring(s, pos), sub) + pos - 1 END",
    ),
    "hive_substring_index": (
        "s, delim, cnt",
        "CASE WHEN s IS NULL OR delim IS NULL OR cnt IS NULL THEN NULL WHEN cnt = 0 OR delim = '' THEN ''"
        " WHEN cnt > 0 THEN array_to_string(string_split(s, delim)[1:cnt], delim)"
        " ELSE array_to_string(string_split(s, delim)[cnt:], delim) END",
    ),
    "hive_find_in_set": (
        "s, l",
        "CASE WHEN s IS NULL OR l IS NULL THEN NULL WHEN contains(s, ',') THEN 0"
        " ELSE coalesce(list_position(string_split(l, ','), s), 0) END",
    ),
    # initcap: first letter of each whitespace-separated word upper, the rest lower.
    "hive_initcap": (
        "s",
        "array_to_string(list_transform(regexp_extract_all(s, '\\s+|\\S+'),"
        " lambda w: upper(left(w, 1)) || lower(substr(w, 2))), '')",
    ),
    # size(): -1 for NULL. The argument may be an array or a map, only known at bind time; a JSON view of
    # it answers both without a type-specific function (which DuckDB would refuse to bind).
    "hive_size": (
        "x",
        "CASE WHEN x IS NULL THEN -1"
        " WHEN json_type(to_json(x)) = 'ARRAY' THEN CAST(json_array_length(to_json(x)) AS INTEGER)"
        " ELSE CAST(len(json_keys(to_json(x))) AS INTEGER) END",
    ),
    "hive_get_json_object": (
        "j, path",
        "CASE WHEN json_valid(j) THEN json_extract_string(j, path) END",
    ),
    # regexp_replace with a replacement only known at run time: Java ($1) and RE2 (\1) group references
    # differ, so refuse those at run time; plain text is the same on both.
    "hive_regexp_replace_dyn": (
        "s, p, r",
        "CASE WHEN contains(r, '$') OR contains(r, '\\') THEN error('elt: regexp_replace replacement with $ or \\"
        " must be a literal to be translated') ELSE regexp_replace(s, p, r, 'g') END",
    ),
    # -- dates -----------------------------------------------------------------------------------
    "hive_date_add": ("d, n", "hive_to_date(d) + TRY_CAST(n AS INTEGER)"),
    "hive_date_sub": ("d, n", "hive_to_date(d) - TRY_CAST(n AS INTEGER)"),
    "hive_datediff": ("a, b", "hive_to_date(a) - hive_to_date(b)"),
    # add_months: a month-end date stays at the month end (Hive 1.x-3.x), otherwise clamped.
    "hive_add_months": (
        "d, n",
        "CASE WHEN hive_to_date(d) = last_day(hive_to_date(d))"
        " THEN last_day(CAST(hive_to_date(d) + to_months(TRY_CAST(n AS INTEGER)) AS DATE))"
        " ELSE CAST(hive_to_date(d) + to_months(TRY_CAST(n AS INTEGER)) AS DATE) END",
    ),
    "hive_last_day": ("d", "last_day(hive_to_date(d))"),
    "hive__secs": ("t", "hour(t) * 3600 + minute(t) * 60 + second(t)"),
    "hive_months_between": (
        "a, b",
        "CASE WHEN hive_to_ts(a) IS NULL OR hive_to_ts(b) IS NULL THEN NULL"
        " WHEN day(hive_to_ts(a)) = day(hive_to_ts(b)) OR (CAST(hive_to_ts(a) AS DATE) = last_day(hive_to_ts(a))"
        " AND CAST(hive_to_ts(b) AS DATE) = last_day(hive_to_ts(b)))"
        " THEN CAST((year(hive_to_ts(a)) - year(hive_to_ts(b))) * 12"
        " + month(hive_to_ts(a)) - month(hive_to_ts(b)) AS DOUBLE)"
        " ELSE hive__round_double((year(hive_to_ts(a)) - year(hive_to_ts(b))) * 12 + month(hive_to_ts(a))"
        " - month(hive_to_ts(b)) + ((day(hive_to_ts(a)) - day(hive_to_ts(b)))"
        " + (hive__secs(hive_to_ts(a)) - hive__secs(hive_to_ts(b))) / 86400.0) / 31.0, 8) END",
    ),
    "hive_next_day": (
        "d, dow",
        "hive_to_date(d) + CAST((CASE WHEN upper(dow) IN ('MO', 'MON', 'MONDAY') THEN 1"
        " WHEN upper(dow) IN ('TU', 'TUE', 'TUESDAY') THEN 2 WHEN upper(dow) IN ('WE', 'WED', 'WEDNESDAY') THEN 3"
        " WHEN upper(dow) IN ('TH', 'THU', 'THURSDAY') THEN 4 WHEN upper(dow) IN ('FR', 'FRI', 'FRIDAY') THEN 5"
        " WHEN upper(dow) IN ('SA', 'SAT', 'SATURDAY') THEN 6 WHEN upper(dow) IN ('SU', 'SUN', 'SUNDAY') THEN 7 END"
        " - isodow(hive_to_date(d)) + 6) % 7 + 1 AS INTEGER)",
    ),
    # trunc(date, fmt): Hive 2.1+ supports year and month (and quarter) units; anything else is NULL.
    "hive_trunc": (
        "d, fmt",
        "CASE WHEN upper(fmt) IN ('YEAR', 'YYYY', 'YY') THEN CAST(date_trunc('year', hive_to_date(d)) AS DATE)"
        " WHEN upper(fmt) IN ('MONTH', 'MON', 'MM') THEN CAST(date_trunc('month', hive_to_date(d)) AS DATE)"
        " WHEN upper(fmt) IN ('QUARTER', 'Q') THEN CAST(date_trunc('quarter', hive_to_date(d)) AS DATE) END",
    ),
    "hive_dayofweek": ("x", "dayofweek(hive_to_ts(x)) + 1"),
    "hive_from_unixtime": ("n, fmt", "strftime(to_timestamp(TRY_CAST(n AS BIGINT)), fmt)"),
    "hive_date_format": ("x, fmt", "strftime(hive_to_ts(x), fmt)"),
    # unix_timestamp(s, fmt): parse in the session time zone; Java ignores text after the pattern, so the
    # matching prefix is cut out first.
    "hive_unix_timestamp": (
        "x, fmt, prefix",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN CAST(floor(epoch(CAST(try_strptime(regexp_extract(CAST(x AS VARCHAR),"
        " prefix, 1), fmt) AS TIMESTAMPTZ))) AS BIGINT)"
        " ELSE CAST(floor(epoch(CAST(hive_to_ts(x) AS TIMESTAMPTZ))) AS BIGINT) END",
    ),
    "hive_from_utc_timestamp": ("t, tz", "timezone(tz, timezone('UTC', hive_to_ts(t)))"),
    "hive_to_utc_timestamp": ("t, tz", "timezone('UTC', timezone(tz, hive_to_ts(t)))"),
}

# Comparisons with a literal (x OP y, y a number or numeric text, ytext its text): Hive compares a
# string with a number as two doubles; DuckDB casts the string to the number's type, rounding '2.4' to 2
# (and the literal 1.5 to 2 against an INT column). Every branch binds for any type of x (DuckDB binds
# dead branches too); the one chosen by the types at bind time runs, and folds to the plain operator.
_NUMERIC = "(typeof({0}) IN " + _INT_TYPES + " OR typeof({0}) IN ('FLOAT', 'DOUBLE') OR typeof({0}) LIKE 'DECIMAL%')"
for _name, _op in (("eq", "="), ("ne", "<>"), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")):
    MACROS[f"hive_cmp_{_name}"] = (
        "x, y, ytext",
        f"CASE WHEN typeof(x) = 'VARCHAR' AND typeof(y) <> 'VARCHAR'"
        f" THEN TRY_CAST(x AS DOUBLE) {_op} TRY_CAST(y AS DOUBLE)"
        f" WHEN typeof(y) = 'VARCHAR' AND {_NUMERIC.format('x')} THEN TRY_CAST(x AS DOUBLE) {_op} TRY_CAST(y AS DOUBLE)"
        f" WHEN typeof(x) IN {_INT_TYPES} AND typeof(y) NOT IN {_INT_TYPES}"
        f" THEN TRY_CAST(x AS DOUBLE) {_op} TRY_CAST(y AS DOUBLE)"
        f" ELSE x {_op} ytext END",
    )
# x IN (...) with a literal list: Hive's IN resolves one common type for all values, which Hive versions
# and Spark pick differently when strings meet numbers; elt raises instead of guessing.
MACROS["hive_in_eq"] = (
    "x, y, ytext",
    "CASE WHEN (typeof(x) = 'VARCHAR' AND typeof(y) <> 'VARCHAR')"
    f" OR (typeof(y) = 'VARCHAR' AND {_NUMERIC.format('x')})"
    " THEN error('elt: IN (...) between strings and numbers compares differently across Hive versions; cast one"
    " side explicitly')"
    f" WHEN typeof(x) IN {_INT_TYPES} AND typeof(y) NOT IN {_INT_TYPES}"
    " THEN TRY_CAST(x AS DOUBLE) = TRY_CAST(y AS DOUBLE)"
    " ELSE x = ytext END",
)

_SCRIPT = ";\n".join(
    f"CREATE OR REPLACE TEMP MACRO {name}({params}) AS {body}" for name, (params, body) in MACROS.items()
)


def register(connection: Any) -> None:
    """Create the Hive-compatibility macros on a DuckDB connection (idempotent, one round trip).

    Args:
        connection: a `duckdb.DuckDBPyConnection` (or a cursor of one).
    """
    connection.execute(_SCRIPT)
