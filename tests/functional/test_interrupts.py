"""Ctrl-C, SIGTERM and kill -9 during `elt run`: real processes receiving real signals, on DuckDB.

Each test waits for a line the run prints (the START of the slow model) before signalling, so what
is asserted never depends on how fast the machine is.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

from tests.conftest import PROFILES

PROFILES_ONE_THREAD = PROFILES.replace("threads: 4", "threads: 1")

#: first -> slow -> after. `slow` scans 3000 * 3000 * `rows` rows: about 17 ms per unit of `rows` here,
#: so rows=200 takes seconds (long enough to be signalled while it runs) and rows=3000 a minute or more.
SLOW = {
    "seeds/big.csv": "id\n" + "".join(f"{i}\n" for i in range(3000)),
    "models/marts/first.sql": "select 1 as x\n",
    "models/marts/slow.sql": "select count(*) as n from {{ ref('first') }} f cross join {{ ref('big') }} a "
                             "cross join {{ ref('big') }} b cross join {{ ref('big') }} c "
                             "where a.id < {{ var('rows', 1) }} and b.id + c.id >= f.x\n",
    "models/marts/after.sql": "select n from {{ ref('slow') }}\n",
}


#: what `slow` counts per unit of `rows` (every pair of ids but 0 + 0).
PER_ROW = 3000 * 3000 - 1


class Run:
    """`python -m elt <args>` in a subprocess, its output collected line by line."""

    def __init__(self, proj, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "elt", *args, "--project-dir", str(proj.root)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self._reader.start()

    def wait_for(self, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None or self._reader.is_alive(), self.output
            assert time.monotonic() < deadline, f"{text!r} never came:\n{self.output}"
            time.sleep(0.02)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout: float = 180.0) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            self.process.kill()
        self._reader.join(timeout=10)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)


def run_results(proj) -> dict:
    return json.loads((proj.root / "target" / "run_results.json").read_text())


def statuses(results: dict) -> dict[str, str]:
    return {r["unique_id"]: r["status"] for r in results["results"]}


def slow_project(project):
    proj = project(SLOW, profiles=PROFILES_ONE_THREAD)
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0  # every table exists; gold.slow: n = PER_ROW
    return proj


def test_first_ctrl_c_lets_the_running_model_finish_and_starts_nothing_more(project):
    proj = slow_project(project)
    run = Run(proj, "run", "--vars", "{rows: 200}")
    run.wait_for("START table gold.slow")
    run.signal(signal.SIGINT)
    code = run.finish()
    assert code == 130, run.output
    assert "Ctrl-C (SIGINT): stopping after the running node(s) finish; nothing more starts" in run.output
    assert "OK table gold.slow" in run.output
    assert "START table gold.after" not in run.output
    assert "SKIP table gold.after (not started: the run was interrupted)" in run.output
    assert "Finished 3 node(s)" in run.output and "2 OK, 0 error, 1 skipped" in run.output
    assert "Traceback" not in run.output
    assert proj.query("select n from gold.slow") == [(200 * PER_ROW,)]
    assert proj.query("select n from gold.after") == [(PER_ROW,)]  # from the run before: not rebuilt
    results = run_results(proj)
    assert results["metadata"]["finished"] is True and results["metadata"]["stopped_by"] == "SIGINT"
    assert statuses(results) == {"model.first": "success", "model.slow": "success", "model.after": "skipped"}


def test_sigterm_stops_like_ctrl_c_with_exit_code_143(project):
    proj = slow_project(project)
    run = Run(proj, "run", "--vars", "{rows: 200}")
    run.wait_for("START table gold.slow")
    run.signal(signal.SIGTERM)
    code = run.finish()
    assert code == 143, run.output
    assert "SIGTERM: stopping after the running node(s) finish" in run.output
    assert "OK table gold.slow" in run.output and "START table gold.after" not in run.output
    assert "Stopped by SIGTERM: 0 node(s) cancelled, 1 not started" in run.output
    assert "Traceback" not in run.output


def test_second_ctrl_c_cancels_the_running_statement_and_keeps_the_previous_table(project):
    proj = slow_project(project)
    run = Run(proj, "run", "--vars", "{rows: 3000}")  # minutes, unless cancelled
    run.wait_for("START table gold.slow")
    run.signal(signal.SIGINT)
    run.wait_for("stopping after the running node(s) finish")
    run.signal(signal.SIGINT)
    code = run.finish()
    assert code == 130, run.output
    assert "Ctrl-C (SIGINT) again: cancelling the running statements" in run.output
    assert "ERROR table gold.slow" in run.output and "cancelled: elt was interrupted" in run.output
    assert "SKIP table gold.after" in run.output
    assert "Stopped by Ctrl-C (SIGINT): 1 node(s) cancelled" in run.output
    assert "Traceback" not in run.output
    assert proj.query("select n from gold.slow") == [(PER_ROW,)]  # the previous table, untouched
    assert {name for name in proj.relations() if "slow" in name} == {"gold.slow"}  # nothing left behind


def test_retry_after_kill_9_builds_exactly_the_nodes_that_did_not_finish(project):
    proj = slow_project(project)  # its run_results.json: every node succeeded
    proj.write({"models/marts/other.sql": "select 2 as y\n"})  # independent of the others, built first
    run = Run(proj, "run", "--vars", "{rows: 3000}")
    run.wait_for("START table gold.slow")
    # The file describes the run as it goes (it is written before the console prints a node's end).
    deadline = time.monotonic() + 60
    while [statuses(run_results(proj)).get(f"model.{m}") for m in ("first", "other")] != ["success"] * 2:
        assert time.monotonic() < deadline, run_results(proj)
        time.sleep(0.02)
    run.signal(signal.SIGKILL)
    assert run.finish() == -signal.SIGKILL
    killed = run_results(proj)
    assert killed["metadata"]["finished"] is False and killed["elapsed_time"] is None
    assert statuses(killed) == {"model.first": "success", "model.other": "success", "model.slow": "running",
                                "model.after": "pending"}

    retried = proj.elt("retry", "--vars", "{rows: 2}")
    assert retried.exit_code == 0, retried.output
    assert "the last `elt run` did not finish" in retried.stderr
    assert "START table gold.slow" in retried.stdout and "START table gold.after" in retried.stdout
    assert "gold.first" not in retried.stdout and "gold.other" not in retried.stdout
    assert statuses(run_results(proj)) == {"model.slow": "success", "model.after": "success"}
    assert proj.query("select n from gold.after") == [(2 * PER_ROW,)]
