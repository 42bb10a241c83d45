"""dbt packages as files: the specs of `packages.yml` / `dependencies.yml`, and the packages installed
under `packages_install_path` (dbt_packages/, as `elt deps` or `dbt deps` leaves it).

A package is a folder holding a `dbt_project.yml`; only the keys elt needs of it are read here (name,
the path keys, the `models:`/`seeds:` config trees, `vars`). Installing is `elt.project.deps`; loading
the packages' nodes and macros into a project is `elt.project.package_loader`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.errors import ProjectError
from elt.nodes import IDENTIFIER, MODEL_CONFIG_KEYS, SEED_CONFIG_KEYS
from elt.project.config import ProjectConfig, render_env_value
from elt.project.yamlfile import load_yaml

#: the files a project lists its packages in, in the order dbt reads them (dbt refuses both at once).
SPEC_FILES = ("packages.yml", "dependencies.yml")

_KINDS = ("local", "git", "package")
_SPEC_KEYS = {
    "local": {"local"},
    "git": {"git", "revision", "subdirectory", "warn-unpinned"},
    "package": {"package", "version", "install-prerelease"},
}


@dataclass(frozen=True)
class PackageSpec:
    """One entry of packages.yml.

    Attributes:
        kind: local | git | package (a dbt hub package).
        source: the local path, the git URL, or the hub name (`dbt-labs/dbt_utils`).
        revision: git: the branch, tag or commit (None: the default branch).
        subdirectory: git: the package's folder inside the repository.
        versions: hub: the version ranges (`>=1.0.0`, `<2.0.0`, or an exact version).
        path, line: where it is declared (for errors).
    """

    kind: str
    source: str
    path: Path
    line: int | None
    revision: str | None = None
    subdirectory: str | None = None
    versions: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "git":
            return f"git {self.source}" + (f"@{self.revision}" if self.revision else "")
        if self.kind == "package":
            return f"hub package {self.source}" + (f" {', '.join(self.versions)}" if self.versions else "")
        return f"local {self.source}"


@dataclass(frozen=True)
class InstalledPackage:
    """A package folder under the install path, with what elt reads of its dbt_project.yml.

    Attributes:
        name: the package's `name` (what its macros are called through: `dbt_utils.star`).
        folder: the package folder (a link, for local packages).
        rel_folder: `folder` relative to the root project, POSIX separators.
        models, seeds: config trees below the package's own name (`+` dropped from config keys).
        ignored_keys: config keys of those trees elt does not use (dbt's docs, meta, ...).
    """

    name: str
    folder: Path
    rel_folder: str
    model_paths: tuple[str, ...] = ("models",)
    macro_paths: tuple[str, ...] = ("macros",)
    seed_paths: tuple[str, ...] = ("seeds",)
    test_paths: tuple[str, ...] = ("tests",)
    models: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    ignored_keys: tuple[str, ...] = ()


def spec_file(root: Path) -> Path | None:
    """The project's packages.yml or dependencies.yml (None: it has neither).

    Raises:
        ProjectError: both files are there (dbt, too, refuses that).
    """
    found = [root / name for name in SPEC_FILES if (root / name).is_file()]
    if len(found) > 1:
        raise ProjectError("both packages.yml and dependencies.yml list packages", path=found[1],
                           hint="keep one of them (dbt reads only one)")
    return found[0] if found else None


def read_specs(root: Path) -> list[PackageSpec]:
    """The packages the project at `root` lists (empty without a packages file).

    Raises:
        ProjectError: malformed YAML, or an entry that is not a local, git or hub package (file and line).
    """
    path = spec_file(root)
    if path is None:
        return []
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("packages", []), list):
        raise ProjectError("a packages file must be a mapping with a list `packages:`", path=path, line=1,
                           hint="e.g.\n    packages:\n      - local: ../my_package")
    lines = _item_lines(path)
    return [_spec(entry, path, lines[i] if i < len(lines) else None)
            for i, entry in enumerate(data.get("packages") or [])]


def _item_lines(path: Path) -> list[int]:
    """Line of each item of the `packages:` list (PyYAML's safe_load keeps no positions)."""
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "packages" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _spec(entry: Any, path: Path, line: int | None) -> PackageSpec:
    kinds = [k for k in _KINDS if isinstance(entry, dict) and k in entry]
    if len(kinds) != 1:
        what = "tarball and private packages are not supported" if isinstance(entry, dict) and (
            "tarball" in entry or "private" in entry) else f"got {entry!r}"
        raise ProjectError(f"a package must have exactly one of local:, git: or package: ({what})",
                           path=path, line=line,
                           hint="e.g. `- local: ../pkg`, `- git: https://...git` with `revision: v1.0`, "
                                "or `- package: dbt-labs/dbt_utils` with `version: [\">=1.0.0\", \"<2.0.0\"]`")
    kind = kinds[0]
    unknown = sorted(set(entry) - _SPEC_KEYS[kind])
    if unknown:
        raise ProjectError(f"unknown key(s) {', '.join(unknown)} in a {kind} package", path=path, line=line,
                           hint=f"valid keys: {', '.join(sorted(_SPEC_KEYS[kind]))}")
    values = {key: render_env_value(value, path) for key, value in entry.items()}
    source = values[kind]
    if not isinstance(source, str) or not source:
        raise ProjectError(f"`{kind}:` must be a non-empty string", path=path, line=line)
    versions = values.get("version", ())
    if isinstance(versions, (str, int, float)):
        versions = (str(versions),)
    if kind == "package":
        if "/" not in source:
            raise ProjectError(f"hub package {source!r} must be named <organisation>/<package>", path=path, line=line,
                               hint="e.g. dbt-labs/dbt_utils")
        if not versions:
            raise ProjectError(f"hub package {source!r} needs a `version:`", path=path, line=line,
                               hint='e.g. version: [">=1.0.0", "<2.0.0"]')
    revision = values.get("revision")
    subdirectory = values.get("subdirectory")
    return PackageSpec(kind, source, path, line, revision=None if revision is None else str(revision),
                       subdirectory=None if subdirectory is None else str(subdirectory),
                       versions=tuple(str(v) for v in versions))


def install_folder(config: ProjectConfig) -> Path:
    """Where packages are installed (and read from): `packages_install_path` under the project root."""
    return config.root / config.packages_install_path


def installed_packages(config: ProjectConfig) -> list[InstalledPackage]:
    """Every package under the install path (a folder with a dbt_project.yml), sorted by folder name.

    Raises:
        ProjectError: a package's dbt_project.yml is malformed, or two packages have one name.
    """
    folder = install_folder(config)
    if not folder.is_dir():
        return []
    found: dict[str, InstalledPackage] = {}
    for child in sorted(folder.iterdir()):
        project_file = child / "dbt_project.yml"
        if not child.is_dir() or not project_file.is_file():
            continue
        package = read_package(child, config.root)
        if package.name in found:
            raise ProjectError(f"two installed packages are named {package.name!r}: {found[package.name].rel_folder} "
                               f"and {package.rel_folder}", path=project_file, hint="remove one of them")
        if package.name == config.name:
            raise ProjectError(f"installed package {package.rel_folder} has the project's own name {config.name!r}",
                               path=project_file, hint="a project cannot be its own package: remove it")
        found[package.name] = package
    return list(found.values())


def read_package(folder: Path, root: Path) -> InstalledPackage:
    """What elt reads of the package in `folder` (its dbt_project.yml).

    Raises:
        ProjectError: the file is missing, malformed, or has no valid `name`.
    """
    path = folder / "dbt_project.yml"
    if not path.is_file():
        raise ProjectError(f"package folder {folder} has no dbt_project.yml", path=folder,
                           hint="a package is a dbt project: its folder holds a dbt_project.yml")
    data = _project_data(path)
    name = data.get("name")
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ProjectError(f"the package's `name` must be an identifier, got {name!r}", path=path, line=1)
    ignored: set[str] = set()
    models = _config_tree(_tree(data, "models", path).get(name) or {}, MODEL_CONFIG_KEYS, ignored)
    seeds = _config_tree(_tree(data, "seeds", path).get(name) or {}, SEED_CONFIG_KEYS, ignored)
    declared = _tree(data, "vars", path)
    # dbt: a `vars:` key named after a package scopes its mapping to that package; the rest is global.
    package_vars = {k: v for k, v in declared.items() if k != name}
    if isinstance(declared.get(name), dict):
        package_vars.update(declared[name])
    try:
        rel_folder = folder.relative_to(root).as_posix()
    except ValueError:
        rel_folder = str(folder)
    return InstalledPackage(
        name=name, folder=folder, rel_folder=rel_folder,
        model_paths=_paths(data, "model-paths", ("models",), path),
        macro_paths=_paths(data, "macro-paths", ("macros",), path),
        seed_paths=_paths(data, "seed-paths", ("seeds",), path),
        test_paths=_paths(data, "test-paths", ("tests",), path),
        models=models, seeds=seeds, vars=package_vars, ignored_keys=tuple(sorted(ignored)),
    )


@functools.lru_cache(maxsize=64)
def _cached_yaml(path: Path, mtime: float) -> Any:
    return load_yaml(path)


def _project_data(path: Path) -> dict[str, Any]:
    data = _cached_yaml(path, path.stat().st_mtime)
    if not isinstance(data, dict):
        raise ProjectError("dbt_project.yml must be a mapping", path=path, line=1)
    return data


def _tree(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ProjectError(f"`{key}:` of a package's dbt_project.yml must be a mapping", path=path)
    return value


def _paths(data: dict[str, Any], key: str, default: tuple[str, ...], path: Path) -> tuple[str, ...]:
    value = data.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProjectError(f"`{key}` must be a list of folder names", path=path)
    return tuple(value)


def _config_tree(tree: dict[str, Any], valid: dict[str, str], ignored: set[str]) -> dict[str, Any]:
    """A dbt config tree in elt's shape: `+key` and plain config keys as keys, folders as nested
    mappings; config keys elt does not know are left out (and added to `ignored`).

    >>> _config_tree({"+materialized": "table", "staging": {"+docs": {"show": False}}}, {"materialized": ""}, set())
    {'materialized': 'table', 'staging': {}}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        plain = key[1:] if key.startswith("+") else key
        if key.startswith("+") or (plain in valid and not isinstance(value, dict)):
            if plain in valid:
                out[plain] = value
            else:
                ignored.add(plain)
        elif isinstance(value, dict):
            out[key] = _config_tree(value, valid, ignored)
        else:
            ignored.add(plain)
    return out


def package_folders(config: ProjectConfig) -> dict[str, str]:
    """Folder of each installed package relative to the project root, with a trailing `/` -> the
    package's name: what tells a package's files (macros, models) from the project's own."""
    names: dict[str, str] = {}
    folder = install_folder(config)
    if folder.is_dir():
        for child in folder.iterdir():
            path = child / "dbt_project.yml"
            if path.is_file():
                data = _cached_yaml(path, path.stat().st_mtime)
                if isinstance(data, dict) and isinstance(data.get("name"), str):
                    names[f"{config.packages_install_path.rstrip('/')}/{child.name}/"] = data["name"]
    return names


def package_of(folders: dict[str, str], rel_path: str) -> str | None:
    """The package a project file (path relative to the root) belongs to, given `package_folders`;
    None for the root project's own files.

    >>> package_of({"dbt_packages/utils/": "dbt_utils"}, "dbt_packages/utils/macros/star.sql")
    'dbt_utils'
    """
    for prefix, name in folders.items():
        if rel_path.startswith(prefix):
            return name
    return None
