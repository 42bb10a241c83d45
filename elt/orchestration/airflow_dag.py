"""`elt airflow generate`: a fresh manifest -> the DAG's tasks -> the DAG file, written atomically.

The manifest (target/manifest.json) is reused when it is fresh: written by this elt version for the
same target, and newer than every project file (pyproject.toml, profiles.yml, models, macros, seeds,
data tests). Otherwise the project is compiled first, as `elt compile` does.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt import __version__
from elt.errors import ProjectError
from elt.orchestration.dag_file import DagSource, render_dag_file
from elt.orchestration.dag_spec import TaskSpec, build_dag_spec
from elt.orchestration.settings import load_airflow_config, load_schedule_config
from elt.project.config import ProjectConfig, load_project_config, load_target
from elt.report.artifacts import MANIFEST_SCHEMA
from elt.report.console import Console
from elt.secrets import mask

if TYPE_CHECKING:
    from elt.cli.invocation import Invocation


@dataclass(frozen=True)
class GeneratedDag:
    """What `generate_dag` wrote."""

    path: Path
    dag_id: str
    tasks: list[TaskSpec]
    schedule: str | None
    #: the manifest was (re)compiled rather than reused.
    compiled: bool


def generate_dag(inv: Invocation, console: Console, output: Path | None = None,
                 vars_text: str | None = None) -> GeneratedDag:
    """Write the Airflow DAG file of the project `inv` names.

    Args:
        inv: the command's `elt.cli.invocation.Invocation` (project dir, profiles dir, target, vars).
        console: where compile warnings go.
        output: the file to write (default: [tool.elt.airflow] `output`, else
            `<project>/dags/elt_<project>.py`).
        vars_text: `--vars` as given, passed on to every task's command.

    Raises:
        ProjectError: bad configuration; anything `elt compile` raises when the manifest is stale.
    """
    config = load_project_config(inv.project_dir, inv.vars)
    airflow = load_airflow_config(config.root)
    schedule = load_schedule_config(config.root)
    target = load_target(config, inv.profiles_dir, inv.target)
    manifest, compiled = _fresh_manifest(inv, console, config, target.name, target.profiles_path)
    specs = build_dag_spec(manifest, tests=airflow.tests, seeds=airflow.seeds)
    dag_id = airflow.dag_id or f"elt_{config.name}"
    cron = schedule.project_cron
    profiles_dir = airflow.profiles_dir or (str(Path(inv.profiles_dir).resolve()) if inv.profiles_dir else None)
    source = DagSource(
        dag_id=dag_id, project_name=config.name, project_dir=airflow.project_dir or str(config.root),
        target=target.name, elt_version=__version__,
        manifest_generated_at=str(manifest["metadata"].get("generated_at", "?")), airflow=airflow,
        cron=cron.expression if cron else None, timezone=schedule.timezone, profiles_dir=profiles_dir,
        vars_text=vars_text or None,
    )
    text = render_dag_file(specs, source)
    compile(text, "<generated DAG>", "exec")  # a bug here must not reach Airflow as an import error
    path = output or (config.root / airflow.output if airflow.output else config.root / "dags" / f"{dag_id}.py")
    _write_atomically(path, text)
    return GeneratedDag(path, dag_id, specs, source.cron, compiled)


def _fresh_manifest(inv: Invocation, console: Console, config: ProjectConfig, target: str,
                    profiles_path: Path) -> tuple[dict[str, Any], bool]:
    path = config.target_dir / "manifest.json"
    manifest = _read_manifest(path)
    if manifest is not None and not inv.vars and _is_fresh(manifest, path, config, target, profiles_path):
        return manifest, False
    from elt.cli.compile_command import compile_command

    compile_command(inv, console, stamped=False)
    manifest = _read_manifest(path)
    if manifest is None:
        raise ProjectError(f"compiling did not write a readable {path}")
    return manifest, True


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("nodes"), dict) else None


def _is_fresh(manifest: dict[str, Any], path: Path, config: ProjectConfig, target: str, profiles_path: Path) -> bool:
    meta = manifest.get("metadata", {})
    if meta.get("schema") != MANIFEST_SCHEMA or meta.get("elt_version") != __version__:
        return False
    if meta.get("target", {}).get("name") != target:
        return False
    written = path.stat().st_mtime
    return all(p.stat().st_mtime <= written for p in _project_files(config, profiles_path))


def _project_files(config: ProjectConfig, profiles_path: Path) -> Iterator[Path]:
    yield config.project_file
    yield profiles_path
    for folder in (*config.model_paths, *config.macro_paths, *config.seed_paths, *config.test_paths):
        root = config.root / folder
        if root.is_dir():
            yield root  # a deleted file changes its folder's mtime
            yield from root.rglob("*")


def _write_atomically(path: Path, text: str) -> None:
    # Airflow's DAG processor may read the folder at any moment: it must see the old file or the new one.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(mask(text))  # the DAG holds the command lines (--vars) of its tasks
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
