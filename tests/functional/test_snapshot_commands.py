"""Snapshots through the commands on DuckDB: `elt snapshot` builds them (and only them), `elt build` in DAG
order with their tests, `elt run` leaves them alone, run_results.json records what each did, and two
snapshots of a changed source give its history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

PYPROJECT = """\
[tool.elt]
name = "shop"
profile = "test"

[tool.elt.seeds]
schema = "raw"

[tool.elt.snapshots]
schema = "history"
"""

SPRING = "id,name,city,updated_at\n1,Ann,Paris,2024-01-01 00:00:00\n2,Bob,Rome,2024-01-01 00:00:00\n" \
         "3,Cy,Oslo,2024-01-01 00:00:00\n"
# Bob moved (updated_at moved), Cy is gone, Dee is new; Ann's city changed without updated_at moving.
AUTUMN = "id,name,city,updated_at\n1,Ann,Lyon,2024-01-01 00:00:00\n2,Bob,Milan,2024-09-01 00:00:00\n" \
         "4,Dee,Bern,2024-09-01 00:00:00\n"

SNAPSHOT = """\
{% snapshot people_history %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate',
          post_hook="create or replace table raw.after_snapshot as select count(*) as n from {{ this }}") }}
select id, name, city, cast(updated_at as timestamp) as updated_at
from {{ ref('people') }}
{% endsnapshot %}
"""

FILES = {
    "seeds/people.csv": SPRING,
    "snapshots/people.sql": SNAPSHOT,
    "snapshots/people.yml": "snapshots:\n  - name: people_history\n    columns:\n      - name: id\n"
                            "        data_tests: [not_null]\n",
    "models/current_people.sql": "select id, name, city from {{ ref('people_history') }} where dbt_valid_to is null",
}


def results(proj) -> list[dict]:
    return json.loads((proj.root / "target" / "run_results.json").read_text())["results"]


def history(proj) -> list[tuple]:
    return proj.query("select id, city, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar) "
                      "from history.people_history order by id, dbt_valid_from")


def test_elt_snapshot_builds_only_snapshots_and_run_leaves_them(project):
    proj = project(FILES, pyproject=PYPROJECT)
    assert proj.elt("seed").exit_code == 0
    snapshot = proj.elt("snapshot")
    assert snapshot.exit_code == 0, snapshot.output
    assert "Running 1 snapshot(s)" in snapshot.stdout
    assert "OK snapshot history.people_history [" in snapshot.stdout and "created with 3 rows" in snapshot.stdout
    assert [r["unique_id"] for r in results(proj)] == ["snapshot.people_history"]
    assert "main.current_people" not in proj.relations()  # the model that reads it is not built
    assert proj.query("select n from raw.after_snapshot") == [(3,)]  # its post_hook ran
    run = proj.elt("run")
    assert run.exit_code == 0, run.output
    assert [r["unique_id"] for r in results(proj)] == ["model.current_people"]
    assert "snapshot" not in run.stdout
    only_snapshot = proj.elt("run", "-s", "people_history")  # nothing to run: says which command builds it
    assert only_snapshot.exit_code == 0, only_snapshot.output
    assert "snapshot(s) people_history" in only_snapshot.stdout and "`elt snapshot`" in only_snapshot.stdout


def test_two_snapshots_of_a_changed_source_give_its_history(project):
    proj = project(FILES, pyproject=PYPROJECT)
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("snapshot").exit_code == 0
    proj.write({"seeds/people.csv": AUTUMN})
    assert proj.elt("seed").exit_code == 0
    second = proj.elt("snapshot", "-s", "people_history")
    assert second.exit_code == 0, second.output
    assert "2 inserted, 2 closed, 1 deleted" in second.stdout  # Bob's new version and Dee; Bob's old, Cy
    rows = history(proj)
    assert [(i, city, valid_from, valid_to is None) for i, city, valid_from, valid_to in rows if i != 3] == [
        (1, "Paris", "2024-01-01 00:00:00", True),  # timestamp strategy: updated_at did not move
        (2, "Rome", "2024-01-01 00:00:00", False),
        (2, "Milan", "2024-09-01 00:00:00", True),
        (4, "Bern", "2024-09-01 00:00:00", True),
    ]
    assert rows[1][3] == "2024-09-01 00:00:00"  # Bob's old version closed at the new one's updated_at
    assert [(i, city, valid_to is not None) for i, city, _, valid_to in rows if i == 3] == [(3, "Oslo", True)]
    details = results(proj)[0]["snapshot"]
    assert (details["rows_inserted"], details["rows_closed"], details["rows_deleted"]) == (2, 2, 1)
    third = proj.elt("snapshot")
    assert third.exit_code == 0 and "no change" in third.stdout
    assert history(proj) == rows


def test_build_runs_snapshots_in_dag_order_with_their_tests(project):
    proj = project(FILES, pyproject=PYPROJECT)
    built = proj.elt("build")
    assert built.exit_code == 0, built.output
    order = [r["unique_id"] for r in results(proj)]
    assert order.index("seed.people") < order.index("snapshot.people_history")
    assert order.index("snapshot.people_history") < order.index("test.not_null_people_history_id")
    # the model waits for the tests of what it reads (elt build's gates)
    assert order.index("test.not_null_people_history_id") < order.index("model.current_people")
    assert proj.query("select id from main.current_people order by id") == [(1,), (2,), (3,)]
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    assert manifest["nodes"]["snapshot.people_history"]["relation_name"] == "history.people_history"
    assert manifest["parent_map"]["model.current_people"] == ["snapshot.people_history"]
    selected = proj.elt("build", "-s", "resource_type:snapshot")
    assert selected.exit_code == 0, selected.output
    assert {r["unique_id"] for r in results(proj)} == {"snapshot.people_history", "test.not_null_people_history_id"}


def test_a_refused_snapshot_fails_its_node_and_skips_what_reads_it(project):
    proj = project({**FILES, "seeds/people.csv": SPRING + "2,Bob again,Rome,2024-01-01 00:00:00\n"},
                   pyproject=PYPROJECT)
    built = proj.elt("build")
    assert built.exit_code == 1
    statuses = {r["unique_id"]: r["status"] for r in results(proj)}
    assert statuses["snapshot.people_history"] == "error"
    assert statuses["model.current_people"] == "skipped"
    assert "ERROR snapshot history.people_history" in built.stdout
    assert "Traceback" not in built.output


REPO = Path(__file__).resolve().parents[2]


def test_demo_snapshot_keeps_the_students_history(tmp_path):
    from tests.conftest import ProjectDir

    root = tmp_path / "demo"
    for folder in ("models", "macros", "seeds", "snapshots"):
        shutil.copytree(REPO / folder, root / folder)
    for name in ("pyproject.toml", "profiles.yml"):
        shutil.copy(REPO / name, root / name)
    demo = ProjectDir(root)
    assert demo.elt("seed").exit_code == 0
    run = demo.elt("run")  # the README's demo command is unchanged by the snapshot
    assert run.exit_code == 0, run.output
    assert "snapshot" not in run.stdout
    first = demo.elt("snapshot")
    assert first.exit_code == 0, first.output
    second = demo.elt("snapshot", "--vars", "{registrar_export: autumn}")
    assert second.exit_code == 0, second.output

    import duckdb

    with duckdb.connect(str(root / "target" / "school.duckdb"), read_only=True) as con:
        rows = con.execute("select student_id, home_city, dbt_valid_to is null from snapshots.students_history "
                           "where student_id in (1015, 1031, 1201) order by student_id, dbt_valid_from").fetchall()
        current = con.execute("select count(*) from snapshots.students_history where dbt_valid_to is null").fetchone()
        total = con.execute("select count(*) from snapshots.students_history").fetchone()
    # as the README says: 1015 moved, 1031 left, 1201 was admitted in the autumn
    assert rows == [(1015, "Providence", False), (1015, "Philadelphia", True), (1031, "Cambridge", False),
                    (1201, "Austin", True)]
    assert current == (201,)  # 200 students, 2 gone, 3 new
    assert total == (220,)  # and a new version for each of the 17 changed (8 moved, 4 e-mails, 5 scholarships)


def test_retry_reruns_a_failed_snapshot_as_elt_snapshot(project):
    proj = project({**FILES, "seeds/people.csv": SPRING + "2,Bob,Rome,2024-01-01 00:00:00\n"}, pyproject=PYPROJECT)
    assert proj.elt("seed").exit_code == 0
    failed = proj.elt("snapshot")
    assert failed.exit_code == 1 and "not unique" in failed.output
    proj.write({"snapshots/people.sql": SNAPSHOT.replace("select id,", "select distinct id,")})
    retried = proj.elt("retry")
    assert retried.exit_code == 0, retried.output
    assert "Running 1 snapshot(s)" in retried.stdout
    assert [r["unique_id"] for r in results(proj)] == ["snapshot.people_history"]
    assert proj.query("select count(*) from history.people_history") == [(3,)]
