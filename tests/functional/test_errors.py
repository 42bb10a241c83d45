"""Bad input: each case gets a clear message naming file and line, exit code 2, no traceback,
and nothing in the warehouse is touched."""

from __future__ import annotations

import os

import pytest

from tests.conftest import PROFILES, PYPROJECT

SEED = "id,name\n1,ada\n2,grace\n"
GOOD = {
    "seeds/people.csv": SEED,
    "models/staging/stg_people.sql": "select id, name from {{ ref('people') }}\n",
    "models/marts/people_count.sql": "select count(*) as n from {{ ref('stg_people') }}\n",
}


def check_usage_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"


CASES = {
    "jinja-undefined-variable": (
        {"models/staging/bad.sql": "select 1 as a,\n  {{ not_defined }} as b\n"},
        ["models/staging/bad.sql:2", "undefined", "not_defined"],
    ),
    "jinja-undefined-macro": (
        {"models/staging/bad.sql": "select\n\n  {{ no_such_macro(1) }} as b\n"},
        ["models/staging/bad.sql:3", "no_such_macro"],
    ),
    "jinja-syntax": (
        {"models/staging/bad.sql": "select 1 as a\n{% if %}\n"},
        ["models/staging/bad.sql:2", "Jinja syntax error"],
    ),
    "sql-syntax": (
        {"models/staging/bad.sql":
            "{{ config(materialized='view') }}\nselect id,\n  name\nfrom {{ ref('people') }} where (\n"},
        ["models/staging/bad.sql:4", "SQL syntax error"],
    ),
    "sql-not-a-query": (
        {"models/staging/bad.sql": "drop table raw.people\n"},
        ["models/staging/bad.sql", "one SELECT query"],
    ),
    "sql-two-statements": (
        {"models/staging/bad.sql": "select 1 as a;\nselect 2 as b\n"},
        ["models/staging/bad.sql", "several statements"],
    ),
    "cycle": (
        {
            "models/staging/a.sql": "select * from {{ ref('c') }}\n",
            "models/staging/b.sql": "select * from {{ ref('a') }}\n",
            "models/staging/c.sql": "select * from {{ ref('b') }}\n",
        },
        ["dependency cycle", "a -> b -> c -> a", "models/staging/a.sql", "models/staging/c.sql"],
    ),
    "unknown-ref": (
        {"models/marts/bad.sql": "select *\nfrom {{ ref('stg_peple') }}\n"},
        ["models/marts/bad.sql:2", "unknown model 'stg_peple'", "did you mean stg_people"],
    ),
    "unknown-source": (
        {"models/staging/bad.sql": "select *\n\nfrom {{ source('crm', 'customers') }}\n"},
        ["models/staging/bad.sql:3", "unknown source 'crm'.'customers'"],
    ),
    "duplicate-model": (
        {"models/marts/stg_people.sql": "select 1 as x\n"},
        ["two models are named 'stg_people'", "models/staging/stg_people.sql", "models/marts/stg_people.sql"],
    ),
    "model-named-like-seed": (
        {"models/staging/people.sql": "select 1 as x\n"},
        ["seeds/people.csv", "models/staging/people.sql"],
    ),
    "unknown-materialization": (
        {"models/staging/bad.sql": "\n{{ config(materialized='tabel') }}\nselect 1 as x\n"},
        ["models/staging/bad.sql:2", "unknown materialization 'tabel'", "view, table, ephemeral"],
    ),
    "unknown-config-key": (
        {"models/staging/bad.sql": "{{ config(materialised='table') }}\nselect 1 as x\n"},
        ["models/staging/bad.sql:1", "unknown config key(s) materialised", "materialized"],
    ),
    "non-utf8-model": (
        {"models/staging/bad.sql": b"select 1 as x,\n'caf\xe9' as y\n"},
        ["models/staging/bad.sql:2", "not valid UTF-8"],
    ),
    "empty-model": (
        {"models/staging/bad.sql": "  \n\n"},
        ["models/staging/bad.sql", "empty"],
    ),
    "model-renders-empty": (
        {"models/staging/bad.sql": "{% if false %}select 1{% endif %}\n"},
        ["models/staging/bad.sql", "empty"],
    ),
    "unknown-var": (
        {"models/staging/bad.sql": "select {{ var('cutoff') }} as c\n"},
        ["models/staging/bad.sql:1", "var 'cutoff' is not defined"],
    ),
    "malformed-yml": (
        {"models/staging/schema.yml": "models:\n  - name: stg_people\n    columns: [\n"},
        ["models/staging/schema.yml:", "malformed YAML"],
    ),
    "yml-unknown-config-key": (
        {"models/staging/schema.yml": "models:\n  - name: stg_people\n    config:\n      materialise: table\n"},
        ["models/staging/schema.yml:2", "materialise"],
    ),
    "schema-injection": (
        {"models/staging/bad.sql": "{{ config(schema='x; drop table raw.people') }}\nselect 1 as x\n"},
        ["models/staging/bad.sql", "not a valid identifier"],
    ),
    "alias-injection": (
        {"models/staging/bad.sql": "{{ config(alias='t\" as select 1; --') }}\nselect 1 as x\n"},
        ["models/staging/bad.sql", "not a valid identifier"],
    ),
    "bad-model-file-name": (
        {"models/staging/bad-name.sql": "select 1 as x\n"},
        ["models/staging/bad-name.sql", "not a valid identifier"],
    ),
    "macro-raises": (
        {
            "macros/checks.sql": "{% macro must_be_positive(x) %}{% if x <= 0 %}"
                                 "{{ exceptions.raise_compiler_error('x must be positive') }}"
                                 "{% endif %}{{ x }}{% endmacro %}",
            "models/staging/bad.sql": "select\n {{ must_be_positive(-1) }} as x\n",
        },
        ["x must be positive"],
    ),
    "macro-syntax": (
        {"macros/broken.sql": "{% macro m() %}\n{{ 1 + }}\n{% endmacro %}\n"},
        ["macros/broken.sql:2", "Jinja syntax error"],
    ),
}


@pytest.mark.parametrize("files, fragments", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("command", ["run", "compile"])
def test_bad_model_input_is_a_clear_error(project, files, fragments, command):
    proj = project({**GOOD, **files})
    result = proj.elt(command)
    check_usage_error(result, *fragments)
    assert not proj.database.exists(), "the warehouse must not be touched"


def test_bad_input_leaves_built_relations_untouched(project):
    proj = project(GOOD)
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    before = proj.relations()
    proj.write({"models/marts/people_count.sql": "select count(*) as n from {{ ref('stg_peple') }}\n"})
    check_usage_error(proj.elt("run"), "did you mean stg_people")
    assert proj.relations() == before
    assert proj.query("select n from gold.people_count") == [(2,)]


def test_missing_pyproject(project):
    proj = project(GOOD, pyproject=None)
    check_usage_error(proj.elt("run"), "no pyproject.toml", "[tool.elt]")


def test_malformed_pyproject(project):
    proj = project(GOOD, pyproject='[tool.elt]\nname = "x"\nprofile = \n')
    check_usage_error(proj.elt("run"), "pyproject.toml:3", "not valid TOML")


def test_pyproject_without_tool_elt(project):
    proj = project(GOOD, pyproject='[project]\nname = "x"\n')
    check_usage_error(proj.elt("compile"), "pyproject.toml", "no [tool.elt] table", "profile =")


def test_unknown_key_in_tool_elt(project):
    proj = project(GOOD, pyproject=PYPROJECT.replace('profile = "test"', 'profile = "test"\nprofil = "x"'))
    check_usage_error(proj.elt("compile"), "unknown key(s) in [tool.elt]: profil")


def test_unknown_folder_config_key(project):
    proj = project(GOOD, pyproject=PYPROJECT + '\n[tool.elt.models.staging.sub]\nmaterialised = "view"\n')
    check_usage_error(proj.elt("compile"), "unknown config key 'materialised'", "materialized")


def test_malformed_profiles(project):
    proj = project(GOOD, profiles="test:\n  target: dev\n  outputs: {dev: [\n")
    check_usage_error(proj.elt("run"), "profiles.yml:", "malformed YAML")


def test_unknown_profile(project):
    proj = project(GOOD, profiles=PROFILES.replace("test:", "other:"))
    check_usage_error(proj.elt("run"), "profile 'test' not found", "other")


def test_unknown_target(project):
    proj = project(GOOD)
    check_usage_error(proj.elt("run", "--target", "prod"), "target 'prod' not found", "targets: dev")


def test_unknown_target_type(project):
    proj = project(GOOD, profiles=PROFILES.replace("type: duckdb", "type: postgres"))
    check_usage_error(proj.elt("run"), "unknown type 'postgres'", "duckdb, hive, spark")


def test_env_var_without_default(project, monkeypatch):
    monkeypatch.delenv("ELT_TEST_NOT_SET", raising=False)
    missing = "\"{{ env_var('ELT_TEST_NOT_SET') }}\""
    proj = project(GOOD, profiles=PROFILES.replace("target/test.duckdb", missing))
    check_usage_error(proj.elt("run"), "ELT_TEST_NOT_SET", "profiles.yml")


def test_env_var_in_profile_is_used(project, monkeypatch):
    monkeypatch.setenv("ELT_TEST_DB", "target/from_env.duckdb")
    proj = project(GOOD, profiles=PROFILES.replace("target/test.duckdb", "\"{{ env_var('ELT_TEST_DB') }}\""))
    assert proj.elt("seed").exit_code == 0
    assert (proj.root / "target" / "from_env.duckdb").exists()


def test_env_var_in_model_without_default(project, monkeypatch):
    monkeypatch.delenv("ELT_TEST_NOT_SET", raising=False)
    proj = project({**GOOD, "models/staging/bad.sql": "select\n'{{ env_var('ELT_TEST_NOT_SET') }}' as x\n"})
    check_usage_error(proj.elt("compile"), "models/staging/bad.sql:2", "ELT_TEST_NOT_SET")


def test_malformed_vars_option(project):
    proj = project(GOOD)
    check_usage_error(proj.elt("run", "--vars", "{a: [1"), "--vars is not valid YAML")


def test_selector_matching_nothing_is_a_warning(project):
    proj = project(GOOD)
    result = proj.elt("ls", "-s", "no_such_model")
    assert result.exit_code == 0
    assert "no_such_model" in result.stderr and "matches no node" in result.stderr


def test_debug_flag_shows_traceback(project):
    proj = project({**GOOD, "models/marts/bad.sql": "select * from {{ ref('nope') }}\n"})
    result = proj.elt("compile", "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.output


# -- SQL errors are reported at the model file's line, not the rendered SQL's -----------------------

SHIFTED = {
    # multi-line config() and {% set %} render to nothing: the rendered error line is 6 lines earlier
    "jinja-blocks-shift-up": (
        {"models/staging/bad.sql": """\
            {{ config(
                materialized='view',
                schema='bronze',
            ) }}
            {% set columns = [
                'id',
                'name',
            ] %}
            select
              {{ columns | join(', ') }},
              id * 2 as double_id,
              name || '!' as shout
            from {{ ref('people') }}
            where id > 0 and and name is not null
            """},
        14,
    ),
    # a macro expanding to five lines: the rendered error line is 4 lines later
    "macro-shifts-down": (
        {
            "macros/columns.sql": "{% macro person_columns() %}\n  id,\n  name,\n  upper(name) as upper_name,\n"
                                  "  id * 2 as double_id\n{% endmacro %}\n",
            "models/staging/bad.sql": """\
                select
                  {{ person_columns() }},
                  1 as one
                from {{ ref('people') }}
                where id > 0 and and name is not null
                """,
        },
        5,
    ),
}


@pytest.mark.parametrize("files, line", SHIFTED.values(), ids=SHIFTED.keys())
@pytest.mark.parametrize("command", ["run", "compile"])
def test_sql_syntax_error_names_the_source_line(project, files, line, command):
    proj = project({**GOOD, **files})
    result = proj.elt(command)
    check_usage_error(result, f"models/staging/bad.sql:{line}: SQL syntax error near 'and'",
                      "    where id > 0 and and name is not null")
    assert not proj.database.exists()


# -- project files that are there but cannot be read ----------------------------------------------


def _dangling(path):
    path.symlink_to("no_such_model.sql")


def _loop(path):
    path.symlink_to(path.name)


def _fifo(path):
    os.mkfifo(path)


UNREADABLE = {
    "dangling-symlink": (_dangling, ["symbolic link to no_such_model.sql", "No such file or directory",
                                     "point the link at an existing file, or remove it"]),
    "symlink-loop": (_loop, ["symbolic link to x.sql", "Too many levels of symbolic links"]),
    "fifo": (_fifo, ["not a regular file"]),
}


@pytest.mark.parametrize("make, fragments", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize("command", ["run", "compile"])
def test_model_file_that_is_not_a_readable_file(project, make, fragments, command):
    proj = project(GOOD)
    make(proj.root / "models/staging/x.sql")
    check_usage_error(proj.elt(command), "models/staging/x.sql: cannot read file", *fragments)
    assert not proj.database.exists()


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc/self/mem")
def test_model_file_whose_read_fails(project):
    # A regular file whose read fails even for root (chmod 000 does not stop root): /proc/self/mem
    # cannot be read at offset 0. This is project.read_text's own error, not the not-a-file check.
    proj = project(GOOD)
    (proj.root / "models/staging/x.sql").symlink_to("/proc/self/mem")
    check_usage_error(proj.elt("run"), "models/staging/x.sql: cannot read file: Input/output error")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_model_file_without_read_permission(project):
    proj = project(GOOD)
    (proj.root / "models/staging/x.sql").write_text("select 1 as x\n")
    (proj.root / "models/staging/x.sql").chmod(0)
    check_usage_error(proj.elt("run"), "models/staging/x.sql: cannot read file: Permission denied")


def test_editor_lock_files_are_ignored(project):
    # Emacs marks a file being edited with a dangling link `.#name`
    proj = project(GOOD)
    (proj.root / "models/staging/.#stg_people.sql").symlink_to("user@host.1234:1700000000")
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert "Compiled 2 model(s)" in result.stdout


# -- folder configs that match no folder --------------------------------------------------------------


def test_folder_config_for_a_missing_folder_is_a_warning(project):
    proj = project(GOOD, pyproject=PYPROJECT.replace("[tool.elt.models.staging]", "[tool.elt.models.stagign]")
                   + '\n[tool.elt.seeds.sub]\nschema = "x"\n')
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert ("pyproject.toml:8: [tool.elt.models.stagign] applies to no model: no model is in a folder "
            "models/stagign (did you mean staging?)") in result.stderr
    assert "[tool.elt.seeds.sub] applies to no seed: no seed is in a folder seeds/sub" in result.stderr
    # folders that have models are not reported; the misspelt config really did not apply
    assert "tool.elt.models.marts]" not in result.stderr
    assert "main.stg_people" in result.stdout


def test_nested_folder_config_for_a_missing_subfolder_is_a_warning(project):
    proj = project({**GOOD, "models/staging/crm/stg_crm.sql": "select 1 as x\n"},
                   pyproject=PYPROJECT + '\n[tool.elt.models.staging.crn]\nschema = "crm"\n')
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert "[tool.elt.models.staging.crn] applies to no model" in result.stderr
    assert "models/staging/crn (did you mean crm?)" in result.stderr
    assert "[tool.elt.models.staging]" not in result.stderr
