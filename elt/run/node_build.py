"""Building one node: a seed, a model (by its materialization), a snapshot or a data test, with retries.

`node_worker()` returns the function the runner calls for each node of the plan; it never raises
for a node's failure, it returns a failed `NodeResult` (with the traceback for --debug when the failure
is a bug rather than an engine's or the project's).
"""

from __future__ import annotations

import time
import traceback
from typing import TYPE_CHECKING

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest
from elt.errors import ArtifactError, EltError
from elt.nodes import Column, Node
from elt.report.console import Console
from elt.run.plan import Plan
from elt.run.runner import NodeResult, Status
from elt.secrets import masker

if TYPE_CHECKING:
    from elt.cli.invocation import Invocation
    from elt.run.catalog_types import CatalogTypes
    from elt.run.hooks import HookRunner
    from elt.run.introspection import AdapterIntrospector
    from elt.run.test_batches import TestBatches


def create_schemas(adapter: Adapter, plan: Plan) -> None:
    # Serially, before workers start: concurrent CREATE SCHEMA of one name conflicts in DuckDB.
    for schema in plan.schemas:
        adapter.create_schema(schema)


def node_worker(manifest: Manifest, adapter: Adapter, sql: dict[str, str], console: Console,
                inv: Invocation, write_errors: list[EltError], batches: TestBatches | None = None,
                hooks: HookRunner | None = None):
    """The function the runner calls per node: build it, retrying transient engine errors.

    A node's SQL that cannot be written to target/run/ (disk full) does not change how the node
    ended: the error goes to `write_errors`, for the command to report after the run.

    `sql` holds each model's and test's SQL for the engine, translated without knowing the types of
    what it reads; where the engine speaks another dialect, each is translated again just before it
    runs, with the column types of the relations it reads (elt.run.catalog_types).

    `batches` check the data tests of a relation in one query (elt.run.test_batches): a test its
    batch passes is not sent on its own; any other runs its own query.

    `hooks` run each model's and seed's pre_hook / post_hook around its build (elt.run.hooks).
    """
    from elt.report import artifacts
    from elt.run.catalog_types import CatalogTypes
    from elt.run.hooks import HookRunner
    from elt.run.introspection import AdapterIntrospector

    hooks = hooks or HookRunner(manifest, adapter, full_refresh=inv.full_refresh)

    target_dir = manifest.project.config.target_dir
    mask_text = masker()  # the environment read once, not per node
    defaults = manifest.target.settings
    catalog = CatalogTypes(adapter) if adapter.dialect != manifest.dialect else None
    # Models whose SQL depends on the database (elt.compile.jinja_context) are rendered again here,
    # once what they read is built.
    introspector = AdapterIntrospector(adapter, manifest.dialect)

    def engine_sql(node: Node) -> str:
        if node.unique_id in manifest.introspective:
            from elt.run.introspection import render_live

            render_live(manifest, node, introspector)
            if catalog is None:
                return manifest.sql_for(node.unique_id, adapter.dialect)
        if catalog is None or node.resource_type not in ("model", "snapshot", "test"):
            return sql.get(node.unique_id, "")
        relations = catalog.relations_read(manifest, node)
        # consume: the parsed tree is translated in place and let go (the node is built once; kept,
        # the trees of 5000 models held ~240 MB by the end of a run that parsed them)
        return manifest.sql_for(node.unique_id, adapter.dialect, relations=relations, consume=True)

    def work(uid: str) -> NodeResult:
        node = manifest.nodes[uid]
        if batches is not None and node.resource_type == "test":
            return _with_retries(node, lambda statements: _batched_test(node, batches, statements)
                                 or _build_node(manifest, adapter, node, engine_sql(node), statements))
        if node.resource_type == "snapshot":
            return _with_retries(node, lambda statements: _build_snapshot(adapter, node, engine_sql(node), statements))
        if node.materialized == "incremental":
            return _with_retries(node, lambda statements: _build_incremental(
                manifest, adapter, node, inv, statements, catalog, introspector))
        return _with_retries(node, lambda statements: _build_node(manifest, adapter, node, engine_sql(node),
                                                                  statements))

    def _with_retries(node: Node, attempt_once) -> NodeResult:
        uid = node.unique_id
        retries = int(node.config.get("retries", defaults.get("retries", 0)) or 0)
        delay = float(node.config.get("retry_delay", defaults.get("retry_delay", 5)))
        attempt = 0
        while True:
            with adapter.recording() as statements:
                try:
                    if node.resource_type == "test":
                        result = attempt_once(statements)
                    else:
                        result = hooks.around(node, lambda: attempt_once(statements))
                except EltError as exc:
                    if getattr(exc, "transient", False) and attempt < retries:
                        wait = delay * 2**attempt
                        attempt += 1
                        console.retrying(uid, attempt, retries, wait, exc.message)
                        time.sleep(wait)
                        continue
                    # an error raised by Python code in a macro keeps its traceback, for --debug
                    cause = traceback.format_exc() if exc.__cause__ is not None else None
                    result = NodeResult(uid, "error", str(exc), statements=statements, traceback=cause)
                except Exception as exc:  # noqa: BLE001 - a bug; keep the traceback for --debug
                    result = NodeResult(uid, "error", f"internal error: {type(exc).__name__}: {exc}",
                                        statements=statements, traceback=traceback.format_exc())
                finally:
                    if node.resource_type in ("model", "snapshot", "test"):
                        try:
                            artifacts.write_run_sql(target_dir, node, statements, mask_text)
                        except ArtifactError as exc:
                            write_errors.append(exc)
            result.attempts = attempt + 1
            if result.status == "success" and node.relation is not None and node.resource_type != "test":
                _record_columns(adapter, node, catalog)
            return result

    return work


def _record_columns(adapter: Adapter, node: Node, catalog: CatalogTypes | None = None) -> None:
    """Note the built relation's column names and engine types on the node (for the manifest) and in
    `catalog` (for the nodes that read it)."""
    assert node.relation is not None
    try:
        found = adapter.get_columns(node.relation)
    except EltError:
        if catalog is not None:
            catalog.forget(node.relation)
        return  # the catalog is informative here, never a reason to fail a built node
    if catalog is not None:
        catalog.remember(node.relation, found)
    documented = {name.lower(): column for name, column in node.columns.items()}
    columns = {}
    for column in found:
        known = documented.get(column.name.lower())
        columns[column.name] = Column(column.name, known.description if known else "", column.data_type)
    node.columns = columns


def _build_node(manifest: Manifest, adapter: Adapter, node: Node, sql: str, statements: list[str]) -> NodeResult:
    """One attempt at building (or testing) a node; engine errors propagate as AdapterError."""
    from elt.materializations.seed import load_seed
    from elt.materializations.table import build_table
    from elt.materializations.view import build_view
    from elt.project.seed_files import read_seed

    if node.resource_type == "test":
        return _run_test(adapter, node, sql, statements)
    assert node.relation is not None  # seeds and non-ephemeral models have one
    rows: int | None = None
    if node.resource_type == "seed":
        rows = load_seed(adapter, node.relation, read_seed(manifest.project.root, node.path, node.config))
        verb = "loaded seed"
    elif node.materialized == "table":
        rows = build_table(adapter, node.relation, sql, node.config, count_rows=adapter.CHEAP_ROW_COUNT)
        verb = "created table"
    elif node.materialized == "external":
        from elt.materializations.external import build_external, file_location

        location = file_location(node, manifest.target, manifest.project.config.target_path)
        rows = build_external(adapter, node.relation, sql, node.config, location)
        verb = f"wrote {location} and created view"
    else:
        build_view(adapter, node.relation, sql)
        verb = "created view"
    return NodeResult(node.unique_id, "success", f"{verb} {node.relation}", rows=rows, statements=statements)


def _build_incremental(manifest: Manifest, adapter: Adapter, node: Node, inv: Invocation,
                       statements: list[str], catalog: CatalogTypes | None = None,
                       introspector: AdapterIntrospector | None = None) -> NodeResult:
    """Load an incremental model, once or (backfill with batch_size) once per interval."""
    from elt.materializations.incremental import build_incremental
    from elt.materializations.incremental_render import intervals, render_incremental
    from elt.run.introspection import render_live

    live = introspector if node.unique_id in manifest.introspective else None

    assert node.relation is not None
    batch_size = node.config.get("batch_size")
    batches: list[tuple[str, str] | None] = [None]
    if inv.start and inv.end and batch_size:
        batches = list(intervals(inv.start, inv.end, batch_size))
    outcomes = []
    for number, batch in enumerate(batches):
        # dbt's full_refresh config, when set, wins over the --full-refresh flag
        configured = node.config.get("full_refresh")
        full_refresh = (inv.full_refresh if configured is None else bool(configured)) and number == 0
        exists = adapter.relation_kind(node.relation) == "table"
        extra = {"start": batch[0], "end": batch[1]} if batch else {}
        if (exists and not full_refresh) or batch:
            render_incremental(manifest, node.unique_id, extra, incremental=exists and not full_refresh,
                               introspector=live)
        elif live is not None:
            render_live(manifest, node, live)
        relations = catalog.relations_read(manifest, node) if catalog is not None else None
        query = manifest.sql_for(node.unique_id, adapter.dialect, relations=relations)
        outcomes.append(build_incremental(adapter, node, query, full_refresh=full_refresh))
    rows = sum(o.rows_inserted for o in outcomes)
    partitions = [p for o in outcomes for p in o.partitions]
    how = outcomes[-1].strategy if len(outcomes) == 1 else f"{outcomes[-1].strategy} x{len(outcomes)} batches"
    where = f" into {', '.join(partitions[:5])}{' ...' if len(partitions) > 5 else ''}" if partitions else ""
    return NodeResult(node.unique_id, "success", f"incremental {how} {node.relation}{where}", rows=rows,
                      statements=statements,
                      details={"incremental": {"strategy": outcomes[-1].strategy, "batches": len(outcomes),
                                               "rows_inserted": rows, "partitions": partitions,
                                               "columns_added": [c for o in outcomes for c in o.columns_added],
                                               "columns_removed": [c for o in outcomes for c in o.columns_removed]}})


def _build_snapshot(adapter: Adapter, node: Node, sql: str, statements: list[str]) -> NodeResult:
    """One attempt at a snapshot: its query's rows merged into its history table (SCD type 2)."""
    from elt.materializations.snapshot import build_snapshot
    from elt.materializations.snapshot_config import snapshot_spec

    outcome = build_snapshot(adapter, node, snapshot_spec(node), sql)
    return NodeResult(node.unique_id, "success", f"snapshot {node.relation}: {outcome.message}",
                      rows=outcome.rows_inserted, statements=statements,
                      details={"snapshot": {**outcome.as_dict(), "message": outcome.message}})


def _batched_test(node: Node, batches: TestBatches, statements: list[str]) -> NodeResult | None:
    """The test's result when its batch passed it (its own query recorded, not sent); else None."""
    if batches.verdict(node.unique_id) != 0:
        return None
    statements.append(_failing_query(node, batches.sql(node.unique_id)))
    return NodeResult(node.unique_id, "success", "passed", failures=0, statements=statements)


def _failing_query(node: Node, sql: str) -> str:
    """The test's query as run (and written to target/run/ for a user to run by hand): its `limit`."""
    limit = node.config.get("limit")
    return f"{sql.rstrip().rstrip(';')}\nLIMIT {int(limit)}" if limit else sql.rstrip().rstrip(";")


def _run_test(adapter: Adapter, node: Node, sql: str, statements: list[str]) -> NodeResult:
    failing = _failing_query(node, sql)
    statements.append(failing)
    calc = node.config.get("fail_calc") or "COUNT(*)"  # dbt's fail_calc: e.g. sum(diff) of dbt_utils' tests
    count = int(adapter.fetchall(f"SELECT {calc} FROM (\n{failing}\n) elt_test_failures")[0][0] or 0)
    if count == 0:
        return NodeResult(node.unique_id, "success", "passed", failures=0, statements=statements)
    columns, rows = adapter.fetch_table(f"SELECT * FROM (\n{failing}\n) elt_test_failures LIMIT 5")
    status: Status = "warn" if node.config.get("severity") == "warn" else "fail"
    noun = "row" if count == 1 else "rows"
    return NodeResult(node.unique_id, status, f"{count} failing {noun}", failures=count,
                      sample=(columns, rows), statements=statements)
