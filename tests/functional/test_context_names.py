"""dbt's small Jinja names (elt.compile.context_names) in models: modules, fromjson/tojson,
fromyaml/toyaml, zip, set, var.has_var, log, print, exceptions, flags, invocation_id, run_started_at;
and the compile cache re-renders a model whose text depends on the invocation."""

from __future__ import annotations

import datetime

MODEL = """\
{% set parsed = fromjson('{"a": [1, 2]}') %}
{% set y = fromyaml('k: [x, y]') %}
select
  {{ parsed['a'][1] }} as from_json,
  '{{ tojson({"b": 1}) }}' as to_json,
  '{{ y['k'] | join('') }}' as from_yaml,
  '{{ toyaml({'z': 1}) | trim }}' as to_yaml,
  '{{ modules.datetime.date(2024, 1, 2).strftime('%d/%m') }}' as a_date,
  '{{ modules.re.sub('[aeiou]', '', 'dbt macros') }}' as no_vowels,
  {{ zip([1, 2], [3, 4]) | map('sum') | list | sum }} as zipped,
  {{ set([1, 1, 2]) | length }} as distinct_count,
  {{ var.has_var('known') }} as has_known,
  {{ var.has_var('unknown') }} as has_unknown,
  '{{ local_md5('a') }}' as md5
"""


def test_names_in_a_model(project) -> None:
    proj = project({"models/marts/names.sql": MODEL},
                   pyproject=project_with_var())
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select * from gold.names") == [
        (2, '{"b": 1}', "xy", "z: 1", "02/01", "dbt mcrs", 10, 2, True, False, "0cc175b9c0f1b6a831c399e269772661")]


def project_with_var() -> str:
    from tests.conftest import PYPROJECT

    return PYPROJECT + '\n[tool.elt.vars]\nknown = 1\n'


def test_log_print_and_warn_print_lines_at_every_compile(project) -> None:
    proj = project({"macros/m.sql": "{% macro note(x) %}{% do log('noting ' ~ x, info=True) %}"
                                     "{% do log('quiet ' ~ x) %}{{ x }}{% endmacro %}",
                    "models/marts/a.sql": "{{ print('printed line') }}{% do exceptions.warn('careful') %}"
                                          "select {{ note(1) }} as x"})
    for _ in range(2):  # the second compile takes the render from the cache, and still prints
        result = proj.elt("compile")
        assert result.exit_code == 0, result.output
        assert "noting 1" in result.stdout and "quiet" not in result.output
        assert "printed line" in result.stdout
        assert "warning: careful" in result.stderr


def test_raise_compiler_error_names_the_file_line_and_model(project) -> None:
    proj = project({"macros/m.sql": "{% macro check(x) %}\n{% if x < 0 %}\n"
                                    "{{ exceptions.raise_compiler_error('x must not be negative') }}\n"
                                    "{% endif %}{{ x }}{% endmacro %}",
                    "models/marts/a.sql": "select\n{{ check(-1) }} as x"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "macros/m.sql:3: x must not be negative (in a macro called from 'a', models/marts/a.sql)" in result.stderr


def test_flags_follow_the_command_through_the_cache(project) -> None:
    proj = project({"models/marts/a.sql": "select '{{ flags.WHICH }}' as which, {{ flags.FULL_REFRESH }} as fr"})
    assert proj.elt("compile").exit_code == 0
    assert "'compile' as which" in next((proj.root / "target/compiled").rglob("a.sql")).read_text()
    assert proj.elt("run").exit_code == 0  # the render cached by compile is not reused
    assert proj.query("select * from gold.a") == [("run", False)]
    assert proj.elt("run", "--full-refresh").exit_code == 0
    assert proj.query("select * from gold.a") == [("run", True)]


def test_run_started_at_and_invocation_id_are_new_at_each_run(project) -> None:
    proj = project({"models/marts/a.sql": "select '{{ invocation_id }}' as id, "
                                          "cast('{{ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') }}' "
                                          "as timestamp) as started"})
    seen = []
    for _ in range(2):
        before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        assert proj.elt("run").exit_code == 0
        after = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        ((run_id, started),) = proj.query("select * from gold.a")
        assert len(run_id) == 36 and before <= started <= after  # this run's start, in UTC
        seen.append(run_id)
    assert seen[0] != seen[1]


def test_a_model_reading_the_invocation_is_compiled_again(project) -> None:
    proj = project({"models/marts/a.sql": "select '{{ invocation_id }}' as id"})
    texts = []
    for _ in range(2):
        result = proj.elt("compile")
        assert result.exit_code == 0 and "nothing changed" not in result.output.lower(), result.output
        texts.append(next((proj.root / "target/compiled").rglob("a.sql")).read_text())
    assert texts[0] != texts[1]


def test_pytz_missing_is_a_clear_error(project) -> None:
    import importlib.util

    if importlib.util.find_spec("pytz") is not None:
        return  # installed: modules.pytz is pytz
    proj = project({"models/marts/a.sql": "select\n'{{ modules.pytz.timezone('UTC') }}' as tz"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "models/marts/a.sql:2: modules.pytz is not installed" in result.stderr
