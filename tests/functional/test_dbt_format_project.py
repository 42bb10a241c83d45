"""The shop project of tests/dbt_format (dbt's format, a local package with dispatch, introspection and `dbt.*`
macros, hooks, docs blocks, a schema naming macro, unit tests) builds on DuckDB as dbt builds it, and the
same folder with its dbt_project.yml replaced by a `[tool.elt]` table gives the same relations and rows.

The relation names, kinds, rows and audit rows asserted here are those dbt-core 1.11 with dbt-duckdb 1.11
gave on a copy of the folder with a DuckDB-only profile (checked by hand; dbt then picks duckdb__iso_weekday
where elt, for the profile's spark output, picks hive__iso_weekday: the values are the same).
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from elt.cli import cli

FIXTURE = Path(__file__).resolve().parents[1] / "dbt_format"

#: a DuckDB output and a dbt-spark one: the dialect of the models is hive (the SQL runs translated on DuckDB).
PROFILES = """\
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/shop.duckdb
      schema: analytics
      threads: 2
    prod_local:
      type: duckdb
      path: target/prod.duckdb
      schema: analytics
    hive:
      type: spark
      method: thrift
      host: "{{ env_var('ELT_HIVE_HOST', '127.0.0.1') }}"
      port: "{{ env_var('ELT_HIVE_PORT', '10000') }}"
      user: elt_test
      schema: "{{ env_var('SHOP_SCHEMA', 'analytics') }}"
      threads: 2
"""

#: the same project as shop/dbt_project.yml, in elt's own format.
PYPROJECT = """\
[tool.elt]
name = "shop"
profile = "shop"
test-paths = ["tests"]
analysis-paths = ["analyses"]
docs-paths = ["docs", "models"]
clean-targets = ["target", "dbt_packages"]
on-run-start = [
  "create schema if not exists {{ target.schema }}",
  "create table if not exists {{ target.schema }}.audit_log (node_name string, event string)",
]
on-run-end = ["insert into {{ target.schema }}.audit_log values ('run', 'end')"]
dispatch = [{macro_namespace = "shop_utils", search_order = ["shop", "shop_utils"]}]

[tool.elt.vars]
completed_statuses = ["shipped", "delivered"]
currency = "EUR"

[tool.elt.models]
materialized = "view"

[tool.elt.models.staging]
schema = "staging"

[tool.elt.models.marts]
materialized = "table"
schema = "marts"

[tool.elt.seeds]
schema = "raw"
"""

#: what dbt build made (dbt-duckdb 1.11, target schema analytics, the project's generate_schema_name).
RELATIONS = {
    "analytics.audit_log": "BASE TABLE",
    "analytics_marts.customer_orders": "BASE TABLE",
    "analytics_marts.orders": "BASE TABLE",
    "analytics_raw.raw_customers": "BASE TABLE",
    "analytics_raw.raw_orders": "BASE TABLE",
    "analytics_raw.raw_payments": "BASE TABLE",
    "analytics_staging.stg_customers": "VIEW",
    "analytics_staging.stg_orders": "VIEW",
    "analytics_staging.stg_payments": "VIEW",
}


class Shop:
    """A copy of tests/dbt_format in a temporary folder, with the CLI run in-process on its shop project."""

    def __init__(self, tmp_path: Path) -> None:
        for name in ("shop", "shop_utils"):
            shutil.copytree(FIXTURE / name, tmp_path / name)
        self.root = tmp_path / "shop"
        (self.root / "profiles.yml").write_text(PROFILES, encoding="utf-8")

    def elt(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, [*args, "--project-dir", str(self.root)], catch_exceptions=False)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    def build(self, *target: str) -> None:
        self.elt("deps")
        # the source (analytics_raw.raw_customers) is loaded first, as a loader would: dbt does not order a
        # source after the seed that happens to fill it either
        self.elt("seed", *target)
        self.elt("build", *target)

    def query(self, sql: str, database: str = "shop.duckdb") -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.root / "target" / database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def relations(self, database: str = "shop.duckdb") -> dict[str, str]:
        rows = self.query("select table_schema, table_name, table_type from information_schema.tables", database)
        return {f"{schema}.{name}": kind for schema, name, kind in rows}


def marts(shop: Shop) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "customer_orders": shop.query("select * from analytics_marts.customer_orders order by customer_id"),
        "orders": shop.query("select * from analytics_marts.orders order by order_id"),
    }


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    built = Shop(tmp_path)
    built.build()
    return built


def key(*parts: str) -> str:
    return hashlib.md5("-".join(parts).encode()).hexdigest()


def test_the_dbt_project_builds_with_dbts_names_and_rows(shop: Shop) -> None:
    assert shop.relations() == RELATIONS
    customers = shop.query("select * from analytics_marts.customer_orders order by customer_id")
    assert customers == [
        (key("1", "ana.silva@example.com"), 1, "Ana", datetime(2024, 1, 5, 9, 12), 3, 97.99, "EUR"),
        (key("2", "ben.okafor@example.com"), 2, "Ben", datetime(2024, 1, 6, 14, 30), 2, 162.5, "EUR"),
        (key("3", "chloe.martin@example.com"), 3, "Chloe", datetime(2024, 1, 22, 8, 5), 2, 51.2, "EUR"),
        (key("4", "dmitri.ivanov@example.com"), 4, "Dmitri", datetime(2024, 2, 3, 20, 15), 1, 0.0, "EUR"),
        (key("5", "emma.schulz@example.com"), 5, "Emma", None, 0, 0.0, "EUR"),
    ]
    # columns_except read stg_orders' columns from the database (status left out); iso_weekday: 1 = Monday
    columns = [row[0] for row in shop.query("describe analytics_marts.orders")]
    assert columns == ["order_id", "customer_id", "ordered_at", "ordered_weekday", "return_deadline", "is_returned"]
    orders = shop.query("select order_id, ordered_weekday, cast(return_deadline as date), is_returned "
                        "from analytics_marts.orders order by order_id")
    assert [(o, w, str(d), r) for o, w, d, r in orders] == [
        (101, 5, "2024-01-19", False), (102, 6, "2024-01-20", False), (103, 5, "2024-02-02", False),
        (104, 1, "2024-02-05", True), (105, 4, "2024-02-15", False), (106, 6, "2024-02-17", False),
        (107, 3, "2024-02-28", False), (108, 6, "2024-03-02", False),
    ]


def test_a_production_target_uses_the_custom_schemas_as_they_are(shop: Shop) -> None:
    # the project's generate_schema_name: targets named prod... take `+schema` as is (dbt-duckdb gave these)
    shop.build("--target", "prod_local")
    assert shop.relations("prod.duckdb") == {
        "analytics.audit_log": "BASE TABLE", "marts.customer_orders": "BASE TABLE", "marts.orders": "BASE TABLE",
        "raw.raw_customers": "BASE TABLE", "raw.raw_orders": "BASE TABLE", "raw.raw_payments": "BASE TABLE",
        "staging.stg_customers": "VIEW", "staging.stg_orders": "VIEW", "staging.stg_payments": "VIEW",
    }
    assert shop.query("select * from marts.customer_orders order by customer_id", "prod.duckdb") == \
        shop.query("select * from analytics_marts.customer_orders order by customer_id")


def test_dispatch_takes_the_dialects_variant_and_the_projects_search_order(shop: Shop) -> None:
    compiled = shop.root / "target" / "compiled" / "models" / "marts" / "orders_enriched.sql"
    # the profile's spark output makes the dialect hive: hive__iso_weekday, whatever the target's engine
    assert "pmod(datediff(to_date(ordered_at), to_date('1900-01-01')), 7) + 1" in compiled.read_text()
    # dispatch: search_order puts the project before the package, so its own variant wins
    (shop.root / "macros" / "weekday.sql").write_text(
        "{% macro hive__iso_weekday(expression) %}(pmod(dayofweek({{ expression }}) + 5, 7) + 1){% endmacro %}\n")
    shop.elt("build", "--select", "orders_enriched")
    assert "(pmod(dayofweek(ordered_at) + 5, 7) + 1)" in compiled.read_text()
    assert shop.query("select ordered_weekday from analytics_marts.orders order by order_id") == \
        [(5,), (6,), (5,), (1,), (4,), (6,), (3,), (6,)]


def test_hooks_wrote_their_audit_rows_and_on_run_end_ran_last(shop: Shop) -> None:
    # the seed run's on-run-end, then the build's: pre/post hooks of stg_payments, customer_orders' post hook
    assert shop.query("select * from analytics.audit_log") == [
        ("run", "end"),
        ("stg_payments", "pre"), ("stg_payments", "post"), ("customer_orders", "post"), ("run", "end"),
    ]


def test_docs_blocks_are_in_the_manifest(shop: Shop) -> None:
    import json

    manifest = json.loads((shop.root / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    customer_orders = next(n for n in nodes.values() if n["name"] == "customer_orders")
    assert customer_orders["description"] == \
        "One row per customer with their first order, number of orders and lifetime value."
    assert customer_orders["columns"]["lifetime_value"]["description"] == \
        "Paid amount of the customer's shipped and delivered orders."
    stg_orders = next(n for n in nodes.values() if n["name"] == "stg_orders")
    assert stg_orders["columns"]["status"]["description"] == \
        "Where an order is: `placed`, `shipped`, `delivered` or `returned`."
    assert any(d["name"] == "shop_raw" for d in manifest["docs"].values())


def test_the_analysis_is_compiled_never_built(shop: Shop) -> None:
    assert not any(name.endswith("payment_method_share") for name in shop.relations())
    shop.elt("compile")
    compiled = (shop.root / "target" / "compiled" / "analyses" / "payment_method_share.sql").read_text()
    assert "from analytics_staging.stg_payments" in compiled and "{{" not in compiled


def test_tests_and_unit_tests_pass(shop: Shop) -> None:
    result = shop.elt("test")
    out = result.stdout + result.stderr
    for name in ("unit_test.customer_orders.customer_value_counts_completed_orders_only",
                 "positive_stg_payments_amount", "assert_orders_are_paid", "relationships_stg_orders_customer_id",
                 "accepted_values_orders_enriched_ordered_weekday"):
        assert f"PASS {name}" in out or f"PASS test {name}" in out, out


def test_the_same_folder_in_elts_own_format_gives_the_same_tables(shop: Shop, tmp_path: Path) -> None:
    native = Shop(tmp_path / "native")
    (native.root / "dbt_project.yml").unlink()
    (native.root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    native.build()
    assert native.relations() == shop.relations()
    assert marts(native) == marts(shop)
    assert native.query("select * from analytics.audit_log") == shop.query("select * from analytics.audit_log")


SOURCE_YML = """\
version: 2
sources:
  - name: landing
    schema: "{{ target.schema }}_{{ var('landing_suffix', 'landing') }}"
    tables:
      - name: events
        identifier: "{{ env_var('EVENTS_TABLE', 'raw_events') }}"
"""


def test_a_source_schema_and_identifier_may_use_target_var_and_env_var(project: Any) -> None:
    # as dbt renders them (target's schema defaulted as elt names it: DuckDB's main)
    proj = project({"models/staging/_sources.yml": SOURCE_YML,
                    "models/staging/events.sql": "select * from {{ source('landing', 'events') }}\n"})
    assert proj.elt("compile").exit_code == 0
    assert "from main_landing.raw_events" in (proj.root / "target/compiled/models/staging/events.sql").read_text()
    result = proj.elt("compile", "--vars", "{landing_suffix: in}", env={"EVENTS_TABLE": "events_v2"})
    assert result.exit_code == 0, result.output
    assert "from main_in.events_v2" in (proj.root / "target/compiled/models/staging/events.sql").read_text()


def test_a_source_schema_naming_an_unknown_name_is_an_error_with_its_line(project: Any) -> None:
    yml = SOURCE_YML.replace("target.schema", "target.nothing")
    result = project({"models/staging/_sources.yml": yml}).elt("compile")
    assert result.exit_code == 2
    assert "models/staging/_sources.yml:3" in result.output and "cannot render" in result.output
    assert "nothing" in result.output


def test_clean_removes_the_clean_targets_but_not_the_linked_local_package(shop: Shop) -> None:
    shop.elt("clean")
    assert not (shop.root / "target").exists() and not (shop.root / "dbt_packages").exists()
    assert (shop.root.parent / "shop_utils" / "macros" / "iso_weekday.sql").is_file()  # deps linked it
