"""`scan_plain` (elt.compile.fast.plain_templates) reads a template of text and `{{ expressions }}` as
Jinja's lexer and parser would: whatever it accepts, `Environment.parse` turns into the very same syntax tree, and the
render from it gives the same SQL, refs, sources, configs and reads as Jinja's own rendering of the
file; whatever it is unsure of, it leaves to Jinja."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2 import nodes

from elt.compile.fast.plain_templates import scan_plain
from elt.compile.templating import Renderer
from elt.errors import GraphError, TemplateError
from elt.project.config import ProjectConfig, TargetConfig, load_target
from elt.project.loader import load_project

ROOT = Path(__file__).resolve().parents[2]
ENV = jinja2.Environment(keep_trailing_newline=True, extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])


def _as_jinja(piece: Any) -> nodes.Node:
    """The Jinja node a piece of `scan_plain`'s answer stands for."""
    if isinstance(piece, str):
        return nodes.TemplateData(piece)
    kind = piece[0]
    if kind == "const":
        return nodes.Const(piece[1])
    if kind == "name":
        return nodes.Name(piece[1], "load")
    if kind == "call":
        keywords = [nodes.Keyword(key, _as_jinja(value)) for key, value in piece[3]]
        return nodes.Call(_as_jinja(piece[1]), [_as_jinja(arg) for arg in piece[2]], keywords, None, None)
    if kind == "attr":
        return nodes.Getattr(_as_jinja(piece[1]), piece[2], "load")
    if kind == "concat":
        return nodes.Concat([_as_jinja(item) for item in piece[1]])
    if kind == "list":
        return nodes.List([_as_jinja(item) for item in piece[1]])
    if kind == "tuple":
        return nodes.Tuple([_as_jinja(item) for item in piece[1]], "load")
    assert kind == "dict", piece
    return nodes.Dict([nodes.Pair(_as_jinja(key), _as_jinja(value)) for key, value in piece[1]])


def _same_tree_as_jinja(text: str) -> bool:
    """Whether scan_plain read `text` (True) or left it to Jinja (False); when it read it, Jinja's
    parse must give the same tree (repr shows value types: Const(1) is not Const(True)) and names."""
    scanned = scan_plain(text)
    if scanned is None:
        return False
    tree = ENV.parse(text)  # raises if scan_plain accepted what Jinja refuses
    assert all(isinstance(node, nodes.Output) for node in tree.body), text
    expected = [child for node in tree.body for child in node.nodes]
    assert repr([_as_jinja(piece) for piece in scanned[0]]) == repr(expected), text
    assert scanned[1] == {name.name for name in tree.find_all(nodes.Name)}, text
    return True


READ = [
    "",
    "select 1\n",
    "{{ ref('a') }}{{ ref(\"b\") }}",
    "select {{ config(materialized='table', tags=['a', 'b',], meta={'k': {'n': (1,)}, 'e': {},},) }} x",
    "{{ scaled(\"coalesce(\" ~ safe_ratio('a * b', 'c') ~ \", 0)\") ~ this ~ target.schema }}",
    "{{ ref('a') ~ '}}' ~ \"{{\" ~ '%}' }}",
    "{{ ('a') }}{{ () }}{{ ('a',) }}{{ ('a', 'b') }}{{ [] }}{{ {} }}",
    "{{ true }}{{ False }}{{ none }}{{ None }}{{ 0 }}{{ 42 }}{{ 1.5 }}{{ 0.25 }}",
    "{{ 'a\\nb\\t\\x41\\u00e9\\'\\\\' }}{{ \"\\N{BULLET}\" }}{{ 'é ☃ 😀' }}",
    "{{\tref(\n'a'\n)\xa0}}",
    "a\r\nb\rc\n{{ 'x\r\ny' }}\r\n",
    "}} stray closers %} #} {",
    "{{ f(true=1, class=2) }}{{ x.y.z() }}{{ 'abc'.upper() }}",
    "{{ {'a': {'b': {'c': 1}}} }}",
]

LEFT_TO_JINJA = [
    "{% set x = 1 %}{{ x }}",
    "{# c #}{{ x }}",
    "{{- x }}",
    "{{+ x }}",
    "{{ x -}}",
    "{{ x }",
    "{{ x",
    "{{ }}",
    "{{ 1, 2 }}",
    "{{ x | upper }}",
    "{{ x[0] }}",
    "{{ x.0 }}",
    "{{ -1 }}",
    "{{ 1 + 2 }}",
    "{{ a == b }}",
    "{{ not x }}",
    "{{ x if y else z }}",
    "{{ x is defined }}",
    "{{ 'a' 'b' }}",
    "{{ 'it''s' }}",
    "{{ '\\d' }}",
    "{{ b'x' }}",
    "{{ f'x' }}",
    "{{ r'x' }}",
    "{{ 1_000 }}",
    "{{ 0x10 }}",
    "{{ 1e3 }}",
    "{{ 01 }}",
    "{{ 1. }}",
    "{{ .5 }}",
    "{{ 'unterminated }}",
    "{{ '\\N{NO SUCH NAME}' }}",
    "{{ f(*args) }}",
    "{{ f(**kwargs) }}",
    "{{ f(a=1, 2) }}",
    "{{ f(a=1, a=2) }}",
    "{{ f(a }}",
    "{{ (a] }}",
    "{{ naïve }}",
]


@pytest.mark.parametrize("text", READ)
def test_what_the_scanner_reads_jinja_parses_to_the_same_tree(text: str) -> None:
    assert _same_tree_as_jinja(text)


@pytest.mark.parametrize("text", LEFT_TO_JINJA)
def test_what_the_scanner_is_unsure_of_is_left_to_jinja(text: str) -> None:
    assert scan_plain(text) is None


def test_random_templates_are_read_as_jinja_reads_them() -> None:
    rng = random.Random(6)
    pieces = ["{{", "}}", "}", "{", "'", '"', "\\", "\\n", "\\x41", "\\N{BULLET}", "(", ")", ",", "a", "ref", "1",
              "01", "1.5", "1.", "1e3", "1_0", "~", "=", "==", ".", " ", "\r\n", "\r", "\n", "-", "+", "[", "]", ":",
              "true", "None", "é", "\t", "\xa0", "|", "*", "x.y", "if", "'s'", '"d"', "r'x'", "()", "#", "%"]
    read = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        read += _same_tree_as_jinja(f"x {{{{ {text} }}}} y" if rng.random() < 0.7 else text)
    assert read > 2000  # the property was exercised, not only bail-outs


# -- rendering: the scanned path against Jinja proper ---------------------------------------------

def _outcome(renderer: Renderer, path: str, text: str, name: str) -> Any:
    try:
        state = renderer.render(path, text, name)
    except (TemplateError, GraphError) as exc:
        return type(exc).__name__, exc.message, exc.path, exc.line
    return state.sql, state.refs, state.sources, state.config, state.vars_read, state.inputs


def _project_renderers(root: Path) -> tuple[Any, Renderer, Renderer]:
    project = load_project(root)
    target = load_target(project.config)
    sources = {f"{s}.{t}": str(node.relation) for (s, t), node in project.sources.items()}
    refable = set(project.models) | set(project.seeds)

    def source_lookup(source: str, table: str) -> str:
        if f"{source}.{table}" not in sources:
            raise GraphError(f"unknown source {source!r}.{table!r}")
        return sources[f"{source}.{table}"]

    def ref_check(name: str) -> None:
        if name not in refable:
            raise GraphError(f"ref to unknown model {name!r}")

    def renderer(jinja_only: bool) -> Renderer:
        made = Renderer(project.config, target, [(m.rel_path, m.text) for m in project.macros], source_lookup,
                        ref_check)
        if jinja_only:
            made._render_plain = lambda *args: None  # type: ignore[method-assign]
        return made

    return project, renderer(False), renderer(True)


def _check_project(root: Path) -> int:
    project, fast, jinja = _project_renderers(root)
    files = [(node.path, node.raw_sql, name) for name, node in project.models.items()]
    files += [(node.path, node.raw_sql, name) for name, node in project.singular_tests.items()]
    scanned = 0
    for path, text, name in files:
        scanned += _same_tree_as_jinja(text)
        assert _outcome(fast, path, text, name) == _outcome(jinja, path, text, name), path
    return scanned


def test_demo_project_renders_as_with_jinja() -> None:
    assert _check_project(ROOT) > 0


def test_generated_bench_project_renders_as_with_jinja(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--models", "300", "--out",
                    str(tmp_path / "bench")], check=True, capture_output=True)
    project = load_project(tmp_path / "bench")
    assert _check_project(tmp_path / "bench") == len(project.models) + len(project.singular_tests)


MACROS = """
{% macro fail(message) -%}
{{ exceptions.raise_compiler_error(message) }}
{%- endmacro %}
{% macro tag(x) -%}<{{ x }}>{%- endmacro %}
"""


def _renderer(tmp_path: Path, jinja_only: bool) -> Renderer:
    project = ProjectConfig(root=tmp_path, name="proj", profile="p", vars={"digits": 4})
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1, settings={},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")

    def ref_check(name: str) -> None:
        if name not in ("orders", "customers"):
            raise GraphError(f"ref to unknown model {name!r}")

    renderer = Renderer(project, target, [("macros/m.sql", MACROS)], lambda s, t: f"{s}.{t}", ref_check)
    if jinja_only:
        renderer._render_plain = lambda *args: None  # type: ignore[method-assign]
    return renderer


@pytest.mark.parametrize("text", [
    *READ[2:],
    "select\r\n  {{ ref('orders') }}\r\nfrom x\r\n",
    "select {{ tag(ref('orders') ~ '}}') }}, {{ tag('a\\tb\\u00e9') }}, {{ tag(\"it's\") }}",
    "select {{- ' trimmed ' -}} x",
    "select {{ ref('orders'), ref('customers') }}",
    "select {{ config(a=1, a=2) }}",
    "select {{ var('digits') }}, {{ var('other', none) }}, {{ env_var('ELT_SCANNER_UNSET', 'd') }}",
])
def test_renders_as_with_jinja(tmp_path: Path, text: str) -> None:
    expected = _outcome(_renderer(tmp_path, True), "models/m.sql", text, "m")
    assert _outcome(_renderer(tmp_path, False), "models/m.sql", text, "m") == expected


@pytest.mark.parametrize(("text", "error", "line"), [
    ("select 1\r\n\r\nfrom {{ ref('nope') }}", "ref to unknown model 'nope'", 3),
    ("select 1\rfrom {{ undefined_thing }}", "undefined: 'undefined_thing' is undefined", 2),
    ("select 1,\n{{ fail('bad ' ~ 'input') }}", "bad input", 3),
    ("select {{ tag(no_such_macro('x')) }}", "undefined: 'no_such_macro' is undefined", 1),
    ("select {{ '\\N{NO SUCH NAME}' }}", "Jinja syntax error", 1),
    ("select {{ ref('orders') }}\n{{ f(a=1, 2) }}", "Jinja syntax error", 2),
])
def test_errors_are_jinja_s_own(tmp_path: Path, text: str, error: str, line: int) -> None:
    scanned = _outcome(_renderer(tmp_path, False), "models/m.sql", text, "m")
    assert scanned == _outcome(_renderer(tmp_path, True), "models/m.sql", text, "m")
    assert error in scanned[1] and scanned[2:] == ("models/m.sql", line) or "macros/m.sql" in scanned[2]
