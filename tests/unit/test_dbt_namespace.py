"""dbt's cross-database macros as text (elt.compile.dbt_namespace): chosen by the project's dialect,
overridden by the project's own macros as in dbt, and errors that name the macro and the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.compile.templating import Renderer
from elt.errors import TemplateError
from elt.project.config import ProjectConfig, TargetConfig


def _render(tmp_path: Path, dialect: str, text: str, macros: str = "") -> str:
    project = ProjectConfig(root=tmp_path, name="proj", profile="p", dialect=dialect)
    target = TargetConfig(name="dev", type="duckdb", schema="main", threads=1, settings={},
                          profiles_path=tmp_path / "profiles.yml", dialect="duckdb")
    renderer = Renderer(project, target, [("macros/m.sql", macros)] if macros else [],
                        lambda s, t: f"{s}.{t}", lambda name: None)
    return renderer.render("models/m.sql", text, "m").sql


@pytest.mark.parametrize(("dialect", "text", "sql"), [
    ("hive", "{{ dbt.type_string() }} {{ dbt.type_int() }} {{ dbt.type_numeric() }}", "string int decimal(28,6)"),
    ("duckdb", "{{ dbt.type_string() }} {{ dbt.type_int() }} {{ dbt.type_numeric() }}", "TEXT integer numeric(28,6)"),
    ("hive", "{{ dbt.dateadd('day', 3, 'd') }}", "(cast(d as timestamp) + interval '3' day)"),
    ("hive", "{{ dbt.dateadd('DAY', '-1', 'd') }}", "(cast(d as timestamp) - interval '1' day)"),
    ("hive", "{{ dbt.dateadd(\"'week'\", 2, 'd') }}", "(cast(d as timestamp) + interval '14' day)"),
    ("duckdb", "{{ dbt.dateadd('day', 3, 'd') }}", "(d + cast(3 as bigint) * interval 1 day)"),
    ("hive", "{{ dbt.concat(['a', 'b']) }}", "concat(a, b)"),
    ("duckdb", "{{ dbt.concat(['a', 'b']) }}", "a || b"),
    ("hive", "{{ dbt.split_part('s', \"'.'\", 2) }}", "split(s, '\\\\.')[1]"),
    ("hive", "{{ dbt.split_part('s', \"','\", -1) }}", "split(s, ',')[size(split(s, ',')) - 1]"),
    ("duckdb", "{{ dbt.split_part('s', \"','\", -1) }}", "string_split(s, ',')[-1]"),
    ("hive", "{{ dbt.safe_cast('x', 'int') }}", "cast(x as int)"),
    ("duckdb", "{{ dbt.safe_cast('x', 'int') }}", "try_cast(x as int)"),
    ("hive", "'{{ dbt.escape_single_quotes(\"it's a\\\\b\") }}'", "'it\\'s a\\\\b'"),
    ("duckdb", "'{{ dbt.escape_single_quotes(\"it's\") }}'", "'it''s'"),
])
def test_text_for_the_dialect(tmp_path: Path, dialect: str, text: str, sql: str) -> None:
    assert _render(tmp_path, dialect, text) == sql


def test_the_project_overrides_an_implementation_as_in_dbt(tmp_path: Path) -> None:
    # The root project's implementations come before the shipped ones, whatever the prefix.
    macros = ("{% macro default__concat(fields) %}my_concat({{ fields | join(', ') }}){% endmacro %}"
              "{% macro spark__hash(field) %}my_hash({{ field }}){% endmacro %}")
    text = "{{ dbt.concat(['a', 'b']) }} {{ hash('x') }}"
    assert _render(tmp_path, "hive", text, macros) == "my_concat(a, b) my_hash(x)"
    assert _render(tmp_path, "duckdb", "{{ dbt.hash('x') }}", macros) == "md5(cast(x as TEXT))"


def test_the_projects_macro_of_the_same_name_wins_unqualified_only(tmp_path: Path) -> None:
    macros = "{% macro dateadd(a, b, c) %}mine{% endmacro %}"
    assert _render(tmp_path, "duckdb", "{{ dateadd('day', 1, 'd') }} {{ dbt.dateadd('day', 1, 'd') }}",
                   macros) == "mine (d + cast(1 as bigint) * interval 1 day)"


@pytest.mark.parametrize(("dialect", "text", "message"), [
    ("hive", "select\n{{ dbt.dateadd('fortnight', 1, 'd') }}", "dbt.dateadd: date part 'fortnight' is not supported"),
    ("duckdb", "select\n{{ dbt.datediff('a', 'b', 'eon') }}", "dbt.datediff: date part 'eon' is not supported"),
    ("hive", "select\n{{ dbt.listagg('x', \"','\", 'order by y') }}", "dbt.listagg: order_by_clause cannot"),
    ("hive", "select\n{{ dbt.split_part('s', 'sep_column', 1) }}", "dbt.split_part: the delimiter must"),
    ("hive", "select\n{{ dbt.array_concat('a', 'b') }}", "dbt.array_concat: Hive has no function"),
    ("hive", "select\n{{ dbt.no_such_macro() }}", "dbt.no_such_macro is not a macro elt provides"),
])
def test_errors_name_the_macro_and_the_model_line(tmp_path: Path, dialect: str, text: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        _render(tmp_path, dialect, text)
    assert info.value.message.startswith(message)
    assert (info.value.path, info.value.line) == ("models/m.sql", 2)
    assert info.value.hint


def test_an_error_in_a_macro_the_model_calls_names_the_model(tmp_path: Path) -> None:
    macros = "{% macro shift(d) %}\n{{ dbt.dateadd('fortnight', 1, d) }}\n{% endmacro %}"
    with pytest.raises(TemplateError) as info:
        _render(tmp_path, "hive", "select {{ shift('d') }}", macros)
    assert (info.value.path, info.value.line) == ("macros/m.sql", 2)
    assert "called from 'm', models/m.sql" in info.value.message
