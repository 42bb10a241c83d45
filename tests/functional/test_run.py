"""`elt seed` / `elt run` on real DuckDB: layers, materializations, ordering, failures, idempotence."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PYPROJECT

SCORES = (
    "student_id,course,score,exam_date\n"
    "1,math,80,2024-01-10\n1,art,60,2024-02-11\n2,math,90,2024-01-12\n3,art,,2024-02-13\n"
)

LAYERED = {
    "seeds/scores.csv": SCORES,
    "macros/grading.sql": "{% macro pct(col) %}round({{ col }} / {{ max_score() }} * 100, 1){% endmacro %}\n",
    "macros/constants.sql": "{% macro max_score() %}100{% endmacro %}\n",
    "models/staging/stg_scores.sql": """\
        select student_id, lower(course) as course, cast(score as double) as score, exam_date
        from {{ ref('scores') }}
        where score is not null
    """,
    "models/intermediate/int_pct.sql": """\
        select student_id, course, {{ pct('score') }} as pct, exam_date from {{ ref('stg_scores') }}
    """,
    "models/intermediate/passed.sql": """\
        {{ config(materialized='ephemeral') }}
        select * from {{ ref('int_pct') }} where pct >= {{ var('pass_mark', 70) }}
    """,
    "models/marts/course_avg.sql": """\
        {{ config(tags=['gold', 'nightly']) }}
        select course, round(avg(pct), 2) as avg_pct, count(*) as n
        from {{ ref('int_pct') }} group by course
    """,
    "models/marts/passed_count.sql": """\
        select count(*) as n from {{ ref('passed') }}
    """,
}


def test_run_builds_layers_in_order(project):
    proj = project(LAYERED)
    seeded = proj.elt("seed")
    assert seeded.exit_code == 0, seeded.output
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.relations() == {
        "raw.scores": "BASE TABLE",
        "bronze.stg_scores": "VIEW",
        "silver.int_pct": "BASE TABLE",
        "gold.course_avg": "BASE TABLE",
        "gold.passed_count": "BASE TABLE",
    }
    assert sorted(proj.query("select course, avg_pct, n from gold.course_avg")) == [("art", 60.0, 1), ("math", 85.0, 2)]
    assert proj.query("select n from gold.passed_count") == [(2,)]
    assert "1 of 4 START view bronze.stg_scores" in result.stdout
    assert "OK table gold.course_avg [" in result.stdout and "2 rows]" in result.stdout
    assert "4 OK, 0 error, 0 skipped" in result.stdout


def test_rerun_is_idempotent(project):
    proj = project(LAYERED)
    proj.elt("seed")
    first = proj.elt("run")
    rows = sorted(proj.query("select * from gold.course_avg"))
    relations = proj.relations()
    second = proj.elt("run")
    assert first.exit_code == second.exit_code == 0
    assert proj.relations() == relations
    assert sorted(proj.query("select * from gold.course_avg")) == rows
    reseed = proj.elt("seed")
    assert reseed.exit_code == 0
    assert proj.query("select count(*) from raw.scores") == [(4,)]


def test_vars_option_overrides_project_vars(project):
    proj = project(LAYERED, pyproject=PYPROJECT + "\n[tool.elt.vars]\npass_mark = 70\n")
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    assert proj.query("select n from gold.passed_count") == [(2,)]
    assert proj.elt("run", "--vars", "{pass_mark: 85}").exit_code == 0
    assert proj.query("select n from gold.passed_count") == [(1,)]


def test_ephemeral_model_is_inlined_not_created(project):
    proj = project(LAYERED)
    proj.elt("seed")
    proj.elt("run")
    assert "silver.passed" not in proj.relations()
    compiled = (proj.root / "target/compiled/models/marts/passed_count.sql").read_text()
    assert "__elt_ephemeral_passed" in compiled and "silver.int_pct" in compiled


def test_config_precedence_file_over_deep_folder_over_shallow(project):
    pyproject = PYPROJECT + """
[tool.elt.models]
materialized = "table"
tags = ["all"]
[tool.elt.models.marts.finance]
schema = "finance"
"""
    proj = project({
        "models/other/plain.sql": "select 1 as x\n",
        "models/marts/m.sql": "select 1 as x\n",
        "models/marts/finance/f.sql": "select 1 as x\n",
        "models/marts/finance/g.sql": "{{ config(schema='special', materialized='view') }}\nselect 1 as x\n",
    }, pyproject=pyproject)
    assert proj.elt("run").exit_code == 0
    assert proj.relations() == {
        "main.plain": "BASE TABLE",      # top-level [tool.elt.models]; target schema
        "gold.m": "BASE TABLE",          # [tool.elt.models.marts]
        "finance.f": "BASE TABLE",       # deeper folder wins on schema, inherits table
        "special.g": "VIEW",             # config() in the file wins
    }


def test_yml_config_applies_between_folder_and_file(project):
    proj = project({
        "models/staging/a.sql": "select 1 as x\n",
        "models/staging/b.sql": "{{ config(materialized='view') }}\nselect 1 as x\n",
        "models/staging/schema.yml": """\
            models:
              - name: a
                config: {materialized: table}
              - name: b
                config: {materialized: table}
        """,
    })
    assert proj.elt("run").exit_code == 0
    assert proj.relations() == {"bronze.a": "BASE TABLE", "bronze.b": "VIEW"}


def test_materialization_change_table_to_view_and_back(project):
    proj = project({"models/staging/m.sql": "{{ config(materialized='table') }}\nselect 1 as x\n"})
    assert proj.elt("run").exit_code == 0
    assert proj.relations() == {"bronze.m": "BASE TABLE"}
    proj.write({"models/staging/m.sql": "select 2 as x\n"})
    assert proj.elt("run").exit_code == 0
    assert proj.relations() == {"bronze.m": "VIEW"}
    assert proj.query("select x from bronze.m") == [(2,)]
    proj.write({"models/staging/m.sql": "{{ config(materialized='table') }}\nselect 3 as x\n"})
    assert proj.elt("run").exit_code == 0
    assert proj.relations() == {"bronze.m": "BASE TABLE"}
    assert proj.query("select x from bronze.m") == [(3,)]


FAILING = {
    "seeds/scores.csv": SCORES,
    "models/staging/stg_scores.sql": "select * from {{ ref('scores') }}\n",
    "models/intermediate/int_good.sql": "select student_id, score from {{ ref('stg_scores') }}\n",
    "models/intermediate/int_bad.sql": """\
        {% if var('break', false) %}
        select * from raw.table_that_does_not_exist
        {% else %}
        select student_id, score * 2 as double_score from {{ ref('stg_scores') }}
        {% endif %}
    """,
    "models/marts/mart_good.sql": "select count(*) as n from {{ ref('int_good') }}\n",
    "models/marts/mart_bad.sql": "select count(*) as n from {{ ref('int_bad') }}\n",
    "models/marts/mart_both.sql": "select g.student_id from {{ ref('int_good') }} g join {{ ref('int_bad') }} b "
                                  "on g.student_id = b.student_id\n",
}


def test_failure_in_the_middle_skips_descendants_and_keeps_previous_table(project):
    proj = project(FAILING)
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    before = sorted(proj.query("select * from silver.int_bad"))
    assert before

    result = proj.elt("run", "--threads", "4", "--vars", "{break: true}")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "ERROR table silver.int_bad" in result.stdout
    assert "table_that_does_not_exist" in result.stdout
    assert "SKIP table gold.mart_bad (upstream int_bad failed)" in result.stdout
    assert "SKIP table gold.mart_both (upstream int_bad failed)" in result.stdout
    # The previous good table is still there, unchanged; no temporary table is left behind.
    assert sorted(proj.query("select * from silver.int_bad")) == before
    assert not any("__elt_" in name for name in proj.relations())

    results = json.loads((proj.root / "target/run_results.json").read_text())
    status = {r["unique_id"]: r["status"] for r in results["results"]}
    assert status == {
        "model.stg_scores": "success",
        "model.int_good": "success",
        "model.int_bad": "error",
        "model.mart_good": "success",
        "model.mart_bad": "skipped",
        "model.mart_both": "skipped",
    }
    errors = [r for r in results["results"] if r["status"] == "error"]
    assert "table_that_does_not_exist" in errors[0]["message"]


def test_fail_fast_starts_nothing_after_a_failure(project):
    proj = project(FAILING)
    proj.elt("seed")
    result = proj.elt("run", "--threads", "1", "--fail-fast", "--vars", "{break: true}")
    assert result.exit_code == 1
    results = json.loads((proj.root / "target/run_results.json").read_text())["results"]
    status = {r["unique_id"]: r["status"] for r in results}
    assert status["model.int_bad"] == "error"
    # int_bad sorts before int_good, so with one thread nothing else was started after it failed.
    assert status["model.int_good"] == "skipped"
    assert status["model.mart_good"] == "skipped"


def test_failed_view_keeps_previous_view(project):
    proj = project({"seeds/scores.csv": SCORES,
                    "models/staging/v.sql": "select student_id from {{ ref('scores') }}\n"})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    proj.write({"models/staging/v.sql": "select no_such_column from {{ ref('scores') }}\n"})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert proj.query("select count(*) from bronze.v") == [(4,)]


@pytest.mark.parametrize("threads", ["1", "3"])
def test_parallel_run_builds_wide_dag(project, threads):
    files = {"seeds/base.csv": "id\n1\n2\n3\n"}
    for i in range(12):
        files[f"models/intermediate/wide_{i:02d}.sql"] = f"select id, {i} as k from {{{{ ref('base') }}}}\n"
    union = " union all ".join(f"select * from {{{{ ref('wide_{i:02d}') }}}}" for i in range(12))
    files["models/marts/all_wide.sql"] = f"select count(*) as n, sum(k) as s from ({union}) t\n"
    proj = project(files)
    proj.elt("seed")
    result = proj.elt("run", "--threads", threads)
    assert result.exit_code == 0, result.output
    assert proj.query("select n, s from gold.all_wide") == [(36, 3 * sum(range(12)))]


def test_seed_types_are_inferred_and_overridable(project):
    proj = project({
        "seeds/things.csv": "id,code,price,active,day,at,label\n"
                            "1,007,1.5,true,2024-01-02,2024-01-02 03:04:05,x\n"
                            "2,010,,false,2024-02-03,2024-02-03 00:00:00,\n",
        "seeds/seeds.yml": "seeds:\n  - name: things\n    config:\n      column_types: {id: bigint}\n",
    })
    assert proj.elt("seed").exit_code == 0
    types = dict(proj.query(
        "select column_name, data_type from information_schema.columns where table_name = 'things'"))
    assert types == {"id": "BIGINT", "code": "VARCHAR", "price": "DOUBLE", "active": "BOOLEAN",
                     "day": "DATE", "at": "TIMESTAMP", "label": "VARCHAR"}
    rows = proj.query("select code, price, label from raw.things order by id")
    assert rows == [("007", 1.5, "x"), ("010", None, None)]


def test_seed_with_ragged_row_is_a_clear_error(project):
    proj = project({"seeds/bad.csv": "a,b\n1,2\n3\n"})
    result = proj.elt("seed")
    assert result.exit_code == 1
    assert "seeds/bad.csv:3" in result.stdout and "row has 1 fields" in result.stdout


def test_memory_database(project):
    profiles = "test:\n  target: mem\n  outputs:\n    mem: {type: duckdb, path: ':memory:'}\n"
    proj = project(LAYERED, profiles=profiles)
    assert proj.elt("seed").exit_code == 0
    assert not (proj.root / "target" / "test.duckdb").exists()


def test_run_writes_sql_as_sent(project):
    proj = project(LAYERED)
    proj.elt("seed")
    proj.elt("run")
    sent = (proj.root / "target/run/models/marts/course_avg.sql").read_text()
    # DuckDB replaces a table atomically in one statement (a failing query leaves the old one).
    assert sent.startswith("CREATE OR REPLACE TABLE gold.course_avg AS\n")


def test_jinja_context_this_target_and_is_incremental(project):
    proj = project({
        "models/marts/ctx.sql": """\
            {{ config(alias='context_probe') }}
            select '{{ this }}' as this_relation, '{{ target.name }}' as target_name,
                   '{{ target.type }}' as target_type, '{{ target.schema }}' as target_schema,
                   {{ 'true' if is_incremental() else 'false' }} as incremental,
                   '{{ env_var('ELT_TEST_CTX', 'fallback') }}' as from_env
        """,
    })
    assert proj.elt("run", env={"ELT_TEST_CTX": "from-environment"}).exit_code == 0
    assert proj.query("select * from gold.context_probe") == [
        ("gold.context_probe", "dev", "duckdb", "main", False, "from-environment")]


def test_model_names_with_underscores_at_the_edges(project):
    proj = project({
        "models/staging/_private_.sql": "select 1 as x\n",
        "models/marts/uses_it.sql": "select x from {{ ref('_private_') }}\n",
    })
    assert proj.elt("run").exit_code == 0
    assert proj.query("select x from gold.uses_it") == [(1,)]
