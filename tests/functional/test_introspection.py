"""Macros that read the database while a model is rendered (dbt's `adapter`, `run_query`, `statement`,
`load_result`, `execute`), relations' parts, and `return()`: on DuckDB, end to end through the CLI."""

from __future__ import annotations

import json

SALES = "id,color,amount\n1,red,10\n2,blue,5\n3,red,1\n4,green,2\n"

#: dbt_utils-like macros written for these tests: a star over the catalog's columns, the distinct
#: values of a column through `{% call statement %}` + `load_result`, and run_query.
MACROS = """\
{% macro columns_of(relation, except=[]) %}
  {%- set names = [] -%}
  {%- for col in adapter.get_columns_in_relation(relation) -%}
    {%- if col.column | lower not in except -%}{% do names.append(col.name) %}{%- endif -%}
  {%- endfor -%}
  {{ return(names) }}
{% endmacro %}

{% macro my_star(relation, except=[]) %}
  {%- set names = columns_of(relation, except) -%}
  {{ return(names | join(', ') if names else '*') }}
{% endmacro %}

{% macro column_values(relation, column) %}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- call statement('values', fetch_result=True) -%}
    select {{ column }} as value from {{ relation }} group by {{ column }} order by {{ column }}
  {%- endcall -%}
  {{ return(load_result('values')['data'] | map(attribute=0) | list) }}
{% endmacro %}

{% macro total(relation) %}
  {%- set table = run_query('select sum(amount) as total from ' ~ relation) -%}
  {{ return(table.columns['total'].values()[0] if execute else 0) }}
{% endmacro %}
"""

#: a dbt_utils.get_query_results_as_dict-like macro, and a model reading a column of its result.
RESULTS_AS_DICT = """
{% macro results_as_dict(sql) %}
  {%- set out = {} -%}
  {%- if execute -%}
    {%- for name, column in run_query(sql).columns.items() -%}{% do out.update({name: column.values()}) %}{%- endfor -%}
  {%- endif -%}
  {{ return(out) }}
{% endmacro %}
"""
COLORS = ("{% set d = results_as_dict('select color from ' ~ ref('sales') ~ ' order by id') %}\n"
          "select '{{ d['color'] | join(',') }}' as colors, {{ d['color'] | length }} as n\n")

#: a generic test reading the tested model's columns, one passing and one failing on wide_sales.
HAS_COLUMNS = """\
{% test has_columns(model, expected) %}
{%- set names = columns_of(model) -%}
select missing from (select '' as missing) t where missing <> ''
{%- for c in expected if c not in names %} union all select '{{ c }}'{% endfor %}
{% endtest %}
"""
HAS_COLUMNS_PROPS = ("version: 2\nmodels:\n  - name: wide_sales\n    data_tests:\n"
                     "      - has_columns: {expected: [id, twice]}\n"
                     "      - has_columns: {expected: [id, nothing_like_it], name: wide_sales_lacks_a_column}\n")


def _files(**models: str) -> dict[str, str]:
    files = {"seeds/sales.csv": SALES, "macros/introspect.sql": MACROS,
             "models/intermediate/wide_sales.sql": "select id, color, amount, 'x' as note, 2 * amount as twice\n"
                                                   "from {{ ref('sales') }}\n"}
    files.update({f"models/marts/{name}.sql": sql for name, sql in models.items()})
    return files


def test_a_star_over_the_columns_of_a_model_built_in_the_same_run(project):
    proj = project(_files(starred="select {{ my_star(ref('wide_sales'), except=['note']) }}\n"
                                  "from {{ ref('wide_sales') }}\n"))
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert [row[0] for row in proj.query("DESCRIBE gold.starred")] == ["id", "color", "amount", "twice"]
    assert sorted(proj.query("SELECT id, twice FROM gold.starred")) == [(1, 20), (2, 10), (3, 2), (4, 4)]
    compiled = (proj.root / "target/compiled/models/marts/starred.sql").read_text()
    assert compiled == "select id, color, amount, twice\nfrom silver.wide_sales\n"


def test_a_pivot_on_the_distinct_values_of_a_seed(project):
    pivot = """\
select
{%- for c in column_values(ref('sales'), 'color') %}
  sum(case when color = '{{ c }}' then amount else 0 end) as amount_{{ c }},
{%- endfor %}
  {{ total(ref('sales')) }} as total
from {{ ref('sales') }}
"""
    proj = project(_files(pivoted=pivot))
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert [row[0] for row in proj.query("DESCRIBE gold.pivoted")] == \
        ["amount_blue", "amount_green", "amount_red", "total"]
    assert proj.query("SELECT amount_blue, amount_green, amount_red, total FROM gold.pivoted") == [(5, 2, 11, 18)]


def test_return_gives_a_list_and_a_dict_to_the_caller(project):
    macros = """\
{% macro pair() %}{{ return(['a', 'b']) }}{% endmacro %}
{% macro settings() %}{% do return({'size': 3, 'names': pair()}) %}{% endmacro %}
{% macro count_names() %}{% set s = settings() %}{{ return(s['names'] | length + s.size) }}{% endmacro %}
"""
    proj = project({"macros/values.sql": macros,
                    "models/marts/m.sql": "select {{ count_names() }} as n, '{{ pair()[1] }}' as second,\n"
                                          "  {{ settings()['names'] | length }} as k\n"})
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("SELECT n, second, k FROM gold.m") == [(5, "b", 2)]


def test_execute_is_false_when_the_compile_renders_and_true_when_the_run_renders(project):
    # The config a model sets is read at compile time (as dbt's parse): there `execute` is false.
    model = ("{% if not execute %}{{ config(alias='seen_at_compile') }}{% endif %}\n"
             "select {{ 'true' if execute else 'false' }} as executed\n")
    proj = project({"models/marts/phases.sql": model})
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("SELECT executed FROM gold.seen_at_compile") == [(True,)]


def test_compile_renders_introspective_models_with_the_database(project):
    proj = project(_files(starred="select {{ my_star(ref('wide_sales')) }} from {{ ref('wide_sales') }}\n"))
    assert proj.elt("build", "--select", "sales", "wide_sales").exit_code == 0
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    compiled = (proj.root / "target/compiled/models/marts/starred.sql").read_text()
    assert compiled == "select id, color, amount, note, twice from silver.wide_sales\n"


def test_compile_does_not_connect_for_models_that_only_read_relation_names(project):
    proj = project({"models/staging/src.sql": "select 1 as x\n",
                    "models/marts/names.sql": "{{ config(alias='renamed') }}\n"
                                              "select '{{ this.schema }}.{{ this.identifier }}' as me,\n"
                                              "  '{{ ref('src').name }}' as parent from {{ ref('src') }}\n"})
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    compiled = (proj.root / "target/compiled/models/marts/names.sql").read_text()
    assert "'gold.renamed' as me" in compiled and "'src' as parent" in compiled
    assert not proj.database.exists()  # no connection was opened


def test_a_failing_query_in_a_macro_names_the_macro_line_and_the_model(project):
    macros = "{% macro broken() %}\n  {% set t = run_query('select nope from raw.sales') %}\n" \
             "  {{ return(1) }}\n{% endmacro %}\n"
    # the seed first (a ref in a comment, as in dbt): the query must fail on its column, not on a table
    # that another thread is still loading
    proj = project({"seeds/sales.csv": SALES, "macros/broken.sql": macros,
                    "models/marts/uses_broken.sql": "-- depends_on: {{ ref('sales') }}\nselect {{ broken() }} as x\n"})
    result = proj.elt("build")
    assert result.exit_code == 1
    assert "1 of 2 START seed raw.sales" in result.output
    assert "macros/broken.sql:2" in result.output
    assert "'uses_broken', models/marts/uses_broken.sql" in result.output
    assert "nope" in result.output


def test_an_error_raised_in_a_macro_at_compile_time_names_the_macro_line_and_the_model(project):
    macros = "{% macro divide(x) %}\n  {{ return(x / 0) }}\n{% endmacro %}\n"
    proj = project({"macros/maths.sql": macros, "models/marts/ratio.sql": "select {{ divide(3) }} as r\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "macros/maths.sql:2" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert "'ratio', models/marts/ratio.sql" in result.stderr
    assert "Traceback" not in result.output
    debug = proj.elt("--debug", "compile")
    assert "Traceback" in debug.output and "ZeroDivisionError" in debug.output


def test_a_statement_that_writes_is_refused_in_a_render(project):
    macros = "{% macro sneaky() %}\n{% call statement('x') %}create table gold.t as select 1 as y{% endcall %}\n" \
             "{{ return(1) }}\n{% endmacro %}\n"
    proj = project({"macros/sneaky.sql": macros, "models/marts/m.sql": "select {{ sneaky() }} as x\n"})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "may only read the database" in result.output
    assert "macros/sneaky.sql:2" in result.output
    assert ("gold", "t") not in {(row[0], row[1]) for row in proj.query(
        "SELECT table_schema, table_name FROM information_schema.tables")}


def test_a_ref_made_only_when_execute_is_true_is_refused(project):
    model = ("{% if execute %}select * from {{ ref('src') }}{% else %}select 1 as x{% endif %}\n")
    proj = project({"models/staging/src.sql": "select 1 as x\n", "models/marts/late.sql": model})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "ref('src') is made only when `execute` is true" in result.output


def test_generic_and_singular_tests_that_read_the_database_run_with_it(project):
    singular = ("{% set n = total(ref('sales')) %}\n"
                "select {{ n }} as total from {{ ref('sales') }} where {{ n }} <> 18\n")
    proj = project({**_files(), "macros/has_columns.sql": HAS_COLUMNS, "data_tests/total_is_18.sql": singular,
                    "models/intermediate/_props.yml": HAS_COLUMNS_PROPS})
    result = proj.elt("build")
    assert result.exit_code == 1, result.output
    results = json.loads((proj.root / "target/run_results.json").read_text())["results"]
    status = {r["unique_id"]: r["status"] for r in results}
    assert status["test.total_is_18"] == "success"
    assert status["test.wide_sales_lacks_a_column"] == "fail"
    assert [s for uid, s in status.items() if uid.startswith("test.has_columns")] == ["success"]


def test_values_missing_from_the_empty_answers_of_the_compile_are_empty_there(project):
    # As dbt's parse: at compile time the query's result is empty, so d['color'] is missing; the model
    # still compiles, and its second render (with the rows) is the one built.
    proj = project({**_files(colors=COLORS), "macros/introspect.sql": MACROS + RESULTS_AS_DICT})
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert proj.query("SELECT colors, n FROM gold.colors") == [("red,blue,red,green", 4)]


def test_get_relation_and_load_relation_say_what_exists(project):
    model = ("{% set found = adapter.get_relation(database=none, schema='silver', identifier='wide_sales') %}\n"
             "{% set gone = load_relation(api.Relation.create(schema='silver', identifier='nope')) %}\n"
             "select '{{ found.type if found else 'none' }}' as kind, '{{ found }}' as name,\n"
             "  {{ 'true' if gone is none else 'false' }} as gone, '{{ adapter.quote('x') }}' as quoted\n"
             "from {{ ref('wide_sales') }} limit 1\n")
    proj = project(_files(relations=model))
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert proj.query("SELECT kind, name, gone, quoted FROM gold.relations") == [("table", "silver.wide_sales", True,
                                                                                  "`x`")]


def test_a_unit_test_of_a_model_that_reads_the_database_is_refused(project):
    unit = """\
unit_tests:
  - name: star_of_given_rows
    model: starred
    given:
      - input: ref('wide_sales')
        rows: [{id: 1, color: red, amount: 2, note: x, twice: 4}]
    expect:
      rows: [{id: 1, color: red, amount: 2, twice: 4}]
"""
    proj = project({**_files(starred="select {{ my_star(ref('wide_sales'), except=['note']) }}\n"
                                     "from {{ ref('wide_sales') }}\n"), "models/marts/unit.yml": unit})
    result = proj.elt("test", "--unit")
    assert result.exit_code != 0
    assert "model 'starred' reads the database while it is rendered" in result.output


def test_an_error_raised_in_a_macro_when_the_run_renders_shows_its_traceback_with_debug(project):
    macros = "{% macro divide_late(x) %}\n  {{ return(x / 0 if execute else x) }}\n{% endmacro %}\n"
    proj = project({"macros/maths.sql": macros, "models/marts/ratio.sql": "select {{ divide_late(3) }} as r\n"})
    result = proj.elt("run")
    assert result.exit_code == 1
    assert "macros/maths.sql:2" in result.output and "'ratio', models/marts/ratio.sql" in result.output
    assert "Traceback" not in result.output
    debug = proj.elt("--debug", "run")
    assert "Traceback" in debug.output and "ZeroDivisionError: division by zero" in debug.output


def test_docs_render_introspective_models_with_the_database(project):
    proj = project(_files(starred="select {{ my_star(ref('wide_sales'), except=['note']) }}\n"
                                  "from {{ ref('wide_sales') }}\n"))
    assert proj.elt("build").exit_code == 0
    result = proj.elt("docs", "lineage", "starred")
    assert result.exit_code == 0, result.output
    assert "starred.twice" in result.output and "wide_sales.twice" in result.output
