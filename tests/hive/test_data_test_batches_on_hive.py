"""On the real server, the data tests of one relation checked in one query (elt.run.test_batches)
report what each test run alone reports (ELT_TEST_BATCHES=0)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter

pytestmark = pytest.mark.hive

ORDERS = "order_id,customer_id,status,amount\n1,1,placed,10\n2,1,shipped,20\n3,2,placed,\n3,9,lost,5\n4,2,placed,7\n"

SCHEMA_YML = """\
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests:
          - not_null
          - unique
          - unique: {config: {where: "order_id <> 3"}}
          - unique: {config: {severity: warn, name: unique_order_id_warn}}
      - name: status
        data_tests:
          - accepted_values: {values: [placed, shipped]}
          - accepted_values: {values: [placed, shipped, lost], name: statuses_all}
      - name: customer_id
        data_tests:
          - relationships: {to: "ref('customers')", field: customer_id}
      - name: amount
        data_tests: [not_null]
  - name: customers_view
    columns:
      - name: customer_id
        data_tests: [not_null, unique]
      - name: no_such_column
        data_tests: [not_null]
"""


def _results(proj: Any, env: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    result = proj.elt("test", "--data", "--target", "hive", env=env)
    assert result.exit_code == 1, result.output
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return {r["unique_id"]: (r["status"], r["failures"], r["message"]) for r in data["results"]}


def test_batched_tests_on_hive_report_what_each_test_alone_reports(project, hive_server, make_target, caplog):
    prefix = f"b{os.urandom(3).hex()}_"
    pyproject = f"""\
[tool.elt]
name = "batches"
profile = "test"

[tool.elt.seeds]
schema = "{prefix}raw"

[tool.elt.models.staging]
materialized = "table"
schema = "{prefix}bronze"
"""
    profiles = f"""\
test:
  target: hive
  outputs:
    hive:
      type: hive
      host: "{hive_server.host}"
      port: {hive_server.port}
      username: elt_test
      auth: NONE
      schema: {prefix}default
      threads: 2
"""
    proj = project({
        "seeds/orders.csv": ORDERS,
        "seeds/customers.csv": "customer_id,name\n1,ada\n2,grace\n",
        "models/staging/stg_orders.sql": "select * from {{ ref('orders') }}\n",
        "models/staging/customers_view.sql": "select customer_id from {{ ref('customers') }}\n",
        "models/staging/schema.yml": SCHEMA_YML,
    }, pyproject=pyproject, profiles=profiles)
    try:
        assert proj.elt("seed", "--target", "hive").exit_code == 0
        assert proj.elt("run", "--target", "hive").exit_code == 0
        alone = _results(proj, {"ELT_TEST_BATCHES": "0"})
        caplog.set_level("DEBUG", logger="elt.run.test_batches")
        batched = _results(proj, {})
    finally:
        with HiveAdapter(make_target()) as hive:
            for name in ("raw", "bronze", "default"):
                hive.execute(f"DROP DATABASE IF EXISTS {prefix}{name} CASCADE")
    assert batched == alone
    assert batched["test.unique_stg_orders_order_id"][:2] == ("fail", 1)
    assert batched["test.unique_stg_orders_order_id_2"][:2] == ("success", 0)
    assert batched["test.unique_order_id_warn"][:2] == ("warn", 1)
    assert batched["test.accepted_values_stg_orders_status"][:2] == ("fail", 1)
    assert batched["test.statuses_all"][:2] == ("success", 0)
    assert batched["test.relationships_stg_orders_customer_id"][:2] == ("fail", 1)
    assert batched["test.not_null_stg_orders_amount"][:2] == ("fail", 1)
    assert batched["test.unique_customers_view_customer_id"][:2] == ("success", 0)
    assert batched["test.not_null_customers_view_no_such_column"][0] == "error"
    messages = [r.getMessage() for r in caplog.records if r.name == "elt.run.test_batches"]
    assert f"8 tests of {prefix}bronze.stg_orders checked in one query" in messages
    assert any(m.startswith(f"the batch of the 3 tests of {prefix}bronze.customers_view failed") for m in messages)
