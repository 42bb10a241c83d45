"""Seed CSV type inference and conversion."""

from __future__ import annotations

import datetime

import pytest

from elt.errors import ProjectError
from elt.project.seed_files import read_seed


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
        (["2020-02-04 4:30:21", "2020-02-04 14:30:21"], "timestamp"),  # one-digit hour, as dbt-duckdb reads it
        (["2020-02-04 25:30:21"], "string"),  # not a real time
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


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    (tmp_path / "s.csv").write_bytes(b"\xef\xbb\xbfid,name\n1,a\n")
    assert read_seed(tmp_path, "s.csv", {}).columns == [("id", "int"), ("name", "string")]


def test_one_digit_hours_are_converted(tmp_path):
    (tmp_path / "s.csv").write_text("at\n2020-02-04 4:30:21\n2020-02-04T7:05\n")
    for config in ({}, {"column_types": {"at": "timestamp"}}):
        data = read_seed(tmp_path, "s.csv", config)
        assert data.columns == [("at", "timestamp")]
        assert data.rows == [(datetime.datetime(2020, 2, 4, 4, 30, 21),), (datetime.datetime(2020, 2, 4, 7, 5),)]


@pytest.mark.parametrize("header, names", [
    ("id,name,id", "'id' (columns 1 and 3)"),
    # DuckDB and Hive do not tell case apart
    ("id,Name,x,NAME,ID", "'id' and 'ID' (columns 1 and 5), 'Name' and 'NAME' (columns 2 and 4)"),
])
def test_duplicate_column_names_are_an_error_naming_them(tmp_path, header, names):
    (tmp_path / "s.csv").write_text(header + "\n" + ",".join("1" * len(header.split(","))) + "\n")
    with pytest.raises(ProjectError) as info:
        read_seed(tmp_path, "s.csv", {})
    assert info.value.path == "s.csv" and info.value.line == 1
    assert f"duplicate column name(s): {names}" in info.value.message
