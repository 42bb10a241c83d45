"""The compile stamp (elt/compile/fast/stamp.py): `elt compile` keeps target/ as it is only when nothing the
compile reads has changed; every kind of change makes it compile again, and what it writes then is what
a compile without any stamp or cache writes."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from elt.compile import cache as compile_cache

FILES = {
    "seeds/scores.csv": "student_id,course,score\n1,math,90\n2,math,80\n3,art,60\n",
    "macros/grading.sql": "{% macro pct(col) %}round({{ col }} / 100 * 100, 1){% endmacro %}\n",
    "models/staging/sources.yml": """\
        sources:
          - name: raw
            schema: raw
            tables:
              - name: scores
    """,
    "models/staging/stg_scores.sql": "select * from {{ source('raw', 'scores') }}\n",
    "models/marts/course_pct.sql": """\
        select course, {{ pct('score') }} as pct, '{{ env_var('ELT_STAMP_REGION', 'eu') }}' as region,
               {{ var('factor', 1) }} as factor
        from {{ ref('stg_scores') }}
    """,
    "models/marts/_marts.yml": """\
        models:
          - name: course_pct
            columns:
              - name: course
                data_tests: [not_null]
    """,
}

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('ELT_STAMP_DB', 'target/test.duckdb') }}"
    other:
      type: duckdb
      path: target/other.duckdb
"""

KEPT = "nothing changed since the last compile"


@pytest.fixture
def proj(project, monkeypatch):
    for name in ("ELT_STAMP_REGION", "ELT_STAMP_DB", compile_cache.NO_CACHE_ENV):
        monkeypatch.delenv(name, raising=False)
    proj = project(FILES, profiles=PROFILES)
    first = proj.elt("compile")
    assert first.exit_code == 0 and KEPT not in first.stdout, first.output
    return proj


def compiles_again(proj, *args: str) -> bool:
    result = proj.elt("compile", *args)
    assert result.exit_code == 0, result.output
    return KEPT not in result.stdout


def compiled(proj, model: str = "course_pct") -> str:
    return (proj.root / f"target/compiled/models/marts/{model}.sql").read_text()


def test_an_unchanged_project_is_not_compiled_again(proj):
    before = (proj.root / "target/manifest.json").stat().st_mtime_ns
    result = proj.elt("compile")
    assert KEPT in result.stdout and "Compiled 2 model(s)" in result.stdout
    assert "1 tests" in result.stdout and "2 models" in result.stdout
    assert (proj.root / "target/manifest.json").stat().st_mtime_ns == before


@pytest.mark.parametrize("rel, old, new", [
    ("models/marts/course_pct.sql", "as pct", "as pct_of_100"),
    ("macros/grading.sql", "* 100, 1)", "* 100, 2)"),
    ("models/marts/_marts.yml", "[not_null]", "[not_null, unique]"),
    ("models/staging/sources.yml", "schema: raw", "schema: raw2"),
    ("pyproject.toml", 'name = "test_project"', 'name = "renamed"'),
    ("profiles.yml", "target/other.duckdb", "target/other2.duckdb"),
    ("seeds/scores.csv", "3,art,60", "3,art,61"),
])
def test_a_changed_file_compiles_again(proj, rel, old, new):
    path = proj.root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    assert compiles_again(proj)
    assert not compiles_again(proj)  # and the new stamp holds


def test_a_new_or_removed_file_compiles_again(proj):
    proj.write({"models/marts/extra.sql": "select 1 as one\n"})
    assert compiles_again(proj)
    assert compiled(proj, "extra") == "select 1 as one\n"
    proj.remove("models/marts/extra.sql")
    assert compiles_again(proj)
    proj.write({"data_tests/no_rows.sql": "select * from {{ ref('course_pct') }} where 1 = 0\n"})
    assert compiles_again(proj)


def test_an_env_var_a_model_reads_compiles_again(proj, monkeypatch):
    monkeypatch.setenv("ELT_STAMP_REGION", "us")
    assert compiles_again(proj)
    assert "'us' as region" in compiled(proj)
    assert not compiles_again(proj)
    monkeypatch.delenv("ELT_STAMP_REGION")
    assert compiles_again(proj)
    assert "'eu' as region" in compiled(proj)


def test_an_env_var_the_profile_reads_compiles_again(proj, monkeypatch):
    monkeypatch.setenv("ELT_STAMP_DB", "target/elsewhere.duckdb")
    assert compiles_again(proj)
    assert not compiles_again(proj)


def test_the_command_line_is_part_of_the_stamp(proj):
    assert compiles_again(proj, "--vars", "{factor: 3}")
    assert "3 as factor" in compiled(proj)
    assert not compiles_again(proj, "--vars", "{factor: 3}")
    assert compiles_again(proj)
    assert "1 as factor" in compiled(proj)
    assert compiles_again(proj, "--target", "other")
    assert compiles_again(proj, "--select", "course_pct")


def test_missing_or_rewritten_outputs_compile_again(proj):
    (proj.root / "target/compiled/models/marts/course_pct.sql").unlink()
    assert compiles_again(proj)
    assert "as pct" in compiled(proj)
    shutil.rmtree(proj.root / "target/translated")
    assert compiles_again(proj)
    assert proj.elt("seed").exit_code == 0 and proj.elt("run").exit_code == 0  # rewrites manifest.json
    assert compiles_again(proj)
    assert not compiles_again(proj)


def test_no_cache_always_compiles(proj, monkeypatch):
    monkeypatch.setenv(compile_cache.NO_CACHE_ENV, "1")
    assert compiles_again(proj)
    assert compiles_again(proj)


def test_a_failed_compile_leaves_no_stamp_behind(proj):
    path = proj.root / "models/marts/course_pct.sql"
    good = path.read_text()
    path.write_text(good.replace("from {{ ref('stg_scores') }}", "from {{ ref('nope') }}"))
    assert proj.elt("compile").exit_code == 2
    path.write_text(good)
    assert compiles_again(proj)  # the stamp of the first compile was dropped with the failure


def test_what_a_kept_compile_leaves_equals_a_fresh_compile(proj, tmp_path):
    assert not compiles_again(proj)
    fresh = tmp_path / "fresh"
    shutil.copytree(proj.root, fresh, ignore=shutil.ignore_patterns("target"))
    os.environ.pop(compile_cache.NO_CACHE_ENV, None)
    from click.testing import CliRunner

    from elt.cli import cli

    assert CliRunner().invoke(cli, ["compile", "--project-dir", str(fresh)]).exit_code == 0
    for rel in ("compiled/models/marts/course_pct.sql", "translated/models/marts/course_pct.sql"):
        assert (proj.root / "target" / rel).read_text() == (fresh / "target" / rel).read_text()
    kept = json.loads((proj.root / "target/manifest.json").read_text())
    new = json.loads((fresh / "target/manifest.json").read_text())
    assert sorted(kept["nodes"]) == sorted(new["nodes"])
    assert kept["parent_map"] == new["parent_map"]
