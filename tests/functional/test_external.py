"""materialized='external' on real DuckDB: the model's rows in a Parquet / CSV / JSON file, a view under the
model's name reading it, a failing rebuild keeping the previous file; refused at compile time on a target
that writes no files."""

from __future__ import annotations

import json

import duckdb

from tests.conftest import PROFILES

MODELS = {
    "models/marts/scores_pq.sql": """\
        {{ config(materialized='external') }}
        select 1 as id, 'ada' as name union all select 2, 'grace'
    """,
    "models/marts/scores_csv.sql": """\
        {{ config(materialized='external', location='exports/scores.csv', options={'delimiter': '|'}) }}
        select id, upper(name) as name from {{ ref('scores_pq') }}
    """,
    "models/marts/scores_json.sql": """\
        {{ config(materialized='external', format='json') }}
        select id from {{ ref('scores_pq') }} where id = 2
    """,
    "models/marts/downstream.sql": """\
        select count(*) as n, max(name) as last_name from {{ ref('scores_csv') }}
    """,
}


def read(path, function: str = "read_parquet") -> list[tuple]:
    with duckdb.connect() as con:
        return sorted(con.execute(f"select * from {function}('{path}')").fetchall())


def test_external_models_write_files_that_downstream_models_read(project):
    proj = project(MODELS)
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    parquet = proj.root / "target" / "scores_pq.parquet"
    assert read(parquet) == [(1, "ada"), (2, "grace")]
    csv = proj.root / "exports" / "scores.csv"
    assert csv.read_text().splitlines() == ["id|name", "1|ADA", "2|GRACE"]
    assert read(proj.root / "target" / "scores_json.json", "read_json_auto") == [(2,)]
    assert proj.relations()["gold.scores_pq"] == "VIEW"
    assert proj.query("select n, last_name from gold.downstream") == [(2, "GRACE")]
    recorded = json.loads((proj.root / "target" / "run_results.json").read_text())["results"]
    message = next(r["message"] for r in recorded if r["unique_id"] == "model.scores_pq")
    assert message == f"wrote {parquet} and created view gold.scores_pq"
    assert "1 of 4 OK external gold.scores_pq [" in result.stdout and "2 rows]" in result.stdout
    assert not list(proj.root.rglob("*__elt_tmp*"))


def test_external_root_of_the_profile_is_the_default_folder(project):
    profiles = PROFILES + "      external_root: lake\n"
    proj = project({"models/marts/scores_pq.sql": MODELS["models/marts/scores_pq.sql"]}, profiles=profiles)
    assert proj.elt("run").exit_code == 0
    assert read(proj.root / "lake" / "scores_pq.parquet") == [(1, "ada"), (2, "grace")]


def test_a_failing_rebuild_keeps_the_previous_file(project):
    proj = project({
        "models/marts/nums.sql": """\
            {{ config(materialized='external') }}
            select * from {{ var('src', 'main.nums_src') }}
        """,
    })
    proj.write({"models/marts/setup.sql": "select 1 as n"})
    assert proj.elt("run", "-s", "setup").exit_code == 0
    assert proj.elt("run", "-s", "nums", "--vars", "{src: gold.setup}").exit_code == 0
    file = proj.root / "target" / "nums.parquet"
    before = file.read_bytes()
    result = proj.elt("run", "-s", "nums", "--vars", "{src: gold.no_such_table}")
    assert result.exit_code == 1, result.output
    assert "no_such_table" in result.output
    assert file.read_bytes() == before
    assert proj.query("select n from gold.nums") == [(1,)]
    assert not list(proj.root.rglob("*__elt_tmp*"))


def test_external_is_refused_at_compile_time_on_a_target_without_files(project):
    profiles = """\
        test:
          target: hive
          outputs:
            hive:
              type: hive
              host: 127.0.0.1
              port: 1
              schema: default
    """
    proj = project({"models/marts/scores_pq.sql": MODELS["models/marts/scores_pq.sql"]}, profiles=profiles)
    result = proj.elt("compile")
    assert result.exit_code == 2, result.output
    assert "models/marts/scores_pq.sql" in result.output
    assert "materialized='external'" in result.output and "materialized='table' with `location`" in result.output


def test_a_bad_external_format_is_refused_at_compile_time(project):
    proj = project({"models/marts/x.sql": "{{ config(materialized='external', format='xlsx') }}\nselect 1 as a"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "external format 'xlsx' is not one of parquet, csv, json" in result.output
