"""What the last run did, for the docs site: target/run_results.json and target/sources.json, when present.

Per node: status, time, rows and message of its last build, its tests' results, its source freshness.
For the landing page: when and what ran, counts by status, the slowest models and the failed tests.
A file that is missing gives nothing; one that cannot be read gives a note the site shows, never an error
(the docs of a project that never ran are still its docs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from elt.compile.compiler import Manifest

SLOWEST = 10
FAILED = ("error", "fail", "runtime error")
#: the fields of a run_results.json record the site shows
KEPT = ("status", "execution_time", "rows", "failures", "message", "completed_at")


def _read(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    if not path.is_file():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{path.name} cannot be read: {exc}"
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return None, f"{path.name} has no list of results"
    return data, None


def _record(result: dict[str, Any]) -> dict[str, Any]:
    record = {key: result.get(key) for key in KEPT}
    if isinstance(record["message"], str) and len(record["message"]) > 2000:
        record["message"] = record["message"][:2000] + " …"
    return record


def last_run(manifest: Manifest) -> dict[str, Any]:
    """{"run": summary or None, "nodes": {uid: {"run", "tests", "freshness"}}, "notes": [...]}."""
    target = manifest.project.config.target_dir
    nodes: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    summary: dict[str, Any] | None = None
    data, note = _read(target / "run_results.json")
    notes += [note] if note else []
    if data is not None:
        counts: dict[str, int] = {}
        timed: list[tuple[float, str]] = []
        failed_tests: list[dict[str, Any]] = []
        for result in data["results"]:
            uid = result.get("unique_id") if isinstance(result, dict) else None
            node = manifest.nodes.get(uid) if isinstance(uid, str) else None
            if node is None:
                continue
            status = str(result.get("status"))
            counts[status] = counts.get(status, 0) + 1
            if node.resource_type == "test":
                test = {"unique_id": uid, "name": node.name, "column": node.column_name, **_record(result)}
                if node.attached_to:
                    nodes.setdefault(node.attached_to, {}).setdefault("tests", []).append(test)
                if status in FAILED:
                    failed_tests.append({**test, "attached_to": node.attached_to})
                continue
            nodes.setdefault(node.unique_id, {})["run"] = _record(result)
            if node.resource_type in ("model", "snapshot") and isinstance(result.get("execution_time"), int | float):
                timed.append((float(result["execution_time"]), node.unique_id))
        found = data.get("metadata")
        metadata: dict[str, Any] = found if isinstance(found, dict) else {}
        summary = {
            "command": metadata.get("command"), "generated_at": metadata.get("generated_at"),
            "finished": metadata.get("finished"), "target": metadata.get("target"),
            "elapsed_time": data.get("elapsed_time"), "counts": dict(sorted(counts.items())),
            "slowest": [{"unique_id": uid, "execution_time": seconds}
                        for seconds, uid in sorted(timed, key=lambda t: (-t[0], t[1]))[:SLOWEST]],
            "failed_tests": sorted(failed_tests, key=lambda t: t["unique_id"]),
        }
    for tests in (entry["tests"] for entry in nodes.values() if "tests" in entry):
        tests.sort(key=lambda t: t["unique_id"])
    freshness, note = _read(target / "sources.json")
    notes += [note] if note else []
    checked = (freshness.get("metadata") or {}).get("generated_at") if freshness else None
    for result in freshness["results"] if freshness else []:
        uid = result.get("unique_id") if isinstance(result, dict) else None
        if isinstance(uid, str) and uid in manifest.nodes:
            nodes.setdefault(uid, {})["freshness"] = {
                "status": result.get("status"), "age_seconds": result.get("age_seconds"),
                "max_loaded_at": result.get("max_loaded_at"), "message": result.get("message"),
                "checked_at": checked}
    return {"run": summary, "nodes": nodes, "notes": notes}
