"""The SQL the Hive adapter writes, without a server: MERGE, ACID table options, and which server
errors count as transient.

MERGE cannot run on the Spark Thrift Server the Hive tests use (it has no Hive ACID: Spark parses
MERGE only for its own table formats), and DuckDB's merge is another code path (the base adapter's).
So the MERGE tests check the statement text, and its meaning as sqlglot reads Hive SQL: the same
statement transpiled by sqlglot runs on DuckDB over rows where the old statement went wrong (a NULL
key, a column the new rows lack). That checks what the text says, not how a Hive server executes it.

The transient-error messages are shaped like the servers' real ones (HiveServer2 3.x, Hive's
Driver and lock manager, YARN, Spark); a busy server cannot be produced on demand here.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from elt.adapters.duckdb import DuckDBAdapter
from elt.adapters.hive import HiveAdapter, merge_statement, table_options, transient_server_error
from elt.errors import AdapterError, ProjectError
from elt.materializations.incremental_config import check_config
from elt.nodes import Node, Relation, declares_transactional

TABLE, NEW = Relation("gold", "totals"), Relation("gold", "totals__elt_tmp")


def test_merge_matches_keys_null_safely_and_updates_only_the_columns_the_new_rows_have() -> None:
    sql = merge_statement(TABLE, NEW, ["id", "day", "total", "old_note"], ["id", "day", "total", "NULL"],
                          ["id", "day"])
    assert sql == ("MERGE INTO gold.totals t USING gold.totals__elt_tmp s ON t.id <=> s.id AND t.day <=> s.day\n"
                   "WHEN MATCHED THEN UPDATE SET total = s.total\n"
                   "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.day, s.total, NULL)")
    parsed = sqlglot.parse_one(sql, read="hive")
    on = parsed.args["on"]
    assert len(list(on.find_all(exp.NullSafeEQ))) == 2 and not list(on.find_all(exp.EQ))


def test_merge_without_a_column_to_update_only_inserts() -> None:
    # Every non-key column is missing from the new rows: Hive refuses an empty UPDATE SET.
    sql = merge_statement(TABLE, NEW, ["id", "note"], ["id", "NULL"], ["id"])
    assert sql == ("MERGE INTO gold.totals t USING gold.totals__elt_tmp s ON t.id <=> s.id\n"
                   "WHEN NOT MATCHED THEN INSERT VALUES (s.id, NULL)")


def test_merge_refuses_names_that_are_not_identifiers() -> None:
    with pytest.raises(AdapterError, match="not a valid Hive identifier"):
        merge_statement(TABLE, NEW, ["id", "x; DROP TABLE t"], ["id", "x; DROP TABLE t"], ["id"])


def test_the_merge_statement_means_what_duckdb_merge_does() -> None:
    db = duckdb.connect()
    db.execute("CREATE SCHEMA gold")
    db.execute("CREATE TABLE gold.totals (id INT, total INT, note VARCHAR)")
    db.execute("INSERT INTO gold.totals VALUES (1, 10, 'kept 1'), (NULL, 20, 'kept null'), (2, 30, 'kept 2')")
    db.execute("CREATE TABLE gold.totals__elt_tmp (id INT, total INT)")  # no `note`: the new rows lack it
    db.execute("INSERT INTO gold.totals__elt_tmp VALUES (NULL, 21), (2, 31), (3, 40)")
    hive_sql = merge_statement(TABLE, NEW, ["id", "total", "note"], ["id", "total", "NULL"], ["id"])
    db.execute(sqlglot.transpile(hive_sql, read="hive", write="duckdb")[0])
    rows = db.execute("SELECT id, total, note FROM gold.totals ORDER BY id NULLS FIRST").fetchall()
    # The NULL key replaced its row (not a second NULL row); matched rows kept `note`; 3 was added.
    assert rows == [(None, 21, "kept null"), (1, 10, "kept 1"), (2, 31, "kept 2"), (3, 40, None)]


# -- ACID tables for merge ------------------------------------------------------------------------------


def test_a_transactional_table_is_created_as_hive_acid() -> None:
    options = table_options({"transactional": True, "clustered_by": ["id"], "buckets": 4, "tblproperties": {"a": 1}})
    assert options == ("\nCLUSTERED BY (id) INTO 4 BUCKETS\nSTORED AS ORC\n"
                       "TBLPROPERTIES ('a'='1', 'transactional'='true')")
    # Declared by the tblproperty alone: the same table.
    assert table_options({"tblproperties": {"transactional": "true"}}) == (
        "\nSTORED AS ORC\nTBLPROPERTIES ('transactional'='true')")
    assert table_options({"file_format": "ORC", "transactional": True}) == (
        "\nSTORED AS ORC\nTBLPROPERTIES ('transactional'='true')")
    assert table_options({}) == ""  # the staged rows of a merge are a plain table


@pytest.mark.parametrize("config, message", [
    ({"transactional": True, "file_format": "parquet"}, "Hive ACID tables are stored as ORC"),
    ({"transactional": True, "location": "/data/x"}, "external tables cannot be transactional"),
    ({"transactional": True, "tblproperties": {"transactional": "false"}}, "contradicts"),
])
def test_an_impossible_acid_table_is_refused_before_sending(config: dict, message: str) -> None:
    with pytest.raises(AdapterError, match=message):
        table_options(config)


def _merge_model(**config: object) -> Node:
    return Node("model.totals", "totals", "model", "models/totals.sql",
                config={"materialized": "incremental", "incremental_strategy": "merge", "unique_key": "id",
                        **config})


def test_merge_on_hive_is_refused_unless_declared_transactional() -> None:
    with pytest.raises(ProjectError, match="merge needs a table that supports MERGE") as caught:
        check_config(_merge_model(), adapter=HiveAdapter, engine="hive")
    assert "transactional=true" in (caught.value.hint or "")
    check_config(_merge_model(transactional=True), adapter=HiveAdapter, engine="hive")
    check_config(_merge_model(tblproperties={"Transactional": "TRUE"}), adapter=HiveAdapter, engine="hive")
    check_config(_merge_model(), adapter=DuckDBAdapter, engine="duckdb")  # DuckDB merges any table


@pytest.mark.parametrize("config, message", [
    ({"file_format": "parquet"}, "file_format='parquet': Hive ACID tables are stored as ORC"),
    ({"location": "/data/totals"}, "external tables cannot be transactional"),
    ({"tblproperties": {"transactional": "false"}}, "contradicts transactional=true"),
    ({"tblproperties": {"transactional_properties": "insert_only"}}, "insert-only tables cannot UPDATE"),
    ({"partition_by": ["day"]}, "partition_by column(s) day not in unique_key"),
    ({"clustered_by": ["region"], "buckets": 4}, "clustered_by column(s) region not in unique_key"),
])
def test_merge_on_hive_refuses_what_an_acid_merge_cannot_do(config: dict, message: str) -> None:
    with pytest.raises(ProjectError) as caught:
        check_config(_merge_model(transactional=True, **config), adapter=HiveAdapter, engine="hive")
    assert message in caught.value.message
    assert caught.value.path == "models/totals.sql"


def test_partition_and_bucketing_columns_in_unique_key_are_fine() -> None:
    node = _merge_model(transactional=True, unique_key=["id", "day"], partition_by=["day"], clustered_by=["id"],
                        buckets=4, file_format="orc")
    check_config(node, adapter=HiveAdapter, engine="hive")


@pytest.mark.parametrize(("config", "declared"), [
    ({"transactional": True}, True), ({"tblproperties": {"transactional": "true"}}, True),
    ({"tblproperties": {"TRANSACTIONAL": True}}, True), ({"transactional": False}, False),
    ({"tblproperties": {"transactional": "false"}}, False), ({"transactional": "yes"}, False), ({}, False),
])
def test_the_transactional_declaration(config: dict, declared: bool) -> None:
    """One reading, shared by the compile-time merge checks and the Hive adapter's table options."""
    assert declares_transactional(config) is declared


# -- transient server errors ----------------------------------------------------------------------------

TRANSIENT = [
    # HiveServer2 3.x, OpenSession refused (hive.server2.limit.connections.per.user).
    ("Connection limit per user reached (user: etl limit: 10)", None),
    ("Connection limit per user:ipaddress reached (user:ipaddress: etl:10.0.0.7 limit: 5)", None),
    # HiveServer2's async pool full (SQLOperation.runInternal).
    ("Error while processing statement: The background threadpool cannot accept new task for execution, "
     "please retry the operation", None),
    # The metastore's MySQL refusing connections.
    ("Error while compiling statement: FAILED: HiveException java.sql.SQLNonTransientConnectionException: "
     "Data source rejected establishment of connection, message from server: \"Too many connections\"", "08S01"),
    # MapReduce job failing to reach the ResourceManager (Driver, return code -101 with the cause).
    ("Error while processing statement: FAILED: Execution Error, return code -101 from "
     "org.apache.hadoop.hive.ql.exec.mr.MapRedTask. Call From worker-1/10.0.0.5 to rm-1:8032 failed on connection "
     "exception: java.net.ConnectException: Connection refused; For more details see:  "
     "http://wiki.apache.org/hadoop/ConnectionRefused", "08S01"),
    ("Error while processing statement: FAILED: Execution Error, return code 1 from "
     "org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:Got exception: "
     "org.apache.thrift.transport.TTransportException java.net.SocketException: Connection reset)", "08S01"),
    # YARN queue at its maximum of applications.
    ("Error while processing statement: FAILED: Execution Error, return code 1 from "
     "org.apache.hadoop.hive.ql.exec.tez.TezTask. Failed to submit application_1717000000000_0042 to YARN : "
     "org.apache.hadoop.security.AccessControlException: Queue root.etl already has 200 applications, cannot "
     "accept submission of application: application_1717000000000_0042", "08S01"),
    # Hive's lock manager: reported with Hive's default SQLSTATE 42000, still transient.
    ("Error while compiling statement: FAILED: Error in acquiring locks: Locks on the underlying objects cannot be "
     "acquired. retry after some time", "42000"),
    ("Error while processing statement: FAILED: Error in acquiring locks: Lock acquisition for "
     "LockRequest(component:[LockComponent(type:SHARED_WRITE, level:TABLE, dbname:gold, tablename:totals)], "
     "txnid:815, user:etl, hostname:hs2-1) timed out after 5503ms.  LockResponse(lockid:1291, state:WAITING)",
     "42000"),
    # Hive ACID write conflict at commit.
    ("Error while processing statement: FAILED: Hive Internal Error: "
     "org.apache.hadoop.hive.ql.lockmgr.LockException(Transaction manager has aborted the transaction txnid:16.  "
     "Reason: Aborting [txnid:16,17] due to a write conflict on gold/totals committed by [txnid:15,17] u/u)",
     "08S01"),
    ("Error while compiling statement: FAILED: SemanticException org.apache.hadoop.hive.ql.metadata.HiveException: "
     "java.lang.RuntimeException: Unable to instantiate org.apache.hadoop.hive.ql.metadata.SessionHiveMetaStoreClient"
     "; Could not connect to meta store using any of the URIs provided", None),
    # Spark Thrift Server restarting.
    ("Error running query: org.apache.spark.SparkException: Job 12 cancelled because SparkContext was shut down",
     None),
]

NOT_TRANSIENT = [
    ("Error running query: [TABLE_OR_VIEW_NOT_FOUND] org.apache.spark.sql.AnalysisException: "
     "[TABLE_OR_VIEW_NOT_FOUND] The table or view `gold`.`nowhere` cannot be found. SQLSTATE: 42P01", "42P01"),
    ("Error while compiling statement: FAILED: SemanticException [Error 10001]: Line 1:14 Table not found "
     "'nowhere'", "42S02"),
    ("Error while compiling statement: FAILED: ParseException line 1:7 cannot recognize input near 'FROM' "
     "'x' '<EOF>' in select clause", "42000"),
    # A statement error quoting text that looks transient: SQLSTATE 42 wins.
    ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name "
     "`java.net.ConnectException` cannot be resolved. SQLSTATE: 42703", "42703"),
    ("Error while compiling statement: FAILED: SemanticException [Error 10004]: Line 1:7 Invalid table alias or "
     "column reference 'too many connections'", "42000"),
    # A failed job without a network cause: may be a bad value, which would fail again.
    ("Error while processing statement: FAILED: Execution Error, return code 2 from "
     "org.apache.hadoop.hive.ql.exec.mr.MapRedTask", "08S01"),
    ("Error while processing statement: FAILED: Execution Error, return code 1 from "
     "org.apache.hadoop.hive.ql.exec.tez.TezTask. Vertex failed, vertexName=Map 1, vertexId=vertex_1_0001_1_00, "
     "diagnostics=[Task failed, taskId=task_1_0001_1_00_000000, java.lang.RuntimeException: "
     "org.apache.hadoop.hive.ql.metadata.HiveException: Hive Runtime Error while processing row]", "08S01"),
    ("[CAST_INVALID_INPUT] The value 'abc' of the type \"STRING\" cannot be cast to \"INT\" because it is "
     "malformed. SQLSTATE: 22018", "22018"),
    ("[DIVIDE_BY_ZERO] Division by zero. SQLSTATE: 22012", "22012"),
    # A lock error's words inside a SQL error's quoted text: the lock pattern is anchored to Hive's own message.
    ("Error while compiling statement: FAILED: SemanticException Line 1:7 Invalid column reference "
     "'FAILED: Error in acquiring locks: Locks on the underlying objects cannot be acquired'", "42000"),
]


@pytest.mark.parametrize("message, sql_state", TRANSIENT)
def test_busy_server_and_lost_service_statuses_are_transient(message: str, sql_state: str | None) -> None:
    assert transient_server_error(message, sql_state) is not None


@pytest.mark.parametrize("message, sql_state", NOT_TRANSIENT)
def test_statement_errors_are_never_transient(message: str, sql_state: str | None) -> None:
    assert transient_server_error(message, sql_state) is None
