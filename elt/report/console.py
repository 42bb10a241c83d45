"""Every line the user sees. Library code reports events here; only this module (and the consoles
built on it: elt.report.progress, elt.report.json_events) prints.

Lines are plain text with colour when stdout is a terminal (click strips colour otherwise), one line
per event, so progress stays readable in CI logs. With `quiet`, only failures and the summary.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable

import click

from elt.errors import EltError, ErrorList
from elt.nodes import Node, NodeResult

_STATUS = {
    "success": ("OK", "green"),
    "error": ("ERROR", "red"),
    "fail": ("FAIL", "red"),
    "warn": ("WARN", "yellow"),
    "skipped": ("SKIP", "yellow"),
}


#: how many of the slowest nodes the end of `elt run`/`build` lists.
SLOWEST = 5


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


class Console:
    """Prints progress for a command over a set of nodes."""

    def __init__(self, nodes: dict[str, Node] | None = None, *, quiet: bool = False) -> None:
        self.nodes = nodes or {}
        self.quiet = quiet
        self._lock = threading.Lock()
        #: the warnings printed, in order.
        self.warnings: list[str] = []
        #: the command whose run this console reports (`run_started`): `run` and `build` end with
        #: their slowest nodes.
        self.command: str | None = None

    def line(self, text: str = "", *, fg: str | None = None, err: bool = False) -> None:
        with self._lock:
            click.secho(text, fg=fg, err=err)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.line(f"{_stamp()}  {text}")

    def warning(self, text: str) -> None:
        self.warnings.append(text)
        self.line(f"{_stamp()}  warning: {text}", fg="yellow", err=True)

    def _describe(self, unique_id: str) -> str:
        node = self.nodes.get(unique_id)
        if node is None:
            # a project hook (elt.run.hooks): operation.<project>.<project>-on-run-start-0
            return f"hook {unique_id.rsplit('.', 1)[-1]}" if unique_id.startswith("operation.") else unique_id
        kind = node.materialized or node.resource_type
        return f"{kind} {node.relation or node.name}"

    def run_started(self, command: str, total: int, noun: str, target_type: str, target_name: str,
                    threads: int) -> None:
        """A command starts walking its plan of `total` nodes."""
        self.command = command
        self.info(f"Running {total} {noun} on {target_type} target {target_name!r} with {threads} thread(s)")

    def close(self) -> None:
        """The command ends (normally or not): nothing more will be reported."""

    def error(self, error: EltError) -> None:
        """An error that ends the command (not a node's), without a traceback."""
        print_error(error)

    def model_line(self, kind: str, text: str) -> None:
        """A line a model or macro printed (`jinja_line`); with `quiet`, not its `log(..., info=True)`."""
        if self.quiet and kind == "info":
            return
        with self._lock:
            jinja_line(kind, text)

    # RunEvents
    def node_started(self, index: int, total: int, unique_id: str) -> None:
        self.info(f"{index} of {total} START {self._describe(unique_id)}")

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        if self.quiet and result.status not in ("error", "fail"):
            return
        self.line(self.result_line(index, total, result), fg=_STATUS[result.status][1]
                  if result.status != "success" else None)
        if result.status == "error" and not self.quiet:  # quiet: the summary has the message
            for text in result.message.splitlines():
                self.line(f"            {text}", fg="red")

    def result_line(self, index: int, total: int, result: NodeResult) -> str:
        """`12:00:01  3 of 9 OK table gold.x [0.4s, 120 rows]`: how a node ended."""
        word = _STATUS[result.status][0]
        node = self.nodes.get(result.unique_id)
        is_test = result.unique_id.startswith("unit_test.") or (node is not None and node.resource_type == "test")
        if is_test and result.status == "success":
            word = "PASS"
        detail = f"{result.execution_time:.1f}s"
        snapshot = result.details.get("snapshot")
        if snapshot is not None:  # rows inserted, closed, deleted: what a snapshot did
            detail += f", {snapshot['message']}"
        elif result.rows is not None:
            detail += f", {result.rows:,} rows"
        if result.failures:
            detail += f", {result.failures:,} failing rows"
        tail = f" [{detail}]" if result.status != "skipped" else f" ({result.message})"
        return f"{_stamp()}  {index} of {total} {word} {self._describe(result.unique_id)}{tail}"

    def stopping(self, signal_name: str) -> None:
        """The first stop signal of a run came: nothing more starts."""
        self.line(f"{_stamp()}  {signal_name}: stopping after the running node(s) finish; nothing more "
                  "starts (Ctrl-C again cancels them)", fg="yellow")

    def cancelling(self, signal_name: str) -> None:
        """Another stop signal came: the running statements are cancelled."""
        self.line(f"{_stamp()}  {signal_name} again: cancelling the running statements", fg="yellow")

    def interrupted(self, signal_name: str, results: Iterable[NodeResult]) -> None:
        """After the summary of a run that a signal stopped."""
        cancelled = sum(r.status == "error" and r.message.startswith("cancelled") for r in results)
        not_started = sum(r.status == "skipped" and r.message.startswith("not started") for r in results)
        self.line(f"Stopped by {signal_name}: {cancelled} node(s) cancelled, {not_started} not started "
                  "(`elt retry` builds what did not succeed).", fg="yellow")

    def retrying(self, unique_id: str, attempt: int, retries: int, delay: float, reason: str) -> None:
        if self.quiet:
            return
        self.line(f"{_stamp()}  RETRY {self._describe(unique_id)} in {delay:.0f}s (attempt {attempt + 1} of "
                  f"{retries + 1}): {reason.splitlines()[0]}", fg="yellow")

    def freshness(self, index: int, total: int, source: str, status: str, message: str) -> None:
        word, colour = {"pass": ("PASS", None), "warn": ("WARN", "yellow"), "error": ("ERROR STALE", "red")}.get(
            status, ("ERROR", "red"))
        self.line(f"{_stamp()}  {index} of {total} {word} freshness of {source} ({message})", fg=colour)

    def summary(self, results: Iterable[NodeResult], elapsed: float, debug: bool = False) -> None:
        results = list(results)
        counts = {status: sum(r.status == status for r in results) for status in _STATUS}
        self.line()
        parts = [f"{counts['success']} OK", f"{counts['error']} error", f"{counts['skipped']} skipped"]
        if counts["fail"] or counts["warn"]:
            parts[1:1] = [f"{counts['fail']} failed", f"{counts['warn']} warned"]
        colour = "red" if counts["error"] or counts["fail"] else "green"
        if self.command in ("run", "build") and not self.quiet:
            slowest = [(self._describe(r.unique_id), r.execution_time) for r in self.slowest(results)]
            for text in slowest_lines(slowest):
                self.line(text)
        self.line(f"Finished {len(results)} node(s) in {elapsed:.1f}s: {', '.join(parts)}.", fg=colour)
        for result in results:
            if result.status == "error":
                node = self.nodes.get(result.unique_id)
                where = f" ({node.path})" if node else ""
                self.line(f"  ERROR in {result.unique_id}{where}:", fg="red")
                for text in result.message.splitlines():
                    self.line(f"    {text}")
                if debug and result.traceback:
                    self.line(result.traceback)
            if result.status in ("fail", "warn"):
                self._test_failure(result)

    def slowest(self, results: Iterable[NodeResult], count: int = SLOWEST) -> list[NodeResult]:
        """The `count` slowest nodes built (models, seeds, snapshots; not tests), slowest first."""
        built = [r for r in results if r.status != "skipped" and r.unique_id in self.nodes
                 and self.nodes[r.unique_id].resource_type in ("model", "seed", "snapshot")]
        return sorted(built, key=lambda r: -r.execution_time)[:count]

    def _test_failure(self, result: NodeResult) -> None:
        node = self.nodes.get(result.unique_id)
        word = "FAIL" if result.status == "fail" else "WARN"
        where = f" ({node.path}, line {node.line})" if node and node.test_type == "generic" else (
            f" ({node.path})" if node else "")
        first, *rest = result.message.splitlines() or [""]
        self.line(f"  {word} {result.unique_id}{where}: {first}", fg=_STATUS[result.status][1])
        for text in rest:
            self.line(f"    {text}")
        if result.statements:
            self.line("    query:")
            for text in result.statements[-1].strip().splitlines():
                self.line(f"      {text}")
        if result.sample:
            columns, rows = result.sample
            shown = "first 5" if (result.failures or 0) > 5 else "all"
            self.line(f"    failing rows ({shown}):")
            for text in format_table(columns, rows).splitlines():
                self.line(f"      {text}")


def slowest_lines(slowest: list[tuple[str, float]]) -> list[str]:
    """The end of `elt run`/`build`: where the time went (nothing for fewer than two nodes)."""
    if len(slowest) < 2:
        return []
    width = max(len(f"{seconds:.2f}") for _, seconds in slowest)
    return [f"Slowest {len(slowest)} nodes:"] + [f"  {seconds:{width}.2f}s  {what}" for what, seconds in slowest]


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A small fixed-width text table (no colour: it must read the same in a CI log).

    >>> print(format_table(["id", "name"], [(1, "ada"), (None, "grace")]))
    id   | name
    -----+------
    1    | ada
    NULL | grace
    """
    cells = [["NULL" if v is None else str(v) for v in row] for row in rows]
    if not columns:
        columns = [f"col{i + 1}" for i in range(len(cells[0]) if cells else 0)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def print_error(error: EltError) -> None:
    """An elt error, as the user sees it: location, message, hint — no traceback."""
    if isinstance(error, ErrorList):
        for each in error.errors:
            print_error(each)
        click.secho(f"{error.message}", fg="red", err=True)
        return
    location = f"{error.location}: " if error.location else ""
    click.secho(f"Error: {location}{error.message}", fg="red", err=True)
    if error.hint:
        click.secho(f"  hint: {error.hint}", err=True)


def jinja_line(kind: str, text: str, *, err: bool = False) -> None:
    """A line a model or macro printed: `log(msg, info=True)`, `print(msg)` or `exceptions.warn(msg)`;
    `err`: on stderr also the first two (the command's stdout is data)."""
    if kind == "print":
        click.echo(text, err=err)
    elif kind == "warning":
        click.secho(f"{_stamp()}  warning: {text}", fg="yellow", err=True)
    else:
        click.echo(f"{_stamp()}  {text}", err=err)


def is_terminal() -> bool:
    return sys.stdout.isatty()
