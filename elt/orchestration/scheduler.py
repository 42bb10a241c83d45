"""The built-in scheduler: at each tick of a job's schedule, run `elt build` for its selection.

Each run is a subprocess (`python -m elt build ... --wait`), not a call to
`elt.cli.build_commands.build_command` in this process, because:

- every run loads the project afresh, so edits made between ticks are picked up, as under cron;
- a crash, a leak or a hung engine call in one run cannot take the scheduler down with it, and a run
  can be stopped as a whole (its own process group) without leaving threads behind;
- the scheduler stays small (it never imports sqlglot or duckdb) and signals reach it alone: the
  child runs in its own session, so Ctrl-C in the terminal does not cut a build in half.

One build runs at a time: runs of different jobs queue (they would take turns on the target's lock
anyway), and a job's tick that comes while that job runs or waits is skipped, so runs of one selection
never overlap. After a run, how each of its nodes ended is read from the run_results.json it wrote
(and recorded with the run, so the history can say which nodes failed).

Stopping: `request_stop()` (the CLI calls it on SIGTERM/SIGINT) lets the run in flight finish, then
`run()` returns; a second call terminates the run's process group and records it `interrupted`. A
build killed mid-way leaves no half-built relation: tables are built under a temporary name and
swapped in when complete (see materializations.swap_in).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from elt.orchestration.history import (
    FAILED_STATUSES,
    History,
    NodeOutcome,
    RunRecord,
    counts_of,
    meaningful_lines,
    one_line,
)
from elt.orchestration.settings import Job

#: the longest the loop sleeps while a build runs (how fast it notices the build ended).
POLL_SECONDS = 0.1
#: the longest it sleeps while idle, so a signal or a changed clock is noticed soon.
IDLE_SECONDS = 0.5


class SchedulerEvents(Protocol):
    """What the scheduler reports (the CLI prints it)."""

    def scheduled(self, job: Job, when: dt.datetime) -> None: ...
    def run_started(self, job: Job, run_id: int, command: Sequence[str]) -> None: ...
    def run_output(self, job: Job, line: str) -> None: ...
    def run_finished(self, job: Job, record: RunRecord, next_run: dt.datetime | None) -> None: ...
    def tick_skipped(self, job: Job, when: dt.datetime, reason: str) -> None: ...
    def stopping(self, job: Job | None, hard: bool) -> None: ...


@dataclass
class _JobState:
    job: Job
    next_due: float
    #: when the tick that queued the job was due (recorded as scheduled_for).
    queued_for: float | None = None


@dataclass
class _Flight:
    state: _JobState
    run_id: int
    process: subprocess.Popen[str]
    started: float
    reader: threading.Thread
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))
    #: the first line of the output that reports an error (a long warning block can push it out of `tail`).
    first_error: str | None = None
    terminated: bool = False


class Scheduler:
    """Runs jobs on their schedules until stopped or `max_runs` runs have ended.

    Args:
        jobs: what to run and when (each with `cron` or `every`).
        command_for: the command line of a job's build.
        history: where runs are recorded.
        results_path: the run_results.json a build writes (its nodes' outcomes are read from it).
        events: receives what happens.
        zone: the time zone cron expressions are evaluated in.
        max_runs: stop after this many runs (None: run until stopped).
        cwd: the builds' working folder.
    """

    def __init__(self, jobs: Sequence[Job], command_for: Callable[[Job], list[str]], history: History,
                 results_path: Path, events: SchedulerEvents, *, zone: dt.tzinfo = dt.UTC,
                 max_runs: int | None = None, cwd: Path | None = None) -> None:
        self.jobs = list(jobs)
        self.command_for = command_for
        self.history = history
        self.results_path = results_path
        self.events = events
        self.zone = zone
        self.max_runs = max_runs
        self.cwd = cwd
        self.runs_started = 0
        self.records: list[RunRecord] = []
        self._stop_requests = 0
        self._queue: list[_JobState] = []
        self._flight: _Flight | None = None

    def request_stop(self) -> None:
        """Stop: first call after the run in flight, second call at once (the run is interrupted).
        Safe to call from a signal handler: it only counts."""
        self._stop_requests += 1

    def run(self) -> list[RunRecord]:
        """Loop until stopped, or until `max_runs` runs have ended. Returns the runs it made."""
        self.history.close_abandoned(_iso(time.time()))
        now = time.time()
        states = [_JobState(job, self._first_due(job, now)) for job in self.jobs]
        for state in states:
            self.events.scheduled(state.job, self._local(state.next_due))
        announced = 0
        try:
            while True:
                if self._stop_requests > announced:
                    announced = self._stop_requests
                    self.events.stopping(self._flight.state.job if self._flight else None, hard=announced > 1)
                if self._flight is not None:
                    if announced > 1 and not self._flight.terminated:
                        self._terminate(self._flight)
                    if self._flight.process.poll() is not None:
                        self._land(self._flight)
                if self._done(announced):
                    return self.records
                now = time.time()
                if not announced:
                    self._tick(states, now)
                    if self._flight is None and self._queue and not self._reached_max():
                        self._launch(self._queue.pop(0), now)
                time.sleep(self._sleep_for(states, time.time()))
        finally:
            if self._flight is not None:  # an unexpected error: do not leave the build orphaned
                self._terminate(self._flight)
                self._flight.process.wait()
                self._land(self._flight)

    # -- the loop's steps ------------------------------------------------------------------------

    def _done(self, stop_requests: int) -> bool:
        if self._flight is not None:
            return False
        return bool(stop_requests) or (self._reached_max() and len(self.records) >= self.runs_started)

    def _reached_max(self) -> bool:
        return self.max_runs is not None and self.runs_started >= self.max_runs

    def _tick(self, states: list[_JobState], now: float) -> None:
        for state in states:
            if state.next_due > now:
                continue
            due = state.next_due
            if self._flight is not None and self._flight.state is state:
                self.events.tick_skipped(state.job, self._local(due), "its previous run is still in flight")
            elif state in self._queue:
                self.events.tick_skipped(state.job, self._local(due), "its previous tick is still waiting")
            else:
                state.queued_for = due
                self._queue.append(state)
            state.next_due = self._next_due(state.job, due, now)

    def _launch(self, state: _JobState, now: float) -> None:
        job = state.job
        command = self.command_for(job)
        selection = " ".join(job.select) + (f" --exclude {' '.join(job.exclude)}" if job.exclude else "")
        run_id = self.history.start(job.name, selection.strip() or "(all)", _iso(state.queued_for or now), _iso(now))
        self.runs_started += 1
        self.events.run_started(job, run_id, command)
        try:
            process = subprocess.Popen(
                command, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                text=True, errors="replace", start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            self.history.finish(run_id, _iso(time.time()), "failed", None, None, f"cannot start the build: {exc}")
            self._record(state, run_id)
            return
        flight = _Flight(state, run_id, process, now, threading.Thread(target=lambda: None))
        flight.reader = threading.Thread(target=self._read_output, args=(flight,), daemon=True,
                                         name=f"elt-schedule-{job.name}")
        flight.reader.start()
        self._flight = flight

    def _read_output(self, flight: _Flight) -> None:
        assert flight.process.stdout is not None
        for raw in flight.process.stdout:
            line = raw.rstrip("\n")
            flight.tail.append(line)
            if flight.first_error is None and _is_error_line(line):
                flight.first_error = line.strip()
            self.events.run_output(flight.state.job, line)

    def _terminate(self, flight: _Flight) -> None:
        flight.terminated = True
        # A build stops starting nodes on its first signal and cancels the running statements on a
        # second one (elt.run.interrupts): two distinct signals, since two of one kind sent at once may be
        # delivered as one. Before its run starts, the first one ends it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(flight.process.pid, signal.SIGTERM)
            os.killpg(flight.process.pid, signal.SIGINT)

    def _land(self, flight: _Flight) -> None:
        """Record the run that just ended."""
        code = flight.process.wait()
        flight.reader.join(timeout=5)
        ended = time.time()
        # 130/143: the build stopped on SIGINT/SIGTERM (sent by someone else) before its end.
        interrupted = flight.terminated or code < 0 or code in (130, 143)
        status = "interrupted" if interrupted else {0: "success", 1: "error"}.get(code, "failed")
        outcomes = None if interrupted else read_outcomes(self.results_path, flight.started)
        counts = None if outcomes is None else counts_of(outcomes)
        message = _message(flight, status, outcomes or ())
        if interrupted:
            why = ("stopped by a second stop signal" if flight.terminated
                   else f"stopped by signal {code - 128}" if code > 0 else f"killed by signal {-code}")
            message = f"{why}; last output: {message}" if message else why
        self.history.finish(flight.run_id, _iso(ended), status, code, counts, message, outcomes or ())
        self._flight = None
        self._record(flight.state, flight.run_id)

    def _record(self, state: _JobState, run_id: int) -> None:
        record = self.history.get(run_id)
        self.records.append(record)
        going_on = not self._stop_requests and not self._reached_max()
        self.events.run_finished(state.job, record, self._local(state.next_due) if going_on else None)

    def _sleep_for(self, states: list[_JobState], now: float) -> float:
        if self._flight is not None or self._stop_requests:
            return POLL_SECONDS
        if self._queue:
            return 0.0
        until = min((s.next_due for s in states), default=now + IDLE_SECONDS) - now
        return max(0.0, min(IDLE_SECONDS, until))

    # -- time ------------------------------------------------------------------------------------

    def _first_due(self, job: Job, now: float) -> float:
        if job.every:
            return now  # an interval job runs at once, then every `every` seconds
        return self._next_due(job, now, now)

    def _next_due(self, job: Job, due: float, now: float) -> float:
        if job.every:
            # Fixed rate: the next multiple of `every` after the tick; ticks missed meanwhile are dropped.
            missed = max(0, int((now - due) // job.every))
            return due + (missed + 1) * job.every
        assert job.cron is not None
        after = dt.datetime.fromtimestamp(max(due, now), dt.UTC)
        return job.cron.next_after(after, self.zone).timestamp()

    def _local(self, timestamp: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(timestamp, self.zone)


#: the longest node message kept in the history (a database error can quote a whole query).
MAX_NODE_MESSAGE = 2000


def read_outcomes(results_path: Path, since: float) -> list[NodeOutcome] | None:
    """How each node of the build ended, from run_results.json, if a build wrote it at or after `since`
    (epoch seconds); None if it did not (the build could not start, or crashed before writing it)."""
    try:
        if results_path.stat().st_mtime < since:
            return None
        data = json.loads(results_path.read_text(encoding="utf-8"))
        return [_outcome(result) for result in data["results"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _outcome(result: dict[str, Any]) -> NodeOutcome:
    message = str(result.get("message") or "")[:MAX_NODE_MESSAGE]
    return NodeOutcome(str(result["unique_id"]), str(result["status"]), result.get("relation_name") or None,
                       result.get("execution_time"), message or None)


#: the longest run message kept in the history (one line of `elt schedule --history`).
MAX_RUN_MESSAGE = 500


def _message(flight: _Flight, status: str, outcomes: Sequence[NodeOutcome]) -> str | None:
    """The run's message: the first failed node and its error, else the build's first error line, else
    its summary line (`Finished ...`), else its last line."""
    failed = [o for o in outcomes if o.status in FAILED_STATUSES]
    if status == "error" and failed:
        return f"{failed[0].name}: {one_line(failed[0].message or failed[0].status)}"[:MAX_RUN_MESSAGE]
    if status in ("failed", "error") and flight.first_error:
        return flight.first_error[:MAX_RUN_MESSAGE]
    lines = [line.strip() for line in meaningful_lines("\n".join(flight.tail))]
    if not lines:
        return None
    # The build's summary line, not whatever came last (e.g. a sample row of a warning test).
    summaries = [line for line in lines if line.startswith("Finished ")]
    return (summaries[-1] if summaries else lines[-1])[:MAX_RUN_MESSAGE]


def _is_error_line(line: str) -> bool:
    """A line of `elt build`'s output that reports an error: `Error: ...` (the command could not run)
    or a node's ERROR / FAIL line."""
    text = line.strip()
    return text.startswith("Error:") or " ERROR " in text or " FAIL " in text


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="milliseconds")
