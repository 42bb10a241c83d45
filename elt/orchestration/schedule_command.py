"""The body of `elt schedule`: jobs from config and options, the build command, signals, the lines
printed, and `--history` (`--run ID`: the nodes of one run)."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.errors import ProjectError
from elt.orchestration.cron import parse_cron
from elt.orchestration.history import (
    FAILED_STATUSES,
    HISTORY_FILE,
    SKIPPED_STATUS,
    History,
    NodeOutcome,
    RunRecord,
    one_line,
)
from elt.orchestration.scheduler import Scheduler
from elt.orchestration.settings import DEFAULT_JOB, Job, ScheduleConfig, load_schedule_config
from elt.project.config import load_project_config
from elt.report.console import Console
from elt.run.lock import RunLock

if TYPE_CHECKING:
    from elt.cli.invocation import Invocation

CLI_JOB = "cli"


def resolve_jobs(config: ScheduleConfig, *, select: Sequence[str] = (), exclude: Sequence[str] = (),
                 every: float | None = None, cron_text: str | None = None, names: Sequence[str] = ()) -> list[Job]:
    """The jobs to run, from [tool.elt.schedule] and the command line.

    - `--select`/`--exclude`: one job `cli` with that selection, on --every, --cron or the project's cron;
    - otherwise the configured jobs (only `names`, if given), on --every or --cron if given;
    - no configured job but --every or --cron: one job `default` over the whole project.

    Raises:
        ProjectError: conflicting options, an unknown job name, or nothing to schedule.
    """
    if every and cron_text:
        raise ProjectError("--every and --cron both given", hint="pick one: seconds between runs, or a cron expression")
    cron = parse_cron(cron_text) if cron_text else None
    if select or exclude:
        if names:
            raise ProjectError("--job and --select both given",
                               hint="--job picks configured jobs; --select makes one job of its own")
        cron = cron or (None if every else config.project_cron)
        if not (every or cron):
            raise ProjectError("no schedule for --select", hint=_SCHEDULE_HINT)
        return [Job(CLI_JOB, tuple(select), tuple(exclude), cron=cron, every=every)]
    jobs = list(config.jobs)
    if names:
        known = {job.name for job in jobs}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ProjectError(f"unknown schedule job(s): {', '.join(unknown)}",
                               hint=f"jobs in [tool.elt.schedule]: {', '.join(sorted(known)) or 'none'}")
        jobs = [job for job in jobs if job.name in names]
    if not jobs and (every or cron):
        jobs = [Job(DEFAULT_JOB)]
    if not jobs:
        raise ProjectError("nothing to schedule: [tool.elt.schedule] has no cron", hint=_SCHEDULE_HINT)
    if every or cron:
        jobs = [Job(job.name, job.select, job.exclude, cron=cron, every=every) for job in jobs]
    return jobs


_SCHEDULE_HINT = ('add to pyproject.toml:\n    [tool.elt.schedule]\n    cron = "0 2 * * *"\n'
                  'or pass --every SECONDS or --cron "EXPR"')


def build_command_line(inv: Invocation, vars_text: str | None, threads: int | None, job: Job) -> list[str]:
    """`python -m elt build ...` for one job: the same project, profile, target and vars as the scheduler."""
    command = [sys.executable, "-m", "elt", "build", "--project-dir", str(inv.project_dir), "--wait"]
    if inv.profiles_dir:
        command += ["--profiles-dir", str(Path(inv.profiles_dir).resolve())]
    if inv.target:
        command += ["--target", inv.target]
    if vars_text:
        command += ["--vars", vars_text]
    if threads:
        command += ["--threads", str(threads)]
    for selector in job.select:
        command += ["--select", selector]
    for selector in job.exclude:
        command += ["--exclude", selector]
    return command


def run_scheduler(inv: Invocation, vars_text: str | None, *, every: float | None, cron_text: str | None,
                  jobs: Sequence[str], max_runs: int | None, threads: int | None, verbose: bool = False) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT or `max_runs`. Returns the exit code:
    with `max_runs` (a bounded job, e.g. `--max-runs 1` from cron or CI), 1 if a run did not succeed;
    else 0 (a scheduler stopped by a signal has done its job whatever its runs did, which the history
    keeps). `verbose`: print each build's output, not only its summary line."""
    project = load_project_config(inv.project_dir, inv.vars)
    config = load_schedule_config(project.root)
    chosen = resolve_jobs(config, select=inv.select, exclude=inv.exclude, every=every, cron_text=cron_text,
                          names=jobs)
    console = Console()
    history = History(project.target_dir / HISTORY_FILE)
    scheduler = Scheduler(chosen, lambda job: build_command_line(inv, vars_text, threads, job), history,
                          project.target_dir / "run_results.json", _Printer(console, verbose), zone=config.zone,
                          max_runs=max_runs, cwd=project.root)
    # Two schedulers of one project would both build at every tick (their builds taking turns on the
    # database's lock): the second one refuses to start.
    with RunLock(project.target_dir / "locks" / "schedule.lock", "elt schedule",
                 busy="another `elt schedule` is running for this project",
                 hint="one scheduler runs all the jobs of a project ([tool.elt.schedule]): stop that one "
                      "first (Ctrl-C, or kill its pid)"):
        console.info(f"Scheduling {len(chosen)} job(s) of project {project.name!r} (times in {config.timezone}); "
                     f"history in {history.path}")
        for job in chosen:
            console.info(f"  {job.describe()}")
        previous = _install_signal_handlers(scheduler)
        try:
            records = scheduler.run()
        finally:
            _restore_signal_handlers(previous)
    failed = [r for r in records if r.status != "success"]
    console.info(f"Scheduler stopped after {len(records)} run(s)"
                 + (f", {len(failed)} not successful: #{', #'.join(str(r.id) for r in failed)}." if failed else "."))
    return 1 if failed and max_runs is not None else 0


def print_history(inv: Invocation, limit: int, jobs: Sequence[str], run_id: int | None = None) -> int:
    """`elt schedule --history`: the newest runs, oldest first; with `run_id`, the nodes of that run.

    Raises:
        ProjectError: no run `run_id` in the history.
    """
    import click

    project = load_project_config(inv.project_dir, inv.vars)
    zone = load_schedule_config(project.root).zone
    history = History(project.target_dir / HISTORY_FILE)
    if run_id is not None:
        try:
            record = history.get(run_id) if history.path.exists() else None
        except KeyError:
            record = None
        if record is None:
            raise ProjectError(f"no run #{run_id} in {history.path}", hint="`elt schedule --history` lists the runs")
        click.echo(format_run(record, history.nodes(run_id), zone))
        return 0
    records = history.runs(limit, jobs)
    if not records:
        click.echo(f"No scheduled runs recorded in {history.path}.")
        return 0
    click.echo(format_history(records, zone, history.problems([r.id for r in records])))
    return 0


#: failed (or skipped) nodes named on a run's line of --history; `--run ID` lists them all.
NAMES_SHOWN = 3


def format_history(records: Sequence[RunRecord], zone: dt.tzinfo,
                   problems: Mapping[int, Sequence[NodeOutcome]] | None = None) -> str:
    """The history as an aligned table (times in `zone`). `problems`: each run's failed and skipped
    nodes, named after the selection (which nodes failed is what an operator looks for first)."""
    header = ("id", "job", "started", "duration", "status", "nodes", "ok", "error", "skip", "warn",
              "selection / failed and skipped nodes / message")
    rows: list[tuple[str, ...]] = [header]
    for r in records:
        started = dt.datetime.fromisoformat(r.started_at)
        detail = " | ".join(part for part in (r.selection, _problem_names(r.id, (problems or {}).get(r.id, ())),
                                              r.message) if part)
        rows.append((str(r.id), r.job, started.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), _duration(r),
                     r.status, *(("-" if v is None else str(v))
                                 for v in (r.nodes, r.succeeded, r.failed, r.skipped, r.warned)),
                     detail[:300]))
    return _table(rows)


def format_run(record: RunRecord, nodes: Sequence[NodeOutcome], zone: dt.tzinfo) -> str:
    """One run and its nodes: failed first, then skipped, then the others, each in the order run."""
    started = dt.datetime.fromisoformat(record.started_at).astimezone(zone)
    lines = [f"Run #{record.id} of {record.job!r} ({record.selection}): {record.status}, started "
             f"{started:%Y-%m-%d %H:%M:%S}, took {_duration(record)}"
             + ("" if record.exit_code is None else f", exit code {record.exit_code}")]
    if record.nodes is not None:
        lines.append(f"{record.nodes} node(s): {record.succeeded} ok, {record.failed} error, "
                     f"{record.skipped} skipped, {record.warned} warn")
    if record.message:
        lines.append(f"message: {record.message}")
    if not nodes:
        lines.append("no nodes recorded: " + (
            "this run was recorded by an elt that kept only node counts" if record.nodes
            else "the build wrote no results" if record.status != "running" else "the run is in flight"))
        return "\n".join(lines)
    rank = {status: i for i, status in enumerate((*FAILED_STATUSES, SKIPPED_STATUS, "warn"))}
    ordered = sorted(nodes, key=lambda n: rank.get(n.status, len(rank)))  # stable: run order within a status
    rows: list[tuple[str, ...]] = [("status", "node", "relation", "time", "message")]
    for n in ordered:
        rows.append((n.status, n.unique_id, n.relation_name or "-",
                     "-" if n.execution_time is None else f"{n.execution_time:.2f}s", one_line(n.message or "", 150)))
    lines += ["", _table(rows)]
    # The table shows a line of each message; a failure's whole message (the engine's error, the SQL
    # line it points at, with the marker under the culprit) follows it.
    for n in ordered:
        if n.status in FAILED_STATUSES and n.message:
            lines += ["", f"{n.status} in {n.unique_id}" + (f" ({n.relation_name}):" if n.relation_name else ":")]
            lines += [f"  {line}" for line in n.message.rstrip().splitlines()]
    return "\n".join(lines)


def _problem_names(run_id: int, nodes: Sequence[NodeOutcome]) -> str:
    parts = []
    for label, statuses in (("failed", FAILED_STATUSES), ("skipped", (SKIPPED_STATUS,))):
        names = [n.name for n in nodes if n.status in statuses]
        if names:
            more = f" (+{len(names) - NAMES_SHOWN} more: --run {run_id})" if len(names) > NAMES_SHOWN else ""
            parts.append(f"{label}: {', '.join(names[:NAMES_SHOWN])}{more}")
    return "; ".join(parts)


def _duration(record: RunRecord) -> str:
    if not record.ended_at:
        return "-"
    seconds = (dt.datetime.fromisoformat(record.ended_at) - dt.datetime.fromisoformat(record.started_at))
    return f"{seconds.total_seconds():.1f}s"


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows as aligned columns; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
                     for row in rows)


class _Printer:
    """SchedulerEvents -> console lines: one line per run (`summary_line`), the build's own output only
    when verbose (the details of a run are in the history: `elt schedule --run ID`)."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        #: ticks skipped per job since its last summary line.
        self.skipped: dict[str, int] = {}

    def scheduled(self, job: Job, when: dt.datetime) -> None:
        self.console.info(f"schedule: first run of {job.name!r} at {when:%Y-%m-%d %H:%M:%S %Z}")

    def run_started(self, job: Job, run_id: int, command: Sequence[str]) -> None:
        if self.verbose:
            shown = " ".join(command[3:])  # without the interpreter and `-m elt`
            self.console.info(f"schedule: run #{run_id} of {job.name!r} started: elt {shown}")

    def run_output(self, job: Job, line: str) -> None:
        if self.verbose:
            self.console.line(f"  {line}" if line else "")

    def run_finished(self, job: Job, record: RunRecord, next_run: dt.datetime | None) -> None:
        line = summary_line(record, next_run, self.skipped.pop(job.name, 0))
        self.console.line(f"{dt.datetime.now():%H:%M:%S}  {line}",
                          fg="green" if record.status == "success" else "red")

    def tick_skipped(self, job: Job, when: dt.datetime, reason: str) -> None:
        if self.verbose:
            self.console.warning(f"schedule: tick of {job.name!r} at {when:%H:%M:%S} skipped: {reason}")
        self.skipped[job.name] = self.skipped.get(job.name, 0) + 1

    def stopping(self, job: Job | None, hard: bool) -> None:
        if job is None:
            self.console.info("schedule: stopping (no run in flight)")
        elif hard:
            self.console.warning(f"schedule: stopping the run of {job.name!r} now (it is recorded as interrupted)")
        else:
            self.console.info(f"schedule: stopping after the run of {job.name!r} in flight finishes "
                              "(signal again to interrupt it)")


def summary_line(record: RunRecord, next_run: dt.datetime | None = None, ticks_skipped: int = 0) -> str:
    """The line `elt schedule` prints when a run ends: its id, job, status, duration, node counts
    (warnings included), what went wrong first, ticks skipped while it ran, and the next run.

    >>> r = RunRecord(7, "nightly", "(all)", "", "2024-06-01T02:00:00+00:00", "2024-06-01T02:01:05+00:00",
    ...               "error", 1, 9, 2, 1, 5, 1, 'broken: Binder Error: column "nope" not found', 1)
    >>> summary_line(r, dt.datetime(2024, 6, 2, 2, 0), 3)  # doctest: +NORMALIZE_WHITESPACE
    'run #7 nightly: error in 65.0s, 9 nodes: 2 ok, 1 error, 5 skipped, 1 warn | broken: Binder Error: column
     "nope" not found | 3 ticks skipped while busy | details: elt schedule --run 7 | next 2024-06-02 02:00:00'
    """
    parts = [f"run #{record.id} {record.job}: {record.status} in {_duration(record)}"
             + ("" if record.nodes is None else
                f", {record.nodes} nodes: {record.succeeded} ok, {record.failed} error, {record.skipped} skipped, "
                f"{record.warned} warn")]
    if record.status != "success" and record.message:
        parts.append(one_line(record.message, 120))
    if ticks_skipped:
        parts.append(f"{ticks_skipped} tick{'s' if ticks_skipped > 1 else ''} skipped while busy")
    if record.status != "success":
        parts.append(f"details: elt schedule --run {record.id}")
    if next_run is not None:
        parts.append(f"next {next_run:%Y-%m-%d %H:%M:%S}")
    return " | ".join(parts)


def _install_signal_handlers(scheduler: Scheduler) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, lambda _sig, _frame: scheduler.request_stop())
        except ValueError:  # not the main thread (embedded use): the caller stops the scheduler itself
            break
    return previous


def _restore_signal_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
