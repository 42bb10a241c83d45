"""DuckDB adapter: embedded, one database file (or memory), a cursor per worker thread.

DuckDB lets several cursors of one connection run at once (MVCC); what it refuses is two transactions
changing the same catalog entry, which is why the runner creates schemas before starting workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from elt.adapters.base import CANCELLED, Adapter, RelationKind
from elt.errors import AdapterError, ProjectError
from elt.nodes import Column, Relation

_DDL = re.compile(r"\s*(CREATE|DROP|ALTER)\b", re.IGNORECASE)


#: what an out-of-memory error adds to DuckDB's own advice (which names SET statements elt sends for the user)
_OUT_OF_MEMORY_HINT = ("DuckDB's memory is bounded by `memory_limit` in the profile's target (profiles.yml; "
                       "DuckDB's default is 80% of RAM): raise it, or lower the target's `threads`")


_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
#: A DuckDB type name of a STRUCT, MAP, UNION or LIST (`INT[]`).
_NESTED = re.compile(r"^\s*(STRUCT|MAP|UNION)\s*\(|\]\s*$", re.IGNORECASE)

log = logging.getLogger(__name__)

#: Table data DuckDB may hold in memory before a run pauses to write it to the database file and let
#: it go (DuckDBAdapter.pause). Without it, a 5000-model run held ~900 MB of it by its end; with 128 MB
#: its peak RSS is ~630 MB, with 256 MB ~800 MB, at the same CPU time (bench/README.md). Each pause
#: costs a checkpoint, whose time grows with the number of tables in the database.
TABLE_MEMORY_BOUND = 128 * 2**20
#: seconds between two looks at DuckDB's memory (each a small query, made between nodes).
_LOOK_EVERY = 0.5


def _key(relation: Relation) -> str:
    return str(relation).lower()


class DuckDBAdapter(Adapter):
    type = "duckdb"
    dialect = "duckdb"
    SUPPORTS_TRANSACTIONS = True
    CAN_RENAME_ACROSS_SCHEMAS = False
    SUPPORTS_MERGE = True
    SUPPORTS_DROP_COLUMN = True
    SUPPORTS_ATOMIC_REPLACE = True
    SUPPORTS_EXTERNAL_FILES = True
    DRIVER_PACKAGES = {"duckdb": "duckdb"}
    DEFAULT_SCHEMA = "main"
    CAN_PULL_INTO = True

    @classmethod
    def with_default_settings(cls, settings: dict[str, Any], *, project_name: str,
                              target_path: str) -> dict[str, Any]:
        if settings.get("path") is not None:
            return settings
        # Without a path DuckDB would be in memory, and what `elt seed` loaded would be gone before
        # `elt run`: the database goes where the rest of the project's output goes.
        return {**settings, "path": f"{target_path}/{project_name}.duckdb"}

    @classmethod
    def database_name(cls, settings: Mapping[str, Any]) -> str | None:
        # DuckDB names the catalog of a database file after the file (as dbt-duckdb's target.database)
        if settings.get("database"):
            return str(settings["database"])
        path = str(settings.get("path") or ":memory:")
        if path == ":memory:" or path.startswith(":memory:"):
            return "memory"
        return Path(path.removeprefix("md:")).name.split(".")[0]

    def __init__(self, target: Any) -> None:
        super().__init__(target)
        self._connection: Any = None
        self._local = threading.local()
        self._cursors: list[Any] = []
        self._lock = threading.Lock()
        # Kinds of relations this adapter looked up or made ('table', 'view', None: nothing). A process
        # that has a DuckDB file open for writing is its only writer, so they stay true while it is
        # open, as long as every change goes through the methods that note it: other DDL sent with
        # execute() forgets them all, and so does a rolled-back transaction.
        self._kinds: dict[str, RelationKind | None] = {}
        #: `_kinds` lists every relation of the database (read in one go): a name not in it is free.
        self._kinds_complete = False
        #: Bumped by every change `_kinds` does not follow: a catalog read or probe that began before
        #: it is not noted (it may have missed the change). `_read_at`: the generation last read.
        self._generation = 0
        self._read_at = -1
        #: DuckDB's own thread count when opened (the cores it may use).
        self._cores = 1
        #: when to look at DuckDB's memory again (wants_pause), and the table data that calls for a pause.
        self._next_look = 0.0
        self._pause_above = TABLE_MEMORY_BOUND

    @property
    def path(self) -> str:
        """The database: ":memory:", a MotherDuck "md:" name, or a file (relative to the project).

        Raises:
            ProjectError: the profile's `path` is not a non-empty string.
        """
        raw = self.target.settings.get("path", ":memory:")
        if not isinstance(raw, str) or not raw.strip():
            raise self._profile_error(
                f"`path` must be a file path or \":memory:\", not {raw!r}",
                'write e.g. `path: target/my_project.duckdb` (or leave it out for target/<project name>.duckdb)',
            )
        if raw == ":memory:" or raw.startswith("md:"):
            return raw
        path = Path(raw).expanduser()
        if not path.is_absolute() and self.target.project_root is not None:
            path = self.target.project_root / path
        return str(path)

    def lock_key(self) -> str | None:
        # The file's real path: `target/x.duckdb`, `./target/x.duckdb` and a symlink to it are one
        # database. Two processes cannot even open one file (DuckDB locks it); the run lock turns that
        # into elt's message, or a wait with --wait.
        path = self.path
        if path == ":memory:":
            return None
        return f"duckdb:{path if path.startswith('md:') else os.path.realpath(path)}"

    def _profile_error(self, message: str, hint: str) -> ProjectError:
        """An error in this target's settings, naming profiles.yml and the target."""
        return ProjectError(f"target {self.target.name!r}: {message}", path=self.target.profiles_path, hint=hint)

    def open(self) -> None:
        import duckdb

        if self._connection is not None:
            return
        path = self.path
        in_file = path != ":memory:" and not path.startswith("md:")
        if in_file:
            self._make_folder(Path(path).parent)
        new_file = in_file and not Path(path).exists()
        try:
            self._connection = duckdb.connect(path)
        except duckdb.Error as exc:
            message = f"cannot open DuckDB database {path}: {_clean(exc)}"
            if "lock" in str(exc).lower():
                raise AdapterError(message, hint="is another process (a running elt, a DuckDB shell) holding it?"
                                   ) from None
            raise AdapterError(message, path=self.target.profiles_path,
                               hint=f"`path` of target {self.target.name!r} must name a DuckDB database file "
                               "(or a new file in a folder elt can write to)") from None
        try:
            # Settings first: a wrong one is the profile's error, found before elt writes anything.
            self._prepare(self._connection)
            self._apply_settings(self._connection)
            self._cores = int(self._connection.execute("SELECT current_setting('threads')").fetchall()[0][0])
            # The Hive-compatibility macros live in the database (the views elt creates call them,
            # from any DuckDB client); registered once here, before any worker thread starts.
            from elt.dialects.duckdb_functions import register

            register(self._connection)
        except BaseException:
            self._connection.close()
            self._connection = None
            if new_file:  # a wrong setting leaves no empty database behind
                for leftover in (path, f"{path}.wal"):
                    with contextlib.suppress(OSError):
                        Path(leftover).unlink()
            raise

    def _make_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
            problem = (f"{blocker} is not a folder" if blocker is not None and not blocker.is_dir()
                       else f"cannot create the folder {folder}: {exc.strerror}")
            raise self._profile_error(f"no folder for the DuckDB database: {problem}",
                                      "set `path` to a file in a folder elt can create or write to") from None

    def _prepare(self, cursor: Any) -> None:
        import duckdb

        timezone = self.target.settings.get("timezone") or "UTC"
        try:
            cursor.execute(f"SET TimeZone = '{str(timezone).replace(chr(39), '')}'")
        except duckdb.Error as exc:
            # DuckDB's message ends with 'Candidate time zones: "A", "B"': worth passing on.
            close = re.findall(r'"([^"]+)"', str(exc).partition("Candidate time zones:")[2])
            also = f"; close names: {', '.join(close)}" if close else ""
            raise self._profile_error(
                f"DuckDB does not know the timezone {timezone!r}",
                f"set `timezone` to an IANA name such as UTC or Europe/Paris{also}",
            ) from None

    def duckdb_settings(self) -> dict[str, str]:
        """The DuckDB settings the profile asks for: `memory_limit`, and any under `settings:` (as in dbt-duckdb).

        elt sets no memory bound of its own: without `memory_limit` DuckDB keeps its default (80% of
        RAM). A smaller default bounds elt's memory on large projects (256MB: a 5000-model build peaks
        at 1.0 GB instead of 1.7 GB, bench/README.md) but makes DuckDB refuse work it otherwise does (a
        GROUP BY collecting 5 million strings runs out of memory at 256MB). A query that works must not
        start failing for a benchmark figure, so the bound is the user's, and an out-of-memory error
        says where to set it (_OUT_OF_MEMORY_HINT). What a run holds of the tables it builds is let go
        in pauses between nodes instead (`pause`).

        Raises:
            ProjectError: `settings` is not a mapping, or a value is not a plain string or number.
        """
        raw = self.target.settings.get("settings") or {}
        if not isinstance(raw, dict):
            raise self._profile_error(f"`settings` must be a mapping of DuckDB settings, not {raw!r}",
                                      "write e.g. `settings: {memory_limit: 1GB}`")
        chosen: dict[str, Any] = {str(key): value for key, value in raw.items()}
        if self.target.settings.get("memory_limit") is not None:
            chosen["memory_limit"] = self.target.settings["memory_limit"]
        for key, value in chosen.items():
            if not isinstance(value, (str, int, float)) or not _SETTING.match(key):
                raise self._profile_error(f"DuckDB setting `{key}` cannot be {value!r}",
                                          "write a DuckDB setting name and a single value, e.g. `memory_limit: 1GB`")
        # YAML's true/false as DuckDB writes them
        return {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in chosen.items()}

    def _apply_settings(self, connection: Any) -> None:
        import duckdb

        for key, value in self.duckdb_settings().items():
            literal = value.replace("'", "''")
            try:
                connection.execute(f"SET GLOBAL {key} = '{literal}'")
            except duckdb.Error as exc:
                example = "e.g. `memory_limit: 1GB` (or 512MB, or 50%)" if key == "memory_limit" else \
                    "see DuckDB's list of settings (SELECT * FROM duckdb_settings())"
                raise self._profile_error(f"DuckDB refuses `{key}: {value}`: {_clean(exc)}",
                                          f"fix `{key}` in the profile, {example}") from None

    def plan_concurrency(self, threads: int) -> None:
        # DuckDB runs a query on the calling thread plus a pool of `threads - 1` background threads
        # that every cursor shares. With several models built at once the callers already keep the
        # cores busy; a full pool on top makes them fight over the cores, and the small queries of a
        # typical model spend more handing tasks around than computing (~15% more CPU building 4
        # models at once on 2 cores). So the callers and the pool together match the cores.
        if self._connection is None or threads <= 1 or "threads" in (self.target.settings.get("settings") or {}):
            return  # (a `threads` DuckDB setting in the profile is the user's choice)
        with contextlib.suppress(Exception):  # a tuning knob, never a reason to fail a run
            self._connection.execute(f"SET threads = {max(1, self._cores - threads + 1)}")

    # Memory. DuckDB keeps every table a run builds in memory until a checkpoint writes it to the file,
    # and a checkpoint cannot run while another connection writes: with several models built at once
    # there is never such a moment, so neither DuckDB's automatic checkpoints (past 16 MB of WAL) nor a
    # CHECKPOINT from elt happen until the run ends, and all of it is held (~190 KB per small table).
    # Once written, the blocks stay in DuckDB's buffer pool until its memory limit (80% of RAM).
    # A lower memory_limit would bound both, but also fails or slows queries that DuckDB's default
    # runs (an aggregation needing one 128 MB allocation fails at 256MB, even with a temp directory to
    # spill to). So the limit stays DuckDB's, and when the table data held passes TABLE_MEMORY_BOUND
    # the run pauses between nodes: a CHECKPOINT writes it (work the end of the run would do anyway),
    # then the limit is lowered for an instant, which makes DuckDB drop the blocks it can read again
    # from the file, and set back.

    def _table_memory(self) -> int:
        rows = self._connection.execute(
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
            "WHERE tag IN ('IN_MEMORY_TABLE', 'BASE_TABLE')").fetchall()
        return int(rows[0][0])

    def wants_pause(self) -> bool:
        if self._connection is None or self.path == ":memory:" or self.path.startswith("md:"):
            return False  # an in-memory database has no file to write its tables to
        now = time.monotonic()
        if now < self._next_look:
            return False
        self._next_look = now + _LOOK_EVERY
        try:
            return self._table_memory() > self._pause_above
        except Exception:  # noqa: BLE001 - a look at memory, never a reason to fail a run
            return False

    def pause(self) -> None:
        import duckdb

        if self._connection is None:
            return
        started = time.perf_counter()
        try:
            before = self._table_memory()
            self._connection.execute("CHECKPOINT")
            settings = self.duckdb_settings()
            chosen = settings.get("memory_limit", settings.get("max_memory"))
            try:
                self._connection.execute(f"SET GLOBAL memory_limit = '{TABLE_MEMORY_BOUND // 4 // 2**20}MB'")
            except duckdb.Error:
                pass  # DuckDB could not drop enough: it dropped what it could, and kept the limit
            finally:
                self._connection.execute("RESET GLOBAL memory_limit" if chosen is None else
                                         f"SET GLOBAL memory_limit = '{chosen.replace(chr(39), '')}'")
            after = self._table_memory()
        except duckdb.Error as exc:  # e.g. a write transaction still open: the next look tries again
            log.debug("DuckDB pause: %s", _clean(exc))
            return
        # A pause that could not release much is not asked for again until as much more is held.
        self._pause_above = after + TABLE_MEMORY_BOUND
        log.debug("DuckDB pause: table data %d MB -> %d MB in %.2f s", before >> 20, after >> 20,
                  time.perf_counter() - started)

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors:
                with contextlib.suppress(Exception):
                    cursor.close()
            self._cursors.clear()
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        self._local = threading.local()

    def cancel(self) -> None:
        # DuckDB's interrupt() only sets a flag the running query checks, from any thread; a cursor
        # that runs nothing ignores it (its next query runs normally, hence `cancelled`).
        super().cancel()
        with self._lock:
            connections = [c for c in (self._connection, *self._cursors) if c is not None]
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.interrupt()

    def _cursor(self) -> Any:
        if self.cancelled:
            raise AdapterError(CANCELLED)
        aborted = getattr(self._local, "aborted", None)
        if aborted is not None:
            # DuckDB refuses every statement after a failure in a transaction ("Current transaction
            # is aborted"); the clean-ups a failure runs inside one then say the failure itself.
            raise aborted
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            if self._connection is None:
                raise AdapterError("the DuckDB adapter is not open")
            with self._lock:
                cursor = self._connection.cursor()
                self._cursors.append(cursor)
            self._prepare(cursor)
            self._local.cursor = cursor
        return cursor

    def execute(self, sql: str) -> None:
        import duckdb

        untracked_ddl = not getattr(self._local, "noting_kinds", False) and _DDL.match(sql) is not None
        try:
            self._cursor().execute(sql)
        except duckdb.Error as exc:
            # A write-write conflict between concurrent transactions is worth another try.
            raise self._failed(_error(exc, transient=isinstance(exc, duckdb.TransactionException))) from None
        finally:
            if untracked_ddl:
                self._forget_kinds()  # after the statement: a read that overlapped it is not kept

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            rows: list[tuple[Any, ...]] = self._cursor().execute(sql).fetchall()
            return rows
        except duckdb.Error as exc:
            raise self._failed(_error(exc)) from None

    def fetch_table(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        try:
            cursor = self._cursor().execute(sql)
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        except duckdb.Error as exc:
            raise self._failed(_error(exc)) from None

    def _failed(self, error: AdapterError) -> AdapterError:
        """`error`, remembered as what aborted the calling thread's transaction, if one is open."""
        if getattr(self._local, "in_transaction", False):
            self._local.aborted = error
        return error

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._local, "in_transaction", False):
            # Inside a transaction already (a node's hooks and its build are one, elt.run.hooks):
            # part of it; the outer one commits or rolls back.
            yield
            return
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        self._local.in_transaction = True
        try:
            yield
        except BaseException:
            self._local.aborted = None
            cursor.execute("ROLLBACK")
            self._forget_kinds()
            raise
        finally:
            self._local.in_transaction = False
            self._local.aborted = None
        try:
            cursor.execute("COMMIT")
        except BaseException:
            self._forget_kinds()
            raise

    def _forget_kinds(self) -> None:
        with self._lock:
            self._kinds.clear()
            self._kinds_complete = False
            self._generation += 1

    @contextlib.contextmanager
    def _noting(self, changes: dict[str, RelationKind | None]) -> Iterator[None]:
        """Run DDL whose effect on relation kinds is `changes`; note them once it succeeded."""
        self._local.noting_kinds = True
        try:
            yield
        finally:
            self._local.noting_kinds = False
        with self._lock:
            self._kinds.update(changes)

    def drop_relation(self, relation: Relation, kind: RelationKind) -> None:
        with self._noting({_key(relation): None}):
            super().drop_relation(relation, kind)

    def rename_relation(self, relation: Relation, new_name: str, kind: RelationKind) -> None:
        with self._noting({_key(relation): None, _key(relation.with_name(new_name)): kind}):
            super().rename_relation(relation, new_name, kind)

    def create_table_as(self, relation: Relation, query: str, config: dict[str, Any]) -> None:
        with self._noting({_key(relation): "table"}):
            super().create_table_as(relation, query, config)

    def replace_table_as(self, relation: Relation, query: str, config: dict[str, Any]) -> int:
        # One statement, one transaction: DuckDB runs the query, then swaps the catalog entry when it
        # commits; a query that fails rolls back and leaves the old table. CREATE TABLE AS answers
        # with the number of rows it wrote, so no COUNT(*) follows.
        with self._noting({_key(relation): "table"}):
            self.execute(f"CREATE OR REPLACE TABLE {relation} AS\n{query}")
            import duckdb

            try:
                return int(self._cursor().fetchall()[0][0])
            except duckdb.Error as exc:
                raise self._failed(_error(exc)) from None

    def create_view_as(self, relation: Relation, query: str, *, replace: bool) -> None:
        with self._noting({_key(relation): "view"}):
            super().create_view_as(relation, query, replace=replace)

    # Catalog lookups. information_schema.tables/columns (and duckdb_tables(), which they read) gather
    # every table's statistics: 4-7 ms per lookup in a database of 1000 tables, and building one table
    # model asks three times. Views are listed cheaply, and a relation's columns are a DESCRIBE away
    # (same names and type strings, 0.3 ms for a table). Those probes fail for a missing relation,
    # which would abort an open transaction, so inside one the information_schema queries are kept.

    def _is_view(self, relation: Relation) -> bool:
        return bool(self.fetchall(
            "SELECT 1 FROM duckdb_views() WHERE NOT internal "
            f"AND lower(schema_name) = lower('{relation.schema}') AND lower(view_name) = lower('{relation.name}')"
        ))

    def relation_kind(self, relation: Relation) -> RelationKind | None:
        if getattr(self._local, "in_transaction", False):
            return self._relation_kind_from_information_schema(relation)
        key = _key(relation)
        if not self._kinds_complete and self._read_at != self._generation:
            self._read_kinds()
        if key in self._kinds:
            return self._kinds[key]
        if self._kinds_complete:
            return None
        generation = self._generation
        kind = self._probe_kind(relation)
        with self._lock:
            if self._generation == generation:
                self._kinds[key] = kind
        return kind

    def _read_kinds(self) -> None:
        """Every table and view of the database, in one catalog query (~5 ms in a database of 1000
        relations) instead of a probe per relation (~1.5 ms each). Read once per generation: names that
        differ only in case are probed one by one, without reading the catalog again."""
        generation = self._generation
        try:
            rows = self.fetchall(
                "SELECT schema_name || '.' || table_name, 'table' FROM duckdb_tables() "
                "WHERE database_name = current_database() UNION ALL "
                "SELECT schema_name || '.' || view_name, 'view' FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal"
            )
        except AdapterError:
            self._read_at = generation
            return
        with self._lock:
            if self._generation != generation:
                return  # the catalog changed while it was read
            self._read_at = generation
            kinds: dict[str, RelationKind | None] = {}
            ambiguous = set()
            for name, kind in rows:
                key = str(name).lower()
                if key in kinds:
                    ambiguous.add(key)  # names differing only in case: probe them one by one
                kinds[key] = kind
            self._kinds.update({k: v for k, v in kinds.items() if k not in self._kinds and k not in ambiguous})
            self._kinds_complete = not ambiguous

    def _probe_kind(self, relation: Relation) -> RelationKind | None:
        if self._is_view(relation):
            return "view"
        import duckdb

        try:
            self._cursor().execute(f"SELECT 1 FROM {relation} LIMIT 0")
        except duckdb.CatalogException:
            return None
        except duckdb.Error:
            return self._relation_kind_from_information_schema(relation)
        return "table"

    def _relation_kind_from_information_schema(self, relation: Relation) -> RelationKind | None:
        rows = self.fetchall(
            "SELECT table_type FROM information_schema.tables "
            f"WHERE lower(table_schema) = lower('{relation.schema}') AND lower(table_name) = lower('{relation.name}')"
        )
        if not rows:
            return None
        return "view" if rows[0][0] == "VIEW" else "table"

    def create_schema(self, schema: str) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    def drop_if_exists(self, relation: Relation) -> None:
        # Without a probe of its kind: a table's DROP names it, a view's DROP TABLE says it is a view.
        if getattr(self._local, "in_transaction", False):  # a failed statement would abort it
            super().drop_if_exists(relation)
            return
        try:
            self.drop_relation(relation, "table")
        except AdapterError as exc:
            if "is of type View" not in exc.message:
                raise
            self.drop_relation(relation, "view")

    def get_columns(self, relation: Relation) -> list[Column]:
        # DESCRIBE binds a view's query: ~1.5 ms for elt's typed SQL, against 7 ms for the
        # information_schema query in a database of 1000 relations.
        if not getattr(self._local, "in_transaction", False):
            import duckdb

            try:
                described = self._cursor().execute(f"DESCRIBE {relation}").fetchall()
                return [Column(name=row[0], data_type=row[1]) for row in described]
            except duckdb.Error:
                pass  # a missing relation: the catalog answers (no columns)
        rows = self.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE lower(table_schema) = lower('{relation.schema}') AND lower(table_name) = lower('{relation.name}') "
            "ORDER BY ordinal_position"
        )
        return [Column(name=name, data_type=data_type) for name, data_type in rows]

    def version(self) -> str:
        return f"DuckDB {self.fetchall('SELECT version()')[0][0]}"

    def rename_target(self, relation: Relation, new_name: str) -> str:
        return new_name  # DuckDB: RENAME TO takes a bare name and keeps the schema

    def load_rows(
        self, relation: Relation, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        from sqlglot import exp

        column_defs = ", ".join(
            f'"{name}" {exp.DataType.build(hive_type, dialect="hive").sql("duckdb")}' for name, hive_type in columns
        )
        self.execute(f"CREATE TABLE {relation} ({column_defs})")
        # Literal VALUES in batches: ~50x faster than executemany with parameters in DuckDB.
        for start in range(0, len(rows), 1000):
            values = ",\n".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows[start : start + 1000])
            self.execute(f"INSERT INTO {relation} VALUES\n{values}")

    def create_table(self, relation: Relation, columns: Sequence[tuple[str, str]]) -> None:
        definitions = ", ".join(f'"{name}" {data_type}' for name, data_type in columns)
        self.execute(f"CREATE TABLE {relation} ({definitions})")

    def append_columns(self, relation: Relation, types: Sequence[str], columns: Sequence[list[Any]]) -> None:
        # One INSERT per batch, each column a list parameter unnested side by side: ~10x the rows/s of
        # literal VALUES and ~100x executemany (bench/pull_diff.py), with no pandas or pyarrow.
        # Nested values arrive as JSON text (Adapter.transfer_column), which DuckDB's JSON casts read.
        select = ", ".join(
            f"CAST(CAST(unnest(${i}) AS JSON) AS {data_type})" if _NESTED.search(data_type)
            else f"CAST(unnest(${i}) AS {data_type})"
            for i, data_type in enumerate(types, start=1))
        import duckdb

        try:
            self._cursor().execute(f"INSERT INTO {relation} SELECT {select}", list(columns))
        except duckdb.Error as exc:
            raise self._failed(self._unreadable_value(relation, types, columns) or _error(exc)) from None

    def _unreadable_value(self, relation: Relation, types: Sequence[str],
                          columns: Sequence[list[Any]]) -> AdapterError | None:
        """The error naming the first column with a value its type cannot hold, if one has."""
        import duckdb

        names = [column.name for column in self.get_columns(relation)]
        for index, (data_type, values) in enumerate(zip(types, columns, strict=True)):
            read = f"TRY_CAST(TRY_CAST(v AS JSON) AS {data_type})" if _NESTED.search(data_type) \
                else f"TRY_CAST(v AS {data_type})"
            try:
                bad = self._cursor().execute(
                    f"SELECT v FROM (SELECT unnest($1) AS v) WHERE v IS NOT NULL AND {read} IS NULL LIMIT 1",
                    [values]).fetchall()
            except duckdb.Error:
                continue
            if bad:
                name = names[index] if index < len(names) else f"#{index + 1}"
                nested = " (values of nested types must arrive as JSON text)" if _NESTED.search(data_type) else ""
                return AdapterError(f"column {name!r}: the value {str(bad[0][0])[:120]!r} cannot be held as "
                                    f"{data_type}{nested}")
        return None

    def write_file(self, query: str, path: str, file_format: str, options: Mapping[str, Any]) -> int:
        # COPY answers with the number of rows it wrote. https://duckdb.org/docs/sql/statements/copy
        chosen = {"format": file_format, **({"header": True} if file_format == "csv" else {}), **options}
        written = ", ".join(f"{key.upper()} {_option(key, value)}" for key, value in chosen.items())
        self.execute(f"COPY (\n{query}\n) TO {_literal(path)} ({written})")
        import duckdb

        try:
            return int(self._cursor().fetchall()[0][0])
        except duckdb.Error as exc:
            raise self._failed(_error(exc)) from None

    def file_query(self, path: str, file_format: str) -> str:
        reader = {"parquet": "read_parquet", "csv": "read_csv_auto", "json": "read_json_auto"}[file_format]
        return f"SELECT * FROM {reader}({_literal(path)})"


def _option(key: str, value: Any) -> str:
    """A COPY option's value as DuckDB reads it: names and numbers bare, anything else quoted.

    Raises:
        ProjectError: a key that is not a plain name, or a value that is a list or mapping.
    """
    if not _SETTING.match(key) or isinstance(value, (list, dict)):
        raise ProjectError(f"external option `{key}: {value!r}` is not a name and a single value",
                           hint="write options as {compression: zstd, row_group_size: 100000}")
    if isinstance(value, (bool, int, float)):
        return _literal(value)
    return str(value) if _SETTING.match(str(value)) else _literal(value)


def _literal(value: Any) -> str:
    import datetime
    import decimal

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, decimal.Decimal)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, datetime.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _error(exc: BaseException, *, transient: bool = False) -> AdapterError:
    """The AdapterError for a DuckDB exception; a statement interrupted by `cancel()` says so."""
    import duckdb

    if isinstance(exc, duckdb.InterruptException):
        return AdapterError(CANCELLED)
    if isinstance(exc, duckdb.OutOfMemoryException):
        return AdapterError(_clean(exc), hint=_OUT_OF_MEMORY_HINT)
    return AdapterError(_clean(exc), transient=transient)


def _clean(exc: BaseException) -> str:
    """DuckDB messages start with the error class ('Catalog Error: ...'); keep them, drop blank lines."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())
