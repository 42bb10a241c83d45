"""`elt schedule`: runs `elt build` on a schedule, keeps a history, stops gracefully (real DuckDB)."""

from __future__ import annotations

import datetime as dt
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from elt.errors import ProjectError
from elt.orchestration.cron import parse_cron
from elt.orchestration.history import History, NodeCounts
from elt.orchestration.schedule_command import resolve_jobs
from elt.orchestration.scheduler import Scheduler
from elt.orchestration.settings import Job, ScheduleConfig, load_schedule_config
from tests.conftest import PYPROJECT

MODELS = {
    "seeds/base.csv": "id\n1\n2\n3\n",
    "models/staging/stg_base.sql": "select id from {{ ref('base') }}\n",
    "models/marts/mart_total.sql": "select sum(id) as total from {{ ref('stg_base') }}\n",
    "models/marts/_marts.yml": """\
        models:
          - name: mart_total
            columns:
              - name: total
                data_tests: [not_null]
        """,
}
#: a model that counts a 27-billion-row cross join unless var `rows` is small: a build to interrupt.
SLOW = {
    "seeds/big.csv": "id\n" + "".join(f"{i}\n" for i in range(3000)),
    "models/marts/slow.sql": "select count(*) as n from {{ ref('big') }} a cross join {{ ref('big') }} b "
                             "cross join {{ ref('big') }} c where a.id < {{ var('rows') }}\n",
}


def history_rows(proj) -> list[dict]:
    with sqlite3.connect(proj.root / "target" / "schedule.sqlite") as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]


def test_runs_twice_on_a_seconds_schedule_and_records_both(project):
    proj = project(MODELS)
    result = proj.elt("schedule", "--every", "1", "--max-runs", "2")
    assert result.exit_code == 0, result.output
    runs = history_rows(proj)
    assert [(r["job"], r["status"], r["exit_code"]) for r in runs] == [("default", "success", 0)] * 2
    assert [(r["nodes"], r["succeeded"], r["failed"], r["skipped"]) for r in runs] == [(4, 4, 0, 0)] * 2
    assert all(r["ended_at"] >= r["started_at"] for r in runs)
    assert runs[1]["scheduled_for"] > runs[0]["scheduled_for"]
    # One line per run, not the builds' output (that is what --verbose adds).
    run_lines = [line for line in result.stdout.splitlines() if line[10:].startswith("run #")]
    assert [line[10:].split(":")[0] for line in run_lines] == ["run #1 default", "run #2 default"]
    assert "run #2 default: success in " in run_lines[1]
    assert "4 nodes: 4 ok, 0 error, 0 skipped, 0 warn" in run_lines[1]
    assert "| next " in run_lines[0] and "| next " not in run_lines[1]  # the last run: no next one
    assert "START" not in result.stdout and "Finished" not in result.stdout
    assert proj.query("select total from gold.mart_total") == [(6,)]


def test_runs_of_one_selection_never_overlap(project):
    proj = project(MODELS)
    # Ticks every 0.2 s, a build takes longer: the ticks that come during a run are skipped.
    result = proj.elt("schedule", "--every", "0.2", "--max-runs", "3")
    assert result.exit_code == 0, result.output
    runs = history_rows(proj)
    assert len(runs) == 3
    for before, after in zip(runs, runs[1:], strict=False):
        assert after["started_at"] >= before["ended_at"]
    assert re.search(r"\| \d+ ticks? skipped while busy", result.stdout)


def test_history_is_printed(project):
    proj = project(MODELS)
    proj.elt("schedule", "--every", "1", "--max-runs", "1")
    result = proj.elt("schedule", "--history")
    assert result.exit_code == 0, result.output
    header, row = result.stdout.strip().splitlines()
    assert header.split()[:6] == ["id", "job", "started", "duration", "status", "nodes"]
    assert row.split()[0:2] == ["1", "default"]
    assert row.split()[5:11] == ["success", "4", "4", "0", "0", "0"]
    assert "(all) | Finished 4 node(s)" in row


def test_history_without_runs(project):
    proj = project(MODELS)
    result = proj.elt("schedule", "--history")
    assert result.exit_code == 0
    assert "No scheduled runs recorded" in result.stdout


def test_jobs_from_pyproject_run_their_own_selection(project):
    pyproject = PYPROJECT + """
[tool.elt.schedule]
cron = "0 2 * * *"
select = "+mart_total"

[tool.elt.schedule.jobs.staging]
cron = "*/5 * * * *"
select = ["+stg_base"]
"""
    proj = project(MODELS, pyproject=pyproject)
    result = proj.elt("schedule", "--job", "staging", "--every", "1", "--max-runs", "1")
    assert result.exit_code == 0, result.output
    assert "staging: +stg_base, every 1s" in result.stdout
    [run] = history_rows(proj)
    assert (run["job"], run["selection"], run["status"], run["nodes"]) == ("staging", "+stg_base", "success", 2)
    assert set(proj.relations()) == {"raw.base", "bronze.stg_base"}


def test_a_failing_build_is_recorded_with_its_error(project):
    proj = project({**MODELS, "models/marts/broken.sql": "select * from {{ ref('stg_base') }} where nope > 1\n"})
    result = proj.elt("schedule", "--every", "1", "--max-runs", "1")
    assert result.exit_code == 1, result.output  # --max-runs: the exit code says how the run went
    [run] = history_rows(proj)
    assert (run["status"], run["exit_code"], run["failed"]) == ("error", 1, 1)
    assert run["message"].startswith('broken: Binder Error: Referenced column "nope" not found')


def node_rows(proj, run_id: int) -> dict[str, str]:
    with sqlite3.connect(proj.root / "target" / "schedule.sqlite") as con:
        return dict(con.execute("SELECT unique_id, status FROM run_nodes WHERE run_id = ? ORDER BY position",
                                (run_id,)))


#: mart_total, then a model built on it and the test of it (stg_base's other dependant is mart_other).
DOWNSTREAM = {
    "models/marts/mart_double.sql": "select total * 2 as doubled from {{ ref('mart_total') }}\n",
    "models/marts/mart_other.sql": "select count(*) as n from {{ ref('stg_base') }}\n",
}
ALL_OK = {"seed.base": "success", "model.stg_base": "success", "model.mart_total": "success",
          "model.mart_other": "success", "test.not_null_mart_total_total": "success",
          "model.mart_double": "success"}


def test_the_history_keeps_each_runs_nodes_and_names_the_failed_and_skipped_ones(project):
    proj = project({**MODELS, **DOWNSTREAM})
    assert proj.elt("schedule", "--every", "1", "--max-runs", "1").exit_code == 0
    # Between two runs of the scheduler the model breaks: its test and its dependant cannot run.
    (proj.root / "models" / "marts" / "mart_total.sql").write_text(
        "select sum(nope) as total from {{ ref('stg_base') }}\n")
    assert proj.elt("schedule", "--every", "1", "--max-runs", "1").exit_code == 1

    first, second = history_rows(proj)
    assert (first["status"], second["status"]) == ("success", "error")
    assert node_rows(proj, first["id"]) == ALL_OK
    assert node_rows(proj, second["id"]) == {
        **ALL_OK, "model.mart_total": "error", "test.not_null_mart_total_total": "skipped",
        "model.mart_double": "skipped"}
    assert (second["nodes"], second["succeeded"], second["failed"], second["skipped"]) == (6, 3, 1, 2)

    # --history names them on the run's line: which nodes failed, which were skipped.
    result = proj.elt("schedule", "--history")
    assert result.exit_code == 0, result.output
    header, line1, line2 = result.stdout.strip().splitlines()
    assert header.endswith("selection / failed and skipped nodes / message")
    assert "(all) | Finished 6 node(s)" in line1 and "failed:" not in line1
    assert line2.split()[5:10] == ["error", "6", "3", "1", "2"]
    assert "(all) | failed: mart_total; skipped: " in line2
    assert "skipped: not_null_mart_total_total, mart_double | " in line2 or \
        "skipped: mart_double, not_null_mart_total_total | " in line2

    # --run ID lists every node of that run, the failed one first, with its error.
    result = proj.elt("schedule", "--run", str(second["id"]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Run #2 of 'default' ((all)): error, started ")
    assert lines[1] == "6 node(s): 3 ok, 1 error, 2 skipped, 0 warn"
    table = lines[lines.index("") + 1:]
    table = table[:table.index("")]
    assert table[0].split() == ["status", "node", "relation", "time", "message"]
    assert table[1].split()[:3] == ["error", "model.mart_total", "gold.mart_total"]
    assert "nope" in table[1]
    assert sorted(row.split()[1] for row in table[2:4]) == ["model.mart_double", "test.not_null_mart_total_total"]
    assert all(row.startswith("skipped") for row in table[2:4])
    assert [row.split()[0] for row in table[4:]] == ["success"] * 3


#: a warning test (its block of sample rows printed after the errors) and a model failing with DuckDB's
#: message ending in a line of `^` under the culprit, with five models built on it.
WARNED_AND_BROKEN = {
    "seeds/base.csv": "id\n1\n2\n2\n",
    "models/marts/mart_ids.sql": "select id from {{ ref('base') }}\n",
    "models/marts/broken.sql": "select sum(nope) as total from {{ ref('mart_ids') }}\n",
    **{f"models/marts/after_{i}.sql": "select * from {{ ref('broken') }}\n" for i in range(1, 6)},
    "models/marts/_marts.yml": """\
        models:
          - name: mart_ids
            columns:
              - name: id
                data_tests:
                  - unique: {config: {severity: warn}}
        """,
}


def test_a_failed_run_shows_its_real_error_every_skipped_node_and_the_warnings(project):
    proj = project(WARNED_AND_BROKEN)
    result = proj.elt("schedule", "--every", "1", "--max-runs", "1")
    assert result.exit_code == 1, result.output
    # One summary line for the run: counts with the warning, the failed node's error (its meaningful
    # lines, not the `^^^^` DuckDB ends it with), where to read more. No warning block, no build output.
    [line] = [line for line in result.stdout.splitlines() if "run #1" in line]
    assert "run #1 default: error in " in line
    assert "9 nodes: 2 ok, 1 error, 5 skipped, 1 warn" in line
    assert '| broken: Binder Error: Referenced column "nope" not found in FROM clause!' in line
    assert "details: elt schedule --run 1" in line
    assert "failing rows" not in result.output and "^" not in result.output

    shown = proj.elt("schedule", "--run", "1")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[2] == ('message: broken: Binder Error: Referenced column "nope" not found in FROM clause! '
                        'Candidate bindings: "id" LINE 3: SUM(nope) AS total')
    start = lines.index("") + 1
    table = lines[start:lines.index("", start)]
    assert [row.split()[:2] for row in table[1:8]] == [
        ["error", "model.broken"], *([["skipped", f"model.after_{i}"] for i in range(1, 6)]),
        ["warn", "test.unique_mart_ids_id"]]
    assert 'Binder Error: Referenced column "nope" not found in FROM clause! Candidate bindings' in table[1]
    # Then the failure's whole message: the SQL line and the marker under the culprit.
    block = lines[lines.index("error in model.broken (gold.broken):"):]
    assert block[1:3] == ['  Binder Error: Referenced column "nope" not found in FROM clause!',
                          '  Candidate bindings: "id"']
    assert block[3].startswith("  LINE 3: ") and block[4].strip() == "^^^^"
    assert block[4].index("^") == block[3].index("nope")

    # --history: a column of warnings; the skipped nodes it leaves out are listed by --run.
    history = proj.elt("schedule", "--history").stdout.splitlines()
    assert history[0].split()[5:10] == ["nodes", "ok", "error", "skip", "warn"]
    assert history[1].split()[5:11] == ["error", "9", "2", "1", "5", "1"]
    assert "skipped: after_1, after_2, after_3 (+2 more: --run 1)" in history[1]


def test_an_unknown_run_is_an_error(project):
    proj = project(MODELS)
    assert proj.elt("schedule", "--every", "1", "--max-runs", "1").exit_code == 0
    result = proj.elt("schedule", "--run", "7")
    assert result.exit_code == 2
    assert "no run #7 in" in result.stderr and "Traceback" not in result.output


#: the history file as elt wrote it before it kept nodes (the first release's schema).
OLD_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, selection TEXT NOT NULL,
    scheduled_for TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
    exit_code INTEGER, nodes INTEGER, succeeded INTEGER, failed INTEGER, skipped INTEGER, warned INTEGER,
    message TEXT, scheduler_pid INTEGER NOT NULL
);
INSERT INTO runs VALUES (1, 'default', '(all)', '2024-01-01T02:00:00.000+00:00', '2024-01-01T02:00:00.100+00:00',
    '2024-01-01T02:00:03.100+00:00', 'error', 1, 4, 2, 1, 1, 0, 'ERROR table gold.mart_total', 4242);
"""


def test_a_history_file_of_an_older_elt_is_upgraded_in_place(project):
    proj = project(MODELS)
    (proj.root / "target").mkdir(exist_ok=True)
    with sqlite3.connect(proj.root / "target" / "schedule.sqlite") as con:
        con.executescript(OLD_SCHEMA)

    before = proj.elt("schedule", "--history")  # reading first: the table is added, the old row kept
    assert before.exit_code == 0, before.output
    [row] = before.stdout.strip().splitlines()[1:]
    assert row.split()[5:12] == ["error", "4", "2", "1", "1", "0", "(all)"]
    assert row.endswith("(all) | ERROR table gold.mart_total")
    assert proj.elt("schedule", "--every", "1", "--max-runs", "1").exit_code == 0
    old, new = history_rows(proj)
    assert (old["id"], old["status"], old["nodes"]) == (1, "error", 4)
    assert (new["id"], new["status"]) == (2, "success")
    assert node_rows(proj, 1) == {}
    assert set(node_rows(proj, 2).values()) == {"success"} and len(node_rows(proj, 2)) == 4

    result = proj.elt("schedule", "--run", "1")
    assert result.exit_code == 0, result.output
    assert "4 node(s): 2 ok, 1 error, 1 skipped, 0 warn" in result.stdout
    assert "no nodes recorded: this run was recorded by an elt that kept only node counts" in result.stdout
    assert "model.mart_total" in proj.elt("schedule", "--run", "2").stdout


def test_a_build_that_cannot_start_is_recorded_as_failed(project):
    proj = project({"models/marts/bad.sql": "select {{ undefined_thing }}\n"})
    result = proj.elt("schedule", "--every", "1", "--max-runs", "1")
    assert result.exit_code == 1, result.output
    [run] = history_rows(proj)
    assert (run["status"], run["exit_code"], run["nodes"]) == ("failed", 2, None)
    assert run["message"].startswith("Error:") and "undefined_thing" in run["message"]


def test_bad_schedule_config_is_reported_with_the_file(project):
    proj = project(MODELS, pyproject=PYPROJECT + '\n[tool.elt.schedule]\ncron = "0 25 * * *"\n')
    result = proj.elt("schedule")
    assert result.exit_code == 2
    assert "pyproject.toml: cron expression '0 25 * * *': hour field '25': 25 is out of range 0-23" in result.stderr
    assert "Traceback" not in result.output


def test_nothing_to_schedule(project):
    proj = project(MODELS)
    result = proj.elt("schedule")
    assert result.exit_code == 2
    assert "nothing to schedule" in result.stderr and "--every SECONDS" in result.stderr


# -- graceful stop (a real process receiving real signals) ---------------------------------------


def start_scheduler(proj, *args: str) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen([sys.executable, "-m", "elt", "schedule", "--project-dir", str(proj.root), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    return process, lines


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def running_runs(proj) -> int:
    try:
        return sum(r["status"] == "running" for r in history_rows(proj))
    except sqlite3.Error:
        return 0


def test_sigterm_during_a_run_lets_it_finish_then_stops(project):
    proj = project(MODELS)
    process, lines = start_scheduler(proj, "--every", "1")
    try:
        wait_for(lambda: (proj.root / "target" / "schedule.sqlite").exists() and running_runs(proj) == 1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    output = "".join(lines)
    assert "stopping after the run of 'default' in flight finishes" in output
    assert "Scheduler stopped after 1 run(s)." in output
    [run] = history_rows(proj)
    assert (run["status"], run["nodes"], run["succeeded"]) == ("success", 4, 4)
    assert proj.query("select total from gold.mart_total") == [(6,)]


def test_a_second_signal_interrupts_the_run_and_leaves_the_previous_table(project):
    proj = project(SLOW)
    assert proj.elt("build", "--vars", "{rows: 1}").exit_code == 0  # 9 million rows: quick
    process, lines = start_scheduler(proj, "--every", "1", "--vars", "{rows: 3000}", "--verbose")
    try:
        wait_for(lambda: any("START table gold.slow" in line for line in lines))
        process.send_signal(signal.SIGTERM)
        wait_for(lambda: any("stopping after the run" in line for line in lines))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    [run] = history_rows(proj)
    assert run["status"] == "interrupted" and run["ended_at"]
    assert run["message"].startswith("stopped by a second stop signal; last output:")
    # The interrupted build's table was never swapped in; no temporary relation is left behind.
    assert proj.query("select n from gold.slow") == [(9_000_000,)]
    assert set(proj.relations()) == {"raw.big", "gold.slow"}


def test_runs_left_running_by_a_dead_scheduler_are_closed(tmp_path: Path):
    history = History(tmp_path / "schedule.sqlite")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = history.start("default", "(all)", "2024-01-01T00:00:00", "2024-01-01T00:00:00")
    with sqlite3.connect(history.path) as con:
        con.execute("UPDATE runs SET scheduler_pid = ? WHERE id = ?", (dead.pid, run_id))
    mine = history.start("default", "(all)", "2024-01-01T00:00:01", "2024-01-01T00:00:01")
    assert history.close_abandoned("2024-01-01T00:01:00") == 1
    assert history.get(run_id).status == "interrupted"
    assert history.get(mine).status == "running"
    history.finish(mine, "2024-01-01T00:02:00", "success", 0, NodeCounts(3, 3, 0, 0, 0), "ok")
    assert [r.status for r in history.runs()] == ["interrupted", "success"]


# -- when jobs run -------------------------------------------------------------------------------


def scheduler_for(*jobs: Job, zone: dt.tzinfo = dt.UTC) -> Scheduler:
    return Scheduler(jobs, lambda job: [], History(Path("/nonexistent")), Path("/nonexistent"), None, zone=zone)


def test_a_cron_job_first_runs_at_its_next_tick():
    job = Job("default", cron=parse_cron("0 2 * * *"))
    now = dt.datetime(2024, 6, 1, 12, 0, 30, tzinfo=dt.UTC).timestamp()
    paris = dt.datetime.fromtimestamp(scheduler_for(job, zone=ZoneInfo("Europe/Paris"))._first_due(job, now),
                                      ZoneInfo("Europe/Paris"))
    assert paris.isoformat() == "2024-06-02T02:00:00+02:00"


def test_an_interval_job_runs_at_once_then_at_a_fixed_rate_dropping_missed_ticks():
    job = Job("default", every=10)
    scheduler = scheduler_for(job)
    assert scheduler._first_due(job, 1000.0) == 1000.0
    assert scheduler._next_due(job, 1000.0, 1000.5) == 1010.0
    assert scheduler._next_due(job, 1000.0, 1034.0) == 1040.0  # ticks 1010-1030 came during a long run


# -- which jobs run ------------------------------------------------------------------------------

CONFIG = ScheduleConfig(jobs=(Job("default", cron=parse_cron("0 2 * * *")),
                              Job("hourly", ("tag:hourly",), cron=parse_cron("0 * * * *"))))


def test_configured_jobs_run_on_their_crons():
    assert [(j.name, j.cron.expression) for j in resolve_jobs(CONFIG)] == [("default", "0 2 * * *"),
                                                                            ("hourly", "0 * * * *")]


def test_every_overrides_the_schedule_of_chosen_jobs():
    [job] = resolve_jobs(CONFIG, every=5, names=["hourly"])
    assert (job.name, job.select, job.every, job.cron) == ("hourly", ("tag:hourly",), 5, None)


def test_select_makes_one_job_on_the_project_cron():
    [job] = resolve_jobs(CONFIG, select=["stg_x+"])
    assert (job.name, job.select, job.cron.expression) == ("cli", ("stg_x+",), "0 2 * * *")


def test_every_without_configuration_runs_the_whole_project():
    [job] = resolve_jobs(ScheduleConfig(), every=2)
    assert (job.name, job.select, job.every) == ("default", (), 2)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"every": 1, "cron_text": "* * * * *"}, "--every and --cron both given"),
    ({"names": ["nightly"]}, "unknown schedule job(s): nightly"),
    ({"names": ["hourly"], "select": ["x"]}, "--job and --select both given"),
])
def test_conflicting_options(kwargs, message):
    with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_jobs(CONFIG, **kwargs)


def test_select_without_any_schedule():
    with pytest.raises(ProjectError, match="no schedule for --select"):
        resolve_jobs(ScheduleConfig(), select=["x"])


def test_schedule_config_errors(tmp_path: Path):
    def load(text: str) -> ScheduleConfig:
        (tmp_path / "pyproject.toml").write_text('[tool.elt]\nname = "p"\nprofile = "p"\n' + text)
        return load_schedule_config(tmp_path)

    assert load("").jobs == ()
    assert load('[tool.elt.schedule]\ncron = "@daily"\ntimezone = "Europe/Paris"\n').timezone == "Europe/Paris"
    for text, message in [
        ('[tool.elt.schedule]\ncorn = "0 2 * * *"\n', "unknown key(s) in [tool.elt.schedule]: corn"),
        ('[tool.elt.schedule]\nselect = "x"\n', "has `select` but no `cron`"),
        ('[tool.elt.schedule]\ncron = 2\n', "`cron` must be a string"),
        ('[tool.elt.schedule]\ncron = "@daily"\ntimezone = "Nowhere/Land"\n', "unknown time zone"),
        ('[tool.elt.schedule.jobs.a]\nselect = "x"\n', "[tool.elt.schedule.jobs.a] needs a `cron`"),
        ('[tool.elt.schedule.jobs.a]\ncron = "@daily"\nselect = 3\n', "`select` must be a list of strings"),
        ('[tool.elt.schedule.jobs.default]\ncron = "@daily"\n', "the name 'default' is the top-level cron's"),
    ]:
        with pytest.raises(ProjectError) as info:
            load(text)
        assert message in info.value.message, text
        assert info.value.path == str(tmp_path / "pyproject.toml")


def test_the_scheduler_process_imports_no_engine():
    code = "import sys, elt.orchestration.schedule_command; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
