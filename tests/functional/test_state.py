"""--state on DuckDB: state:new / state:modified[.part] selectors, --defer / --favor-state, elt clone.

A "prod" and a "dev" target share one database file with different schemas: production is built and
its target/ copied as the state, then the project is changed and compared or built on dev.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

PYPROJECT = """\
[tool.elt]
name = "state_project"
profile = "test"

[tool.elt.vars]
min_id = 1
"""

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/wh.duckdb
      schema: dev
    prod:
      type: duckdb
      path: target/wh.duckdb
      schema: prod
"""

FILES = {
    "seeds/raw_orders.csv": "id,amount,status\n1,10,paid\n2,20,paid\n3,30,open\n4,40,paid\n",
    "macros/money.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
    "models/stg_orders.sql": "select id, amount, status from {{ ref('raw_orders') }} where id >= {{ var('min_id') }}\n",
    "models/int_paid.sql": "{{ config(materialized='table') }}\nselect id, {{ cents('amount') }} as cents "
                           "from {{ ref('stg_orders') }} where status = 'paid'\n",
    "models/mart_total.sql": "{{ config(materialized='table') }}\nselect count(*) as n, sum(cents) as total "
                             "from {{ ref('int_paid') }}\n",
    "models/other.sql": "select 1 as x\n",
}


@pytest.fixture
def prod(project, tmp_path):
    """The project built on prod, its target/ copied to a state folder; returns (project, state dir)."""
    proj = project(FILES, pyproject=PYPROJECT, profiles=PROFILES)
    return proj, _built_prod_state(proj, tmp_path)


def _built_prod_state(proj, tmp_path) -> Path:
    """Build the project on prod and copy its manifest to a state folder; returns the folder."""
    result = proj.elt("build", "--target", "prod")
    assert result.exit_code == 0, result.output
    state = tmp_path / "prod_state"
    state.mkdir()
    shutil.copy(proj.root / "target" / "manifest.json", state / "manifest.json")
    return state


def _ls(proj, state, *selectors: str) -> set[str]:
    result = proj.elt("ls", "--resource-type", "model", "--resource-type", "seed", "-s", *selectors,
                      "--state", str(state))
    assert result.exit_code == 0, result.output
    return set(result.stdout.split())


def test_unchanged_project_on_another_target_is_not_modified(prod):
    proj, state = prod
    assert _ls(proj, state, "state:modified") == set()
    assert _ls(proj, state, "state:new") == set()


def test_reformatting_and_comments_are_not_modifications(prod):
    proj, state = prod
    proj.write({"models/stg_orders.sql": "-- staged orders\nSELECT id,\n       amount, /* euros */ status\n"
                                         "  FROM {{ ref('raw_orders') }}\n WHERE id   >=   {{ var('min_id') }}\n"})
    assert _ls(proj, state, "state:modified") == set()


def test_a_changed_filter_is_modified_body(prod):
    proj, state = prod
    proj.write({"models/stg_orders.sql": "select id, amount, status from {{ ref('raw_orders') }} where id >= 2\n"})
    assert _ls(proj, state, "state:modified.body") == {"stg_orders"}
    assert _ls(proj, state, "state:modified.configs") == set()
    assert _ls(proj, state, "state:modified+") == {"stg_orders", "int_paid", "mart_total"}
    assert _ls(proj, state, "state:modified+", "--exclude", "mart_total") == {"stg_orders", "int_paid"}
    assert _ls(proj, state, "state:modified+,config.materialized:table") == {"int_paid", "mart_total"}


def test_a_changed_config_is_modified_configs(prod):
    proj, state = prod
    proj.write({"models/other.sql": "{{ config(materialized='table') }}\nselect 1 as x\n"})
    assert _ls(proj, state, "state:modified.configs") == {"other"}
    assert _ls(proj, state, "state:modified.body") == set()


def test_a_changed_macro_is_modified_macros(prod):
    proj, state = prod
    proj.write({"macros/money.sql": "{% macro cents(x) %}({{ x }} * 1000){% endmacro %}\n"})
    assert _ls(proj, state, "state:modified.macros") == {"int_paid"}
    assert _ls(proj, state, "state:modified") == {"int_paid"}


def test_a_var_reaching_the_sql_is_a_modification(prod):
    proj, state = prod
    result = proj.elt("ls", "-s", "state:modified", "--state", str(state), "--vars", "{min_id: 2}")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["stg_orders"]


def test_a_source_moved_to_another_schema_is_modified_relation(project, tmp_path):
    import duckdb

    sources = "sources:\n  - name: shop\n    schema: {schema}\n    tables:\n      - name: orders\n"
    files = {**FILES, "models/sources.yml": sources.format(schema="shop_a"),
             "models/from_shop.sql": "select count(*) as n from {{ source('shop', 'orders') }}\n"}
    proj = project(files, pyproject=PYPROJECT, profiles=PROFILES)
    (proj.root / "target").mkdir(exist_ok=True)
    with duckdb.connect(str(proj.root / "target" / "wh.duckdb")) as con:  # two loads of the shop's orders
        for schema in ("shop_a", "shop_b"):
            con.execute(f"create schema {schema}; create table {schema}.orders as select 1 as id")
    state = _built_prod_state(proj, tmp_path)
    assert _ls(proj, state, "state:modified+") == set()
    # The same SQL now reads another table: the source's relation changed, and what reads it with it.
    proj.write({"models/sources.yml": sources.format(schema="shop_b")})
    assert _ls(proj, state, "state:modified.relation+") == {"from_shop"}
    assert _ls(proj, state, "state:modified.body") == set()
    # A state written before sources recorded their relation has nothing to compare it with.
    manifest = json.loads((state / "manifest.json").read_text())
    manifest["nodes"]["source.shop.orders"]["state"]["checksums"]["relation"] = hashlib.sha256(b"{}").hexdigest()
    (state / "manifest.json").write_text(json.dumps(manifest))
    assert _ls(proj, state, "state:modified+") == set()


def test_new_nodes(prod):
    proj, state = prod
    proj.write({"models/brand_new.sql": "select 2 as y\n"})
    assert _ls(proj, state, "state:new") == {"brand_new"}
    assert "brand_new" in _ls(proj, state, "state:modified")


def test_state_selector_without_state_and_bad_states_are_clear_errors(prod, tmp_path):
    proj, state = prod
    result = proj.elt("ls", "-s", "state:modified")
    assert result.exit_code == 2
    assert "no --state was given" in result.output and "Traceback" not in result.output
    result = proj.elt("run", "--defer")
    assert result.exit_code == 2 and "--defer" in result.output and "--state" in result.output
    result = proj.elt("ls", "-s", "state:modified", "--state", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    result = proj.elt("ls", "-s", "state:modified", "--state", str(broken))
    assert result.exit_code == 2 and "not valid JSON" in result.output
    old = tmp_path / "old"
    old.mkdir()
    manifest = json.loads((state / "manifest.json").read_text())
    del manifest["metadata"]["state_version"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    result = proj.elt("ls", "-s", "state:modified", "--state", str(old))
    assert result.exit_code == 2 and "re-run `elt compile` on that target with this elt" in result.output


def test_defer_builds_one_mart_on_production_upstream(prod):
    proj, state = prod
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert "int_paid -> prod.int_paid" in result.output
    relations = proj.relations_in("dev")
    assert relations == {"dev.mart_total": "BASE TABLE"}  # nothing upstream built in dev
    assert proj.rows("select * from dev.mart_total") == proj.rows("select * from prod.mart_total")


def test_defer_gives_a_relationships_test_the_state_relation_it_points_at(prod):
    proj, state = prod
    proj.write({"models/int_paid.yml": """
        models:
          - name: int_paid
            columns:
              - name: id
                data_tests:
                  - relationships: {to: "ref('stg_orders')", field: id}
        """})
    result = proj.elt("build", "-s", "int_paid", "--defer", "--state", str(state))
    assert result.exit_code == 0, result.output  # dev has no stg_orders: the test reads prod's
    assert "stg_orders -> prod.stg_orders" in result.output
    assert "PASS" in result.output and "relationships" in result.output


def test_defer_reads_the_target_s_own_relation_unless_favor_state(prod):
    proj, state = prod
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run", "-s", "stg_orders", "int_paid", "--vars", "{min_id: 3}").exit_code == 0
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(state), "--vars", "{min_id: 3}")
    assert result.exit_code == 0, result.output
    assert proj.rows("select n from dev.mart_total") == [(1,)]  # dev's int_paid: only id 4
    result = proj.elt("run", "-s", "mart_total", "--defer", "--favor-state", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert proj.rows("select n from dev.mart_total") == [(3,)]  # production's int_paid


def test_defer_to_another_engine_or_file_is_refused(prod, tmp_path):
    proj, state = prod
    other = tmp_path / "hive_state"
    other.mkdir()
    manifest = json.loads((state / "manifest.json").read_text())
    manifest["metadata"]["target"]["type"] = "hive"
    (other / "manifest.json").write_text(json.dumps(manifest))
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(other))
    assert result.exit_code == 2
    assert "they are on a hive target" in result.output and "Traceback" not in result.output
    manifest["metadata"]["target"]["type"] = "duckdb"
    manifest["metadata"]["target"]["database_path"] = "/elsewhere/prod.duckdb"
    (other / "manifest.json").write_text(json.dumps(manifest))
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(other))
    assert result.exit_code == 2 and "database file /elsewhere/prod.duckdb" in result.output


def test_clone_makes_views_and_leaves_existing_relations(prod):
    proj, state = prod
    assert proj.elt("seed").exit_code == 0  # dev has its own seed table
    assert proj.elt("run", "-s", "stg_orders").exit_code == 0  # and its own stg_orders (a view)
    result = proj.elt("clone", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert "kept dev.raw_orders: exists (table)" in result.output
    assert "cloned dev.int_paid: view on prod.int_paid" in result.output
    relations = proj.relations_in("dev")
    assert relations["dev.raw_orders"] == "BASE TABLE"
    assert relations["dev.mart_total"] == "VIEW"
    assert proj.rows("select * from dev.mart_total") == proj.rows("select * from prod.mart_total")


def test_a_state_written_by_an_incremental_run_compares_as_compiled(project, tmp_path):
    incremental = ("{{ config(materialized='incremental') }}\n"
                   "select id, amount from {{ ref('raw_orders') }}\n"
                   "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n")
    proj = project({**FILES, "models/inc.sql": incremental}, pyproject=PYPROJECT, profiles=PROFILES)
    result = proj.elt("build", "--target", "prod")
    assert result.exit_code == 0, result.output
    state = _built_prod_state(proj, tmp_path)  # the second build renders `inc` with is_incremental() true
    assert _ls(proj, state, "state:modified") == set()


def test_retry_of_a_deferred_run_defers_again(prod):
    proj, state = prod
    proj.write({"models/mart_total.sql": "{{ config(materialized='table') }}\nselect count(*) as n, "
                                         "sum(no_such_column) as total from {{ ref('int_paid') }}\n"})
    result = proj.elt("run", "-s", "mart_total", "--defer", "--state", str(state))
    assert result.exit_code == 1
    proj.write({"models/mart_total.sql": FILES["models/mart_total.sql"]})
    result = proj.elt("retry")
    assert result.exit_code == 0, result.output
    assert "int_paid -> prod.int_paid" in result.output
    assert proj.rows("select * from dev.mart_total") == proj.rows("select * from prod.mart_total")
