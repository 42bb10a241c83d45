"""`elt test`, `elt build`, unit tests and source freshness on real DuckDB."""

from __future__ import annotations

import json

import pytest

from elt.testing import assert_model_returns, run_model

ORDERS = "order_id,customer_id,status,amount\n1,1,placed,10\n2,1,shipped,20\n3,2,placed,\n3,9,lost,5\n"
CUSTOMERS = "customer_id,name\n1,ada\n2,grace\n"

SHOP = {
    "seeds/orders.csv": ORDERS,
    "seeds/customers.csv": CUSTOMERS,
    "models/staging/stg_orders.sql": "select * from {{ ref('orders') }}\n",
    "models/marts/revenue.sql": "select sum(amount) as revenue from {{ ref('stg_orders') }}\n",
    "models/marts/customer_orders.sql": """\
        select c.name, count(*) as orders
        from {{ ref('stg_orders') }} o join {{ ref('customers') }} c on o.customer_id = c.customer_id
        group by c.name
    """,
}


def yml(tests: str) -> dict[str, str]:
    return {"models/staging/schema.yml": tests}


def results(proj) -> dict[str, dict]:
    data = json.loads((proj.root / "target/run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


def built(proj, *args: str):
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    return proj.elt("test", "--data", *args)


COLUMN_TESTS = """\
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [not_null, unique]
      - name: status
        data_tests:
          - accepted_values: {values: [placed, shipped]}
      - name: customer_id
        data_tests:
          - relationships: {to: "ref('customers')", field: customer_id}
      - name: amount
        data_tests: [not_null]
"""


def test_generic_tests_report_failures_with_counts_and_samples(project):
    proj = project({**SHOP, **yml(COLUMN_TESTS)})
    result = built(proj)
    assert result.exit_code == 1
    status = {uid: (r["status"], r["failures"]) for uid, r in results(proj).items()}
    assert status == {
        "test.not_null_stg_orders_order_id": ("success", 0),
        "test.unique_stg_orders_order_id": ("fail", 1),
        "test.accepted_values_stg_orders_status": ("fail", 1),
        "test.relationships_stg_orders_customer_id": ("fail", 1),
        "test.not_null_stg_orders_amount": ("fail", 1),
    }
    out = result.stdout
    assert "PASS test not_null_stg_orders_order_id" in out
    assert "FAIL test.accepted_values_stg_orders_status (models/staging/schema.yml, line 8): 1 failing row" in out
    assert "value_field | n_records" in out and "lost        | 1" in out      # the sample
    assert "query:" in out and "bronze.stg_orders" in out                      # the failing query
    assert "1 OK, 4 failed, 0 warned, 0 error, 0 skipped" in out


@pytest.mark.parametrize("test, failures", [
    ("expression_is_true: {expression: 'amount >= 10'}", 1),
    ("unique_combination_of_columns: {combination_of_columns: [order_id, customer_id]}", 0),
    ("unique_combination_of_columns: {combination_of_columns: [order_id]}", 1),
    ("row_count: {min_value: 1, max_value: 3}", 1),
    ("row_count: {min_value: 1}", 0),
])
def test_model_level_tests(project, test, failures):
    proj = project({**SHOP, **yml(f"models:\n  - name: stg_orders\n    data_tests:\n      - {test}\n")})
    result = built(proj)
    (record,) = results(proj).values()
    assert record["failures"] == failures
    assert result.exit_code == (1 if failures else 0)


def test_severity_warn_where_and_limit(project):
    proj = project({**SHOP, **yml("""\
        models:
          - name: stg_orders
            columns:
              - name: status
                data_tests:
                  - accepted_values:
                      values: [placed, shipped]
                      config: {severity: warn}
              - name: amount
                data_tests:
                  - not_null: {config: {where: "status = 'shipped'"}}
              - name: order_id
                data_tests:
                  - accepted_values: {values: [1], quote: false, config: {limit: 2, name: few_ids}}
    """)})
    result = built(proj)
    assert result.exit_code == 1                       # few_ids fails at error severity
    records = results(proj)
    assert records["test.accepted_values_stg_orders_status"]["status"] == "warn"
    assert records["test.not_null_stg_orders_amount"]["status"] == "success"   # NULL amount is 'placed'
    assert records["test.few_ids"]["failures"] == 2                             # 3 wrong values, limit 2
    assert "WARN test accepted_values_stg_orders_status" in result.stdout


def test_custom_generic_and_singular_tests(project):
    proj = project({
        **SHOP,
        "macros/tests/positive.sql": """\
            {% test positive(model, column_name) %}
            select * from {{ model }} where {{ column_name }} <= 0
            {% endtest %}
        """,
        **yml("models:\n  - name: stg_orders\n    columns:\n      - name: amount\n        data_tests: [positive]\n"),
        "data_tests/revenue_is_35.sql": "select * from {{ ref('revenue') }} where revenue <> 35\n",
        "data_tests/no_lost_orders.sql": "{{ config(severity='warn') }}\n"
                                         "select * from {{ ref('stg_orders') }} where status = 'lost'\n",
    })
    result = built(proj)
    records = results(proj)
    assert records["test.positive_stg_orders_amount"]["status"] == "success"
    assert records["test.revenue_is_35"]["status"] == "success"
    assert records["test.no_lost_orders"]["status"] == "warn"
    assert result.exit_code == 0


def test_test_selection(project):
    proj = project({**SHOP, **yml(COLUMN_TESTS),
                    "data_tests/revenue_positive.sql": "select * from {{ ref('revenue') }} where revenue < 0\n"})
    proj.elt("seed")
    proj.elt("run")
    proj.elt("test", "--data", "-s", "revenue")
    assert set(results(proj)) == {"test.revenue_positive"}
    proj.elt("test", "--data", "-s", "test_type:generic", "--exclude", "unique_stg_orders_order_id")
    assert len(results(proj)) == 4 and "test.unique_stg_orders_order_id" not in results(proj)
    listed = proj.elt("ls", "--resource-type", "test", "-s", "stg_orders+").stdout.split()
    assert "not_null_stg_orders_amount" in listed and "revenue_positive" in listed


def test_build_skips_models_downstream_of_a_failing_test(project):
    proj = project({**SHOP, **yml("""\
        models:
          - name: stg_orders
            columns:
              - name: status
                data_tests:
                  - accepted_values: {values: [placed, shipped]}
    """)})
    result = proj.elt("build")
    assert result.exit_code == 1
    records = results(proj)
    assert records["seed.orders"]["status"] == "success"
    assert records["model.stg_orders"]["status"] == "success"
    assert records["test.accepted_values_stg_orders_status"]["status"] == "fail"
    assert records["model.revenue"]["status"] == "skipped"
    assert records["model.customer_orders"]["status"] == "skipped"
    assert "gold.revenue" not in proj.relations()      # not built on bad data


def test_build_passes_when_tests_pass(project):
    proj = project({**SHOP, **yml(
        "models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        data_tests: [not_null]\n")})
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert proj.query("select revenue from gold.revenue") == [(35,)]


def test_tests_on_sources(project):
    proj = project({
        "seeds/orders.csv": ORDERS,
        "models/staging/sources.yml": """\
            sources:
              - name: shop
                schema: raw
                tables:
                  - name: orders
                    columns:
                      - name: order_id
                        data_tests: [unique]
        """,
    })
    proj.elt("seed")
    result = proj.elt("test", "--data")
    assert results(proj)["test.unique_shop_orders_order_id"]["failures"] == 1
    assert result.exit_code == 1


def test_unknown_generic_test_is_a_clear_error(project):
    proj = project({**SHOP, **yml(
        "models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        data_tests: [not_nul]\n")})
    result = proj.elt("test")
    assert result.exit_code == 2
    assert "models/staging/schema.yml:5: unknown data test 'not_nul'" in result.stderr
    assert "not_null" in result.stderr


def test_which_tests_a_compile_parses(project):
    """Built-in tests with plain names and values are well-formed by construction and not parsed at
    compile; a test that splices in free SQL, a keyword or the project's own macro is parsed, so its
    syntax error is a compile error. Both kinds run and report the same on DuckDB."""
    tests = """\
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests:
          - not_null
          - unique: {config: {where: "status <> 'lost'"}}
          - expression_is_true: {expression: "order_id > 0"}
          - accepted_values: {values: [1, 2], quote: false, config: {severity: warn}}
      - name: status
        data_tests:
          - accepted_values: {values: [placed, shipped, lost]}
"""
    from elt.compile.compiler import compile_project
    from elt.project.config import load_target
    from elt.project.loader import load_project

    proj = project({**SHOP, **yml(tests), "macros/tests.sql":
                    "{% test not_null(model, column_name) %}select * from {{ model }} where {{ column_name }} is null"
                    "{% endtest %}\n"})
    loaded = load_project(proj.root)
    manifest = compile_project(loaded, load_target(loaded.config, None, None), use_cache=False)
    trusted = sorted(n.name for n in manifest.nodes.values() if n.sql_by_construction)
    assert trusted == ["accepted_values_stg_orders_order_id", "accepted_values_stg_orders_status"]
    assert built(proj).exit_code == 0
    outcome = {uid.split(".", 1)[1]: r["status"] for uid, r in results(proj).items()}
    assert outcome == {"not_null_stg_orders_order_id": "success", "unique_stg_orders_order_id": "success",
                       "expression_is_true_stg_orders_order_id": "success",
                       "accepted_values_stg_orders_order_id": "warn",  # order_id 3
                       "accepted_values_stg_orders_status": "success"}


@pytest.mark.parametrize("column_test, message", [
    ("{unique: {config: {where: \"status <> \"}}}", "schema.yml"),
    ("{expression_is_true: {expression: \"order_id >\"}}", "schema.yml"),
    ("{accepted_values: {values: [\"a b\"], quote: false}}", "schema.yml"),
])
def test_a_malformed_test_is_a_compile_error(project, column_test, message):
    tests = f"models:\n  - name: stg_orders\n    columns:\n      - name: status\n        data_tests: [{column_test}]\n"
    proj = project({**SHOP, **yml(tests)})
    result = proj.elt("compile")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr


UNIT = """\
unit_tests:
  - name: counts_orders_per_customer
    model: customer_orders
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 1}
          - {order_id: 2, customer_id: 1}
          - {order_id: 3, customer_id: 2}
      - input: ref('customers')
        format: csv
        rows: |
          customer_id,name
          1,ada
          2,grace
    expect:
      rows:
        - {name: ada, orders: 2}
        - {name: grace, orders: 1}
"""


def test_unit_tests_pass_without_a_warehouse(project):
    proj = project({**SHOP, "models/marts/unit.yml": UNIT})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.customer_orders.counts_orders_per_customer" in result.stdout
    assert not proj.database.exists()


def test_unit_test_with_a_wrong_expectation_shows_a_diff(project):
    proj = project({**SHOP, "models/marts/unit.yml": UNIT.replace("{name: grace, orders: 1}",
                                                                  "{name: grace, orders: 5}")})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    out = result.stdout
    assert "FAIL unit_test.customer_orders.counts_orders_per_customer" in out
    assert "2 row(s) differ" in out
    lines = [line.strip() for line in out.splitlines()]
    assert "- | grace | 5" in lines and "+ | grace | 1" in lines


def test_unit_test_missing_input_is_an_error(project):
    proj = project({**SHOP, "models/marts/unit.yml": UNIT.replace("input: ref('customers')",
                                                                  "input: ref('orders')")})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "reads ref('customers'), which `given` does not provide" in result.stdout


def test_unit_test_overrides_vars_and_is_incremental(project):
    proj = project({
        "models/marts/flagged.sql": """\
            select id, id > {{ var('cutoff', 10) }} as big,
                   {{ 'true' if is_incremental() else 'false' }} as incremental
            from {{ ref('ids') }}
        """,
        "seeds/ids.csv": "id\n1\n",
        "models/marts/unit.yml": """\
            unit_tests:
              - name: cutoff_from_override
                model: flagged
                overrides: {vars: {cutoff: 1}, macros: {is_incremental: true}}
                given:
                  - input: ref('ids')
                    rows: [{id: 1}, {id: 2}]
                expect:
                  rows: [{id: 1, big: false, incremental: true}, {id: 2, big: true, incremental: true}]
        """,
    })
    result = proj.elt("test", "--unit", "-s", "flagged")
    assert result.exit_code == 0, result.output


def test_python_helpers(project):
    proj = project(SHOP)
    rows = run_model("customer_orders", {
        "stg_orders": [{"order_id": 1, "customer_id": 1}],
        "customers": [{"customer_id": 1, "name": "ada"}],
    }, project_dir=proj.root)
    assert rows == [{"name": "ada", "orders": 1}]
    with pytest.raises(AssertionError, match="grace"):
        assert_model_returns("customer_orders", {
            "stg_orders": [{"order_id": 1, "customer_id": 1}],
            "customers": [{"customer_id": 1, "name": "ada"}],
        }, [{"name": "grace", "orders": 1}], project_dir=proj.root)


FRESHNESS = """\
sources:
  - name: shop
    schema: raw
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: hour}
    tables:
      - name: fresh
      - name: stale_warn
        identifier: stale
      - name: stale_error
        identifier: stale
        freshness: {error_after: {count: 2, period: day}}
"""


def test_source_freshness(project):
    import datetime

    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    proj = project({
        "seeds/fresh.csv": f"id,loaded_at\n1,{now - datetime.timedelta(minutes=5):%Y-%m-%d %H:%M:%S}\n",
        "seeds/stale.csv": f"id,loaded_at\n1,{now - datetime.timedelta(days=3):%Y-%m-%d %H:%M:%S}\n",
        "models/staging/sources.yml": FRESHNESS,
    })
    proj.elt("seed")
    result = proj.elt("source", "freshness")
    assert result.exit_code == 1
    out = result.stdout
    assert "PASS freshness of shop.fresh" in out
    assert "WARN freshness of shop.stale_warn" in out
    assert "ERROR STALE freshness of shop.stale_error" in out
    data = json.loads((proj.root / "target/sources.json").read_text())
    assert {r["unique_id"]: r["status"] for r in data["results"]} == {
        "source.shop.fresh": "pass", "source.shop.stale_warn": "warn", "source.shop.stale_error": "error"}
    only_warn = proj.elt("source", "freshness", "-s", "source:shop.stale_warn")
    assert only_warn.exit_code == 0


def test_a_failure_shows_the_count_and_only_the_first_5_rows(project):
    numbers = "n\n" + "".join(f"{i}\n" for i in range(1, 9))       # 8 rows, 7 of them above 1
    proj = project({"seeds/numbers.csv": numbers, **yml(
        "seeds:\n  - name: numbers\n    data_tests:\n      - expression_is_true: {expression: 'n <= 1'}\n")})
    assert proj.elt("seed").exit_code == 0
    result = proj.elt("test", "--data")
    assert result.exit_code == 1
    (record,) = results(proj).values()
    assert record["failures"] == 7
    out = result.stdout.splitlines()
    assert any(line.endswith(": 7 failing rows") for line in out)
    start = out.index("    failing rows (first 5):")
    table = out[start + 1:]
    assert table[0].split() == ["n"] and set(table[1].strip()) == {"-"}
    shown = [line.strip() for line in table[2:] if line.strip().isdigit()]
    assert len(shown) == 5 and set(shown) <= {str(i) for i in range(2, 9)}


def test_select_tests_by_tag_and_by_the_model_they_test(project):
    proj = project({**SHOP, **yml("""\
        models:
          - name: stg_orders
            columns:
              - name: order_id
                data_tests:
                  - not_null: {config: {tags: [keys]}}
                  - unique
          - name: revenue
            config: {tags: [finance]}
            data_tests:
              - row_count: {min_value: 1}
    """)})
    assert proj.elt("seed").exit_code == 0 and proj.elt("run").exit_code == 0
    proj.elt("test", "--data", "-s", "tag:keys")
    assert set(results(proj)) == {"test.not_null_stg_orders_order_id"}
    proj.elt("test", "--data", "-s", "tag:finance")         # the tests of the models with the tag
    assert set(results(proj)) == {"test.row_count_revenue"}
    result = proj.elt("test", "--data", "-s", "stg_orders")
    assert set(results(proj)) == {"test.not_null_stg_orders_order_id", "test.unique_stg_orders_order_id"}
    assert result.exit_code == 1                              # order_id 3 is not unique


def test_arguments_key_of_dbt_1_10(project):
    """dbt 1.10 puts a generic test's own arguments under `arguments:`; giving one twice is an error."""
    proj = project({**SHOP, **yml("""\
        models:
          - name: stg_orders
            columns:
              - name: status
                data_tests:
                  - accepted_values:
                      arguments: {values: [placed, shipped]}
                      config: {severity: warn}
    """)})
    result = built(proj)
    assert results(proj)["test.accepted_values_stg_orders_status"]["status"] == "warn"   # 'lost' is not listed
    assert result.exit_code == 0
    proj.write(yml("""\
        models:
          - name: stg_orders
            columns:
              - name: status
                data_tests:
                  - accepted_values: {values: [placed], arguments: {values: [shipped]}}
    """))
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "test 'accepted_values' gives values both under `arguments:` and beside it" in result.output
    assert "models/staging/schema.yml" in result.output
