"""The commands that look without building: `elt ls`, `elt debug`, `elt source freshness`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elt.cli.invocation import Invocation, adapter_class_of, compile_manifest, load, open_adapter, select
from elt.errors import EltError
from elt.report.console import Console
from elt.report.sorting import natural_key
from elt.run.runner import now_iso


def list_command(inv: Invocation, console: Console, resource_types: set[str]) -> list[str]:
    """`elt ls`: the selected nodes in dependency order, each generation in natural order (`stg_2`
    before `stg_10`)."""
    manifest = compile_manifest(inv, console)
    selected = select(manifest, inv, console, resource_types)
    return [uid for generation in manifest.graph.generations()
            for uid in sorted((u for u in generation if u in selected), key=natural_key)]


def debug_command(inv: Invocation) -> list[tuple[str, bool, str]]:
    """`elt debug`: check project, profile and connection. Returns (check, ok, detail) rows."""
    checks: list[tuple[str, bool, str]] = []
    try:
        project, target = load(inv)
    except EltError as exc:
        checks.append(("project and profile", False, str(exc)))
        return checks
    config = project.config
    checks.append(("project", True, f"{config.name} ({config.project_file}, {config.flavor} format)"))
    if config.flavor == "elt" and (config.root / "dbt_project.yml").is_file():
        checks.append(("project file", True, "there is also a dbt_project.yml: [tool.elt] is the project's "
                       "configuration, dbt_project.yml is not read"))
    for note in config.notes:
        checks.append(("project file", True, note))
    checks.append(("dialect", True, f"{config.dialect} (from {config.dialect_from})"))
    checks.append(("profile", True, f"{project.config.profile} in {target.profiles_path}"))
    settings = ", ".join(f"{k}={v}" for k, v in target.public_settings().items())
    checks.append(("target", True, f"{target.name}: {settings}"))
    try:
        adapter = adapter_class_of(target)(target)
    except EltError as exc:
        checks.append(("connection", False, str(exc)))
        return checks
    try:
        checks.extend(adapter.connection_checks())
        pulls = _pulls(adapter) if checks[-1][1] else None
    finally:
        adapter.close()
    if pulls:
        checks.append(("pulled data", True, pulls))
    return checks


def _pulls(adapter: Any) -> str | None:
    """What `elt pull` copied into this target (elt.run.pull's record), in one line; None if nothing."""
    if not adapter.CAN_PULL_INTO:
        return None
    from elt.run.pull import pulled

    records = pulled(adapter)
    if not records:
        return None
    listed = "; ".join(f"{r['relation']} from {r['from_target']}:{r['from_relation']} ({r['limits']}, "
                       f"{r['row_count']} rows, {r['pulled_at']:%Y-%m-%d %H:%M} UTC)" for r in records)
    return f"{len(records)} relation(s): {listed}"


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
        adapter = open_adapter(manifest.target)
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

