"""A dbt project's `dbt_project.yml` read into the same `ProjectConfig` as `[tool.elt]` (flavor "dbt").

What dbt reads is read the same way: every path key with dbt's defaults, `vars` (global, scoped by the
project's name, or by a package's), the `models:`/`seeds:`/`snapshots:`/`data_tests:` config trees, run hooks,
`dispatch`, `query-comment`. String values holding Jinja are rendered as dbt renders them (with
`env_var()` and `var()` of the command line), except vars, hooks and query-comment, rendered later.

Config trees follow dbt's rule: at each level, `+key` is a config key, a plain key with a mapping value
is a folder (a project or package name at the top), any other plain key is a config key. The level named
after the project becomes elt's folder tree (`loader.folder_config`), top-level config keys apply to it
(and to packages); other names are packages' trees, kept in `ProjectConfig.package_configs`
(`package_tree`). A key elt has no use for is ignored with a warning or refused (`config_keys`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from elt.dialects.names import DEFAULT_DIALECT
from elt.errors import ProjectError
from elt.nodes import MODEL_CONFIG_KEYS, SEED_CONFIG_KEYS, SNAPSHOT_CONFIG_KEYS, TEST_CONFIG_KEYS
from elt.project import config_keys
from elt.project.config import (
    ProjectConfig,
    check_dialect,
    check_dispatch,
    env_var,
    infer_dialect,
    target_values,
)
from elt.project.source_names import TargetValues
from elt.project.yamlfile import key_lines, load_yaml

DBT_PROJECT_FILE = "dbt_project.yml"
#: `vars: {elt_dialect: duckdb}` in dbt_project.yml: the dialect the project's SQL is written in, when
#: it is not the one its profile's output types give.
DIALECT_VAR = "elt_dialect"

#: Path keys and dbt's defaults (`docs-paths`: every other path; `clean-targets`: the target path).
_PATH_KEYS: dict[str, tuple[str, ...]] = {
    "model-paths": ("models",), "macro-paths": ("macros",), "seed-paths": ("seeds",), "test-paths": ("tests",),
    "analysis-paths": ("analyses",), "snapshot-paths": ("snapshots",), "docs-paths": (),
}
#: Keys read into the ProjectConfig.
_READ = {
    "name", "profile", *_PATH_KEYS, "source-paths", "data-paths", "target-path", "clean-targets",
    "packages-install-path", "vars", "models", "seeds", "snapshots", "data_tests", "tests", "on-run-start",
    "on-run-end", "dispatch", "query-comment",
}
#: Keys accepted without a word.
_QUIET = {"config-version", "version"}
#: Keys accepted and ignored, with the note said when the project sets them.
NOTED_KEYS: dict[str, str] = {
    "require-dbt-version": "elt does not check dbt versions",
    "log-path": "elt writes no log files",
    "asset-paths": "elt docs copies no assets",
    "quoting": "elt names are plain identifiers, the same quoted or not",
    "restrict-access": "model access is not enforced",
    "dbt-cloud": "dbt Cloud settings",
    "flags": "dbt behaviour flags",
    "packages": "elt reads packages from packages.yml or dependencies.yml",
    "sources": "source configs from dbt_project.yml are not applied",
    "analyses": "analysis configs are not applied",
    "unit_tests": "unit test configs are not applied",
    "metrics": "semantic-layer definitions", "semantic-models": "semantic-layer definitions",
    "saved-queries": "semantic-layer definitions", "exposures": "exposures",
    "functions": "elt builds no user-defined functions", "function-paths": "elt builds no user-defined functions",
    # read into ProjectConfig.query_comment for a later use, but no statement carries it yet
    "query-comment": "elt sends its statements without a query comment",
}
#: Keys whose values are rendered at run time, not when the file is read (as in dbt).
_LATE = {"vars", "on-run-start", "on-run-end", "query-comment"}
_HOOK_KEYS = {"pre-hook", "post-hook", "pre_hook", "post_hook"}
_TREES = {"models": MODEL_CONFIG_KEYS, "seeds": SEED_CONFIG_KEYS, "snapshots": SNAPSHOT_CONFIG_KEYS,
          "data_tests": TEST_CONFIG_KEYS}


def load_dbt_project(root: Path, cli_vars: dict[str, Any] | None = None,
                     profiles_dir: Path | None = None, *, dialect_required: bool = True,
                     target_name: str | None = None) -> ProjectConfig:
    """Read `root/dbt_project.yml`.

    Args:
        cli_vars: `--vars`; they win over the file's vars (and are what `var()` in the file reads).
        profiles_dir: `--profiles-dir`, for the profile the dialect is inferred from.
        dialect_required: False: when the profile cannot tell the dialect, leave it unknown (`elt clean`).
        target_name: `--target`, the output `target` stands for in the file's values (default: the profile's).

    Raises:
        ProjectError: malformed YAML, an unknown or malformed key (with its line), a refused config key.
    """
    path = root / DBT_PROJECT_FILE
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ProjectError("dbt_project.yml must be a mapping (name, profile, ...)", path=path)
    lines = key_lines(path.read_text(encoding="utf-8"))
    raw_profile = data.get("profile")
    reader = _Reader(path, lines, cli_vars or {},
                     lambda: target_values(root, str(raw_profile), profiles_dir, target_name))
    unknown = [key for key in data if key not in _READ and key not in _QUIET and key not in NOTED_KEYS]
    if unknown:
        raise ProjectError(
            f"unknown key {unknown[0]!r} in dbt_project.yml", path=path, line=lines.get((unknown[0],)),
            hint=f"valid keys: {', '.join(sorted({*_READ, *_QUIET, *NOTED_KEYS}))}")
    data = {key: value if key in _LATE else reader.render(value, (key,)) for key, value in data.items()}
    notes = [f"dbt_project.yml:{lines.get((key,), 1)}: `{key}` is ignored: {NOTED_KEYS[key]}"
             for key in data if key in NOTED_KEYS and data[key] not in (None, {}, [])]
    name, profile = data.get("name"), data.get("profile")
    if not isinstance(name, str) or not name.isidentifier():
        raise ProjectError("dbt_project.yml needs a `name` (letters, digits, underscores)", path=path,
                           line=lines.get(("name",)))
    if not isinstance(profile, str) or not profile:
        raise ProjectError("dbt_project.yml needs a `profile` (the profile's name in profiles.yml)", path=path,
                           line=lines.get(("profile",)), hint=f"add: profile: {name}")
    paths = {key: reader.paths(data, key, default) for key, default in _PATH_KEYS.items()}
    if "model-paths" not in data and "source-paths" in data:  # dbt's older names, still read
        paths["model-paths"] = reader.paths(data, "source-paths", ("models",))
    if "seed-paths" not in data and "data-paths" in data:
        paths["seed-paths"] = reader.paths(data, "data-paths", ("seeds",))
    target_path = reader.string(data, "target-path", "target")
    global_vars, package_vars = _vars(data.get("vars") or {}, name, root, data, reader)
    project_vars = dict(global_vars)
    try:
        dialect, dialect_from = _dialect(project_vars, root, profile, profiles_dir, path, lines)
    except ProjectError:
        if dialect_required:
            raise
        dialect, dialect_from = DEFAULT_DIALECT, "unknown (the profile could not be read)"
    trees: dict[str, dict[str, Any]] = {}
    packages: dict[str, dict[str, Any]] = {}
    ignored = config_keys.IgnoredKeys()
    if "tests" in data and "data_tests" in data:
        raise ProjectError("dbt_project.yml has both `tests:` and `data_tests:`", path=path,
                           line=lines.get(("tests",)), hint="`tests:` is dbt's older name of `data_tests:`: keep one")
    if "tests" in data:  # dbt's older name of the tree
        data["data_tests"] = data.pop("tests")
    installed = _package_names(root, data)
    for section, valid in _TREES.items():
        trees[section], packages[section] = _tree(data.get(section), section, name, valid, reader, ignored)
        for package in sorted(set(packages[section]) - installed - {""}):
            notes.append(f"dbt_project.yml:{lines.get((section, package), 1)}: `{section}: {package}:` names "
                         f"neither this project ({name}) nor an installed package: it applies to nothing")
    return ProjectConfig(
        root=root, name=name, profile=profile, dialect=dialect, flavor="dbt", dialect_from=dialect_from,
        model_paths=paths["model-paths"], macro_paths=paths["macro-paths"], seed_paths=paths["seed-paths"],
        test_paths=paths["test-paths"], analysis_paths=paths["analysis-paths"],
        snapshot_paths=paths["snapshot-paths"], docs_paths=paths["docs-paths"], target_path=target_path,
        clean_targets=reader.paths(data, "clean-targets", (target_path,)),
        packages_install_path=reader.string(data, "packages-install-path", "dbt_packages"),
        vars={**project_vars, **(cli_vars or {})}, package_vars=package_vars,
        models=trees["models"], seeds=trees["seeds"], snapshots=trees["snapshots"], data_tests=trees["data_tests"],
        package_configs=packages,
        on_run_start=reader.statements(data, "on-run-start"), on_run_end=reader.statements(data, "on-run-end"),
        dispatch=reader.dispatch(data.get("dispatch") or []), query_comment=data.get("query-comment"),
        notes=tuple(notes), ignored_config=tuple((key, where) for key, places in ignored.places.items()
                                                  for where in places),
    )


def package_tree(config: ProjectConfig, section: str, package: str) -> dict[str, Any]:
    """The config tree (elt's shape, `loader.folder_config`) of a package's nodes of `section` (models,
    seeds, data_tests): the root project's top-level keys, then what it sets under the package's name."""
    return dict(config.package_configs.get(section, {}).get(package) or config.package_configs.get(section, {})
                .get("", {}))


def tree_line(config: ProjectConfig, section: str, parts: tuple[str, ...]) -> int | None:
    """Line in dbt_project.yml of the folder `parts` (below the project's name) of a config tree."""
    try:
        lines = key_lines((config.root / DBT_PROJECT_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return lines.get((section, config.name, *parts))


def _vars(raw: Any, name: str, root: Path, data: dict[str, Any], reader: _Reader
          ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the root project's vars: global keys, then those scoped by its name; package-scoped vars)."""
    if not isinstance(raw, dict):
        raise ProjectError("`vars` must be a mapping", path=reader.path, line=reader.lines.get(("vars",)))
    packages = _package_names(root, data) - {name}
    global_vars: dict[str, Any] = {}
    scoped: dict[str, Any] = {}
    package_vars: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if key == name and isinstance(value, dict):
            scoped.update(value)
        elif key in packages and isinstance(value, dict):
            package_vars[key] = dict(value)
        else:
            global_vars[key] = value
    return {**global_vars, **scoped}, package_vars


def _package_names(root: Path, data: dict[str, Any]) -> set[str]:
    """Names of the packages installed under packages-install-path (their dbt_project.yml `name`)."""
    folder = root / str(data.get("packages-install-path") or "dbt_packages")
    names: set[str] = set()
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            names.add(child.name)
            project = child / DBT_PROJECT_FILE
            if project.is_file():
                try:
                    package = load_yaml(project)
                except ProjectError:
                    continue
                if isinstance(package, dict) and isinstance(package.get("name"), str):
                    names.add(package["name"])
    return names


def _dialect(project_vars: dict[str, Any], root: Path, profile: str, profiles_dir: Path | None, path: Path,
             lines: dict[tuple[str, ...], int]) -> tuple[str, str]:
    """The project's dialect and where it came from: the var `elt_dialect`, else the profile's output types."""
    chosen = project_vars.get(DIALECT_VAR)
    if chosen is not None:
        line = lines.get(("vars", DIALECT_VAR)) or lines.get(("vars",))
        check_dialect(chosen, path, where=f"vars: {DIALECT_VAR}")
        return str(chosen), f"vars: {DIALECT_VAR} in dbt_project.yml:{line or 1}"
    return infer_dialect(root, profile, profiles_dir, hint=f"or say which dialect the models are written in: "
                         f"vars: {{{DIALECT_VAR}: <sqlglot dialect>}} in dbt_project.yml")


def _tree(raw: Any, section: str, project: str, valid: dict[str, str], reader: _Reader,
          ignored: config_keys.IgnoredKeys) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the project's tree, {package: tree, "": top-level keys}) of `models:` (or seeds, data_tests)."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        raise ProjectError(f"`{section}` must be a mapping", path=reader.path, line=reader.lines.get((section,)))
    top: dict[str, Any] = {}
    own: dict[str, Any] = {}
    packages: dict[str, Any] = {}
    for key, value in raw.items():
        if str(key).startswith("+") or not isinstance(value, dict):
            top.update(reader.config(str(key), value, (section, str(key)), valid, ignored))
        elif key == project:
            own = _level(value, (section, key), valid, reader, ignored)
        else:
            packages[str(key)] = _level(value, (section, key), valid, reader, ignored)
    packages = {name: {**top, **tree} for name, tree in packages.items()}
    packages[""] = dict(top)
    return {**top, **own}, packages


def _level(level: dict[str, Any], keys: tuple[str, ...], valid: dict[str, str], reader: _Reader,
           ignored: config_keys.IgnoredKeys) -> dict[str, Any]:
    """One level of a config tree in elt's shape: config keys, and a nested mapping per folder."""
    result: dict[str, Any] = {}
    for key, value in level.items():
        key = str(key)
        if key.startswith("+") or not isinstance(value, dict):
            result.update(reader.config(key, value, (*keys, key), valid, ignored))
            continue
        if key in valid:  # elt's tree shape reads it as the config key: a folder may not be named so
            raise ProjectError(
                f"a folder named {key!r} cannot be configured in `{keys[0]}:` (elt reads `{key}` as its config "
                "key)", path=reader.path, line=reader.lines.get((*keys, key)),
                hint=f"if `{key}` is meant as the config key, write `+{key}` (dbt reads a plain key with a "
                "mapping value as a folder)")
        try:
            result[key] = _level(value, (*keys, key), valid, reader, ignored)
        except ProjectError as exc:
            if key in config_keys.IGNORED or key in config_keys.REFUSED or key in config_keys.ALIASES:
                exc.hint = f"{exc.hint + '; ' if exc.hint else ''}dbt reads a plain `{key}:` with a mapping " \
                    f"value as a folder: write `+{key}` for the config key"
            raise
    return result


class _Reader:
    """The file's values, checked, with errors naming the file and line."""

    def __init__(self, path: Path, lines: dict[tuple[str, ...], int], cli_vars: dict[str, Any],
                 target: Callable[[], dict[str, Any]]) -> None:
        self.path, self.lines, self.cli_vars = path, lines, cli_vars
        self._target = target
        self._target_values: TargetValues | None = None

    def target(self) -> TargetValues:
        """`target` in a value: the profile's chosen output, read when a value first names it."""
        if self._target_values is None:
            self._target_values = TargetValues(self._target())
        return self._target_values

    def line(self, keys: tuple[str, ...]) -> int | None:
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)

    def render(self, value: Any, keys: tuple[str, ...]) -> Any:
        """Render Jinja in string values, as dbt does when it reads the file (hooks are left as they are)."""
        if isinstance(value, dict):
            return {k: v if str(k).lstrip("+ ") in _HOOK_KEYS else self.render(v, (*keys, str(k)))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, keys) for v in value]
        if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
            return value
        import jinja2
        from jinja2.nativetypes import NativeEnvironment

        def var(name: str, default: Any = None) -> Any:
            if name in self.cli_vars:
                return self.cli_vars[name]
            if default is None:
                raise ProjectError(f"var {name!r} is not set: dbt_project.yml reads only vars given with --vars",
                                   path=self.path, line=self.line(keys), hint=f"give a default: var('{name}', ...)")
            return default

        env = NativeEnvironment(undefined=jinja2.StrictUndefined)
        context: dict[str, Any] = {"env_var": lambda n, d=None: env_var(n, d, path=self.path), "var": var}
        if "target" in value:
            context["target"] = self.target()
        try:
            return env.from_string(value).render(context)
        except ProjectError as exc:
            exc.line = exc.line or self.line(keys)
            raise
        except jinja2.UndefinedError as exc:
            raise ProjectError(f"cannot render {value!r}: {exc.message}", path=self.path, line=self.line(keys),
                               hint="dbt_project.yml values may use env_var(), var() (of --vars) and target"
                               ) from None
        except jinja2.TemplateError as exc:
            raise ProjectError(f"cannot render {value!r}: {exc}", path=self.path, line=self.line(keys)) from None

    def config(self, key: str, value: Any, keys: tuple[str, ...], valid: dict[str, str],
               ignored: config_keys.IgnoredKeys) -> dict[str, Any]:
        """A tree's config key, named as elt names it; {} when ignored."""
        name = key.removeprefix("+").strip()
        line = self.line(keys)
        return config_keys.sort_config({name: value}, valid, f"dbt_project.yml:{line or 1}", ignored,
                                       path=self.path, line=line, kind=f"`{keys[0]}:`")

    def paths(self, data: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ProjectError(f"`{key}` must be a list of folder names", path=self.path, line=self.line((key,)))
        return tuple(v.rstrip("/" + os.sep) or v for v in value)

    def string(self, data: dict[str, Any], key: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value:
            raise ProjectError(f"`{key}` must be a non-empty string", path=self.path, line=self.line((key,)))
        return value

    def statements(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProjectError(f"`{key}` must be a SQL string or a list of them", path=self.path,
                               line=self.line((key,)))
        return tuple(value)

    def dispatch(self, value: Any) -> tuple[dict[str, Any], ...]:
        return check_dispatch(value, self.path, self.line(("dispatch",)))
