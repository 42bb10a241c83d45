"""Every line the user sees. Library code reports events here; only this module prints.

Lines are plain text with colour when stdout is a terminal (click strips colour otherwise), one line
per event, so progress stays readable in CI logs.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable

import click

from elt.errors import EltError
from elt.nodes import Node
from elt.runner import NodeResult

_STATUS = {"success": ("OK", "green"), "error": ("ERROR", "red"), "skipped": ("SKIP", "yellow")}


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


class Console:
    """Prints progress for a command over a set of nodes."""

    def __init__(self, nodes: dict[str, Node] | None = None, *, quiet: bool = False) -> None:
        self.nodes = nodes or {}
        self.quiet = quiet
        self._lock = threading.Lock()

    def line(self, text: str = "", *, fg: str | None = None, err: bool = False) -> None:
        with self._lock:
            click.secho(text, fg=fg, err=err)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.line(f"{_stamp()}  {text}")

    def warning(self, text: str) -> None:
        self.line(f"{_stamp()}  warning: {text}", fg="yellow", err=True)

    def _describe(self, unique_id: str) -> str:
        node = self.nodes.get(unique_id)
        if node is None:
            return unique_id
        kind = node.materialized or node.resource_type
        return f"{kind} {node.relation or node.name}"

    # RunEvents
    def node_started(self, index: int, total: int, unique_id: str) -> None:
        self.info(f"{index} of {total} START {self._describe(unique_id)}")

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        word, colour = _STATUS[result.status]
        detail = f"{result.execution_time:.1f}s"
        if result.rows is not None:
            detail += f", {result.rows:,} rows"
        tail = f" [{detail}]" if result.status != "skipped" else f" ({result.message})"
        self.line(f"{_stamp()}  {index} of {total} {word} {self._describe(result.unique_id)}{tail}",
                  fg=colour if result.status != "success" else None)
        if result.status == "error":
            for text in result.message.splitlines():
                self.line(f"            {text}", fg="red")

    def summary(self, results: Iterable[NodeResult], elapsed: float, debug: bool = False) -> None:
        results = list(results)
        counts = {status: sum(r.status == status for r in results) for status in _STATUS}
        self.line()
        parts = [f"{counts['success']} OK", f"{counts['error']} error", f"{counts['skipped']} skipped"]
        colour = "red" if counts["error"] else "green"
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


def print_error(error: EltError) -> None:
    """An elt error, as the user sees it: location, message, hint — no traceback."""
    location = f"{error.location}: " if error.location else ""
    click.secho(f"Error: {location}{error.message}", fg="red", err=True)
    if error.hint:
        click.secho(f"  hint: {error.hint}", err=True)


def is_terminal() -> bool:
    return sys.stdout.isatty()
