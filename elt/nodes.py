"""The shared vocabulary: nodes of the DAG (models, seeds, sources), their columns and relations.

A *model* is a SQL file's definition, a *relation* the physical table or view it builds, a *node* any
vertex of the DAG. These are plain dataclasses: loading fills them, compiling completes them, and every
later stage (graph, selection, plan, runner, artifacts) only reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

ResourceType = Literal["model", "seed", "source", "test", "analysis", "snapshot"]

#: Identifiers we accept for schemas and relation names. Hive allows little more than this, and a
#: name that matches it can never inject SQL, whatever engine the statement is sent to.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

MATERIALIZATIONS = ("view", "table", "ephemeral", "incremental", "external")

#: Every config key a model may set, with what it means. Unknown keys are errors (with this list).
MODEL_CONFIG_KEYS: dict[str, str] = {
    "materialized": "view | table | ephemeral | incremental | external (DuckDB: a file, and a view reading it)",
    "schema": "schema (Hive: database) the relation is built in",
    "alias": "relation name, if not the file name",
    "tags": "list of tags, for selection (tag:x)",
    "enabled": "false leaves the model out of the project",
    "description": "what the model holds",
    "threads": "not used per model; accepted for dbt compatibility",
    "retries": "times to rebuild after a transient engine error (default: the profile's, else 0)",
    "retry_delay": "seconds before the first retry, doubled each time (default: the profile's, else 5)",
    "pre_hook": "SQL (Jinja, a string or a list) run before the model is built; accumulates over folder, yml, file",
    "post_hook": "SQL (Jinja, a string or a list) run after the model is built; accumulates over folder, yml, file",
    # materialized='external' (engines with SUPPORTS_EXTERNAL_FILES).
    "format": "external: parquet (default) | csv | json, the file's format",
    "options": "external: mapping of options for the engine's file writer (DuckDB COPY), e.g. {compression: zstd}",
    "database": "the database (DuckDB: catalog) of the relation: only the target's (Hive has none)",
    "full_refresh": "incremental: true always rebuilds, false never (even with --full-refresh); default: the flag",
    # Incremental models.
    "incremental_strategy": "append | insert_overwrite (default with partition_by) | merge",
    "unique_key": "merge: column(s) identifying a row",
    "on_schema_change": "fail (default) | ignore | append_new_columns | sync_all_columns",
    "full_overwrite_ok": "insert_overwrite without partition_by replaces the whole table: say true to allow",
    "transactional": "Hive: the table supports MERGE (ACID / Iceberg); required for merge on Hive",
    "batch_size": "backfills with --start/--end: day | month runs the model once per interval",
    # Hive table options; accepted on every engine, used where the engine has them.
    "partition_by": "Hive: list of partition columns",
    "clustered_by": "Hive: list of bucketing columns",
    "buckets": "Hive: number of buckets for clustered_by",
    "file_format": "Hive: parquet, orc, ...",
    "location": "Hive: table location; external: the file written (default <external_root>/<alias>.<format>)",
    "tblproperties": "Hive: table properties (mapping)",
    "comment": "Hive: table comment",
}

#: Config keys a data test may set (in yml under `config:`, or in a singular test's `config()`).
TEST_CONFIG_KEYS: dict[str, str] = {
    "severity": "error (default) fails the command; warn only reports",
    "where": "SQL filter applied to the tested relation before testing",
    "limit": "count at most this many failing rows",
    "tags": "list of tags, for selection (tag:x)",
    "enabled": "false leaves the test out",
    "name": "the test's name, instead of the generated one",
    "description": "what the test checks",
    "fail_calc": "SQL aggregate over the test's rows giving its failure count (default count(*)); dbt's",
}

#: Config keys an analysis may set (in yml `analyses:` or its own `config()`); an analysis is never run.
ANALYSIS_CONFIG_KEYS: dict[str, str] = {
    "tags": "list of tags",
    "enabled": "false leaves the analysis out (not compiled)",
    "description": "what the analysis shows",
    "materialized": "accepted for dbt compatibility; an analysis is only compiled",
}

#: Config keys a seed may set.
SEED_CONFIG_KEYS: dict[str, str] = {
    "schema": "schema (Hive: database) the seed table is loaded into",
    "alias": "table name, if not the file name",
    "tags": "list of tags, for selection (tag:x)",
    "enabled": "false leaves the seed out of the project",
    "column_types": "mapping column -> type, overriding the inferred types",
    "delimiter": "CSV field delimiter (default ',')",
    "pre_hook": "SQL (Jinja, a string or a list) run before the seed is loaded; accumulates over folder and yml",
    "post_hook": "SQL (Jinja, a string or a list) run after the seed is loaded; accumulates over folder and yml",
    "database": "the database (DuckDB: catalog) of the table: only the target's (Hive has none)",
    "full_refresh": "accepted: a seed is always loaded anew",
    "description": "what the seed holds",
}


#: Config keys a snapshot may set (yml `config:`, its `{% snapshot %}` block's `config()`, folder trees);
#: what they mean for the build is checked into a SnapshotSpec (elt.materializations.snapshot_config).
SNAPSHOT_CONFIG_KEYS: dict[str, str] = {
    "unique_key": "column(s) identifying a row of the snapshotted query (required)",
    "strategy": "timestamp (a row changed when updated_at moved) | check (when a check_cols value did)",
    "updated_at": "timestamp strategy: the column saying when a row last changed",
    "check_cols": "check strategy: list of compared columns, or 'all'",
    "hard_deletes": "ignore (default) | invalidate | new_record: what a row gone from the query does",
    "dbt_valid_to_current": "SQL expression current rows carry in dbt_valid_to (default NULL)",
    "snapshot_meta_column_names": "mapping renaming dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, "
                                  "dbt_is_deleted",
    "schema": "schema (Hive: database) of the snapshot table (named as models' are)",
    "alias": "table name, if not the snapshot's name",
    "database": "the database (DuckDB: catalog) of the table: only the target's (Hive has none)",
    "target_schema": "legacy (dbt < 1.9): the snapshot table's schema, used as is",
    "target_database": "legacy (dbt < 1.9): the database; only the target's",
    "invalidate_hard_deletes": "legacy (dbt < 1.9): true means hard_deletes: invalidate",
    "tags": "list of tags, for selection (tag:x)",
    "enabled": "false leaves the snapshot out of the project",
    "description": "what the snapshot keeps",
    "retries": "times to rebuild after a transient engine error (default: the profile's, else 0)",
    "retry_delay": "seconds before the first retry, doubled each time (default: the profile's, else 5)",
    "pre_hook": "SQL (Jinja, a string or a list) run before the snapshot is built; accumulates",
    "post_hook": "SQL (Jinja, a string or a list) run after the snapshot is built; accumulates",
    "transactional": "Hive: the snapshot table supports MERGE (ACID); else it is rebuilt and swapped in",
    "clustered_by": "Hive ACID snapshots: list of bucketing columns (Hive 2 needs them for MERGE)",
    "buckets": "Hive ACID snapshots: number of buckets for clustered_by",
    "file_format": "Hive: parquet, orc, ...",
    "tblproperties": "Hive: table properties (mapping)",
    "location": "Hive: table location",
    "comment": "Hive: table comment",
    "materialized": "accepted for dbt compatibility: a snapshot is always a snapshot table",
}


@dataclass(frozen=True)
class Relation:
    """A physical table or view: `schema.name`."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    def with_name(self, name: str) -> Relation:
        return Relation(self.schema, name)


@dataclass
class Column:
    """A column as documented in yml (and, after a run, as found in the catalog)."""

    name: str
    description: str = ""
    data_type: str | None = None


@dataclass
class Node:
    """A vertex of the DAG.

    Attributes:
        unique_id: `model.<name>`, `seed.<name>`, `snapshot.<name>` or `source.<source>.<table>`.
        name: the name used in `ref()` (for sources: the table name).
        resource_type: model, seed or source.
        path: the defining file, relative to the project root, POSIX separators.
        config: the effective config (folder defaults, yml, then the file's own `config()`).
        fqn: folder parts under the model/seed folder, then the name (as in dbt).
        raw_sql: model file text (models only).
        depends_on: unique ids of the nodes this one reads.
        relation: where it lives in the warehouse (None for ephemeral models).
    """

    unique_id: str
    name: str
    resource_type: ResourceType
    path: str
    config: dict[str, Any] = field(default_factory=dict)
    fqn: tuple[str, ...] = ()
    description: str = ""
    columns: dict[str, Column] = field(default_factory=dict)
    raw_sql: str = ""
    depends_on: list[str] = field(default_factory=list)
    relation: Relation | None = None
    source_name: str | None = None
    #: 1-based line of the definition in `path` (yml entries); 1 for files.
    line: int = 1
    #: tests only: 'generic' (declared in yml) or 'singular' (a SQL file under data_tests/).
    test_type: str | None = None
    #: tests only: the node whose data a generic test checks, and the column when it has one.
    attached_to: str | None = None
    column_name: str | None = None
    #: tests only: a built-in generic test whose arguments are plain names and values, so its SQL is
    #: well-formed by construction and a compile need not parse it (parsed when a run translates it).
    sql_by_construction: bool = False
    #: tests only: an aggregate over the tested relation (project dialect) that is 0 exactly when the
    #: test passes, so that tests of one relation are checked in one scan (elt.run.test_batches).
    failure_check: str | None = None
    #: the package (dbt_packages/) the node comes from; None for the project's own nodes.
    package_name: str | None = None
    #: tests only: a generic test whose render read the database (elt.compile.jinja_context): its
    #: macro's name and arguments, called again with the database when the test runs.
    live_call: tuple[str, dict[str, Any]] | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        tags = self.config.get("tags")
        return tuple(tags) if tags else ()

    @property
    def materialized(self) -> str | None:
        if self.resource_type in ("seed", "snapshot"):
            return self.resource_type
        if self.resource_type in ("source", "test", "analysis"):
            return None
        materialized: str = self.config.get("materialized", "view")  # a str: checked when the config is read
        return materialized


def declares_transactional(config: Mapping[str, Any]) -> bool:
    """Is a model's table declared transactional: `transactional=true`, or the tblproperty
    'transactional'='true'? (The incremental checks and the Hive adapter read it alike.)"""
    if config.get("transactional") is True:
        return True
    properties = config.get("tblproperties")
    return isinstance(properties, Mapping) and any(
        str(k).lower() == "transactional" and str(v).lower() == "true" for k, v in properties.items())


#: success (a test: passed), error (could not run), fail / warn (a test found rows), skipped.
Status = Literal["success", "error", "fail", "warn", "skipped"]


@dataclass
class NodeResult:
    """What happened to one node."""

    unique_id: str
    status: Status
    message: str = ""
    execution_time: float = 0.0
    rows: int | None = None
    started_at: str | None = None
    completed_at: str | None = None
    #: every statement sent to the engine for this node, in order.
    statements: list[str] = field(default_factory=list)
    #: the traceback of an unexpected (non-elt) exception, shown with --debug.
    traceback: str | None = None
    #: tests: how many rows failed, and up to 5 of them (column names, rows).
    failures: int | None = None
    sample: tuple[list[str], list[tuple[Any, ...]]] | None = None
    #: how many times the node was tried (more than 1 after retries of transient errors).
    attempts: int = 1
    #: materialization-specific facts for run_results.json (incremental: strategy, partitions...).
    details: dict[str, Any] = field(default_factory=dict)


def now_iso() -> str:
    """The time now, UTC, as run results record it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
