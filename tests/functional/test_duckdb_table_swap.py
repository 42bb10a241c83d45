"""DuckDB builds a table model in one CREATE OR REPLACE TABLE AS, and sizes its pool to the run's threads.

On a real DuckDB file: the statement reports the rows it wrote, a failing query leaves the previous
table and its rows, a view of the same name is still replaced through the temporary-table path, and
building several models at once shrinks DuckDB's own thread pool so callers and pool match the cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.adapters.duckdb import DuckDBAdapter
from elt.errors import AdapterError
from elt.materializations.table import build_table
from elt.nodes import Relation
from elt.project.config import TargetConfig


@pytest.fixture
def adapter(tmp_path: Path):
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1,
                          settings={"path": str(tmp_path / "swap.duckdb")}, profiles_path=tmp_path / "profiles.yml",
                          dialect="duckdb")
    duck = DuckDBAdapter(target)
    duck.open()
    duck.create_schema("gold")
    yield duck
    duck.close()


def test_table_is_replaced_in_one_statement_and_counts_its_rows(adapter):
    relation = Relation("gold", "t")
    with adapter.recording() as sent:
        assert build_table(adapter, relation, "SELECT range AS x FROM range(7)", {}) == 7
    assert sent == ["CREATE OR REPLACE TABLE gold.t AS\nSELECT range AS x FROM range(7)"]
    assert build_table(adapter, relation, "SELECT range AS x FROM range(3)", {}) == 3
    assert adapter.fetchall("SELECT count(*) FROM gold.t") == [(3,)]


def test_failing_query_keeps_the_previous_table(adapter):
    relation = Relation("gold", "t")
    build_table(adapter, relation, "SELECT range AS x FROM range(5)", {})
    with pytest.raises(AdapterError, match="boom"):
        build_table(adapter, relation, "SELECT CASE WHEN range = 3 THEN error('boom') END AS x FROM range(5)", {})
    assert adapter.fetchall("SELECT sum(x) FROM gold.t") == [(10,)]
    assert adapter.relation_kind(relation) == "table"


def test_a_view_of_the_same_name_becomes_a_table(adapter):
    relation = Relation("gold", "v")
    adapter.create_view_as(relation, "SELECT 1 AS x", replace=False)
    assert build_table(adapter, relation, "SELECT 2 AS x", {}) == 1
    assert adapter.relation_kind(relation) == "table"
    assert adapter.fetchall("SELECT x FROM gold.v") == [(2,)]


def test_pool_shrinks_when_several_models_run_at_once(adapter):
    def pool() -> int:
        return int(adapter.fetchall("SELECT current_setting('threads')")[0][0])

    cores = pool()
    adapter.plan_concurrency(1)
    assert pool() == cores
    adapter.plan_concurrency(4)
    assert pool() == max(1, cores - 3)
