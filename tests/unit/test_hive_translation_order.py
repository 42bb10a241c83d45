"""The Hive -> DuckDB rewrite visits constructs in a fixed order (which construct a refusal names), and
the Hive reader keeps what sqlglot's would drop. (Its type-name shortcut: test_sqlglot_untouched.py.)"""

from __future__ import annotations

import duckdb
import pytest

from elt.dialects import duckdb_functions, translate
from elt.dialects.hive_reader import HIVE
from elt.errors import SqlError


def _refusal(sql: str) -> SqlError:
    with pytest.raises(SqlError) as info:
        translate(HIVE.parse(sql)[0], "hive", "duckdb", path="m.sql", copy=False)
    return info.value


def test_the_first_refused_construct_in_the_text_is_the_one_named() -> None:
    error = _refusal("SELECT\n  no_such_fn(a),\n  percentile_approx(b, 0.5)\nFROM t")
    assert error.message.startswith("no_such_fn() cannot be translated") and error.line == 2
    error = _refusal("SELECT\n  percentile_approx(b, 0.5),\n  no_such_fn(a)\nFROM t")
    assert error.message.startswith("percentile_approx() cannot be translated") and error.line == 2


def test_an_argument_is_refused_before_the_call_that_holds_it() -> None:
    error = _refusal("SELECT outer_fn(\n  inner_fn(a)) FROM t")
    assert error.message.startswith("inner_fn() cannot be translated") and error.line == 2


def test_a_rewritten_select_keeps_what_each_clause_became() -> None:
    # The rewrite of the outer SELECT sees its subquery already rewritten (children first).
    sql = "SELECT concat(x, 1) AS s FROM (SELECT cast('2.5' AS double) + 1 AS x) q WHERE '1' = 1"
    out = translate(HIVE.parse(sql)[0], "hive", "duckdb", copy=False)
    conn = duckdb.connect()
    duckdb_functions.register(conn)
    assert conn.execute(out).fetchall() == [("3.51",)]


def test_rand_copied_by_a_rewrite_is_still_refused() -> None:
    error = _refusal("SELECT rand() BETWEEN '0.1' AND x FROM t")
    assert "rand()" in error.message


def test_a_hint_is_dropped() -> None:
    out = translate(HIVE.parse("SELECT /*+ MAPJOIN(b) */ a.x FROM a JOIN b ON a.x = b.x")[0], "hive", "duckdb")
    assert "MAPJOIN" not in out


@pytest.mark.parametrize(("sql", "hive"), [
    ("SELECT CAST(a AS VARCHAR(3)) FROM t", "CAST(a AS VARCHAR(3))"),
    ("SELECT CAST(a AS char) FROM t", "CAST(a AS STRING)"),
    ("SELECT CAST(a AS INT) FROM t", "CAST(a AS INT)"),
])
def test_sized_strings_keep_their_length_and_others_read_as_sqlglot_reads_them(sql: str, hive: str) -> None:
    assert hive in HIVE.parse(sql)[0].sql(dialect=HIVE)
