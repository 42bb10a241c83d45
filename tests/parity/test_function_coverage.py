"""Every documented Hive built-in function is accounted for: translated with evidence (a parity query or
a Hive answer), or refused with a reason; and docs/hive-functions.md is the table these make."""

from __future__ import annotations

import function_coverage
import pytest
import sqlglot

from elt.dialects import translate
from elt.dialects.hive_reader import HIVE
from elt.errors import SqlError

ROWS = function_coverage.coverage()


@pytest.mark.parametrize("row", [r for r in ROWS if not r.function.refused], ids=lambda r: r.function.name)
def test_a_translated_function_has_a_parity_query_or_a_hive_answer(row: function_coverage.Coverage) -> None:
    assert row.evidence, f"{row.function.name}: add a corpus query (functions_*.yaml) or a Hive answer"


@pytest.mark.parametrize("row", [r for r in ROWS if r.function.refused], ids=lambda r: r.function.name)
def test_a_refused_function_is_refused_with_its_name_and_a_hint(row: function_coverage.Coverage) -> None:
    function = row.function
    assert function.example, f"{function.name}: a refused function needs an example call"
    assert not row.evidence, f"{function.name} is listed as refused, yet {row.evidence} run it"
    with pytest.raises(SqlError) as info:
        translate(sqlglot.parse_one(f"SELECT {function.example}", read=HIVE), "hive", "duckdb", path="m.sql")
    assert info.value.message.startswith(f"{function.name}()"), info.value.message
    assert info.value.hint and info.value.line == 1


def test_the_functions_are_listed_once() -> None:
    names = [row.function.name for row in ROWS]
    assert len(names) == len(set(names))


def test_the_coverage_page_is_current() -> None:
    expected = function_coverage.render(ROWS)
    assert function_coverage.DOC.read_text() == expected, "run: .venv/bin/python scripts/function-coverage --write"


def test_at_least_nine_in_ten_documented_functions_are_translated() -> None:
    done, total = function_coverage.figures(ROWS)["documented"]
    print(function_coverage.summary(ROWS))
    assert done / total >= 0.9
