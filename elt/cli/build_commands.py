"""One function per command: load, compile, select, plan, run, write artifacts.

The CLI parses arguments and calls these; they return results and never print (progress goes to the
`Console` passed in) and never exit.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest, compile_project
from elt.errors import ArtifactError, EltError, ProjectError
from elt.project.config import TargetConfig, load_target
from elt.project.loader import Project, load_project
from elt.report.console import Console
from elt.run.interrupts import Interrupts, signal_name
from elt.run.lock import RunLock, lock_file
from elt.run.node_build import create_schemas, node_worker
from elt.run.plan import Plan, build_plan
from elt.run.runner import NodeResult, TeeEvents, execute_dag, now_iso

if TYPE_CHECKING:
    from elt.report.artifacts import RunResultsFile

log = logging.getLogger(__name__)


@dataclass
class Invocation:
    """What every command gets from the command line."""

    project_dir: Path = field(default_factory=Path.cwd)
    profiles_dir: Path | None = None
    target: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    debug: bool = False
    #: wait for another run writing to the same target instead of failing.
    wait: bool = False
    #: rebuild incremental models from scratch.
    full_refresh: bool = False
    #: backfill interval (ISO dates, both included): var('start') / var('end').
    start: str | None = None
    end: str | None = None


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


def load(inv: Invocation) -> tuple[Project, TargetConfig]:
    project = load_project(inv.project_dir, inv.vars)
    target = load_target(project.config, inv.profiles_dir, inv.target)
    return project, target


def compile_manifest(inv: Invocation, console: Console) -> Manifest:
    project, target = load(inv)
    for warning in project.warnings:
        console.warning(warning)
    manifest = compile_project(project, target)
    stats = manifest.cache_stats
    log.debug("compiled %d node(s): %d file(s) rendered (%d from the cache), %d generic test(s) rendered "
              "(%d from the cache), %d query(ies) parsed (%d from the cache), %d translated (%d from the cache)",
              len(manifest.nodes), stats.rendered, stats.render_hits, stats.tests_rendered, stats.test_hits,
              stats.parsed, stats.parse_hits, stats.translated, stats.translation_hits)
    console.nodes = manifest.nodes
    _check_incremental(manifest)
    return manifest


def _check_incremental(manifest: Manifest) -> None:
    from elt.materializations.incremental_config import check_models

    check_models(manifest, _adapter_class(manifest.target))


def select(manifest: Manifest, inv: Invocation, console: Console, resource_types: set[str]) -> set[str]:
    from elt.compile.unittests import unit_test_selectors
    from elt.run.selection import select_nodes, unmatched_selectors

    selected = select_nodes(manifest.graph, manifest.nodes, inv.select, inv.exclude, resource_types)
    unmatched = unmatched_selectors(manifest.graph, manifest.nodes, inv.select)
    # A unit test's name or test_type:unit matches no node: unit tests run outside the DAG.
    unit = unit_test_selectors(manifest, unmatched) if unmatched else set()
    for selector in [s for s in unmatched if s not in unit]:
        console.warning(f"the selector {selector!r} matches no node")
    return selected


def compile_command(inv: Invocation, console: Console, target_dialect: str | None = None) -> tuple[Manifest, int]:
    """`elt compile`: write target/compiled/ and target/manifest.json. Returns (manifest, files).

    When the target's engine speaks another dialect than the project, each model is also translated
    (so constructs it cannot run faithfully are reported now) and written to target/translated/.
    """
    manifest, written = _compile_and_write(inv, console, target_dialect)
    return manifest, sum(1 for rel in written if rel.startswith("compiled/"))


def _compile_and_write(inv: Invocation, console: Console, target_dialect: str | None) -> tuple[Manifest, list[str]]:
    """`compile_command`'s work; returns the manifest and the files written, relative to target/."""
    from elt.report import artifacts

    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"model"})
    ordered = [uid for uid in manifest.graph.topological_order() if uid in selected and uid in manifest.compiled_sql]
    with artifacts.writing() as writer:  # the SQL files are written while the manifest is made
        artifacts.write_compiled(manifest, ordered, writer)
        written = [f"compiled/{artifacts.output_path(manifest.nodes[uid])}" for uid in ordered]
        if target_dialect is None:
            target_dialect = _adapter_class(manifest.target).dialect
        if target_dialect != manifest.dialect:
            # Surfaces untranslatable constructs now rather than at run time.
            artifacts.write_translated(manifest, ordered, target_dialect, writer)
            written += [f"translated/{artifacts.output_path(manifest.nodes[uid])}" for uid in ordered]
        artifacts.write_manifest(manifest)
    return manifest, [*written, "manifest.json"]


@dataclass
class CompileSummary:
    """What `elt compile` reports."""

    models: int
    #: resource type -> how many nodes of it the project has.
    kinds: dict[str, int]
    target_name: str
    target_type: str
    target_path: str
    #: nothing had changed since the last compile: its outputs were kept (elt.compile.fast.stamp).
    unchanged: bool = False


def compile_for_cli(inv: Invocation, console: Console) -> CompileSummary:
    """`elt compile`, skipped when nothing it reads has changed since the last one (elt.compile.fast.stamp)."""
    from elt.compile import cache
    from elt.compile.fast import stamp as compile_stamp
    from elt.project.config import ENV_READS, load_project_config

    config = load_project_config(inv.project_dir, inv.vars)
    stamp_inputs = None
    if cache.enabled():
        invocation = (str(config.root), str(inv.profiles_dir), inv.target, repr(sorted(inv.vars.items())),
                      inv.select, inv.exclude)
        stamp_inputs = compile_stamp.inputs_digest(config, invocation, inv.profiles_dir)
        stamp = compile_stamp.load(config, inv.target)
        if stamp is not None and compile_stamp.holds(stamp, config, stamp_inputs):
            for warning in stamp.summary.get("warnings", []):
                console.warning(warning)
            return CompileSummary(**{k: v for k, v in stamp.summary.items() if k != "warnings"}, unchanged=True)
        compile_stamp.forget(config, inv.target)
    manifest, written = _compile_and_write(inv, console, None)
    kinds: dict[str, int] = {}
    for node in manifest.nodes.values():
        kinds[node.resource_type] = kinds.get(node.resource_type, 0) + 1
    summary = CompileSummary(
        models=sum(1 for rel in written if rel.startswith("compiled/")), kinds=kinds,
        target_name=manifest.target.name, target_type=manifest.target.type,
        target_path=manifest.project.config.target_path,
    )
    if stamp_inputs is not None:
        files = compile_stamp.outputs(config.target_dir, written)
        if files is not None:
            record = {k: v for k, v in vars(summary).items() if k != "unchanged"}
            compile_stamp.save(config, inv.target, compile_stamp.Stamp(
                inputs=stamp_inputs, environment=compile_stamp.environment(ENV_READS), outputs=files,
                summary={**record, "warnings": list(console.warnings)},
            ))
    return summary


def _adapter_class(target: TargetConfig) -> type[Adapter]:
    from elt.adapters import adapter_class

    return adapter_class(target.type, path=str(target.profiles_path))


def _open_adapter(target: TargetConfig) -> Adapter:
    adapter = _adapter_class(target)(target)
    adapter.open()
    return adapter


def run_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool) -> RunOutcome:
    """`elt run`: build the selected models in dependency order."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"model"})
    return _build(manifest, inv, console, selected, "run", threads, fail_fast)


def test_command(inv: Invocation, console: Console, *, threads: int | None, fail_fast: bool) -> RunOutcome:
    """`elt test`: run the data tests of the selected nodes (and the selected tests)."""
    manifest = compile_manifest(inv, console)
    return _build(manifest, inv, console, _select_tests(manifest, inv, console), "test", threads, fail_fast)


def unit_test_command(inv: Invocation, console: Console) -> RunOutcome:
    """`elt test --unit`: the selected models' unit tests, on in-memory DuckDB (no warehouse)."""
    from elt.compile.unittests import run_unit_tests, select_unit_tests

    manifest = compile_manifest(inv, console)
    specs = select_unit_tests(manifest, inv.select, inv.exclude)
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
    selected = select(manifest, inv, console, {"seed", "model"}) | _select_tests(manifest, inv, console)
    units = {unit_test_id(spec): spec for spec in select_unit_tests(manifest, inv.select, inv.exclude)}
    return _build(manifest, inv, console, selected, "build", threads, fail_fast, units)


def _select_tests(manifest: Manifest, inv: Invocation, console: Console) -> set[str]:
    """Tests selected directly, plus (as dbt's eager indirect selection) every test that reads a
    selected node."""
    from elt.run.selection import select_nodes

    chosen = select(manifest, inv, console, {"model", "seed", "source", "test"})
    excluded = select_nodes(manifest.graph, manifest.nodes, inv.exclude, None) if inv.exclude else set()
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


def _build(
    manifest: Manifest, inv: Invocation, console: Console, selected: set[str], command: str,
    threads: int | None, fail_fast: bool, unit_tests: dict[str, Any] | None = None,
) -> RunOutcome:
    """Plan and run `selected` (and `unit_tests`: id -> UnitTestSpec, run on in-memory DuckDB)."""
    from elt.report import artifacts

    unit_tests = unit_tests or {}
    plan = build_plan(manifest, selected, tests_gate_children=command == "build",
                      unit_tests={uid: f"model.{spec.model}" for uid, spec in unit_tests.items()})
    stats = manifest.cache_stats
    translated = (stats.translated, stats.translation_hits)
    adapter_cls = _adapter_class(manifest.target)
    # Translate everything before touching the warehouse: a construct the engine cannot run with
    # Hive's meaning is a compile error, and nothing is built.
    sql = {uid: manifest.sql_for(uid, adapter_cls.dialect) for uid in plan.unique_ids
           if uid in manifest.nodes and manifest.nodes[uid].resource_type in ("model", "test")}
    artifacts.write_compiled(manifest, plan.unique_ids)
    start = time.perf_counter()
    if not plan.unique_ids:
        artifacts.write_manifest(manifest)
        return RunOutcome(manifest, [], 0.0)
    threads = threads or manifest.target.threads
    noun = {"seed": "seed(s)", "run": "model(s)", "test": "test(s)"}.get(command, "node(s)")
    console.info(f"Running {len(plan.unique_ids)} {noun} on {manifest.target.type} "
                 f"target {manifest.target.name!r} with {threads} thread(s)")
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
                work = _unit_test_worker(manifest, unit_tests,
                                         node_worker(manifest, adapter, sql, console, inv, write_errors))
                # What `elt retry` needs to rerun the failed nodes as this run would have (retry_command).
                args = {"select": list(inv.select), "exclude": list(inv.exclude), "vars": inv.vars,
                        "threads": threads, "target": manifest.target.name, "full_refresh": inv.full_refresh,
                        "start": inv.start, "end": inv.end}
                results_file = artifacts.RunResultsFile(manifest, command, plan.unique_ids, args)
                results, stopped_by = _walk(plan, work, threads, fail_fast, console, adapter, results_file)
                elapsed = time.perf_counter() - start
                results_file.finish(results, elapsed, signal.Signals(stopped_by).name if stopped_by else None)
                if results_file.error is not None:
                    write_errors.append(results_file.error)
            finally:
                adapter.close()
    finally:
        # After the run it also holds the built relations' column names and types.
        try:
            artifacts.write_manifest(manifest)
        except ArtifactError as exc:
            write_errors.append(exc)  # lost when the run itself raised: its error is the one to see
    log.debug("the run translated %d query(ies) for the engine (and took %d from the cache)",
              stats.translated - translated[0], stats.translation_hits - translated[1])
    return RunOutcome(manifest, results, elapsed, stopped_by, write_errors[0] if write_errors else None)


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
                              events=TeeEvents(results_file, console), checks=plan.checks, poll=poll)
    return results, interrupts.first


def _unit_test_worker(manifest: Manifest, unit_tests: dict[str, Any], work: Any) -> Any:
    """`work`, with the unit tests among the nodes run each on its own in-memory DuckDB (not the
    warehouse, and safe from any worker thread)."""
    if not unit_tests:
        return work
    from elt.compile.unittests import memory_adapter, unit_test_result

    def run(uid: str) -> NodeResult:
        if uid not in unit_tests:
            return work(uid)
        with memory_adapter(manifest) as adapter:
            return unit_test_result(manifest, unit_tests[uid], adapter)

    return run


def freshness_command(inv: Invocation, console: Console) -> tuple[list[Any], Path]:
    """`elt source freshness`: grade each selected source's age; write target/sources.json."""
    import datetime
    import json

    from elt.run.freshness import check_source, checkable
    from elt.secrets import mask

    manifest = compile_manifest(inv, console)
    chosen = select(manifest, inv, console, {"source"})
    sources = [manifest.nodes[uid] for uid in sorted(chosen) if checkable(manifest.nodes[uid])]
    results = []
    if sources:
        adapter = _open_adapter(manifest.target)
        now = datetime.datetime.now(datetime.UTC)
        try:
            for index, node in enumerate(sources, start=1):
                result = check_source(node, adapter, manifest.dialect, now)
                console.freshness(index, len(sources), f"{node.source_name}.{node.name}", result.status,
                                  result.message)
                results.append(result)
        finally:
            adapter.close()
    path = manifest.project.config.target_dir / "sources.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mask(json.dumps({"metadata": {"schema": "elt/sources/v1", "generated_at": now_iso()},
                                     "results": [r.__dict__ for r in results]}, indent=2, default=str) + "\n"))
    return results, path


def retry_command(inv: Invocation, console: Console, *, threads: int | None) -> RunOutcome:
    """`elt retry`: rerun the nodes that failed or were skipped in the last run (run_results.json),
    or never ended (a run killed mid-way), with that run's command, vars, target, --full-refresh and
    --start/--end; the nodes that succeeded are left alone."""
    import json

    from elt.compile.unittests import unit_test_id

    project_results = load_project(inv.project_dir, inv.vars).config.target_dir / "run_results.json"
    if not project_results.is_file():
        raise ProjectError("there is no previous run to retry", path=project_results,
                           hint="elt retry reruns what failed in the last `elt run`, `build`, `seed` or `test`")
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
    manifest = compile_manifest(inv, console)
    selected = {uid for uid in todo if uid in manifest.nodes}
    units = {unit_test_id(spec): spec for spec in manifest.project.unit_tests if unit_test_id(spec) in todo}
    if not selected and not units:
        return RunOutcome(manifest, [], 0.0)
    return _build(manifest, inv, console, selected, command, threads or args.get("threads"), False, units)


def list_command(inv: Invocation, console: Console, resource_types: set[str]) -> list[str]:
    """`elt ls`: the selected nodes in dependency order."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, resource_types)
    return [uid for uid in manifest.graph.topological_order() if uid in selected]


def debug_command(inv: Invocation) -> list[tuple[str, bool, str]]:
    """`elt debug`: check project, profile and connection. Returns (check, ok, detail) rows."""
    checks: list[tuple[str, bool, str]] = []
    try:
        project, target = load(inv)
    except EltError as exc:
        checks.append(("project and profile", False, str(exc)))
        return checks
    checks.append(("project", True, f"{project.config.name} ({project.config.pyproject_path})"))
    checks.append(("profile", True, f"{project.config.profile} in {target.profiles_path}"))
    settings = ", ".join(f"{k}={v}" for k, v in target.public_settings().items())
    checks.append(("target", True, f"{target.name}: {settings}"))
    try:
        adapter = _open_adapter(target)
        try:
            version = adapter.version()
            adapter.fetchall("SELECT 1")
        finally:
            adapter.close()
        checks.append(("connection", True, version))
    except EltError as exc:
        checks.append(("connection", False, str(exc)))
    return checks


def _yaml_problem(exc: Exception, text: str) -> str:
    """PyYAML's error in one line: what is wrong and where (its message also quotes the text, and for
    a multi-line --vars, each context)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return problem
    where = f"line {mark.line + 1}, column {mark.column + 1}" if "\n" in text.strip() else f"column {mark.column + 1}"
    return f"{problem} ({where})"


def parse_vars(text: str | None) -> dict[str, Any]:
    """`--vars '{key: value}'` (YAML, as in dbt)."""
    if not text:
        return {}
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProjectError(f"--vars is not valid YAML: {_yaml_problem(exc, text)}",
                           hint="write it as '{key: value, other: 2}'") from None
    if not isinstance(value, dict):
        raise ProjectError("--vars must be a YAML mapping", hint="write it as '{key: value, other: 2}'")
    return value
