"""`elt plan --state DIR` and `elt run --plan` on DuckDB: each change's category, and a run that
rebuilds what the change reaches and leaves the other tables as they were (a row put into a mart
by hand survives, which a rebuild would lose)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import PROFILES, PYPROJECT, ProjectDir
from tests.functional.test_state import FILES as FILES_STATE
from tests.functional.test_state import prod  # noqa: F401 - a fixture

SEED = "id,student,score,kind\n1,ann,12,quiz\n2,ann,,exam\n3,bob,7,quiz\n4,cid,15,exam\n"
STG = """\
select
    id,
    student,
    score
from {{ ref('raw_scores') }}
where score is not null
"""
FILES = {
    "seeds/raw_scores.csv": SEED,
    "models/staging/stg_scores.sql": STG,
    "models/intermediate/int_by_student.sql": """\
        select student, count(*) as exams, avg(score) as avg_score
        from {{ ref('stg_scores') }}
        group by student
        """,
    "models/marts/mart_exam_counts.sql": "select student, exams from {{ ref('int_by_student') }}",
    "models/marts/mart_ids.sql": "select id from {{ ref('stg_scores') }}",
    "models/marts/mart_all.sql": "select * from {{ ref('stg_scores') }}",
    "models/marts/mart_other.sql": "select kind, count(*) as n from {{ ref('raw_scores') }} group by kind",
    "models/marts/_marts.yml": """\
        version: 2
        models:
          - name: mart_ids
            columns: [{name: id, data_tests: [not_null]}]
          - name: mart_all
            columns: [{name: id, data_tests: [not_null]}]
        """,
}
MARTS = ("mart_exam_counts", "mart_ids", "mart_all", "mart_other")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The project built once for the module, its artifacts kept as the state (production's, say),
    and a row added by hand to each table downstream, which survives only where nothing rebuilds it."""
    proj = ProjectDir(tmp_path_factory.mktemp("plan") / "proj")
    proj.root.mkdir()
    proj.write({"pyproject.toml": PYPROJECT, "profiles.yml": PROFILES, **FILES})
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    (proj.root / "state").mkdir()
    shutil.copy(proj.root / "target" / "manifest.json", proj.root / "state" / "manifest.json")
    import duckdb

    with duckdb.connect(str(proj.database)) as con:
        con.execute("INSERT INTO silver.int_by_student (student) VALUES ('marker')")
        con.execute("INSERT INTO gold.mart_exam_counts (student) VALUES ('marker')")
        con.execute("INSERT INTO gold.mart_ids VALUES (-1)")
        con.execute("INSERT INTO gold.mart_all (id) VALUES (-1)")
        con.execute("INSERT INTO gold.mart_other (kind) VALUES ('marker')")
    return proj


@pytest.fixture
def built(template, tmp_path):
    """A copy of the built project for one test."""
    shutil.copytree(template.root, tmp_path / "proj")
    return ProjectDir(tmp_path / "proj")


def state(proj) -> str:
    return str(proj.root / "state")


def kept(proj) -> set[str]:
    """The tables that still hold the row added by hand (not rebuilt)."""
    found = set()
    if proj.query("SELECT count(*) FROM silver.int_by_student WHERE student = 'marker'")[0][0]:
        found.add("int_by_student")
    if proj.query("SELECT count(*) FROM gold.mart_exam_counts WHERE student = 'marker'")[0][0]:
        found.add("mart_exam_counts")
    if proj.query("SELECT count(*) FROM gold.mart_ids WHERE id = -1")[0][0]:
        found.add("mart_ids")
    if proj.query("SELECT count(*) FROM gold.mart_all WHERE id = -1")[0][0]:
        found.add("mart_all")
    if proj.query("SELECT count(*) FROM gold.mart_other WHERE kind = 'marker'")[0][0]:
        found.add("mart_other")
    return found


def test_an_added_column_is_non_breaking_and_rebuilds_the_model_and_its_star_readers_only(built):
    built.write({"models/staging/stg_scores.sql": STG.replace("    score\n", "    score,\n    kind\n")})
    plan = built.elt("plan", "--state", state(built))
    assert plan.exit_code == 0, plan.output
    assert "stg_scores" in plan.stdout and "non-breaking: column kind: added" in plan.stdout
    assert "rebuild mart_all" in plan.stdout and "skip    mart_ids" in plan.stdout
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    # mart_all selects * from it, so it has the new column; the rest kept their tables
    assert kept(built) == {"int_by_student", "mart_exam_counts", "mart_ids", "mart_other"}
    assert [c[0] for c in built.query("DESCRIBE gold.mart_all")] == ["id", "student", "score", "kind"]


def test_a_changed_filter_is_breaking_and_rebuilds_exactly_the_readers(built):
    built.write({"models/staging/stg_scores.sql": STG.replace("score is not null", "score > 10")})
    plan = built.elt("plan", "--state", state(built))
    assert "breaking: WHERE changed" in plan.stdout, plan.output
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    assert kept(built) == {"mart_other"}  # the only model not reading stg_scores
    assert built.query("SELECT student, exams FROM gold.mart_exam_counts ORDER BY 1") == [("ann", 1), ("cid", 1)]


def test_reformatting_is_no_change(built):
    built.write({"models/staging/stg_scores.sql": "-- reformatted\nSELECT id, student, score\n\n"
                 "FROM {{ ref('raw_scores') }}   WHERE score IS NOT NULL -- kept\n"})
    plan = built.elt("plan", "--state", state(built))
    assert plan.stdout.strip() == "No changes against the state: nothing to rebuild.", plan.output
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0 and "Nothing to run." in result.output, result.output
    assert kept(built) == {"int_by_student", *MARTS}


def test_a_changed_column_no_model_reads_rebuilds_that_model_only(built):
    built.write({"models/intermediate/int_by_student.sql": FILES["models/intermediate/int_by_student.sql"]
                 .replace("avg(score)", "round(avg(score), 1)")})
    plan = built.elt("plan", "--state", state(built))
    assert "breaking: column avg_score: expression changed" in plan.stdout, plan.output
    assert "skip    mart_exam_counts" in plan.stdout
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    assert kept(built) == set(MARTS)


def test_plan_all_builds_every_descendant_as_state_modified_plus(built):
    built.write({"models/staging/stg_scores.sql": STG.replace("    score\n", "    score,\n    kind\n")})
    result = built.elt("run", "--plan-all", "--state", state(built))
    assert result.exit_code == 0, result.output
    assert kept(built) == {"mart_other"}


def test_the_plan_keeps_to_the_selection(built):
    built.write({"models/staging/stg_scores.sql": STG.replace("score is not null", "score > 10")})
    result = built.elt("run", "--plan", "--state", state(built), "-s", "stg_scores+", "--exclude", "mart_ids")
    assert result.exit_code == 0, result.output
    assert kept(built) == {"mart_ids", "mart_other"}


def test_plan_without_state_is_refused(built):
    result = built.elt("run", "--plan")
    assert result.exit_code == 2 and "--plan needs --state DIR" in result.output


def test_a_new_model_is_built_alone(built):
    built.write({"models/marts/mart_new.sql": "select student from {{ ref('stg_scores') }}"})
    plan = built.elt("plan", "--state", state(built))
    assert "mart_new  new: not in the state" in plan.stdout
    assert "rebuild mart_new" in plan.stdout, plan.output
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    assert kept(built) == {"int_by_student", *MARTS}
    assert built.query("SELECT count(*) FROM gold.mart_new")[0][0] == 3


def test_build_plan_runs_the_tests_of_what_it_rebuilds(built):
    import json

    built.write({"models/staging/stg_scores.sql": STG.replace("    score\n", "    score,\n    kind\n")})
    result = built.elt("build", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    ran = {r["unique_id"] for r in json.loads((built.root / "target/run_results.json").read_text())["results"]}
    assert {uid.split(".")[0] for uid in ran} == {"model", "test"}
    assert {uid for uid in ran if uid.startswith("model.")} == {"model.stg_scores", "model.mart_all"}
    assert [uid for uid in ran if uid.startswith("test.")] == ["test.not_null_mart_all_id"]


def test_plan_with_defer_builds_the_plan_in_dev_on_production_s_tables(prod):  # noqa: F811 - fixture
    proj, prod_state = prod
    proj.write({"models/int_paid.sql": FILES_STATE["models/int_paid.sql"].replace(
        " as cents ", " as cents, status ")})
    result = proj.elt("run", "--plan", "--defer", "--state", str(prod_state))
    assert result.exit_code == 0, result.output
    # int_paid alone, in dev, on production's stg_orders; its readers did not need rebuilding
    assert {name for name in proj.relations() if name.startswith("dev.")} == {"dev.int_paid"}
    assert proj.query("SELECT id, cents, status FROM dev.int_paid ORDER BY id") == [
        (1, 1000, "paid"), (2, 2000, "paid"), (4, 4000, "paid")]


def test_a_config_change_rebuilds_the_model_alone(built):
    built.write({"models/intermediate/int_by_student.sql": "{{ config(materialized='view') }}\n"
                 + FILES["models/intermediate/int_by_student.sql"]})
    plan = built.elt("plan", "--state", state(built))
    assert "breaking: config materialized changed" in plan.stdout, plan.output
    assert "skip    mart_exam_counts  nothing it reads changes columns or rows" in plan.stdout
    result = built.elt("run", "--plan", "--state", state(built))
    assert result.exit_code == 0, result.output
    assert built.relations()["silver.int_by_student"] == "VIEW"
    assert kept(built) == set(MARTS)
