"""The scheduler's run history: one row per `elt build` it started, in `target/schedule.sqlite`.

A row is written when a run starts (status `running`) and completed when it ends, each in its own
transaction, so the file never holds a half-written row. Statuses:

- `success`      the build exited 0;
- `error`        some node failed or a test failed (the build exited 1);
- `failed`       the build could not run (a project or usage error: exit 2, or a crash);
- `interrupted`  the build was stopped (a second SIGTERM/Ctrl-C), or its scheduler died while it ran;
- `running`      in flight.

With each finished run it keeps how every node of the build ended (table `run_nodes`, from the build's
run_results.json), so `elt schedule --history` can say which nodes failed and which were skipped.

Older elt versions wrote only the `runs` table: opening such a file adds the `run_nodes` table, and
their runs keep their node counts with no nodes listed (never an error).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HISTORY_FILE = "schedule.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job           TEXT NOT NULL,
    selection     TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    status        TEXT NOT NULL,
    exit_code     INTEGER,
    nodes         INTEGER,
    succeeded     INTEGER,
    failed        INTEGER,
    skipped       INTEGER,
    warned        INTEGER,
    message       TEXT,
    scheduler_pid INTEGER NOT NULL
)
"""
#: added after the first release: `CREATE ... IF NOT EXISTS` also migrates a history file written before.
_NODES_SCHEMA = """
CREATE TABLE IF NOT EXISTS run_nodes (
    run_id         INTEGER NOT NULL REFERENCES runs (id),
    position       INTEGER NOT NULL,
    unique_id      TEXT NOT NULL,
    status         TEXT NOT NULL,
    relation_name  TEXT,
    execution_time REAL,
    message        TEXT,
    PRIMARY KEY (run_id, position)
)
"""
#: statuses of a node that did not do its job, and of one that did not run because of that.
FAILED_STATUSES = ("error", "fail")
SKIPPED_STATUS = "skipped"


@dataclass(frozen=True)
class RunRecord:
    """One row of the history. Times are ISO 8601 in UTC."""

    id: int
    job: str
    selection: str
    scheduled_for: str
    started_at: str
    ended_at: str | None
    status: str
    exit_code: int | None
    nodes: int | None
    succeeded: int | None
    failed: int | None
    skipped: int | None
    warned: int | None
    message: str | None
    scheduler_pid: int


@dataclass(frozen=True)
class NodeCounts:
    """How the nodes of a build ended (from its run_results.json)."""

    nodes: int
    succeeded: int
    failed: int
    skipped: int
    warned: int


@dataclass(frozen=True)
class NodeOutcome:
    """How one node of a run ended: a result of its run_results.json."""

    unique_id: str
    status: str
    relation_name: str | None = None
    execution_time: float | None = None
    message: str | None = None

    @property
    def name(self) -> str:
        """The node's name: `model.<name>` -> `<name>`, `source.raw.orders` -> `raw.orders`."""
        return self.unique_id.split(".", 1)[-1]

    @property
    def summary(self) -> str:
        """The message on one line: its meaningful lines (see `meaningful_lines`), joined."""
        return one_line(self.message or "")


def meaningful_lines(message: str) -> list[str]:
    """The lines of an engine's message that say something: not blank, not a caret marker.

    DuckDB ends an error with the SQL line and a line of `^` under the culprit: the last line alone
    (`^^^^`) says nothing, so a one-line summary must not be taken from the end.

    >>> meaningful_lines('Binder Error: column "nope" not found\\nLINE 3:   SUM(nope)\\n              ^^^^\\n')
    ['Binder Error: column "nope" not found', 'LINE 3:   SUM(nope)']
    """
    return [line.rstrip() for line in message.splitlines() if line.strip() and not _MARKER.fullmatch(line.strip())]


def one_line(message: str, limit: int | None = None) -> str:
    """`message`'s meaningful lines on one line (whitespace runs collapsed), cut to `limit` characters.

    >>> one_line("Parser Error: syntax error at or near \\"form\\"\\n\\nLINE 1: select 1 form t\\n       ^", 60)
    'Parser Error: syntax error at or near "form" LINE 1: select…'
    """
    text = " ".join(" ".join(line.split()) for line in meaningful_lines(message))
    return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "…"


#: a line that only points at a column of the line above (DuckDB's `^^^^`, PostgreSQL-style `~~~`).
_MARKER = re.compile(r"[\^~]+")


def counts_of(outcomes: Sequence[NodeOutcome]) -> NodeCounts:
    """The counts kept on the run's row, from its nodes."""
    statuses = [o.status for o in outcomes]
    return NodeCounts(
        nodes=len(statuses),
        succeeded=sum(s == "success" for s in statuses),
        failed=sum(s in FAILED_STATUSES for s in statuses),
        skipped=sum(s == SKIPPED_STATUS for s in statuses),
        warned=sum(s == "warn" for s in statuses),
    )


class History:
    """The history file. Each method opens its own connection: the scheduler writes from one thread,
    `elt schedule --history` may read from another process at any time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # `with con`: one transaction, committed on success and rolled back on error.
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as con, con:
            con.execute(_SCHEMA)
            con.execute(_NODES_SCHEMA)
            yield con

    def start(self, job: str, selection: str, scheduled_for: str, started_at: str) -> int:
        """Record a run that starts now; returns its id."""
        with self._connect() as con:
            cursor = con.execute(
                "INSERT INTO runs (job, selection, scheduled_for, started_at, status, scheduler_pid) "
                "VALUES (?, ?, ?, ?, 'running', ?)", (job, selection, scheduled_for, started_at, os.getpid()))
            return int(cursor.lastrowid or 0)

    def finish(self, run_id: int, ended_at: str, status: str, exit_code: int | None,
               counts: NodeCounts | None, message: str | None, nodes: Sequence[NodeOutcome] = ()) -> None:
        """Complete the row of a run that ended, with its nodes (in the order the build ran them)."""
        c = counts
        with self._connect() as con:
            con.execute(
                "UPDATE runs SET ended_at = ?, status = ?, exit_code = ?, nodes = ?, succeeded = ?, failed = ?, "
                "skipped = ?, warned = ?, message = ? WHERE id = ?",
                (ended_at, status, exit_code, c.nodes if c else None, c.succeeded if c else None,
                 c.failed if c else None, c.skipped if c else None, c.warned if c else None, message, run_id))
            con.executemany(
                "INSERT INTO run_nodes (run_id, position, unique_id, status, relation_name, execution_time, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, i, n.unique_id, n.status, n.relation_name, n.execution_time, n.message)
                 for i, n in enumerate(nodes)])

    def nodes(self, run_id: int) -> list[NodeOutcome]:
        """The nodes of one run, in the order the build ran them (none for a run that could not start,
        was interrupted, or was recorded by an elt that did not keep nodes)."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute("SELECT unique_id, status, relation_name, execution_time, message FROM run_nodes "
                               "WHERE run_id = ? ORDER BY position", (run_id,)).fetchall()
        return [NodeOutcome(*row) for row in rows]

    def problems(self, run_ids: Sequence[int]) -> dict[int, list[NodeOutcome]]:
        """The failed and skipped nodes of these runs, by run id, in the order the builds ran them."""
        if not run_ids or not self.path.exists():
            return {}
        marks = ", ".join("?" * len(run_ids))
        statuses = (*FAILED_STATUSES, SKIPPED_STATUS)
        with self._connect() as con:
            rows = con.execute(
                f"SELECT run_id, unique_id, status, relation_name, execution_time, message FROM run_nodes "
                f"WHERE run_id IN ({marks}) AND status IN ({', '.join('?' * len(statuses))}) "
                f"ORDER BY run_id, position", (*run_ids, *statuses)).fetchall()
        found: dict[int, list[NodeOutcome]] = {}
        for run_id, *outcome in rows:
            found.setdefault(run_id, []).append(NodeOutcome(*outcome))
        return found

    def get(self, run_id: int) -> RunRecord:
        """The row of one run.

        Raises:
            KeyError: no such run.
        """
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(run_id)
        return RunRecord(*row)

    def close_abandoned(self, ended_at: str) -> int:
        """Mark `interrupted` the runs left `running` by a scheduler process that no longer exists
        (killed with SIGKILL, or the machine stopped). Returns how many."""
        if not self.path.exists():
            return 0
        with self._connect() as con:
            rows = con.execute("SELECT id, scheduler_pid FROM runs WHERE status = 'running'").fetchall()
            dead = [run_id for run_id, pid in rows if not _alive(pid)]
            con.executemany("UPDATE runs SET status = 'interrupted', ended_at = ?, "
                            "message = 'the scheduler stopped while this run was in flight' WHERE id = ?",
                            [(ended_at, run_id) for run_id in dead])
            return len(dead)

    def runs(self, limit: int = 20, jobs: Sequence[str] = ()) -> list[RunRecord]:
        """The newest `limit` runs (of `jobs`, if given), oldest first."""
        if not self.path.exists():
            return []
        where = f"WHERE job IN ({', '.join('?' * len(jobs))})" if jobs else ""
        with self._connect() as con:
            rows = con.execute(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", (*jobs, limit)).fetchall()
        return [RunRecord(*row) for row in reversed(rows)]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
