"""A model file of text and `{{ expressions }}` only is rendered from its Jinja syntax tree, without generating
code (elt.compile.templating, `Renderer._render_plain`, and elt.compile.fast.plain_templates): the same SQL,
refs, configs and reads as Jinja's own rendering, and any other file, or any error, is rendered (and reported)
by Jinja."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elt.compile.templating import Renderer
from elt.errors import GraphError, TemplateError
from elt.project.config import ProjectConfig, TargetConfig

MACROS = """
{% macro scaled(expr, factor=2) -%}
round(({{ expr }}) * {{ factor }}, {{ var('digits') }})
{%- endmacro %}
{% macro fail(message) -%}
{{ exceptions.raise_compiler_error(message) }}
{%- endmacro %}
"""

TEMPLATES = [
    "select 1",
    "-- no Jinja\nselect a from t\n",
    "select * from {{ ref('orders') }} join {{ source('raw', 'items') }} using (id)",
    "{{ config(materialized='table', tags=['a', 'b'], meta={'owner': 'x', 'n': (1, 2)}) }}\nselect 1\n",
    "select {{ scaled('amount') }}, {{ scaled('qty', factor=3) }} from {{ this }}",
    "select {{ scaled('coalesce(' ~ scaled('a') ~ ', 0)') }} as v, '{{ target.name }}' as t, {{ 1.5 ~ 2 }}",
    "select {{ var('digits') }}, {{ var('missing', 'fallback') }}, '{{ env_var('ELT_TEST_PLAIN', 'd') }}'",
    "{# a comment #}select {{- ' trimmed ' -}} x\n{{ \"'\" ~ project_name ~ \"'\" }}",
    # Not plain: rendered by Jinja.
    "{% set n = 3 %}select {{ n }}",
    "{% if target.name == 'dev' %}select 1{% else %}select 2{% endif %}",
    "select {{ 'abc' | upper }}, {{ [1, 2][0] }}",
    "{% macro local() %}x{% endmacro %}select {{ local() }}",
    "select {{ ref(*['orders']) }}",
]


def _renderer(tmp_path: Path, plain: bool) -> Renderer:
    project = ProjectConfig(root=tmp_path, name="proj", profile="p", vars={"digits": 4})
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1, settings={},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")

    def source_lookup(source: str, table: str) -> str:
        if source != "raw":
            raise GraphError(f"unknown source {source!r}.{table!r}")
        return f"raw.{table}"

    def ref_check(name: str) -> None:
        if name not in ("orders", "customers"):
            raise GraphError(f"ref to unknown model {name!r}")

    renderer = Renderer(project, target, [("macros/m.sql", MACROS)], source_lookup, ref_check)
    if not plain:
        renderer._render_plain = lambda *args: None  # type: ignore[method-assign]
    return renderer


def _outcome(renderer: Renderer, text: str) -> Any:
    try:
        state = renderer.render("models/m.sql", text, "m")
    except (TemplateError, GraphError) as exc:
        return type(exc).__name__, exc.message, exc.path, exc.line
    return state.sql, state.refs, state.sources, state.config, state.vars_read, state.inputs


@pytest.mark.parametrize("text", TEMPLATES)
def test_plain_render_gives_what_jinja_gives(tmp_path: Path, text: str) -> None:
    assert _outcome(_renderer(tmp_path, True), text) == _outcome(_renderer(tmp_path, False), text)


def test_plain_files_skip_jinja_code_generation(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, True)
    assert renderer._render_plain("models/m.sql", TEMPLATES[4], "m") is not None
    # a comment and whitespace control: scan_plain leaves it, Jinja's syntax tree is evaluated
    assert renderer._render_plain("models/m.sql", TEMPLATES[7], "m") is not None
    assert renderer._render_plain("models/m.sql", TEMPLATES[8], "m") is None  # {% set %}
    assert renderer._render_plain("models/m.sql", TEMPLATES[10], "m") is None  # a filter


@pytest.mark.parametrize(("text", "error", "line"), [
    ("select 1\nfrom {{ ref('nope') }}", "ref to unknown model 'nope'", 2),
    ("select 1\n\nfrom {{ source('other', 't') }}", "unknown source 'other'.'t'", 3),
    ("select {{ undefined_thing }}", "undefined: 'undefined_thing' is undefined", 1),
    ("select 1,\n{{ fail('bad input') }}", "bad input", 6),
    ("select {{ var('nope') }}", "var 'nope' is not defined", 1),
])
def test_errors_are_reported_by_jinja_with_their_line(tmp_path: Path, text: str, error: str, line: int) -> None:
    plain, jinja = _outcome(_renderer(tmp_path, True), text), _outcome(_renderer(tmp_path, False), text)
    assert plain == jinja
    assert error in plain[1] and plain[3] == line
