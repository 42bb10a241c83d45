"""A model DuckDB cannot run with Hive's meaning (a translation refusal) fails alone: its descendants
are skipped, every other model is built, exit code 1, the refusal's message names file, line and
construct. `elt compile` reports every refusal and every syntax or render error at once (exit 2)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PYPROJECT

SEED = "id,name\n1,ada\n2,grace\n"
#: reflect() calls a Java method: nothing DuckDB has can mean the same, so it is always refused.
REFUSED = "select id,\n  reflect('java.lang.Math', 'abs', id) as r\nfrom {{ ref('people') }}\n"
FILES = {
    "seeds/people.csv": SEED,
    "models/staging/stg_people.sql": "select id, name from {{ ref('people') }}\n",
    "models/staging/refused.sql": REFUSED,
    "models/intermediate/below_refused.sql": "select * from {{ ref('refused') }}\n",
    "models/marts/people_count.sql": "select count(*) as n from {{ ref('stg_people') }}\n",
    "models/marts/schema.yml": "models:\n  - name: people_count\n    columns:\n      - name: n\n"
                               "        data_tests: [not_null]\n",
    "models/intermediate/schema.yml": "models:\n  - name: below_refused\n    columns:\n      - name: id\n"
                                      "        data_tests: [not_null]\n",
}


def results_by_id(proj) -> dict[str, dict]:
    data = json.loads((proj.root / "target" / "run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


@pytest.mark.parametrize("command", ["run", "build"])
def test_a_refused_model_fails_alone(project, command):
    proj = project(FILES)
    if command == "run":
        assert proj.elt("seed").exit_code == 0
    result = proj.elt(command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "models/staging/refused.sql:2:" in result.output, result.output
    assert "reflect() cannot be translated from Hive to duckdb" in result.output, result.output
    assert "hint:" in result.output
    relations = proj.relations()
    assert "bronze.stg_people" in relations and "gold.people_count" in relations
    assert "bronze.refused" not in relations and "silver.below_refused" not in relations
    assert proj.query("select n from gold.people_count") == [(2,)]
    results = results_by_id(proj)
    assert results["model.refused"]["status"] == "error"
    assert "reflect() cannot be translated" in results["model.refused"]["message"]
    assert results["model.below_refused"]["status"] == "skipped"
    assert results["model.people_count"]["status"] == "success"
    if command == "build":
        tests = {uid: r["status"] for uid, r in results.items() if uid.startswith("test.")}
        below = [status for uid, status in tests.items() if "below_refused" in uid]
        assert below == ["skipped"], tests
        assert [status for uid, status in tests.items() if "people_count" in uid] == ["success"], tests


def test_a_refused_model_keeps_its_previous_table(project):
    proj = project({**FILES, "models/staging/refused.sql": "select id from {{ ref('people') }}\n"})
    assert proj.elt("build").exit_code == 0
    proj.write({"models/staging/refused.sql": REFUSED})
    assert proj.elt("run").exit_code == 1
    assert proj.query("select count(*) from bronze.refused") == [(2,)]


def test_retry_reruns_the_refused_model_once_fixed(project):
    proj = project(FILES)
    assert proj.elt("build").exit_code == 1
    proj.write({"models/staging/refused.sql": "select id, abs(id) as r from {{ ref('people') }}\n"})
    result = proj.elt("retry")
    assert result.exit_code == 0, result.output
    assert proj.query("select count(*) from silver.below_refused") == [(2,)]


BAD = {
    "models/staging/bad_syntax.sql": "select id,\n  name\nfrom {{ ref('people') }} where (\n",
    "models/intermediate/bad_render.sql": "select 1 as a,\n  {{ not_defined }} as b\n",
    "models/marts/bad_refused.sql": "select\n  reflect('java.lang.Math', 'abs', 1) as r\n",
}


def test_compile_reports_every_error_at_once(project):
    proj = project({**FILES, **BAD})
    result = proj.elt("compile")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in ["models/staging/bad_syntax.sql:3", "SQL syntax error",
                     "models/intermediate/bad_render.sql:2", "not_defined",
                     "models/marts/bad_refused.sql:2", "models/staging/refused.sql:2",
                     "reflect() cannot be translated from Hive to duckdb", "4 errors"]:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"


def test_run_still_stops_on_a_syntax_error(project):
    """Only a translation refusal is a node's own failure: a model that is not valid SQL stops the run
    before anything is built, as before."""
    proj = project({**FILES, "models/staging/bad_syntax.sql": BAD["models/staging/bad_syntax.sql"]})
    result = proj.elt("run")
    assert result.exit_code == 2, result.output
    assert not proj.database.exists()


HIVE_PROFILES = "test:\n  target: dev\n  outputs:\n    dev:\n      type: hive\n      host: 127.0.0.1\n"


def test_compile_for_hive_does_not_refuse(project):
    """The Hive target runs Hive's SQL as written: nothing is translated, nothing refused."""
    proj = project(FILES, profiles=HIVE_PROFILES, pyproject=PYPROJECT)
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
