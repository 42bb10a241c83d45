"""The given rows of a unit test typed as dbt types them (elt.compile.unit_types): pure, no engine."""

from __future__ import annotations

import datetime

import pytest
from sqlglot import exp

from elt.compile.unit_types import empty_select, typed_rows
from elt.errors import ProjectError


def _type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="hive")


SCHEMA = [("id", _type("int")), ("paid", _type("decimal(10,2)")), ("at", _type("timestamp")), ("note", _type("string"))]
WHERE = {"path": "models/unit.yml", "line": 3}


def test_columns_a_row_leaves_out_are_null_of_their_type_and_values_are_cast():
    query = typed_rows([{"id": 1, "AT": datetime.datetime(2016, 9, 1, 10)}, {"paid": "", "note": ""}], SCHEMA,
                       {}, "unit test 't'", WHERE)
    assert query.sql(dialect="hive") == (
        "SELECT CAST(1 AS INT) AS id, CAST(NULL AS DECIMAL(10, 2)) AS paid, "
        "CAST('2016-09-01 10:00:00' AS TIMESTAMP) AS at, CAST(NULL AS STRING) AS note "
        "UNION ALL SELECT CAST(NULL AS INT) AS id, CAST(NULL AS DECIMAL(10, 2)) AS paid, "
        "CAST(NULL AS TIMESTAMP) AS at, CAST('' AS STRING) AS note")


def test_declared_column_types_win_over_the_inputs():
    query = typed_rows([{"id": "7"}], SCHEMA[:1], {"id": _type("bigint")}, "t", WHERE)
    assert query.sql(dialect="hive") == "SELECT CAST('7' AS BIGINT) AS id"


def test_a_column_the_input_does_not_have_is_an_error_naming_the_yml_line():
    with pytest.raises(ProjectError) as raised:
        typed_rows([{"idd": 1}], SCHEMA, {}, "unit test 't', input ref('x')", WHERE)
    assert (raised.value.path, raised.value.line) == ("models/unit.yml", 3)
    assert "column(s) idd are not columns of the input" in raised.value.message
    assert raised.value.hint == "its columns: id, paid, at, note"


def test_no_rows_is_an_empty_relation_of_the_inputs_columns():
    assert typed_rows([], SCHEMA[:2], {}, "t", WHERE).sql(dialect="hive") == (
        "SELECT CAST(NULL AS INT) AS id, CAST(NULL AS DECIMAL(10, 2)) AS paid WHERE FALSE")
    assert empty_select(SCHEMA[:1]).sql(dialect="hive") == "SELECT CAST(NULL AS INT) AS id WHERE FALSE"
