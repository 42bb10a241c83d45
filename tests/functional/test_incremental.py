"""Incremental models on real DuckDB: append, insert_overwrite by partition, merge, schema changes."""

from __future__ import annotations

import json

import pytest

EVENTS = (
    "event_id,dt,user_id,amount\n"
    "1,2024-06-01,1,10\n2,2024-06-01,2,20\n3,2024-06-02,1,5\n4,2024-06-03,3,7\n5,2024-06-03,1,1\n"
)

DAILY = """\
{{ config(materialized='incremental', partition_by=['dt'], batch_size='day') }}
select user_id, sum(amount) as amount, dt
from {{ ref('events') }}
{% if var('start', none) %}
where dt between '{{ var("start") }}' and '{{ var("end") }}'
{% endif %}
group by user_id, dt
"""


def rows(proj, sql: str) -> list[tuple]:
    return sorted(proj.query(sql), key=repr)


def last_result(proj, uid: str) -> dict:
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return next(r for r in data["results"] if r["unique_id"] == uid)


@pytest.fixture
def daily(project):
    proj = project({"seeds/events.csv": EVENTS, "models/marts/daily.sql": DAILY})
    assert proj.elt("seed").exit_code == 0
    return proj


def test_three_days_one_by_one_equal_a_full_refresh(daily):
    for day in ("2024-06-01", "2024-06-02", "2024-06-03"):
        result = daily.elt("run", "--start", day, "--end", day)
        assert result.exit_code == 0, result.output
    loaded = rows(daily, "select * from gold.daily")
    assert daily.elt("run", "--full-refresh").exit_code == 0
    assert rows(daily, "select * from gold.daily") == loaded
    assert len(loaded) == 5


def test_backfill_range_runs_once_per_day_and_records_partitions(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    assert daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-03").exit_code == 0
    record = last_result(daily, "model.daily")
    assert record["incremental"]["strategy"] == "insert_overwrite"
    assert record["incremental"]["batches"] == 2
    assert record["incremental"]["partitions"] == ["dt=2024-06-02", "dt=2024-06-03"]
    assert record["incremental"]["rows_inserted"] == 3


def test_rerunning_a_day_with_changed_rows_replaces_only_that_partition(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-03").exit_code == 0
    before = rows(daily, "select * from gold.daily where dt <> '2024-06-02'")
    daily.write({"seeds/events.csv": EVENTS.replace("3,2024-06-02,1,5", "3,2024-06-02,1,500")
                 + "6,2024-06-01,9,99\n"})      # a late row for another day must NOT be loaded
    assert daily.elt("seed").exit_code == 0
    assert daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02").exit_code == 0
    assert rows(daily, "select user_id, amount from gold.daily where dt = '2024-06-02'") == [(1, 500)]
    assert rows(daily, "select * from gold.daily where dt <> '2024-06-02'") == before


def test_is_incremental_and_this_filter_new_rows(project):
    proj = project({
        "seeds/events.csv": EVENTS,
        "models/marts/appended.sql": """\
            {{ config(materialized='incremental', incremental_strategy='append') }}
            select event_id, amount from {{ ref('events') }}
            {% if is_incremental() %}
            where event_id > (select max(event_id) from {{ this }})
            {% endif %}
        """,
    })
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    assert proj.query("select count(*) from gold.appended") == [(5,)]
    proj.write({"seeds/events.csv": EVENTS + "6,2024-06-04,2,3\n"})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    assert proj.query("select count(*), sum(amount) from gold.appended") == [(6, 46)]
    assert last_result(proj, "model.appended")["incremental"]["strategy"] == "append"
    assert last_result(proj, "model.appended")["rows"] == 1


MERGE = """\
{{ config(materialized='incremental', incremental_strategy='merge', unique_key=['user_id']) }}
select user_id, sum(amount) as total from {{ ref('events') }}
{% if is_incremental() %} where dt >= '2024-06-03' {% endif %}
group by user_id
"""


def test_merge_updates_changed_keys_and_inserts_new_ones(project):
    proj = project({"seeds/events.csv": EVENTS, "models/marts/totals.sql": MERGE})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    assert rows(proj, "select * from gold.totals") == [(1, 16), (2, 20), (3, 7)]
    proj.write({"seeds/events.csv": EVENTS + "6,2024-06-03,4,40\n"})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    # users 1 and 3 had rows on 2024-06-03: replaced by their totals from that day; user 4 is new.
    assert rows(proj, "select * from gold.totals") == [(1, 1), (2, 20), (3, 7), (4, 40)]


def test_failing_incremental_load_leaves_the_table_as_before(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-03").exit_code == 0
    before = rows(daily, "select * from gold.daily")
    daily.write({"models/marts/daily.sql": DAILY.replace("sum(amount)", "sum(no_such_column)")})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 1
    assert rows(daily, "select * from gold.daily") == before
    assert not any("__elt_" in name for name in daily.relations())


def test_full_refresh_rebuilds(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    assert daily.query("select count(*) from gold.daily") == [(2,)]
    assert daily.elt("run", "--full-refresh").exit_code == 0
    assert daily.query("select count(*) from gold.daily") == [(5,)]


WIDER = DAILY.replace("sum(amount) as amount, dt", "sum(amount) as amount, count(*) as events, dt")


@pytest.mark.parametrize("mode, exit_code, columns", [
    ("fail", 1, ["user_id", "amount", "dt"]),
    ("ignore", 0, ["user_id", "amount", "dt"]),
    ("append_new_columns", 0, ["user_id", "amount", "dt", "events"]),
    ("sync_all_columns", 0, ["user_id", "dt", "events"]),
])
def test_on_schema_change(daily, mode, exit_code, columns):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    changed = WIDER.replace("materialized='incremental'", f"materialized='incremental', on_schema_change='{mode}'")
    if mode == "sync_all_columns":
        changed = changed.replace("sum(amount) as amount, ", "")
    daily.write({"models/marts/daily.sql": changed})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == exit_code, result.output
    assert columns_of(daily, "daily") == columns
    if mode == "fail":
        assert "the columns of gold.daily changed: new ['events']" in result.stdout
    if mode == "append_new_columns":
        assert daily.query("select events from gold.daily where dt = '2024-06-02'") == [(1,)]
        assert daily.query("select events from gold.daily where dt = '2024-06-01'") == [(None,), (None,)]


def test_failing_load_after_a_new_column_leaves_the_table_as_before(daily):
    # The new column would be added, then a row cannot be converted to the table's type: the column
    # must not stay added (DuckDB: one transaction; Hive: the load is rehearsed first).
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    before = rows(daily, "select * from gold.daily")
    broken = WIDER.replace("materialized='incremental'",
                           "materialized='incremental', on_schema_change='append_new_columns'").replace(
        "sum(amount) as amount", "'not a number' as amount")
    daily.write({"models/marts/daily.sql": broken})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 1, result.output
    assert columns_of(daily, "daily") == ["user_id", "amount", "dt"]
    assert rows(daily, "select * from gold.daily") == before
    assert not any("__elt_" in name for name in daily.relations())


def columns_of(proj, table: str) -> list[str]:
    return [c for (c,) in proj.query("select column_name from information_schema.columns "
                                     f"where table_name = '{table}' order by ordinal_position")]


def test_a_changed_column_type_fails_by_default(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    before = rows(daily, "select * from gold.daily")
    daily.write({"models/marts/daily.sql": DAILY.replace("sum(amount) as amount", "sum(amount) + 0.4 as amount")})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 1
    assert "the columns of gold.daily changed: type of amount: BIGINT -> DECIMAL(" in result.stdout, result.stdout
    assert rows(daily, "select * from gold.daily") == before


def test_sync_all_columns_changes_a_column_type(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    daily.write({"models/marts/daily.sql": changed(DAILY, "sync_all_columns", "sum(amount) as amount",
                                                   "sum(amount) + 0.4 as amount")})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 0, result.output
    # The new value is kept whole (5.4, not 5); the earlier day's values are converted.
    assert rows(daily, "select user_id, cast(amount as double), cast(dt as varchar) from gold.daily") == sorted([
        (1, 5.4, "2024-06-02"), (1, 10.0, "2024-06-01"), (2, 20.0, "2024-06-01")], key=repr)


def changed(model: str, mode: str, old: str = "", new: str = "") -> str:
    model = model.replace("materialized='incremental'", f"materialized='incremental', on_schema_change='{mode}'")
    return model.replace(old, new) if old else model


def test_a_wider_or_narrower_integer_is_not_a_type_change(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01").exit_code == 0
    daily.write({"models/marts/daily.sql": DAILY.replace("sum(amount) as amount",
                                                         "cast(sum(amount) as int) as amount")})
    result = daily.elt("run", "--start", "2024-06-02", "--end", "2024-06-02")
    assert result.exit_code == 0, result.output
    assert rows(daily, "select user_id, amount from gold.daily where dt = '2024-06-02'") == [(1, 5)]


def test_a_backfill_that_creates_the_table_records_every_partition(daily):
    assert daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-03").exit_code == 0
    record = last_result(daily, "model.daily")["incremental"]
    assert record["partitions"] == ["dt=2024-06-01", "dt=2024-06-02", "dt=2024-06-03"]
    assert record["batches"] == 3 and record["rows_inserted"] == 5
    assert daily.elt("run", "--full-refresh").exit_code == 0
    record = last_result(daily, "model.daily")["incremental"]
    assert record["strategy"] == "full_refresh" and record["rows_inserted"] == 5
    assert record["partitions"] == ["dt=2024-06-01", "dt=2024-06-02", "dt=2024-06-03"]
    manifest = json.loads((daily.root / "target/manifest.json").read_text())
    assert manifest["nodes"]["model.daily"]["incremental_strategy"] == "insert_overwrite"


def test_merge_matches_null_keys(project):
    proj = project({"seeds/events.csv": EVENTS + "6,2024-06-03,,4\n", "models/marts/totals.sql": MERGE})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    assert proj.elt("run").exit_code == 0
    # The NULL user's row is replaced, not added a second time.
    assert rows(proj, "select * from gold.totals") == [(1, 1), (2, 20), (3, 7), (None, 4)]


def test_merge_refuses_new_rows_with_a_repeated_key(project):
    proj = project({"seeds/events.csv": EVENTS, "models/marts/totals.sql": MERGE})
    proj.elt("seed")
    assert proj.elt("run").exit_code == 0
    proj.write({"models/marts/totals.sql": MERGE.replace("group by user_id", "group by user_id, dt").replace(
        "where dt >= '2024-06-03'", "")})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "hold 1 unique_key value(s) more than once" in result.stdout, result.stdout
    assert rows(proj, "select * from gold.totals") == [(1, 16), (2, 20), (3, 7)]


def test_start_end_and_vars_cannot_both_set_the_interval(daily):
    result = daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-01", "--vars", "{start: '2024-06-02'}")
    assert result.exit_code == 2
    assert "--start/--end and --vars both set start" in result.stderr
    assert not daily.database.exists() or "gold.daily" not in daily.relations()


@pytest.mark.parametrize("config, message", [
    ("incremental_strategy='insert_overwrite'", "insert_overwrite without partition_by would replace the whole"),
    ("incremental_strategy='append', unique_key='x'", "unique_key is only used by the merge strategy; append"),
    ("partition_by=['dt'], unique_key='x'", "unique_key is only used by the merge strategy; insert_overwrite"),
    ("partition_by=['day']", "partition_by column(s) day are not among the query's columns (x, dt)"),
    ("incremental_strategy='merge'", "the merge strategy needs unique_key"),
    ("incremental_strategy='upsert'", "unknown incremental_strategy 'upsert'"),
    ("on_schema_change='drop'", "unknown on_schema_change 'drop'"),
    ("partition_by=['dt'], batch_size='week'", "batch_size must be day or month"),
])
def test_unsafe_combinations_are_refused(project, config, message):
    proj = project({"models/marts/m.sql": f"{{{{ config(materialized='incremental', {config}) }}}}\n"
                                          "select 1 as x, '2024-01-01' as dt\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "models/marts/m.sql" in result.stderr and message in result.stderr
    assert not proj.database.exists()


def test_a_partition_column_missing_from_select_star_is_refused_before_the_table_is_built(daily):
    # `select *` hides the columns from the compile-time check: the run checks them first.
    daily.write({"models/marts/daily.sql": "{{ config(materialized='incremental', partition_by=['day']) }}\n"
                                           "select * from {{ ref('events') }}\n"})
    result = daily.elt("run")
    assert result.exit_code == 1
    assert "partition_by column(s) day are not in the query of gold.daily" in result.stdout
    assert "gold.daily" not in daily.relations()


def test_full_overwrite_ok_allows_replacing_everything(project):
    proj = project({"models/marts/m.sql": "{{ config(materialized='incremental', "
                                          "incremental_strategy='insert_overwrite', full_overwrite_ok=true) }}\n"
                                          "select {{ var('x', 1) }} as x\n"})
    assert proj.elt("run").exit_code == 0
    assert proj.elt("run", "--vars", "{x: 2}").exit_code == 0
    assert proj.query("select x from gold.m") == [(2,)]


@pytest.mark.parametrize("model, message", [
    (MERGE, "merge needs a table that supports MERGE"),
    (DAILY.replace("batch_size='day'", "batch_size='day', on_schema_change='sync_all_columns'"),
     "sync_all_columns' needs to drop columns, and hive tables cannot drop columns"),
])
def test_hive_refuses_at_compile_time(project, model, message):
    # Port 1: nothing listens there, so this shows the refusal comes before any connection.
    profiles = "test:\n  target: hive\n  outputs:\n    hive: {type: hive, host: 127.0.0.1, port: 1}\n"
    proj = project({"models/marts/m.sql": model, "seeds/events.csv": EVENTS}, profiles=profiles)
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert message in result.stderr
    if model == MERGE:
        assert "transactional=true" in result.stderr



@pytest.mark.parametrize("branch, message, hint", [
    ("(select max(amount) from {{ ref('event') }})", "ref to unknown model 'event'", "did you mean events?"),
    ("(select max(amount) from {{ this }}))", "SQL syntax error", None),
])
def test_an_error_in_a_batch_render_names_the_model_file_and_line(daily, branch, message, hint):
    """A batch renders the model again, with is_incremental() true: an error only that render reaches
    reads as the compile's would, at the line of the model file."""
    daily.write({"models/marts/daily.sql": DAILY.replace("{% endif %}", "{% endif %}\n{% if is_incremental() %}\n"
                                                         f"and amount > {branch}\n{{% endif %}}")})
    assert daily.elt("run").exit_code == 0
    result = daily.elt("run", "--start", "2024-06-01", "--end", "2024-06-02", "-s", "daily")
    assert result.exit_code == 1
    assert "models/marts/daily.sql:8" in result.stdout and message in result.stdout, result.output
    if hint:
        assert hint in result.stdout
