"""Retries of transient errors, `elt retry`, and the run lock per database, on real DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from elt.adapters import ADAPTERS
from elt.run.lock import RunLock
from tests.conftest import PROFILES
from tests.functional import flaky_adapter
from tests.functional.test_run import FAILING

FLAKY_PROFILES = PROFILES.replace("type: duckdb", "type: flaky_duckdb")
MODELS = {
    "seeds/base.csv": "id\n1\n2\n",
    "models/marts/flaky.sql": "{{ config(retries=2, retry_delay=0) }}\nselect count(*) as n from {{ ref('base') }}\n",
    "models/marts/after.sql": "select n from {{ ref('flaky') }}\n",
}


def database_lock(proj, target: str | None = None) -> Path:
    """The lock file of the database the project's target writes to."""
    from elt.adapters import adapter_class
    from elt.cli.build_commands import run_lock_path
    from elt.cli.invocation import Invocation, load

    project, config = load(Invocation(project_dir=proj.root, target=target))
    path = run_lock_path(project.config.target_dir, adapter_class(config.type)(config))
    assert path is not None
    return path


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setitem(ADAPTERS, "flaky_duckdb", "tests.functional.flaky_adapter:FlakyDuckDB")
    flaky_adapter._failed.clear()
    return monkeypatch


def results(proj) -> dict[str, dict]:
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


def test_transient_failure_is_retried_and_succeeds(project, flaky):
    flaky.setenv("ELT_TEST_FLAKY", "gold.flaky:2")
    proj = project(MODELS, profiles=FLAKY_PROFILES)
    assert proj.elt("seed").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("RETRY table gold.flaky") == 2
    assert results(proj)["model.flaky"]["attempts"] == 3
    assert proj.query("select n from gold.after") == [(2,)]


def test_transient_failure_past_the_retries_fails(project, flaky):
    flaky.setenv("ELT_TEST_FLAKY", "gold.flaky:3")
    proj = project(MODELS, profiles=FLAKY_PROFILES)
    proj.elt("seed")
    result = proj.elt("run")
    assert result.exit_code == 1
    records = results(proj)
    assert records["model.flaky"]["status"] == "error" and records["model.flaky"]["attempts"] == 3
    assert records["model.after"]["status"] == "skipped"


def test_sql_errors_are_not_retried(project):
    proj = project({"models/marts/bad.sql": "{{ config(retries=3, retry_delay=0) }}\nselect nope from missing\n"})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "RETRY" not in result.stdout
    assert results(proj)["model.bad"]["attempts"] == 1


def test_retry_reruns_exactly_the_failed_and_skipped_nodes(project):
    proj = project(FAILING)
    proj.elt("seed")
    assert proj.elt("run", "--vars", "{break: true}").exit_code == 1
    # The user fixes the model; `elt retry` reruns what did not succeed, with the same vars.
    proj.write({"models/intermediate/int_bad.sql": "select student_id, score * {{ 2 if var('break') else 3 }} "
                                                   "as double_score from {{ ref('stg_scores') }}\n"})
    result = proj.elt("retry")
    assert result.exit_code == 0, result.output
    assert set(results(proj)) == {"model.int_bad", "model.mart_bad", "model.mart_both"}
    assert all(r["status"] == "success" for r in results(proj).values())
    assert proj.query("select max(double_score) from silver.int_bad") == [(180,)]   # break=true: times 2
    assert "Nothing to retry" in proj.elt("retry").stdout


def test_retry_without_a_previous_run(project):
    result = project({"models/marts/a.sql": "select 1 as x\n"}).elt("retry")
    assert result.exit_code == 2
    assert "there is no previous run to retry" in result.stderr


def test_a_second_run_on_a_locked_target_fails_clearly(project):
    proj = project(MODELS)
    with RunLock(database_lock(proj), "elt run"):
        result = proj.elt("run")
    assert result.exit_code == 2
    assert "another run is writing to the database of target 'dev': pid" in result.stderr
    assert "--wait" in result.stderr
    assert not proj.database.exists()


def test_wait_starts_when_the_lock_is_released(project):
    proj = project({"models/marts/a.sql": "select 1 as x\n"})
    lock = RunLock(database_lock(proj), "elt run")
    lock.acquire()
    threading.Timer(0.5, lock.release).start()
    started = time.perf_counter()
    result = proj.elt("run", "--wait")
    assert result.exit_code == 0
    assert time.perf_counter() - started >= 0.4
    assert "Waiting for the target lock, held by pid" in result.stdout


def test_concurrent_runs_are_serialized(project):
    files = {f"models/marts/m{i}.sql": f"select {i} as x\n" for i in range(6)}
    proj = project(files)
    command = [sys.executable, "-m", "elt", "run", "--wait", "--project-dir", str(proj.root)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PYTHONUNBUFFERED": "1"}
    # Both start while the test holds the lock, so both must wait; then they take turns. Without
    # the lock, the second process could not even open the DuckDB file. The lock is held until both
    # say they wait (not for a fixed time: a loaded machine can take longer to start Python).
    with RunLock(database_lock(proj), "test"):
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
                for _ in range(2)]
        heads = [_read_until(run, "Waiting for the target lock", timeout=120) for run in runs]
    outputs = [head + run.communicate(timeout=120)[0] for head, run in zip(heads, runs, strict=True)]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all("Waiting for the target lock, held by pid" in out for out in outputs)
    assert len(proj.relations()) == 6


def _read_until(process: subprocess.Popen[str], text: str, timeout: float) -> str:
    """The process's output up to the first line containing `text` (all of it if it ends first)."""
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if text in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return "".join(lines)


def test_test_and_build_wait_for_the_lock_like_run(project):
    proj = project({**MODELS, "models/marts/_marts.yml": "models:\n  - name: after\n"
                                                          "    columns:\n      - name: n\n"
                                                          "        data_tests: [not_null]\n"})
    assert proj.elt("build").exit_code == 0
    for command in (("test", "--data"), ("build",)):
        lock = RunLock(database_lock(proj), "elt run")
        lock.acquire()
        threading.Timer(0.5, lock.release).start()
        started = time.perf_counter()
        result = proj.elt(*command, "--wait")
        assert result.exit_code == 0, result.output
        assert time.perf_counter() - started >= 0.4
        assert "Waiting for the target lock, held by pid" in result.stdout
        assert "not_null_after_n" in result.stdout


def test_test_on_a_locked_target_fails_clearly_without_wait(project):
    proj = project({"models/marts/a.sql": "select 1 as x\n", "data_tests/none.sql": "select 1 as x where false\n"})
    assert proj.elt("run").exit_code == 0
    with RunLock(database_lock(proj), "elt run"):
        result = proj.elt("test", "--data")
    assert result.exit_code == 2
    assert "another run is writing to the database of target 'dev': pid" in result.stderr


DAILY_EVENTS = "event_id,dt,amount\n1,2024-06-01,10\n2,2024-06-02,20\n3,2024-06-03,5\n"
DAILY = """\
{{{{ config(materialized='incremental', partition_by=['dt'], batch_size='day') }}}}
select sum({column}) as amount, dt from {{{{ ref('events') }}}}
{{% if var('start', none) %}}where dt between '{{{{ var("start") }}}}' and '{{{{ var("end") }}}}'{{% endif %}}
group by dt
"""


def test_retry_reruns_a_failed_backfill_batch_by_batch(project):
    proj = project({"seeds/events.csv": DAILY_EVENTS, "models/marts/daily.sql": DAILY.format(column="amout")})
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run", "--start", "2024-06-01", "--end", "2024-06-03").exit_code == 1
    proj.write({"models/marts/daily.sql": DAILY.format(column="amount")})
    result = proj.elt("retry")
    assert result.exit_code == 0, result.output
    record = results(proj)["model.daily"]["incremental"]
    assert record["batches"] == 3  # without --start/--end restored: 1, the whole range at once
    assert sorted(proj.query("select cast(dt as varchar), amount from gold.daily")) == [
        ("2024-06-01", 10), ("2024-06-02", 20), ("2024-06-03", 5)]


def test_retry_of_a_failed_full_refresh_refreshes(project):
    proj = project({"seeds/events.csv": DAILY_EVENTS, "models/marts/daily.sql": DAILY.format(column="amount")})
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    proj.write({"models/marts/daily.sql": DAILY.format(column="amout")})
    assert proj.elt("run", "--full-refresh").exit_code == 1
    proj.write({"models/marts/daily.sql": DAILY.format(column="amount * 2")})
    result = proj.elt("retry")
    assert result.exit_code == 0, result.output
    assert results(proj)["model.daily"]["incremental"]["strategy"] == "full_refresh"
    assert sorted(proj.query("select cast(dt as varchar), amount from gold.daily")) == [
        ("2024-06-01", 20), ("2024-06-02", 40), ("2024-06-03", 10)]
