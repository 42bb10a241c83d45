"""The objects dbt's macros read in a render: relations, query results, return()."""

from __future__ import annotations

import jinja2

from elt.compile.jinja_context import enable_return, macro_return
from elt.compile.relations import JinjaRelation, RelationApi
from elt.compile.result_table import ResultTable


def _render(source: str, **names: object) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    return env.from_string(source).render(**names)


def test_a_relation_is_what_dbt_utils_checks_a_relation_is():
    relation = JinjaRelation((None, "gold", "orders", "table"))
    check = "{{ obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation') }}"
    assert _render(check, obj=relation) == "True"
    assert _render(check, obj="gold.orders") == "False"


def test_a_relation_renders_its_parts_and_a_ref_its_placeholder():
    ref = JinjaRelation((None, "gold", "orders", "view"), text="__elt_ref__orders__")
    assert str(ref) == "__elt_ref__orders__"
    assert (ref.schema, ref.identifier, ref.name, ref.is_view) == ("gold", "orders", "orders", True)
    assert str(ref.include(schema=False)) == "orders"
    assert str(ref.include(schema=False).include(schema=True)) == "gold.orders"
    assert str(RelationApi("__cte__").create(database="db", schema="s", identifier="t")) == "db.s.t"
    assert str(RelationApi("__cte__").create(database="db", schema="s", identifier="t").include(database=False)) \
        == "s.t"


def test_a_relation_whose_parts_are_not_known_yet_says_so_when_read():
    reads = []
    ref = JinjaRelation(text="__elt_ref__x__", lookup=lambda: None, unknown=lambda: reads.append(1),
                        placeholder=(None, "__elt_schema__", "x", None))
    assert str(ref) == "__elt_ref__x__" and not reads  # rendering it needs nothing
    assert ref.identifier == "x" and reads == [1]


def test_a_result_table_reads_as_agate():
    table = ResultTable(["color", "n"], [("red", 2), ("blue", 1)])
    assert len(table) == 2 and table.column_names == ("color", "n")
    assert table.rows[1][0] == "blue" and table.rows[0]["n"] == 2
    assert table.columns[0].values() == ("red", "blue") and table.columns["n"].values() == (2, 1)
    assert [name for name, _ in table.columns.items()] == ["color", "n"]
    assert _render("{{ t.columns[0].values() | join(',') }}-{{ t | length }}-{{ t.print_table() }}", t=table) \
        == "red,blue-2-"
    assert not ResultTable([], [])


def test_return_gives_any_value_to_the_calling_macro_of_the_same_file():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    names: dict[str, object] = {"return": macro_return}
    module = env.from_string(
        "{% macro inner() %}{{ return({'a': [1, 2]}) }}ignored{% endmacro %}"
        "{% macro outer() %}{% set v = inner() %}{% do return(v['a'] | length) %}{% endmacro %}"
    ).make_module(vars=names, shared=True)
    for name in ("inner", "outer"):
        enable_return(getattr(module, name))
    assert module.inner() == {"a": [1, 2]}
    assert module.outer() == 2
