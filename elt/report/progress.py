"""The live progress line of a run on a terminal: one line, redrawn in place, with what is done,
running, failed and left, the time elapsed and an estimate of the time left.

    37 of 300 done, 4 running, 1 failed, 259 left | 0:42 elapsed, ETA 4:55 | stg_orders 0:12

The per-node lines a plain console prints for every node are kept only for the nodes worth seeing
afterwards: failures (with their message) and slow nodes (SLOW_SECONDS or more); the summary at the
end is the plain console's. Written with carriage returns and the ANSI "erase line" code, which every
terminal elt runs in understands (rich is not a dependency, and one line needs nothing more).

Used only when stdout is a terminal (`wanted`): in a pipe, a file or a CI log the plain lines stay.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterable

import click

from elt.nodes import Node, NodeResult
from elt.report.console import Console, jinja_line

#: a node that took this long keeps its line above the progress line (`ELT_SLOW_SECONDS` overrides):
#: on Hive most models take seconds to tens of seconds; one past half a minute is worth a look.
SLOW_SECONDS = 30.0
#: the progress line is redrawn at least this often (the clocks move), and at most this often on events.
TICK_SECONDS = 1.0
REDRAW_SECONDS = 0.1
_ERASE = "\r\x1b[K"


def wanted() -> bool:
    """Whether stdout is a terminal that can redraw a line."""
    stream = sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM", "") != "dumb"


def slow_seconds() -> float:
    text = os.environ.get("ELT_SLOW_SECONDS", "")
    try:
        return float(text) if text else SLOW_SECONDS
    except ValueError:
        return SLOW_SECONDS


def clock(seconds: float) -> str:
    """`0:42`, `12:05`, `1:02:03`."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressConsole(Console):
    """A console for a terminal: a live progress line instead of a line per node."""

    def __init__(self, nodes: dict[str, Node] | None = None) -> None:
        super().__init__(nodes)
        self.slow = slow_seconds()
        self._total = 0
        self._done = 0
        self._built = 0  # done and not skipped: what the estimate is drawn from
        self._failed = 0
        self._running: dict[str, float] = {}  # unique id -> when it started (monotonic)
        self._start: float | None = None
        self._shown = False  # the progress line is on screen
        self._drawn_at = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # What is printed goes above the progress line.
    def line(self, text: str = "", *, fg: str | None = None, err: bool = False) -> None:
        with self._lock:
            self._erase()
            click.secho(text, fg=fg, err=err)
            self._draw()

    def model_line(self, kind: str, text: str) -> None:
        with self._lock:
            self._erase()
            jinja_line(kind, text)
            self._draw()

    def run_started(self, command: str, total: int, noun: str, target_type: str, target_name: str,
                    threads: int) -> None:
        super().run_started(command, total, noun, target_type, target_name, threads)
        self._begin(total)

    def node_started(self, index: int, total: int, unique_id: str) -> None:
        if self._start is None:
            self._begin(total)
        with self._lock:
            self._running[unique_id] = time.monotonic()
            self._draw(throttle=True)

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        if self._start is None:
            self._begin(total)
        with self._lock:
            self._running.pop(result.unique_id, None)
            if not result.unique_id.startswith("operation."):  # project hooks are not among the planned nodes
                self._done += 1
                self._built += result.status != "skipped"
                self._failed += result.status in ("error", "fail")
        keep = result.status in ("error", "fail", "warn") or (
            result.status != "skipped" and result.execution_time >= self.slow)
        if keep:
            super().node_finished(index, total, result)
        else:
            with self._lock:
                self._draw(throttle=True)

    def summary(self, results: Iterable[NodeResult], elapsed: float, debug: bool = False) -> None:
        self.close()
        super().summary(results, elapsed, debug)

    def close(self) -> None:
        """The run ended: the ticker stops and the progress line goes (the summary says it all)."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        with self._lock:
            self._erase()
            self._start = None

    def _begin(self, total: int) -> None:
        self.close()
        self._total, self._done, self._built, self._failed = total, 0, 0, 0
        self._running.clear()
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(self._stop,), name="elt-progress", daemon=True)
        self._ticker.start()

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(TICK_SECONDS):
            with self._lock:
                self._draw()

    def _erase(self) -> None:
        if self._shown:
            sys.stdout.write(_ERASE)
            sys.stdout.flush()
            self._shown = False

    def _draw(self, throttle: bool = False) -> None:
        """Redraw the progress line (the lock held); `throttle`: not if it was drawn a moment ago."""
        if self._start is None:
            return
        now = time.monotonic()
        if throttle and self._shown and now - self._drawn_at < REDRAW_SECONDS:
            return
        width = max(20, shutil.get_terminal_size().columns - 1)  # the last column would wrap the line
        sys.stdout.write(_ERASE + self.status_text(now)[:width])
        sys.stdout.flush()
        self._shown, self._drawn_at = True, now

    def status_text(self, now: float) -> str:
        """The progress line's text at `now` (monotonic)."""
        elapsed = now - (self._start or now)
        running = len(self._running)
        left = max(0, self._total - self._done - running)
        counts = f"{self._done} of {self._total} done, {running} running"
        if self._failed:
            counts += f", {self._failed} failed"
        counts += f", {left} left"
        # Throughput so far (nodes that ran, per second of the run) times what is still to run: the
        # DAG's shape is unknown here, and the rate already reflects the threads.
        eta = clock(elapsed / self._built * (left + running)) if self._built else "?"
        text = f"{counts} | {clock(elapsed)} elapsed, ETA {eta}"
        if self._running:
            uid, since = min(self._running.items(), key=lambda item: item[1])
            node = self.nodes.get(uid)
            text += f" | {node.name if node else uid.rsplit('.', 1)[-1]} {clock(now - since)}"
        return text
