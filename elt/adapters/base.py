"""The adapter contract: the small set of operations elt needs from a SQL engine.

An adapter owns connections (one per worker thread), runs statements in its engine's dialect, answers
catalog questions, and turns driver exceptions into `AdapterError` with the engine's own message.
Engine differences that materializations must know about are capability flags on the class, never
checks of the engine's name. Adapters import nothing from the compiler, planner or runner.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

from elt.errors import AdapterError, EltError
from elt.nodes import Column, Relation
from elt.project.config import TargetConfig

RelationKind = Literal["table", "view"]
#: the message of every statement ended or refused by `Adapter.cancel()`.
CANCELLED = "cancelled: elt was interrupted"


class Adapter(ABC):
    """Base class for engine adapters.

    Thread-safety: after `open()`, every method may be called from several worker threads at once;
    the adapter gives each thread its own connection or cursor.
    """

    #: profile `type` values this adapter serves.
    type: ClassVar[str]
    #: sqlglot dialect the engine speaks; model SQL is translated into it before it runs.
    dialect: ClassVar[str]
    #: the schema relations go to when neither their config nor the profile names one.
    DEFAULT_SCHEMA: ClassVar[str] = "default"
    #: DDL can run inside a transaction that is rolled back on failure (DuckDB yes, Hive no).
    SUPPORTS_TRANSACTIONS: ClassVar[bool] = False
    #: `ALTER TABLE a.x RENAME TO b.y` works (Hive/Spark: no; build temporaries in the same schema).
    CAN_RENAME_ACROSS_SCHEMAS: ClassVar[bool] = False
    #: Hive table options (partition_by, file_format, ...) are applied rather than ignored.
    SUPPORTS_TABLE_OPTIONS: ClassVar[bool] = False
    #: incremental merge works on any table (DuckDB); Hive needs tables declared transactional.
    SUPPORTS_MERGE: ClassVar[bool] = False
    #: ALTER TABLE ... DROP COLUMN works (on_schema_change: sync_all_columns).
    SUPPORTS_DROP_COLUMN: ClassVar[bool] = False
    #: `replace_table_as` swaps a table for a query's rows in one atomic statement (a failing query
    #: leaves the old table as it was), so no temporary table and rename are needed.
    SUPPORTS_ATOMIC_REPLACE: ClassVar[bool] = False
    #: counting a built table's rows is cheap (no job on a cluster): a run reports the rows of each table
    #: it builds. Where a count is a job of its own (Hive, Spark), the run leaves it out.
    CHEAP_ROW_COUNT: ClassVar[bool] = True
    #: the engine writes a query's rows to a file on this machine and reads files back
    #: (`write_file`, `file_query`): materialized='external'.
    SUPPORTS_EXTERNAL_FILES: ClassVar[bool] = False
    #: the driver's modules, each with the PyPI distribution that provides it: checked when an adapter
    #: is made, so a missing one is an error naming the package rather than an ImportError mid-run.
    DRIVER_PACKAGES: ClassVar[dict[str, str]] = {}
    #: `elt pull` reads relations from this engine (`stream_rows`, `partitions`, `transfer_column`).
    CAN_PULL_FROM: ClassVar[bool] = False
    #: `elt pull` writes relations into this engine (`create_table`, `append_columns`).
    CAN_PULL_INTO: ClassVar[bool] = False

    @classmethod
    def with_default_settings(cls, settings: dict[str, Any], *, project_name: str,
                              target_path: str) -> dict[str, Any]:
        """A profile output's settings with this engine's defaults filled in (read when the profile is
        loaded, so every command and artifact sees them). The default: the settings as given.

        Args:
            settings: the output's keys, rendered.
            project_name: `[tool.elt] name`.
            target_path: the project's output folder (`target-path`), relative to the project.
        """
        return settings

    @classmethod
    def database_name(cls, settings: Mapping[str, Any]) -> str | None:
        """The database relations are built in (`target.database`, the only one a `database` config may
        name), from the output's settings (with the defaults); None where the engine has none."""
        return None

    @classmethod
    def merge_refusal(cls, config: Mapping[str, Any], unique_key: Sequence[str],
                      engine: str) -> tuple[str, str] | None:
        """Why an incremental model with this config cannot be merged into on this engine, checked at
        compile time: (problem, what to do), or None when it can. The default finds nothing; an engine
        that merges only into some tables (not SUPPORTS_MERGE) says here which.

        Args:
            config: the model's config.
            unique_key: the model's merge key columns.
            engine: the target's type, as the user wrote it, for the message.
        """
        return None

    def __init__(self, target: TargetConfig) -> None:
        _require_driver(type(self), target)
        self.target = target
        self._recorders = threading.local()
        #: `cancel()` was called: every statement from now on fails at once.
        self.cancelled = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every statement an adapter sends goes through its `execute`; wrapping it here (rather than
        # asking each adapter to remember) is what lets `recording()` see exactly what was sent.
        super().__init_subclass__(**kwargs)
        execute = cls.__dict__.get("execute")
        if execute is not None and not getattr(execute, "_elt_recorded", False):
            cls.execute = _recorded(execute)  # type: ignore[method-assign]

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[str]]:
        """Collect every statement `execute` sends from the calling thread inside the block."""
        statements: list[str] = []
        previous = getattr(self._recorders, "current", None)
        self._recorders.current = statements
        try:
            yield statements
        finally:
            self._recorders.current = previous

    # -- lifecycle -------------------------------------------------------------------------------

    @abstractmethod
    def open(self) -> None:
        """Connect (and check the connection works).

        Raises:
            AdapterError: the engine cannot be reached or refuses the credentials.
        """

    @abstractmethod
    def close(self) -> None:
        """Close every connection this adapter opened. Safe to call twice."""

    def lock_key(self) -> str | None:
        """What identifies the database this adapter writes to, for the run lock (elt.run.lock): two
        targets with one key are one writer, and take turns. None: no other process can write to it
        (an in-memory database), so no lock is needed. Known without connecting.

        The default, for an engine that does not say, is the target's name.
        """
        return f"target:{self.target.name}"

    def plan_concurrency(self, threads: int) -> None:  # noqa: B027 - optional hook, empty by default
        """The run is about to build up to `threads` nodes at once, each on its own connection: an
        engine running queries on this machine's cores may size its own parallelism to match. The
        default does nothing."""

    def wants_pause(self) -> bool:
        """Whether the engine asks for a moment with no statement running on any of this adapter's
        connections (for work it can only do then, e.g. releasing memory); the runner then starts no
        new node until the running ones end, and calls `pause()`. Called between nodes, often: it must
        be cheap. The default never asks."""
        return False

    def pause(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Called by the runner while no statement runs, after `wants_pause()` said True. Must not
        fail the run: what it cannot do now it leaves for later. The default does nothing."""

    def cancel(self) -> None:
        """Interrupt the statements running on this adapter's connections and refuse every later
        one: each ends in `AdapterError(CANCELLED)`. Called from another thread than the ones running
        the statements (a second Ctrl-C); must not wait for them.

        The default, for an engine that cannot interrupt a statement, only refuses later statements;
        engines that can interrupt override it and call it first.
        """
        self.cancelled = True

    def __enter__(self) -> Adapter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements ------------------------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement on the calling thread's connection.

        Raises:
            AdapterError: the engine rejected the statement (message without driver noise).
        """

    @abstractmethod
    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""

    def fetch_table(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one query; return (column names, rows). Engines that cannot name the columns
        return an empty list of names."""
        return [], self.fetchall(sql)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group statements atomically where the engine can (see SUPPORTS_TRANSACTIONS).

        The default, for engines without transactions, runs them one by one.
        """
        yield

    # -- catalog ---------------------------------------------------------------------------------

    @abstractmethod
    def relation_kind(self, relation: Relation) -> RelationKind | None:
        """'table', 'view', or None when nothing of that name exists."""

    @abstractmethod
    def create_schema(self, schema: str) -> None:
        """Create the schema (Hive: database) if it does not exist."""

    @abstractmethod
    def get_columns(self, relation: Relation) -> list[Column]:
        """Columns of an existing relation, in order, with engine types."""

    @abstractmethod
    def version(self) -> str:
        """The engine's version string, for `elt debug`."""

    def connection_checks(self) -> list[tuple[str, bool, str]]:
        """`elt debug`'s checks of the connection, in order: (check, passed, detail) rows, the last one
        failed when the connection did not work. The default: connect, the version, `SELECT 1`.
        Engines with several steps to a session (name resolution, login, ...) say which one failed."""
        try:
            self.open()
            version = self.version()
            self.fetchall("SELECT 1")
        except EltError as exc:  # a refused connection, or a setting the engine refuses when it opens
            return [("connection", False, str(exc))]
        return [("connection", True, version)]

    # -- DDL used by materializations --------------------------------------------------------------

    def drop_relation(self, relation: Relation, kind: RelationKind) -> None:
        self.execute(f"DROP {kind.upper()} IF EXISTS {relation}")

    def drop_if_exists(self, relation: Relation) -> None:
        """Drop whatever table or view has this name, if any."""
        kind = self.relation_kind(relation)
        if kind is not None:
            self.drop_relation(relation, kind)

    def rename_relation(self, relation: Relation, new_name: str, kind: RelationKind) -> None:
        """Rename within the relation's own schema."""
        self.execute(f"ALTER {kind.upper()} {relation} RENAME TO {self.rename_target(relation, new_name)}")

    def rename_target(self, relation: Relation, new_name: str) -> str:
        """How the new name is written in ALTER ... RENAME TO (engines differ on qualifying it)."""
        return f"{relation.schema}.{new_name}"

    def create_table_as(self, relation: Relation, query: str, config: dict[str, Any]) -> None:
        """CREATE TABLE relation AS query (query already in this engine's dialect).

        Engines with SUPPORTS_TABLE_OPTIONS apply the Hive options found in `config`.
        """
        self.execute(f"CREATE TABLE {relation} AS\n{query}")

    def replace_table_as(self, relation: Relation, query: str, config: dict[str, Any]) -> int:
        """Atomically replace the table `relation` (or create it) with the rows of `query`; return
        how many rows it has. Only asked of engines with SUPPORTS_ATOMIC_REPLACE."""
        raise NotImplementedError

    def create_view_as(self, relation: Relation, query: str, *, replace: bool) -> None:
        verb = "CREATE OR REPLACE VIEW" if replace else "CREATE VIEW"
        self.execute(f"{verb} {relation} AS\n{query}")

    # -- incremental loads -------------------------------------------------------------------------
    # `source` is a table holding the new rows; `columns` the target's columns to fill, in order.

    def insert_into(self, relation: Relation, source: Relation, columns: Sequence[str],
                    select: Sequence[str], partition_by: Sequence[str] = ()) -> None:
        """INSERT INTO relation (columns) SELECT select FROM source (partition columns come last)."""
        self.execute(f"INSERT INTO {relation} ({', '.join(columns)})\nSELECT {', '.join(select)} FROM {source}")

    def insert_overwrite(self, relation: Relation, source: Relation, columns: Sequence[str],
                         select: Sequence[str], partition_by: Sequence[str]) -> None:
        """Replace exactly the partitions present in `source` (all rows when no partition_by).

        The default, for engines without partitions, deletes those partition values and inserts; the
        caller runs it inside `transaction()` so that both happen or neither.
        """
        if partition_by:
            keys = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in partition_by)
            self.execute(f"DELETE FROM {relation} t WHERE EXISTS (SELECT 1 FROM {source} s WHERE {keys})")
        else:
            self.execute(f"DELETE FROM {relation}")
        self.insert_into(relation, source, columns, select, partition_by)

    def merge(self, relation: Relation, source: Relation, columns: Sequence[str], select: Sequence[str],
              unique_key: Sequence[str]) -> None:
        """Rows of `source` replace the rows of `relation` with the same unique_key; new keys are added.

        The default is SQL's MERGE (DuckDB 1.4+). Keys match NULL-safely, so a row whose key is NULL
        replaces the table's row with a NULL key instead of adding another one; a column the new rows
        lack (`select` says NULL) keeps its value in updated rows.
        """
        keys = {k.lower() for k in unique_key}
        on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in unique_key)
        updates = ", ".join(f"{c} = s.{v}" for c, v in zip(columns, select, strict=True)
                            if c.lower() not in keys and v != "NULL")
        values = ", ".join("NULL" if v == "NULL" else f"s.{v}" for v in select)
        matched = f"\nWHEN MATCHED THEN UPDATE SET {updates}" if updates else ""
        self.execute(f"MERGE INTO {relation} t USING {source} s ON ({on}){matched}\n"
                     f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) VALUES ({values})")

    def create_table_like(self, relation: Relation, like: Relation) -> None:
        """An empty table with the columns, partitioning and storage of `like`."""
        self.execute(f"CREATE TABLE {relation} LIKE {like}")

    def add_columns(self, relation: Relation, columns: Sequence[Column]) -> None:
        for column in columns:
            self.execute(f"ALTER TABLE {relation} ADD COLUMN {column.name} {column.data_type}")

    def drop_columns(self, relation: Relation, names: Sequence[str]) -> None:
        for name in names:
            self.execute(f"ALTER TABLE {relation} DROP COLUMN {name}")

    def alter_column_type(self, relation: Relation, name: str, data_type: str) -> None:
        """Change a column's type, converting its values (on_schema_change: sync_all_columns; only
        asked of engines with SUPPORTS_DROP_COLUMN)."""
        self.execute(f"ALTER TABLE {relation} ALTER COLUMN {name} SET DATA TYPE {data_type}")

    def row_count(self, relation: Relation) -> int:
        return int(self.fetchall(f"SELECT COUNT(*) FROM {relation}")[0][0])

    def load_rows(
        self, relation: Relation, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Create `relation` with the given (name, Hive type) columns and insert `rows`.

        `rows` hold Python values already converted to the column types (None for NULL).
        """
        raise NotImplementedError

    # -- copying relations between engines (elt pull: CAN_PULL_FROM, CAN_PULL_INTO) -----------------
    # Values travel as the driver gives them, except decimals and timestamps (text, read exactly by
    # the receiving engine) and STRUCT/ARRAY/MAP values (JSON text, parsed on arrival).

    def stream_rows(self, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """Run one query and yield its rows in batches of at most `batch_rows`, never all at once.

        Raises:
            AdapterError: the engine refused the query, or the connection dropped mid-way (transient).
        """
        raise NotImplementedError

    def partitions(self, relation: Relation) -> list[dict[str, str | None]]:
        """The partitions of a table, each as {partition column: value as text}, in the catalog's
        order; a NULL value is None. Empty for a table without partitions (the default)."""
        return []

    def transfer_column(self, name: str, data_type: str) -> str:
        """How a SELECT sent to `stream_rows` reads the column `name` of catalog type `data_type` so
        that its values travel as the section above says. The default: the column itself."""
        return name

    def create_table(self, relation: Relation, columns: Sequence[tuple[str, str]]) -> None:
        """An empty table of (name, type in this engine's dialect) columns."""
        raise NotImplementedError

    def append_columns(self, relation: Relation, types: Sequence[str], columns: Sequence[list[Any]]) -> None:
        """Insert rows given column by column (`columns[i]` holds every value of column i, as
        `stream_rows` of another engine gave them) into `relation`, whose column types are `types`.

        Raises:
            AdapterError: a value the column type cannot hold (naming the column when it can).
        """
        raise NotImplementedError

    # -- files (SUPPORTS_EXTERNAL_FILES) -------------------------------------------------------------

    def write_file(self, query: str, path: str, file_format: str, options: Mapping[str, Any]) -> int:
        """Write the rows of `query` to the file `path` (parquet, csv or json; `options` for the
        engine's writer); return how many rows it wrote."""
        raise NotImplementedError

    def file_query(self, path: str, file_format: str) -> str:
        """A query reading the rows of the file `path`."""
        raise NotImplementedError


def _recorded(execute: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(execute)
    def wrapper(self: Adapter, sql: str, *args: Any, **kwargs: Any) -> Any:
        statements = getattr(self._recorders, "current", None)
        if statements is not None:
            statements.append(sql)
        return execute(self, sql, *args, **kwargs)

    wrapper._elt_recorded = True  # type: ignore[attr-defined]
    return wrapper


def _require_driver(cls: type[Adapter], target: TargetConfig) -> None:
    """Raise a clear AdapterError when a module of the adapter's driver is not installed.

    Raises:
        AdapterError: names the missing distributions and the pip command that installs them.
    """
    missing = [package for module, package in cls.DRIVER_PACKAGES.items() if importlib.util.find_spec(module) is None]
    if missing:
        names = " ".join(dict.fromkeys(missing))
        raise AdapterError(
            f"the {target.type} target {target.name!r} needs the Python package(s) {names}, "
            f"which are not installed in {sys.prefix}",
            hint=f"install them: {sys.executable} -m pip install {names} (elt declares them: reinstalling elt "
                 "with its dependencies also does it)",
        )
