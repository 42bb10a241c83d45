"""DuckDB adapter: embedded, one database file (or memory), a cursor per worker thread.

DuckDB lets several cursors of one connection run at once (MVCC); what it refuses is two transactions
changing the same catalog entry, which is why the runner creates schemas before starting workers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from elt.adapters.base import Adapter, RelationKind
from elt.errors import AdapterError
from elt.nodes import Column, Relation


class DuckDBAdapter(Adapter):
    type = "duckdb"
    dialect = "duckdb"
    SUPPORTS_TRANSACTIONS = True
    CAN_RENAME_ACROSS_SCHEMAS = False
    SUPPORTS_MERGE = True
    SUPPORTS_DROP_COLUMN = True

    def __init__(self, target: Any) -> None:
        super().__init__(target)
        self._connection: Any = None
        self._local = threading.local()
        self._cursors: list[Any] = []
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        raw = str(self.target.settings.get("path") or ":memory:")
        if raw == ":memory:" or raw.startswith("md:"):
            return raw
        path = Path(raw).expanduser()
        if not path.is_absolute() and self.target.project_root is not None:
            path = self.target.project_root / path
        return str(path)

    def open(self) -> None:
        import duckdb

        if self._connection is not None:
            return
        path = self.path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(path)
        except duckdb.Error as exc:
            raise AdapterError(f"cannot open DuckDB database {path}: {_clean(exc)}",
                               hint="is another process (a running elt, a DuckDB shell) holding it?") from None
        # The Hive-compatibility macros live in the database (the views elt creates call them, from
        # any DuckDB client); registered once here, before any worker thread starts.
        from elt.dialects.duckdb_functions import register

        register(self._connection)
        self._prepare(self._connection)

    def _prepare(self, cursor: Any) -> None:
        timezone = str(self.target.settings.get("timezone", "UTC"))
        cursor.execute(f"SET TimeZone = '{timezone.replace(chr(39), '')}'")

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

    def _cursor(self) -> Any:
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

        try:
            self._cursor().execute(sql)
        except duckdb.Error as exc:
            # A write-write conflict between concurrent transactions is worth another try.
            raise AdapterError(_clean(exc), transient=isinstance(exc, duckdb.TransactionException)) from None

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self._cursor().execute(sql).fetchall()
        except duckdb.Error as exc:
            raise AdapterError(_clean(exc)) from None

    def fetch_table(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        try:
            cursor = self._cursor().execute(sql)
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        except duckdb.Error as exc:
            raise AdapterError(_clean(exc)) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        self._local.in_transaction = True
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            self._local.in_transaction = False
        cursor.execute("COMMIT")

    # Catalog lookups. information_schema.tables/columns (and duckdb_tables(), which they read) gather
    # every table's statistics: 4-7 ms per lookup in a database of 1000 tables, and building one table
    # model asks three times. Views are listed cheaply, and a table's columns are a DESCRIBE away
    # (same names and type strings, 0.3 ms; not for views: DESCRIBE binds the view's query). Those
    # probes fail for a missing relation, which would abort an open transaction, so inside one the
    # information_schema queries are kept.

    def _is_view(self, relation: Relation) -> bool:
        return bool(self.fetchall(
            "SELECT 1 FROM duckdb_views() WHERE NOT internal "
            f"AND lower(schema_name) = lower('{relation.schema}') AND lower(view_name) = lower('{relation.name}')"
        ))

    def relation_kind(self, relation: Relation) -> RelationKind | None:
        if getattr(self._local, "in_transaction", False):
            return self._relation_kind_from_information_schema(relation)
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

    def get_columns(self, relation: Relation) -> list[Column]:
        if not getattr(self._local, "in_transaction", False) and not self._is_view(relation):
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


def _clean(exc: BaseException) -> str:
    """DuckDB messages start with the error class ('Catalog Error: ...'); keep them, drop blank lines."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())
