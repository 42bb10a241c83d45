"""`x IN (<N integer literals>)` on DuckDB: elt's translation of the Hive query against DuckDB running
the same text itself, on a table of R rows (issue 15: the translation used to be an OR chain of N
comparisons, about 30 times slower at N = 20k; it is now one IN).

Usage:
    .venv/bin/python bench/in_list.py [--items 20000] [--rows 1000000]
Not part of the test suite; prints the figures.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import sqlglot

from elt.dialects import duckdb_functions, translate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    con = duckdb.connect()
    duckdb_functions.register(con)
    con.execute(f"CREATE TABLE big AS SELECT range::INTEGER AS id, range::DOUBLE AS d FROM range({args.rows})")
    items = ", ".join(str(i * 7) for i in range(args.items))
    for column, relations in (("id", {"big": {"id": "INTEGER"}}), ("id", None), ("d", None)):
        hive = f"SELECT count(*) FROM big WHERE {column} IN ({items})"
        start = time.perf_counter()
        sql = translate(sqlglot.parse_one(hive, read="hive"), "hive", "duckdb", relations=relations,
                        column_types=relations is not None)
        translated = time.perf_counter()
        got = con.execute(sql).fetchall()
        ran = time.perf_counter()
        own = con.execute(hive).fetchall()
        done = time.perf_counter()
        assert got == own
        how = "typed" if relations else "untyped"
        print(f"{column} ({how}): parse+translate {translated - start:.2f}s, elt's SQL {ran - translated:.2f}s, "
              f"DuckDB's own IN {done - ran:.2f}s")


if __name__ == "__main__":
    main()
