"""One function per command: load, compile, select, plan, run, write artifacts.

The CLI parses arguments and calls these; they return results and never print (progress goes to the
`Console` passed in) and never exit.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.adapters.base import Adapter
from elt.compiler import Manifest, compile_project
from elt.config import TargetConfig, load_target
from elt.console import Console
from elt.errors import EltError, ProjectError
from elt.plan import Plan, build_plan
from elt.project import Project, load_project
from elt.runner import NodeResult, execute_dag


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


@dataclass
class RunOutcome:
    manifest: Manifest
    results: list[NodeResult]
    elapsed: float

    @property
    def failed(self) -> bool:
        return any(r.status == "error" for r in self.results)


def load(inv: Invocation) -> tuple[Project, TargetConfig]:
    project = load_project(inv.project_dir, inv.vars)
    target = load_target(project.config, inv.profiles_dir, inv.target)
    return project, target


def compile_manifest(inv: Invocation, console: Console) -> Manifest:
    project, target = load(inv)
    for warning in project.warnings:
        console.warning(warning)
    manifest = compile_project(project, target)
    console.nodes = manifest.nodes
    return manifest


def select(manifest: Manifest, inv: Invocation, console: Console, resource_types: set[str]) -> set[str]:
    from elt.selection import select_nodes, unmatched_selectors

    selected = select_nodes(manifest.graph, manifest.nodes, inv.select, inv.exclude, resource_types)
    for selector in unmatched_selectors(manifest.graph, manifest.nodes, inv.select):
        console.warning(f"the selector {selector!r} matches no node")
    return selected


def compile_command(inv: Invocation, console: Console, target_dialect: str | None = None) -> tuple[Manifest, int]:
    """`elt compile`: write target/compiled/ and target/manifest.json. Returns (manifest, files).

    When the target's engine speaks another dialect than the project, each model is also translated
    (so constructs it cannot run faithfully are reported now) and written to target/translated/.
    """
    from elt import artifacts

    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"model"})
    ordered = [uid for uid in manifest.graph.topological_order() if uid in selected]
    count = artifacts.write_compiled(manifest, ordered)
    if target_dialect is None:
        target_dialect = _adapter_class(manifest.target).dialect
    if target_dialect != manifest.dialect:
        for uid in ordered:  # surfaces untranslatable constructs now rather than at run time
            artifacts._write(
                manifest.project.config.target_dir / "translated" / manifest.nodes[uid].path,
                manifest.sql_for(uid, target_dialect),
            )
    artifacts.write_manifest(manifest)
    return manifest, count


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


def seed_command(inv: Invocation, console: Console, *, threads: int | None) -> RunOutcome:
    """`elt seed`: load the selected seeds."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, {"seed"})
    return _build(manifest, inv, console, selected, "seed", threads, False)


def _build(
    manifest: Manifest, inv: Invocation, console: Console, selected: set[str], command: str,
    threads: int | None, fail_fast: bool,
) -> RunOutcome:
    from elt import artifacts

    plan = build_plan(manifest, selected)
    adapter_cls = _adapter_class(manifest.target)
    # Translate everything before touching the warehouse: a construct the engine cannot run with
    # Hive's meaning is a compile error, and nothing is built.
    sql = {uid: manifest.sql_for(uid, adapter_cls.dialect)
           for uid in plan.unique_ids if manifest.nodes[uid].resource_type == "model"}
    artifacts.write_compiled(manifest, plan.unique_ids)
    artifacts.write_manifest(manifest)
    start = time.perf_counter()
    if not plan.unique_ids:
        return RunOutcome(manifest, [], 0.0)
    threads = threads or manifest.target.threads
    noun = "seed(s)" if command == "seed" else "model(s)"
    console.info(f"Running {len(plan.unique_ids)} {noun} on {manifest.target.type} "
                 f"target {manifest.target.name!r} with {threads} thread(s)")
    adapter = _open_adapter(manifest.target)
    try:
        _create_schemas(adapter, plan)
        work = _worker(manifest, adapter, sql, inv.debug)
        results = execute_dag(plan.graph, plan.unique_ids, work, threads=threads, fail_fast=fail_fast,
                              events=console)
    finally:
        adapter.close()
    elapsed = time.perf_counter() - start
    args = {"select": list(inv.select), "exclude": list(inv.exclude), "vars": inv.vars, "threads": threads,
            "target": manifest.target.name}
    artifacts.write_run_results(manifest, command, results, elapsed, args)
    return RunOutcome(manifest, results, elapsed)


def _create_schemas(adapter: Adapter, plan: Plan) -> None:
    # Serially, before workers start: concurrent CREATE SCHEMA of one name conflicts in DuckDB.
    for schema in plan.schemas:
        adapter.create_schema(schema)


def _worker(manifest: Manifest, adapter: Adapter, sql: dict[str, str], debug: bool):  # noqa: ANN202
    from elt import artifacts
    from elt.materializations.seed import load_seed
    from elt.materializations.table import build_table
    from elt.materializations.view import build_view
    from elt.seeds import read_seed

    target_dir = manifest.project.config.target_dir

    def work(uid: str) -> NodeResult:
        node = manifest.nodes[uid]
        assert node.relation is not None
        rows: int | None = None
        with adapter.recording() as statements:
            try:
                if node.resource_type == "seed":
                    data = read_seed(manifest.project.root, node.path, node.config)
                    rows = load_seed(adapter, node.relation, data)
                    verb = "loaded seed"
                elif node.materialized == "table":
                    rows = build_table(adapter, node.relation, sql[uid], node.config)
                    verb = "created table"
                else:
                    build_view(adapter, node.relation, sql[uid])
                    verb = "created view"
            except EltError as exc:
                return NodeResult(uid, "error", str(exc), statements=statements)
            except Exception as exc:  # noqa: BLE001 - a bug; keep the traceback for --debug
                return NodeResult(uid, "error", f"internal error: {type(exc).__name__}: {exc}",
                                  statements=statements, traceback=traceback.format_exc())
            finally:
                if node.resource_type == "model":
                    artifacts.write_run_sql(target_dir, node, statements)
        return NodeResult(uid, "success", f"{verb} {node.relation}", rows=rows, statements=statements)

    return work


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


def parse_vars(text: str | None) -> dict[str, Any]:
    """`--vars '{key: value}'` (YAML, as in dbt)."""
    if not text:
        return {}
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProjectError(f"--vars is not valid YAML: {exc}", hint="write it as '{key: value, other: 2}'") from None
    if not isinstance(value, dict):
        raise ProjectError("--vars must be a YAML mapping", hint="write it as '{key: value, other: 2}'")
    return value
