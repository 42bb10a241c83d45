"""The run lock holds per database, whatever the target's name; one `elt schedule` per project.

Real processes: one holds the lock (a run busy with a slow model, or a scheduler), another tries.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.functional.test_interrupts import SLOW, Run

#: two targets, two spellings of one DuckDB file.
TWO_TARGETS = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
      threads: 1
    other:
      type: duckdb
      path: ./target/../target/test.duckdb
      threads: 1
"""


def elt(proj, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elt", *args, "--project-dir", str(proj.root)],
                          capture_output=True, text=True, timeout=120)


def busy_run(project) -> tuple[object, Run]:
    """A project whose target `dev` is busy with a run of minutes (until cancelled)."""
    proj = project(SLOW, profiles=TWO_TARGETS)
    assert proj.elt("seed").exit_code == 0
    run = Run(proj, "run", "--vars", "{rows: 3000}")
    run.wait_for("START table gold.slow")
    return proj, run


def cancel(run: Run) -> None:
    run.signal(signal.SIGINT)
    run.wait_for("stopping after the running node(s) finish")
    run.signal(signal.SIGINT)
    assert run.finish() == 130, run.output


def test_two_targets_on_one_duckdb_file_are_one_writer(project):
    proj, run = busy_run(project)
    try:
        second = elt(proj, "run", "--target", "other", "--select", "first")
    finally:
        cancel(run)
    assert second.returncode == 2, second.stdout + second.stderr
    assert (f"another run is writing to the database of target 'other': pid {run.process.pid} "
            "(elt run, target 'dev')") in second.stderr
    assert "--wait" in second.stderr
    assert "Traceback" not in second.stderr


def test_wait_on_another_targets_run_of_one_database(project):
    proj, run = busy_run(project)
    waiting = Run(proj, "run", "--target", "other", "--select", "first", "--wait")
    try:
        waiting.wait_for(f"Waiting for the target lock, held by pid {run.process.pid} (elt run, target 'dev')")
    finally:
        cancel(run)
    assert waiting.finish() == 0, waiting.output
    assert "1 of 1 OK table gold.first" in waiting.output


def test_a_second_scheduler_of_one_project_refuses_to_start(project):
    proj = project({"models/marts/a.sql": "select 1 as x\n"})
    first = Run(proj, "schedule", "--every", "3600")
    try:
        first.wait_for("Scheduling 1 job(s)")
        second = elt(proj, "schedule", "--every", "3600")
    finally:
        first.signal(signal.SIGTERM)
        assert first.finish() == 0, first.output
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"another `elt schedule` is running for this project: pid {first.process.pid} (elt schedule)" \
        in second.stderr
    assert "Scheduling" not in second.stdout
    assert "Traceback" not in second.stderr
