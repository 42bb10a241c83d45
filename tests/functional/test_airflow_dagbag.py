"""The generated DAG loaded by a real Apache Airflow (DagBag), and run by `airflow dags test`.

Airflow lives in its own venv (scripts/airflow-test-env creates it); these tests run
tests/airflow/check_dag.py with its interpreter, named by ELT_AIRFLOW_PYTHON. Without it they are
skipped, except in CI (CI=true), where a missing Airflow is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PYPROJECT
from tests.functional.test_airflow_generate import DAILY, DAILY_PYPROJECT, PROJECT, model_dag_edges

pytestmark = pytest.mark.airflow

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "airflow" / "check_dag.py"
DEMO_PARTS = ("models", "macros", "seeds", "data_tests", "pyproject.toml", "profiles.yml")


@pytest.fixture(scope="session")
def airflow_python() -> str:
    python = os.environ.get("ELT_AIRFLOW_PYTHON")
    if python and Path(python).is_file():
        return python
    reason = ("no Airflow: set ELT_AIRFLOW_PYTHON to the python of a venv with apache-airflow "
              "(scripts/airflow-test-env creates one and prints it)")
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    return {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}


@pytest.fixture(scope="module")
def airflow_home(airflow_python, tmp_path_factory) -> Path:
    """An Airflow home with its database migrated, shared by the tests that run `airflow dags test`
    (each with its own dags folder): migrating takes a good part of such a test's time."""
    home = tmp_path_factory.mktemp("airflow-home")
    airflow = Path(airflow_python).parent / "airflow"
    env = airflow_env(home, home / "dags")
    migrate = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, env=env, timeout=300)
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
    return home


def dags_test(airflow_python: str, home: Path, dags: Path, dag_id: str, *args: str) -> str:
    """`airflow dags test DAG_ID ARGS...` with the elt of this venv; returns its log (asserting success)."""
    airflow = Path(airflow_python).parent / "airflow"
    elt = Path(sys.executable).parent / "elt"  # the elt of the venv running the tests
    env = {**airflow_env(home, dags), "ELT_EXECUTABLE": str(elt)}
    done = subprocess.run([str(airflow), "dags", "test", dag_id, *args], capture_output=True, text=True, env=env,
                          timeout=900)
    log = done.stdout + done.stderr
    saved = dags.parent / f"dags-test-{len(list(dags.parent.glob('dags-test-*.log')))}.log"
    saved.write_text(log)
    failed = [line for line in log.splitlines() if "ERROR" in line or "Error:" in line or "command not found" in line]
    assert done.returncode == 0, "\n".join(failed[:20]) + f"\n(full log: {saved})"
    assert "state=success" in log or "DagRun Finished" in log
    return log


def load_dagbag(python: str, path: Path, tmp_path: Path) -> dict:
    out = tmp_path / "dagbag.json"
    done = subprocess.run([python, str(CHECK), str(path), str(out)], capture_output=True, text=True,
                          env=airflow_env(tmp_path / "airflow-home", path.parent), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def airflow_edges(dag: dict) -> set[tuple[str, str]]:
    return {(parent, task_id) for task_id, task in dag["tasks"].items() for parent in task["upstream"]}


def gated_dag(manifest: dict, host_of: Callable[[str, list[str]], str]) -> dict[str, tuple[str, tuple, set[str]]]:
    """Independently of the generator, from each node's depends_on in target/manifest.json: the tasks of
    the DAG with tests = "gate", as task id -> (TaskGroup, elt arguments, upstream task ids).

    A seed or non-ephemeral model is a task `<schema>.<name>`; the tests of a node are a task
    `<schema>.<name>_test` (`<schema>.source_<source>_<table>_test` for a source) which the node's
    dependants wait for; ephemeral models and sources pass their own parents on. A test runs with its
    input that no other of its inputs descends from; `host_of(test, candidates)` picks among several.
    """
    nodes = manifest["nodes"]
    parents = {uid: [p for p in node["depends_on"]["nodes"] if p in nodes] for uid, node in nodes.items()}

    @functools.cache
    def ancestors(uid: str) -> frozenset[str]:
        return frozenset(parents[uid]).union(*(ancestors(p) for p in parents[uid]))

    hosted: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if node["resource_type"] == "test":
            inputs = parents[uid]
            candidates = [i for i in inputs if not any(i in ancestors(other) for other in inputs)]
            assert candidates, f"{uid} reads no node"
            hosted.setdefault(host_of(uid, candidates), []).append(uid)

    def has_task(uid: str) -> bool:
        node = nodes[uid]
        return node["resource_type"] == "seed" or (
            node["resource_type"] == "model" and node["config"].get("materialized") != "ephemeral")

    def group(uid: str) -> str:
        return nodes[uid]["relation_name"].rsplit(".", 1)[0]

    def test_task(uid: str) -> str:
        node = nodes[uid]
        name = "source_" + "_".join(node["fqn"]) if node["resource_type"] == "source" else node["name"]
        return f"{group(uid)}.{name}_test"

    def ready(uid: str) -> set[str]:
        """What a dependant of `uid` waits for."""
        if uid in hosted:
            return {test_task(uid)}
        if has_task(uid):
            return {f"{group(uid)}.{nodes[uid]['name']}"}
        return set().union(*(ready(p) for p in parents[uid]))

    tasks: dict[str, tuple[str, tuple, set[str]]] = {}
    for uid, node in nodes.items():
        if has_task(uid):
            command = "seed" if node["resource_type"] == "seed" else "run"
            tasks[f"{group(uid)}.{node['name']}"] = (group(uid), (command, "--select", node["name"], "--wait"),
                                                     set().union(*(ready(p) for p in parents[uid])))
    for host, tests in hosted.items():
        upstream = {f"{group(host)}.{nodes[host]['name']}"} if has_task(host) else set().union(
            *(ready(p) for p in parents[host]))
        for test in tests:
            upstream |= set().union(*(ready(p) for p in parents[test] if p != host))
        names = frozenset(nodes[test]["name"] for test in tests)
        tasks[test_task(host)] = (group(host), ("test", "--data", "--select", names, "--wait"), upstream)
    return tasks


def seen_by_airflow(dag: dict) -> dict[str, tuple[str, tuple, set[str]]]:
    """The DagBag's tasks in gated_dag's terms (a test task's selection as a set of test names)."""
    tasks = {}
    for task_id, task in dag["tasks"].items():
        words = shlex.split(task["bash_command"])
        args = words[1:words.index("--wait") + 1]
        if args[0] == "test":
            args[3] = frozenset(args[3].split())
        tasks[task_id] = (task["group"], tuple(args), set(task["upstream"]))
    return tasks


def expected_from_manifest(manifest: dict, seen: dict[str, tuple[str, tuple, set[str]]]) -> dict:
    """gated_dag of `manifest`. Where a test has several possible hosts (a relationships test between
    unrelated models), which one the generator chose is read from Airflow's tasks (`seen`); the
    comparison then checks it ran the test there, and that it was one of the candidates."""
    nodes = manifest["nodes"]
    runs_test = {name: task_id for task_id, (_group, args, _up) in seen.items() if args[0] == "test"
                 for name in args[3]}

    def host_of(test: str, candidates: list[str]) -> str:
        task_id = runs_test.get(nodes[test]["name"], "")
        picked = [c for c in candidates if task_id.endswith(f".{nodes[c]['name']}_test")]
        return picked[0] if len(candidates) > 1 and picked else candidates[0]

    return gated_dag(manifest, host_of)


def test_dagbag_loads_the_tasks_and_edges_of_the_manifest(project, airflow_python, tmp_path):
    proj = project(PROJECT, pyproject=PYPROJECT + '\n[tool.elt.airflow]\ntests = "none"\n')
    assert proj.elt("airflow", "generate").exit_code == 0
    path = proj.root / "dags" / "elt_test_project.py"
    bag = load_dagbag(airflow_python, path, tmp_path)
    assert bag["import_errors"] == {}
    dag = bag["dags"]["elt_test_project"]
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    assert airflow_edges(dag) == model_dag_edges(manifest)
    assert set(dag["tasks"]) == {"raw.customers", "bronze.stg_customers", "bronze.stg_events",
                                 "gold.mart_kinds", "gold.mart_top"}
    assert {t: task["group"] for t, task in dag["tasks"].items()}["gold.mart_top"] == "gold"
    assert dag["tasks"]["gold.mart_top"]["bash_command"] == (
        f"elt run --select mart_top --wait --project-dir {proj.root} --target dev")


def test_dagbag_sees_test_tasks_schedule_and_default_args(project, airflow_python, tmp_path):
    pyproject = PYPROJECT + """
[tool.elt.schedule]
cron = "30 2 * * mon-fri"
timezone = "Europe/Paris"

[tool.elt.airflow.default_args]
owner = "data-team"
retries = 2
retry_delay = "5m"
email_on_failure = false
"""
    proj = project(PROJECT, pyproject=pyproject)
    assert proj.elt("airflow", "generate").exit_code == 0
    path = proj.root / "dags" / "elt_test_project.py"
    bag = load_dagbag(airflow_python, path, tmp_path)
    assert bag["import_errors"] == {}
    dag = bag["dags"]["elt_test_project"]
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    seen = seen_by_airflow(dag)
    assert seen == expected_from_manifest(manifest, seen)  # test tasks as gates, from the manifest
    assert "gold.mart_top_test" in dag["tasks"] and "app.source_app_events_test" in dag["tasks"]
    assert dag["schedule"] == "30 2 * * mon-fri"
    assert dag["timezone"] in ("Europe/Paris", "Timezone('Europe/Paris')")
    assert dag["default_args"]["retries"] == 2 and dag["default_args"]["retry_delay"] == 300.0
    assert {(t["owner"], t["retries"]) for t in dag["tasks"].values()} == {("data-team", 2)}
    assert (dag["catchup"], dag["max_active_runs"], dag["tags"]) == (False, 1, ["elt", "test_project"])


def demo_copy(tmp_path: Path) -> Path:
    demo = tmp_path / "demo"
    demo.mkdir()
    for part in DEMO_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, demo / part)
        elif source.is_file():
            shutil.copy2(source, demo / part)
    return demo


def test_dagbag_loads_the_demo(airflow_python, tmp_path):
    """Airflow's view of the demo's DAG is what target/manifest.json says, with test tasks as gates."""
    from click.testing import CliRunner

    from elt.cli import cli

    demo = demo_copy(tmp_path)
    output = tmp_path / "dags" / "elt_school.py"
    result = CliRunner().invoke(cli, ["airflow", "generate", "--project-dir", str(demo), "--output", str(output)])
    assert result.exit_code == 0, result.output
    bag = load_dagbag(airflow_python, output, tmp_path)
    assert bag["import_errors"] == {}
    seen = seen_by_airflow(bag["dags"]["elt_school"])
    manifest = json.loads((demo / "target" / "manifest.json").read_text())

    expected = expected_from_manifest(manifest, seen)
    assert set(seen) == set(expected)
    for task_id in sorted(expected):
        assert seen[task_id] == expected[task_id], task_id
    # The demo has what the mapping must get right: ephemeral models, tests on sources.
    assert any(".source_" in t for t in seen)
    assert any(n["config"].get("materialized") == "ephemeral" for n in manifest["nodes"].values())
    assert {"raw", "bronze", "silver", "gold"} <= {group for group, _a, _u in seen.values()}


def test_airflow_dags_test_runs_the_demo(airflow_python, airflow_home, tmp_path):
    """Airflow runs every task of the demo's DAG (each an elt command) against DuckDB, in order.
    About 30 s with Airflow 3.3 (70 s with 3.1): one task at a time, each an `elt` process."""
    from click.testing import CliRunner

    from elt.cli import cli

    demo = demo_copy(tmp_path)
    dags = tmp_path / "dags"
    result = CliRunner().invoke(cli, ["airflow", "generate", "--project-dir", str(demo),
                                      "--output", str(dags / "elt_school.py")])
    assert result.exit_code == 0, result.output
    start = time.monotonic()
    dags_test(airflow_python, airflow_home, dags, "elt_school")
    print(f"airflow dags test: {time.monotonic() - start:.0f}s")
    import duckdb

    with duckdb.connect(str(demo / "target" / "school.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from gold.mart_course_monthly_scores").fetchone()[0] > 0


def test_airflow_dags_test_loads_the_day_of_each_runs_data_interval(project, airflow_python, airflow_home):
    """A model with batch_size, run by Airflow for two logical dates: each run loads its data interval's
    day, as `elt run --start DAY --end DAY` would, and no other. The DAG runs nightly at 02:00 in Paris;
    `airflow dags test` gives a logical date the interval that ends there: the run of 2024-06-02 02:00
    covers [06-01 02:00, 06-02 02:00), the day 2024-06-01. Both runs in one Airflow process
    (tests/airflow/run_dag.py): about 35 s, most of it Airflow's start."""
    files = {path: text for path, text in DAILY.items() if "total" not in path}  # the seed and the model
    proj = project(files, pyproject=DAILY_PYPROJECT + '\n[tool.elt.airflow]\nmax_active_tasks = 1\n')
    assert proj.elt("airflow", "generate").exit_code == 0
    database = proj.root / "target" / "test.duckdb"
    elt = Path(sys.executable).parent / "elt"  # the elt of the venv running the tests
    env = {**airflow_env(airflow_home, proj.root / "dags"), "ELT_EXECUTABLE": str(elt)}
    start = time.monotonic()
    done = subprocess.run([airflow_python, str(ROOT / "tests" / "airflow" / "run_dag.py"), "elt_test_project",
                           str(database), "2024-06-02T02:00:00+02:00", "2024-06-03T02:00:00+02:00"],
                          capture_output=True, text=True, env=env, timeout=600)
    log = done.stdout + done.stderr
    (proj.root / "dags-test.log").write_text(log)
    assert done.returncode == 0, f"{log[-3000:]}\n(full log: {proj.root / 'dags-test.log'})"
    print(f"airflow dags test, two dates: {time.monotonic() - start:.0f}s")
    # The commands Airflow rendered: the data interval as elt's window, each day once.
    # (Airflow 2 logs each task line twice, through two handlers: each command is counted once.)
    commands = list(dict.fromkeys(line.split("Running command:", 1)[1] for line in log.splitlines()
                                  if "Running command:" in line and "elt run --select daily" in line))
    assert [re.findall(r"--start (\S+) --end ([\w-]+)", line) for line in commands] == [
        [("2024-06-01", "2024-06-01")], [("2024-06-02", "2024-06-02")]]
    import duckdb

    loaded = []
    for number in (1, 2):
        with duckdb.connect(f"{database}.{number}", read_only=True) as con:
            loaded.append(sorted(con.execute("select cast(dt as varchar), amount, events from gold.daily").fetchall()))
    assert loaded == [[("2024-06-01", 10, 1)], [("2024-06-01", 10, 1), ("2024-06-02", 20, 1)]]
