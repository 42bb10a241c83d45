"""The compile cache (elt/compile/cache.py): every change that may alter a result invalidates it, and an
unchanged project compiles without rendering, parsing or translating anything.

Each test compiles twice in-process and reads `Manifest.cache_stats` (counts, never timings).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from elt.compile import cache as compile_cache
from elt.compile.compiler import Manifest, compile_project
from elt.errors import GraphError
from elt.project.config import load_target
from elt.project.loader import load_project

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
    "models/staging/stg_scores.sql": """\
        select student_id, course, cast(score as double) as score from {{ source('raw', 'scores') }}
    """,
    "models/intermediate/int_pct.sql": """\
        select student_id, course, {{ pct('score') }} as pct from {{ ref('stg_scores') }}
    """,
    "models/intermediate/passed.sql": """\
        {{ config(materialized='ephemeral') }}
        select * from {{ ref('int_pct') }} where pct >= {{ var('pass_mark', 70) }}
    """,
    "models/marts/course_avg.sql": """\
        select course, avg(pct) as avg_pct from {{ ref('int_pct') }} group by course
    """,
    "models/marts/passed_count.sql": "select count(*) as n from {{ ref('passed') }}\n",
    "models/marts/env_model.sql": "select '{{ env_var('ELT_TEST_REGION', 'eu') }}' as region\n",
    "models/marts/_marts.yml": """\
        models:
          - name: course_avg
            columns:
              - name: course
                data_tests: [not_null, {accepted_values: {values: [math, art]}}]
    """,
}
MODELS = 6  # models in FILES


def compile_(proj, vars_: dict | None = None, target: str | None = None, use_cache: bool | None = None) -> Manifest:
    project = load_project(proj.root, vars_)
    return compile_project(project, load_target(project.config, None, target), use_cache=use_cache)


def edit(proj, rel: str, old: str, new: str) -> None:
    path: Path = proj.root / rel
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


@pytest.fixture
def proj(project, monkeypatch):
    monkeypatch.delenv("ELT_TEST_REGION", raising=False)
    monkeypatch.delenv(compile_cache.NO_CACHE_ENV, raising=False)
    return project(FILES)


def test_first_compile_renders_everything_and_fills_the_cache(proj):
    manifest = compile_(proj)
    stats = manifest.cache_stats
    assert stats.rendered == MODELS and stats.render_hits == 0
    # The two tests are built-ins with plain arguments: well-formed by construction, not parsed.
    assert stats.tests_rendered == 2 and stats.parsed == MODELS
    assert list((proj.root / "target/cache").glob("compile-dev.pickle"))


def test_no_change_renders_parses_and_translates_nothing(proj):
    first = compile_(proj)
    translated = {uid: first.sql_for(uid, "duckdb") for uid in first.compiled_sql}
    first.save_cache()
    cache_file = proj.root / "target/cache/compile-dev.pickle"
    written = cache_file.stat().st_mtime_ns

    second = compile_(proj)
    stats = second.cache_stats
    assert (stats.rendered, stats.tests_rendered, stats.parsed) == (0, 0, 0)
    assert stats.render_hits == MODELS and stats.test_hits == 2 and stats.parse_hits == MODELS + 2
    assert second.compiled_sql == first.compiled_sql
    assert {uid: second.sql_for(uid, "duckdb") for uid in second.compiled_sql} == translated
    assert second.cache_stats.translated == 0
    assert second.render_reads == first.render_reads
    assert {u: n.depends_on for u, n in second.nodes.items()} == {u: n.depends_on for u, n in first.nodes.items()}
    second.save_cache()
    assert cache_file.stat().st_mtime_ns == written  # nothing changed, nothing written


def test_a_runs_translations_are_kept_for_the_next_run(proj):
    """At run time each model is translated again for the column types of what it reads; the run
    saves those translations in the compile cache when it ends, so the next run makes none."""
    assert proj.elt("seed").exit_code == 0
    first = proj.elt("--debug", "run")
    assert first.exit_code == 0, first.output
    assert "the run translated 0 query(ies)" not in first.output
    second = proj.elt("--debug", "run")
    assert second.exit_code == 0, second.output
    assert "the run translated 0 query(ies) for the engine" in second.output


def test_queries_of_cached_models_are_parsed_on_demand(proj):
    first = compile_(proj)
    second = compile_(proj)
    assert second.cache_stats.parsed == 0
    uid = "model.passed_count"  # reads an ephemeral: the inlined tree must be rebuilt the same way
    assert "model.passed_count" in second.queries
    assert second.queries[uid].sql("hive") == first.queries[uid].sql("hive")


def test_a_changed_model_is_the_only_one_rendered_again(proj):
    compile_(proj)
    edit(proj, "models/marts/course_avg.sql", "avg(pct)", "max(pct)")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1
    assert manifest.cache_stats.parsed == 1
    assert "max(pct)" in manifest.compiled_sql["model.course_avg"]


def test_a_macro_change_renders_again(proj):
    compile_(proj)
    edit(proj, "macros/grading.sql", "round({{ col }} / 100 * 100, 1)", "round({{ col }}, 2)")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == MODELS
    assert "round(score, 2)" in manifest.compiled_sql["model.int_pct"]


def test_a_var_change_renders_again_what_read_it(proj):
    compile_(proj)
    manifest = compile_(proj, vars_={"pass_mark": 50})
    assert manifest.cache_stats.rendered == 1  # passed.sql, the only reader of pass_mark
    assert ">= 50" in manifest.parsed_sql["model.passed"]
    assert manifest.cache_stats.parsed == 2  # passed, and passed_count that inlines it
    assert ">= 50" in manifest.compiled_sql["model.passed_count"]


def test_a_var_of_another_type_that_compares_equal_renders_again(proj):
    compile_(proj, vars_={"pass_mark": 1})
    manifest = compile_(proj, vars_={"pass_mark": True})  # 1 == True, but renders as "True"
    assert manifest.cache_stats.rendered == 1
    assert ">= TRUE" in manifest.compiled_sql["model.passed_count"].upper()


def test_a_var_defined_where_the_default_was_used_renders_again(proj):
    compile_(proj)
    edit(proj, "pyproject.toml", '[tool.elt]\n', '[tool.elt]\nvars = {pass_mark = 70}\n')
    # The value is the default's, but only because it is now defined: the render must be checked.
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1
    assert manifest.render_reads["model.passed"] == {"var:pass_mark": 70}


def test_an_env_var_change_renders_again_what_read_it(proj, monkeypatch):
    compile_(proj)
    monkeypatch.setenv("ELT_TEST_REGION", "us")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1
    assert "'us' AS region" in manifest.compiled_sql["model.env_model"] or "'us' as region" in \
        manifest.compiled_sql["model.env_model"]
    monkeypatch.setenv("ELT_TEST_REGION", "eu")  # set now, to the value the default gave
    assert compile_(proj).cache_stats.rendered == 1


def test_a_project_config_change_renames_relations_in_every_reader(proj):
    compile_(proj)
    edit(proj, "pyproject.toml", 'schema = "bronze"', 'schema = "landing"')
    manifest = compile_(proj)
    # No file reads the folder config: nothing renders again, but the SQL that names the
    # relation (int_pct reads stg_scores) is resolved and parsed again.
    assert manifest.cache_stats.rendered == 0
    assert "landing.stg_scores" in manifest.compiled_sql["model.int_pct"]
    assert manifest.cache_stats.parsed == 1


def test_the_project_name_is_part_of_the_key(proj):
    compile_(proj)
    edit(proj, "pyproject.toml", 'name = "test_project"', 'name = "renamed"')
    assert compile_(proj).cache_stats.rendered == MODELS


def test_a_profile_change_renders_again(proj):
    compile_(proj)
    edit(proj, "profiles.yml", "threads: 4", "threads: 4\n      schema: analytics")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == MODELS
    assert manifest.nodes["model.env_model"].relation is not None
    assert str(manifest.nodes["model.env_model"].relation) == "gold.env_model"


def test_each_target_has_its_own_cache(proj):
    edit(proj, "profiles.yml", "      threads: 4\n", "      threads: 4\n    other:\n      type: duckdb\n"
         "      path: target/other.duckdb\n")
    compile_(proj)
    assert compile_(proj, target="other").cache_stats.rendered == MODELS
    assert compile_(proj).cache_stats.rendered == 0
    assert compile_(proj, target="other").cache_stats.rendered == 0


def test_an_upstream_alias_change_reaches_the_models_that_read_it(proj):
    compile_(proj)
    edit(proj, "models/intermediate/int_pct.sql", "select student_id",
         "{{ config(alias='pct_per_student') }}\nselect student_id")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1  # int_pct itself; its readers are not rendered again
    assert "silver.pct_per_student" in manifest.compiled_sql["model.course_avg"]
    assert "silver.pct_per_student" in manifest.compiled_sql["model.passed_count"]  # through the ephemeral


def test_an_upstream_yml_config_change_reaches_the_models_that_read_it(proj):
    compile_(proj)
    proj.write({"models/intermediate/_int.yml": """\
        models:
          - name: int_pct
            config: {schema: scratch}
    """})
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 0
    assert "scratch.int_pct" in manifest.compiled_sql["model.course_avg"]


def test_an_ephemeral_change_reaches_the_models_it_is_inlined_into(proj):
    compile_(proj)
    edit(proj, "models/intermediate/passed.sql", "where pct >=", "where pct >")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1
    assert "pct > 70" in manifest.compiled_sql["model.passed_count"]


def test_a_source_change_renders_again_what_read_it(proj):
    compile_(proj)
    edit(proj, "models/staging/sources.yml", "schema: raw", "schema: landing")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 1
    assert "landing.scores" in manifest.compiled_sql["model.stg_scores"]


def test_a_ref_to_a_deleted_model_fails_as_without_the_cache(proj):
    compile_(proj)
    proj.remove("models/intermediate/int_pct.sql")
    with pytest.raises(GraphError, match="ref to unknown model 'int_pct'") as uncached:
        compile_(proj, use_cache=False)
    with pytest.raises(GraphError) as cached:
        compile_(proj)
    assert (str(cached.value), cached.value.path, cached.value.line) == \
        (str(uncached.value), uncached.value.path, uncached.value.line)


def test_a_yml_test_change_renders_only_that_test(proj):
    compile_(proj)
    edit(proj, "models/marts/_marts.yml", "values: [math, art]", "values: [math, art, music]")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == 0
    assert (manifest.cache_stats.tests_rendered, manifest.cache_stats.test_hits) == (1, 1)
    test = next(uid for uid in manifest.compiled_sql if uid.startswith("test.accepted_values"))
    assert "'music'" in manifest.compiled_sql[test]


def test_an_elt_or_sqlglot_change_discards_the_cache(proj, monkeypatch):
    compile_(proj)
    monkeypatch.setattr(compile_cache, "_FINGERPRINT", "another elt")
    assert compile_(proj).cache_stats.rendered == MODELS
    monkeypatch.setattr(compile_cache, "_version", lambda name: "99.0" if name == "sqlglot" else "1")
    assert compile_(proj).cache_stats.rendered == MODELS


def test_elt_no_cache_reads_and_writes_nothing(proj, monkeypatch):
    monkeypatch.setenv(compile_cache.NO_CACHE_ENV, "1")
    compile_(proj)
    assert compile_(proj).cache_stats.rendered == MODELS
    assert not (proj.root / "target/cache").exists()


def test_a_damaged_cache_file_is_ignored(proj):
    compile_(proj)
    (proj.root / "target/cache/compile-dev.pickle").write_bytes(b"\x80\x05not a pickle")
    manifest = compile_(proj)
    assert manifest.cache_stats.rendered == MODELS
    assert compile_(proj).cache_stats.rendered == 0


def test_cached_and_uncached_compiles_agree_on_the_demo():
    root = Path(__file__).resolve().parents[2]
    project = load_project(root)
    target = load_target(project.config)
    fresh = compile_project(project, target, use_cache=False)
    expected = {uid: fresh.sql_for(uid, "duckdb") for uid in fresh.compiled_sql}
    cached = compile_project(load_project(root), target, use_cache=True)  # fills or reads the demo's cache
    cached = compile_project(load_project(root), target, use_cache=True)
    assert cached.cache_stats.rendered == 0
    assert cached.compiled_sql == fresh.compiled_sql
    assert {uid: cached.sql_for(uid, "duckdb") for uid in cached.compiled_sql} == expected


def test_the_cli_compiles_from_the_cache(proj):
    assert proj.elt("compile").exit_code == 0
    compiled = (proj.root / "target/compiled/models/marts/course_avg.sql").read_text()
    (proj.root / "target/compiled/models/marts/course_avg.sql").unlink()
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert (proj.root / "target/compiled/models/marts/course_avg.sql").read_text() == compiled


def test_cache_doctests():
    import doctest

    result = doctest.testmod(compile_cache)
    assert result.attempted > 0 and result.failed == 0


def test_unchanged_yml_files_are_not_parsed_again(proj, monkeypatch):
    import yaml

    load_project(proj.root)
    calls = []
    real_load = yaml.load
    monkeypatch.setattr(yaml, "load", lambda *a, **k: calls.append(1) or real_load(*a, **k))
    first = load_project(proj.root)
    assert calls == []
    edit(proj, "models/marts/_marts.yml", "values: [math, art]", "values: [art, math]")
    second = load_project(proj.root)
    assert len(calls) == 1
    assert [s.kwargs for s in first.test_specs] != [s.kwargs for s in second.test_specs]


# -- worker processes (elt/compile/fast/processes.py) ---------------------------------------------


def _many_models(count: int) -> dict[str, str]:
    files = {f"models/staging/m{i}.sql": f"select {i} as id, '{{{{ var('tag', 'x') }}}}' as tag\n"
             for i in range(count)}
    files["models/marts/top.sql"] = "select * from {{ ref('m0') }} join {{ ref('m1') }} using (id)\n"
    return files


@pytest.fixture
def forked(monkeypatch):
    from elt.compile.fast import processes as compile_processes

    monkeypatch.setattr(compile_processes, "MIN_TASKS", 2)
    monkeypatch.setenv(compile_processes.PROCESSES_ENV, "2")
    calls = []
    for name in ("render_all", "parsing"):
        real = getattr(compile_processes, name)
        monkeypatch.setattr(compile_processes, name, lambda *a, _real=real, _name=name: calls.append(_name)
                            or _real(*a))
    if not compile_processes.usable(100):
        reason = ("worker processes are not used here (not Linux, or other threads are running: "
                  f"{threading.enumerate()})")
        if os.environ.get("CI", "").lower() == "true" and sys.platform == "linux":
            pytest.fail(reason, pytrace=False)  # CI is Linux: a thread left by an earlier test must not hide these
        pytest.skip(reason)
    return calls


def test_worker_processes_give_the_serial_result(project, forked, monkeypatch):
    proj = project(_many_models(12))
    monkeypatch.setenv("ELT_COMPILE_PROCESSES", "1")
    serial = compile_(proj, use_cache=False)
    assert forked == []
    monkeypatch.setenv("ELT_COMPILE_PROCESSES", "2")
    parallel = compile_(proj, use_cache=False)
    assert forked == ["render_all", "parsing"]
    assert parallel.compiled_sql == serial.compiled_sql
    assert parallel.render_reads == serial.render_reads
    assert {u: parallel.sql_for(u, "duckdb") for u in parallel.compiled_sql} == \
        {u: serial.sql_for(u, "duckdb") for u in serial.compiled_sql}
    assert parallel.cache_stats.rendered == serial.cache_stats.rendered == 13


def test_worker_processes_report_the_first_error_as_a_serial_compile(project, forked, monkeypatch):
    files = _many_models(12)
    files["models/staging/m3.sql"] = "select 1 as id from {{ ref('missing_one') }}\n"
    files["models/staging/m7.sql"] = "select 1 as id frm broken\n"
    proj = project(files)
    errors = []
    for processes in ("1", "2"):
        monkeypatch.setenv("ELT_COMPILE_PROCESSES", processes)
        with pytest.raises(GraphError) as error:
            compile_(proj, use_cache=False)
        errors.append((str(error.value), error.value.path, error.value.line))
    assert errors[0] == errors[1]
    proj.write({"models/staging/m3.sql": "select 3 as id\n"})
    sql_errors = []
    for processes in ("1", "2"):
        monkeypatch.setenv("ELT_COMPILE_PROCESSES", processes)
        with pytest.raises(Exception) as error:
            compile_(proj, use_cache=False)
        sql_errors.append((type(error.value), str(error.value), error.value.path, error.value.line))
    assert sql_errors[0] == sql_errors[1]
    assert sql_errors[0][2] == "models/staging/m7.sql"
