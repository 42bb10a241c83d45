"""Ephemeral models inlined as CTEs: each once, before what reads it, however deep or shared."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

PREFIX = "__elt_ephemeral_"


def ephemeral(sql: str) -> str:
    return "{{ config(materialized='ephemeral') }}\n" + sql


def compiled_ctes(proj, model: str) -> list[str]:
    """The CTE names of a compiled model, in order (compiled SQL is the project's dialect, Hive)."""
    [path] = (proj.root / "target" / "compiled").rglob(f"{model}.sql")
    query = sqlglot.parse_one(path.read_text(), read="hive")
    return [cte.alias for cte in query.find_all(exp.CTE)]


def chain(depth: int) -> dict[str, str]:
    """e1 (x = 1) <- e2 (x + 1) <- ... <- e<depth>, ephemeral; every other one with a CTE of its
    own named `step`; and the table top (x + 1)."""
    files = {"models/intermediate/e1.sql": ephemeral("select 1 as x\n")}
    for level in range(2, depth + 1):
        prev = f"{{{{ ref('e{level - 1}') }}}}"
        body = (f"with step as (select x + 1 as x from {prev}) select x from step\n" if level % 2
                else f"select x + 1 as x from {prev}\n")
        files[f"models/intermediate/e{level}.sql"] = ephemeral(body)
    files["models/marts/top.sql"] = f"select x + 1 as x from {{{{ ref('e{depth}') }}}}\n"
    return files


@pytest.mark.parametrize("depth", [4, 25])
def test_a_chain_of_ephemerals_inlines_each_once_in_dependency_order(project, depth):
    proj = project(chain(depth))
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    ctes = compiled_ctes(proj, "top")
    inlined = [name for name in ctes if not name.endswith("__step")]
    assert inlined == [f"{PREFIX}e{level}" for level in range(1, depth + 1)]
    # Each ephemeral's own CTE, once, renamed after it, before the ephemeral that holds it.
    own = [name for name in ctes if name.endswith("__step")]
    assert own == [f"{PREFIX}e{level}__step" for level in range(3, depth + 1, 2)]
    for level in range(3, depth + 1, 2):
        assert ctes.index(f"{PREFIX}e{level}__step") < ctes.index(f"{PREFIX}e{level}")
    assert proj.elt("run").exit_code == 0
    assert proj.query("select x from gold.top") == [(depth + 1,)]


def test_a_diamond_of_ephemerals_inlines_the_shared_one_once(project):
    # base <- left, right <- joined (all ephemeral) <- the table top, which also reads base.
    proj = project({
        "models/intermediate/base.sql": ephemeral("select 1 as id, 10 as x\n"),
        "models/intermediate/left_side.sql": ephemeral("select id, x + 1 as x from {{ ref('base') }}\n"),
        "models/intermediate/right_side.sql": ephemeral(
            "with doubled as (select id, x * 2 as x from {{ ref('base') }}) select id, x from doubled\n"),
        "models/intermediate/joined.sql": ephemeral(
            "select l.id, l.x as l, r.x as r from {{ ref('left_side') }} l join {{ ref('right_side') }} r"
            " on l.id = r.id\n"),
        "models/marts/top.sql": (
            "select j.l, j.r, b.x as b from {{ ref('joined') }} j join {{ ref('base') }} b on j.id = b.id\n"),
    })
    assert proj.elt("compile").exit_code == 0
    ctes = compiled_ctes(proj, "top")
    assert len(ctes) == len(set(ctes))
    position = {name: ctes.index(f"{PREFIX}{name}") for name in ("base", "left_side", "right_side", "joined")}
    assert position["base"] < position["left_side"] < position["joined"]
    assert position["base"] < position["right_side"] < position["joined"]
    assert set(ctes) == {f"{PREFIX}{n}" for n in position} | {f"{PREFIX}right_side__doubled"}
    assert proj.elt("run").exit_code == 0
    assert proj.query("select l, r, b from gold.top") == [(11, 20, 10)]
