"""The commands that build: `elt run`, `elt test`, `elt build`, `elt seed`, `elt snapshot` and `elt retry`:
compile, select, plan, then walk the plan on the target under its run lock, writing run_results.json as it goes.

The CLI parses arguments and calls these; they return results and never print (progress goes to the
`Console` passed in) and never exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.adapters.base import Adapter
from elt.cli.invocation import (
    Invocation,
    adapter_class_of,
    apply_defer,
    compile_manifest,
    select,
    state_changes_of,
)
from elt.compile.compiler import Manifest
from elt.errors import ArtifactError, EltError, ProjectError, SqlError
from elt.project.loader import load_project
from elt.report.console import Console
from elt.run.hooks import HookRunner
from elt.run.interrupts import Interrupts, signal_name
from elt.run.lock import RunLock, lock_file
from elt.run.node_build import create_schemas, node_worker
from elt.run.plan import Plan, build_plan
from elt.run.runner import NodeResult, TeeEvents, execute_dag, now_iso
from elt.run.test_batches import BATCHES_ENV, TestBatches

if TYPE_CHECKING:
    from elt.report.artifacts import RunResultsFile

log = logging.getLogger(__name__)

@dataclass
class RunOutcome:
    manifest: Manifest
    results: list[NodeResult]
    elapsed: float
    #: the signal (SIGINT, SIGTERM) that stopped the run, if one did (elt.run.interrupts).
    signal: int | None = None
    #: a file under target/ that could not be written (disk full), reported after the summary.
    write_error: EltError | None = None

    @property
    def failed(self) -> bool:
        return any(r.status in ("error", "fail") for r in self.results)


def run_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool) -> RunOutcome:
    """`elt run`: build the selected models in dependency order."""
    manifest = compile_manifest(inv, console)
    selected = _planned(manifest, inv, console, {"model"}) if inv.plan else select(manifest, inv, console, {"model"})
    if not selected and inv.select and not inv.plan:
        _point_at_snapshot_command(manifest, inv, console)
    return _build(manifest, inv, console, selected, "run", threads, fail_fast)


def _point_at_snapshot_command(manifest: Manifest, inv: Invocation, console: Console) -> None:
    """`elt run -s <snapshot>` builds no model: say which command builds what was selected (as dbt,
    `run` leaves snapshots to `elt snapshot` and `elt build`)."""
    from elt.run.selection import select_nodes

    snapshots = select_nodes(manifest.graph, manifest.nodes, inv.select, inv.exclude, {"snapshot"},
                             state_changes_of(manifest, inv))
    if snapshots:
        names = ", ".join(sorted(manifest.nodes[uid].name for uid in snapshots))
        console.info(f"The selection is snapshot(s) {names}: `elt run` builds models; "
                     "build snapshots with `elt snapshot` (or `elt build`) and the same -s")


def _planned(manifest: Manifest, inv: Invocation, console: Console, resource_types: set[str]) -> set[str]:
    from elt.cli.plan_command import planned_nodes

    return planned_nodes(manifest, inv, console, resource_types)


def test_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool,
                 manifest: Manifest | None = None) -> RunOutcome:
    """`elt test`: run the data tests of the selected nodes (and the selected tests); `manifest`: the
    project already compiled by this command (for the unit tests)."""
    manifest = manifest or compile_manifest(inv, console)
    return _build(manifest, inv, console, _select_tests(manifest, inv, console), "test", threads, fail_fast)


def unit_test_command(inv: Invocation, console: Console, manifest: Manifest | None = None) -> RunOutcome:
    """`elt test --unit`: the selected models' unit tests, on in-memory DuckDB (no warehouse);
    `manifest`: the project already compiled by this command."""
    from elt.compile.unittests import run_unit_tests, select_unit_tests

    manifest = manifest or compile_manifest(inv, console)
    specs = select_unit_tests(manifest, inv.select, inv.exclude, state_changes_of(manifest, inv))
    start = time.perf_counter()
    pairs = []
    for index, (_, result) in enumerate(run_unit_tests(manifest, specs), start=1):
        console.node_finished(index, len(specs), result)
        pairs.append(result)
    return RunOutcome(manifest, pairs, time.perf_counter() - start)


def build_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool) -> RunOutcome:
    """`elt build`: seeds, models, their data tests and unit tests in one DAG walk (elt.run.gates): a
    model waits for its unit tests and for the data tests of what it reads; failures skip dependants."""
    from elt.compile.unittests import select_unit_tests, unit_test_id

    manifest = compile_manifest(inv, console)
    if inv.plan:  # the planned nodes and the tests that read them
        nodes = _planned(manifest, inv, console, {"seed", "model", "snapshot"})
        tests = {uid for uid, node in manifest.nodes.items() if node.resource_type == "test"
                 and nodes.intersection(node.depends_on)} & _select_tests(manifest, inv, console)
        units = {unit_test_id(spec): spec
                 for spec in select_unit_tests(manifest, inv.select, inv.exclude, state_changes_of(manifest, inv))
                 if f"model.{spec.model}" in nodes}
        return _build(manifest, inv, console, nodes | tests, "build", threads, fail_fast, units)
    selected = select(manifest, inv, console, {"seed", "model", "snapshot"}) | _select_tests(manifest, inv, console)
    units = {unit_test_id(spec): spec
             for spec in select_unit_tests(manifest, inv.select, inv.exclude, state_changes_of(manifest, inv))}
    return _build(manifest, inv, console, selected, "build", threads, fail_fast, units)


def _select_tests(manifest: Manifest, inv: Invocation, console: Console) -> set[str]:
    """Tests selected directly, plus (as dbt's eager indirect selection) every test that reads a
    selected node."""
    from elt.run.selection import select_nodes

    chosen = select(manifest, inv, console, {"model", "seed", "snapshot", "source", "test"})
    excluded = (select_nodes(manifest.graph, manifest.nodes, inv.exclude, None, None, state_changes_of(manifest, inv))
                if inv.exclude else set())
    tests = {uid for uid in chosen if manifest.nodes[uid].resource_type == "test"}
    for uid, node in manifest.nodes.items():
        if node.resource_type == "test" and chosen.intersection(node.depends_on) and uid not in excluded:
            tests.add(uid)
    return tests


def seed_command(inv: Invocation, console: Console, *, threads: int | None) -> RunOutcome:
    """`elt seed`: load the selected seeds."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"seed"})
    return _build(manifest, inv, console, selected, "seed", threads, False)


def snapshot_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool) -> RunOutcome:
    """`elt snapshot`: build the selected snapshots (as dbt, models and seeds they read are not built)."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"snapshot"})
    return _build(manifest, inv, console, selected, "snapshot", threads, fail_fast)


def _build(
    manifest: Manifest, inv: Invocation, console: Console, selected: set[str], command: str,
    threads: int | None, fail_fast: bool, unit_tests: dict[str, Any] | None = None,
) -> RunOutcome:
    """Plan and run `selected` (and `unit_tests`: id -> UnitTestSpec, run on in-memory DuckDB)."""
    from elt.report import artifacts

    unit_tests = unit_tests or {}
    apply_defer(manifest, inv, console, selected)  # --defer: before the SQL for the engine is made
    plan = build_plan(manifest, selected, tests_gate_children=command == "build",
                      unit_tests={uid: f"model.{spec.model}" for uid, spec in unit_tests.items()})
    stats = manifest.cache_stats
    translated = (stats.translated, stats.translation_hits)
    adapter_cls = adapter_class_of(manifest.target)
    sql = _engine_sql(manifest, plan, adapter_cls.dialect)
    artifacts.write_compiled(manifest, plan.unique_ids)
    start = time.perf_counter()
    if not plan.unique_ids:
        artifacts.write_manifest(manifest)
        return RunOutcome(manifest, [], 0.0)
    threads = threads or manifest.target.threads
    noun = {"seed": "seed(s)", "run": "model(s)", "test": "test(s)", "snapshot": "snapshot(s)"}.get(command, "node(s)")
    console.run_started(command, len(plan.unique_ids), noun, manifest.target.type, manifest.target.name, threads)
    adapter = adapter_cls(manifest.target)
    # Files that could not be written (disk full): reported after the run's summary, whose engine
    # errors they must not hide.
    write_errors: list[EltError] = []
    try:
        with _run_lock(manifest, adapter, command, inv.wait, console):
            adapter.open()
            try:
                create_schemas(adapter, plan)
                adapter.plan_concurrency(threads)
                batches = (TestBatches(manifest, adapter, sql, built_during_run=command == "build")
                           if os.environ.get(BATCHES_ENV, "1") != "0" else None)
                hooks = HookRunner(manifest, adapter, full_refresh=inv.full_refresh)
                work = _unit_test_worker(manifest, unit_tests, node_worker(
                    manifest, adapter, sql, console, inv, write_errors, batches, hooks))
                # What `elt retry` needs to rerun the failed nodes as this run would have (retry_command).
                args = {"select": list(inv.select), "exclude": list(inv.exclude), "vars": inv.vars,
                        "threads": threads, "target": manifest.target.name, "full_refresh": inv.full_refresh,
                        "start": inv.start, "end": inv.end,
                        **({"state": str(inv.state_path), "defer": inv.defer, "favor_state": inv.favor_state}
                           if inv.state_path is not None else {})}
                results_file = artifacts.RunResultsFile(
                    manifest, command, [*hooks.project_hook_ids("on-run-start"), *plan.unique_ids,
                                        *hooks.project_hook_ids("on-run-end")], args)
                results, stopped_by = _walk_with_project_hooks(plan, work, threads, fail_fast, console, adapter,
                                                               results_file, hooks)
                elapsed = time.perf_counter() - start
                results_file.finish(results, elapsed, signal.Signals(stopped_by).name if stopped_by else None)
                if results_file.error is not None:
                    write_errors.append(results_file.error)
                # the models rendered again with the database have their SQL only now
                try:
                    artifacts.write_compiled(manifest, [u for u in plan.unique_ids if u in manifest.introspective])
                except ArtifactError as exc:
                    write_errors.append(exc)
            finally:
                adapter.close()
    finally:
        manifest.save_cache()  # the translations made for the catalog's column types, for the next run
        # After the run it also holds the built relations' column names and types.
        try:
            artifacts.write_manifest(manifest)
        except ArtifactError as exc:
            write_errors.append(exc)  # lost when the run itself raised: its error is the one to see
    log.debug("the run translated %d query(ies) for the engine (and took %d from the cache)",
              stats.translated - translated[0], stats.translation_hits - translated[1])
    return RunOutcome(manifest, results, elapsed, stopped_by, write_errors[0] if write_errors else None)


def _engine_sql(manifest: Manifest, plan: Plan, dialect: str) -> dict[str, str]:
    """The planned models' and tests' SQL for the engine, translated before the warehouse is touched.

    A node the engine cannot run with the project dialect's meaning (a translation refusal) is left
    out: it is that node's own failure, met again when the node's turn comes (elt.run.node_build), so
    its descendants are skipped and everything else is built.
    """
    sql = {}
    for uid in plan.unique_ids:
        if uid in manifest.introspective:
            continue  # rendered again when its turn comes (elt.run.introspection)
        if uid in manifest.nodes and manifest.nodes[uid].resource_type in ("model", "snapshot", "test"):
            try:
                sql[uid] = manifest.sql_for(uid, dialect)
            except SqlError:
                continue
    return sql


def _run_lock(manifest: Manifest, adapter: Adapter, command: str, wait: bool,
              console: Console) -> contextlib.AbstractContextManager[object]:
    """The lock on the database the run writes to (elt.run.lock), however many targets name it."""
    path = run_lock_path(manifest.project.config.target_dir, adapter)
    if path is None:
        return contextlib.nullcontext()
    target = manifest.target.name
    return RunLock(path, f"elt {command}, target {target!r}", wait=wait,
                   on_wait=lambda holder: console.info(f"Waiting for the target lock, held by {holder}"),
                   busy=f"another run is writing to the database of target {target!r}")


def run_lock_path(target_dir: Path, adapter: Adapter) -> Path | None:
    """The lock file of the database `adapter` writes to; None when no other process can write to it."""
    key = adapter.lock_key()
    return None if key is None else lock_file(target_dir / "locks", key)


def _walk_with_project_hooks(plan: Plan, work: Callable[[str], NodeResult], threads: int, fail_fast: bool,
                             console: Console, adapter: Adapter, results_file: RunResultsFile,
                             hooks: HookRunner) -> tuple[list[NodeResult], int | None]:
    """`_walk` between the project's on-run-start and on-run-end hooks (elt.run.hooks): a failing
    on-run-start leaves every node unstarted; on-run-end runs after the nodes, failed or not (not
    after a stop signal). Returns the hooks' results with the nodes'."""
    events = TeeEvents(results_file, console)
    started = hooks.run_project_hooks("on-run-start", events)
    if any(result.status == "error" for result in started):
        return [*started, *(NodeResult(uid, "skipped", "not started: on-run-start failed", started_at=now_iso(),
                                       completed_at=now_iso()) for uid in plan.unique_ids),
                *(NodeResult(uid, "skipped", "not run: on-run-start failed")
                  for uid in hooks.project_hook_ids("on-run-end"))], None
    results, stopped_by = _walk(plan, work, threads, fail_fast, console, adapter, results_file)
    if stopped_by is not None:
        ended = [NodeResult(uid, "skipped", "not run: the run was interrupted")
                 for uid in hooks.project_hook_ids("on-run-end")]
    else:
        ended = hooks.run_project_hooks("on-run-end", events, results)
    return [*started, *results, *ended], stopped_by


def _walk(plan: Plan, work: Callable[[str], NodeResult], threads: int, fail_fast: bool, console: Console,
          adapter: Adapter, results_file: RunResultsFile) -> tuple[list[NodeResult], int | None]:
    """Run the plan, keeping run_results.json current; Ctrl-C / SIGTERM stop it (elt.run.interrupts).
    Returns the results and the signal that stopped the run, if one did."""
    def cancel(signum: int) -> None:
        console.cancelling(signal_name(signum))
        adapter.cancel()

    with Interrupts(lambda signum: console.stopping(signal_name(signum)), cancel) as interrupts:
        def poll() -> bool:
            results_file.flush()
            return interrupts.poll()

        results = execute_dag(plan.graph, plan.unique_ids, work, threads=threads, fail_fast=fail_fast,
                              events=TeeEvents(results_file, console), checks=plan.checks, poll=poll,
                              pause=adapter)
    return results, interrupts.first


def _unit_test_worker(manifest: Manifest, unit_tests: dict[str, Any], work: Any) -> Any:
    """`work`, with the unit tests among the nodes run each on its own in-memory DuckDB (not the
    warehouse, and safe from any worker thread)."""
    if not unit_tests:
        return work
    from elt.adapters import memory_adapter
    from elt.compile.unittests import unit_test_result

    def run(uid: str) -> NodeResult:
        if uid not in unit_tests:
            return work(uid)
        with memory_adapter(manifest.target.profiles_path) as adapter:
            return unit_test_result(manifest, unit_tests[uid], adapter)

    return run


def retry_command(inv: Invocation, console: Console, *, threads: int | None) -> RunOutcome:
    """`elt retry`: rerun the nodes that failed or were skipped in the last run (run_results.json),
    or never ended (a run killed mid-way), with that run's command, vars, target, --full-refresh and
    --start/--end; the nodes that succeeded are left alone."""
    import json

    from elt.compile.unittests import unit_test_id

    project = load_project(inv.project_dir, inv.vars, inv.profiles_dir, inv.target)
    project_results = project.config.target_dir / "run_results.json"
    if not project_results.is_file():
        raise ProjectError("there is no previous run to retry", path=project_results,
                           hint="elt retry reruns what failed in the last `elt run`, `build`, `seed`, `snapshot` "
                           "or `test`")
    try:
        previous = json.loads(project_results.read_text(encoding="utf-8"))
        command = previous["metadata"]["command"]
        args = previous.get("args", {})
        # pending / running: the run was killed before those nodes ended (artifacts.RunResultsFile).
        todo = {r["unique_id"] for r in previous["results"]
                if r["status"] in ("error", "fail", "skipped", "pending", "running")}
        finished = previous["metadata"].get("finished", True)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ProjectError("run_results.json is not one elt wrote", path=project_results) from None
    if not finished:
        console.warning(f"the last `elt {command}` did not finish (it was killed, or is still running): "
                        f"{len(todo)} of its {len(previous['results'])} node(s) did not succeed")
    inv.vars = {**(args.get("vars") or {}), **inv.vars}
    inv.target = inv.target or args.get("target")
    # A failed backfill reruns batch by batch, a failed --full-refresh rebuilds from scratch.
    inv.full_refresh = bool(args.get("full_refresh"))
    inv.start, inv.end = args.get("start"), args.get("end")
    if args.get("state"):  # a deferred run's retry reads the same state's relations
        inv.state_path = Path(args["state"])
        inv.defer, inv.favor_state = bool(args.get("defer")), bool(args.get("favor_state"))
    manifest = compile_manifest(inv, console)
    selected = {uid for uid in todo if uid in manifest.nodes}
    units = {unit_test_id(spec): spec for spec in manifest.project.unit_tests if unit_test_id(spec) in todo}
    if not selected and not units:
        return RunOutcome(manifest, [], 0.0)
    return _build(manifest, inv, console, selected, command, threads or args.get("threads"), False, units)

