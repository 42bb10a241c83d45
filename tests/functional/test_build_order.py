"""`elt build`'s order on real DuckDB: which tests a model waits for (elt.run.gates), what a failure skips,
and unit tests run before the model they test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ProjectDir

ROOT = Path(__file__).resolve().parents[2]

# Two staging models and a model on each; each of those has a relationships test pointing at the
# *other* staging model, and a child. Gating what reads the pointed-to model made a cycle:
# int_a -> test on int_a -> mart_b (reads stg_b) -> test on int_b... -> int_a.
CROSSED = {
    "seeds/people.csv": "id\n1\n2\n",
    "models/staging/stg_a.sql": "select id from {{ ref('people') }}\n",
    "models/staging/stg_b.sql": "select id from {{ ref('people') }}\n",
    "models/intermediate/int_a.sql": "select id from {{ ref('stg_a') }}\n",
    "models/intermediate/int_b.sql": "select id from {{ ref('stg_b') }}\n",
    "models/marts/mart_a.sql": "select count(*) as n from {{ ref('int_a') }}\n",
    "models/marts/mart_b.sql": "select count(*) as n from {{ ref('int_b') }}\n",
    "models/intermediate/schema.yml": """\
        models:
          - name: int_a
            columns:
              - name: id
                data_tests: [{relationships: {to: "ref('stg_b')", field: id}}]
          - name: int_b
            columns:
              - name: id
                data_tests: [{relationships: {to: "ref('stg_a')", field: id}}]
    """,
}


def results(proj: ProjectDir) -> dict[str, dict]:
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


def statuses(proj: ProjectDir) -> dict[str, str]:
    return {uid: r["status"] for uid, r in results(proj).items()}


def test_relationships_tests_pointing_across_branches_do_not_make_a_cycle(project):
    proj = project(CROSSED)
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    records = results(proj)
    assert {r["status"] for r in records.values()} == {"success"}
    # Each mart waited for the test declared on the model it reads.
    for side in "ab":
        test = records[f"test.relationships_int_{side}_id"]
        assert test["completed_at"] <= records[f"model.mart_{side}"]["started_at"]
    assert proj.query("select n from gold.mart_a") == [(2,)]


def test_a_generated_project_builds(tmp_path):
    out = tmp_path / "generated"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--models", "40", "--rows", "5",
                    "--out", str(out)], check=True, capture_output=True)
    proj = ProjectDir(out)
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert set(statuses(proj).values()) == {"success"}


# `summary` reads the broken model and has a relationships test to `students`; `engagement` reads
# only `students` (the demo's int_scores_enriched, mart_department_summary, mart_student_engagement).
BROKEN_SCORES = {
    "seeds/students.csv": "student_id\n1\n2\n",
    "models/staging/stg_students.sql": "select student_id from {{ ref('students') }}\n",
    "models/intermediate/scores.sql": "select student_id from {{ ref('stg_students') }} cross join silver.missing\n",
    "models/marts/summary.sql": "select student_id from {{ ref('scores') }}\n",
    "models/marts/engagement.sql": "select count(*) as n from {{ ref('stg_students') }}\n",
    "models/marts/schema.yml": """\
        models:
          - name: summary
            columns:
              - name: student_id
                data_tests: [{relationships: {to: "ref('stg_students')", field: student_id}}]
    """,
}


def test_a_failing_model_skips_only_what_reads_it(project):
    proj = project(BROKEN_SCORES)
    result = proj.elt("build")
    assert result.exit_code == 1
    status = statuses(proj)
    assert status["model.scores"] == "error"
    assert status["model.summary"] == "skipped"
    assert status["test.relationships_summary_student_id"] == "skipped"
    assert status["model.engagement"] == "success"
    assert proj.query("select n from gold.engagement") == [(2,)]


def test_a_test_skipped_for_the_model_it_points_to_does_not_skip_the_children_of_its_model(project):
    # orders -> relationships to the broken customers; orders' child does not read customers.
    proj = project({
        "seeds/raw_orders.csv": "order_id,customer_id\n1,1\n",
        "models/staging/orders.sql": "select * from {{ ref('raw_orders') }}\n",
        "models/staging/customers.sql": "select 1 as customer_id from silver.missing\n",
        "models/marts/order_count.sql": "select count(*) as n from {{ ref('orders') }}\n",
        "models/staging/schema.yml": """\
            models:
              - name: orders
                columns:
                  - name: customer_id
                    data_tests: [{relationships: {to: "ref('customers')", field: customer_id}}]
        """,
    })
    assert proj.elt("build").exit_code == 1
    status = statuses(proj)
    assert status["model.customers"] == "error"
    assert status["test.relationships_orders_customer_id"] == "skipped"
    assert status["model.order_count"] == "success"


# orders.customer_id 9 is unknown to customers: the relationships test declared on orders fails.
ORDERS_AND_CUSTOMERS = {
    "seeds/raw_orders.csv": "order_id,customer_id\n1,1\n2,9\n",
    "seeds/raw_customers.csv": "customer_id\n1\n",
    "models/staging/orders.sql": "select * from {{ ref('raw_orders') }}\n",
    "models/staging/customers.sql": "select * from {{ ref('raw_customers') }}\n",
    "models/marts/order_count.sql": "select count(*) as n from {{ ref('orders') }}\n",
    "models/marts/customer_count.sql": "select count(*) as n from {{ ref('customers') }}\n",
    "models/staging/schema.yml": """\
        models:
          - name: orders
            columns:
              - name: customer_id
                data_tests: [{relationships: {to: "ref('customers')", field: customer_id}}]
    """,
}


def test_a_failing_test_skips_the_children_of_the_model_it_is_declared_on(project):
    proj = project(ORDERS_AND_CUSTOMERS)
    assert proj.elt("build").exit_code == 1
    status = statuses(proj)
    assert status["test.relationships_orders_customer_id"] == "fail"
    assert status["model.order_count"] == "skipped"       # reads orders, whose test failed
    assert status["model.customer_count"] == "success"    # reads customers, which the test points to
    assert "gold.order_count" not in proj.relations()


def test_a_relationships_test_pointing_at_a_child_of_its_model_runs_after_it(project):
    # The test on `orders` reads `enriched`, which reads `orders`: enriched cannot wait for it.
    proj = project({
        "seeds/raw_orders.csv": "order_id\n1\n2\n",
        "models/staging/orders.sql": "select * from {{ ref('raw_orders') }}\n",
        "models/marts/enriched.sql": "select order_id from {{ ref('orders') }}\n",
        "models/marts/enriched_count.sql": "select count(*) as n from {{ ref('enriched') }}\n",
        "models/staging/schema.yml": """\
            models:
              - name: orders
                columns:
                  - name: order_id
                    data_tests: [{relationships: {to: "ref('enriched')", field: order_id}}]
        """,
    })
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    records = results(proj)
    assert records["model.enriched"]["completed_at"] <= records["test.relationships_orders_order_id"]["started_at"]


UNIT_ON_ORDER_COUNT = """\
unit_tests:
  - name: counts_orders
    model: order_count
    given:
      - input: ref('orders')
        rows: [{order_id: 1}, {order_id: 2}]
    expect:
      rows: [{n: 2}]
"""


def test_build_runs_unit_tests_before_the_model_they_test(project):
    files = {**ORDERS_AND_CUSTOMERS, "seeds/raw_orders.csv": "order_id,customer_id\n1,1\n"}
    proj = project({**files, "models/marts/unit.yml": UNIT_ON_ORDER_COUNT})
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.order_count.counts_orders" in result.stdout
    records = results(proj)
    unit = records["unit_test.order_count.counts_orders"]
    assert unit["status"] == "success"
    assert unit["completed_at"] <= records["model.order_count"]["started_at"]


def test_a_failing_unit_test_keeps_its_model_and_descendants_from_being_built(project):
    files = {**ORDERS_AND_CUSTOMERS, "seeds/raw_orders.csv": "order_id,customer_id\n1,1\n",
             "models/marts/order_report.sql": "select n * 10 as n10 from {{ ref('order_count') }}\n"}
    proj = project({**files, "models/marts/unit.yml": UNIT_ON_ORDER_COUNT.replace("{n: 2}", "{n: 3}")})
    result = proj.elt("build")
    assert result.exit_code == 1
    assert "FAIL unit_test.order_count.counts_orders" in result.stdout
    status = statuses(proj)
    assert status["unit_test.order_count.counts_orders"] == "fail"
    assert status["model.order_count"] == "skipped"
    assert status["model.order_report"] == "skipped"
    assert status["model.customer_count"] == "success"
    assert "gold.order_count" not in proj.relations()


def test_nodes_of_one_generation_run_in_natural_order(project):
    proj = project({f"models/stg_{n}.sql": f"select {n} as id\n" for n in (10, 2, 1, 21, 3)})
    result = proj.elt("run", "--threads", "1")
    assert result.exit_code == 0, result.output
    started = [line.split()[-1] for line in result.output.splitlines() if " START " in line]
    assert [name.rsplit(".", 1)[-1] for name in started] == ["stg_1", "stg_2", "stg_3", "stg_10", "stg_21"]
