"""`elt airflow generate`: the DAG file's tasks, edges and settings, read without Airflow.

The same files are loaded by a real Airflow in test_airflow_dagbag.py (marked `airflow`).
"""

from __future__ import annotations

import ast
import doctest
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import elt.orchestration.dag_file
import elt.orchestration.dag_spec
import elt.orchestration.settings
from tests.conftest import PYPROJECT

#: seeds, a source, views, an ephemeral model, tables, data tests of every kind (one reads two models).
PROJECT = {
    "seeds/customers.csv": "id,name\n1,Ada\n2,Alan\n",
    "models/staging/sources.yml": """\
        sources:
          - name: app
            schema: app
            tables:
              - name: events
                columns:
                  - name: id
                    data_tests: [not_null]
        """,
    "models/staging/stg_customers.sql": "select id, name from {{ ref('customers') }}\n",
    "models/staging/stg_events.sql": "select id, customer_id, kind from {{ source('app', 'events') }}\n",
    "models/intermediate/int_joined.sql": """\
        {{ config(materialized='ephemeral') }}
        select c.id as customer_id, e.kind
        from {{ ref('stg_customers') }} c join {{ ref('stg_events') }} e on e.customer_id = c.id
        """,
    "models/marts/mart_kinds.sql": "select customer_id, count(*) as n from {{ ref('int_joined') }} "
                                   "group by customer_id\n",
    "models/marts/mart_top.sql": """\
        select k.customer_id, c.name, k.n
        from {{ ref('mart_kinds') }} k join {{ ref('stg_customers') }} c on c.id = k.customer_id
        """,
    "models/_models.yml": """\
        models:
          - name: stg_customers
            columns:
              - name: id
                data_tests: [unique, not_null]
          - name: mart_top
            columns:
              - name: customer_id
                data_tests:
                  - relationships: {to: "ref('stg_customers')", field: id}
        """,
}


def dag_tasks(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """The TASKS literal of a generated file: 'group.task_id' -> (elt args, upstream ids)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "TASKS":
            return {f"{g}.{t}": (args, up) for g, t, args, up in ast.literal_eval(node.value)}
    raise AssertionError("no TASKS in the DAG file")


def file_constant(path: Path, name: str):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return node.value
    raise AssertionError(name)


def model_dag_edges(manifest: dict) -> set[tuple[str, str]]:
    """Independently of the generator: edges between seeds and non-ephemeral models, through
    ephemeral models and sources, as 'schema.name' task ids."""
    nodes = manifest["nodes"]

    def has_task(uid: str) -> bool:
        node = nodes[uid]
        return node["resource_type"] == "seed" or (
            node["resource_type"] == "model" and node["config"].get("materialized") != "ephemeral")

    def task_parents(uid: str) -> set[str]:
        found = set()
        for parent in manifest["parent_map"][uid]:
            found |= {parent} if has_task(parent) else task_parents(parent)
        return found

    def task_id(uid: str) -> str:
        return nodes[uid]["relation_name"]

    return {(task_id(p), task_id(c)) for c in nodes if has_task(c) for p in task_parents(c)}


def edges_of(tasks: dict[str, tuple[list[str], list[str]]]) -> set[tuple[str, str]]:
    return {(parent, child) for child, (_args, upstream) in tasks.items() for parent in upstream}


@pytest.mark.parametrize("module", [elt.orchestration.dag_spec, elt.orchestration.dag_file,
                                    elt.orchestration.settings])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_without_test_tasks_the_edges_are_the_model_dag(project):
    proj = project(PROJECT, pyproject=PYPROJECT + '\n[tool.elt.airflow]\ntests = "none"\n')
    result = proj.elt("airflow", "generate")
    assert result.exit_code == 0, result.output
    path = proj.root / "dags" / "elt_test_project.py"
    assert f"Wrote DAG 'elt_test_project' to {path}: 5 task(s) (4 model, 1 seed) in 3 group(s)" in result.stdout
    tasks = dag_tasks(path)
    assert set(tasks) == {"raw.customers", "bronze.stg_customers", "bronze.stg_events", "gold.mart_kinds",
                          "gold.mart_top"}  # no task for the ephemeral int_joined nor the source
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    assert edges_of(tasks) == model_dag_edges(manifest) == {
        ("raw.customers", "bronze.stg_customers"),
        ("bronze.stg_customers", "gold.mart_kinds"),  # through the ephemeral model
        ("bronze.stg_events", "gold.mart_kinds"),
        ("gold.mart_kinds", "gold.mart_top"),
        ("bronze.stg_customers", "gold.mart_top"),
    }
    assert tasks["raw.customers"][0] == ["seed", "--select", "customers", "--wait"]
    assert tasks["gold.mart_top"][0] == ["run", "--select", "mart_top", "--wait"]
    compile(path.read_text(), str(path), "exec")


def test_test_tasks_gate_dependants_by_default(project):
    proj = project(PROJECT)
    assert proj.elt("airflow", "generate").exit_code == 0
    tasks = dag_tasks(proj.root / "dags" / "elt_test_project.py")
    assert tasks["bronze.stg_customers_test"] == (
        ["test", "--data", "--select", "not_null_stg_customers_id unique_stg_customers_id", "--wait"],
        ["bronze.stg_customers"])
    # The source's test runs after nothing elt builds and gates the model reading the source.
    assert tasks["app.source_app_events_test"] == (["test", "--data", "--select", "not_null_app_events_id", "--wait"],
                                                     [])
    assert tasks["bronze.stg_events"][1] == ["app.source_app_events_test"]
    # Dependants wait for the tests of what they read.
    assert tasks["gold.mart_kinds"][1] == ["bronze.stg_customers_test", "bronze.stg_events"]
    # The relationships test reads mart_top and stg_customers: hosted by mart_top, the later of the two.
    assert tasks["gold.mart_top_test"] == (
        ["test", "--data", "--select", "relationships_mart_top_customer_id", "--wait"],
        ["bronze.stg_customers_test", "gold.mart_top"])


def test_test_tasks_after_do_not_gate(project):
    proj = project(PROJECT, pyproject=PYPROJECT + '\n[tool.elt.airflow]\ntests = "after"\n')
    assert proj.elt("airflow", "generate").exit_code == 0
    tasks = dag_tasks(proj.root / "dags" / "elt_test_project.py")
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    run_tasks = {k: v for k, v in tasks.items() if v[0][0] != "test"}
    assert edges_of(run_tasks) == model_dag_edges(manifest)
    assert tasks["bronze.stg_customers_test"][1] == ["bronze.stg_customers"]


def test_settings_reach_the_file(project):
    pyproject = PYPROJECT + """
[tool.elt.schedule]
cron = "0 2 * * *"
timezone = "Europe/Paris"

[tool.elt.airflow]
dag_id = "school_nightly"
tags = ["nightly"]
start_date = 2025-03-01
max_active_tasks = 1
project_dir = "/opt/elt/project"
elt_executable = "/opt/elt/venv/bin/elt"

[tool.elt.airflow.default_args]
owner = "data-team"
retries = 2
retry_delay = "5m"
email = ["oncall@example.com"]
email_on_failure = true
"""
    proj = project(PROJECT, pyproject=pyproject)
    result = proj.elt("airflow", "generate", "--output", str(proj.root / "out" / "nightly.py"))
    assert result.exit_code == 0, result.output
    assert "schedule 0 2 * * *" in result.stdout
    path = proj.root / "out" / "nightly.py"
    text = path.read_text()
    assert "dag_id='school_nightly'" in text
    assert "schedule=CronDataIntervalTimetable('0 2 * * *', timezone=TIMEZONE)" in text
    assert ast.literal_eval(file_constant(path, "TIMEZONE")) == "Europe/Paris"
    assert "start_date=pendulum.datetime(2025, 3, 1, tz=TIMEZONE)" in text
    assert "max_active_tasks=1," in text and "tags=['elt', 'test_project', 'nightly']" in text
    assert 'os.environ.get("ELT_PROJECT_DIR", \'/opt/elt/project\')' in text
    assert 'os.environ.get("ELT_EXECUTABLE", \'/opt/elt/venv/bin/elt\')' in text
    assert ast.unparse(file_constant(path, "DEFAULT_ARGS")) == (
        "{'owner': 'data-team', 'retries': 2, 'retry_delay': datetime.timedelta(seconds=300.0), "
        "'email': ['oncall@example.com'], 'email_on_failure': True}")


def test_vars_and_target_are_passed_to_every_task(project):
    profiles = """\
        test:
          target: dev
          outputs:
            dev: {type: duckdb, path: target/test.duckdb}
            prod: {type: duckdb, path: target/prod.duckdb}
        """
    proj = project(PROJECT, profiles=profiles)
    result = proj.elt("airflow", "generate", "--target", "prod", "--vars", "{day: '2024-01-01'}")
    assert result.exit_code == 0, result.output
    path = proj.root / "dags" / "elt_test_project.py"
    assert ast.unparse(file_constant(path, "PROJECT_ARGS")) == (
        "['--project-dir', PROJECT_DIR, '--target', 'prod', '--vars', \"{day: '2024-01-01'}\"]")


def test_a_fresh_manifest_is_reused_and_a_stale_one_recompiled(project):
    proj = project(PROJECT)
    assert "reused" not in proj.elt("airflow", "generate").stdout  # no manifest yet: compiled
    assert "reused target/manifest.json" in proj.elt("airflow", "generate").stdout
    time.sleep(0.01)
    proj.write({"models/marts/mart_new.sql": "select * from {{ ref('mart_top') }}\n"})
    later = time.time() + 1
    os.utime(proj.root / "models/marts/mart_new.sql", (later, later))
    result = proj.elt("airflow", "generate")
    assert "reused" not in result.stdout
    assert "gold.mart_new" in dag_tasks(proj.root / "dags" / "elt_test_project.py")


def test_a_manifest_of_another_target_is_not_reused(project):
    profiles = """\
        test:
          target: dev
          outputs:
            dev: {type: duckdb, path: target/test.duckdb}
            prod: {type: duckdb, path: target/prod.duckdb}
        """
    proj = project(PROJECT, profiles=profiles)
    proj.elt("compile")
    assert "reused" in proj.elt("airflow", "generate").stdout
    assert "reused" not in proj.elt("airflow", "generate", "--target", "prod").stdout


def test_the_file_is_replaced_whole(project):
    proj = project(PROJECT)
    proj.elt("airflow", "generate")
    folder = proj.root / "dags"
    assert [p.name for p in folder.iterdir()] == ["elt_test_project.py"]  # no temporary file left


@pytest.mark.parametrize(("table", "message"), [
    ('[tool.elt.airflow]\ntest = "gate"\n', "unknown key(s) in [tool.elt.airflow]: test"),
    ('[tool.elt.airflow]\ntests = "sometimes"\n', "`tests` must be one of gate, after, none"),
    ('[tool.elt.airflow.default_args]\nretires = 3\n', "unknown key(s) in [tool.elt.airflow].default_args: retires"),
    ('[tool.elt.airflow.default_args]\nretry_delay = "soon"\n', "`retry_delay` must be a duration"),
    ('[tool.elt.airflow.default_args]\nretries = "2"\n', "`retries` must be a non-negative integer"),
    ('[tool.elt.airflow]\ndag_id = "my dag"\n', "`dag_id` 'my dag' may only hold"),
    ('[tool.elt.airflow]\nstart_date = "soon"\n', "`start_date` must be a date"),
    ('[tool.elt.schedule]\ncron = "0 2 * *"\n', "cron expression '0 2 * *' has 4 field(s), not 5"),
])
def test_config_errors_name_pyproject(project, table, message):
    proj = project(PROJECT, pyproject=PYPROJECT + "\n" + table)
    result = proj.elt("airflow", "generate")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "pyproject.toml" in result.stderr and "Traceback" not in result.output


def test_a_task_id_clash_is_an_error(project):
    proj = project({**PROJECT, "models/staging/stg_customers_test.sql": "select 1 as x\n"})
    result = proj.elt("airflow", "generate")
    assert result.exit_code == 2
    assert "two Airflow tasks would get the id 'bronze.stg_customers_test'" in result.stderr


def test_the_generated_file_imports_nothing_from_elt(project):
    proj = project(PROJECT)
    proj.elt("airflow", "generate")
    tree = ast.parse((proj.root / "dags" / "elt_test_project.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module}
    assert imported == {"__future__", "datetime", "os", "shlex", "pendulum", "airflow"}


#: every task of its DAG succeeds on DuckDB (PROJECT reads a source no one loads).
RUNNABLE = {
    "seeds/customers.csv": "id,name\n1,Ada\n2,Alan\n",
    "macros/upper.sql": "{% macro shout(col) %}upper({{ col }}){% endmacro %}\n",
    "models/staging/stg_customers.sql": "select id, {{ shout('name') }} as name from {{ ref('customers') }}\n",
    "models/marts/mart_names.sql":
        "select id, name from {{ ref('stg_customers') }} where id > {{ var('min_id', 0) }}\n",
    "models/_models.yml": """\
        models:
          - name: stg_customers
            columns:
              - name: id
                data_tests: [unique, not_null]
          - name: mart_names
            columns:
              - name: id
                data_tests:
                  - relationships: {to: "ref('stg_customers')", field: id}
        """,
}
COMPILE_LINE = re.compile(r"debug elt\.cli\.invocation: compiled \d+ node\(s\): (\d+) file\(s\) rendered "
                          r"\(\d+ from the cache\), (\d+) generic test\(s\) rendered \(\d+ from the cache\), "
                          r"(\d+) query\(ies\) parsed")


def run_task(proj, args: list[str]) -> tuple[int, int, int]:
    """Run a task's command as the DAG does (a new process, with PROJECT_ARGS) plus --debug; returns
    what its compile rendered, test-rendered and parsed (not taken from the cache)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "elt", *args, "--project-dir", str(proj.root), "--target", "dev",
                           "--vars", "{min_id: 1}", "--debug"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = COMPILE_LINE.search(done.stderr)
    assert found, done.stderr
    return tuple(int(n) for n in found.groups())  # type: ignore[return-value]


def test_tasks_after_generate_render_and_parse_nothing(project):
    proj = project(RUNNABLE)
    result = proj.elt("airflow", "generate", "--vars", "{min_id: 1}")
    assert result.exit_code == 0, result.output
    tasks = dag_tasks(proj.root / "dags" / "elt_test_project.py")
    assert [args[0] for args, _ in tasks.values()] == ["seed", "run", "test", "run", "test"]
    for args, _upstream in tasks.values():  # in dependency order, as Airflow would run them
        assert run_task(proj, args) == (0, 0, 0), args
    assert proj.query("select name from gold.mart_names") == [("ALAN",)]
    # Not a vacuous count: a changed file is rendered (and parsed) again, and only that one.
    proj.write({"models/marts/mart_names.sql": "select id, name from {{ ref('stg_customers') }}\n"})
    assert run_task(proj, tasks["gold.mart_names"][0]) == (1, 0, 1)


def unused_imports(path: Path) -> set[str]:
    """Names the file imports and never uses (what pyflakes' F401 would report)."""
    tree = ast.parse(path.read_text())
    imported = {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom) and not (
                    isinstance(node, ast.ImportFrom) and node.module == "__future__")
                for alias in node.names}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return imported - used


def test_defaults_when_nothing_is_configured(project):
    proj = project(PROJECT)
    assert proj.elt("airflow", "generate").exit_code == 0
    path = proj.root / "dags" / "elt_test_project.py"
    # An owner, and two retries 5 minutes apart (Airflow's defaults: owner "airflow", no retry).
    assert ast.unparse(file_constant(path, "DEFAULT_ARGS")) == (
        "{'owner': 'elt', 'retries': 2, 'retry_delay': datetime.timedelta(seconds=300.0)}")
    assert unused_imports(path) == set()
    text = path.read_text()
    assert "schedule=None" in text and "CronDataIntervalTimetable" not in text and "BACKFILL" not in text
    # The DAG's page in Airflow: a few lines for a person, not the module's docstring.
    doc = ast.literal_eval(file_constant(path, "DOC_MD"))
    assert "doc_md=DOC_MD" in text and len(doc.splitlines()) <= 15
    assert doc.startswith("### elt project `test_project` (target `dev`)\n")
    assert "1 seed, 4 models, 3 tests, one TaskGroup per schema" in doc
    assert "- Schedule: none: manual runs only." in doc


def test_configured_default_args_override_the_defaults_one_by_one(project):
    pyproject = PYPROJECT + '\n[tool.elt.airflow.default_args]\nowner = "data-team"\nemail_on_failure = true\n'
    proj = project(PROJECT, pyproject=pyproject)
    assert proj.elt("airflow", "generate").exit_code == 0
    path = proj.root / "dags" / "elt_test_project.py"
    assert ast.unparse(file_constant(path, "DEFAULT_ARGS")) == (
        "{'owner': 'data-team', 'retries': 2, 'retry_delay': datetime.timedelta(seconds=300.0), "
        "'email_on_failure': True}")


#: events of three days, and a model loading them a day at a time (elt's backfill in batches).
DAILY = {
    "seeds/events.csv": "event_id,dt,amount\n1,2024-06-01,10\n2,2024-06-02,20\n3,2024-06-03,5\n",
    "models/marts/daily.sql": """\
        {{ config(materialized='incremental', partition_by=['dt'], batch_size='day') }}
        select sum(amount) as amount, count(*) as events, dt from {{ ref('events') }}
        {% if var('start', none) %}where dt between '{{ var("start") }}' and '{{ var("end") }}'{% endif %}
        group by dt
        """,
    "models/marts/total.sql": "select sum(amount) as amount from {{ ref('daily') }}\n",
}
DAILY_PYPROJECT = PYPROJECT + '\n[tool.elt.schedule]\ncron = "0 2 * * *"\ntimezone = "Europe/Paris"\n'


def backfill_window_of(path: Path):
    """The DAG file's backfill_window function, run here without Airflow (it needs only the stdlib)."""
    import datetime
    from zoneinfo import ZoneInfo

    tree = ast.parse(path.read_text())
    [function] = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "backfill_window"]
    namespace = {"datetime": datetime, "ZoneInfo": ZoneInfo,
                 "TIMEZONE": ast.literal_eval(file_constant(path, "TIMEZONE"))}
    exec(compile(ast.Module([function], []), str(path), "exec"), namespace)
    return namespace["backfill_window"]


def test_models_with_batch_size_take_airflows_data_interval_as_their_window(project):
    import datetime as dt
    from zoneinfo import ZoneInfo

    proj = project(DAILY, pyproject=DAILY_PYPROJECT)
    assert proj.elt("airflow", "generate").exit_code == 0
    path = proj.root / "dags" / "elt_test_project.py"
    assert ast.literal_eval(file_constant(path, "BACKFILL")) == {"gold.daily"}  # not total, no batch_size
    assert dag_tasks(path)["gold.daily"][0] == ["run", "--select", "daily", "--wait"]
    text = path.read_text()
    assert "user_defined_macros={\"backfill_window\": backfill_window}," in text
    assert ast.literal_eval(file_constant(path, "WINDOW")) == (
        "{{ backfill_window(data_interval_start, data_interval_end) }}")
    assert unused_imports(path) == set()
    assert "`daily`; `airflow dags backfill` loads past days." in ast.literal_eval(file_constant(path, "DOC_MD"))

    window = backfill_window_of(path)
    paris, utc = ZoneInfo("Europe/Paris"), dt.UTC
    # Airflow's interval excludes its end; elt's --end is the last day loaded, included.
    # The nightly run at 02:00 (Paris) covers the day before: its interval ends at 02:00, not at midnight.
    assert window(dt.datetime(2024, 6, 1, 0, tzinfo=utc), dt.datetime(2024, 6, 2, 0, tzinfo=utc)) == (
        "--start 2024-06-01 --end 2024-06-01")  # 02:00 to 02:00 in Paris
    # Days are the DAG's time zone's: midnight to midnight in Paris is 22:00 to 22:00 UTC.
    assert window(dt.datetime(2024, 5, 31, 22, tzinfo=utc), dt.datetime(2024, 6, 1, 22, tzinfo=utc)) == (
        "--start 2024-06-01 --end 2024-06-01")
    assert window(dt.datetime(2024, 6, 3, tzinfo=paris), dt.datetime(2024, 6, 10, tzinfo=paris)) == (
        "--start 2024-06-03 --end 2024-06-09")  # a week
    assert window(dt.datetime(2024, 6, 3, 5, tzinfo=paris), dt.datetime(2024, 6, 3, 6, tzinfo=paris)) == (
        "--start 2024-06-03 --end 2024-06-03")  # an hour: its day
    # No interval (a manual run of a DAG without schedule): no window, the model loads as `elt run` does.
    moment = dt.datetime(2024, 6, 3, 5, tzinfo=paris)
    assert window(moment, moment) == "" and window(None, None) == ""
