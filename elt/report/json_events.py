"""`--log-format json`: a run's events for machines, one JSON object per line on stdout and nothing
else there (warnings and errors are events too; only a traceback, with --debug or from a bug, goes
to stderr).

Every object has `event` and `time` (UTC, ISO 8601). The events:

- `run_start`: command, nodes (how many are planned), target, target_type, threads
- `node_start`: unique_id, name, resource_type, relation, index, total
- `node_end`: the same, with status (success, error, fail, warn, skipped), execution_time (seconds),
  rows, failures (a test's failing rows), message, and `error` (the message) when it failed
- `run_end`: command, elapsed, nodes, counts by status, success, slowest (the slowest nodes built)
- `warning`, `error` (command-level: message, location, hint), `info`, `log` (a model's log/print),
  `retry`, `stopping`, `cancelling`, `interrupted`

Every planned node has a `node_start` before its `node_end`, also one skipped without starting.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from elt.errors import EltError, ErrorList
from elt.nodes import Node, NodeResult, now_iso
from elt.report.console import _STATUS, Console


class JsonConsole(Console):
    """A console writing JSON events."""

    def __init__(self, nodes: dict[str, Node] | None = None) -> None:
        super().__init__(nodes)
        self._started: set[str] = set()
        self._open = False  # between run_start and run_end

    def emit(self, event: str, **fields: Any) -> None:
        record = json.dumps({"event": event, "time": now_iso(), **fields}, default=str)
        with self._lock:
            sys.stdout.write(record + "\n")
            sys.stdout.flush()

    def line(self, text: str = "", *, fg: str | None = None, err: bool = False) -> None:
        """A line with no event of its own: an `info` event (blank lines are dropped)."""
        if text.strip():
            self.emit("info", message=text.strip())

    def info(self, text: str) -> None:
        self.emit("info", message=text)

    def warning(self, text: str) -> None:
        self.warnings.append(text)
        self.emit("warning", message=text)

    def error(self, error: EltError) -> None:
        for each in error.errors if isinstance(error, ErrorList) else [error]:
            self.emit("error", message=each.message, location=each.location or None, hint=each.hint or None)

    def model_line(self, kind: str, text: str) -> None:
        if kind == "warning":
            self.warning(text)
        else:
            self.emit("log", message=text)

    def run_started(self, command: str, total: int, noun: str, target_type: str, target_name: str,
                    threads: int) -> None:
        self.command = command
        self._started.clear()
        self._open = True
        self.emit("run_start", command=command, nodes=total, target=target_name, target_type=target_type,
                  threads=threads)

    def _node(self, unique_id: str) -> dict[str, Any]:
        node = self.nodes.get(unique_id)
        if node is None:  # a project hook, a unit test
            kind = "operation" if unique_id.startswith("operation.") else unique_id.split(".", 1)[0]
            return {"unique_id": unique_id, "name": unique_id.rsplit(".", 1)[-1], "resource_type": kind,
                    "relation": None}
        return {"unique_id": unique_id, "name": node.name, "resource_type": node.resource_type,
                "relation": str(node.relation) if node.relation else None}

    def node_started(self, index: int, total: int, unique_id: str) -> None:
        if not self._open:  # a run without a plan on the target (`elt test`'s unit tests, in memory)
            self._open = True
            self.emit("run_start", command=self.command, nodes=total, target=None, target_type=None, threads=None)
        self._started.add(unique_id)
        self.emit("node_start", **self._node(unique_id), index=index, total=total)

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        if result.unique_id not in self._started:  # skipped without starting: its start, for pairing
            self.node_started(index, total, result.unique_id)
        fields: dict[str, Any] = {
            **self._node(result.unique_id), "index": index, "total": total, "status": result.status,
            "execution_time": round(result.execution_time, 3), "rows": result.rows, "failures": result.failures,
            "message": result.message, "attempts": result.attempts,
        }
        if result.status in ("error", "fail"):
            fields["error"] = result.message
        self.emit("node_end", **fields)

    def retrying(self, unique_id: str, attempt: int, retries: int, delay: float, reason: str) -> None:
        self.emit("retry", unique_id=unique_id, attempt=attempt + 1, attempts=retries + 1, delay=delay,
                  reason=reason)

    def stopping(self, signal_name: str) -> None:
        self.emit("stopping", signal=signal_name)

    def cancelling(self, signal_name: str) -> None:
        self.emit("cancelling", signal=signal_name)

    def interrupted(self, signal_name: str, results: Iterable[NodeResult]) -> None:
        results = list(results)
        self.emit("interrupted", signal=signal_name,
                  cancelled=sum(r.status == "error" and r.message.startswith("cancelled") for r in results),
                  not_started=sum(r.status == "skipped" and r.message.startswith("not started") for r in results))

    def freshness(self, index: int, total: int, source: str, status: str, message: str) -> None:
        self.emit("freshness", source=source, status=status, message=message, index=index, total=total)

    def summary(self, results: Iterable[NodeResult], elapsed: float, debug: bool = False) -> None:
        results = list(results)
        if not self._open:
            self.emit("run_start", command=self.command, nodes=len(results), target=None, target_type=None,
                      threads=None)
        for index, result in enumerate(results, start=1):
            if result.unique_id not in self._started:  # never reported (an on-run-start hook failed)
                self.node_finished(index, len(results), result)
        counts = {status: sum(r.status == status for r in results) for status in _STATUS}
        self.emit("run_end", command=self.command, elapsed=round(elapsed, 3), nodes=len(results), counts=counts,
                  success=not (counts["error"] or counts["fail"]),
                  slowest=[{"unique_id": r.unique_id, "execution_time": round(r.execution_time, 3)}
                           for r in self.slowest(results)])
        self._started.clear()
        self._open = False
