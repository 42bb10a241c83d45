"""Benchmark `elt pull`: a Hive relation of N rows (default 1,000,000, and N/10) copied into a fresh DuckDB
file, measuring rows/s and the peak RSS of the `elt pull` process; memory must stay bounded as rows grow.

On a HiveServer2 / Spark Thrift Server (default the shared one at 127.0.0.1:10000), in its own database
(`bench_pull_<random>`, dropped at the end), two tables of six columns (bigint, string, decimal(12,2), date,
timestamp, boolean) are made with `range()`. Each pull runs `python -m elt pull` in its own process
(its peak RSS from wait4's rusage), with --refresh, into a new DuckDB file.

    .venv/bin/python bench/pull.py                       # 1,000,000 and 100,000 rows
    .venv/bin/python bench/pull.py --rows 200000 --port 10030
Not part of the test suite. (`elt diff`'s benchmark is its own script.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROFILES = """\
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/{name}.duckdb
    hive:
      type: hive
      host: {host}
      port: {port}
      schema: {schema}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large relation")
    parser.add_argument("--host", default=os.environ.get("ELT_HIVE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ELT_HIVE_PORT", "10000")))
    parser.add_argument("--batch-rows", type=int, default=50_000)
    args = parser.parse_args()

    from elt.adapters.hive import HiveAdapter
    from elt.project.config import TargetConfig

    schema = f"bench_pull_{os.urandom(3).hex()}"
    settings = {"type": "hive", "host": args.host, "port": str(args.port), "schema": schema}
    target = TargetConfig(name="hive", type="hive", schema=schema, threads=1, settings=settings,
                          profiles_path=ROOT / "profiles.yml", dialect="hive")
    sizes = [args.rows // 10, args.rows]
    project = Path(tempfile.mkdtemp(prefix="elt-bench-pull-"))
    try:
        with HiveAdapter(target) as hive:
            hive.execute(f"CREATE DATABASE {schema}")
            for rows in sizes:
                started = time.perf_counter()
                hive.execute(
                    f"CREATE TABLE {schema}.rows_{rows} USING parquet AS SELECT id, concat('label ', id) AS label, "
                    "CAST(id / 100 AS DECIMAL(12,2)) AS amount, date_add(DATE '2024-01-01', CAST(id % 365 AS INT)) "
                    "AS day, timestamp_seconds(1700000000 + id) AS at, id % 2 = 0 AS flag "
                    f"FROM range({rows})")
                print(f"made {schema}.rows_{rows} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        tables = "".join(f"      - name: rows_{rows}\n" for rows in sizes)
        (project / "models").mkdir()
        (project / "models" / "sources.yml").write_text(
            f"version: 2\nsources:\n  - name: bench\n    schema: {schema}\n    tables:\n{tables}")
        (project / "pyproject.toml").write_text('[tool.elt]\nname = "bench"\nprofile = "bench"\n')
        results = []
        for rows in sizes:
            (project / "profiles.yml").write_text(PROFILES.format(name=f"pull_{rows}", host=args.host,
                                                                  port=args.port, schema=schema))
            results.append((rows, *_pull(project, rows, args.batch_rows)))
    finally:
        shutil.rmtree(project, ignore_errors=True)
        with HiveAdapter(target) as hive:
            hive.execute(f"DROP DATABASE IF EXISTS {schema} CASCADE")
    print(f"\nelt pull, Hive ({args.host}:{args.port}) -> DuckDB, 6 columns, batches of {args.batch_rows} rows")
    print(f"{'rows':>10} {'wall s':>8} {'rows/s':>9} {'peak RSS MB':>12}")
    for rows, wall, rate, rss in results:
        print(f"{rows:>10,} {wall:>8.1f} {rate:>9,.0f} {rss:>12.0f}")
    (small, *_, small_rss), (large, *_, large_rss) = results
    print(f"{large // small}x rows: {large_rss / small_rss:.2f}x peak memory")


def _pull(project: Path, rows: int, batch_rows: int) -> tuple[float, float, float]:
    """(wall seconds, rows/s as elt pull reports it, peak RSS in MB) of one pull in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "elt", "pull", "--from", "hive", "-s", f"source:bench.rows_{rows}",
         "--max-rows", str(rows * 2), "--batch-rows", str(batch_rows), "--refresh"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"elt pull failed:\n{stdout}\n{stderr}")
    found = re.search(r"\(([\d,]+) rows/s\)", stdout)
    rate = float(found.group(1).replace(",", "")) if found else rows / wall
    return wall, rate, usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux


if __name__ == "__main__":
    main()
