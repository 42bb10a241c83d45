"""Unit tests as dbt runs them: the columns a `given` row leaves out are NULL of the input's column
type, the expected values are cast to the model's output types before comparing, `format: csv` and
`format: sql` rows. Checked against dbt-duckdb 1.11 on the same project (DuckDB dialect), and on a Hive
project, whose casts are Hive's (through the translation)."""

from __future__ import annotations

import pytest

DUCKDB = '[tool.elt]\nname = "u"\nprofile = "test"\ndialect = "duckdb"\n'
HIVE = '[tool.elt]\nname = "u"\nprofile = "test"\ndialect = "hive"\n'

SEED = "id,name,amount,created_at\n1,a,1.5,2016-09-01 10:00:00\n"
STAGING = ("select id, name, cast(amount as decimal(10,2)) as amount, cast(created_at as timestamp) as created_at\n"
           "from {{ ref('raw') }}\n")
MART = {
    "duckdb": "select id, name, amount, created_at, date_trunc('day', created_at) as day\nfrom {{ ref('stg') }}\n",
    "hive": "select id, name, amount, created_at, cast(to_date(created_at) as timestamp) as day,\n"
            "  cast(name as int) as name_int\nfrom {{ ref('stg') }}\n",
}


def _project(project, dialect: str, unit_tests: str):
    return project({"seeds/raw.csv": SEED, "models/stg.sql": STAGING, "models/mart.sql": MART[dialect],
                    "models/unit.yml": "unit_tests:\n" + unit_tests},
                   pyproject=DUCKDB if dialect == "duckdb" else HIVE)


MISSING_COLUMNS = """\
  - name: missing_columns_are_null
    model: mart
    given:
      - input: ref('stg')
        rows:
          - {id: 1}
          - {id: 2, amount: 3}
    expect:
      rows:
        - {id: 1, name: null, amount: null, day: null}
        - {id: 2, name: null, amount: 3, day: null}
"""


@pytest.mark.parametrize("dialect", ["duckdb", "hive"])
def test_columns_a_given_row_leaves_out_are_null(project, dialect):
    proj = _project(project, dialect, MISSING_COLUMNS)
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.mart.missing_columns_are_null" in result.stdout


EXPECTED_CAST = """\
  - name: expected_values_cast_to_the_models_types
    model: mart
    given:
      - input: ref('stg')
        rows:
          - {id: 1, created_at: '2016-09-01 10:00:00', amount: 1}
    expect:
      rows:
        - {id: 1, day: '2016-09-01', amount: 1, created_at: 2016-09-01 10:00:00}
  - name: a_wrong_day_fails
    model: mart
    given:
      - input: ref('stg')
        rows:
          - {id: 1, created_at: '2016-09-01 10:00:00', amount: 1}
    expect:
      rows:
        - {id: 1, day: '2016-09-02', amount: 1.001}
"""


@pytest.mark.parametrize("dialect", ["duckdb", "hive"])
def test_expected_values_are_cast_to_the_models_column_types(project, dialect):
    """'2016-09-01' equals a timestamp at midnight; 1 (and 1.001, cast to decimal(10,2) as dbt does)
    equals 1.00: only the wrong day differs."""
    proj = _project(project, dialect, EXPECTED_CAST)
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1, result.output
    assert "PASS unit_test.mart.expected_values_cast_to_the_models_types" in result.stdout
    assert "FAIL unit_test.mart.a_wrong_day_fails" in result.stdout
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "- | 1 | 2016-09-02 00:00:00 | 1" in lines
    assert "+ | 1 | 2016-09-01 00:00:00 | 1" in lines


def test_expected_casts_mean_hives_casts_in_a_hive_project(project):
    """In a Hive project the expected values are cast as Hive casts: 1.7 to INT is 1 (DuckDB would
    round it to 2), and a text that is no number is NULL as an INT (DuckDB would refuse it)."""
    proj = _project(project, "hive", """\
  - name: hive_casts
    model: mart
    given:
      - input: ref('stg')
        rows: [{id: 1, name: x}]
    expect:
      rows: [{id: 1.7, name_int: 'n/a'}]
""")
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.mart.hive_casts" in result.stdout


def test_csv_rows_are_cast_like_yml_rows_and_empty_cells_are_null(project):
    proj = _project(project, "duckdb", """\
  - name: from_csv
    model: mart
    given:
      - input: ref('stg')
        format: csv
        rows: |
          id,amount
          1,2.5
    expect:
      format: csv
      rows: |
        id,amount,name
        1,2.50,
""")
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.mart.from_csv" in result.stdout


@pytest.mark.parametrize("dialect", ["duckdb", "hive"])
def test_sql_rows_given_and_expected(project, dialect):
    proj = _project(project, dialect, """\
  - name: from_sql
    model: mart
    given:
      - input: ref('stg')
        format: sql
        rows: |
          select 1 as id, 'x' as name, cast(2.5 as decimal(10,2)) as amount,
                 cast('2016-09-01 10:00:00' as timestamp) as created_at
    expect:
      format: sql
      fixture: expected_mart
""")
    proj.write({"tests/fixtures/expected_mart.sql": "select 1 as id, 'x' as name, 2.5 as amount\n"})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.mart.from_sql" in result.stdout
    proj.write({"tests/fixtures/expected_mart.sql": "select 1 as id, 'y' as name, 2.5 as amount\n"})
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "FAIL unit_test.mart.from_sql" in result.stdout


def test_a_given_column_the_input_does_not_have_is_an_error(project):
    proj = _project(project, "duckdb", """\
  - name: misspelt
    model: mart
    given:
      - input: ref('stg')
        rows: [{idd: 1}]
    expect:
      rows: []
""")
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "models/unit.yml:2: unit test 'misspelt', input ref('stg'): column(s) idd are not columns of the input" \
        in result.stdout
    assert "its columns: id, name, amount, created_at" in result.stdout


def test_sources_with_data_types_are_filled_and_others_keep_the_given_columns(project):
    """A source's columns are known from yml `data_type`s (other columns a row gives are typed from
    their values: the yml may document some columns only); without them, the given rows' columns are
    all the input has (as before)."""
    proj = project({
        "models/src.yml": """\
            sources:
              - name: shop
                tables:
                  - name: typed
                    columns:
                      - {name: id, data_type: int}
                      - {name: paid_at, data_type: timestamp}
                  - name: untyped
        """,
        "models/m.sql": "select t.id, t.paid_at, u.note from {{ source('shop', 'typed') }} t\n"
                        "join {{ source('shop', 'untyped') }} u on t.id = u.id\n",
        "models/unit.yml": """\
            unit_tests:
              - name: typed_source
                model: m
                given:
                  - input: source('shop', 'typed')
                    rows: [{id: 1, extra: 5}]
                  - input: source('shop', 'untyped')
                    rows: [{id: 1, note: hi}]
                expect:
                  rows: [{id: 1, paid_at: null, note: hi}]
        """,
    }, pyproject=HIVE)
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output


def test_a_seed_given_without_rows_is_given_its_files_rows(project):
    proj = _project(project, "duckdb", """\
  - name: seed_rows
    model: stg
    given:
      - input: ref('raw')
    expect:
      rows: [{id: 1, name: a, amount: 1.5, created_at: '2016-09-01 10:00:00'}]
""")
    result = proj.elt("test", "--unit")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.stg.seed_rows" in result.stdout


def test_fixtures_in_the_test_paths_fixtures_folder_are_no_singular_tests(project):
    """dbt's layout: <test path>/fixtures holds unit test fixtures (a bare `fixture:` name is looked up
    there), and its .sql files are not singular tests."""
    proj = _project(project, "duckdb", """\
  - name: from_fixture
    model: mart
    given:
      - input: ref('stg')
        format: sql
        fixture: given_stg
    expect:
      format: csv
      fixture: expected_mart
""")
    proj.write({"pyproject.toml": DUCKDB + 'test-paths = ["checks"]\n',
                "checks/fixtures/given_stg.sql": "select 7 as id, 'x' as name, 1.0 as amount, "
                                                 "timestamp '2016-09-01 10:00:00' as created_at\n",
                "checks/fixtures/expected_mart.csv": "id,day\n7,2016-09-01\n",
                "checks/no_big_ids.sql": "select * from {{ ref('stg') }} where id > 100\n"})
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert "PASS unit_test.mart.from_fixture" in result.stdout
    assert "PASS test no_big_ids" in result.stdout
    assert "test given_stg" not in result.stdout


def test_a_column_of_an_input_of_unknown_columns_that_no_row_gives_is_a_clear_error(project):
    proj = project({
        "models/src.yml": "sources:\n  - name: shop\n    tables:\n      - name: untyped\n",
        "models/m.sql": "select id, note from {{ source('shop', 'untyped') }}\n",
        "models/unit.yml": "unit_tests:\n  - name: no_note\n    model: m\n    given:\n"
                           "      - input: source('shop', 'untyped')\n        rows: [{id: 1}]\n"
                           "    expect:\n      rows: [{id: 1}]\n",
    }, pyproject=HIVE)
    result = proj.elt("test", "--unit")
    assert result.exit_code == 1
    assert "note" in result.stdout
    assert "elt does not know all the columns of source('shop', 'untyped')" in result.stdout
    assert "declare the source's columns with data_type" in result.stdout
