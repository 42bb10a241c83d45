"""`elt pull` from the real server: the demo built on Hive, its raw layer pulled into fresh DuckDB files
with a partition limit and with a sample, the marts built locally and compared with Hive's by `elt diff`;
the types of a pulled table; a connection dropped mid-pull; resume and --refresh; the refusals."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from elt.adapters.hive import HiveAdapter

pytestmark = pytest.mark.hive

ROOT = Path(__file__).resolve().parents[2]

#: DuckDB targets added to the demo's profile, one file each.
LOCAL_TARGETS = ("part", "sample", "typed")
#: Marts that read no portal event (the table pulled with a partition limit), and their keys.
WHOLE_MARTS = {"mart_at_risk_students": "student_id", "mart_course_monthly_scores": "course_id,exam_month",
               "mart_department_summary": "department", "mart_student_ranking": "student_id,department"}

EXTRA_SOURCES = """\
version: 2
sources:
  - name: extra
    schema: {schema}
    tables:
      - name: typed
      - name: many
      - name: odd
"""


def elt(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elt", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def demo(hive_server: Any, make_target: Any) -> Iterator[dict[str, Any]]:
    """The demo project on the server, its portal events a table partitioned by day (as production
    loads them), plus three tables of the `extra` source (typed values, 5000 rows, an interval view)."""
    project = Path(tempfile.mkdtemp(prefix="elt-hive-pull-"))
    prefix = f"p{os.urandom(3).hex()}_"
    try:
        yield _build(project, hive_server, make_target, prefix)
    finally:
        shutil.rmtree(project, ignore_errors=True)
        with HiveAdapter(make_target()) as hive:
            for (name,) in hive.fetchall("SHOW DATABASES"):
                if name.startswith(prefix):
                    hive.execute(f"DROP DATABASE IF EXISTS {name} CASCADE")


def _build(project: Path, hive_server: Any, make_target: Any, prefix: str) -> dict[str, Any]:
    for name in ("models", "macros", "seeds"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^schema = "(\w+)"', rf'schema = "{prefix}\1"', pyproject.read_text()))
    for yml in project.glob("models/**/*.yml"):
        yml.write_text(re.sub(r"(?m)^(\s+schema:\s*)(\w+)\s*$", rf"\g<1>{prefix}\2", yml.read_text()))
    profiles = (ROOT / "profiles.yml").read_text()
    extra = "".join(f"    {name}:\n      type: duckdb\n      path: target/{name}.duckdb\n" for name in LOCAL_TARGETS)
    (project / "profiles.yml").write_text(profiles.replace("    hive:\n", extra + "    hive:\n", 1))
    raw = f"{prefix}raw"
    (project / "models" / "staging" / "extra_sources.yml").write_text(EXTRA_SOURCES.format(schema=raw))
    env = {**os.environ, "ELT_HIVE_HOST": hive_server.host, "ELT_HIVE_PORT": str(hive_server.port), "NO_COLOR": "1"}
    ok(elt(project, "seed", "--target", "hive", env=env))
    with HiveAdapter(make_target()) as hive:
        # Production lands portal events one partition a day.
        hive.execute(f"CREATE TABLE {raw}.portal_events_by_day USING parquet PARTITIONED BY (event_date) AS "
                     f"SELECT * FROM {raw}.portal_events")
        hive.execute(f"DROP TABLE {raw}.portal_events")
        hive.execute(f"ALTER TABLE {raw}.portal_events_by_day RENAME TO {raw}.portal_events")
        hive.execute(f"CREATE TABLE {raw}.typed (id INT, amount DECIMAL(12,3), day DATE, at TIMESTAMP, label STRING, "
                     "tags ARRAY<STRING>, attrs MAP<STRING,INT>, info STRUCT<a:INT,b:STRING,d:DATE>, flag BOOLEAN, "
                     "big BIGINT, ratio DOUBLE) USING parquet")
        hive.execute(f"INSERT INTO {raw}.typed VALUES (1, 12345.678, DATE '2024-02-29', "
                     "TIMESTAMP '2024-03-01 12:34:56.789', 'say \"hi\"', array('x', 'y\"z'), map('k', 1), "
                     "named_struct('a', 1, 'b', 'q\"uote', 'd', DATE '2024-01-01'), true, 9007199254740993, 0.1), "
                     "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
        hive.execute(f"CREATE TABLE {raw}.many USING parquet AS "
                     "SELECT CAST(id AS INT) AS id, concat('row ', id) AS label FROM range(5000)")
        hive.execute(f"CREATE VIEW {raw}.odd AS SELECT 1 AS id, INTERVAL 1 DAY AS span")
        days = sorted(row[0].split("=")[1] for row in hive.fetchall(f"SHOW PARTITIONS {raw}.portal_events"))
    ok(elt(project, "run", "--target", "hive", env=env))
    return {"project": project, "env": env, "prefix": prefix, "days": days}


def _diff(demo: dict[str, Any], model: str, target: str, key: str) -> dict[str, Any]:
    result = elt(demo["project"], "diff", model, "--target", target, "--against", "hive", "--key", key,
                 "--format", "json", env=demo["env"])
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _local(demo: dict[str, Any], target: str, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(demo["project"] / "target" / f"{target}.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_raw_layer_pulled_with_a_partition_limit_builds_the_marts_locally(demo: dict[str, Any]) -> None:
    project, prefix = demo["project"], demo["prefix"]
    sources = project / "models" / "staging" / "sources.yml"
    sources.write_text(sources.read_text().replace("      - name: portal_events\n",
                                                   "      - name: portal_events\n        pull: {partitions: 3}\n"))
    out = ok(elt(project, "pull", "--from", "hive", "--target", "part", "--exclude", "source:extra",
                 env=demo["env"]))
    assert f"pulling {prefix}raw.portal_events -> {prefix}raw.portal_events (last 3 partitions)" in out
    assert "Pulled 6 relation(s)" in out  # the six seeds, which the sources also name
    ok(elt(project, "run", "--target", "part", env=demo["env"]))
    # Marts whose whole input was pulled are Hive's: the same columns, types and rows.
    for mart, key in WHOLE_MARTS.items():
        found = _diff(demo, mart, "part", key)
        rows = found["rows"]
        assert (found["rows_here"], rows["only_here"], rows["only_there"], rows["changed"]) == \
            (found["rows_there"], 0, 0, 0), (mart, found)
        assert found["rows_here"] > 0 and found["identical"], (mart, found)
    # The daily activity holds exactly Hive's rows of the last 3 days: the other days' rows are missing.
    daily = _diff(demo, "int_portal_daily_activity", "part", "student_id,event_date")
    last = demo["days"][-3:]
    assert sorted(str(d) for (d,) in _local(demo, "part", f"SELECT DISTINCT event_date FROM "
                                                         f"{prefix}silver.int_portal_daily_activity")) == last
    assert (daily["rows"]["only_here"], daily["rows"]["changed"]) == (0, 0)
    assert daily["rows"]["only_there"] == daily["rows_there"] - daily["rows_here"] > 0
    engagement = _diff(demo, "mart_student_engagement", "part", "student_id")
    assert not engagement["identical"] and engagement["rows"]["changed"] > 0


def test_a_sample_of_a_selection_pulls_its_unselected_upstream_models(demo: dict[str, Any]) -> None:
    project, prefix = demo["project"], demo["prefix"]
    out = ok(elt(project, "pull", "--from", "hive", "--target", "sample", "-s", "mart_student_engagement",
                 "--sample", "50", env=demo["env"]))
    # What the mart reads, and nothing else: a table model (partitioned on Hive) and a view model.
    assert sorted(re.findall(r"pulling \S+ -> (\S+)", out)) == [f"{prefix}bronze.stg_students",
                                                                f"{prefix}silver.int_portal_daily_activity"]
    ok(elt(project, "run", "--target", "sample", "-s", "mart_student_engagement", env=demo["env"]))
    daily = _diff(demo, "int_portal_daily_activity", "sample", "student_id,event_date")
    assert (daily["rows"]["only_here"], daily["rows"]["changed"]) == (0, 0)  # a subset of Hive's rows
    assert 0 < daily["rows_here"] < daily["rows_there"]
    assert not _diff(demo, "mart_student_engagement", "sample", "student_id")["identical"]


def test_types_of_a_pulled_table(demo: dict[str, Any]) -> None:
    project, raw = demo["project"], f"{demo['prefix']}raw"
    ok(elt(project, "pull", "--from", "hive", "--target", "typed", "-s", "source:extra.typed", env=demo["env"]))
    types = dict(_local(demo, "typed", f"SELECT column_name, data_type FROM information_schema.columns "
                                       f"WHERE table_schema = '{raw}' AND table_name = 'typed'"))
    assert types == {"id": "INTEGER", "amount": "DECIMAL(12,3)", "day": "DATE", "at": "TIMESTAMP",
                     "label": "VARCHAR", "tags": "VARCHAR[]", "attrs": "MAP(VARCHAR, INTEGER)",
                     "info": "STRUCT(a INTEGER, b VARCHAR, d DATE)", "flag": "BOOLEAN", "big": "BIGINT",
                     "ratio": "DOUBLE"}
    rows = _local(demo, "typed", f"SELECT * FROM {raw}.typed ORDER BY id")
    assert rows == [
        (1, decimal.Decimal("12345.678"), datetime.date(2024, 2, 29), datetime.datetime(2024, 3, 1, 12, 34, 56, 789000),
         'say "hi"', ["x", 'y"z'], {"k": 1}, {"a": 1, "b": 'q"uote', "d": datetime.date(2024, 1, 1)}, True,
         9007199254740993, 0.1),
        (2, None, None, None, None, None, None, None, None, None, None)]


def test_a_type_duckdb_cannot_hold_is_refused_naming_the_column(demo: dict[str, Any]) -> None:
    result = elt(demo["project"], "pull", "--from", "hive", "--target", "typed", "-s", "source:extra.odd",
                 env=demo["env"])
    assert result.returncode == 1
    assert "column 'span' has the type 'interval day', which elt cannot copy into a duckdb table" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_relation_too_large_without_a_limit_is_refused(demo: dict[str, Any]) -> None:
    raw = f"{demo['prefix']}raw"
    result = elt(demo["project"], "pull", "--from", "hive", "--target", "typed", "-s", "source:extra.many",
                 "--max-rows", "100", "--batch-rows", "50", env=demo["env"])
    assert result.returncode == 1
    assert f"{raw}.many has more than 100 rows: a pull copies that many only when told to" in result.stderr
    assert "--partitions, --where, --sample, --limit" in result.stderr
    tables = {t for (t,) in _local(demo, "typed", f"SELECT table_name FROM information_schema.tables "
                                                  f"WHERE table_schema = '{raw}'")}
    assert "many" not in tables and "many__elt_pull" not in tables


class CuttingProxy:
    """Forwards to the server, and drops both connections at the `cut_at`-th FetchResults call after a
    pull's SELECT (the method name travels in clear under auth NONE), as a network failure would."""

    def __init__(self, host: str, port: int, cut_at: int) -> None:
        self.target, self.cut_at = (host, port), cut_at
        self.fetches = 0
        self.selected = False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, watch: bool) -> None:
        try:
            while data := src.recv(65536):
                if watch:
                    self.selected = self.selected or b"SELECT `" in data
                    if self.selected:
                        self.fetches += data.count(b"FetchResults")
                    if self.fetches >= self.cut_at:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.server.close()


def test_a_dropped_connection_keeps_the_previous_table_then_resume_and_refresh(demo: dict[str, Any]) -> None:
    project, raw, env = demo["project"], f"{demo['prefix']}raw", demo["env"]
    pull = ("pull", "--from", "hive", "--target", "typed", "-s", "source:extra.many", "--batch-rows", "500")
    ok(elt(project, *pull, "--where", "id < 1000", env=env))
    record = f"SELECT limits, row_count, pulled_at FROM elt_meta.pulls WHERE relation = '{raw}.many'"
    first = _local(demo, "typed", record)
    assert [r[:2] for r in first] == [("where id < 1000", 1000)]
    proxy = CuttingProxy(env["ELT_HIVE_HOST"], int(env["ELT_HIVE_PORT"]), cut_at=3)
    try:
        dropped = elt(project, *pull, env={**env, "ELT_HIVE_PORT": str(proxy.port)})
    finally:
        proxy.close()
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert f"pulling {raw}.many into {raw}.many failed (the previous pulled table is kept; run elt pull again " \
           "to resume" in dropped.stderr
    assert "connection lost" in dropped.stderr and "Traceback" not in dropped.stderr
    assert _local(demo, "typed", f"SELECT count(*), max(id) FROM {raw}.many") == [(1000, 999)]
    assert _local(demo, "typed", record) == first
    assert not _local(demo, "typed", "SELECT 1 FROM information_schema.tables WHERE table_name = 'many__elt_pull'")
    # Pulled again: the whole table; then skipped, until --refresh.
    ok(elt(project, *pull, env=env))
    assert _local(demo, "typed", f"SELECT count(*) FROM {raw}.many") == [(5000,)]
    again = ok(elt(project, *pull, env=env))
    assert f"{raw}.many: already pulled with the same limits" in again
    pulled_at = _local(demo, "typed", record)[0][2]
    refreshed = ok(elt(project, *pull, "--refresh", env=env))
    assert f"{raw}.many: 5,000 rows" in refreshed
    assert _local(demo, "typed", record)[0][2] > pulled_at
