"""Model unit tests: `this` for incremental models, CSV fixture files, selection, the Python helpers."""

from __future__ import annotations

import math

import pytest

from elt.errors import SqlError
from elt.testing import assert_model_returns, run_model
from tests.functional.test_demo import copy_demo

EVENTS = "student_id,event_date\n1,2024-09-01\n"

# An incremental model that reads its own table, like the demo's int_portal_daily_activity.
DAILY = {
    "seeds/events.csv": EVENTS,
    "models/intermediate/daily.sql": """\
        {{ config(materialized='incremental', incremental_strategy='merge', unique_key='student_id') }}
        select student_id, count(*) as events, max(event_date) as event_date
        from {{ ref('events') }}
        {% if is_incremental() %}
        where event_date > (select max(event_date) from {{ this }})
        {% endif %}
        group by student_id
    """,
}

GIVEN_EVENTS = """\
      - input: ref('events')
        rows:
          - {student_id: 1, event_date: 2024-09-01}
          - {student_id: 1, event_date: 2024-09-02}
          - {student_id: 2, event_date: 2024-09-03}
          - {student_id: 2, event_date: 2024-09-04}
"""


def unit_yml(body: str) -> dict[str, str]:
    return {"models/intermediate/unit.yml": "unit_tests:\n" + body}


def test_this_is_given_as_the_incremental_models_existing_table(project):
    proj = project({**DAILY, **unit_yml("""\
  - name: loads_days_after_the_table
    model: daily
    overrides: {macros: {is_incremental: true}}
    given:
      - input: this
        rows: [{student_id: 1, events: 5, event_date: 2024-09-02}]
""" + GIVEN_EVENTS + """\
    expect:
      rows: [{student_id: 2, events: 2, event_date: 2024-09-04}]
  - name: full_load_ignores_this
    model: daily
    given:
""" + GIVEN_EVENTS + """\
    expect:
      rows:
        - {student_id: 1, events: 2, event_date: 2024-09-02}
        - {student_id: 2, events: 2, event_date: 2024-09-04}
""")})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.daily.loads_days_after_the_table" in result.stdout
    assert "PASS unit_test.daily.full_load_ignores_this" in result.stdout


def test_this_changes_what_an_incremental_run_returns(project):
    """The rows given as `this` are what the model reads: a later max(event_date) loads less."""
    given = {"events": [{"student_id": 1, "event_date": "2024-09-01"}, {"student_id": 2, "event_date": "2024-09-05"}]}
    proj = project(DAILY)
    early = run_model("daily", {**given, "this": [{"student_id": 9, "event_date": "2024-08-31"}]},
                      project_dir=proj.root, is_incremental=True)
    late = run_model("daily", {**given, "this": [{"student_id": 9, "event_date": "2024-09-01"}]},
                     project_dir=proj.root, is_incremental=True)
    assert sorted(r["student_id"] for r in early) == [1, 2]
    assert [r["student_id"] for r in late] == [2]


def test_reading_this_without_giving_it_is_a_clear_error(project):
    proj = project({**DAILY, **unit_yml("""\
  - name: forgot_this
    model: daily
    overrides: {macros: {is_incremental: true}}
    given:
""" + GIVEN_EVENTS + """\
    expect:
      rows: []
""")})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "the model reads {{ this }} (its existing table), which `given` does not provide" in result.stdout
    assert "Catalog Error" not in result.stdout


def test_demo_incremental_model_has_a_passing_unit_test(tmp_path):
    demo = copy_demo(tmp_path)
    result = demo.elt("test", "--unit", "-s", "int_portal_daily_activity")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.int_portal_daily_activity.portal_activity_loads_only_days_after_the_table" in result.stdout
    assert not (demo.root / "target" / "school.duckdb").exists()      # no warehouse


@pytest.mark.parametrize("model", ["mart_at_risk_students", "mart_department_summary"])
def test_demo_marts_unit_tests_pass_and_catch_a_wrong_row(tmp_path, model):
    demo = copy_demo(tmp_path)
    result = demo.elt("test", "--unit", "-s", model)
    assert result.exit_code == 0, result.output
    assert result.stdout.count(f"PASS unit_test.{model}.") == 1
    # The expectations are not vacuous: one changed value fails the test.
    yml = demo.root / "models" / "marts" / "_unit_tests.yml"
    text = yml.read_text()
    wrong = {"mart_at_risk_students": ("risk_rank: 4}", "risk_rank: 3}"),
             "mart_department_summary": ("pass_rate_pct: 66.67", "pass_rate_pct: 66.66")}[model]
    assert text.count(wrong[0]) == 1
    yml.write_text(text.replace(*wrong))
    failed = demo.elt("test", "--unit", "-s", model)
    assert failed.exit_code == 1
    assert "2 row(s) differ" in failed.stdout


CUSTOMER_ORDERS = {
    "seeds/orders.csv": "order_id,customer_id\n1,1\n",
    "seeds/customers.csv": "customer_id,name\n1,ada\n",
    "models/marts/customer_orders.sql": """\
        select c.name, count(*) as orders
        from {{ ref('orders') }} o join {{ ref('customers') }} c on o.customer_id = c.customer_id
        group by c.name
    """,
}

FIXTURE_TEST = """\
unit_tests:
  - name: orders_per_customer_from_files
    model: customer_orders
    given:
      - input: ref('orders')
        format: csv
        fixture: tests/fixtures/some_orders.csv
      - input: ref('customers')
        format: csv
        fixture: customers
    expect:
      format: csv
      fixture: tests/fixtures/expected.csv
"""


def test_given_and_expected_rows_from_csv_fixture_files(project):
    proj = project({
        **CUSTOMER_ORDERS,
        "models/marts/unit.yml": FIXTURE_TEST,
        "tests/fixtures/some_orders.csv": "order_id,customer_id\n1,1\n2,1\n3,2\n",
        "tests/fixtures/customers.csv": "customer_id,name\n1,ada\n2,grace\n",  # `fixture: customers`
        "tests/fixtures/expected.csv": "name,orders\nada,2\ngrace,1\n",
    })
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    (proj.root / "tests/fixtures/expected.csv").write_text("name,orders\nada,2\ngrace,7\n")
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "- | grace | 7" in lines and "+ | grace | 1" in lines


def test_a_missing_fixture_file_is_a_clear_error(project):
    proj = project({**CUSTOMER_ORDERS, "models/marts/unit.yml": FIXTURE_TEST,
                    "tests/fixtures/customers.csv": "customer_id,name\n1,ada\n",
                    "tests/fixtures/expected.csv": "name,orders\nada,1\n"})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "input ref('orders'): fixture file" in result.stdout
    assert "tests/fixtures/some_orders.csv does not exist" in result.stdout
    assert "Traceback" not in result.output


def test_rows_and_fixture_together_are_refused(project):
    proj = project({**CUSTOMER_ORDERS, "tests/fixtures/customers.csv": "customer_id,name\n1,ada\n",
                    "tests/fixtures/some_orders.csv": "order_id,customer_id\n1,1\n",
                    "models/marts/unit.yml": FIXTURE_TEST.replace(
                        "fixture: customers", "fixture: customers\n        rows: 'customer_id,name'")})
    result = proj.elt("test", "--unit")
    assert "give `rows` or `fixture`, not both" in result.stdout


SELECTION = {
    **CUSTOMER_ORDERS,
    "models/marts/schema.yml": """\
        models:
          - name: customer_orders
            config: {tags: [nightly]}
            columns:
              - name: name
                data_tests: [not_null]
        unit_tests:
          - name: one_order
            model: customer_orders
            given:
              - {input: "ref('orders')", rows: [{order_id: 1, customer_id: 1}]}
              - {input: "ref('customers')", rows: [{customer_id: 1, name: ada}]}
            expect:
              rows: [{name: ada, orders: 1}]
    """,
    "data_tests/some_orders.sql": "select * from {{ ref('orders') }} where order_id is null\n",
}


def ran(result) -> set[str]:
    """The names of the tests that passed: `PASS unit_test.<model>.<name>` or `PASS test <name>`."""
    names = set()
    for line in result.stdout.splitlines():
        words = line.split(" PASS ", 1)[1].split() if " PASS " in line else []
        if words:
            names.add(words[1] if words[0] == "test" else words[0])
    return names


def test_test_type_unit_selects_only_unit_tests(project):
    proj = project(SELECTION)
    assert proj.elt("build").exit_code == 0
    assert ran(proj.elt("test")) == {"unit_test.customer_orders.one_order", "not_null_customer_orders_name",
                                     "some_orders"}
    only_unit = proj.elt("test", "-s", "test_type:unit")
    assert only_unit.exit_code == 0, only_unit.output
    assert ran(only_unit) == {"unit_test.customer_orders.one_order"}
    assert "matches no node" not in only_unit.output
    for data_only in ("test_type:generic", "test_type:singular"):
        result = proj.elt("test", "-s", data_only)
        assert result.exit_code == 0, result.output
        assert ran(result) and not any(name.startswith("unit_test.") for name in ran(result))
    intersected = proj.elt("test", "--unit", "-s", "tag:nightly,test_type:unit")
    assert ran(intersected) == {"unit_test.customer_orders.one_order"}
    assert "No unit tests selected." in proj.elt("test", "--unit", "-s", "tag:other,test_type:unit").stdout
    excluded = proj.elt("test", "-s", "customer_orders", "--exclude", "test_type:unit")
    assert ran(excluded) == {"not_null_customer_orders_name"}


def test_python_helpers_read_nan_as_null_and_take_a_data_frame(project):
    """`to_dict(orient="records")` is what the helpers take from a pandas DataFrame (pandas is not a
    dependency: this stand-in has that method, with NaN for missing floats as pandas gives them)."""

    class Frame:
        def __init__(self, records: list[dict]) -> None:
            self.records = records

        def to_dict(self, orient: str) -> list[dict]:
            assert orient == "records"
            return [dict(r) for r in self.records]

    proj = project({"seeds/raw_scores.csv": "id,score\n1,2.5\n", "models/marts/scores.sql": """\
        select id, score, score is null as missing, coalesce(score, -1.0) + 0.5 as shifted
        from {{ ref('raw_scores') }}
    """})
    given = {"raw_scores": Frame([{"id": 1, "score": 80.5}, {"id": 2, "score": math.nan},
                                  {"id": 3, "score": float("inf")}])}
    rows = sorted(run_model("scores", given, project_dir=proj.root), key=lambda r: r["id"])
    assert rows == [{"id": 1, "score": 80.5, "missing": False, "shifted": 81.0},
                    {"id": 2, "score": None, "missing": True, "shifted": -0.5},
                    {"id": 3, "score": math.inf, "missing": False, "shifted": math.inf}]
    assert_model_returns("scores", given, Frame([{"id": 2, "missing": True, "score": math.nan},
                                                 {"id": 1, "missing": False, "score": 80.5},
                                                 {"id": 3, "missing": False, "score": math.inf}]),
                         project_dir=proj.root)
    with pytest.raises(AssertionError) as failed:
        assert_model_returns("scores", given, [{"id": 2, "missing": False}], project_dir=proj.root)
    lines = [" ".join(line.split()) for line in str(failed.value).splitlines()]
    assert "- | 2 | False" in lines and "+ | 2 | True" in lines and "+ | 1 | False" in lines


def test_given_values_of_declared_types(project):
    """`columns:` types each value: decimals and dates are cast, quotes survive, an empty cell is NULL."""
    proj = project({"seeds/items.csv": "name,price,day\nx,1,2024-01-01\n", "models/marts/priced.sql": """\
        select name, price * 2 as doubled, date_add(day, 1) as next_day
        from {{ ref('items') }}
    """, "models/marts/unit.yml": """\
        unit_tests:
          - name: typed_given
            model: priced
            given:
              - input: ref('items')
                columns: {price: "decimal(10,2)", day: date, name: string}
                format: csv
                rows: |
                  name,price,day
                  o'brien,1.25,2024-02-28
                  empty,,2024-02-29
            expect:
              rows:
                - {name: "o'brien", doubled: 2.5, next_day: 2024-02-29}
                - {name: empty, doubled: null, next_day: 2024-03-01}
    """})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output


# A model whose incremental branch, reached only with the unit test's overrides, holds the error.
BRANCHED = """\
    select student_id,
    {% if is_incremental() %}
      {BRANCH} as p
    {% else %}
      1 as p
    {% endif %}
    from {{ ref('events') }}
    group by student_id
"""

OVERRIDDEN = unit_yml("""\
  - name: incremental_branch
    model: branched
    overrides: {macros: {is_incremental: true}}
    given:
      - input: ref('events')
        rows: [{student_id: 1, event_date: 2024-09-01}]
    expect:
      rows: [{student_id: 1}]
""")


@pytest.mark.parametrize("branch, message", [
    ("1 + ", "SQL syntax error"),
    ("percentile_approx(student_id, 0.5)", "percentile_approx() cannot be translated from Hive to duckdb"),
])
def test_an_error_reached_with_the_overrides_names_the_model_file_and_line(project, branch, message):
    """A syntax error or a translation refusal in the unit-tested model points into the model file, at
    the line written there, not at the yml or at a line of the rebuilt query."""
    model = BRANCHED.replace("{BRANCH}", branch)
    proj = project({"seeds/events.csv": EVENTS, "models/intermediate/branched.sql": model, **OVERRIDDEN})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "models/intermediate/branched.sql:3:" in result.stdout and message in result.stdout, result.stdout
    assert "unit.yml:" not in result.stdout
    with pytest.raises(SqlError) as raised:
        run_model("branched", {"events": [{"student_id": 1}]}, project_dir=proj.root, is_incremental=True)
    assert (raised.value.path, raised.value.line) == ("models/intermediate/branched.sql", 3)
    assert message in raised.value.message
