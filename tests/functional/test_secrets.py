"""Secrets (elt/secrets.py): no profile secret under target/ or in a generated DAG; ELT_SECRET_* and
DBT_ENV_SECRET_* values masked in what elt prints and writes, and refused in models and macros."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PYPROJECT

PASSWORD = "Zq9-hive-pw-7781"

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
    hive:
      type: hive
      host: 127.0.0.1
      port: 1
      username: elt
      auth: LDAP
      password: "{{ env_var('HIVE_PASSWORD') }}"
      schema: default
    secret_hive:
      type: hive
      host: 127.0.0.1
      port: 1
      username: elt
      auth: LDAP
      password: "{{ env_var('ELT_SECRET_HIVE_PASSWORD') }}"
      schema: default
"""

FILES = {
    "seeds/scores.csv": "id,score\n1,90\n2,80\n",
    "models/staging/stg_scores.sql": "select id, score from {{ ref('scores') }}\n",
    "models/marts/best.sql": "select max(score) as best from {{ ref('stg_scores') }}\n",
    "models/marts/_marts.yml": """\
        models:
          - name: best
            columns:
              - name: best
                data_tests: [not_null]
    """,
}


def files_holding(root: Path, value: str) -> list[str]:
    """Every file under `root` whose bytes hold `value` (as UTF-8 or as UTF-16, as a pickle or a
    database could)."""
    needles = [value.encode(), value.encode("utf-16-le")]
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and any(n in p.read_bytes() for n in needles))


@pytest.mark.parametrize("variable", ["HIVE_PASSWORD", "ELT_SECRET_HIVE_PASSWORD"])
def test_no_profile_password_under_target_or_in_the_dag(project, monkeypatch, variable):
    monkeypatch.setenv(variable, PASSWORD)
    proj = project(FILES, profiles=PROFILES)
    hive = "hive" if variable == "HIVE_PASSWORD" else "secret_hive"
    # compile, docs and the DAG do not connect, so they run for the Hive target without a server
    for args in (["compile", "--target", hive], ["compile", "--target", hive], ["compile"], ["seed"],
                 ["run"], ["test"], ["docs", "generate"], ["docs", "generate", "--target", hive],
                 ["docs", "graph", "--output", "target/graph.json"],
                 ["airflow", "generate", "--target", hive]):
        result = proj.elt(*args)
        assert PASSWORD not in result.output, args
        assert result.exit_code == 0, (args, result.output)
    assert (proj.root / f"target/cache/stamp-{hive}.pickle").exists()
    assert (proj.root / "dags").is_dir()
    assert files_holding(proj.root / "target", PASSWORD) == []
    assert files_holding(proj.root / "dags", PASSWORD) == []


def test_a_changed_profile_password_still_counts_as_a_change_for_the_compile_stamp(project, monkeypatch):
    monkeypatch.setenv("HIVE_PASSWORD", PASSWORD)
    proj = project(FILES, profiles=PROFILES)
    assert proj.elt("compile", "--target", "hive").exit_code == 0
    kept = "nothing changed since the last compile"
    assert kept in proj.elt("compile", "--target", "hive").stdout
    monkeypatch.setenv("HIVE_PASSWORD", PASSWORD + "-rotated")
    assert kept not in proj.elt("compile", "--target", "hive").stdout


# -- ELT_SECRET_* masked in output and artifacts -------------------------------------------------

SCHEMA = "zq9_hidden_schema"
FLAT = '[tool.elt]\nname = "test_project"\nprofile = "test"\n'  # every relation in the target's schema


def schema_profiles(variable: str) -> str:
    return PROFILES.replace("      path: target/test.duckdb\n",
                            f"      path: target/test.duckdb\n      schema: \"{{{{ env_var('{variable}') }}}}\"\n")


@pytest.mark.parametrize("variable", ["ELT_SECRET_SCHEMA", "DBT_ENV_SECRET_SCHEMA"])
def test_secret_values_are_masked_in_output_and_every_file(project, monkeypatch, variable):
    """A schema set from a secret variable is in every relation name, so in what elt prints (progress)
    and writes (compiled and run SQL, manifest.json, run_results.json, the docs
    site, the compile cache): each shows ***** in its place, and the models run in that schema."""
    monkeypatch.setenv(variable, SCHEMA)
    proj = project({**FILES, "models/marts/broken.sql": "select nope from {{ ref('stg_scores') }}\n"},
                   pyproject=FLAT, profiles=schema_profiles(variable))
    results = [proj.elt(*args) for args in (["debug"], ["compile"], ["seed"], ["run"], ["test"],
                                            ["docs", "generate"], ["ls", "--output", "relation"])]
    debug, _, seed, run, _, _, ls = results
    assert "schema=*****" in debug.stdout
    assert seed.exit_code == 0 and "OK seed *****.scores" in seed.stdout
    assert run.exit_code == 1
    assert "OK view *****.best" in run.stdout and "ERROR view *****.broken" in run.stdout
    assert "*****.best" in ls.stdout
    for result in results:
        assert SCHEMA not in result.output
    manifest = json.loads((proj.root / "target/manifest.json").read_text())
    assert manifest["nodes"]["model.best"]["relation_name"] == "*****.best"
    assert "*****.stg_scores" in (proj.root / "target/compiled/models/marts/best.sql").read_text()
    assert (proj.root / "target/run_results.json").exists() and (proj.root / "target/docs/data.js").exists()
    # the database holds the schema by its name; nothing else under target/ does
    assert files_holding(proj.root / "target", SCHEMA) == ["test.duckdb"]
    assert proj.query(f"select best from {SCHEMA}.best") == [(90,)]


def test_a_model_reading_a_setting_set_from_a_secret_is_refused(project, monkeypatch):
    monkeypatch.setenv("ELT_SECRET_SCHEMA", SCHEMA)
    proj = project({"models/a.sql": "select 1 as x\n", "models/b.sql": "select 1 as x,\n'{{ target.schema }}' as s\n"},
                   pyproject=FLAT, profiles=schema_profiles("ELT_SECRET_SCHEMA"))
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "models/b.sql:2: target.schema is set from a secret environment variable" in result.stderr
    assert SCHEMA not in result.output


def zone_profiles(variable: str) -> str:
    return PROFILES.replace("      path: target/test.duckdb\n",
                            f"      path: target/test.duckdb\n      timezone: \"{{{{ env_var('{variable}') }}}}\"\n")


def test_an_error_quoting_a_secret_shows_it_masked(project, monkeypatch):
    monkeypatch.setenv("ELT_SECRET_TZ", "Mars/Olympus_Mons")
    proj = project(FILES, profiles=zone_profiles("ELT_SECRET_TZ"))
    for args in (["seed"], ["seed", "--debug"]):
        result = proj.elt(*args)
        assert result.exit_code == 2
        assert "DuckDB does not know the timezone '*****'" in result.stderr
        assert "Olympus" not in result.output


def test_without_secrets_nothing_is_masked(project, monkeypatch):
    monkeypatch.setenv("SCHEMA_NAME", SCHEMA)
    proj = project(FILES, pyproject=FLAT, profiles=schema_profiles("SCHEMA_NAME"))
    assert f"schema={SCHEMA}" in proj.elt("debug").stdout
    assert f"{SCHEMA}.best" in proj.elt("ls", "--output", "relation").stdout


# -- refused in models and macros ------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["ELT_SECRET_KEY", "DBT_ENV_SECRET_KEY"])
def test_a_secret_in_a_model_is_refused_with_its_file_and_line(project, monkeypatch, variable):
    monkeypatch.setenv(variable, "s3cr3t-value")
    proj = project({**FILES, "models/marts/leak.sql": f"select 1 as a,\n  '{{{{ env_var('{variable}') }}}}' as k\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert f"models/marts/leak.sql:2: env_var('{variable}'): secret environment variables" in result.stderr
    assert "only in profiles.yml" in result.stderr
    assert "Traceback" not in result.output and "s3cr3t-value" not in result.output
    assert not (proj.root / "target/compiled/models/marts/leak.sql").exists()


def test_a_secret_in_a_macro_called_from_a_model_is_refused(project, monkeypatch):
    monkeypatch.setenv("ELT_SECRET_KEY", "s3cr3t-value")
    proj = project({**FILES,
                    "macros/keys.sql": "{% macro api_key() %}\n'{{ env_var('ELT_SECRET_KEY') }}'\n{% endmacro %}\n",
                    "models/marts/leak.sql": "select {{ api_key() }} as k\n"})
    result = proj.elt("run")
    assert result.exit_code == 2
    assert "macros/keys.sql:2: env_var('ELT_SECRET_KEY'): secret environment variables" in result.stderr
    assert "(in a macro called from 'leak', models/marts/leak.sql)" in result.stderr
    assert "s3cr3t-value" not in result.output


def test_a_secret_in_a_profile_is_allowed(project, monkeypatch):
    monkeypatch.setenv("ELT_SECRET_DB", "target/secret.duckdb")
    proj = project(FILES, profiles=PROFILES.replace("path: target/test.duckdb",
                                                    "path: \"{{ env_var('ELT_SECRET_DB') }}\""),
                   pyproject=PYPROJECT)
    result = proj.elt("seed")
    assert result.exit_code == 0, result.output
    assert (proj.root / "target/secret.duckdb").exists()


def test_the_digest_key_is_private_and_kept_outside_the_project(tmp_path, monkeypatch):
    from elt import secrets

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    secrets._user_key.cache_clear()
    try:
        first = secrets.fingerprint(PASSWORD)
        key = tmp_path / "cache" / "elt" / "fingerprint.key"
        assert key.stat().st_mode & 0o777 == 0o600
        secrets._user_key.cache_clear()  # another process reads the same key
        assert secrets.fingerprint(PASSWORD) == first != secrets.fingerprint(PASSWORD + "x")
    finally:
        secrets._user_key.cache_clear()
