"""Data tests of one relation checked in one query (elt.run.test_batches) report exactly what each
test run on its own reports (ELT_TEST_BATCHES=0): passes, failures with their counts and samples,
warnings, errors, `where:` and `limit` configs, tests on seeds and sources."""

from __future__ import annotations

import json
import re

ORDERS = ("order_id,customer_id,status,amount\n1,1,placed,10\n2,1,shipped,20\n3,2,placed,\n3,9,lost,5\n"
          "4,2,placed,7\n5,1,returned,\n")
CUSTOMERS = "customer_id,name\n1,ada\n2,grace\n"

FILES = {
    "seeds/orders.csv": ORDERS,
    "seeds/customers.csv": CUSTOMERS,
    "models/staging/stg_orders.sql": "select * from {{ ref('orders') }}\n",
    "models/staging/sources.yml": """\
        sources:
          - name: shop
            schema: raw
            tables:
              - name: orders
                columns:
                  - name: order_id
                    data_tests: [not_null, unique]
                  - name: status
                    data_tests:
                      - accepted_values: {values: [placed, shipped, lost, returned]}
    """,
    "seeds/schema.yml": """\
        seeds:
          - name: customers
            columns:
              - name: customer_id
                data_tests: [not_null, unique]
              - name: name
                data_tests:
                  - accepted_values: {values: [ada]}
    """,
    "models/staging/schema.yml": """\
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
                  - accepted_values: {values: [placed, shipped, lost, returned], name: statuses_all}
                  - accepted_values: {values: [placed, shipped], config: {where: "amount > 6"}}
                  - accepted_values: {values: [placed], config: {limit: 1}}
              - name: customer_id
                data_tests:
                  - relationships: {to: "ref('customers')", field: customer_id}
                  - not_null
              - name: amount
                data_tests:
                  - not_null
                  - not_null: {config: {where: "status <> 'returned' and order_id <> 3"}}
                  - accepted_values: {values: [5, 7, 10, 20], quote: false}
              - name: no_such_column
                data_tests: [not_null]
    """,
}

_TIMES = re.compile(r"\d\d:\d\d:\d\d|\d+\.\d+s")


def _report(proj, env: dict[str, str]) -> tuple[int, dict, list[str], dict[str, str]]:
    result = proj.elt("test", "--data", "--threads", "3", env=env)
    data = json.loads((proj.root / "target/run_results.json").read_text())
    per_test = {r["unique_id"]: (r["status"], r["failures"], r["message"]) for r in data["results"]}
    # The lines of the report, without times and in a fixed order (threads finish in any order).
    lines = sorted(_TIMES.sub("", line) for line in result.stdout.splitlines())
    run_sql = {str(p.relative_to(proj.root)): p.read_text() for p in (proj.root / "target/run").rglob("*.sql")}
    return result.exit_code, per_test, lines, run_sql


def test_batched_tests_report_what_each_test_alone_reports(project):
    proj = project(FILES)
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    alone = _report(proj, {"ELT_TEST_BATCHES": "0"})
    batched = _report(proj, {})
    assert batched == alone
    code, per_test, _, run_sql = batched
    assert code == 1
    assert per_test["test.unique_stg_orders_order_id"][:2] == ("fail", 1)
    assert per_test["test.unique_stg_orders_order_id_2"][:2] == ("success", 0)  # where: order_id <> 3
    assert per_test["test.unique_order_id_warn"][:2] == ("warn", 1)
    assert per_test["test.accepted_values_stg_orders_status"][:2] == ("fail", 2)
    assert per_test["test.statuses_all"][:2] == ("success", 0)
    assert per_test["test.accepted_values_stg_orders_status_2"][:2] == ("success", 0)  # where: amount > 6
    assert per_test["test.accepted_values_stg_orders_status_3"][:2] == ("fail", 1)  # limit 1 of 3
    assert per_test["test.relationships_stg_orders_customer_id"][:2] == ("fail", 1)
    assert per_test["test.not_null_stg_orders_amount"][:2] == ("fail", 2)
    assert per_test["test.not_null_stg_orders_amount_2"][:2] == ("success", 0)
    assert per_test["test.accepted_values_stg_orders_amount"][:2] == ("success", 0)
    status, _, message = per_test["test.not_null_stg_orders_no_such_column"]
    assert status == "error" and "no_such_column" in message  # the bad column, on the test that has it
    assert per_test["test.unique_shop_orders_order_id"][:2] == ("fail", 1)  # on a source
    assert per_test["test.accepted_values_customers_name"][:2] == ("fail", 1)  # on a seed
    assert per_test["test.unique_customers_customer_id"][:2] == ("success", 0)
    # Every test's own query is still in target/run/ for a user to run by hand, passed or not.
    assert len([p for p in run_sql if "schema.yml" in p or "sources.yml" in p]) == len(per_test)


def test_tests_of_a_relation_are_checked_in_one_query(project, caplog):
    proj = project(FILES)
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    caplog.set_level("DEBUG", logger="elt.run.test_batches")
    assert proj.elt("test", "--data").exit_code == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "elt.run.test_batches"]
    assert "3 tests of raw.customers checked in one query" in messages
    assert "3 tests of raw.orders checked in one query" in messages
    # The batch of stg_orders fails (no_such_column): each of its tests then ran alone.
    failed = [m for m in messages if "bronze.stg_orders" in m]
    assert len(failed) == 1 and failed[0].startswith("the batch of the 14 tests of bronze.stg_orders failed")


def test_build_with_batches_reports_what_it_reports_without(project):
    """In `elt build` a batch holds only tests that read the same nodes, so it runs once they are built."""
    proj = project(FILES)

    def build(env: dict[str, str]) -> dict[str, tuple]:
        proj.elt("build", "--threads", "3", env=env)
        data = json.loads((proj.root / "target/run_results.json").read_text())
        return {r["unique_id"]: (r["status"], r["failures"], r["message"]) for r in data["results"]
                if not r["message"].startswith("created")}

    alone = build({"ELT_TEST_BATCHES": "0"})
    batched = build({})
    assert batched == alone
    assert batched["test.relationships_stg_orders_customer_id"][:2] == ("fail", 1)
    assert batched["test.statuses_all"][:2] == ("success", 0)
