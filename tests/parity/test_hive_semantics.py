"""Hive behaviour the parity corpus cannot carry, because Spark (the engine the fixtures come from)
differs from Hive there (see "Where Spark and Hive differ" in tests/parity/README.md and the Hive sources
cited per case). The expected values are Hive's, written by hand; each runs through elt's DuckDB path.
"""

from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot

from elt.dialects import translate
from elt.dialects.hive_reader import HIVE
from elt.errors import SqlError


def parse(hive_sql: str) -> sqlglot.exp.Expression:
    """Parse as elt parses models (elt's Hive reader keeps VARCHAR lengths and Java date patterns)."""
    return sqlglot.parse_one(hive_sql, read=HIVE)


def run(conn, hive_sql: str, *, column_types: bool = True) -> list[tuple]:
    sql = translate(parse(hive_sql), "hive", "duckdb", column_types=column_types)
    return conn.execute(sql).fetchall()


@pytest.mark.parametrize(
    ("hive_sql", "expected"),
    [
        # GenericUDFGreatest/Least (Hive 2.0+): NULL when any argument is NULL; Spark skips NULLs.
        ("SELECT greatest(1, CAST(NULL AS INT), 3), least(2, CAST(NULL AS INT))", [(None, None)]),
        # UDFPosMod: ((a % b) + b) % b, so pmod(7, -3) = -2; Spark returns 1.
        ("SELECT pmod(7, -3), pmod(-7, -3)", [(-2, -1)]),
        # GenericUDFAddMonths (1.x-3.x): a month-end date stays at the month end; Spark 3 does not.
        ("SELECT add_months('2024-02-29', 1), add_months('2024-04-30', -2)", [("2024-03-31", "2024-02-29")]),
        # Hive's stddev()/std() is the population standard deviation; Spark's is the sample one.
        ("SELECT stddev(x) FROM (SELECT 1 AS x UNION ALL SELECT 3) t", [(1.0,)]),
        # UDFToString(BooleanWritable): TRUE/FALSE in capitals; Spark writes true/false.
        ("SELECT CAST(true AS STRING), concat('x', false)", [("TRUE", "xFALSE")]),
        # String vs number compare as doubles (FunctionRegistry.getCommonClassForComparison);
        # Spark casts the string to int, so '2.4' = 2 there.
        ("SELECT s = 2, s > 2 FROM (SELECT '2.4' AS s) t", [(False, True)]),
        # ... also in a simple CASE, whose WHENs are equalities.
        ("SELECT CASE s WHEN 2 THEN 'two' ELSE 'other' END FROM (SELECT '2.4' AS s) t", [("other",)]),
        # ... and BETWEEN with a numeric string bound likewise ('1.5' is not truncated to 1).
        ("SELECT x BETWEEN '1.5' AND 3 FROM (SELECT 1 AS x) t", [(False,)]),
        # Decimal division: an INT operand counts as decimal(10,0), scale max(6, s1 + p2 + 1) = 13
        # (Spark narrows an integer literal to its digits and gives 6).
        ("SELECT CAST(10.00 AS DECIMAL(5,2)) / 3", [(3.3333333333333,)]),
        # ... also a string column with a number column (Spark casts '2.4' to the INT 2).
        ("SELECT lower(s) = CAST(n AS INT), lower(s) > CAST(n AS INT) FROM (SELECT '2.4' AS s, 2 AS n) t",
         [(False, True)]),
        # A boolean given to a string function converts as CAST(b AS STRING): TRUE (Spark: true).
        ("SELECT length(true), lower(false), concat('b', true)", [(4, "false", "bTRUE")]),
        # A literal outside the INT range is a BIGINT (2147483648L), so -(-2147483648) is a BIGINT
        # 2147483648; Spark folds -2147483648 into an INT literal and wraps it to -2147483648.
        ("SELECT -(-2147483648)", [(2147483648,)]),
        # floor()/ceil() read every argument that is not a DECIMAL as a DOUBLE, then give a BIGINT
        # (GenericUDFFloorCeilBase): a BIGINT beyond 2^53 comes back rounded; Spark keeps it exact.
        ("SELECT ceil(CAST(9007199254740993 AS BIGINT)), floor(CAST(-9007199254740993 AS BIGINT))",
         [(9007199254740992, -9007199254740992)]),
        # upper() uses Java's full case mapping: the sharp s becomes SS.
        ("SELECT upper('straße')", [("STRASSE",)]),
        # struct(a, b) names its fields col1, col2 (Hive docs); Spark names them after the columns.
        ("SELECT struct(a, b).col2, named_struct('a', a).a FROM (SELECT 1 AS a, 2 AS b) t", [(2, 1)]),
        # Execution hints are dropped, not refused.
        ("SELECT /*+ MAPJOIN(b) */ a.x FROM (SELECT 1 AS x) a JOIN (SELECT 1 AS x) b ON a.x = b.x", [(1,)]),
        # sqrt of a negative number is NULL in Hive (UDFSqrt); NaN on Spark.
        ("SELECT sqrt(-4)", [(None,)]),
        # CAST(double AS STRING) follows Java's Double.toString.
        (
            "SELECT CAST(CAST(-0.00012 AS DOUBLE) AS STRING), CAST(CAST(123456789 AS DOUBLE) AS STRING)",
            [("-1.2E-4", "1.23456789E8")],
        ),
        # Abutting numeric fields take their widths, a short month name 3 letters: 05 Jan 2024 12:30.
        ("SELECT unix_timestamp('05Jan20241230', 'ddMMMyyyyHHmm')", [(1704457800,)]),
        # unix_timestamp(s, pattern) ignores text after the pattern (SimpleDateFormat.parse(String)).
        ("SELECT unix_timestamp('2024-01-01 10:00:00', 'yyyy-MM-dd')", [(1704067200,)]),
        # CAST(double AS SMALLINT) saturates to int range, then wraps (Java (short)(int) d).
        ("SELECT CAST(CAST(1e10 AS DOUBLE) AS SMALLINT), CAST(CAST(-1e10 AS DOUBLE) AS INT)", [(-1, -2147483648)]),
        # CAST AS VARCHAR(n) keeps the first n code points (HiveBaseChar.enforceMaxLength), after the
        # conversion to string (a double as Java writes it); Spark ignores the length.
        (
            "SELECT CAST('abcdef' AS VARCHAR(3)), CAST(12345 AS VARCHAR(2)), CAST(CAST(1e10 AS DOUBLE) AS VARCHAR(4)),"
            " CAST('héllo' AS VARCHAR(2)), CAST('ab' AS VARCHAR(5)), CAST(CAST(NULL AS STRING) AS VARCHAR(1))",
            [("abc", "12", "1.0E", "hé", "ab", None)],
        ),
        ("SELECT CAST(s AS VARCHAR(3)), length(CAST(s AS VARCHAR(3))) FROM (SELECT 'abcdef' AS s) t", [("abc", 3)]),
        # A DOUBLE literal (scientific notation) converts to string as Java's Double.toString.
        (
            "SELECT CAST(1.0e10 AS STRING), concat('v=', 1.0e10), CAST(1.0E-5 AS STRING), CAST(123.0e0 AS STRING),"
            " CAST(-2.5e3 AS STRING)",
            [("1.0E10", "v=1.0E10", "1.0E-5", "123.0", "-2500.0")],
        ),
        # Java pattern letter counts: 'MMMM'/'EEEE' the full names, 'DDD' the day of the year padded to 3,
        # 'y'/'yyy' the full year; '' is a quote.
        (
            "SELECT date_format('2024-02-03 13:04:05', 'a|MMMM|EEEE|DDD|D|y|yyy|yy|h:m:s|\\'at\\'|\\'\\'')",
            [("PM|February|Saturday|034|34|2024|2024|24|1:4:5|at|'",)],
        ),
        # An empty match only matters with a non-empty replacement; a pattern anchored at the start
        # matches once. Java and DuckDB agree on these.
        ("SELECT regexp_replace('aaa', 'a*', ''), regexp_replace('ab', '^\\\\s*', '> ')", [("", "> ab")]),
        # rand() evaluated once: as a subquery column, it can be used several times.
        (
            "SELECT count(*) FROM (SELECT CASE r WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' END AS v"
            " FROM (SELECT floor(rand() * 3) AS r FROM (SELECT explode(array(1, 2, 3, 4, 5, 6, 7, 8)) AS x) s) t) u"
            " WHERE v IS NULL",
            [(0,)],
        ),
        # ... and the usual uses of rand() are not refused: their conversions take it once.
        (
            "SELECT CAST(rand() * 3 AS INT) < 3, CAST(rand() AS STRING) IS NOT NULL, sqrt(rand()) <= 1,"
            " ln(rand()) <= 0, log10(rand()) <= 0, round(rand(), 2) <= 1, concat('id-', rand()) LIKE 'id-%'",
            [(True,) * 7],
        ),
    ],
)
def test_hive_semantics(duckdb_conn, hive_sql: str, expected: list[tuple]) -> None:
    rows = [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row) for row in run(duckdb_conn, hive_sql)]
    assert rows == expected


#: Constructs whose meaning depends on a column's type: (query, what the refusal names).
TYPE_DEPENDENT_REFUSALS = [
    # Hive versions disagree on CAST('yes' AS BOOLEAN); elt refuses instead of choosing.
    ("SELECT CAST(s AS BOOLEAN) FROM (SELECT 'yes' AS s) t", "to BOOLEAN"),
    # IN between a string column and numbers: the common type differs across Hive versions and Spark.
    ("SELECT s IN (1, 2) FROM (SELECT '1' AS s) t", "IN (...)"),
    # Hive's date functions take dates, timestamps or strings.
    ("SELECT to_date(x) FROM (SELECT 20240101 AS x) t", "DATE, TIMESTAMP or STRING"),
    # CAST(DATE AS INT) is NULL in Hive, an error in Spark.
    ("SELECT CAST(d AS INT) FROM (SELECT CAST('2024-01-01' AS DATE) AS d) t", "to an integer type"),
]


@pytest.mark.parametrize(("hive_sql", "message"), TYPE_DEPENDENT_REFUSALS)
def test_refused_at_run_time(duckdb_conn, hive_sql: str, message: str) -> None:
    """Where the column's type is only known when DuckDB binds the query, the macro refuses then."""
    with pytest.raises(duckdb.Error, match="elt: .*" + re.escape(message)):
        run(duckdb_conn, hive_sql, column_types=False)


@pytest.mark.parametrize(("hive_sql", "message"), TYPE_DEPENDENT_REFUSALS)
def test_refused_when_translated_where_the_type_is_visible(hive_sql: str, message: str) -> None:
    """The same constructs, when the subquery shows the column's type: refused before anything runs."""
    with pytest.raises(SqlError, match=re.escape(message)):
        translate(sqlglot.parse_one(hive_sql, read="hive"), "hive", "duckdb")


@pytest.mark.parametrize(
    ("hive_sql", "construct", "why"),
    [
        # HiveChar pads to the length but strips the padding in string functions and comparisons.
        ("SELECT CAST('ab' AS CHAR(5))", "CAST AS CHAR(5)", "pads"),
        # 'YYYY' is the week-based year: 2024-12-30 is in week 1 of 2025, so Hive gives 2025.
        ("SELECT date_format('2024-12-30', 'YYYY')", "date_format()", "week-based year"),
        ("SELECT from_unixtime(1735516800, 'YYYY-MM-dd')", "from_unixtime()", "week-based year"),
        # A full month name has no one width, so abutting numeric fields cannot be cut apart by width.
        ("SELECT unix_timestamp('05January20241230', 'ddMMMMyyyyHHmm')", "unix_timestamp()", "month name in full"),
        ("SELECT unix_timestamp('2025', 'YYYY')", "unix_timestamp()", "week-based year"),
        ("SELECT to_unix_timestamp('2025-01', 'YYYY-MM')", "to_unix_timestamp()", "week-based year"),
        # Other letters whose meaning depends on the locale's weeks, or that Java pads to odd widths.
        ("SELECT date_format('2024-12-30', 'ww')", "date_format()", "'w'"),
        ("SELECT date_format('2024-12-30', 'u')", "date_format()", "'u'"),
        ("SELECT date_format('2024-12-30', 'e')", "date_format()", "'e'"),
        ("SELECT date_format('2024-12-30', 'k')", "date_format()", "'k'"),
        ("SELECT date_format('2024-12-30', 'DD')", "date_format()", "'DD'"),
        ("SELECT date_format('2024-12-30', 'yyyyy')", "date_format()", "'yyyyy'"),
        # Hive 4 formats with java.time, which reads these counts differently from SimpleDateFormat.
        ("SELECT date_format('2024-12-30', 'aa')", "date_format()", "Hive 4"),
        ("SELECT date_format('2024-12-30', 'MMMMM')", "date_format()", "Hive 4"),
        ("SELECT date_format('2024-12-30', 'EEEEE')", "date_format()", "Hive 4"),
        ("SELECT date_format('2024-12-30', 'dd\\'T')", "date_format()", "unterminated quote"),
        # Spark's date_part: fields Spark refuses (epoch, dayofyear) or elt has not checked, a field only
        # known at run time; to_timestamp's pattern letters not checked for parsing; 'L' only formats.
        ("SELECT date_part('epoch', TIMESTAMP '2024-03-09 13:45:10')", "date_part('epoch', ...)", "no checked"),
        ("SELECT date_part('dayofyear', DATE '2024-03-09')", "date_part('dayofyear', ...)", "no checked"),
        ("SELECT date_part(f, DATE '2024-03-09') FROM (SELECT 'year' AS f) t", "date_part()", "string literal"),
        ("SELECT date_part('year')", "date_part()", "2 arguments"),
        ("SELECT to_timestamp('24-03-09', 'yy-MM-dd')", "to_timestamp()", "'yy'"),
        ("SELECT to_timestamp('2024-03-09', 'yyyy-MM-dd', 'x')", "to_timestamp()", "1 or 2 arguments"),
        ("SELECT date_format('2024-12-30', 'LLLLL')", "date_format()", "Hive 4"),
        ("SELECT unix_timestamp('Mar 2024', 'LLL yyyy')", "unix_timestamp()", "only checked for formatting"),
        # Java reads a 2-digit year into the century around today; DuckDB's %y has a fixed pivot.
        ("SELECT unix_timestamp('50-01-01', 'yy-MM-dd')", "unix_timestamp()", "'yy'"),
        # Java replaces an empty match right after another match; RE2 skips it ('xx' against 'x').
        ("SELECT regexp_replace('aaa', 'a*', 'x')", "regexp_replace()", "empty string"),
        ("SELECT regexp_replace('ab  ', '\\\\s*$', 'x')", "regexp_replace()", "empty string"),
        # Java's String.split keeps a trailing '' and skips a leading empty match; RE2 splits otherwise.
        ("SELECT split('abc', 'x*')", "split()", "empty string"),
        ("SELECT split('abc', '^')", "split()", "empty string"),
        # A rewrite or macro that would evaluate rand() twice.
        ("SELECT pmod(10, floor(rand() * 3) + 1)", "rand()", "hive_pmod"),
        ("SELECT CASE floor(rand() * 3) WHEN 0 THEN 'a' WHEN 1 THEN 'b' END", "rand()", "more than once"),
        ("SELECT CASE CAST(rand() AS STRING) WHEN 'a' THEN 1 WHEN 'b' THEN 2 END", "rand()", "CASE x WHEN"),
        ("SELECT round(rand() * 3) BETWEEN '1' AND 2", "rand()", "more than once"),
        ("SELECT locate('a', 'banana', CAST(rand() * 3 AS INT))", "rand()", "hive_locate"),
    ],
)
def test_refused_at_translation(hive_sql: str, construct: str, why: str) -> None:
    """Hive's answer cannot be reproduced on DuckDB: refused before anything runs, with the line and a hint."""
    with pytest.raises(SqlError) as info:
        translate(parse(hive_sql), "hive", "duckdb", path="models/m.sql")
    error = info.value
    assert error.message.startswith(construct) and why in error.message
    assert error.line == 1 and error.hint


def test_dynamic_regexp_pattern_that_matches_empty_raises_at_run_time(duckdb_conn) -> None:
    hive_sql = "SELECT regexp_replace('aaa', p, 'x') FROM (SELECT 'a*' AS p UNION ALL SELECT 'a+') t"
    with pytest.raises(duckdb.Error, match=r"elt: regexp_replace pattern a\* can match the empty string"):
        run(duckdb_conn, hive_sql)
    assert run(duckdb_conn, "SELECT regexp_replace('aaa', p, 'x') FROM (SELECT 'a+' AS p) t") == [("x",)]


def test_rand_between_stays_one_call(duckdb_conn) -> None:
    """BETWEEN with a typed volatile subject keeps one call (rewritten as two comparisons, it would be two
    numbers: the share in [0.25, 0.5] would be 0.75 * 0.5 instead of 0.25)."""
    digits = "explode(array(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))"
    views = " ".join(f"LATERAL VIEW {digits} v{i} AS d{i}" for i in range(5))  # 100000 rows
    share = "avg(CASE WHEN rand() BETWEEN '0.25' AND 0.5 THEN 1.0 ELSE 0.0 END)"
    hive_sql = f"SELECT {share} FROM (SELECT 1 AS x) t {views}"
    assert translate(parse(hive_sql), "hive", "duckdb").upper().count("RANDOM()") == 1
    assert abs(run(duckdb_conn, hive_sql)[0][0] - 0.25) < 0.02


def test_dynamic_split_pattern_that_matches_empty_raises_at_run_time(duckdb_conn) -> None:
    with pytest.raises(duckdb.Error, match=r"elt: split pattern x\* can match the empty string"):
        run(duckdb_conn, "SELECT split('abc', p) FROM (SELECT 'x*' AS p) t")
    assert run(duckdb_conn, "SELECT split('a1b', p) FROM (SELECT '[0-9]' AS p) t") == [(["a", "b"],)]


def test_reader_keeps_what_hive_needs() -> None:
    """elt's Hive reader keeps VARCHAR lengths and Java patterns, and writes them back for Hive unchanged
    (sqlglot's stock reader turns both into something else: STRING, and 'yyyy' for 'YYYY')."""
    hive_sql = (
        "SELECT CAST(a AS VARCHAR(3)) AS a, DATE_FORMAT(d, 'YYYY-ww aa') AS b, FROM_UNIXTIME(1, 'YY') AS c,"
        " UNIX_TIMESTAMP(s, 'YYYY') AS e FROM t"
    )
    assert parse(hive_sql).sql(HIVE) == hive_sql
    stock = sqlglot.parse_one(hive_sql, read="hive").sql("hive")
    assert "VARCHAR(3)" not in stock and "YYYY" not in stock


def test_refusal_points_at_the_line() -> None:
    query = sqlglot.parse_one("SELECT\n  id,\n  percentile_approx(x, 0.5)\nFROM t", read="hive")
    with pytest.raises(SqlError) as info:
        translate(query, "hive", "duckdb", path="models/m.sql")
    error = info.value
    assert (error.path, error.line) == ("models/m.sql", 3)
    assert "percentile_approx()" in error.message and "percentile(col, p)" in error.hint
    assert str(error).startswith("models/m.sql:3:")


def test_translate_leaves_the_query_untouched() -> None:
    query = sqlglot.parse_one("SELECT size(a), CAST(b AS INT) FROM t LATERAL VIEW explode(a) e AS x", read="hive")
    before = query.sql("hive")
    translate(query, "hive", "duckdb")
    assert query.sql("hive") == before


def test_register_is_idempotent_and_shared_by_cursors() -> None:
    from elt.dialects.duckdb_functions import register

    conn = duckdb.connect()
    register(conn)
    register(conn)
    assert conn.execute("SELECT hive_size([1, 2])").fetchone() == (2,)
    cursor = conn.cursor()
    register(cursor)
    assert cursor.execute("SELECT hive_pmod(-7, 3)").fetchone() == (2,)


def test_views_stay_readable_outside_elt(tmp_path) -> None:
    """The macros live in the database, so a view built by elt works in any client (e.g. a DuckDB shell)."""
    from elt.dialects.duckdb_functions import register

    path = str(tmp_path / "db.duckdb")
    with duckdb.connect(path) as conn:
        register(conn)
        sql = translate(sqlglot.parse_one("SELECT size(array(1, 2)) AS n", read="hive"), "hive", "duckdb")
        conn.execute(f"CREATE VIEW v AS {sql}")
    with duckdb.connect(path, read_only=True) as reader:
        assert reader.execute("SELECT n FROM v").fetchall() == [(2,)]
    empty = str(tmp_path / "empty.duckdb")
    duckdb.connect(empty).close()
    with duckdb.connect(empty, read_only=True) as reader:  # read-only without macros: temporary ones
        register(reader)
        assert reader.execute("SELECT hive_size(NULL)").fetchone() == (-1,)


def test_nested_conversions_stay_fast(duckdb_conn) -> None:
    """Macros copy their argument into each branch; nesting must not multiply that (it once took minutes)."""
    import time

    hive_sql = (
        "SELECT CAST(CAST(CAST(CAST(CAST(s AS DOUBLE) AS STRING) AS INT) AS STRING) AS DOUBLE) AS a,"
        " concat(concat(concat(s, 1), concat(s, 2.5)), concat(s, true)) AS b,"
        " CAST(m[CAST(CAST(s AS INT) AS STRING)] AS INT) AS c,"
        " date_format(date_add(to_date(from_unixtime(unix_timestamp(d, 'yyyyMMdd'))), 1), 'yyyy-MM-dd') AS e,"
        " months_between(add_months(last_day(d2), 1), trunc(d2, 'MM')) AS f"
        " FROM (SELECT '7' AS s, map('7', '8') AS m, '20240105' AS d, '2024-01-05' AS d2) t"
    )
    start = time.perf_counter()
    rows = run(duckdb_conn, hive_sql)
    assert time.perf_counter() - start < 2.0
    assert rows == [(7.0, "7172.57TRUE", 8, "2024-01-06", 1.90322581)]


def test_models_are_read_with_elts_hive_reader(project) -> None:
    """`elt run` parses models with elt's reader: through an inlined ephemeral model too, VARCHAR(n) is
    truncated and Java patterns keep their letters on DuckDB, and the Hive SQL keeps both as written."""
    proj = project({
        "models/eph.sql": "{{ config(materialized='ephemeral') }}\n"
                          "SELECT CAST('abcdef' AS VARCHAR(3)) AS a, date_format('2024-12-30 13:00:00', 'h a') AS b",
        "models/m.sql": "{{ config(materialized='table') }}\nSELECT * FROM {{ ref('eph') }}",
    })
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("SELECT a, b FROM m") == [("abc", "1 PM")]
    compiled = next((proj.root / "target/compiled").rglob("m.sql")).read_text()
    assert "VARCHAR(3)" in compiled and "'h a'" in compiled


def test_a_week_year_pattern_in_a_model_is_refused_with_its_line(project) -> None:
    proj = project({"models/w.sql": "SELECT\n  date_format('2024-12-30', 'YYYY') AS y"})
    result = proj.elt("run")
    assert result.exit_code == 1  # the model's own failure (a refusal no longer stops the run)
    assert "models/w.sql:2" in result.output and "week-based year" in result.output


@pytest.mark.parametrize(("hive_sql", "columns", "rows"), [
    # SemanticAnalyzer.genSelectPlan / getColAlias: an unaliased expression is `_c` + its position in the
    # SELECT list; an outer query reads it by that name. Spark names it by its text (`substr(s, 1, 2)`).
    ("SELECT _c0, x FROM (SELECT substr(s, 1, 2), x FROM (SELECT 'abc' AS s, 1 AS x) t) u",
     ["_c0", "x"], [("ab", 1)]),
    # With a hint, the hint is child 0 of the SELECT: the first expression is `_c1`.
    ("SELECT /*+ MAPJOIN(b) */ upper(a.s), a.s FROM (SELECT 'a' AS s) a JOIN (SELECT 'a' AS s) b ON a.s = b.s",
     ["_c1", "s"], [("A", "a")]),
])
def test_unaliased_columns_are_named_as_hive_names_them(duckdb_conn, hive_sql: str, columns: list[str],
                                                        rows: list[tuple]) -> None:
    cursor = duckdb_conn.execute(translate(parse(hive_sql), "hive", "duckdb"))
    assert [d[0] for d in cursor.description] == columns
    assert cursor.fetchall() == rows
