"""Incremental models on the real Hive server: the same loads as on DuckDB, with the same rows.

Each project here runs both targets — `dev` (DuckDB) and `hive` — so assertions compare Hive with what
the DuckDB run of the very same project holds. The server is shared and slow: each test is one small
project, and several models share one `elt run` where they can.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import PYPROJECT
from tests.functional.test_incremental import DAILY, EVENTS, MERGE, WIDER, changed

pytestmark = pytest.mark.hive


def profiles(server: Any) -> str:
    return f"""\
test:
  target: dev
  outputs:
    dev: {{type: duckdb, path: target/test.duckdb}}
    hive: {{type: hive, host: {server.host}, port: {server.port}, username: elt_test, auth: NONE, threads: 2}}
"""


@pytest.fixture
def hive_project(project, hive_server, make_target):
    """A project whose schemas are unique to this test, on both targets; dropped afterwards."""
    prefix = f"i{uuid.uuid4().hex[:6]}_"
    pyproject = PYPROJECT.replace('schema = "raw"', f'schema = "{prefix}raw"').replace(
        'schema = "gold"', f'schema = "{prefix}gold"')
    created: list[Any] = []

    def make(files: dict[str, str]) -> Any:
        proj = project(files, pyproject=pyproject, profiles=profiles(hive_server))
        proj.prefix = prefix
        created.append(proj)
        return proj

    yield make
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        for schema in ("raw", "gold"):
            hive.execute(f"DROP DATABASE IF EXISTS {prefix}{schema} CASCADE")
    finally:
        hive.close()


def hive_rows(make_target: Any, sql: str) -> list[tuple]:
    return hive_read(make_target, sql)[0]


def hive_read(make_target: Any, *sqls: str) -> list[list[tuple]]:
    """Each query's rows as sorted tuples of strings, in one fresh session (a session opened before
    another one wrote may list stale files)."""
    hive = HiveAdapter(make_target())
    hive.open()
    try:
        return [sorted((tuple(str(v) for v in row) for row in hive.fetchall(sql)), key=repr) for sql in sqls]
    finally:
        hive.close()


def both(proj: Any, *args: str) -> None:
    for target in ("dev", "hive"):
        result = proj.elt(*args, "--target", target)
        assert result.exit_code == 0, (target, result.output)


def duck_rows(proj: Any, sql: str) -> list[tuple]:
    return sorted((tuple(str(v) for v in row) for row in proj.query(sql)), key=repr)


def last_result(proj: Any, uid: str) -> dict:
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return next(r for r in data["results"] if r["unique_id"] == uid)


def test_daily_partitions_on_hive_equal_duckdb(hive_project, make_target):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/daily.sql": DAILY})
    table = f"{proj.prefix}gold.daily"
    both(proj, "seed")
    for day in ("2024-06-01", "2024-06-02", "2024-06-03"):
        both(proj, "run", "--start", day, "--end", day)
        record = last_result(proj, "model.daily")["incremental"]  # the Hive run's (it runs last)
        assert record["partitions"] == [f"dt={day}"]
        assert record["strategy"] == ("create" if day == "2024-06-01" else "insert_overwrite")
    one_by_one = hive_rows(make_target, f"SELECT * FROM {table}")
    assert one_by_one == duck_rows(proj, f"SELECT * FROM {table}")
    assert len(one_by_one) == 5
    assert last_result(proj, "model.daily")["incremental"]["rows_inserted"] == 2

    # The three days loaded one by one hold the same rows as a full refresh over the three days.
    assert proj.elt("run", "--target", "hive", "--full-refresh").exit_code == 0
    assert hive_rows(make_target, f"SELECT * FROM {table}") == one_by_one
    record = last_result(proj, "model.daily")["incremental"]
    assert record == {**record, "strategy": "full_refresh", "rows_inserted": 5,
                      "partitions": ["dt=2024-06-01", "dt=2024-06-02", "dt=2024-06-03"]}
    partitions = [p for (p,) in hive_rows(make_target, f"SHOW PARTITIONS {table}")]
    assert partitions == ["dt=2024-06-01", "dt=2024-06-02", "dt=2024-06-03"]

    # Re-running one day with changed source rows replaces that partition only.
    before = hive_rows(make_target, f"SELECT * FROM {table} WHERE dt <> '2024-06-02'")
    proj.write({"seeds/events.csv": EVENTS.replace("3,2024-06-02,1,5", "3,2024-06-02,1,500")})
    both(proj, "seed")
    both(proj, "run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert hive_rows(make_target, f"SELECT user_id, amount FROM {table} WHERE dt = '2024-06-02'") == [("1", "500")]
    assert hive_rows(make_target, f"SELECT * FROM {table} WHERE dt <> '2024-06-02'") == before
    assert hive_rows(make_target, f"SELECT * FROM {table}") == duck_rows(proj, f"SELECT * FROM {table}")


def test_merge_is_refused_on_hive_unless_transactional(hive_project):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/totals.sql": MERGE})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 2
    assert "merge needs a table that supports MERGE" in result.stderr


def test_schema_changes_on_hive_as_on_duckdb(hive_project, make_target):
    # Six models share each run: a type change (and a new column) under fail, an int narrowed under
    # fail, a new column ignored, a new column appended, a new column whose load fails on a value, and
    # a query that fails.
    names = ("retyped", "narrowed", "ignored", "added", "broken", "failing")
    proj = hive_project({"seeds/events.csv": EVENTS, **{f"models/marts/{n}.sql": DAILY for n in names}})
    both(proj, "seed")
    both(proj, "run", "--start", "2024-06-01", "--end", "2024-06-01")
    tables = {n: f"{proj.prefix}gold.{n}" for n in names}
    before = dict(zip(names, hive_read(make_target, *(f"SELECT * FROM {tables[n]}" for n in names)), strict=True))
    proj.write({
        "models/marts/retyped.sql": changed(WIDER, "fail", "sum(amount) as amount", "sum(amount) + 0.4 as amount"),
        "models/marts/narrowed.sql": changed(DAILY, "fail", "sum(amount) as amount",
                                             "cast(sum(amount) as int) as amount"),
        "models/marts/ignored.sql": changed(WIDER, "ignore"),
        "models/marts/added.sql": changed(WIDER, "append_new_columns"),
        "models/marts/broken.sql": changed(WIDER, "append_new_columns", "sum(amount) as amount",
                                           "'not a number' as amount"),
        "models/marts/failing.sql": DAILY.replace("sum(amount)", "sum(no_such_column)"),
    })
    outputs = {}
    for target in ("dev", "hive"):
        result = proj.elt("run", "--target", target, "--start", "2024-06-02", "--end", "2024-06-02")
        assert result.exit_code == 1, (target, result.output)
        outputs[target] = result.stdout
        statuses = {r["unique_id"]: r["status"] for r in json.loads(
            (proj.root / "target/run_results.json").read_text())["results"]}
        assert statuses == {"model.retyped": "error", "model.narrowed": "success", "model.ignored": "success",
                            "model.added": "success", "model.broken": "error", "model.failing": "error"}, target
    hive_output = " ".join(outputs["hive"].split()).lower()
    assert f"the columns of {tables['retyped']} changed: new ['events'], gone none; type of amount: " in hive_output
    assert "-> decimal(" in hive_output

    after = dict(zip(names, hive_read(make_target, *(f"SELECT * FROM {tables[n]}" for n in names)), strict=True))
    added = f"SELECT user_id, amount, events, dt FROM {tables['added']}"
    narrowed, with_events, listed = hive_read(
        make_target, f"SELECT user_id, amount FROM {tables['narrowed']} WHERE dt = '2024-06-02'", added,
        f"SHOW TABLES IN {proj.prefix}gold")
    # fail: refused, table untouched; a narrower integer is no type change.
    assert after["retyped"] == before["retyped"]
    assert narrowed == [("1", "5")]
    # ignore: the new column is not added, the day is loaded.
    assert [c.name for c in hive_columns(make_target, tables["ignored"])] == ["user_id", "amount", "dt"]
    assert len(after["ignored"]) == 3
    # a failing load after a new column: the column is not added, the rows are as before.
    assert [c.name for c in hive_columns(make_target, tables["broken"])] == ["user_id", "amount", "dt"]
    assert after["broken"] == before["broken"]
    # append_new_columns: the column is added (NULL on the earlier day), the day loaded.
    assert with_events == duck_rows(proj, added)
    assert ("1", "5", "1", "2024-06-02") in with_events and ("1", "10", "None", "2024-06-01") in with_events
    # a failing query: the table is as before.
    assert after["failing"] == before["failing"]
    for name, table in tables.items():
        if name != "added":  # Hive adds a column before the partition columns, DuckDB after them
            assert after[name] == duck_rows(proj, f"SELECT * FROM {table}"), name
    assert not [row for row in listed if "__elt_" in row[1]]


def hive_columns(make_target: Any, table: str) -> list[Any]:
    from elt.nodes import Relation

    hive = HiveAdapter(make_target())
    hive.open()
    try:
        schema, name = table.split(".")
        return hive.get_columns(Relation(schema, name))
    finally:
        hive.close()


APPENDED = """\
{{ config(materialized='incremental', incremental_strategy='append') }}
select event_id, amount from {{ ref('events') }}
{% if is_incremental() %}
where event_id > (select max(event_id) from {{ this }})
{% endif %}
"""

WHOLE = """\
{{ config(materialized='incremental', incremental_strategy='insert_overwrite', full_overwrite_ok=true) }}
select {{ var('x', 1) }} as x
"""


def test_append_this_and_full_overwrite_ok_on_hive(hive_project, make_target):
    proj = hive_project({"seeds/events.csv": EVENTS, "models/marts/appended.sql": APPENDED,
                         "models/marts/whole.sql": WHOLE})
    gold = f"{proj.prefix}gold"
    assert proj.elt("seed", "--target", "hive").exit_code == 0
    assert proj.elt("run", "--target", "hive").exit_code == 0
    proj.write({"seeds/events.csv": EVENTS + "6,2024-06-04,2,3\n"})
    assert proj.elt("seed", "--target", "hive").exit_code == 0
    result = proj.elt("run", "--target", "hive", "--vars", "{x: 2}")
    assert result.exit_code == 0, result.output
    # is_incremental() and {{ this }}: only the new event was appended.
    assert hive_rows(make_target, f"SELECT count(*), sum(amount) FROM {gold}.appended") == [("6", "46")]
    assert last_result(proj, "model.appended")["incremental"]["strategy"] == "append"
    assert last_result(proj, "model.appended")["rows"] == 1
    # full_overwrite_ok: the whole table replaced.
    assert hive_rows(make_target, f"SELECT x FROM {gold}.whole") == [("2",)]
    assert last_result(proj, "model.whole")["incremental"]["strategy"] == "insert_overwrite"


@pytest.mark.parametrize("config, message", [
    ("incremental_strategy='insert_overwrite'", "insert_overwrite without partition_by would replace the whole"),
    ("partition_by=['dt'], unique_key='x'", "unique_key is only used by the merge strategy"),
    ("partition_by=['day']", "partition_by column(s) day are not among the query's columns"),
    ("partition_by=['dt'], on_schema_change='sync_all_columns'", "hive tables cannot drop columns"),
])
def test_unsafe_combinations_are_refused_on_hive(hive_project, make_target, config, message):
    proj = hive_project({"models/marts/m.sql": f"{{{{ config(materialized='incremental', {config}) }}}}\n"
                                               "select 1 as x, '2024-01-01' as dt\n"})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 2
    assert "models/marts/m.sql" in result.stderr and message in result.stderr
    assert not hive_rows(make_target, f"SHOW DATABASES LIKE '{proj.prefix}*'")
