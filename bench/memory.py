"""Where the memory of one `elt` command goes: the process's RSS over time, DuckDB's own accounting,
and (with --tracemalloc) Python's heap by the line that allocated it, at points of the run.

Runs the command in this process (as `elt` would, through `elt.cli.main`) with a sampler thread
that reads every --interval seconds:

- the RSS of the process (/proc/self/status VmRSS) and its peak so far (VmHWM);
- what DuckDB counts in its buffer manager (`duckdb_memory()`, summed over tags: the buffer pool
  holding table blocks, plus query memory), read on the run's own DuckDB connection;
- with --tracemalloc, the size of Python's traced heap.

At the end it prints the peak, the samples (thinned to about 40 lines), DuckDB's memory by tag at
its largest, and with --tracemalloc the largest allocation sites at the moment the traced heap was
largest. tracemalloc makes Python code ~2-3x slower: use it for the breakdown, not for timings.

Usage:
    .venv/bin/python bench/memory.py --project /tmp/elt-bench/n5000 -- run --threads 4
    .venv/bin/python bench/memory.py --project /tmp/elt-bench/n1000 --tracemalloc -- run --threads 4
Not part of the test suite; it prints figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any


def _status(key: str) -> int:
    """A field of /proc/self/status in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    return 0


class Sampler:
    """Samples RSS, DuckDB's accounted memory and the traced Python heap on a thread."""

    def __init__(self, interval: float, trace: bool, top: int) -> None:
        self.interval = interval
        self.trace = trace
        self.top = top
        self.samples: list[tuple[float, int, int, int]] = []  # seconds, RSS MB, DuckDB MB, Python MB
        self.connection: Any = None  # the run's DuckDB connection, once opened
        self.duckdb_tags: list[tuple[str, int, int]] = []  # at DuckDB's largest: tag, memory MB, temp MB
        self.duckdb_peak = 0
        self.heap_peak = 0
        self.heap_top: list[Any] = []
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _duckdb(self) -> int:
        connection = self.connection
        if connection is None:
            return 0
        try:
            cursor = connection.cursor()
            try:
                rows = cursor.execute("SELECT tag, memory_usage_bytes, temporary_storage_bytes "
                                      "FROM duckdb_memory()").fetchall()
            finally:
                cursor.close()
        except Exception:  # noqa: BLE001 - closed meanwhile
            return 0
        total = sum(int(r[1]) for r in rows) // 2**20
        if total >= self.duckdb_peak:
            self.duckdb_peak = total
            self.duckdb_tags = [(str(r[0]), int(r[1]) // 2**20, int(r[2]) // 2**20) for r in rows if r[1] or r[2]]
        return total

    def sample(self) -> None:
        heap = 0
        if self.trace:
            heap = tracemalloc.get_traced_memory()[0] // 2**20
            if heap > self.heap_peak + 16:  # a new high: keep where it is (a snapshot is costly)
                self.heap_peak = heap
                snapshot = tracemalloc.take_snapshot()
                self.heap_top = snapshot.statistics("lineno")[: self.top]
        self.samples.append((time.perf_counter() - self._start, _status("VmRSS"), self._duckdb(), heap))


def _watch_duckdb(sampler: Sampler) -> None:
    """Hand the run's DuckDB connection to the sampler when the adapter opens it."""
    from elt.adapters.duckdb import DuckDBAdapter

    opened = DuckDBAdapter.open
    closed = DuckDBAdapter.close

    def open_and_watch(self: DuckDBAdapter) -> None:
        opened(self)
        sampler.connection = self._connection

    def close_and_forget(self: DuckDBAdapter) -> None:
        sampler.sample()  # the last moment DuckDB's pool can be read
        sampler.connection = None
        closed(self)

    DuckDBAdapter.open = open_and_watch  # type: ignore[method-assign]
    DuckDBAdapter.close = close_and_forget  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True, help="the project folder (the command runs there)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's heap (slow)")
    parser.add_argument("--top", type=int, default=25, help="allocation sites listed with --tracemalloc")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the elt command after --")
    args = parser.parse_args()
    command = [a for a in args.command if a != "--"] or ["run"]

    if args.tracemalloc:
        tracemalloc.start(1)
    sampler = Sampler(args.interval, args.tracemalloc, args.top)
    os.chdir(args.project)
    _watch_duckdb(sampler)
    from elt.cli import cli

    sys.argv = ["elt", *command]
    started, cpu = time.perf_counter(), time.process_time()
    sampler.start()
    code: Any = 0
    try:
        cli(prog_name="elt", standalone_mode=False)
    except SystemExit as exc:  # the commands end with their exit code
        code = exc.code
    finally:
        sampler.stop()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    _report(sampler, command, wall, cpu)
    sys.exit(code)


def _report(sampler: Sampler, command: list[str], wall: float, cpu: float) -> None:
    out = sys.stderr
    print(f"\n== elt {' '.join(command)}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {_status('VmHWM')} MB "
          f"(DuckDB's largest count {sampler.duckdb_peak} MB)", file=out)
    step = max(1, len(sampler.samples) // 40)
    print("   s   RSS MB  DuckDB MB  Python MB", file=out)
    for seconds, rss, duck, heap in sampler.samples[::step] + sampler.samples[-1:]:
        print(f"{seconds:6.1f} {rss:7d} {duck:9d} {heap:9d}", file=out)
    if sampler.duckdb_tags:
        print("DuckDB's memory by tag at its largest (MB, temporary MB):", file=out)
        for tag, memory, temporary in sampler.duckdb_tags:
            print(f"  {tag:<22} {memory:6d} {temporary:6d}", file=out)
    if sampler.heap_top:
        print(f"Python's heap at its largest ({sampler.heap_peak} MB), by line:", file=out)
        for stat in sampler.heap_top:
            frame = stat.traceback[0]
            print(f"  {stat.size / 2**20:7.1f} MB {stat.count:8d} blocks  {frame.filename}:{frame.lineno}", file=out)


if __name__ == "__main__":
    main()
