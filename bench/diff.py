"""Benchmark `elt diff`: a relation of N rows on DuckDB against the same on the Hive server (per-key
hashes on each engine), and two relations within DuckDB (one FULL OUTER JOIN); rows/s and peak RSS.

For each N (default 100 000 and 1 000 000: memory must stay bounded, 10x the rows under 2x the memory):
a table of ids is made on each engine, then a model (doubles, a decimal, strings, a boolean, a date, a
timestamp, NULLs) is built from it by `elt run` on DuckDB twice (schema `a`: as on Hive; schema `b`: one
row in 1000 changed) and on Hive once. Measured, each `elt diff` in a process of its own (wall time,
and the peak RSS of that process from wait4):
    across engines, identical    duckdb a vs hive      -> exit 0
    across engines, 0.1% changed duckdb b vs hive      -> exit 1
    within DuckDB, 0.1% changed  duckdb a vs duckdb b  -> exit 1

    ELT_HIVE_HOST=127.0.0.1 ELT_HIVE_PORT=10000 .venv/bin/python bench/diff.py --sizes 100000,1000000
Not part of the test suite. The Hive schema it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELT = str(Path(sys.executable).parent / "elt")

MODEL = """\
{{ config(materialized='table', schema=var('schema')) }}
select id,
       cast(id as double) / 7 as ratio,
       case when id % 11 = 0 then null else 1e20 / (id + 1) end as big,
       cast(id / 8 as decimal(14, 3)) as amount,
       concat('name_', cast(id % 1000 as string)) as name,
       {% if var('change', false) %}case when id % 1000 = 0 then 'changed' else
       {% endif %}case when id % 5 = 0 then null else concat('tag', cast(id % 7 as string)) end
       {% if var('change', false) %}end{% endif %} as tag,
       id % 3 = 0 as flag,
       date_add(cast('2020-01-01' as date), cast(id % 1000 as int)) as day,
       cast(concat('2024-01-01 00:00:', lpad(cast(id % 60 as string), 2, '0'), '.', cast(id % 1000 as string))
            as timestamp) as at
from {{ var('ids') }}
"""


def profiles(host: str, port: str) -> str:
    return f"""\
bench:
  target: dev
  outputs:
    dev: {{type: duckdb, path: target/bench.duckdb, threads: 1}}
    hive: {{type: hive, host: {host}, port: {port}, username: elt_bench, auth: NONE, threads: 1}}
"""


def measure(args: list[str], cwd: Path) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MiB, last line of stdout) of one elt command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([ELT, *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    lines = [line for line in text.splitlines() if line.strip()]
    method = next((line for line in lines if line.startswith("compared by")), lines[-1] if lines else "")
    if code == 2:
        print(text, file=sys.stderr)
    return code, elapsed, usage.ru_maxrss / 1024, method


def run(args: list[str], cwd: Path) -> None:
    result = subprocess.run([ELT, *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"elt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def bench(rows: int, host: str, port: str, work: Path) -> list[tuple[str, int, int, float, float, str]]:
    import duckdb

    from elt.adapters.hive import HiveAdapter
    from elt.project.config import TargetConfig

    project = work / f"n{rows}"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    (project / "pyproject.toml").write_text('[tool.elt]\nname = "bench_diff"\nprofile = "bench"\n')
    (project / "profiles.yml").write_text(profiles(host, port))
    (project / "models" / "m.sql").write_text(MODEL)
    hive_schema = f"i19b_bench_{uuid.uuid4().hex[:6]}"
    with duckdb.connect(str(project / "target" / "bench.duckdb")) as con:
        con.execute("CREATE SCHEMA ids")
        con.execute(f"CREATE TABLE ids.ids AS SELECT range AS id FROM range({rows})")
    settings = {"type": "hive", "host": host, "port": port, "username": "elt_bench", "auth": "NONE",
                "schema": "default"}
    hive = HiveAdapter(TargetConfig(name="hive", type="hive", schema="default", threads=1, settings=settings,
                                    profiles_path=project / "profiles.yml", dialect="hive"))
    hive.open()
    results = []
    try:
        hive.execute(f"CREATE DATABASE {hive_schema}")
        hive.execute(f"CREATE TABLE {hive_schema}.ids USING parquet AS SELECT id FROM range({rows})")
        for target, schema, change in (("dev", "a", "false"), ("dev", "b", "true"), ("hive", hive_schema, "false")):
            ids = "ids.ids" if target == "dev" else f"{hive_schema}.ids"
            run(["run", "--target", target, "--vars", f"{{schema: {schema}, ids: {ids}, change: {change}}}"],
                project)
        cases = [
            ("DuckDB vs Hive, identical", ["--relation", "a.m", "--against", "hive"], f"{hive_schema}.m"),
            ("DuckDB vs Hive, 0.1% changed", ["--relation", "b.m", "--against", "hive"], f"{hive_schema}.m"),
            ("within DuckDB, 0.1% changed", ["--relation", "a.m"], "b.m"),
        ]
        for label, args, against in cases:
            code, seconds, rss, method = measure(["diff", *args, "--against-relation", against, "--key", "id"],
                                                 project)
            results.append((label, rows, code, seconds, rss, method))
            print(f"  {label:30} {rows:>9} rows  exit {code}  {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s  "
                  f"peak RSS {rss:6.0f} MiB  ({method})", flush=True)
    finally:
        hive.execute(f"DROP DATABASE IF EXISTS {hive_schema} CASCADE")
        hive.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="row counts, comma-separated")
    parser.add_argument("--host", default=os.environ.get("ELT_HIVE_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("ELT_HIVE_PORT", "10000"))
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="elt-bench-diff-") as folder:
        for rows in [int(s) for s in options.sizes.split(",")]:
            bench(rows, options.host, options.port, Path(folder))


if __name__ == "__main__":
    main()
