"""The demo project on the real server: `elt seed` + `elt run --target hive` build every model, and every
mart holds exactly what the DuckDB run of the same project holds. Also `elt debug` and the table swap."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from elt.errors import AdapterError

pytestmark = pytest.mark.hive

ROOT = Path(__file__).resolve().parents[2]


def elt(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elt", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def demo(hive_server: Any, make_target: Any) -> Iterator[dict[str, Any]]:
    """The demo project copied to a temporary folder, its schemas prefixed so that runs sharing a server
    never meet, then seeded and run on DuckDB (target dev) and on the Hive server (target hive)."""
    # Not under pytest's basetemp, which a concurrent pytest session may prune while this runs.
    project = Path(tempfile.mkdtemp(prefix="elt-hive-demo-"))
    prefix = f"d{os.urandom(3).hex()}_"
    try:
        yield _run_demo(project, hive_server, prefix)
    finally:
        shutil.rmtree(project, ignore_errors=True)
        _drop_databases(make_target(), prefix)


def _drop_databases(target: Any, prefix: str) -> None:
    with HiveAdapter(target) as hive:
        for (name,) in hive.fetchall("SHOW DATABASES"):
            if name.startswith(prefix):
                hive.execute(f"DROP DATABASE IF EXISTS {name} CASCADE")


def _run_demo(project: Path, hive_server: Any, prefix: str) -> dict[str, Any]:
    for name in ("models", "macros", "seeds"):
        shutil.copytree(ROOT / name, project / name)
    for name in ("pyproject.toml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^schema = "(\w+)"', rf'schema = "{prefix}\1"', pyproject.read_text()))
    for yml in project.glob("models/**/*.yml"):
        yml.write_text(re.sub(r"(?m)^(\s+schema:\s*)(\w+)\s*$", rf"\g<1>{prefix}\2", yml.read_text()))
    env = {**os.environ, "ELT_HIVE_HOST": hive_server.host, "ELT_HIVE_PORT": str(hive_server.port),
           "NO_COLOR": "1"}
    timings: dict[str, float] = {}
    for target in ("dev", "hive"):
        for command in ("seed", "run"):
            started = time.monotonic()
            result = elt(project, command, "--target", target, env=env)
            timings[f"{command} {target}"] = time.monotonic() - started
            assert result.returncode == 0, f"elt {command} --target {target}:\n{result.stdout}\n{result.stderr}"
        if target == "hive":
            results = json.loads((project / "target" / "run_results.json").read_text())
            manifest = json.loads((project / "target" / "manifest.json").read_text())
    print("\ndemo timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), file=sys.stderr)
    return {"project": project, "env": env, "prefix": prefix, "hive_results": results, "hive_manifest": manifest}


def _normalise(value: Any) -> Any:
    # pyhive returns DATE as text and DECIMAL as Decimal; DuckDB returns date objects and floats.
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (float, decimal.Decimal)):
        return round(float(value), 6)
    return value


def _mart_names() -> list[str]:
    return sorted(path.stem for path in (ROOT / "models" / "marts").glob("*.sql"))


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def test_every_demo_model_is_built_on_hive(demo: dict[str, Any]) -> None:
    statuses = {r["unique_id"]: r["status"] for r in demo["hive_results"]["results"]}
    models = _models(demo["hive_manifest"])
    assert set(models) == {f"model.{p.stem}" for p in (ROOT / "models").glob("**/*.sql")}
    # Ephemeral models are inlined, never run: known from their config, so a model that did not run fails.
    ephemeral = {uid for uid, node in models.items() if node["config"].get("materialized") == "ephemeral"}
    assert ephemeral == {"model.int_scores_checked"}
    assert {uid: statuses.get(uid) for uid in models if uid not in ephemeral} == {
        uid: "success" for uid in models if uid not in ephemeral}
    assert not ephemeral & set(statuses)


def test_the_manifest_records_the_columns_of_the_hive_tables(demo: dict[str, Any], make_target: Any) -> None:
    built = {uid: node for uid, node in _models(demo["hive_manifest"]).items()
             if node["config"].get("materialized") != "ephemeral"}
    with HiveAdapter(make_target()) as hive:
        for uid, node in sorted(built.items()):
            described = []
            for row in hive.fetchall(f"DESCRIBE {node['relation_name']}"):
                name = str(row[0]).strip()
                if not name or name.startswith("#"):  # partition columns are listed again after '# ...'
                    break
                described.append((name, str(row[1]).strip()))
            recorded = [(column["name"], column["data_type"]) for column in node["columns"].values()]
            assert recorded == described, uid


@pytest.mark.parametrize("mart", _mart_names())
def test_mart_on_hive_equals_the_duckdb_run(demo: dict[str, Any], make_target: Any, mart: str) -> None:
    import duckdb

    schema = f"{demo['prefix']}gold"
    with duckdb.connect(str(demo["project"] / "target" / "school.duckdb"), read_only=True) as duck:
        columns = [row[0] for row in duck.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", [schema, mart]).fetchall()]
        assert columns, f"{schema}.{mart} not built on DuckDB"
        select = f"SELECT {', '.join(columns)} FROM {schema}.{mart}"
        expected = sorted((tuple(map(_normalise, row)) for row in duck.execute(select).fetchall()), key=repr)
    with HiveAdapter(make_target()) as hive:
        got = sorted((tuple(map(_normalise, row)) for row in hive.fetchall(select)), key=repr)
    assert len(got) == len(expected)
    assert got == expected


def test_elt_debug_reports_the_server_version(demo: dict[str, Any]) -> None:
    result = elt(demo["project"], "debug", "--target", "hive", env=demo["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Spark SQL 4." in result.stdout + result.stderr


def test_a_failing_table_build_keeps_the_previous_table(adapter: Any, rel: Any) -> None:
    from elt.materializations.table import build_table

    assert build_table(adapter, rel("scores"), "SELECT 1 AS id, 'first' AS version", {"file_format": "parquet"}) == 1
    with pytest.raises(AdapterError, match="UNRESOLVED_COLUMN|cannot be resolved"):
        build_table(adapter, rel("scores"), "SELECT no_such_column AS id", {"file_format": "parquet"})
    assert adapter.fetchall(f"SELECT id, version FROM {rel('scores')}") == [(1, "first")]
    leftovers = [row[1] for row in adapter.fetchall(f"SHOW TABLES IN {rel('x').schema}") if row[1] != "scores"]
    assert leftovers == []
    assert build_table(adapter, rel("scores"), "SELECT 2 AS id, 'second' AS version", {}) == 1
    assert adapter.fetchall(f"SELECT id, version FROM {rel('scores')}") == [(2, "second")]


def test_elt_build_on_hive_runs_every_data_test_and_passes(demo: dict[str, Any]) -> None:
    result = elt(demo["project"], "build", "--target", "hive", env=demo["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((demo["project"] / "target" / "run_results.json").read_text())["results"]
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) >= 30
    assert {r["status"] for r in tests} <= {"success", "warn"}
    assert " 0 failed," in result.stdout


def test_a_model_failing_on_hive_is_reported_without_driver_noise(hive_server: Any, make_target: Any) -> None:
    schema = f"e{os.urandom(3).hex()}_errors"
    project = Path(tempfile.mkdtemp(prefix="elt-hive-errors-"))
    try:
        (project / "models").mkdir()
        (project / "pyproject.toml").write_text(
            f'[tool.elt]\nname = "errors"\nprofile = "errors"\n\n[tool.elt.models]\nmaterialized = "table"\n'
            f'schema = "{schema}"\n')
        (project / "profiles.yml").write_text(
            "errors:\n  target: hive\n  outputs:\n    hive:\n      type: hive\n"
            f"      host: {hive_server.host}\n      port: {hive_server.port}\n      schema: {schema}\n"
            "      threads: 1\n")
        (project / "models" / "bad_scores.sql").write_text(
            "-- scores, checked\nselect id,\n       no_such_column as score\nfrom (select 1 as id) ids\n")
        result = elt(project, "run", env={**os.environ, "NO_COLOR": "1"})
    finally:
        shutil.rmtree(project, ignore_errors=True)
        with contextlib.suppress(AdapterError), HiveAdapter(make_target()) as hive:
            hive.execute(f"DROP DATABASE IF EXISTS {schema} CASCADE")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "ERROR in model.bad_scores (models/bad_scores.sql)" in output
    # The server's own message, once per report, without the Java class that raised it...
    assert "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name " \
           "`no_such_column` cannot be resolved" in output
    # ... and the statement's first lines (a first build: the CTAS goes straight to the table's name).
    assert re.search(rf"statement:\n\s+CREATE TABLE {schema}\.bad_scores\n\s+AS\n\s+-- scores, checked\n"
                     r"\s+select id,\n\s+no_such_column as score", output), output
    for noise in ("org.apache", "Exception", "TExecuteStatementResp", "TStatus", "Traceback", "\tat ", "== SQL =="):
        assert noise not in output, noise
