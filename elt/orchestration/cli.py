"""`elt airflow ...` and `elt schedule`: thin wrappers over elt.orchestration (imports inside commands)."""

from __future__ import annotations

from pathlib import Path

import click

from elt.cli.options import common_options, handle_errors, make_invocation, selection_options


@click.group()
def airflow() -> None:
    """Apache Airflow: generate a DAG file from the project."""


@airflow.command(name="generate")
@common_options
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The DAG file to write (default: [tool.elt.airflow] output, else dags/elt_<project>.py).")
@handle_errors
def airflow_generate(project_dir, profiles_dir, target, vars_, debug, output) -> int:
    """Write an Airflow DAG: a task per seed and model, test tasks, layers as TaskGroups.

    The file embeds the tasks and their edges (from target/manifest.json, compiled first when missing
    or stale), so Airflow parses it without reading the project. Each task runs `elt seed`, `elt run` or
    `elt test --data` with --select for its node. Schedule: [tool.elt.schedule] cron; default_args:
    [tool.elt.airflow.default_args].
    """
    from elt.orchestration.airflow_dag import generate_dag
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    result = generate_dag(inv, Console(), output, vars_)
    kinds: dict[str, int] = {}
    for spec in result.tasks:
        kinds[spec.kind] = kinds.get(spec.kind, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no tasks"
    groups = len({spec.group for spec in result.tasks})
    click.echo(f"Wrote DAG {result.dag_id!r} to {result.path}: {len(result.tasks)} task(s) ({counts}) in "
               f"{groups} group(s); schedule {result.schedule or 'none (manual runs only)'}"
               f"{'' if result.compiled else '; reused target/manifest.json'}")
    return 0


@click.command()
@common_options
@selection_options
@click.option("--every", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Run the selection every SECONDS (first run at once) instead of on a cron schedule.")
@click.option("--cron", "cron_text", default=None, metavar="EXPR",
              help="Run the selection on this cron schedule instead of [tool.elt.schedule].")
@click.option("--job", "jobs", multiple=True, help="Only these jobs of [tool.elt.schedule] (default: all).")
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Passed to each `elt build`.")
@click.option("--verbose", "-v", is_flag=True,
              help="Print each build's output as it runs (default: one summary line per run).")
@click.option("--history", "show_history", is_flag=True, help="Print the run history and exit.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="With --history: how many runs, newest last.")
@click.option("--run", "run_id", type=int, default=None, metavar="ID",
              help="Print the nodes of run ID of the history (failed first) and exit.")
@handle_errors
def schedule(project_dir, profiles_dir, target, vars_, debug, select, exclude, every, cron_text, jobs,
             max_runs, threads, verbose, show_history, limit, run_id) -> int:
    """Run `elt build` on a schedule, in the foreground, until stopped (Ctrl-C or SIGTERM).

    Jobs come from [tool.elt.schedule] (`cron` for the project, [tool.elt.schedule.jobs.<name>] for
    more selections), or from --every/--cron with --select. One build runs at a time; a job's tick that
    comes while that job is running or waiting is skipped. Each run prints one line (status, duration,
    node counts, its first error); --verbose prints the builds' output too. With --max-runs, the exit
    code is 1 when a run did not succeed. On SIGTERM or Ctrl-C the build in flight
    finishes, then elt exits; a second signal stops that build (the run is recorded as interrupted).
    History (start, end, status, node counts, each node's status): target/schedule.sqlite, shown by
    --history (failed and skipped nodes named on each run's line) and --run ID (every node of a run).
    """
    from elt.orchestration import schedule_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    if show_history or run_id is not None:
        return schedule_command.print_history(inv, limit, jobs, run_id)
    return schedule_command.run_scheduler(inv, vars_, every=every, cron_text=cron_text, jobs=jobs,
                                      max_runs=max_runs, threads=threads, verbose=verbose)
