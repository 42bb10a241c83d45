"""What every command starts with: the `Invocation` (the command line's common options, `--vars`
parsed), the project and target loaded, the project compiled in memory (`compile_manifest`), the
selection evaluated, the target's adapter.

The command modules (build_commands, compile_command, inspect_commands) call these; nothing here prints
(warnings go to the `Console` passed in) or exits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest, compile_project
from elt.errors import EltError, ProjectError
from elt.project.config import TargetConfig, load_target
from elt.project.loader import Project, load_project
from elt.report.console import Console

if TYPE_CHECKING:
    from elt.state import State, StateChanges

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
    #: --state: the folder of another run's manifest.json (elt.state); --defer / --favor-state.
    state_path: Path | None = None
    defer: bool = False
    favor_state: bool = False
    #: the state read and compared, once per command (`state_of`, `state_changes_of`).
    _state: Any = field(default=None, repr=False)
    _changes: Any = field(default=None, repr=False)
    #: --plan ("reach": what the changes reach) or --plan-all ("all": state:modified+), with --state.
    plan: str | None = None


def load(inv: Invocation) -> tuple[Project, TargetConfig]:
    project = load_project(inv.project_dir, inv.vars, inv.profiles_dir, inv.target)
    target = load_target(project.config, inv.profiles_dir, inv.target)
    return project, target


def compile_manifest(inv: Invocation, console: Console, errors: list[EltError] | None = None, *,
                     live: bool = False) -> Manifest:
    """The project compiled in memory. `errors`: as for `compile_project` (each model's render or
    parse error is appended there instead of raised). `live`: the models whose render reads the
    database are rendered again with it (`render_live_models`; their failures are warnings), for the
    commands that show models' SQL without building them (docs)."""
    project, target = load(inv)
    for warning in project.warnings:
        console.warning(warning)
    manifest = compile_project(project, target, errors=errors)
    for warning in project.ignored_config.warnings():  # dbt config keys elt ignores, once per key
        console.warning(warning)
    stats = manifest.cache_stats
    log.debug("compiled %d node(s): %d file(s) rendered (%d from the cache), %d generic test(s) rendered "
              "(%d from the cache), %d query(ies) parsed (%d from the cache), %d translated (%d from the cache)",
              len(manifest.nodes), stats.rendered, stats.render_hits, stats.tests_rendered, stats.test_hits,
              stats.parsed, stats.parse_hits, stats.translated, stats.translation_hits)
    console.nodes = manifest.nodes
    _check_incremental(manifest)
    _check_snapshots(manifest, errors)
    if live:
        failures: list[EltError] = []
        render_live_models(manifest, manifest.graph.topological_order(), failures)
        for failure in failures:
            console.warning(f"left without SQL: {failure}")
    return manifest


def render_live_models(manifest: Manifest, unique_ids: list[str], errors: list[EltError]) -> None:
    """The second render of the introspective models among `unique_ids` (elt.run.introspection), as dbt
    compiles with a connection; the target's database is opened only when a render asks it something.
    Each failure is appended to `errors`."""
    if not manifest.introspective.intersection(unique_ids):
        return
    from elt.run.introspection import render_all_live

    adapter = render_all_live(manifest, lambda: open_adapter(manifest.target), unique_ids, errors)
    if adapter is not None:
        adapter.close()


def _check_incremental(manifest: Manifest) -> None:
    from elt.materializations import external
    from elt.materializations.incremental_config import check_models

    check_models(manifest, adapter_class_of(manifest.target))
    external.check_models(manifest, adapter_class_of(manifest.target))


def _check_snapshots(manifest: Manifest, errors: list[EltError] | None) -> None:
    """Every compiled snapshot's config checked into its SnapshotSpec before anything runs; `errors`: as
    for `compile_project` (a snapshot whose render failed is not checked: its error is there already)."""
    snapshots = [node for node in manifest.nodes.values() if node.resource_type == "snapshot"
                 and (node.unique_id in manifest.compiled_sql or node.unique_id in manifest.introspective)]
    if not snapshots:
        return
    from elt.materializations.snapshot_config import snapshot_spec

    for node in snapshots:
        try:
            snapshot_spec(node)
        except EltError as exc:
            if errors is None:
                raise
            errors.append(exc)


def state_of(inv: Invocation) -> State | None:
    """The state of `--state` (read once), or None without it.

    Raises:
        ProjectError: the folder or its manifest.json is missing or unusable (elt.state.load_state).
    """
    if inv.state_path is None:
        return None
    if inv._state is None:
        from elt.state import load_state

        inv._state = load_state(inv.state_path)
    return inv._state  # type: ignore[no-any-return]


def state_changes_of(manifest: Manifest, inv: Invocation) -> StateChanges | None:
    """How `manifest` differs from `--state`, for `state:` selectors: compared once, and only when a
    selector asks (None without --state, or when no selector names `state:`)."""
    if inv._changes is None and inv.state_path is not None and any(
            "state:" in text for text in (*inv.select, *inv.exclude)):
        from elt.state import state_changes

        inv._changes = state_changes(manifest, state_of(inv))  # type: ignore[arg-type]
    return inv._changes  # type: ignore[no-any-return]


def apply_defer(manifest: Manifest, inv: Invocation, console: Console, selected: set[str]) -> dict[str, Any]:
    """--defer: the nodes `selected` reads and does not build, read from the state's relations where
    this target lacks them (all of them with --favor-state); the nodes reading them compiled again
    (elt.state.defer). Returns unique id -> the state relation read. Nothing without --defer.

    Raises:
        ProjectError: the state's relations are not readable from this target (another engine or file).
    """
    if not inv.defer:
        return {}
    from elt.report.artifacts import database_path
    from elt.state.defer import check_readable, defer, deferred_relations

    state = state_of(inv)
    assert state is not None  # --defer without --state is refused with the options
    check_readable(manifest, state, database_path(manifest.target))
    adapter: Adapter | None = None

    def exists(relation: Any) -> bool:
        nonlocal adapter
        if adapter is None:
            adapter = open_adapter(manifest.target)
        return adapter.relation_kind(relation) is not None

    try:
        deferred = deferred_relations(manifest, state, selected, favor_state=inv.favor_state, exists=exists)
    finally:
        if adapter is not None:
            adapter.close()
    defer(manifest, deferred)
    if deferred:
        names = ", ".join(f"{manifest.nodes[uid].name} -> {relation}" for uid, relation in sorted(deferred.items()))
        console.info(f"Deferring {len(deferred)} relation(s) to state target {state.target_name!r}: {names}")
    return deferred


def select(manifest: Manifest, inv: Invocation, console: Console, resource_types: set[str]) -> set[str]:
    from elt.compile.unittests import unit_test_selectors
    from elt.run.selection import select_nodes, unmatched_selectors

    changes = state_changes_of(manifest, inv)
    selected = select_nodes(manifest.graph, manifest.nodes, inv.select, inv.exclude, resource_types, changes)
    unmatched = unmatched_selectors(manifest.graph, manifest.nodes, inv.select, state=changes)
    # A unit test's name or test_type:unit matches no node: unit tests run outside the DAG.
    unit = unit_test_selectors(manifest, unmatched, changes) if unmatched else set()
    for selector in [s for s in unmatched if s not in unit]:
        console.warning(f"the selector {selector!r} matches no node")
    return selected


def adapter_class_of(target: TargetConfig) -> type[Adapter]:
    from elt.adapters import adapter_class

    return adapter_class(target.type, path=str(target.profiles_path))


def open_adapter(target: TargetConfig) -> Adapter:
    adapter = adapter_class_of(target)(target)
    adapter.open()
    return adapter


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

