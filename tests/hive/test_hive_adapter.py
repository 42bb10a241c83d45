"""HiveAdapter against a real Spark Thrift Server: catalog, DDL, loading, errors, connections."""

from __future__ import annotations

import datetime
import decimal
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from elt.adapters.base import CANCELLED
from elt.adapters.hive import HiveAdapter
from elt.errors import AdapterError, ProjectError
from elt.nodes import Relation

pytestmark = pytest.mark.hive


def test_open_reports_server_version(adapter: HiveAdapter) -> None:
    version = adapter.version()
    assert version.startswith("Spark SQL 4."), version


def test_create_schema_is_idempotent(adapter: HiveAdapter, schema: str) -> None:
    adapter.create_schema(schema)
    adapter.create_schema(schema)
    databases = [row[0] for row in adapter.fetchall("SHOW DATABASES")]
    assert databases.count(schema) == 1


def test_relation_kind_of_table_view_and_nothing(adapter: HiveAdapter, rel: Any) -> None:
    adapter.create_table_as(rel("t"), "SELECT 1 AS id, 'a' AS name", {})
    adapter.create_view_as(rel("v"), f"SELECT id FROM {rel('t')}", replace=False)
    assert adapter.relation_kind(rel("t")) == "table"
    assert adapter.relation_kind(rel("v")) == "view"
    assert adapter.relation_kind(rel("missing")) is None
    assert adapter.relation_kind(Relation("elt_no_such_database", "t")) is None
    assert adapter.fetchall(f"SELECT * FROM {rel('v')}") == [(1,)]


def test_create_or_replace_view(adapter: HiveAdapter, rel: Any) -> None:
    adapter.create_view_as(rel("v"), "SELECT 1 AS a", replace=True)
    adapter.create_view_as(rel("v"), "SELECT 2 AS a", replace=True)
    assert adapter.fetchall(f"SELECT a FROM {rel('v')}") == [(2,)]


def test_get_columns_lists_partition_columns_once(adapter: HiveAdapter, rel: Any) -> None:
    adapter.create_table_as(
        rel("p"), "SELECT 1 AS id, CAST(2.5 AS DECIMAL(5,2)) AS amount, 'x' AS dt", {"partition_by": ["dt"]}
    )
    columns = [(c.name, c.data_type) for c in adapter.get_columns(rel("p"))]
    assert columns == [("id", "int"), ("amount", "decimal(5,2)"), ("dt", "string")]


def test_rename_table_and_view_within_database(adapter: HiveAdapter, rel: Any) -> None:
    adapter.create_table_as(rel("t_old"), "SELECT 1 AS id", {})
    adapter.create_view_as(rel("v_old"), "SELECT 2 AS id", replace=False)
    adapter.rename_relation(rel("t_old"), "t_new", "table")
    adapter.rename_relation(rel("v_old"), "v_new", "view")
    assert adapter.relation_kind(rel("t_old")) is None
    assert adapter.relation_kind(rel("t_new")) == "table"
    assert adapter.relation_kind(rel("v_new")) == "view"
    assert adapter.fetchall(f"SELECT id FROM {rel('t_new')}") == [(1,)]


def test_rename_across_databases_is_refused_as_the_flag_says(adapter: HiveAdapter, rel: Any, schema: str) -> None:
    assert HiveAdapter.CAN_RENAME_ACROSS_SCHEMAS is False
    other = f"{schema}_other"
    adapter.create_schema(other)
    try:
        adapter.create_table_as(rel("t"), "SELECT 1 AS id", {})
        with pytest.raises(AdapterError, match="RENAME_TABLE_SOURCE_DESTINATION_DATABASE_MISMATCH"):
            adapter.execute(f"ALTER TABLE {rel('t')} RENAME TO {other}.t")
    finally:
        adapter.execute(f"DROP DATABASE IF EXISTS {other} CASCADE")


def test_drop_relation_never_drops_the_other_kind(adapter: HiveAdapter, rel: Any) -> None:
    adapter.create_table_as(rel("t"), "SELECT 1 AS id", {})
    adapter.create_view_as(rel("v"), "SELECT 1 AS id", replace=False)
    with pytest.raises(AdapterError, match="it is a table"):
        adapter.drop_relation(rel("t"), "view")
    with pytest.raises(AdapterError, match="it is a view"):
        adapter.drop_relation(rel("v"), "table")
    assert adapter.relation_kind(rel("t")) == "table"
    assert adapter.relation_kind(rel("v")) == "view"
    adapter.drop_relation(rel("t"), "table")
    adapter.drop_relation(rel("v"), "view")
    adapter.drop_relation(rel("missing"), "table")
    assert adapter.relation_kind(rel("t")) is None
    assert adapter.relation_kind(rel("v")) is None


LOAD_COLUMNS = [
    ("i", "int"), ("b", "bigint"), ("ti", "tinyint"), ("si", "smallint"), ("d", "double"), ("f", "float"),
    ("amount", "decimal(12,3)"), ("s", "string"), ("day", "date"), ("at", "timestamp"), ("ok", "boolean"),
]
LOAD_ROWS: list[tuple[Any, ...]] = [
    (1, 3_000_000_000, 7, 300, 1.5, 0.25, decimal.Decimal("12.345"), "it's \"quoted\"", datetime.date(2024, 1, 31),
     datetime.datetime(2024, 1, 31, 12, 30, 1, 123456), True),
    (None,) * 11,
    (-2, -9_000_000_000_000, -128, -32768, 1e16, -2.5, decimal.Decimal("-0.5"), "back\\slash\nnew line\ttab; --x",
     datetime.date(1970, 1, 1), datetime.datetime(2000, 2, 29), False),
    (0, 0, 0, 0, 0.0, 0.0, decimal.Decimal("0"), "", datetime.date(9999, 12, 31),
     datetime.datetime(1999, 12, 31, 23, 59, 59), False),
    (42, 1, 1, 1, -1e-7, 3.5, decimal.Decimal("999999999.999"), "ünïcødé ✓ '' \\'", datetime.date(2000, 2, 29),
     datetime.datetime(2024, 6, 1, 0, 0, 0, 1), True),
]


def test_load_rows_round_trips_every_type(adapter: HiveAdapter, rel: Any) -> None:
    adapter.load_rows(rel("seed"), LOAD_COLUMNS, LOAD_ROWS)
    assert [(c.name, c.data_type) for c in adapter.get_columns(rel("seed"))] == LOAD_COLUMNS
    got = adapter.fetchall(f"SELECT * FROM {rel('seed')} ORDER BY i NULLS FIRST")
    expected = sorted(LOAD_ROWS, key=lambda row: (row[0] is not None, row[0] or 0))
    # pyhive returns DATE as text; everything else comes back as the Python value loaded.
    expected = [tuple(v.isoformat() if type(v) is datetime.date else v for v in row) for row in expected]
    assert got == expected


def test_load_rows_inserts_in_batches(adapter: HiveAdapter, rel: Any) -> None:
    rows = [(n, f"name {n}") for n in range(1203)]
    with adapter.recording() as statements:
        adapter.load_rows(rel("many"), [("n", "int"), ("name", "string")], rows)
    assert sum(s.startswith("INSERT") for s in statements) == 3
    assert adapter.fetchall(f"SELECT count(*), sum(n), max(name) FROM {rel('many')}") == [(1203, 723_003, "name 999")]


def test_load_rows_of_no_rows_creates_an_empty_table(adapter: HiveAdapter, rel: Any) -> None:
    adapter.load_rows(rel("empty"), [("n", "int")], [])
    assert adapter.row_count(rel("empty")) == 0


def test_partitioned_parquet_ctas_has_the_expected_partitions(adapter: HiveAdapter, rel: Any) -> None:
    query = "SELECT id, CAST(id * 10 AS BIGINT) AS amount, concat('2024-01-0', CAST(id % 3 + 1 AS STRING)) AS dt " \
            "FROM (SELECT explode(array(1, 2, 3, 4, 5)) AS id) ids"
    config = {"partition_by": "dt", "file_format": "parquet", "tblproperties": {"elt.model": "p", "quality": "gold"},
              "comment": "scores, it's partitioned"}
    adapter.create_table_as(rel("p"), query, config)
    partitions = [row[0] for row in adapter.fetchall(f"SHOW PARTITIONS {rel('p')}")]
    assert partitions == ["dt=2024-01-01", "dt=2024-01-02", "dt=2024-01-03"]
    formatted = {str(row[0]).strip(): str(row[1]).strip() for row in adapter.fetchall(f"DESCRIBE FORMATTED {rel('p')}")}
    assert "Parquet" in formatted["InputFormat"]
    assert formatted["Comment"] == "scores, it's partitioned"
    assert "elt.model=p" in formatted["Table Properties"] and "quality=gold" in formatted["Table Properties"]
    assert adapter.fetchall(f"SELECT dt, count(*) FROM {rel('p')} GROUP BY dt ORDER BY dt") == [
        ("2024-01-01", 1), ("2024-01-02", 2), ("2024-01-03", 2)]


def test_partitioned_table_without_partitioned_ctas(adapter: HiveAdapter, rel: Any) -> None:
    # The path taken for Hive < 4, which refuses CTAS with PARTITIONED BY (error 10068).
    adapter._partitioned_ctas = False
    query = "SELECT concat('2024-0', CAST(id % 2 + 1 AS STRING)) AS month, id, CAST(id AS DECIMAL(6,1)) AS score " \
            "FROM (SELECT explode(array(1, 2, 3)) AS id) ids"
    with adapter.recording() as statements:
        adapter.create_table_as(rel("p"), query, {"partition_by": ["month"], "file_format": "orc"})
    assert not any(s.startswith("CREATE TABLE") and "\nAS\n" in s for s in statements)
    assert [row[0] for row in adapter.fetchall(f"SHOW PARTITIONS {rel('p')}")] == ["month=2024-01", "month=2024-02"]
    assert [(c.name, c.data_type) for c in adapter.get_columns(rel("p"))] == [
        ("id", "int"), ("score", "decimal(6,1)"), ("month", "string")]
    assert adapter.fetchall(f"SELECT id, score, month FROM {rel('p')} ORDER BY id") == [
        (1, decimal.Decimal("1.0"), "2024-02"), (2, decimal.Decimal("2.0"), "2024-01"),
        (3, decimal.Decimal("3.0"), "2024-02")]
    assert adapter.relation_kind(rel("p__elt_source")) is None


def test_ctas_with_buckets_orc_and_location(adapter: HiveAdapter, rel: Any, hive_server: Any) -> None:
    config: dict[str, Any] = {"clustered_by": ["id"], "buckets": 4, "file_format": "orc"}
    if hive_server.data_dir is not None:  # a folder the server can write: only when it runs here
        config["location"] = str(hive_server.data_dir / "external" / rel("b").schema / "b")
    adapter.create_table_as(rel("b"), "SELECT 1 AS id, 'x' AS s", config)
    formatted = {str(row[0]).strip(): str(row[1]).strip() for row in adapter.fetchall(f"DESCRIBE FORMATTED {rel('b')}")}
    assert formatted["Num Buckets"] == "4"
    assert "Orc" in formatted["InputFormat"]
    if "location" in config:
        assert formatted["Location"].endswith(config["location"])
        assert formatted["Type"] == "EXTERNAL"


def test_bad_table_options_are_refused_before_sending(adapter: HiveAdapter, rel: Any) -> None:
    with adapter.recording() as statements:
        with pytest.raises(AdapterError, match="buckets"):
            adapter.create_table_as(rel("x"), "SELECT 1 AS id", {"clustered_by": "id"})
        with pytest.raises(AdapterError, match="file_format"):
            adapter.create_table_as(rel("x"), "SELECT 1 AS id", {"file_format": "parquet; DROP"})
        with pytest.raises(AdapterError, match="not a valid Hive identifier"):
            adapter.create_table_as(rel("x"), "SELECT 1 AS id", {"partition_by": ["dt) --"]})
    assert statements == []


def test_sql_error_is_clean_names_the_statement_and_is_not_retried(rel: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(retries=3, retry_backoff=5))
    attempts = []
    original = hive._execute_once

    def counting(cursor: Any, sql: str) -> None:
        attempts.append(sql)
        original(cursor, sql)

    hive._execute_once = counting  # type: ignore[method-assign]
    try:
        with pytest.raises(AdapterError) as caught:
            hive.fetchall(f"SELECT no_such_column\nFROM {rel('nowhere')}\nWHERE 1 = 1")
    finally:
        hive.close()
    message = str(caught.value)
    assert "TABLE_OR_VIEW_NOT_FOUND" in message
    assert f"FROM {rel('nowhere')}" in message  # the statement's first lines
    for noise in ("org.apache", "Exception", "TExecuteStatementResp", "\tat ", "Search path", "'Project"):
        assert noise not in message
    assert len(attempts) == 1  # sent once: a SQL error is never retried
    assert caught.value.transient is False


def test_trailing_semicolon_is_accepted_but_two_statements_are_not(adapter: HiveAdapter) -> None:
    assert adapter.fetchall("SELECT 1;") == [(1,)]
    with pytest.raises(AdapterError, match="PARSE_SYNTAX_ERROR"):
        adapter.fetchall("SELECT 1; SELECT 2")


def test_each_thread_has_its_own_session(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target())
    hive.open()
    barrier = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def work(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            hive.execute(f"SET elt.test.worker={name}")
            barrier.wait(timeout=30)  # both have set their value before either reads
            seen[name] = (hive.fetchall("SET elt.test.worker")[0][1],
                          hive.fetchall("SELECT count(*) FROM (SELECT explode(sequence(1, 10000)))")[0][0])
        except Exception as exc:  # noqa: BLE001 - reported below
            seen[name] = exc

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert seen == {"one": ("one", 10000), "two": ("two", 10000)}
        assert len(hive._connections) == 3  # main thread (open) + two workers
    finally:
        hive.close()
    assert hive._connections == []
    hive.close()  # twice is fine


def test_sessions_opened_at_the_same_moment_all_work(hive_server: Any, make_target: Any) -> None:
    """Each session gets its own downloaded-resources folder. With one shared folder (created by a
    session's start, deleted by its close), sessions opened at once race over it and one fails with
    "Couldn't create directory .../resources" (seen on a just-started server; the folder layout itself
    is checked in test_hive_server_script)."""
    sessions, rounds = 8, 3
    seen: dict[int, Any] = {}

    def work(hive: HiveAdapter, barrier: threading.Barrier, index: int) -> None:
        try:
            barrier.wait(timeout=30)
            seen[index] = hive.fetchall(f"SELECT {index}")[0][0]  # the thread's first use opens its session
        except Exception as exc:  # noqa: BLE001 - reported below
            seen[index] = exc

    for _ in range(rounds):
        hive, barrier = HiveAdapter(make_target()), threading.Barrier(sessions)
        seen.clear()
        threads = [threading.Thread(target=work, args=(hive, barrier, index)) for index in range(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        hive.close()
        assert seen == {index: index for index in range(sessions)}


def test_configuration_is_set_on_every_connection(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(configuration={"spark.sql.shuffle.partitions": 3,
                                                               "elt.test.flag": True}))
    try:
        hive.open()
        assert hive.fetchall("SET spark.sql.shuffle.partitions") == [("spark.sql.shuffle.partitions", "3")]
        assert hive.fetchall("SET elt.test.flag") == [("elt.test.flag", "true")]
    finally:
        hive.close()


def test_query_timeout_cancels_the_statement(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(query_timeout=1))
    try:
        started = time.monotonic()
        with pytest.raises(AdapterError, match="query_timeout"):
            hive.fetchall("SELECT count(*) FROM range(0, 100000000000, 1, 2) WHERE id % 7 = 3")
        assert time.monotonic() - started < 120  # cancelled: the full scan would run for hours
        assert hive.fetchall("SELECT 1") == [(1,)]  # the session is still usable
    finally:
        hive.close()


def test_a_session_closed_by_the_server_is_replaced(adapter: HiveAdapter, rel: Any) -> None:
    from TCLIService.ttypes import TCloseSessionReq

    connection = adapter._local.connection
    connection.client.CloseSession(TCloseSessionReq(sessionHandle=connection.sessionHandle))  # as an idle timeout does
    adapter.create_table_as(rel("after"), "SELECT 1 AS id", {})
    assert adapter._local.connection is not connection
    assert adapter.fetchall(f"SELECT id FROM {rel('after')}") == [(1,)]


def test_unreachable_server_is_retried_then_explained(hive_server: Any, make_target: Any, free_port: Any) -> None:
    hive = HiveAdapter(make_target(port=str(free_port()), retries=2, retry_backoff=0.05))
    attempts = []
    original = hive._connect

    def counting() -> Any:
        attempts.append(1)
        return original()

    hive._connect = counting  # type: ignore[method-assign]
    with pytest.raises(AdapterError) as caught:
        hive.open()
    assert len(attempts) == 3
    assert "cannot connect" in str(caught.value)
    assert "scripts/hive-server start" in (caught.value.hint or "")


def test_password_never_appears_in_errors_or_logs(rel: Any, caplog: pytest.LogCaptureFixture, make_target: Any,
                                                  free_port: Any) -> None:
    secret = "s3cret-Pa55"
    caplog.set_level(logging.DEBUG)
    # The local server (auth NONE) ignores LDAP passwords, so this connects and runs statements.
    hive = HiveAdapter(make_target(auth="LDAP", password=secret))
    try:
        hive.open()
        assert hive.fetchall("SELECT 1") == [(1,)]
        with pytest.raises(AdapterError):
            hive.fetchall(f"SELECT * FROM {rel('missing')}")
        down = HiveAdapter(make_target(auth="LDAP", password=secret, port=str(free_port()), retries=0))
        with pytest.raises(AdapterError) as connect_error:
            down.open()
        assert secret not in caplog.text  # every logger: elt, pyhive, thrift, sasl
        # Even a statement that carries it (a user's mistake) is masked in the error.
        with pytest.raises(AdapterError) as sql_error:
            hive.fetchall(f"SELECT '{secret}' AS x FROM {rel('missing')}")
    finally:
        hive.close()
    assert secret not in str(connect_error.value) and secret not in str(sql_error.value)
    assert "****" in str(sql_error.value)


def test_profile_keys_are_checked(hive_server: Any, make_target: Any) -> None:
    with pytest.raises(ProjectError, match="unknown key"):
        HiveAdapter(make_target(hots="x"))
    with pytest.raises(ProjectError, match="needs a password"):
        HiveAdapter(make_target(auth="LDAP"))
    with pytest.raises(ProjectError, match="auth 'PAM'"):
        HiveAdapter(make_target(auth="pam"))
    with pytest.raises(ProjectError, match="port"):
        HiveAdapter(make_target(port="ten"))


def test_spark_type_uses_the_same_adapter(hive_server: Any, make_target: Any) -> None:
    from elt.adapters import adapter_class

    assert adapter_class("spark") is HiveAdapter
    target = make_target(type="spark")
    with HiveAdapter(target) as hive:
        assert hive.fetchall("SELECT 1") == [(1,)]


# -- what elt relies on is set per session, whatever the server's defaults ---------------------------

#: A stock Spark Thrift Server's defaults (the test server is started with elt's own): static partition
#: overwrite, ANSI mode, strict dynamic partitions, a local time zone.
STOCK_SPARK_DEFAULTS = {
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.ansi.enabled": "true",
    "hive.exec.dynamic.partition.mode": "strict",
    "spark.sql.session.timeZone": "America/New_York",
}


@pytest.fixture
def stock_spark(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every new session of the real server starts with STOCK_SPARK_DEFAULTS, as sessions of a stock
    server would: HiveServer2's OpenSession takes `set:hiveconf:` overlays of the server's config."""
    from pyhive import hive

    original = hive.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        overlay = {f"set:hiveconf:{k}": v for k, v in STOCK_SPARK_DEFAULTS.items()}
        return original(*args, **kwargs, configuration={**overlay, **(kwargs.pop("configuration", None) or {})})

    monkeypatch.setattr(hive, "connect", connect)
    return STOCK_SPARK_DEFAULTS


def _setting(hive: HiveAdapter, key: str) -> str:
    rows = hive.fetchall(f"SET {key}")
    assert len(rows) == 1 and rows[0][0] == key, rows
    return str(rows[0][1])


def test_the_stock_defaults_are_really_in_effect_without_elt(stock_spark: dict[str, str], hive_server: Any) -> None:
    # The emulation itself: a bare session through the same driver sees the stock values.
    from pyhive import hive

    connection = hive.connect(host=hive_server.host, port=hive_server.port, username="elt_test", auth="NONE")
    try:
        cursor = connection.cursor()
        for key, value in stock_spark.items():
            cursor.execute(f"SET {key}")
            assert cursor.fetchall() == [(key, value)]
    finally:
        connection.close()


def test_a_session_gets_the_settings_elt_relies_on(stock_spark: dict[str, str], make_target: Any) -> None:
    with HiveAdapter(make_target()) as hive:
        assert _setting(hive, "spark.sql.sources.partitionOverwriteMode") == "dynamic"
        assert _setting(hive, "spark.sql.ansi.enabled") == "false"
        assert _setting(hive, "hive.exec.dynamic.partition.mode") == "nonstrict"
        assert _setting(hive, "spark.sql.session.timeZone") == "UTC"
        assert hive.fetchall("SELECT CAST('x' AS INT), CAST('2024-13-45' AS DATE)") == [(None, None)]
        assert hive._spark is True
    # The profile's configuration wins over elt's own settings.
    with HiveAdapter(make_target(configuration={"spark.sql.ansi.enabled": True})) as hive:
        assert _setting(hive, "spark.sql.ansi.enabled") == "true"
        assert _setting(hive, "spark.sql.sources.partitionOverwriteMode") == "dynamic"


def test_dynamic_partition_overwrite_keeps_the_other_partitions(stock_spark: dict[str, str], make_target: Any,
                                                                rel: Any) -> None:
    # No file_format: Spark 4 makes a data source table, where static overwrite deletes every partition.
    with HiveAdapter(make_target()) as hive:
        hive.create_table_as(rel("t"), "SELECT 1 AS id, 'a' AS dt UNION ALL SELECT 2 AS id, 'b' AS dt",
                             {"partition_by": ["dt"]})
        hive.create_table_as(rel("new_rows"), "SELECT 3 AS id, 'a' AS dt", {})
        hive.insert_overwrite(rel("t"), rel("new_rows"), ["id", "dt"], ["id", "dt"], ["dt"])
        assert sorted(hive.fetchall(f"SELECT id, dt FROM {rel('t')}")) == [(2, "b"), (3, "a")]


def test_the_profile_timezone_is_the_session_time_zone(stock_spark: dict[str, str], make_target: Any) -> None:
    with HiveAdapter(make_target()) as hive:  # default UTC, as on DuckDB
        assert hive.fetchall("SELECT from_unixtime(0)") == [("1970-01-01 00:00:00",)]
    with HiveAdapter(make_target(timezone="Asia/Tokyo")) as hive:
        assert _setting(hive, "spark.sql.session.timeZone") == "Asia/Tokyo"
        assert hive.fetchall("SELECT from_unixtime(0)") == [("1970-01-01 09:00:00",)]
    with pytest.raises(ProjectError, match="timezone"):
        HiveAdapter(make_target(timezone="UTC; DROP"))


def test_a_refused_session_setting_is_a_clean_error(make_target: Any) -> None:
    # A static (server start-up only) Spark setting is refused per session.
    hive = HiveAdapter(make_target(configuration={"spark.sql.warehouse.dir": "/elsewhere"}))
    try:
        with pytest.raises(AdapterError, match="refused the session setting spark.sql.warehouse.dir"):
            hive.open()
    finally:
        hive.close()


# -- tables with a location ---------------------------------------------------------------------------


@pytest.fixture
def server_folder(hive_server: Any) -> Iterator[Path]:
    """A fresh folder the server can write: only when it runs on this machine."""
    if hive_server.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the server runs elsewhere: no folder of this machine is its to write")
    # Not under pytest's basetemp, which a concurrent pytest session may prune.
    folder = Path(tempfile.mkdtemp(prefix="elt-hive-location-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _formatted(hive: HiveAdapter, relation: Relation) -> dict[str, str]:
    details: dict[str, str] = {}
    for row in hive.fetchall(f"DESCRIBE FORMATTED {relation}"):
        details.setdefault(str(row[0]).strip(), str(row[1]).strip())
    return details


def _names_in(hive: HiveAdapter, schema: str) -> list[str]:
    return sorted(str(row[1]) for row in hive.fetchall(f"SHOW TABLES IN {schema}"))


@pytest.mark.parametrize("config", [{}, {"file_format": "parquet", "partition_by": ["dt"]}],
                         ids=["plain", "partitioned"])
def test_a_table_with_a_location_is_rebuilt_in_place(adapter: HiveAdapter, rel: Any, schema: str,
                                                      server_folder: Path, config: dict[str, Any]) -> None:
    from elt.materializations.table import build_table

    config = {**config, "location": str(server_folder / "scores")}
    first = "SELECT 1 AS id, 'first' AS version, 'a' AS dt UNION ALL SELECT 2 AS id, 'first' AS version, 'b' AS dt"
    assert build_table(adapter, rel("scores"), first, config) == 2
    assert build_table(adapter, rel("scores"), "SELECT 3 AS id, 'second' AS version, 'a' AS dt", config) == 1
    assert adapter.fetchall(f"SELECT id, version, dt FROM {rel('scores')}") == [(3, "second", "a")]
    details = _formatted(adapter, rel("scores"))
    assert details["Type"] == "EXTERNAL"
    assert details["Location"].endswith(config["location"])
    # A failing rebuild: the previous rows stay readable, from the same folder.
    with pytest.raises(AdapterError, match="UNRESOLVED_COLUMN|cannot be resolved"):
        build_table(adapter, rel("scores"), "SELECT no_such_column AS id", config)
    assert adapter.fetchall(f"SELECT id, version, dt FROM {rel('scores')}") == [(3, "second", "a")]
    assert _formatted(adapter, rel("scores"))["Location"].endswith(config["location"])
    assert _names_in(adapter, schema) == ["scores"]  # no temporary, backup or scratch relation left
    adapter.drop_relation(rel("scores"), "table")
    assert any((server_folder / "scores").iterdir())  # external: the folder stays with the table gone


def test_a_managed_table_whose_folder_is_not_its_own_is_never_dropped(adapter: HiveAdapter, rel: Any,
                                                                       server_folder: Path) -> None:
    folder = server_folder / "shared"
    adapter.create_table_as(rel("m"), "SELECT 1 AS id", {"file_format": "parquet"})
    adapter.execute(f"INSERT OVERWRITE DIRECTORY '{folder}' STORED AS PARQUET SELECT 7 AS id")
    adapter.execute(f"ALTER TABLE {rel('m')} SET LOCATION '{folder}'")
    assert _formatted(adapter, rel("m"))["Type"] == "MANAGED"
    with pytest.raises(AdapterError, match="not its own"):
        adapter.drop_relation(rel("m"), "table")
    assert adapter.fetchall(f"SELECT id FROM {rel('m')}") == [(7,)]
    assert any(folder.iterdir())


# -- merge tables, transient server statuses ------------------------------------------------------------

MERGE_MODEL = {"materialized": "incremental", "incremental_strategy": "merge", "unique_key": "id",
               "transactional": True}


def test_a_merge_models_table_is_created_as_an_acid_table(adapter: HiveAdapter, rel: Any, schema: str) -> None:
    from elt.materializations.table import build_table

    config = {**MERGE_MODEL, "clustered_by": ["id"], "buckets": 2}
    assert build_table(adapter, rel("totals"), "SELECT 1 AS id, 'a' AS v UNION ALL SELECT 2, 'b'", config) == 2
    details = _formatted(adapter, rel("totals"))
    assert "transactional=true" in details["Table Properties"]
    assert details["Serde Library"] == "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
    assert details["Num Buckets"] == "2"
    assert sorted(adapter.fetchall(f"SELECT id, v FROM {rel('totals')}")) == [(1, "a"), (2, "b")]
    assert _names_in(adapter, schema) == ["totals"]


def test_an_unbucketed_acid_table_is_refused_by_a_hive_2_metastore(adapter: HiveAdapter, rel: Any) -> None:
    # This server's metastore is Hive 2.3's, which needs ACID tables bucketed (Hive 3 does not): the
    # server's own message says what to set, as the README tells.
    with pytest.raises(AdapterError, match="must be bucketed and stored using an ACID compliant format"):
        adapter.create_table_as(rel("totals"), "SELECT 1 AS id", MERGE_MODEL)
    assert adapter.relation_kind(rel("totals")) is None


def _busy_once(hive: HiveAdapter, target: str, message: str) -> list[str]:
    """Make the first call of `hive.<target>` fail with a server status carrying `message`, as a busy
    HiveServer2 answers (a busy server cannot be produced on demand); later calls reach the real server.
    Returns the list of calls, which the wrapper appends to."""
    from pyhive.exc import OperationalError
    from TCLIService.ttypes import TExecuteStatementResp, TStatus, TStatusCode

    calls: list[str] = []
    original = getattr(hive, target)

    def once(*args: Any) -> Any:
        calls.append(target)
        if len(calls) == 1:
            status = TStatus(statusCode=TStatusCode.ERROR_STATUS, errorMessage=message, sqlState="08S01")
            raise OperationalError(TExecuteStatementResp(status=status))
        return original(*args)

    setattr(hive, target, once)
    return calls


BUSY = ("Error while processing statement: The background threadpool cannot accept new task for execution, "
        "please retry the operation")


def test_a_busy_server_status_is_retried_for_reads(make_target: Any) -> None:
    hive = HiveAdapter(make_target(retries=2, retry_backoff=0.05))
    try:
        calls = _busy_once(hive, "_execute_once", BUSY)
        assert hive.fetchall("SELECT 41 + 1") == [(42,)]
        assert len(calls) == 2
    finally:
        hive.close()


def test_a_busy_server_status_on_a_write_is_a_transient_error(rel: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(retries=2, retry_backoff=0.05))
    try:
        calls = _busy_once(hive, "_execute_once", BUSY)
        with pytest.raises(AdapterError) as caught:
            hive.create_table_as(rel("t"), "SELECT 1 AS id", {})
        assert len(calls) == 1  # a write is not resent here: the node's retries rebuild it
        assert caught.value.transient is True
        assert "background threadpool" in caught.value.message
        assert "statement pool is full" in (caught.value.hint or "")
        hive.create_table_as(rel("t"), "SELECT 1 AS id", {})  # the rebuild succeeds
        assert hive.fetchall(f"SELECT id FROM {rel('t')}") == [(1,)]
    finally:
        hive.close()


def test_a_session_refused_by_a_busy_server_is_retried(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(retries=2, retry_backoff=0.05))
    try:
        calls = _busy_once(hive, "_connect", "Connection limit per user reached (user: elt limit: 10)")
        hive.open()
        assert len(calls) == 2
        assert hive.fetchall("SELECT 1") == [(1,)]
    finally:
        hive.close()


def test_a_session_refused_for_good_is_a_clean_error(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target(retries=2, retry_backoff=0.05))
    calls = _busy_once(hive, "_connect", "Failed to open new session: permission denied for user elt")
    with pytest.raises(AdapterError, match="cannot connect to hive server .*permission denied") as caught:
        hive.open()
    assert len(calls) == 1
    assert caught.value.transient is False


def test_cancel_interrupts_the_running_statement_and_refuses_later_ones(hive_server: Any, make_target: Any) -> None:
    hive = HiveAdapter(make_target())
    try:
        hive.open()
        outcome: list[BaseException] = []

        def scan() -> None:
            try:
                hive.fetchall("SELECT count(*) FROM range(0, 100000000000, 1, 2) WHERE id % 7 = 3")
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        worker = threading.Thread(target=scan)
        worker.start()
        time.sleep(2)  # the scan is running on the server (it would run for hours)
        hive.cancel()
        worker.join(timeout=120)
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], AdapterError), outcome
        assert outcome[0].message == CANCELLED
        with pytest.raises(AdapterError, match="cancelled: elt was interrupted"):
            hive.fetchall("SELECT 1")
    finally:
        hive.close()
