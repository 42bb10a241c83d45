"""Loading the installed packages into a project: their models, seeds, macros, generic tests and yml
properties, each package with its own paths and config trees (its dbt_project.yml), then the root
project's `[tool.elt.models.<package>]` (dbt: `models: <package>: ...`) on top.

A package's nodes carry its name (`Node.package_name`); their fqn starts with it, as in dbt. Model
and seed names stay unique across the project and its packages (elt's `ref('name')` names one node).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.errors import GraphError, ProjectError
from elt.nodes import MODEL_CONFIG_KEYS, SEED_CONFIG_KEYS, Node
from elt.project.packages import InstalledPackage, installed_packages

if TYPE_CHECKING:
    from elt.project.config import ProjectConfig
    from elt.project.loader import Project


def add_packages(project: Project) -> list[Path]:
    """Add every installed package's models, seeds and macros to `project`; package vars become
    defaults under the project's own. Returns the packages' yml property files, to be applied with
    the project's.

    Raises:
        ProjectError, GraphError: a malformed package, or a name its nodes share with another node.
    """
    from elt.project.loader import MacroFile, _files, _rel, _walk, read_text

    config = project.config
    packages = installed_packages(config)
    yml: list[Path] = []
    package_vars: dict[str, Any] = {}
    for package in packages:
        if package.ignored_keys:
            project.warnings.append(f"{package.rel_folder}/dbt_project.yml: config key(s) "
                                    f"{', '.join(package.ignored_keys)} are not used by elt and were ignored")
        for folder in package.model_paths:
            for parts, full in _walk(package.folder / folder, (".sql",)):
                _add_model(project, package, parts, Path(full))
        for folder in package.seed_paths:
            for parts, full in _walk(package.folder / folder, (".csv",)):
                _add_seed(project, package, parts, Path(full))
        macro_folders = [*package.macro_paths, *(f"{t}/generic" for t in package.test_paths)]
        for folder in macro_folders:
            for path in _files(package.folder / folder, (".sql",)):
                project.macros.append(MacroFile(_rel(config.root, path), read_text(path)))
        for folder in (*package.model_paths, *package.seed_paths):
            yml += _files(package.folder / folder, (".yml", ".yaml"))
        package_vars.update(package.vars)
        # the root dbt_project.yml's `vars: {<package>: {...}}` over the package's own (one scope in elt)
        package_vars.update(config.package_vars.get(package.name, {}))
    if package_vars:
        project.config = replace(config, vars={**package_vars, **config.vars})
    return yml


def package_names(project: Project) -> set[str]:
    """Names of the packages whose nodes the project holds."""
    return {n.package_name for n in (*project.models.values(), *project.seeds.values()) if n.package_name}


def _add_model(project: Project, package: InstalledPackage, parts: tuple[str, ...], path: Path) -> None:
    from elt.project.loader import _check_name, _rel, read_text

    *folders, file_name = parts
    name = file_name[: file_name.rfind(".")]
    rel = _rel(project.root, path)
    _check_name(name, "model", path)
    _check_unique(project, name, rel)
    text = read_text(path)
    if not text.strip():
        raise ProjectError("model file is empty", path=rel)
    config = _config(project.config, "models", package, package.models, tuple(folders), MODEL_CONFIG_KEYS)
    project.models[name] = Node(
        unique_id=f"model.{name}", name=name, resource_type="model", path=rel, config=config,
        fqn=(package.name, *folders, name), raw_sql=text, package_name=package.name,
    )


def _add_seed(project: Project, package: InstalledPackage, parts: tuple[str, ...], path: Path) -> None:
    from elt.project.loader import _check_name, _rel

    *folders, file_name = parts
    name = file_name[: file_name.rfind(".")]
    rel = _rel(project.root, path)
    _check_name(name, "seed", path)
    _check_unique(project, name, rel)
    config = _config(project.config, "seeds", package, package.seeds, tuple(folders), SEED_CONFIG_KEYS)
    project.seeds[name] = Node(
        unique_id=f"seed.{name}", name=name, resource_type="seed", path=rel, config=config,
        fqn=(package.name, *folders, name), package_name=package.name,
    )


def _check_unique(project: Project, name: str, rel: str) -> None:
    other = project.models.get(name) or project.seeds.get(name)
    if other is not None:
        raise GraphError(f"{rel} has the same name as {other.path}", path=rel,
                         hint="ref() names one model or seed across the project and its packages: "
                              "disable or rename one (enabled: false in the project's config tree)")


def _config(root: ProjectConfig, section: str, package: InstalledPackage, own_tree: dict[str, Any],
            folders: tuple[str, ...], valid: dict[str, str]) -> dict[str, Any]:
    """A package node's folder config: its package's tree, then the root project's, whose keys for
    the path `<package>/<folders>` win (as in dbt): in dbt_project.yml the `<section>: <package>:` level
    (elt.project.dbt_project.package_tree), in [tool.elt] the `[tool.elt.<section>.<package>]` table."""
    from elt.project.dbt_project import package_tree
    from elt.project.loader import folder_config

    if root.flavor == "dbt":
        from_root = folder_config(package_tree(root, section, package.name), folders, valid)
    else:
        from_root = folder_config(getattr(root, section), (package.name, *folders), valid)
    return {**folder_config(own_tree, folders, valid), **from_root}
