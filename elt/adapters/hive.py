"""Hive adapter: Apache Hive (HiveServer2) and Spark Thrift Server through pyhive.

One pyhive connection (= one HiveServer2 session) per worker thread, opened on first use and all
closed by `close()`. Every driver exception becomes `AdapterError` carrying the server's own message
(no Java stack, no Thrift repr) and the statement's first lines. Transport failures (server not
reachable, connection dropped) and the few server statuses that report a busy server or a lost service
(`TRANSIENT_SERVER_ERRORS`) are retried with backoff (reads here, writes by rebuilding the node, as
`transient` errors); SQL errors never are.

Quirks handled here (Spark Thrift Server 4.3 and Hive 2/3):
- one statement per `execute`: Spark rejects `a; b` (PARSE_SYNTAX_ERROR);
- `ALTER TABLE ... RENAME` works only within one database, and must name the database in the new name
  (Hive resolves a bare new name against the session's current database);
- `DROP TABLE` on a view drops the view on Spark, so drops check the relation's kind first;
- `SHOW TABLES` lists views too; `SHOW VIEWS` tells them apart (Hive 2.2+), else DESCRIBE FORMATTED;
- what elt's statements rely on is set per session, never assumed from the server's defaults: dynamic
  partition inserts; on Spark also partitionOverwriteMode=dynamic (else INSERT OVERWRITE ... PARTITION
  (col) wipes every partition of a data source table) and ansi.enabled=false (Hive's NULL for a bad
  CAST); the profile's `timezone`. Spark is told from Hive by the protocol's DBMS name, so no spark.* key
  reaches a Hive server (which may refuse unknown keys). The profile's `configuration` is set last: it wins;
- a table with a `location` is EXTERNAL and created before it is filled (CTAS refuses a non-empty folder
  on Spark, and an external table on Hive before 3): dropping it, or the backup of a rebuild, never deletes
  the folder; a managed table whose folder is not its own is never dropped.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from elt.adapters.base import CANCELLED, Adapter, RelationKind
from elt.adapters.hive_dbt_profile import from_dbt_keys
from elt.adapters.hive_kerberos import KerberosLogin
from elt.adapters.hive_listing import RelationListing
from elt.errors import AdapterError, ProjectError
from elt.nodes import IDENTIFIER, Column, Relation, declares_transactional
from elt.project.config import TargetConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Profile keys this adapter reads (besides `type`, `threads`, `schema`, handled by elt.project.config).
PROFILE_KEYS: dict[str, str] = {
    "host": "HiveServer2 host (default 127.0.0.1)",
    "port": "HiveServer2 port (default 10000)",
    "username": "user name sent to the server",
    "password": "password for auth LDAP or CUSTOM",
    "auth": "NONE (default), NOSASL, LDAP, KERBEROS, CUSTOM",
    "kerberos_service_name": "service principal name for auth KERBEROS (default hive)",
    "keytab": "auth KERBEROS: keytab file; elt gets its own ticket into a private cache (default: kinit's)",
    "principal": "auth KERBEROS: client principal (of the keytab; else the cache's own)",
    "configuration": "mapping of session settings, applied with SET on every connection",
    "queue": "the job queue (Hive: mapreduce.job.queuename and tez.queue.name; Spark: the scheduler pool)",
    "connect_timeout": "seconds each step of opening a session (TCP, SASL/auth, session) may take (default 30)",
    "query_timeout": "seconds a statement may run before it is cancelled, checked every ~5 s; a server that "
                     "stops answering fails the statement too (default: none)",
    "transport": "binary (default) or http (HiveServer2 with hive.server2.transport.mode=http, e.g. behind a gateway)",
    "http_path": "the URL path of transport http (hive.server2.thrift.http.path; default cliservice)",
    "use_ssl": "TLS to the server (hive.server2.use.SSL; default false)",
    "ssl_ca": "a CA certificate file (PEM) to verify the server's certificate (default: the system's CAs)",
    "ssl_verify": "verify the server's certificate and host name (default true)",
    "retries": "connection attempts after a transport error (default 2)",
    "retry_backoff": "seconds before the first retry, doubled each time (default 1)",
}
# Keys every target may carry, read by elt itself (node-level retries, DuckDB/Hive session time zone).
_COMMON_KEYS = {"type", "threads", "schema", "retry_delay", "timezone"}
AUTH_MODES = ("NONE", "NOSASL", "LDAP", "KERBEROS", "CUSTOM")
#: Rows per INSERT ... VALUES statement in load_rows.
LOAD_BATCH_ROWS = 500
#: File formats accepted in `file_format` (STORED AS ...).
FILE_FORMATS = ("parquet", "orc", "textfile", "avro", "sequencefile", "rcfile", "jsonfile")

_SETTING_KEY = re.compile(r"^[A-Za-z0-9_.:\-]+$")
# A time zone id (Europe/Paris, UTC, Etc/GMT+2) or offset (+02:00): nothing a SET could misread.
_TIMEZONE = re.compile(r"^[A-Za-z0-9_+\-/:]+$")
_HIVE_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$")
_READ_ONLY = re.compile(r"^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN)\b", re.IGNORECASE)
# `org.apache.spark.sql.AnalysisException: ` and the like, anywhere in a server message.
_JAVA_CLASS = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\b:?\s*")
_STATEMENT_LINES = 6
#: Seconds a server may take past query_timeout to answer a status poll (HiveServer2 holds a poll up to
#: hive.server2.long.polling.timeout, 5 s by default) before it counts as not answering.
POLL_GRACE = 10.0


class HiveAdapter(Adapter):
    """HiveServer2 (`type: hive`) and Spark Thrift Server (`type: spark`)."""

    type = "hive"
    dialect = "hive"
    SUPPORTS_TRANSACTIONS = False
    CAN_RENAME_ACROSS_SCHEMAS = False
    SUPPORTS_TABLE_OPTIONS = True
    # SELECT COUNT(*) is a Spark/Tez job: as long as a small model's CTAS on a busy server.
    CHEAP_ROW_COUNT = False
    DRIVER_PACKAGES = {"pyhive": "pyhive", "thrift": "thrift", "thrift_sasl": "thrift-sasl", "puresasl": "pure-sasl"}
    CAN_PULL_FROM = True

    def __init__(self, target: TargetConfig) -> None:
        super().__init__(target)
        settings, refusal = from_dbt_keys(target.settings)  # a dbt-spark / dbt-hive output reads as elt's
        if refusal is not None:
            raise self._profile_error(refusal)
        self._settings = settings
        unknown = sorted(set(settings) - set(PROFILE_KEYS) - _COMMON_KEYS)
        if unknown:
            raise self._profile_error(
                f"unknown key(s) for a {target.type} target: {', '.join(unknown)}",
                hint="valid keys: " + ", ".join(sorted({*PROFILE_KEYS, *_COMMON_KEYS})),
            )
        self.host = str(settings.get("host") or "127.0.0.1")
        self.port = self._int_setting("port", 10000, minimum=1)
        self.username = str(settings.get("username") or "elt")
        password = settings.get("password")
        self._password = str(password) if password not in (None, "") else None
        self.auth = str(settings.get("auth") or "NONE").upper()
        if self.auth not in AUTH_MODES:
            raise self._profile_error(f"auth {self.auth!r} is not supported",
                                      hint=f"use one of {', '.join(AUTH_MODES)}")
        if self.auth in ("LDAP", "CUSTOM") and self._password is None:
            raise self._profile_error(f"auth {self.auth} needs a password", hint="set `password` (e.g. from env_var)")
        self.kerberos_service_name = str(settings.get("kerberos_service_name") or "hive")
        try:
            self.kerberos = KerberosLogin.from_settings(settings, self.kerberos_service_name, auth=self.auth)
        except ValueError as exc:
            raise self._profile_error(str(exc)) from None
        self.configuration = self._configuration(settings.get("configuration"))
        self.timezone = str(settings.get("timezone") or "UTC")
        if not _TIMEZONE.match(self.timezone):
            raise self._profile_error(f"timezone {self.timezone!r} is not a time zone name",
                                      hint="e.g. UTC, Europe/Paris or +02:00")
        self.transport_mode = str(settings.get("transport") or "binary").lower()
        if self.transport_mode not in ("binary", "http"):
            raise self._profile_error(f"transport {self.transport_mode!r} is not supported", hint="use binary or http")
        self.http_path = str(settings.get("http_path") or "cliservice")
        self.use_ssl = self._bool_setting("use_ssl", False)
        self.ssl_verify = self._bool_setting("ssl_verify", True)
        self.ssl_ca = str(settings["ssl_ca"]) if settings.get("ssl_ca") not in (None, "") else None
        queue = settings.get("queue")
        self.queue = str(queue) if queue not in (None, "") else None
        if self.queue is not None and any(c in self.queue for c in ";\n\r= "):
            raise self._profile_error(f"queue {self.queue!r} is not a queue name")
        self.connect_timeout = self._float_setting("connect_timeout", 30.0)
        self.query_timeout = self._float_setting("query_timeout", None)
        self.retries = self._int_setting("retries", 2, minimum=0)
        self.retry_backoff = self._float_setting("retry_backoff", 1.0)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        #: Does the server take CTAS with PARTITIONED BY (Spark, Hive 4)? None until a server said no.
        self._partitioned_ctas: bool | None = None
        #: Is the server Spark (Thrift Server) rather than Hive? None until the first connection tells.
        self._spark: bool | None = None
        #: The relations of each database, listed once and updated by the DDL sent (relation_kind).
        self._listing = RelationListing()

    # -- profile -------------------------------------------------------------------------------------

    def _profile_error(self, message: str, hint: str | None = None) -> ProjectError:
        return ProjectError(f"target {self.target.name!r}: {message}", path=self.target.profiles_path, hint=hint)

    def _int_setting(self, key: str, default: int, *, minimum: int) -> int:
        raw = self._settings.get(key)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise self._profile_error(f"{key} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise self._profile_error(f"{key} must be at least {minimum}, got {value}")
        return value

    def _float_setting(self, key: str, default: float | None) -> float | None:
        raw = self._settings.get(key)
        if raw in (None, ""):
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise self._profile_error(f"{key} must be a number of seconds, got {raw!r}") from None
        if value <= 0:
            raise self._profile_error(f"{key} must be positive, got {value}")
        return value

    def _bool_setting(self, key: str, default: bool) -> bool:
        raw = self._settings.get(key)
        if raw in (None, ""):
            return default
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise self._profile_error(f"{key} must be true or false, got {raw!r}")

    def _configuration(self, raw: Any) -> dict[str, str]:
        if raw in (None, ""):
            return {}
        if not isinstance(raw, Mapping):
            raise self._profile_error("configuration must be a mapping of setting -> value")
        result: dict[str, str] = {}
        for key, value in raw.items():
            text = "true" if value is True else "false" if value is False else str(value)
            if not _SETTING_KEY.match(str(key)) or any(c in text for c in ";\n\r"):
                raise self._profile_error(f"configuration setting {key!r} has an invalid name or value")
            result[str(key)] = text
        return result

    # -- lifecycle -----------------------------------------------------------------------------------

    def lock_key(self) -> str | None:
        # One warehouse per server: targets differing only in schema, user or settings share it.
        return f"hiveserver2:{self.host.lower()}:{self.port}"

    def open(self) -> None:
        """Connect the calling thread and run `SELECT 1`."""
        self.fetchall("SELECT 1")

    def close(self) -> None:
        self._listing.forget()
        with self._lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.close()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._with_retries("connect", self._connect)
            with self._lock:
                self._connections.append(connection)
                self._local.connection = connection
        return connection

    def _discard_connection(self, *, silent: bool = False) -> None:
        """Forget the calling thread's connection (after a transport error broke it). `silent`: the
        server stopped answering, so its socket is closed first (closing the session would wait again)."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if silent and getattr(self._local, "socket", None) is not None:
            with contextlib.suppress(Exception):
                self._local.socket.close()
        if connection is not None:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
            with contextlib.suppress(Exception):
                connection.close()

    def _connect(self) -> Any:
        from pyhive import hive

        from elt.adapters.hive_transport import OpeningTransport, Progress

        # How far this thread's attempt got (DNS, TCP, SASL/auth, session): what a failure is about.
        progress = self._local.progress = Progress()
        transport, socket = self._transport(progress)
        # pyhive runs `USE <database>` on connect; `default` always exists, the target schema may not yet.
        connection = hive.connect(thrift_transport=OpeningTransport(transport, progress), username=self.username,
                                  database="default")
        progress.step = "ready"
        self._local.socket = socket  # its timeout is set per statement (_execute_once)
        try:
            cursor = connection.cursor()
            for key, value in self._session_settings(connection, cursor).items():
                try:
                    cursor.execute(f"SET {key}={value}")
                except Exception as exc:
                    if not _is_sql_error(exc):
                        raise
                    if key == "hive.local.time.zone" and "timezone" not in self.target.settings:
                        # Hive before 3 has no session time zone; only a timezone the profile asks for
                        # is worth failing for.
                        log.debug("SET %s failed: %s", key, _server_message(exc))
                        continue
                    raise AdapterError(f"the server refused the session setting {key}={value}: "
                                       f"{_server_message(exc)}",
                                       hint="check `configuration` / `timezone` in the profile") from None
            if self.target.schema != "default":
                try:
                    cursor.execute(f"USE {_identifier(self.target.schema)}")
                except Exception as exc:  # noqa: BLE001 - the database is created later by the run
                    log.debug("USE %s failed: %s", self.target.schema, _server_message(exc))
            cursor.close()
        except Exception:
            with contextlib.suppress(Exception):
                connection.close()
            raise
        return connection

    def _session_settings(self, connection: Any, cursor: Any) -> dict[str, str]:
        """SET statements for a new session: what elt's statements rely on, then the profile's
        `configuration`, which wins."""
        settings = {
            # INSERT ... PARTITION (col) without values (Hive; Spark for Hive-format tables).
            "hive.exec.dynamic.partition": "true",
            "hive.exec.dynamic.partition.mode": "nonstrict",
        }
        if self._is_spark(connection, cursor):
            settings.update({
                # INSERT OVERWRITE ... PARTITION (col) replaces only the partitions it writes, as on Hive
                # (Spark's default, static, first deletes every partition of a data source table).
                "spark.sql.sources.partitionOverwriteMode": "dynamic",
                # Hive semantics: a bad CAST is NULL, overflow wraps; ANSI mode (Spark 4's default) raises.
                "spark.sql.ansi.enabled": "false",
                "spark.sql.session.timeZone": self.timezone,
            })
            if self.queue:
                # The Thrift Server's fair-scheduler pool of the session's jobs (Spark has no YARN queue
                # per session: the server is one application).
                settings["spark.sql.thriftserver.scheduler.pool"] = self.queue
        else:
            settings["hive.local.time.zone"] = self.timezone
            if self.queue:
                # The YARN queue of the session's jobs, for either execution engine (MapReduce, Tez).
                settings.update({"mapreduce.job.queuename": self.queue, "tez.queue.name": self.queue})
        return {**settings, **self.configuration}

    def _is_spark(self, connection: Any, cursor: Any) -> bool:
        """Spark Thrift Server or Hive? The protocol's DBMS name says (`Spark SQL` / `Apache Hive`);
        a server without GetInfo is asked for a Spark-only setting. Learned once per adapter."""
        if self._spark is None:
            name = _dbms_info(connection, "CLI_DBMS_NAME")
            if name:
                self._spark = "spark" in name.lower()
            else:
                try:
                    cursor.execute("SET spark.sql.ansi.enabled")
                    rows = cursor.fetchall()
                except Exception as exc:
                    if not _is_sql_error(exc):
                        raise
                    rows = []
                # Hive answers `spark.sql.ansi.enabled is undefined` (or refuses); Spark its value.
                self._spark = any(str(row[-1]).strip().lower() in ("true", "false") for row in rows)
            log.debug("the server at %s:%s is %s", self.host, self.port, "Spark" if self._spark else "Hive")
        return self._spark

    def _transport(self, progress: Any) -> tuple[Any, Any]:
        """(transport, socket): the Thrift transport pyhive would build for `auth` (or HTTP for
        transport http), TLS with use_ssl, with keepalive and a connect timeout on its socket."""
        import thrift.transport.TTransport

        from elt.adapters import hive_transport

        # Thrift logs each refused connection at ERROR; without logging configured Python prints that
        # to stderr on top of our own message. A NullHandler keeps it out of the terminal while it still
        # reaches any handler the application sets up.
        thrift_log = logging.getLogger("thrift")
        if not thrift_log.handlers:
            thrift_log.addHandler(logging.NullHandler())
        context = hive_transport.ssl_context(self.ssl_verify, self.ssl_ca) if self.use_ssl else None
        if self.transport_mode == "http":
            if self.auth == "KERBEROS":
                raise AdapterError("transport http with auth KERBEROS is not supported",
                                   hint="use transport binary for Kerberos")
            # HTTP Basic carries the login; a NONE server still wants one (any password).
            http = hive_transport.HttpTransport(self.host, self.port, self.http_path, progress, context,
                                                self.username, self._password or "x")
            http.setTimeout(_milliseconds(self.connect_timeout))
            return http, http
        socket = hive_transport.socket_for(self.host, self.port, progress, context)
        socket.setTimeout(_milliseconds(self.connect_timeout))
        if self.auth == "NOSASL":
            return thrift.transport.TTransport.TBufferedTransport(socket), socket
        import thrift_sasl
        from pyhive.hive import get_installed_sasl

        if self.auth == "KERBEROS":  # the ticket, the GSSAPI binding, their errors: hive_kerberos.py
            return thrift_sasl.TSaslClientTransport(self.kerberos.sasl_client_factory(self.host), "GSSAPI",
                                                    socket), socket
        host, username = self.host, self.username
        # NONE still speaks SASL PLAIN; the server ignores the password, which must not be empty.
        mechanism, service, password = "PLAIN", None, self._password or "x"

        def sasl_client() -> Any:
            return get_installed_sasl(host=host, sasl_auth=mechanism, service=service, username=username,
                                      password=password)

        return thrift_sasl.TSaslClientTransport(sasl_client, mechanism, socket), socket

    def _with_retries(self, what: str, action: Callable[[], T]) -> T:
        """Run `action`, retrying transport errors with exponential backoff; SQL errors pass through.
        A refused login and a server that does not answer in time are not retried: trying again cannot
        help, and would lock a directory account or multiply the connect timeout."""
        attempt = 0
        while True:
            try:
                return action()
            except AdapterError:
                raise
            except Exception as exc:  # noqa: BLE001 - the driver raises anything; classified below
                busy = _transient_status(exc)
                if _is_sql_error(exc) and (busy is None or attempt >= self.retries):
                    # e.g. OpenSession refused: the server's own message, transient if it said busy.
                    raise AdapterError(
                        f"cannot {what} to {self.target.type} server {self.host}:{self.port}, at the session "
                        "open step: "
                        f"{self._scrub(_server_message(exc))}",
                        hint=f"{busy}; try again later" if busy else None,
                        transient=busy is not None,
                    ) from None
                failure = self._failure(exc) if busy is None and _is_transport_error(exc) else None
                if failure is not None and (not failure.retry or attempt >= self.retries):
                    self._local.failed_step = failure.step_name  # for connection_checks
                    tries = f" ({attempt + 1} attempts)" if attempt else ""
                    raise AdapterError(
                        f"cannot {what} to {self.target.type} server {self.host}:{self.port}{tries}, at the "
                        f"{failure.step_name} step: {self._scrub(failure.message)}",
                        hint=self._scrub(failure.hint),
                        transient=failure.retry,
                    ) from None
                if busy is None and failure is None:
                    raise AdapterError(
                        f"cannot {what} to {self.target.type} server {self.host}:{self.port}: "
                        f"{self._scrub(_transport_message(exc))}",
                    ) from None
                delay = self.retry_backoff * (2**attempt)
                attempt += 1
                log.debug("%s to %s:%s failed (%s); retry %d in %.1f s", what, self.host, self.port,
                          self._scrub(_server_message(exc)), attempt, delay)
                time.sleep(delay)

    def _failure(self, exc: BaseException) -> Any:
        """The `hive_transport.Failure` of a transport error raised while this thread connected."""
        from elt.adapters.hive_transport import failure

        progress = getattr(self._local, "progress", None)
        return failure(exc, progress.step if progress is not None else "tcp", auth=self.auth,
                       username=self.username, host=self.host, port=self.port, transport=self.transport_mode,
                       connect_timeout=self.connect_timeout)

    # -- statements ----------------------------------------------------------------------------------

    def execute(self, sql: str) -> None:
        self._run(sql, fetch=False)

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return self._run(sql, fetch=True)

    def _run(self, sql: str, *, fetch: bool) -> list[tuple[Any, ...]]:
        if self.cancelled:
            raise AdapterError(CANCELLED)
        sql = _one_statement(sql)
        attempt = 0
        while True:
            cursor = self._connection().cursor()
            try:
                started = time.perf_counter()
                try:
                    self._execute_once(cursor, sql)
                except Exception:
                    self._listing.note_statement(sql, succeeded=False)
                    raise
                self._listing.note_statement(sql, succeeded=True)
                rows = cursor.fetchall() if fetch else []
                # Each statement with its time: where a run's time goes (bench/hive.py sums them).
                log.debug("hive: %.3f s: %s", time.perf_counter() - started, self._scrub(_first_lines(sql, 3)))
                return rows
            except AdapterError:
                raise
            except Exception as exc:  # noqa: BLE001 - the driver raises anything; classified below
                if _is_stale_session(exc) and attempt < self.retries:
                    # The server forgot the session (idle timeout, restart) and ran nothing: reconnect.
                    log.debug("session expired on the server; reconnecting")
                    self._discard_connection()
                    attempt += 1
                    continue
                busy = _transient_status(exc)
                if busy is not None:
                    # The server said it is busy or lost a service (see TRANSIENT_SERVER_ERRORS); the
                    # session is fine. A read is tried again here; a write may have been partly applied
                    # (a job failing midway), so it is left to the node's retries, which rebuild it.
                    if _READ_ONLY.match(sql) and attempt < self.retries:
                        delay = self.retry_backoff * (2**attempt)
                        attempt += 1
                        log.debug("%s; retry %d in %.1f s", busy, attempt, delay)
                        time.sleep(delay)
                        continue
                    raise AdapterError(self._statement_error(_server_message(exc), sql),
                                       hint=f"{busy}: a transient condition; set `retries` on the model or "
                                            "profile to rebuild the node automatically",
                                       transient=True) from None
                if _is_sql_error(exc) or not _is_transport_error(exc):
                    raise AdapterError(self._statement_error(_server_message(exc), sql)) from None
                if _is_timeout(exc):
                    # The server holds the connection open but says nothing: not retried (it would wait
                    # again), the connection dropped without a word to the server.
                    self._discard_connection(silent=True)
                    limit = (f"query_timeout ({self.query_timeout:g} s) + {POLL_GRACE:g} s" if self.query_timeout
                             else "the time allowed")
                    raise AdapterError(
                        self._statement_error(f"the server did not answer within {limit}", sql),
                        hint="is the server alive? (its log, `elt debug`); the statement may or may not have run",
                        transient=True,
                    ) from None
                # The connection is broken. Reads are retried on a new one; DDL and inserts are not,
                # since the server may have applied them before the connection dropped.
                self._discard_connection()
                if not _READ_ONLY.match(sql) or attempt >= self.retries:
                    raise AdapterError(
                        self._statement_error(f"connection lost: {_transport_message(exc)}", sql),
                        hint="the statement may or may not have been applied; check the server log",
                        transient=True,  # elt's builds are idempotent: rebuilding the node is safe
                    ) from None
                time.sleep(self.retry_backoff * (2**attempt))
                attempt += 1
            finally:
                with contextlib.suppress(Exception):
                    cursor.close()

    def stream_rows(self, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        # Not retried: rows already yielded cannot be taken back (the caller starts the relation over).
        if self.cancelled:
            raise AdapterError(CANCELLED)
        sql = _one_statement(sql)
        cursor = self._connection().cursor()
        cursor.arraysize = batch_rows  # rows per FetchResults round trip
        try:
            try:
                self._execute_once(cursor, sql)
                while True:
                    batch = cursor.fetchmany(batch_rows)
                    if not batch:
                        return
                    yield batch
            except AdapterError:
                raise
            except Exception as exc:  # noqa: BLE001 - the driver raises anything; classified below
                if _is_sql_error(exc) or not _is_transport_error(exc):
                    raise AdapterError(self._statement_error(_server_message(exc), sql)) from None
                self._discard_connection()
                raise AdapterError(self._statement_error(f"connection lost: {_transport_message(exc)}", sql),
                                   transient=True) from None
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def partitions(self, relation: Relation) -> list[dict[str, str | None]]:
        try:
            rows = self.fetchall(f"SHOW PARTITIONS {_qualified(relation)}")
        except AdapterError as exc:
            if _NOT_PARTITIONED.search(str(exc)):
                return []
            raise
        return [_partition_spec(str(row[0])) for row in rows]

    def transfer_column(self, name: str, data_type: str) -> str:
        column = f"`{name}`"
        base = data_type.strip().lower()
        if base.startswith(("decimal", "timestamp")):
            # Text, which the receiving engine reads exactly (pyhive would build Decimal and datetime
            # objects in Python, row by row).
            return f"CAST({column} AS STRING)"
        if base.startswith(("struct", "array", "map")) and self._spark:
            # The driver's text of a nested value is not JSON (strings unescaped, dates unquoted:
            # Spark's HiveResult.toHiveString); to_json is. Hive has no to_json: its text is sent as is
            # and refused by the receiving engine, naming the column, when it is not JSON.
            return (f"to_json({column}, map('timestampFormat', 'yyyy-MM-dd HH:mm:ss.SSSSSS', "
                    f"'dateFormat', 'yyyy-MM-dd'))")
        return column

    def _execute_once(self, cursor: Any, sql: str) -> None:
        """Run one statement asynchronously, polling its status, so that it can be cancelled on the
        server (HiveServer2's CancelOperation, pyhive's `cursor.cancel()`) after query_timeout or
        `cancel()`: a synchronous ExecuteStatement gives no operation to cancel until it is over.

        HiveServer2 answers a status poll only when the operation ends or its long-polling interval
        (hive.server2.long.polling.timeout, 5 s by default) passes, so limits are kept to within that.
        """
        from TCLIService.ttypes import TOperationState

        deadline = None if self.query_timeout is None else time.monotonic() + self.query_timeout
        self._answer_within(deadline)
        cursor.execute(sql, async_=True)
        delay = 0.01
        while True:
            self._answer_within(deadline)
            status = cursor.poll(get_progress_update=False)
            state = status.operationState
            if state == TOperationState.FINISHED_STATE:
                return
            if self.cancelled:
                # Set by `cancel()` from another thread; a Thrift connection is not thread-safe, so
                # the thread running the statement cancels it itself.
                with contextlib.suppress(Exception):
                    cursor.cancel()
                raise AdapterError(CANCELLED)
            if state in (TOperationState.ERROR_STATE, TOperationState.CANCELED_STATE,
                         TOperationState.CLOSED_STATE, TOperationState.UKNOWN_STATE):
                message = status.errorMessage or TOperationState._VALUES_TO_NAMES.get(state, str(state))
                busy = transient_server_error(str(message), status.sqlState)
                raise AdapterError(self._statement_error(_clean_message(message), sql),
                                   hint=f"{busy}: a transient condition" if busy else None,
                                   transient=busy is not None)
            if deadline is not None and time.monotonic() > deadline:
                with contextlib.suppress(Exception):
                    cursor.cancel()
                raise AdapterError(self._statement_error(
                    f"cancelled after query_timeout ({self.query_timeout:g} s)", sql))
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _answer_within(self, deadline: float | None) -> None:
        """Give the server until `deadline` + POLL_GRACE to answer the next call of a statement, so that
        a server that stops answering fails the statement (a dead peer is noticed by keepalive; a hung
        one only by this). Without query_timeout, no limit: statements may run for hours."""
        socket = getattr(self._local, "socket", None)
        if socket is not None:
            socket.setTimeout(None if deadline is None
                              else _milliseconds(max(deadline - time.monotonic(), 0.0) + POLL_GRACE))

    def _statement_error(self, message: str, sql: str) -> str:
        statement = "\n".join("    " + line for line in _first_lines(sql, _STATEMENT_LINES).splitlines())
        return self._scrub(f"{message}\n  statement:\n{statement}")

    def _scrub(self, text: str) -> str:
        """Never let the password reach a message."""
        if self._password:
            text = text.replace(self._password, "****")
        return text

    # -- catalog -------------------------------------------------------------------------------------

    def relation_kind(self, relation: Relation) -> RelationKind | None:
        # From one listing of the database per run, kept up to date by the DDL elt sends (hive_listing).
        kind = self._listing.kind(_identifier(relation.schema), _identifier(relation.name), self._list_database)
        if kind is not False:
            return "view" if kind == "view" else "table" if kind == "table" else None
        schema, name = _identifier(relation.schema), _identifier(relation.name)
        try:
            rows = self.fetchall(f"SHOW TABLES IN {schema} LIKE '{name}'")
        except AdapterError as exc:
            if _is_missing_schema(exc.message):
                return None
            raise
        # Spark: (namespace, tableName, isTemporary), views included; Hive: (tab_name,).
        if not any(_listed_name(row) == name.lower() for row in rows):
            return None
        try:
            views = self.fetchall(f"SHOW VIEWS IN {schema} LIKE '{name}'")
        except AdapterError:  # Hive < 2.2 has no SHOW VIEWS
            return "view" if self._described_as_view(relation) else "table"
        return "view" if any(_listed_name(row) == name.lower() for row in views) else "table"

    def _list_database(self, schema: str) -> dict[str, str] | None:
        """name -> 'table' | 'view' for every relation of `schema` ({} if it does not exist), or None
        when the server has no SHOW VIEWS (Hive < 2.2)."""
        try:
            rows = self.fetchall(f"SHOW TABLES IN {schema}")
        except AdapterError as exc:
            if _is_missing_schema(exc.message):
                return {}
            raise
        # Spark: (namespace, tableName, isTemporary), views included; Hive: (tab_name,).
        listing = {_listed_name(row): "table" for row in rows if not (len(row) > 2 and row[2] is True)}
        try:
            views = self.fetchall(f"SHOW VIEWS IN {schema}")
        except AdapterError:
            return None
        for row in views:
            if not (len(row) > 2 and row[2] is True):
                listing[_listed_name(row)] = "view"
        return listing

    def _described_as_view(self, relation: Relation) -> bool:
        for row in self.fetchall(f"DESCRIBE FORMATTED {relation}"):
            label = str(row[0] or "").strip().rstrip(":").lower()
            if label in ("type", "table type"):
                return "VIEW" in str(row[1] or "").upper()
        return False

    def create_schema(self, schema: str) -> None:
        self.execute(f"CREATE DATABASE IF NOT EXISTS {_identifier(schema)}")

    def get_columns(self, relation: Relation) -> list[Column]:
        columns: list[Column] = []
        for row in self.fetchall(f"DESCRIBE {_qualified(relation)}"):
            name = str(row[0] or "").strip()
            # Partition columns are listed again after '# Partition Information'; stop at any section.
            if not name or name.startswith("#"):
                break
            comment = str(row[2] or "") if len(row) > 2 else ""
            columns.append(Column(name=name, data_type=str(row[1] or "").strip(), description=comment))
        return columns

    # -- incremental loads (see Adapter); Hive writes whole partitions with INSERT OVERWRITE ----------

    def insert_into(self, relation: Relation, source: Relation, columns: Sequence[str],
                    select: Sequence[str], partition_by: Sequence[str] = ()) -> None:
        # `columns` is the table's own order (partition columns last), so the SELECT is positional.
        # Dynamic partitions (and, on Spark, dynamic overwrite) are set for every session: _session_settings.
        partition = f" PARTITION ({', '.join(partition_by)})" if partition_by else ""
        self.execute(f"INSERT INTO TABLE {relation}{partition}\nSELECT {', '.join(select)} FROM {source}")

    def insert_overwrite(self, relation: Relation, source: Relation, columns: Sequence[str],
                         select: Sequence[str], partition_by: Sequence[str]) -> None:
        # One statement: the partitions present in `source` are replaced, all others stay.
        # Dynamic partitions (and, on Spark, dynamic overwrite) are set for every session: _session_settings.
        partition = f" PARTITION ({', '.join(partition_by)})" if partition_by else ""
        self.execute(f"INSERT OVERWRITE TABLE {relation}{partition}\nSELECT {', '.join(select)} FROM {source}")

    @classmethod
    def merge_refusal(cls, config: Mapping[str, Any], unique_key: Sequence[str],
                      engine: str) -> tuple[str, str] | None:
        # Hive tables are not transactional unless declared so, and elt then creates the table as a Hive
        # ACID table (STORED AS ORC, TBLPROPERTIES ('transactional'='true')): refuse what would make that
        # table impossible or the MERGE fail.
        if not declares_transactional(config):
            return (f"merge needs a table that supports MERGE, and {engine} tables are not transactional unless "
                    "declared so",
                    "set transactional=true (elt then creates the table as ACID: ORC, 'transactional'='true'; "
                    "Hive 2 also needs clustered_by and buckets), or use insert_overwrite with partition_by, "
                    "or append")
        problems = merge_problems(config, unique_key)
        if not problems:
            return None
        return (f"merge on {engine} needs an ACID table, and this config prevents it: " + "; ".join(problems),
                "e.g. config(materialized='incremental', incremental_strategy='merge', unique_key='id', "
                "transactional=true, clustered_by=['id'], buckets=4)")

    def merge(self, relation: Relation, source: Relation, columns: Sequence[str], select: Sequence[str],
              unique_key: Sequence[str]) -> None:
        # Only for tables declared transactional (created ACID by table_options); the compile-time
        # check (merge_refusal) refuses merge otherwise, and partition or bucketing columns outside
        # unique_key (Hive cannot UPDATE them).
        self.execute(merge_statement(relation, source, columns, select, unique_key))

    def add_columns(self, relation: Relation, columns: Sequence[Column]) -> None:
        defs = ", ".join(f"{c.name} {c.data_type}" for c in columns)
        self.execute(f"ALTER TABLE {relation} ADD COLUMNS ({defs})")

    def connection_checks(self) -> list[tuple[str, bool, str]]:
        """The auth used, then each step to a working session (DNS, TCP, SASL/auth or HTTP/auth, session
        open, the server's version, a query), up to the first that fails, with what to check."""
        from elt.adapters.hive_transport import STEPS, reach

        tls = f"TLS{'' if self.ssl_verify else ' (certificate not verified)'}" if self.use_ssl else "no TLS"
        via = "binary transport"
        if self.transport_mode == "http":
            via = f"http transport, path /{self.http_path.lstrip('/')}"
        login = (f"service {self.kerberos_service_name}" if self.auth == "KERBEROS"
                 else "no login" if self.auth == "NOSASL" else f"user {self.username!r}"
                 + (" with the profile's password" if self._password else ""))
        rows = [("auth", True, f"{self.auth}, {login}; {via}, {tls}")]
        for step, passed, detail in reach(self.host, self.port, self.connect_timeout):
            rows.append((STEPS[step], passed, detail))
            if not passed:
                return rows
        auth_name = "HTTP/auth" if self.transport_mode == "http" else STEPS["auth"]
        passed_steps = [(auth_name, True, f"{self.auth} login accepted")]
        if self.use_ssl:
            checked = "verified" if self.ssl_verify else "NOT verified (ssl_verify: false)"
            passed_steps.insert(0, (STEPS["tls"], True, f"handshake done, the server's certificate {checked}"))
        self._local.failed_step = None
        try:
            self._connection()
        except AdapterError as exc:
            # A transport failure names its step; else the server refused the session (with a status).
            name = getattr(self._local, "failed_step", None) or STEPS["session"]
            names = [row[0] for row in passed_steps]  # the steps before the failing one passed
            rows.extend(passed_steps if name == STEPS["session"] else
                        passed_steps[:names.index(name)] if name in names else [])
            rows.append((name, False, str(exc)))
            return rows
        rows.extend(passed_steps)
        rows.append((STEPS["session"], True, "session opened, session settings applied"))
        try:
            rows.append(("server", True, self.version()))
            self.fetchall("SELECT 1")
        except AdapterError as exc:
            rows.append(("query", False, str(exc)))
            return rows
        rows.append(("query", True, "SELECT 1 answered"))
        return rows

    def version(self) -> str:
        """`Spark SQL 4.3.0` / `Apache Hive 3.1.3`: from the protocol's GetInfo, else `version()`."""
        connection = self._connection()
        name, number = _dbms_info(connection, "CLI_DBMS_NAME"), _dbms_info(connection, "CLI_DBMS_VER")
        if name and number:
            return f"{name} {number}"
        try:
            return str(self.fetchall("SELECT version()")[0][0])
        except AdapterError as exc:
            log.debug("version() failed: %s", exc.message)
            return f"{self.target.type} server (version unknown)"

    # -- DDL -----------------------------------------------------------------------------------------

    def drop_relation(self, relation: Relation, kind: RelationKind) -> None:
        # Spark's DROP TABLE on a view drops the view: look before dropping, never drop the wrong kind.
        actual = self.relation_kind(relation)
        if actual is None:
            return
        if actual != kind:
            raise AdapterError(
                f"refusing to drop {relation} as a {kind}: it is a {actual}",
                hint=f"drop it yourself if it should go: DROP {actual.upper()} {relation}",
            )
        if kind == "table":
            self._refuse_dropping_a_foreign_folder(relation)
        self.execute(f"DROP {kind.upper()} IF EXISTS {_qualified(relation)}")

    def _refuse_dropping_a_foreign_folder(self, relation: Relation) -> None:
        """DROP deletes a managed table's folder wherever it is. A managed table whose folder is not its
        own (`.../<name>`: after ALTER TABLE ... SET LOCATION, or made by Hive 3 from CREATE TABLE ...
        LOCATION) may share it with the table a rebuild just wrote there: never drop that one."""
        details: dict[str, str] = {}
        for row in self.fetchall(f"DESCRIBE FORMATTED {_qualified(relation)}"):
            label = str(row[0] or "").strip().rstrip(":").lower()
            if label in ("type", "table type", "location") and label not in details:
                details[label] = str(row[1] or "").strip()
        kind = details.get("type", details.get("table type", "")).upper()
        location = details.get("location", "").rstrip("/")
        if "MANAGED" in kind and location and location.rsplit("/", 1)[-1].lower() != relation.name.lower():
            raise AdapterError(
                f"refusing to drop {relation}: it is a managed table whose folder {location} is not its own, "
                "and DROP would delete the files there",
                hint="if the files should stay, copy them or recreate the table as EXTERNAL; then drop it yourself",
            )

    def rename_relation(self, relation: Relation, new_name: str, kind: RelationKind) -> None:
        self.execute(
            f"ALTER {kind.upper()} {_qualified(relation)} RENAME TO {self.rename_target(relation, new_name)}"
        )

    def rename_target(self, relation: Relation, new_name: str) -> str:
        # Qualified on purpose: Hive puts a bare new name into the session's current database.
        return f"{_identifier(relation.schema)}.{_identifier(new_name)}"

    def create_table_as(self, relation: Relation, query: str, config: dict[str, Any]) -> None:
        """CREATE TABLE ... [COMMENT] [PARTITIONED BY] [CLUSTERED BY] [STORED AS] [LOCATION]
        [TBLPROPERTIES] AS query — Hive's clause order, which Spark accepts too.

        Partition columns are given by name only (CTAS takes their types from the query); Spark moves
        them last itself. Hive before 4.0 refuses a partitioned CTAS (error 10068): then the table is
        created from the query's column types and filled with a dynamic-partition INSERT OVERWRITE.
        So is a table with a `location`, as an EXTERNAL table: Spark's CTAS refuses a folder that holds
        files (the previous build's, during a rebuild), and Hive's CTAS cannot make an external table.
        """
        options = table_options(config)  # validates the options before anything is sent
        partitioned = bool(_column_list(config.get("partition_by"), "partition_by"))
        if config.get("location") or (partitioned and self._partitioned_ctas is False):
            self._create_then_insert(relation, query, config)
            return
        try:
            self.execute(f"CREATE TABLE {_qualified(relation)}{options}\nAS\n{query}")
        except AdapterError as exc:
            if not (partitioned and _refuses_partitioned_ctas(exc.message)):
                raise
            log.debug("partitioned CTAS refused by the server; creating the table, then inserting")
            self._partitioned_ctas = False
            self._create_then_insert(relation, query, config)

    def _create_then_insert(self, relation: Relation, query: str, config: dict[str, Any]) -> None:
        """A table without CTAS: the query's types (read from a scratch view), CREATE [EXTERNAL] TABLE
        with the partition columns last, then INSERT OVERWRITE [... PARTITION (cols)] from the view.
        The overwrite replaces whatever files the location held."""
        partition_by = [name.lower() for name in _column_list(config.get("partition_by"), "partition_by")]
        scratch = relation.with_name(relation.name + "__elt_source")
        if self.relation_kind(scratch) == "view":
            self.drop_relation(scratch, "view")
        self.execute(f"CREATE VIEW {_qualified(scratch)} AS\n{query}")
        try:
            columns = {c.name.lower(): c for c in self.get_columns(scratch)}
            missing = [name for name in partition_by if name not in columns]
            if missing:
                raise AdapterError(f"partition_by column(s) {', '.join(missing)} are not in the query of {relation}")
            data = [c for name, c in columns.items() if name not in partition_by]
            definitions = ", ".join(f"`{c.name}` {c.data_type}" for c in data)
            partitions = ", ".join(f"`{columns[name].name}` {columns[name].data_type}" for name in partition_by)
            options = table_options(config, partition_columns=partitions or None)
            external = " EXTERNAL" if config.get("location") else ""
            self.execute(f"CREATE{external} TABLE {_qualified(relation)} ({definitions}){options}")
            select = ", ".join(f"`{c.name}`" for c in data + [columns[name] for name in partition_by])
            partition = f" PARTITION ({', '.join(partition_by)})" if partition_by else ""
            self.execute(
                f"INSERT OVERWRITE TABLE {_qualified(relation)}{partition}\nSELECT {select} FROM {_qualified(scratch)}"
            )
        finally:
            self.drop_relation(scratch, "view")

    def load_rows(
        self, relation: Relation, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not columns:
            raise AdapterError(f"cannot create {relation} without columns")
        names, types = [], []
        for name, hive_type in columns:
            if not _HIVE_TYPE.match(hive_type.strip()):
                raise AdapterError(f"column {name!r} of {relation}: unsupported type {hive_type!r}")
            names.append(_identifier(name))
            types.append(hive_type.strip().lower())
        for number, row in enumerate(rows, start=1):
            if len(row) != len(types):
                raise AdapterError(f"row {number} for {relation} has {len(row)} values for {len(types)} columns")
        definitions = ", ".join(f"{name} {hive_type}" for name, hive_type in zip(names, types, strict=True))
        self.execute(f"CREATE TABLE {_qualified(relation)} ({definitions})")
        # Literal VALUES, never a server-side file: the server may not see our files.
        for start in range(0, len(rows), LOAD_BATCH_ROWS):
            values = ",\n".join(
                "(" + ", ".join(sql_literal(value, kind) for value, kind in zip(row, types, strict=True)) + ")"
                for row in rows[start : start + LOAD_BATCH_ROWS]
            )
            self.execute(f"INSERT INTO TABLE {_qualified(relation)} VALUES\n{values}")


# -- SQL rendering helpers ----------------------------------------------------------------------------


def _identifier(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise AdapterError(f"{name!r} is not a valid Hive identifier", hint="use letters, digits and _")
    return name


def _qualified(relation: Relation) -> str:
    return f"{_identifier(relation.schema)}.{_identifier(relation.name)}"


def string_literal(value: str) -> str:
    r"""A Hive/Spark string literal: backslash escapes (Hive reads `\` as an escape, not `''`).

    >>> string_literal("it's a \\ path\n")
    "'it\\'s a \\\\ path\\n'"
    """
    escaped = (value.replace("\\", "\\\\").replace("'", "\\'")
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t").replace("\0", "\\0"))
    return f"'{escaped}'"


def sql_literal(value: Any, hive_type: str = "") -> str:
    """`value` as a SQL literal for a column of `hive_type` (lower case).

    >>> sql_literal(None, "int"), sql_literal(5, "bigint"), sql_literal("2024-01-31", "date")
    ('NULL', '5L', "DATE '2024-01-31'")
    >>> sql_literal(decimal.Decimal("1.50"), "decimal(10,2)"), sql_literal(True, "boolean")
    ('1.50BD', 'TRUE')
    """
    if value is None:
        return "NULL"
    base = hive_type.split("(")[0].strip()
    if base == "date":
        text = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if isinstance(value, datetime.datetime):
            text = value.date().isoformat()
        return f"DATE {string_literal(text)}"
    if base == "timestamp":
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.UTC).replace(tzinfo=None)
            text = value.isoformat(sep=" ")
        elif isinstance(value, datetime.date):
            text = f"{value.isoformat()} 00:00:00"
        else:
            text = str(value)
        return f"TIMESTAMP {string_literal(text)}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and base in ("tinyint", "smallint", "int", "integer", "bigint", ""):
        # Typed suffixes, so Spark's ANSI store assignment accepts them in narrower columns.
        return f"{value}{ {'tinyint': 'Y', 'smallint': 'S', 'bigint': 'L'}.get(base, '')}"
    if isinstance(value, (int, float, decimal.Decimal)) and base in ("double", "float", "decimal", ""):
        if isinstance(value, float) and not math.isfinite(value):
            return f"CAST({string_literal(str(value))} AS DOUBLE)"
        if base == "decimal" or isinstance(value, decimal.Decimal):
            exact = value if isinstance(value, decimal.Decimal) else decimal.Decimal(repr(value))
            return f"{exact:f}BD"
        return f"{float(value)!r}D"
    if isinstance(value, (int, float, decimal.Decimal)) and base == "boolean":
        return "TRUE" if value else "FALSE"
    if base in ("string", "varchar", "char", ""):
        return string_literal(str(value))
    # A value of another Python type than the column: let the server cast the text.
    return f"CAST({string_literal(str(value))} AS {hive_type})"


def merge_statement(relation: Relation, source: Relation, columns: Sequence[str], select: Sequence[str],
                    unique_key: Sequence[str]) -> str:
    """Hive's MERGE of `source` (alias s) into `relation` (alias t), as DuckDB's merge means it.

    Keys match NULL-safely (`<=>`), so a new row whose key is NULL replaces the table's row with a NULL
    key instead of adding a second one. `columns` is the table's order, `select` the matching column of
    the new rows or NULL where they lack it: such a column is left out of UPDATE SET (matched rows keep
    their value; `SET c = NULL` would erase it) and inserted as NULL. Without a column to update the
    statement only inserts (Hive refuses an empty SET).

    >>> print(merge_statement(Relation("g", "t"), Relation("g", "s"), ["id", "v", "old"], ["id", "v", "NULL"],
    ...                       ["id"]))
    MERGE INTO g.t t USING g.s s ON t.id <=> s.id
    WHEN MATCHED THEN UPDATE SET v = s.v
    WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v, NULL)
    """
    keys = {k.lower() for k in unique_key}
    on = " AND ".join(f"t.{_identifier(k)} <=> s.{_identifier(k)}" for k in unique_key)
    updates = ", ".join(f"{_identifier(c)} = s.{_identifier(v)}" for c, v in zip(columns, select, strict=True)
                        if c.lower() not in keys and v != "NULL")
    values = ", ".join("NULL" if v == "NULL" else f"s.{_identifier(v)}" for v in select)
    matched = f"\nWHEN MATCHED THEN UPDATE SET {updates}" if updates else ""
    return (f"MERGE INTO {_qualified(relation)} t USING {_qualified(source)} s ON {on}{matched}\n"
            f"WHEN NOT MATCHED THEN INSERT VALUES ({values})")


def table_options(config: Mapping[str, Any], *, partition_columns: str | None = None) -> str:
    """The Hive table clauses of a CTAS for a model's config, each on its own line ('' if none).

    `partition_columns` replaces the bare names of `partition_by` (CREATE TABLE needs `name type`).
    A table declared transactional (`transactional=true`, or the tblproperty) is made a Hive ACID
    table: STORED AS ORC and TBLPROPERTIES ('transactional'='true'), what MERGE needs; bucketing
    (required by Hive 2) is the model's clustered_by/buckets.

    >>> print(table_options({"partition_by": "dt", "file_format": "parquet", "tblproperties": {"a": 1}}))
    <BLANKLINE>
    PARTITIONED BY (dt)
    STORED AS PARQUET
    TBLPROPERTIES ('a'='1')
    >>> print(table_options({"transactional": True, "clustered_by": "id", "buckets": 4}))
    <BLANKLINE>
    CLUSTERED BY (id) INTO 4 BUCKETS
    STORED AS ORC
    TBLPROPERTIES ('transactional'='true')
    """
    clauses: list[str] = []
    if config.get("comment"):
        clauses.append(f"COMMENT {string_literal(str(config['comment']))}")
    partition_by = _column_list(config.get("partition_by"), "partition_by")
    if partition_by:
        clauses.append(f"PARTITIONED BY ({partition_columns or ', '.join(partition_by)})")
    clustered_by = _column_list(config.get("clustered_by"), "clustered_by")
    if clustered_by:
        buckets = config.get("buckets")
        if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
            raise AdapterError(f"clustered_by needs `buckets`, a positive integer (got {buckets!r})")
        clauses.append(f"CLUSTERED BY ({', '.join(clustered_by)}) INTO {buckets} BUCKETS")
    properties = config.get("tblproperties") or {}
    if not isinstance(properties, Mapping):
        raise AdapterError("tblproperties must be a mapping of property -> value")
    file_format = str(config.get("file_format") or "").lower()
    if declares_transactional(config):
        # Checked at compile time for incremental merges (HiveAdapter.merge_refusal); here for every
        # other path.
        problems = acid_table_problems(config)
        if problems:
            raise AdapterError(f"a transactional (ACID) Hive table cannot be made: {'; '.join(problems)}")
        file_format = "orc"
        if not any(str(k).lower() == "transactional" for k in properties):
            properties = {**properties, "transactional": "true"}
    if file_format:
        if file_format not in FILE_FORMATS:
            raise AdapterError(f"file_format {file_format!r} is not supported",
                               hint=f"use one of {', '.join(FILE_FORMATS)}")
        clauses.append(f"STORED AS {file_format.upper()}")
    if config.get("location"):
        clauses.append(f"LOCATION {string_literal(str(config['location']))}")
    if properties:
        pairs = ", ".join(
            f"{string_literal(str(k))}={string_literal(_property_value(v))}" for k, v in properties.items()
        )
        clauses.append(f"TBLPROPERTIES ({pairs})")
    return "".join("\n" + clause for clause in clauses)


def acid_table_problems(config: Mapping[str, Any]) -> list[str]:
    """What in a transactional table's config Hive refuses, each with what to do ([] if nothing):
    Hive ACID tables are managed ORC tables with 'transactional'='true'.

    >>> acid_table_problems({"transactional": True, "file_format": "parquet"})
    ["file_format='parquet': Hive ACID tables are stored as ORC (remove it or set 'orc')"]
    """
    problems = []
    file_format = str(config.get("file_format") or "orc").lower()
    if file_format != "orc":
        problems.append(f"file_format={file_format!r}: Hive ACID tables are stored as ORC (remove it or set 'orc')")
    if config.get("location"):
        problems.append("location: a table with a location is EXTERNAL, and external tables cannot be "
                        "transactional (remove location)")
    tblproperties = config.get("tblproperties")
    properties = tblproperties if isinstance(tblproperties, Mapping) else {}
    for key, value in properties.items():
        if str(key).lower() == "transactional" and _property_value(value).lower() != "true":
            problems.append(f"tblproperties {key}={value!r} contradicts transactional=true (remove the "
                            "tblproperty; elt sets it)")
    return problems


def merge_problems(config: Mapping[str, Any], unique_key: Sequence[str]) -> list[str]:
    """What keeps a Hive MERGE into a transactional table with this config from running: the ACID
    table's problems, an insert-only table (it cannot UPDATE), and partition or bucketing columns
    outside the merge key (Hive cannot UPDATE them)."""
    problems = acid_table_problems(config)
    tblproperties = config.get("tblproperties")
    properties = tblproperties if isinstance(tblproperties, Mapping) else {}
    for key, value in properties.items():
        if str(key).lower() == "transactional_properties" and str(value).lower() == "insert_only":
            problems.append("tblproperties transactional_properties='insert_only': insert-only tables cannot "
                            "UPDATE, so MERGE cannot run (remove it)")
    keys = {k.lower() for k in unique_key}
    for option in ("partition_by", "clustered_by"):
        value = config.get(option)
        names = [] if value is None else [value] if isinstance(value, str) else [str(v) for v in value]
        outside = [c for c in names if c.lower() not in keys]
        if outside:
            problems.append(f"{option} column(s) {', '.join(outside)} not in unique_key: Hive's MERGE cannot "
                            "update partition or bucketing columns (add them to unique_key)")
    return problems


def _property_value(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _column_list(value: Any, key: str) -> list[str]:
    if value in (None, "", []):
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise AdapterError(f"{key} must be a column name or a list of column names, got {value!r}")
    return [_identifier(n.strip()) for n in names]


#: What SHOW PARTITIONS answers for a table without partitions, or a view (Spark and Hive).
_NOT_PARTITIONED = re.compile(r"not partitioned|is a view|not allowed on a view|non-partitioned", re.IGNORECASE)


def _partition_spec(text: str) -> dict[str, str | None]:
    """One line of SHOW PARTITIONS: `a=1/b=x%2Fy`, values escaped as in partition folder names.

    >>> _partition_spec("event_date=2024-09-02/kind=a%2Fb"), _partition_spec("d=__HIVE_DEFAULT_PARTITION__")
    ({'event_date': '2024-09-02', 'kind': 'a/b'}, {'d': None})
    """
    from urllib.parse import unquote

    spec: dict[str, str | None] = {}
    for part in text.split("/"):
        name, _, value = part.partition("=")
        spec[unquote(name)] = None if value == "__HIVE_DEFAULT_PARTITION__" else unquote(value)
    return spec


def _one_statement(sql: str) -> str:
    """Strip a trailing `;` (Spark rejects it along with any second statement)."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _first_lines(sql: str, count: int) -> str:
    lines = sql.strip().splitlines()
    head = "\n".join(lines[:count])
    return head + ("\n..." if len(lines) > count else "")


def _listed_name(row: Sequence[Any]) -> str:
    value = row[1] if len(row) >= 2 else row[0]
    return str(value).lower()


# -- driver errors ------------------------------------------------------------------------------------


def _is_sql_error(exc: BaseException) -> bool:
    """A status returned by the server (pyhive OperationalError): the statement, not the wire, failed."""
    return _status(exc) is not None


def _status(exc: BaseException) -> Any:
    response = exc.args[0] if getattr(exc, "args", None) else None
    return getattr(response, "status", None)


# Server statuses that report a transient condition of the server or of a service it depends on,
# not a fault of the statement: running it again later may succeed. Each pattern is matched against
# the server's raw message (Java class names included: they tell a network failure from a user's
# text). Deliberately short: a generic "FAILED: Execution Error, return code 1/2 from ...Task" is NOT
# here, since a task also fails that way on a bad value (a UDF throwing, a failed cast in strict mode),
# which would fail again; it counts only when the message names a network failure (last patterns).
# (pattern, why, despite_sqlstate_42): SQLSTATE class 42 means a fault of the statement and is never
# retried, except Hive's own lock errors, which Hive reports with its default SQLSTATE 42000; those
# patterns are anchored at the start of Hive's message, so no quoted user text can match them.
_TRANSIENT_PATTERNS: tuple[tuple[str, str, bool], ...] = (
    # HiveServer2 3.x hive.server2.limit.connections.per.{user,ipaddress,user.ipaddress}: a new session
    # is refused while that many are open; sessions close as other jobs finish.
    (r"Connection limit (per [a-z:]+ )?reached", "the server's connection limit was reached", False),
    # The metastore's database (MySQL: `Too many connections`) or a proxy refusing more sessions.
    (r"\btoo many (connections|sessions|open sessions)\b", "the server has too many sessions", False),
    # HiveServer2's pool of statement threads and its queue are full; the message says to retry.
    (r"background threadpool cannot accept new task", "the server's statement pool is full", False),
    # YARN refuses a job while its queue already holds its maximum number of applications.
    (r"cannot accept submission of application", "the cluster's job queue is full", False),
    # Hive's lock manager (errors 10041 and 10307): another statement holds a lock on the table.
    (r"^(Error while (compiling|processing) statement: )?FAILED: Error in acquiring locks: "
     r"(Locks on the underlying objects cannot be acquired|Lock acquisition for .* timed out)",
     "a table is locked by another statement", True),
    # Hive ACID: the transaction was aborted because a concurrent one wrote the same table first.
    (r"due to a write conflict on", "a concurrent write conflicted", False),
    # The metastore is down or restarting.
    (r"Could not connect to meta store", "the metastore is unreachable", False),
    # Spark Thrift Server shutting down or restarting: its running jobs are cancelled.
    (r"SparkContext was shut down", "the Spark server is restarting", False),
    # The server (or the job it runs) lost a network connection to a service it depends on (metastore,
    # HDFS, YARN): e.g. "return code -101 from ...MapRedTask. Call From a to b:8032 failed on connection
    # exception: java.net.ConnectException: Connection refused", "java.net.SocketException: Connection
    # reset", a metastore call failing with TTransportException.
    (r"\bjava\.net\.(ConnectException|SocketException|SocketTimeoutException|NoRouteToHostException)\b",
     "the server lost a connection to a service it depends on", False),
    (r"\bTTransportException\b", "the server lost a connection to a service it depends on", False),
)
TRANSIENT_SERVER_ERRORS: tuple[tuple[re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), why, despite_42) for pattern, why, despite_42 in _TRANSIENT_PATTERNS)


def transient_server_error(message: str, sql_state: str | None = None) -> str | None:
    """Why the server's error `message` is transient (to retry), or None for an error of the statement.

    A SQLSTATE of class 42 (syntax error, unknown table or column, access rule) or 22 (a bad value) is
    never transient, whatever the message quotes; Hive's lock errors are the one exception (see
    TRANSIENT_SERVER_ERRORS).

    >>> transient_server_error("Error while processing statement: The background threadpool cannot accept "
    ...                        "new task for execution, please retry the operation", "08S01")
    "the server's statement pool is full"
    >>> transient_server_error("[TABLE_OR_VIEW_NOT_FOUND] ... Connection limit reached", "42P01") is None
    True
    """
    text = message.strip()
    statement_fault = bool(sql_state) and str(sql_state).startswith(("42", "22"))
    for pattern, why, despite_42 in TRANSIENT_SERVER_ERRORS:
        if statement_fault and not (despite_42 and str(sql_state).startswith("42")):
            continue
        if pattern.search(text):
            return why
    return None


def _transient_status(exc: BaseException) -> str | None:
    """`transient_server_error` of a pyhive server status."""
    status = _status(exc)
    if status is None:
        return None
    return transient_server_error(str(status.errorMessage or ""), status.sqlState)


def _is_stale_session(exc: BaseException) -> bool:
    status = _status(exc)
    return status is not None and "Invalid SessionHandle" in str(status.errorMessage or "")


def _is_timeout(exc: BaseException) -> bool:
    from thrift.transport.TTransport import TTransportException

    if isinstance(exc, TTransportException):
        return exc.type == TTransportException.TIMED_OUT or isinstance(getattr(exc, "inner", None), TimeoutError)
    return isinstance(exc, TimeoutError)


def _milliseconds(seconds: float | None) -> int | None:
    return None if seconds is None else max(int(seconds * 1000), 1)


def _is_transport_error(exc: BaseException) -> bool:
    from thrift.transport.TTransport import TTransportException

    return isinstance(exc, (TTransportException, OSError, EOFError))


def _transport_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return _clean_message(str(message))


def _server_message(exc: BaseException) -> str:
    """The server's message of a pyhive error, reduced to what a person needs to read."""
    status = _status(exc)
    if status is None:
        return _transport_message(exc)
    message = _clean_message(status.errorMessage or "")
    state = status.sqlState
    if state and state not in message:
        message += f" (SQLSTATE {state})"
    return message or f"the server reported an error (SQLSTATE {state or 'unknown'})"


def _clean_message(message: str) -> str:
    """First meaningful line of a server message: no Java class names, no plan, no stack.

    >>> _clean_message("Error running query: [X] org.apache.spark.sql.AnalysisException: [X] "
    ...                "No such table. SQLSTATE: 42P01; line 1 pos 14;\\n'Project [*]")
    '[X] No such table. SQLSTATE: 42P01; line 1 pos 14'
    """
    text = message.strip()
    for prefix in ("Error running query:", "Error while compiling statement:", "Error while processing statement:"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    text = _JAVA_CLASS.sub("", text)
    # Spark repeats its error class: "[X] org...Exception: [X] message" -> "[X] message".
    text = re.sub(r"^(\[[A-Z0-9_.]+\])\s+\1\s*", r"\1 ", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0].rstrip(";").strip() if lines else ""


def _dbms_info(connection: Any, kind: str) -> str:
    """The protocol's GetInfo answer (`CLI_DBMS_NAME`: `Spark SQL` / `Apache Hive`), '' if the server
    has none (GetInfo is optional in the protocol)."""
    try:
        from TCLIService.ttypes import TGetInfoReq, TGetInfoType

        response = connection.client.GetInfo(TGetInfoReq(connection.sessionHandle, getattr(TGetInfoType, kind)))
        return str(response.infoValue.stringValue or "").strip()
    except Exception as exc:  # noqa: BLE001 - GetInfo is optional: an older server lacks it
        log.debug("GetInfo %s failed: %r", kind, exc)
        return ""


def _refuses_partitioned_ctas(message: str) -> bool:
    # Hive 2/3: "SemanticException [Error 10068]: CREATE-TABLE-AS-SELECT does not support partitioning ..."
    return "10068" in message or "does not support partitioning" in message


def _is_missing_schema(message: str) -> bool:
    return any(marker in message for marker in ("SCHEMA_NOT_FOUND", "Database does not exist", "42704"))
