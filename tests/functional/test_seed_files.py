"""Seed files as spreadsheets and other tools write them, loaded on DuckDB: a byte order mark, one-digit
hours, duplicate column names."""

from __future__ import annotations

import datetime

from tests.conftest import PYPROJECT


def column_types(proj, table: str) -> dict[str, str]:
    return dict(proj.query("select column_name, data_type from information_schema.columns "
                           f"where table_name = '{table}' order by ordinal_position"))


def test_a_csv_with_a_byte_order_mark_loads(project):
    proj = project({"seeds/people.csv": b"\xef\xbb\xbfid,name\r\n1,Ada\r\n2,Alan\r\n",
                    "models/staging/names.sql": "select id, name from {{ ref('people') }}\n"})
    result = proj.elt("seed")
    assert result.exit_code == 0, result.output
    assert column_types(proj, "people") == {"id": "INTEGER", "name": "VARCHAR"}
    assert proj.elt("run").exit_code == 0
    assert proj.query("select id, name from bronze.names order by id") == [(1, "Ada"), (2, "Alan")]


def test_a_model_file_with_a_byte_order_mark_compiles(project):
    proj = project({"seeds/people.csv": "id\n1\n",
                    "models/staging/names.sql": "\ufeffselect id from {{ ref('people') }}\n".encode()})
    assert proj.elt("seed").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select id from bronze.names") == [(1,)]


def test_one_digit_hours_are_timestamps(project):
    proj = project({
        "seeds/events.csv": "id,happened,typed\n1,2020-02-04 4:30:21,2020-02-04 4:30:21\n2,2020-02-04 14:30:21,\n",
        "seeds/seeds.yml": "seeds:\n  - name: events\n    config:\n      column_types: {typed: timestamp}\n",
    })
    result = proj.elt("seed")
    assert result.exit_code == 0, result.output
    assert column_types(proj, "events") == {"id": "INTEGER", "happened": "TIMESTAMP", "typed": "TIMESTAMP"}
    assert proj.query("select happened, typed from raw.events order by id") == [
        (datetime.datetime(2020, 2, 4, 4, 30, 21), datetime.datetime(2020, 2, 4, 4, 30, 21)),
        (datetime.datetime(2020, 2, 4, 14, 30, 21), None)]


def test_duplicate_column_names_are_an_error_with_the_file_and_the_names(project):
    proj = project({"seeds/good.csv": "id\n1\n", "seeds/dup.csv": "id,name,ID\n1,a,2\n"}, pyproject=PYPROJECT)
    result = proj.elt("seed")
    assert result.exit_code == 1
    assert "seeds/dup.csv:1" in result.output
    assert "duplicate column name(s): 'id' and 'ID' (columns 1 and 3)" in result.output
    assert "Traceback" not in result.output
    assert proj.query("select id from raw.good") == [(1,)]
