"""Seed CSV type inference and conversion."""

from __future__ import annotations

import datetime

import pytest

from elt.errors import ProjectError
from elt.seeds import read_seed


@pytest.mark.parametrize(
    "values, expected",
    [
        (["1", "2", ""], "int"),
        (["1", "3000000000"], "bigint"),
        (["1", "2.5"], "double"),
        (["007", "010"], "string"),  # leading zeros are codes, not numbers
        (["true", "False"], "boolean"),
        (["2024-01-31", ""], "date"),
        (["2024-02-30"], "string"),  # not a real date
        (["2024-01-31 10:00:00", "2024-01-31T10:00"], "timestamp"),
        (["", ""], "string"),
        (["nan", "1"], "string"),
        (["a", "1"], "string"),
    ],
)
def test_inferred_type(tmp_path, values, expected):
    (tmp_path / "s.csv").write_text("k,c\n" + "\n".join(f"1,{v}" for v in values) + "\n")
    data = read_seed(tmp_path, "s.csv", {})
    assert data.columns == [("k", "int"), ("c", expected)]


def test_values_are_converted(tmp_path):
    (tmp_path / "s.csv").write_text("i,d,t,b,s\n1,2024-01-02,2024-01-02 03:04:05,true,x\n,,,,\n")
    data = read_seed(tmp_path, "s.csv", {})
    assert data.rows == [
        (1, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5), True, "x"),
        (None, None, None, None, None),
    ]


def test_column_types_override_and_bad_value_names_the_line(tmp_path):
    (tmp_path / "s.csv").write_text("c\n1\nx\n")
    with pytest.raises(ProjectError) as info:
        read_seed(tmp_path, "s.csv", {"column_types": {"c": "int"}})
    assert info.value.line == 3


def test_unknown_column_in_column_types(tmp_path):
    (tmp_path / "s.csv").write_text("c\n1\n")
    with pytest.raises(ProjectError, match="unknown column"):
        read_seed(tmp_path, "s.csv", {"column_types": {"nope": "int"}})
