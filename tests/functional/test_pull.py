"""`elt pull` without a warehouse: the checks made before anything is read (targets, limits, yml `pull:`
blocks), the record of pulls, and `elt debug` showing it. Pulling from Hive: tests/hive/test_pull_on_hive.py."""

from __future__ import annotations

import duckdb

from elt.adapters.duckdb import DuckDBAdapter
from elt.nodes import Relation
from elt.project.config import TargetConfig
from elt.run.pull import RECORD, pulled

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
    other:
      type: duckdb
      path: target/other.duckdb
    prod:
      type: hive
      host: 127.0.0.1
      port: 1
      connect_timeout: 1
      retries: 0
"""

SOURCES = """\
version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: events
"""

FILES = {"models/staging/sources.yml": SOURCES,
         "models/staging/stg_events.sql": "select * from {{ source('raw', 'events') }}"}


def test_pull_into_a_warehouse_target_is_refused(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("pull", "--from", "other", "--target", "prod")
    assert result.exit_code == 2
    assert "elt pull writes into a local database: target 'prod' is hive" in result.output
    assert "Traceback" not in result.output


def test_pull_from_a_local_target_is_refused(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("pull", "--from", "other")
    assert result.exit_code == 2
    assert "elt pull cannot read from target 'other' (duckdb)" in result.output
    assert "pull from a target of type hive or spark" in result.output


def test_pull_from_an_unknown_target_names_it(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("pull", "--from", "production")
    assert result.exit_code == 2
    assert "production" in result.output and "Traceback" not in result.output


def test_pull_from_the_target_pulled_into_is_refused(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("pull", "--from", "dev")
    assert result.exit_code == 2
    assert "--from 'dev' is the target pulled into" in result.output


def test_a_bad_pull_block_names_the_source_and_file(project) -> None:
    bad = SOURCES + "        pull: {sample: 150}\n"
    proj = project({**FILES, "models/staging/sources.yml": bad}, profiles=PROFILES)
    result = proj.elt("pull", "--from", "prod")
    assert result.exit_code == 2
    assert "models/staging/sources.yml:6: source raw.events: pull sample is a percent above 0 and at most 100, " \
           "got 150" in result.output


def test_an_unknown_pull_key_is_refused_with_the_valid_ones(project) -> None:
    bad = SOURCES + "        pull: {partition: 3}\n"
    proj = project({**FILES, "models/staging/sources.yml": bad}, profiles=PROFILES)
    result = proj.elt("pull", "--from", "prod")
    assert result.exit_code == 2
    assert "unknown pull limit(s) partition" in result.output
    assert "partitions, where, sample (percent), limit, max_rows" in result.output


def test_a_sample_of_zero_percent_is_refused(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("pull", "--from", "prod", "--sample", "0")
    assert result.exit_code == 2
    assert "--sample" in result.output


def test_the_record_is_empty_before_a_pull_and_debug_says_nothing(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    result = proj.elt("debug")
    assert "pulled data" not in result.output
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1,
                          settings={"path": str(proj.root / "target" / "test.duckdb")},
                          profiles_path=proj.root / "profiles.yml", dialect="duckdb")
    with DuckDBAdapter(target) as adapter:
        assert pulled(adapter) == []


def test_elt_debug_lists_what_was_pulled(project) -> None:
    proj = project(FILES, profiles=PROFILES)
    proj.database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(proj.database)) as con:
        con.execute("CREATE SCHEMA elt_meta")
        con.execute(f"CREATE TABLE {RECORD} (relation VARCHAR, unique_id VARCHAR, from_target VARCHAR, "
                    "from_relation VARCHAR, limits VARCHAR, query VARCHAR, row_count BIGINT, bytes BIGINT, "
                    "seconds DOUBLE, pulled_at TIMESTAMP)")
        con.execute(f"INSERT INTO {RECORD} VALUES ('raw.events', 'source.raw.events', 'prod', 'raw.events', "
                    "'last 3 partitions', 'SELECT 1', 42, 100, 0.5, TIMESTAMP '2026-01-02 03:04:00')")
    result = proj.elt("debug")
    assert ("pulled data: 1 relation(s): raw.events from prod:raw.events (last 3 partitions, 42 rows, "
            "2026-01-02 03:04 UTC)") in result.output
    assert Relation("elt_meta", "pulls") == RECORD


def _items(proj, select: tuple[str, ...], given=None) -> dict[str, str]:
    from elt.cli.invocation import Invocation, compile_manifest
    from elt.report.console import Console
    from elt.run.pull_plan import Limits, pull_items
    from elt.run.selection import select_nodes

    manifest = compile_manifest(Invocation(project_dir=proj.root), Console())
    chosen = select_nodes(manifest.graph, manifest.nodes, select, (), {"model", "seed", "source"}) if select \
        else None
    return {item.unique_id: f"{item.local} ({item.limits.describe()})"
            for item in pull_items(manifest, manifest, chosen, given or Limits())}


GRAPH = {
    **FILES,
    "models/staging/sources.yml": SOURCES.replace("    tables:\n", "    pull: {sample: 10}\n    tables:\n")
    + "        pull: {partitions: 2, limit: 50}\n      - name: users\n",
    "seeds/countries.csv": "code,name\nFR,France\n",
    "models/intermediate/int_users.sql": "{{ config(materialized='ephemeral') }}\n"
                                         "select * from {{ source('raw', 'users') }}",
    "models/intermediate/int_events.sql": "select e.*, c.name from {{ ref('stg_events') }} e "
                                          "join {{ ref('countries') }} c on true",
    "models/marts/mart_a.sql": "select * from {{ ref('int_events') }} join {{ ref('int_users') }} on true",
}


def test_the_raw_layer_is_every_source_and_seed_with_the_yml_limits(project) -> None:
    proj = project(GRAPH, profiles=PROFILES)
    assert _items(proj, ()) == {
        "source.raw.events": "raw.events (last 2 partitions; limit 50)",  # the table's block replaces the source's
        "source.raw.users": "raw.users (sample 10%)",
        "seed.countries": "raw.countries (all rows)"}


def test_a_selection_pulls_what_it_reads_and_does_not_build(project) -> None:
    from elt.run.pull_plan import Limits

    proj = project(GRAPH, profiles=PROFILES)
    # mart_a reads int_events (a table, not selected) and, through the ephemeral int_users, raw.users.
    assert _items(proj, ("mart_a",), Limits(sample=5.0)) == {
        "model.int_events": "silver.int_events (sample 5%)",
        "source.raw.users": "raw.users (sample 5%)"}
    # +mart_a builds everything but the sources; the command line's limit wins key by key.
    assert _items(proj, ("+mart_a",), Limits(limit=7)) == {
        "source.raw.events": "raw.events (last 2 partitions; limit 7)",
        "source.raw.users": "raw.users (sample 10%; limit 7)"}
