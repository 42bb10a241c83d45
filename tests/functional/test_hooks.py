"""pre_hook / post_hook and on-run-start / on-run-end on real DuckDB: accumulated in dbt's order,
rendered at build time, translated from the project's Hive SQL, failures keeping the previous table."""

from __future__ import annotations

import json

from tests.conftest import PYPROJECT

AUDIT = "create table if not exists main.audit (what string, n bigint)"


def audit(text: str) -> str:
    """A hook appending `text` to main.audit, numbered in the order the hooks ran."""
    return f"insert into main.audit select concat('{text}'), count(*) from main.audit"


def project_with_hooks(pyproject_extra: str = "") -> str:
    return PYPROJECT.replace('[tool.elt.seeds]', f'on-run-start = ["{AUDIT}"]\n{pyproject_extra}\n[tool.elt.seeds]')


def rows(proj, where: str = "") -> list[str]:
    return [r[0] for r in proj.query(f"select what from main.audit {where} order by n")]


def test_hooks_from_every_level_accumulate_in_dbts_order(project):
    pyproject = project_with_hooks().replace(
        "[tool.elt.models.marts]\n",
        f'[tool.elt.models.marts]\npre_hook = ["{audit("marts pre {{ this }}")}"]\n'
        f'post_hook = "{audit("marts post {{ this.identifier }}")}"\n',
    ).replace("[tool.elt.seeds]", f'[tool.elt.models]\npre_hook = "{audit("root pre")}"\n\n[tool.elt.seeds]')
    proj = project({
        "models/marts/m.sql": f"""\
            {{{{ config(pre_hook="{audit("file pre {{ this }} {{ target.name }}")}") }}}}
            {{{{ config(pre_hook=["{audit("file pre 2")}"]) }}}}
            select 1 as x
        """,
        "models/marts/m.yml": f"""\
            models:
              - name: m
                config:
                  pre_hook: "{audit("yml pre")}"
                  post-hook: ["{audit("yml post {{ var('v', 'none') }}")}"]
        """,
    }, pyproject=pyproject)
    result = proj.elt("run", "--vars", "{v: seven}")
    assert result.exit_code == 0, result.output
    assert rows(proj) == ["root pre", "marts pre gold.m", "yml pre", "file pre gold.m dev", "file pre 2",
                          "marts post m", "yml post seven"]
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    assert len(manifest["nodes"]["model.m"]["config"]["pre_hook"]) == 5
    # Again, with the renders taken from the compile cache: the same hooks, once each.
    assert proj.elt("run", "--vars", "{v: seven}").exit_code == 0
    assert rows(proj, "where n >= 7") == ["root pre", "marts pre gold.m", "yml pre", "file pre gold.m dev",
                                          "file pre 2", "marts post m", "yml post seven"]


def test_post_hook_sees_the_built_relation_and_seeds_have_hooks(project):
    proj = project({
        "seeds/nums.csv": "n\n1\n2\n3\n",
        "seeds/nums.yml": f"""\
            seeds:
              - name: nums
                config:
                  post_hook: "{audit("seed rows {{ this }}")}"
        """,
        "models/marts/m.sql": """\
            {{ config(post_hook="insert into main.audit select concat('built ', cast(count(*) as string)), 99 "
                                 ~ "from " ~ this) }}
            select n from {{ ref('nums') }}
        """,
    }, pyproject=project_with_hooks())
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert rows(proj) == ["seed rows raw.nums", "built 3"]


def test_a_failing_pre_hook_fails_the_model_and_keeps_the_previous_table(project):
    proj = project({
        "models/marts/m.sql": """\
            {{ config(pre_hook="insert into main.audit select 'pre', 1 from " ~ var('audit_table', 'main.audit')) }}
            select {{ var('x', 1) }} as x
        """,
    }, pyproject=project_with_hooks())
    assert proj.elt("run").exit_code == 0
    result = proj.elt("run", "--vars", "{x: 2, audit_table: main.no_such_table}")
    assert result.exit_code == 1, result.output
    assert "pre_hook of model 'm' failed" in result.output, result.output
    assert "no_such_table" in result.output
    assert "hook: insert into main.audit select 'pre', 1 from main.no_such_table" in result.output
    assert "models/marts/m.sql" in result.output
    assert proj.query("select x from gold.m") == [(1,)]


def test_a_failing_post_hook_rolls_back_the_build_on_duckdb(project):
    # As dbt-duckdb: hooks and the build are one transaction.
    proj = project({
        "models/marts/m.sql": """\
            {{ config(pre_hook="insert into main.audit select 'pre {{ var(\\'x\\', 1) }}', 0",
                      post_hook="insert into main.audit select 'post', 1 from " ~ var('audit_table', 'main.audit')) }}
            select {{ var('x', 1) }} as x
        """,
    }, pyproject=project_with_hooks())
    assert proj.elt("run").exit_code == 0
    result = proj.elt("run", "--vars", "{x: 2, audit_table: main.no_such_table}")
    assert result.exit_code == 1, result.output
    assert "post_hook of model 'm' failed" in result.output
    assert proj.query("select x from gold.m") == [(1,)]
    assert rows(proj) == ["pre 1", "post"]  # the second run's pre-hook row was rolled back too


def test_a_hook_outside_the_transaction_stays_when_the_model_fails(project):
    proj = project({
        "models/marts/m.sql": f"""\
            {{{{ config(pre_hook=before_begin("{audit("outside")}")) }}}}
            select * from {{{{ var('src', 'main.audit') }}}}
        """,
    }, pyproject=project_with_hooks())
    result = proj.elt("run", "--vars", "{src: main.missing}")
    assert result.exit_code == 1
    assert rows(proj) == ["outside"]


def test_hive_hook_sql_is_translated_or_refused_naming_the_hook(project):
    proj = project({
        "models/marts/ok.sql": """\
            {{ config(post_hook="insert into main.audit select concat_ws('-', 'a', 'b'), size(split('x,y', ','))") }}
            select 1 as x
        """,
        "models/marts/refused.sql": """\
            {{ config(pre_hook=["select 1", "set hive.exec.dynamic.partition.mode=nonstrict"]) }}
            select 1 as x
        """,
    }, pyproject=project_with_hooks())
    result = proj.elt("run")
    assert result.exit_code == 1, result.output
    assert proj.query("select what, n from main.audit") == [("a-b", 2)]
    assert "pre_hook 2 of 2 of model 'refused': SET cannot run on duckdb" in result.output
    assert "models/marts/refused.sql" in result.output
    assert "gold.refused" not in proj.relations()


def test_on_run_start_creates_what_models_read_and_on_run_end_sees_results(project):
    end = ("{% for r in results %}insert into main.audit select "
           "'{{ r.node.name }}={{ r.status }}', {{ loop.index }};{% endfor %}"
           "insert into main.audit select 'schemas={{ schemas | join(\\\",\\\") }}', 100")
    pyproject = project_with_hooks(
        'on-run-end = ["' + end + '"]\n'
    ).replace(f'on-run-start = ["{AUDIT}"]',
              f'on-run-start = ["{AUDIT}", "create schema if not exists ops", '
              '"create table if not exists ops.limits as select {{ var(\'max_n\', 5) }} as max_n"]')
    proj = project({
        "models/marts/capped.sql": "select max_n from ops.limits",
        "models/marts/broken.sql": "select * from main.no_such_table",
        "models/marts/after_broken.sql": "select * from {{ ref('broken') }}",
    }, pyproject=pyproject)
    result = proj.elt("run")
    assert result.exit_code == 1, result.output
    assert proj.query("select max_n from gold.capped") == [(5,)]
    assert sorted(rows(proj)) == sorted(["after_broken=skipped", "broken=error", "capped=success", "schemas=gold"])
    assert "START hook test_project-on-run-start-0" in result.stdout
    assert "OK hook test_project-on-run-end-0" in result.stdout
    recorded = json.loads((proj.root / "target" / "run_results.json").read_text())["results"]
    ids = [r["unique_id"] for r in recorded]
    assert ids[:3] == [f"operation.test_project.test_project-on-run-start-{i}" for i in range(3)]
    assert ids[-1] == "operation.test_project.test_project-on-run-end-0"
    assert recorded[-1]["status"] == "success"


def test_a_failing_on_run_start_stops_before_any_node(project):
    pyproject = project_with_hooks().replace(f'on-run-start = ["{AUDIT}"]',
                                             'on-run-start = ["insert into main.nothing_here select 1", "select 1"]')
    proj = project({"models/marts/m.sql": "select 1 as x"}, pyproject=pyproject)
    result = proj.elt("run")
    assert result.exit_code == 1, result.output
    assert "on-run-start hook 1 failed" in result.output and "nothing_here" in result.output
    assert "gold.m" not in proj.relations()
    results_file = proj.root / "target" / "run_results.json"
    recorded = {r["unique_id"]: r for r in json.loads(results_file.read_text())["results"]}
    assert recorded["model.m"]["status"] == "skipped"
    assert recorded["operation.test_project.test_project-on-run-start-0"]["status"] == "error"
    assert recorded["operation.test_project.test_project-on-run-start-1"]["status"] == "skipped"


def test_a_failing_on_run_end_is_an_error(project):
    pyproject = project_with_hooks('on-run-end = "insert into main.nothing_here select 1"')
    proj = project({"models/marts/m.sql": "select 1 as x"}, pyproject=pyproject)
    result = proj.elt("run")
    assert result.exit_code == 1, result.output
    assert "on-run-end hook failed" in result.output
    assert proj.query("select x from gold.m") == [(1,)]


def test_hooks_around_an_incremental_load_and_a_view_replaced_by_a_table(project):
    # The materializations' own transactions join the one of the hooks (DuckDB has no nested ones).
    proj = project({
        "models/marts/events.sql": f"""\
            {{{{ config(materialized='incremental', incremental_strategy='append',
                        pre_hook="{audit("pre {{ is_incremental() }}")}", post_hook="{audit("post")}") }}}}
            select {{{{ var('x', 1) }}}} as x
        """,
        "models/marts/shape.sql": f"""\
            {{{{ config(materialized=var('shape', 'view'), post_hook="{audit("shape")}") }}}}
            select {{{{ var('y', 1) }}}} as y
        """,
    }, pyproject=project_with_hooks())
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    result = proj.elt("run", "--vars", "{x: 2, shape: table}")
    assert result.exit_code == 0, result.output
    assert sorted(proj.query("select x from gold.events")) == [(1,), (2,)]
    assert proj.relations()["gold.shape"] == "BASE TABLE"
    assert sorted(rows(proj)) == sorted(["pre False", "post", "shape", "pre True", "post", "shape"])
    # A view replaced by a table whose query fails: the view stays, the error is the query's own.
    result = proj.elt("run", "-s", "shape", "--vars", "{shape: view}")
    assert result.exit_code == 0, result.output
    result = proj.elt("run", "-s", "shape", "--vars", "{shape: table, y: no_such_column}")
    assert result.exit_code == 1
    assert "no_such_column" in result.output and "transaction is aborted" not in result.output
    assert proj.relations()["gold.shape"] == "VIEW"


def test_seed_and_test_run_the_project_hooks_too(project):
    end = ("""insert into main.audit select concat('end ', '{{ results | map(attribute="status") | join(",") }}'), """
           "count(*) from main.audit")
    proj = project({
        "seeds/nums.csv": "n\n1\n",
        "seeds/nums.yml": "seeds:\n  - name: nums\n    columns:\n      - name: n\n        data_tests: [not_null]\n",
    }, pyproject=project_with_hooks(f"on-run-end = '''{end}'''"))
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("test").exit_code == 0
    assert rows(proj) == ["end success", "end pass"]
