"""`elt clean`: remove the project's `clean-targets` (dbt_project.yml; `[tool.elt] clean-targets`),
by default the target folder; never a path outside the project folder, nor one of its source folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from elt.cli.invocation import Invocation
from elt.errors import ProjectError
from elt.project.config import ProjectConfig, has_elt_table, load_project_config


def clean_command(inv: Invocation) -> list[Path]:
    """Remove each clean target that exists; returns those removed.

    Raises:
        ProjectError: a clean target outside the project folder, the folder itself, or a source folder
            (models, seeds, macros, ...): nothing is removed then.
    """
    config = _config(inv)
    root = config.root
    protected = {(root / p).resolve() for p in (*config.model_paths, *config.seed_paths, *config.macro_paths,
                                                  *config.test_paths, *config.analysis_paths,
                                                  *config.snapshot_paths)}
    chosen: list[Path] = []
    for name in config.clean_targets:
        path = (root / name).resolve()
        if path == root or root not in path.parents:
            raise ProjectError(f"clean target {name!r} is not inside the project folder {root}: not removed",
                               path=config.project_file, hint="clean-targets name folders inside the project")
        if path in protected or any(path in p.parents for p in protected):
            raise ProjectError(f"clean target {name!r} holds project sources: not removed",
                               path=config.project_file, hint="clean-targets name build outputs (target, logs)")
        chosen.append(path)
    removed = []
    for path in chosen:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def _config(inv: Invocation) -> ProjectConfig:
    """The project's configuration; a dbt project's without the profile (clean needs no dialect)."""
    root = inv.project_dir.resolve()
    from elt.project.dbt_project import DBT_PROJECT_FILE, load_dbt_project

    if (root / DBT_PROJECT_FILE).is_file() and not has_elt_table(root / "pyproject.toml"):
        return load_dbt_project(root, inv.vars, inv.profiles_dir, dialect_required=False)
    return load_project_config(root, inv.vars, inv.profiles_dir)
