"""Snapshots end to end through the CLI on the real Hive server: a yml snapshot and a `{% snapshot %}` block
built by `elt snapshot`, a changed source snapshotted again, a model reading the snapshot built by
`elt build`; the same sequence on DuckDB gives the same rows (the times of the runs aside)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.hive.test_incremental_on_hive import hive_rows, profiles

pytestmark = pytest.mark.hive

SPRING = "id,name,city,updated_at\n1,Ann,Paris,2024-01-01 00:00:00\n2,Bob,Rome,2024-01-01 00:00:00\n" \
         "3,Cy,Oslo,2024-01-01 00:00:00\n"
AUTUMN = "id,name,city,updated_at\n1,Ann,Lyon,2024-01-01 00:00:00\n2,Bob,Milan,2024-09-01 00:00:00\n" \
         "4,Dee,Bern,2024-09-01 00:00:00\n"


@pytest.fixture
def snapshot_project(project, hive_server, make_target):
    """A project whose schemas are its own (dropped afterwards): seeds in <p>raw, snapshots in <p>hist."""
    prefix = f"s{uuid.uuid4().hex[:6]}_"
    pyproject = f"""\
[tool.elt]
name = "shop"
profile = "test"

[tool.elt.seeds]
schema = "{prefix}raw"

[tool.elt.snapshots]
schema = "{prefix}hist"

[tool.elt.models]
schema = "{prefix}gold"
materialized = "table"
"""
    files = {
        "seeds/people.csv": SPRING,
        "snapshots/people.sql": """\
            {% snapshot people_history %}
            {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate') }}
            select id, name, city, cast(updated_at as timestamp) as updated_at from {{ ref('people') }}
            {% endsnapshot %}
        """,
        "snapshots/cities.yml": """\
            snapshots:
              - name: city_history
                relation: ref('people')
                config: {unique_key: id, strategy: check, check_cols: [city], hard_deletes: new_record}
                columns:
                  - name: id
                    data_tests: [not_null]
        """,
        "models/current_people.sql": "select id, city from {{ ref('people_history') }} where dbt_valid_to is null",
    }
    proj = project(files, pyproject=pyproject, profiles=profiles(hive_server))
    proj.prefix = prefix
    yield proj
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        for schema in ("raw", "hist", "gold"):
            hive.execute(f"DROP DATABASE IF EXISTS {prefix}{schema} CASCADE")
    finally:
        hive.close()


def _history_sql(prefix: str) -> tuple[str, str]:
    return (f"SELECT id, city, CAST(dbt_valid_from AS STRING), dbt_valid_to IS NULL FROM {prefix}hist.people_history",
            f"SELECT id, city, dbt_is_deleted, dbt_valid_to IS NULL FROM {prefix}hist.city_history")


def _duckdb_rows(proj: Any, sql: str) -> list[tuple]:
    rows = proj.query(sql.replace("STRING", "VARCHAR"))
    return sorted((tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in row) for row in rows), key=repr)


def test_snapshots_through_the_cli_on_hive_match_duckdb(snapshot_project, make_target):
    proj, prefix = snapshot_project, snapshot_project.prefix
    for target in ("hive", "dev"):
        proj.write({"seeds/people.csv": SPRING})
        for command in ("seed", "snapshot"):
            result = proj.elt(command, "--target", target)
            assert result.exit_code == 0, result.output
        proj.write({"seeds/people.csv": AUTUMN})
        assert proj.elt("seed", "--target", target).exit_code == 0
        built = proj.elt("build", "--target", target)
        assert built.exit_code == 0, built.output
        assert "2 inserted, 2 closed, 1 deleted" in built.stdout  # people_history: Bob and Dee; Bob and Cy
    people, cities = _history_sql(prefix)
    on_hive = [hive_rows(make_target, people), hive_rows(make_target, cities)]
    assert on_hive[0] == [
        ("1", "Paris", "2024-01-01 00:00:00", "True"),
        ("2", "Milan", "2024-09-01 00:00:00", "True"),
        ("2", "Rome", "2024-01-01 00:00:00", "False"),
        ("3", "Oslo", "2024-01-01 00:00:00", "False"),
        ("4", "Bern", "2024-09-01 00:00:00", "True"),
    ]
    # check strategy, new_record: Ann's and Bob's cities changed, Cy is deleted (a record says so), Dee is new
    assert [(i, city, deleted, current) for i, city, deleted, current in on_hive[1]] == [
        ("1", "Lyon", "False", "True"), ("1", "Paris", "False", "False"),
        ("2", "Milan", "False", "True"), ("2", "Rome", "False", "False"),
        ("3", "Oslo", "False", "False"), ("3", "Oslo", "True", "True"),
        ("4", "Bern", "False", "True"),
    ]
    assert hive_rows(make_target, f"SELECT id, city FROM {prefix}gold.current_people") == [
        ("1", "Paris"), ("2", "Milan"), ("4", "Bern")]
    on_duckdb = [_duckdb_rows(proj, people), _duckdb_rows(proj, cities)]
    assert [[tuple(v.lower() for v in row) for row in rows] for rows in on_duckdb] == \
        [[tuple(v.lower() for v in row) for row in rows] for rows in on_hive]


def test_the_demo_snapshot_on_hive_matches_duckdb(tmp_path, hive_server, make_target):
    """The demo's students_history (spring export, then autumn) on the server: the same versions as on DuckDB."""
    import re
    import shutil
    from pathlib import Path

    from tests.conftest import ProjectDir

    root_dir = Path(__file__).resolve().parents[2]
    root = tmp_path / "demo"
    for name in ("models", "macros", "seeds", "snapshots"):
        shutil.copytree(root_dir / name, root / name)
    shutil.copy(root_dir / "profiles.yml", root / "profiles.yml")
    prefix = f"ds{uuid.uuid4().hex[:6]}_"
    text = (root_dir / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(re.sub(r'(?m)^schema = "(\w+)"', rf'schema = "{prefix}\1"', text))
    demo = ProjectDir(root)
    env = {"ELT_HIVE_HOST": hive_server.host, "ELT_HIVE_PORT": str(hive_server.port)}
    sql = (f"SELECT student_id, home_city, email, has_scholarship, dbt_valid_to IS NULL "
           f"FROM {prefix}snapshots.students_history")
    try:
        for target in ("hive", "dev"):
            for args in (("seed", "-s", "students", "students_autumn"), ("snapshot",),
                         ("snapshot", "--vars", "{registrar_export: autumn}")):
                result = demo.elt(*args, "--target", target, env=env)
                assert result.exit_code == 0, result.output
        on_hive = hive_rows(make_target, sql)
        import duckdb

        with duckdb.connect(str(root / "target" / "school.duckdb"), read_only=True) as con:
            on_duckdb = sorted((tuple(str(v) for v in row) for row in con.execute(sql).fetchall()), key=repr)
        assert [tuple(v.lower() for v in row) for row in on_hive] == \
            [tuple(v.lower() for v in row) for row in on_duckdb]
        assert sum(row[-1] == "True" for row in on_hive) == 201  # 200 students, 2 gone, 3 admitted
        assert len(on_hive) == 203 + 17  # every student once, and a new version for each of the 17 changed
    finally:
        hive = HiveAdapter(make_target())
        hive.open()
        try:
            for (name,) in hive.fetchall("SHOW DATABASES"):
                if name.startswith(prefix):
                    hive.execute(f"DROP DATABASE IF EXISTS {name} CASCADE")
        finally:
            hive.close()
