"""`snapshot`: slowly changing dimensions (SCD type 2) with dbt's semantics, on every engine.

One build, in steps that write nothing to the snapshot until every check passed:

1. the snapshot's query is materialized once (`<name>__elt_snapshot_src`), so checks and build read the
   same rows, and the time of the build is read once from the engine (`snapshot_time`) and used
   everywhere (closed rows, deletes, the check strategy's row time);
2. refusals: a unique_key, updated_at or check column the query lacks, a NULL or repeated key, a NULL
   updated_at, an updated_at older than the snapshot's current row for its key;
3. the changes (dbt's staging table, `<name>__elt_snapshot_changes`): rows to insert (new keys, new
   versions, dbt_is_deleted records) and current rows to close (changed, or gone from the query);
4. written: where the engine merges into the table (SUPPORTS_MERGE; Hive ACID tables declared
   `transactional`), new columns are added and one MERGE closes and inserts, in a transaction where the
   engine has them. Elsewhere (plain Hive tables: no UPDATE, no MERGE), the next version of the whole
   snapshot is built under a temporary name, its row count checked, and swapped in with a backup
   (`materializations.swap_in`): a failure at any step leaves the previous snapshot as it was.

The SQL is written once in elt's reference dialect (Hive) and translated for the engine (elt.dialects),
so dbt_scd_id, md5 of the key and updated_at as text (dbt's formula), has the same text on every engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from elt.adapters.base import Adapter
from elt.errors import ExecutionError, ProjectError
from elt.materializations import BACKUP_SUFFIX, TMP_SUFFIX, drop_if_exists, swap_in
from elt.materializations.snapshot_spec import SnapshotSpec
from elt.nodes import Column, Node, Relation, declares_transactional

SOURCE_SUFFIX = "__elt_snapshot_src"
CHANGES_SUFFIX = "__elt_snapshot_changes"
#: how many offending keys a refusal lists.
EXAMPLES = 5
# Columns of the changes table besides the snapshot's: what a row does, and which current row it closes.
_CHANGE, _CLOSE_ID, _CLOSE_TO = "elt_change_type", "elt_close_scd_id", "elt_close_valid_to"


@dataclass
class SnapshotOutcome:
    """What a snapshot build did.

    Attributes:
        rows_inserted: rows added (new keys, new versions, rows marked deleted).
        rows_closed: current rows given a valid_to (changed, or gone from the query).
        rows_deleted: of those, keys gone from the query (hard_deletes invalidate / new_record).
        columns_added: query columns new to the snapshot table.
        snapshot_time: the build's time, as the engine writes it (valid_to of deleted rows...).
        created: the table did not exist and was created.
    """

    rows_inserted: int | None
    rows_closed: int | None
    rows_deleted: int | None
    snapshot_time: str
    columns_added: list[str]
    created: bool = False

    @property
    def message(self) -> str:
        """The console line's text."""
        if self.created:
            return f"created with {self.rows_inserted} rows" if self.rows_inserted is not None else "created"
        if not (self.rows_inserted or self.rows_closed or self.columns_added):
            return "no change"
        parts = [f"{self.rows_inserted} inserted", f"{self.rows_closed} closed"]
        if self.rows_deleted:
            parts.append(f"{self.rows_deleted} deleted")
        if self.columns_added:
            parts.append(f"new column(s) {', '.join(self.columns_added)}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def build_snapshot(adapter: Adapter, node: Node, spec: SnapshotSpec, select_sql: str) -> SnapshotOutcome:
    """Bring the snapshot table `node.relation` up to date with the rows of `select_sql` (the snapshot's
    query in the adapter's SQL).

    Raises:
        ExecutionError: the query's rows cannot be snapshotted (a repeated or NULL key, a NULL updated_at,
            updated_at going backwards), listing examples; nothing was written.
        ProjectError: a configured column is not in the query, or the table is not a snapshot table.
        AdapterError: the engine failed; the previous snapshot is left as it was.
    """
    relation = node.relation
    assert relation is not None
    build = _Build(adapter, node, spec, relation)
    source = relation.with_name(relation.name + SOURCE_SUFFIX)
    drop_if_exists(adapter, source)
    adapter.create_table_as(source, select_sql, {})
    try:
        return build.run(source)
    finally:
        drop_if_exists(adapter, source)


class _Build:
    """One snapshot build: the SQL of each step, in the reference dialect, for one snapshot."""

    def __init__(self, adapter: Adapter, node: Node, spec: SnapshotSpec, relation: Relation) -> None:
        self.adapter, self.node, self.spec, self.relation = adapter, node, spec, relation
        self.meta = spec.columns
        # Set by run(): the build's time (a timestamp expression); the columns (lower case) the changes
        # table carries (the query's and the snapshot's own); the query's spelling of unique_key and
        # updated_at; the check strategy's compared columns.
        self.time = ""
        self.carried: set[str] = set()
        self.keys: tuple[str, ...] = ()
        self.updated_at: str | None = None
        self.check_cols: list[str] = []

    # -- the steps -----------------------------------------------------------------------------------

    def run(self, source: Relation) -> SnapshotOutcome:
        adapter = self.adapter
        existing = adapter.relation_kind(self.relation)
        if existing == "view":
            self._config_error(f"{self.relation} is a view, not a snapshot table",
                               f"drop the view (DROP VIEW {self.relation}) or give the snapshot another alias")
        backup = self.relation.with_name(self.relation.name + BACKUP_SUFFIX)
        if existing is None and adapter.relation_kind(backup) is not None:
            # A swap cut short (the server gone between its renames): the history is in the backup, and
            # starting the snapshot anew would lose it.
            raise ExecutionError(
                f"snapshot {self.node.name!r}: {self.relation} is missing and {backup} exists: an earlier build "
                "was interrupted while swapping in the new version; nothing was written", path=self.node.path,
                node=self.node.unique_id,
                hint=f"put the previous snapshot back: ALTER TABLE {backup} RENAME TO {self.relation}, then run again")
        merges = self._merges()
        if not merges and self.adapter.SUPPORTS_TABLE_OPTIONS and self.node.config.get("location"):
            self._config_error("a snapshot table that is not transactional is rebuilt and swapped in by each run, "
                               "so it cannot keep a `location`",
                               "remove location, or make the table transactional (transactional: true)")
        stamp = str(self._fetch("SELECT CAST(current_timestamp() AS STRING)")[0][0])
        self.time = f"CAST({_quote_text(stamp)} AS TIMESTAMP)"
        query_columns = [c.name for c in adapter.get_columns(source)]
        meta = [self.meta.scd_id, self.meta.updated_at, self.meta.valid_from, self.meta.valid_to]
        meta += [self.meta.is_deleted] if self.spec.hard_deletes == "new_record" else []
        clash = [c for c in query_columns if c.lower() in {m.lower() for m in meta}]
        if clash:
            self._config_error(f"the query has column(s) named like the snapshot's own: {', '.join(clash)}",
                               "rename them in the query, or set snapshot_meta_column_names")
        self.carried = {c.lower() for c in [*query_columns, *meta]}
        self.keys = self._resolve(query_columns, self.spec.unique_key, "unique_key")
        self.updated_at = (self._resolve(query_columns, (self.spec.updated_at,), "updated_at")[0]
                           if self.spec.updated_at else None)
        if self.spec.check_cols:
            self._resolve(query_columns, self.spec.check_cols, "check_cols")
        self._check_source(source)
        if existing is None:
            adapter.create_table_as(self.relation, self._sql(self._first_select(source, query_columns)),
                                    self.node.config)
            rows = adapter.row_count(self.relation) if adapter.CHEAP_ROW_COUNT else None
            return SnapshotOutcome(rows, 0, 0, stamp, [], created=True)
        table_columns = [c.name for c in adapter.get_columns(self.relation)]
        self._check_target(table_columns)
        known = {c.lower() for c in table_columns}
        added = [c for c in query_columns if c.lower() not in known]
        self.check_cols, changed_all = self._check_columns(query_columns, known)
        self._check_backwards(source)
        changes = self.relation.with_name(self.relation.name + CHANGES_SUFFIX)
        drop_if_exists(adapter, changes)
        try:
            adapter.create_table_as(changes, self._sql(self._changes_select(
                source, query_columns, table_columns, table_columns + added, changed_all)), {})
            counts = {str(kind): int(n) for kind, n in self._fetch(
                f"SELECT {_CHANGE}, COUNT(*) FROM {changes} GROUP BY {_CHANGE}")}
            outcome = SnapshotOutcome(counts.get("insert", 0), counts.get("update", 0) + counts.get("delete", 0),
                                      counts.get("delete", 0), stamp, added)
            if not (outcome.rows_inserted or outcome.rows_closed or added):
                return outcome  # nothing changed: nothing is written
            source_types = {c.name.lower(): c for c in adapter.get_columns(source)}
            new_columns = [Column(c, data_type=source_types[c.lower()].data_type) for c in added]
            if merges:
                self._merge(changes, table_columns + added, new_columns)
            else:
                self._rebuild(changes, table_columns, added, outcome.rows_inserted or 0)
            return outcome
        finally:
            drop_if_exists(adapter, changes)

    def _merges(self) -> bool:
        """Is the table changed in place (MERGE), or rebuilt and swapped?"""
        if self.adapter.SUPPORTS_MERGE:
            return True
        if not declares_transactional(self.node.config):
            return False
        refusal = self.adapter.merge_refusal(self.node.config, _not_updated(self.node.config, self.meta.valid_to),
                                             self.adapter.type)
        if refusal is not None:
            self._config_error(f"cannot MERGE into the transactional table {self.relation}: {refusal[0]}", refusal[1])
        return True

    def _merge(self, changes: Relation, columns: Sequence[str], new_columns: Sequence[Column]) -> None:
        """Close and insert in one MERGE; new columns added first, all in one transaction where the engine
        has them. Rows to insert carry no scd_id to match (NULL), so an inserted row whose dbt_scd_id
        equals a closed row's (a key back with its old updated_at) is still inserted, as dbt-duckdb does."""
        with_change = {c.lower() for c in self._change_columns(columns)}
        values = ", ".join(f"c.{_q(c)}" if c.lower() in with_change else "NULL" for c in columns)
        merge = (f"MERGE INTO {self.relation} t USING {changes} c\n"
                 f"ON t.{_q(self.meta.scd_id)} = c.{_CLOSE_ID} AND {self._current('t')}\n"
                 f"WHEN MATCHED THEN UPDATE SET {_q(self.meta.valid_to)} = c.{_CLOSE_TO}\n"
                 f"WHEN NOT MATCHED AND c.{_CHANGE} = 'insert' THEN INSERT VALUES ({values})")
        with self.adapter.transaction():
            if new_columns:
                self.adapter.add_columns(self.relation, new_columns)
            self.adapter.execute(self._sql(merge))

    def _rebuild(self, changes: Relation, table_columns: Sequence[str], added: Sequence[str], inserted: int) -> None:
        """The next version of the whole snapshot under a temporary name, checked, then swapped in."""
        adapter, relation = self.adapter, self.relation
        built = relation.with_name(relation.name + TMP_SUFFIX)
        drop_if_exists(adapter, built)
        try:
            adapter.create_table_as(built, self._sql(self._next_select(changes, table_columns, added)),
                                    _without_location(self.node.config))
            before = adapter.row_count(relation)
            after = adapter.row_count(built)
            if after != before + inserted:
                raise ExecutionError(
                    f"the next version of snapshot {relation} has {after} rows, not {before} + {inserted}: "
                    "it was not swapped in", path=self.node.path, node=self.node.unique_id,
                    hint="the previous snapshot is unchanged; report this to elt's maintainers")
            swap_in(adapter, built, relation, "table")
        except BaseException:
            drop_if_exists(adapter, built)
            raise

    # -- checks ----------------------------------------------------------------------------------------

    def _resolve(self, columns: Sequence[str], wanted: Sequence[str], key: str) -> tuple[str, ...]:
        """The query's own spelling of each configured column, or a ProjectError naming the missing ones."""
        by_name = {c.lower(): c for c in columns}
        missing = [w for w in wanted if w.lower() not in by_name]
        if missing:
            self._config_error(f"{key} column(s) {', '.join(missing)} are not among the query's columns "
                               f"({', '.join(columns)})",
                               f"select the column(s) in the snapshot's query, or change {key}")
        return tuple(by_name[w.lower()] for w in wanted)

    def _check_columns(self, query_columns: Sequence[str], known: set[str]) -> tuple[list[str], bool]:
        """(the compared columns of the check strategy, every row counts as changed). As dbt: with `all`,
        the query's columns the table has; a compared column new to the table makes every row changed."""
        if self.spec.strategy != "check":
            return [], False
        wanted = self.spec.check_cols
        if wanted is None:
            compared = [c for c in query_columns if c.lower() not in {k.lower() for k in self.keys}]
        else:
            compared = list(self._resolve(query_columns, wanted, "check_cols"))
        return [c for c in compared if c.lower() in known], any(c.lower() not in known for c in compared)

    def _check_source(self, source: Relation) -> None:
        keys = ", ".join(_q(k) for k in self.keys)
        where_null = " OR ".join(f"{_q(k)} IS NULL" for k in self.keys)
        rows = self._fetch(f"SELECT {keys} FROM {source} WHERE {where_null} LIMIT {EXAMPLES}")
        if rows:
            self._data_error(f"the query gives a NULL unique_key ({', '.join(self.keys)}) in rows such as "
                             f"{_examples(self.keys, rows)}",
                             "a snapshot's unique_key must identify every row: filter out or fill in the NULLs")
        rows = self._fetch(f"SELECT {keys}, COUNT(*) AS elt_rows FROM {source} GROUP BY {keys} "
                           f"HAVING COUNT(*) > 1 ORDER BY {keys} LIMIT {EXAMPLES}")
        if rows:
            shown = "; ".join(f"{_example(self.keys, row[:-1])} ({row[-1]} rows)" for row in rows)
            self._data_error(f"the unique_key ({', '.join(self.keys)}) is not unique in the query: {shown}",
                             "deduplicate the query on its unique_key, or choose a unique_key that identifies a row")
        if self.updated_at is not None:
            rows = self._fetch(f"SELECT {keys}, {_q(self.updated_at)} FROM {source} "
                               f"WHERE {self._row_time('')} IS NULL ORDER BY {keys} LIMIT {EXAMPLES}")
            if rows:
                shown = "; ".join(f"{_example(self.keys, row[:-1])}: {row[-1]!r}" for row in rows)
                self._data_error(f"updated_at ({self.updated_at}) is NULL or not a timestamp in rows such as {shown}",
                                 "every row needs the time it last changed: fill in updated_at, or use the check "
                                 "strategy")

    def _check_target(self, table_columns: Sequence[str]) -> None:
        names = {c.lower() for c in table_columns}
        meta = [self.meta.scd_id, self.meta.updated_at, self.meta.valid_from, self.meta.valid_to]
        if self.spec.hard_deletes == "new_record":
            meta.append(self.meta.is_deleted)
        missing = [c for c in [*meta, *self.keys] if c.lower() not in names]
        if missing:
            self._config_error(
                f"the table {self.relation} is not a snapshot table of this config: it has no column(s) "
                f"{', '.join(missing)}",
                "drop the table to start the snapshot anew, or set snapshot_meta_column_names / unique_key / "
                "hard_deletes as when it was made")

    def _check_backwards(self, source: Relation) -> None:
        """Refuse an updated_at older than the current row's valid_from for the same key: dbt would keep
        the older row silently (timestamp) or close a row before it began (check)."""
        if self.updated_at is None:
            return
        keys = ", ".join(f"s.{_q(k)}" for k in self.keys)
        changed = f" AND {self._changed()}" if self.spec.strategy == "check" else ""
        live = f" AND NOT {self._deleted('t')}" if self.spec.hard_deletes == "new_record" else ""
        rows = self._fetch(
            f"SELECT {keys}, CAST(s.{_q(self.updated_at)} AS STRING), CAST(t.{_q(self.meta.valid_from)} AS STRING)\n"
            f"FROM {self._source_name} s JOIN {self.relation} t ON {self._key_join('s', 't')}\n"
            f"WHERE {self._current('t')}{live} AND {self._row_time('s.')} < t.{_q(self.meta.valid_from)}{changed}\n"
            f"ORDER BY {keys} LIMIT {EXAMPLES}")
        if rows:
            shown = "; ".join(f"{_example(self.keys, row[:-2])}: {row[-2]} < {row[-1]}" for row in rows)
            self._data_error(
                f"updated_at ({self.updated_at}) goes backwards: older than the snapshot's current row "
                f"({self.meta.valid_from}) for {shown}",
                "updated_at must not decrease for a key; fix the source rows, or use the check strategy")

    # -- SQL (reference dialect) ---------------------------------------------------------------------------

    @property
    def _source_name(self) -> Relation:
        return self.relation.with_name(self.relation.name + SOURCE_SUFFIX)

    def _row_time(self, alias: str) -> str:
        """A query row's time: its updated_at as a timestamp, else (check strategy) the build's time."""
        return f"CAST({alias}{_q(self.updated_at)} AS TIMESTAMP)" if self.updated_at else self.time

    def _scd_id(self, alias: str) -> str:
        # dbt: md5(coalesce(cast(k as varchar), '') || '|' || ... || coalesce(cast(updated_at as varchar), ''))
        at = f"{alias}{_q(self.updated_at)}" if self.updated_at else self.time
        return _hash([*(f"{alias}{_q(k)}" for k in self.keys), at])

    def _valid_to_current(self) -> str:
        current = self.spec.valid_to_current
        return f"CAST(({current}) AS TIMESTAMP)" if current else "CAST(NULL AS TIMESTAMP)"

    def _current(self, alias: str) -> str:
        valid_to = f"{alias}.{_q(self.meta.valid_to)}"
        if self.spec.valid_to_current:
            return f"({valid_to} IS NULL OR {valid_to} = {self._valid_to_current()})"
        return f"{valid_to} IS NULL"

    def _deleted(self, alias: str) -> str:
        return f"coalesce({alias}.{_q(self.meta.is_deleted)} = 'True', FALSE)"

    def _key_join(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{_q(k)} = {right}.{_q(k)}" for k in self.keys)

    def _changed(self) -> str:
        """Has the query's row (s) changed from the current row (t)? As dbt's strategies say."""
        if self.spec.strategy == "timestamp":
            return f"t.{_q(self.meta.valid_from)} < {self._row_time('s.')}"
        if not self.check_cols:
            return "FALSE"
        return "(" + " OR ".join(f"NOT (t.{_q(c)} <=> s.{_q(c)})" for c in self.check_cols) + ")"

    def _meta_values(self, alias: str) -> dict[str, str]:
        """The snapshot's own columns of a new row from the query's row `alias` (dbt writes 'False' as text)."""
        time = self._row_time(alias)
        values = {self.meta.scd_id: self._scd_id(alias), self.meta.updated_at: time, self.meta.valid_from: time,
                  self.meta.valid_to: self._valid_to_current()}
        if self.spec.hard_deletes == "new_record":
            values[self.meta.is_deleted] = "'False'"
        return values

    def _first_select(self, source: Relation, query_columns: Sequence[str]) -> str:
        values = [f"s.{_q(c)}" for c in query_columns]
        values += [f"{sql} AS {_q(name)}" for name, sql in self._meta_values("s.").items()]
        return f"SELECT {', '.join(values)}\nFROM {source} s"

    def _change_columns(self, columns: Sequence[str]) -> list[str]:
        """The snapshot columns the changes table carries (the query's and the meta columns)."""
        return [c for c in columns if c.lower() in self.carried]

    def _changes_select(self, source: Relation, query_columns: Sequence[str], table_columns: Sequence[str],
                        columns: Sequence[str], changed_all: bool) -> str:
        """dbt's staging table: one row per insert, and per current row to close (update, delete)."""
        meta = self._meta_values("s.")
        carried = self._change_columns(columns)
        query = {c.lower() for c in query_columns}
        changed = "TRUE" if changed_all else self._changed()
        if self.spec.hard_deletes == "new_record":
            changed = f"({changed} OR {self._deleted('t')})"
        first_key = _q(self.keys[0])
        current = f"(SELECT * FROM {self.relation} t WHERE {self._current('t')})"

        def select(change: str, close_id: str, close_to: str, value: Mapping[str, str]) -> str:
            values = [f"{value.get(c.lower(), 'NULL')} AS {_q(c)}" for c in carried]
            return f"SELECT '{change}' AS {_CHANGE}, {close_id} AS {_CLOSE_ID}, {close_to} AS {_CLOSE_TO}, " + \
                ", ".join(values)

        inserted = {**{c.lower(): f"s.{_q(c)}" for c in query_columns}, **{k.lower(): v for k, v in meta.items()}}
        parts = [
            select("insert", "CAST(NULL AS STRING)", "CAST(NULL AS TIMESTAMP)", inserted)
            + f"\nFROM {source} s LEFT JOIN {current} t ON {self._key_join('s', 't')}"
            f"\nWHERE t.{first_key} IS NULL OR {changed}",
            select("update", f"t.{_q(self.meta.scd_id)}", self._row_time("s."), {})
            + f"\nFROM {source} s JOIN {current} t ON {self._key_join('s', 't')}\nWHERE {changed}",
        ]
        if self.spec.hard_deletes != "ignore":
            gone = f"\nFROM {current} t LEFT JOIN {source} s ON {self._key_join('t', 's')}\nWHERE s.{first_key} IS NULL"
            if self.spec.hard_deletes == "new_record":
                gone += f" AND NOT {self._deleted('t')}"
            parts.append(select("delete", f"t.{_q(self.meta.scd_id)}", self.time, {}) + gone)
        if self.spec.hard_deletes == "new_record":
            # dbt's deletion record: the current row's values (columns still in the query), the build's
            # time, the current row's valid_to, and dbt_scd_id = md5(old dbt_scd_id | build time).
            record = {c.lower(): f"t.{_q(c)}" for c in table_columns if c.lower() in query}
            record.update({self.meta.scd_id.lower(): _hash([f"t.{_q(self.meta.scd_id)}", self.time]),
                           self.meta.updated_at.lower(): self.time,
                           self.meta.valid_from.lower(): self.time,
                           self.meta.valid_to.lower(): f"t.{_q(self.meta.valid_to)}",
                           self.meta.is_deleted.lower(): "'True'"})
            parts.append(select("insert", "CAST(NULL AS STRING)", "CAST(NULL AS TIMESTAMP)", record) + gone)
        return "\nUNION ALL\n".join(parts)

    def _next_select(self, changes: Relation, table_columns: Sequence[str], added: Sequence[str]) -> str:
        """The whole next snapshot: every row of the table (current rows closed where the changes say),
        then the rows to insert."""
        valid_to = self.meta.valid_to.lower()
        kept = [(f"CASE WHEN c.{_CLOSE_ID} IS NULL THEN t.{_q(c)} ELSE c.{_CLOSE_TO} END" if c.lower() == valid_to
                 else f"t.{_q(c)}") + f" AS {_q(c)}" for c in table_columns]
        kept += [f"NULL AS {_q(c)}" for c in added]
        # Columns the query no longer has are NULL in inserted rows (typed by the table's own, above).
        inserted = [f"c.{_q(c)}" if c.lower() in self.carried else f"NULL AS {_q(c)}" for c in [*table_columns, *added]]
        closing = f"(SELECT {_CLOSE_ID}, {_CLOSE_TO} FROM {changes} WHERE {_CHANGE} <> 'insert')"
        return (f"SELECT {', '.join(kept)}\nFROM {self.relation} t LEFT JOIN {closing} c\n"
                f"ON t.{_q(self.meta.scd_id)} = c.{_CLOSE_ID} AND {self._current('t')}\nUNION ALL\n"
                f"SELECT {', '.join(inserted)}\nFROM {changes} c WHERE c.{_CHANGE} = 'insert'")

    # -- helpers ---------------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        """`sql`, written in the reference dialect, in the engine's."""
        import sqlglot

        from elt.dialects import translate
        from elt.dialects.hive_reader import reader
        from elt.dialects.names import DEFAULT_DIALECT

        if self.adapter.dialect == DEFAULT_DIALECT:
            return sql
        tree = sqlglot.parse_one(sql, read=reader(DEFAULT_DIALECT))
        return translate(tree, DEFAULT_DIALECT, self.adapter.dialect, path=self.node.path, copy=False,
                         column_types=False)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return self.adapter.fetchall(self._sql(sql))

    def _config_error(self, problem: str, hint: str) -> NoReturn:
        raise ProjectError(f"snapshot {self.node.name!r}: {problem}", path=self.node.path, line=self.node.line,
                           node=self.node.unique_id, hint=hint)

    def _data_error(self, problem: str, hint: str) -> NoReturn:
        raise ExecutionError(f"snapshot {self.node.name!r}: {problem}; nothing was written", path=self.node.path,
                             node=self.node.unique_id, hint=hint)


def _hash(parts: Sequence[str]) -> str:
    """dbt's snapshot_hash_arguments: md5 of the parts as text, NULL as '', joined by '|'."""
    return "md5(concat(" + ", '|', ".join(f"coalesce(CAST({part} AS STRING), '')" for part in parts) + "))"


def _q(name: str | None) -> str:
    """A column name quoted for the reference dialect (backticks; a backtick doubled)."""
    return "`" + str(name).replace("`", "``") + "`"


def _quote_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _example(keys: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in zip(keys, values, strict=True))


def _examples(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return "; ".join(f"({_example(keys, row)})" for row in rows)


def _not_updated(config: Mapping[str, Any], valid_to: str) -> list[str]:
    """The partition and bucketing columns a snapshot's MERGE leaves alone (it updates only valid_to),
    as the unique_key `Adapter.merge_refusal` checks them against."""
    names: list[str] = []
    for option in ("partition_by", "clustered_by"):
        value = config.get(option)
        names += [] if value is None else [value] if isinstance(value, str) else [str(v) for v in value]
    return [n for n in names if n.lower() != valid_to.lower()]


def _without_location(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "location"}
