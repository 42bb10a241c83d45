"""Project and profile configuration: `pyproject.toml [tool.elt]` and `profiles.yml` -> dataclasses.

Every error names the file (and line, where the parser knows it) and says what to do.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.dialects.names import DEFAULT_DIALECT, KNOWN_DIALECTS
from elt.errors import ProjectError

DEFAULT_THREADS = 4

#: Keys a target may carry whose values must never be logged or written to artifacts.
SECRET_KEYS = frozenset({"password", "token", "secret", "private_key", "keytab"})


@dataclass(frozen=True)
class TargetConfig:
    """One output of a profile: where and how to connect.

    Attributes:
        name: the target's name in profiles.yml (dev, prod, hive, ...).
        type: adapter type (duckdb, hive, spark).
        schema: default schema for relations whose config sets none (else the engine's own default).
        threads: default worker threads for `run`.
        settings: every key of the output, as rendered (secrets included: never log this), with the
            engine's defaults (`Adapter.with_default_settings`).
        profiles_path: the profiles.yml it came from.
        secret_keys: the settings whose value read a secret environment variable (ELT_SECRET_*):
            masked like `password`, and refused to models (`target.<key>`).
    """

    name: str
    type: str
    schema: str
    threads: int
    settings: dict[str, Any]
    profiles_path: Path
    #: the project folder; relative paths in settings (a DuckDB file) are resolved against it.
    project_root: Path | None = None
    secret_keys: frozenset[str] = frozenset()
    #: the SQL dialect the target's engine speaks (its adapter class's), which models are translated
    #: into when it is not the project's: carried here so compiling needs no adapter.
    dialect: str = field(kw_only=True)
    #: the database relations are built in (DuckDB: the catalog); None where the engine has none.
    database: str | None = field(default=None, kw_only=True)

    def public_settings(self) -> dict[str, Any]:
        """The settings with secret values masked, fit for logs and artifacts."""
        from elt.secrets import MASK

        return {k: (MASK if (k in SECRET_KEYS or k in self.secret_keys) and v else v)
                for k, v in self.settings.items()}


@dataclass(frozen=True)
class ProjectConfig:
    """The `[tool.elt]` table of pyproject.toml, with paths resolved against the project root."""

    root: Path
    name: str
    profile: str
    dialect: str = DEFAULT_DIALECT
    model_paths: tuple[str, ...] = ("models",)
    macro_paths: tuple[str, ...] = ("macros",)
    seed_paths: tuple[str, ...] = ("seeds",)
    #: singular data tests (SQL files that fail when they return rows); not the pytest `tests/`.
    test_paths: tuple[str, ...] = ("data_tests",)
    target_path: str = "target"
    vars: dict[str, Any] = field(default_factory=dict)
    #: `[tool.elt.models]`: keys apply to all models; nested tables to folders below models/.
    models: dict[str, Any] = field(default_factory=dict)
    #: `[tool.elt.seeds]`, same shape as `models`.
    seeds: dict[str, Any] = field(default_factory=dict)
    #: `[tool.elt.snapshots]`: config of snapshots, same shape as `models` (folders below snapshots/).
    snapshots: dict[str, Any] = field(default_factory=dict)
    #: `[tool.elt.data_tests]`: config of data tests, same shape as `models` (folders of test files).
    data_tests: dict[str, Any] = field(default_factory=dict)
    #: which file the project came from: "elt" (pyproject.toml [tool.elt]) or "dbt" (dbt_project.yml).
    #: Only defaults differ (relation naming, the dialect); every feature is open to both.
    flavor: str = "elt"
    #: analyses: SQL files compiled (to target/compiled) and never run.
    analysis_paths: tuple[str, ...] = ("analyses",)
    snapshot_paths: tuple[str, ...] = ("snapshots",)
    #: folders searched for `{% docs %}` blocks (.md files); empty: every other path of the project.
    docs_paths: tuple[str, ...] = ()
    #: what `elt clean` removes.
    clean_targets: tuple[str, ...] = ("target",)
    #: where `elt deps` installs packages (packages.yml / dependencies.yml), and where they are read from.
    packages_install_path: str = "dbt_packages"
    #: SQL statements (Jinja) run once before / after the nodes of run, build, seed, test.
    on_run_start: tuple[str, ...] = ()
    on_run_end: tuple[str, ...] = ()
    #: `dispatch:` entries: {"macro_namespace": "dbt_utils", "search_order": ["my_project", "dbt_utils"]}.
    dispatch: tuple[dict[str, Any], ...] = ()
    #: dbt's `query-comment`, as the project file sets it: read, not applied yet (noted for dbt projects).
    query_comment: Any = None
    #: dbt projects: the config trees the root project sets for packages' nodes, by section then package
    #: ("" holds the top-level keys, which apply to every package): read them with dbt_project.package_tree.
    package_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: dbt projects: vars scoped by a package's name in dbt_project.yml (`vars: {dbt_date: {...}}`).
    package_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: where `dialect` came from, as `elt debug` says it.
    dialect_from: str = ""
    #: what the project file sets that elt ignores, one line each (printed as warnings by the loader).
    notes: tuple[str, ...] = ()
    #: config keys the project file sets that elt ignores (elt.project.config_keys): (key, where) pairs.
    ignored_config: tuple[tuple[str, str], ...] = ()

    @property
    def pyproject_path(self) -> Path:
        return self.root / "pyproject.toml"

    @property
    def project_file(self) -> Path:
        """The file the project came from: pyproject.toml, or dbt_project.yml."""
        return self.root / "dbt_project.yml" if self.flavor == "dbt" else self.pyproject_path

    @property
    def target_dir(self) -> Path:
        return self.root / self.target_path


_PROJECT_KEYS = {
    "name", "profile", "dialect", "model-paths", "macro-paths", "seed-paths", "test-paths", "target-path",
    "vars", "models", "seeds", "snapshots", "schedule", "airflow",
    "data_tests", "analysis-paths", "snapshot-paths", "docs-paths", "clean-targets", "packages-install-path",
    "on-run-start", "on-run-end", "dispatch", "query-comment",
}


def load_project_config(root: Path, cli_vars: dict[str, Any] | None = None,
                        profiles_dir: Path | None = None, target_name: str | None = None) -> ProjectConfig:
    """Read `root/pyproject.toml` and return its `[tool.elt]` table; without one, the project's
    `dbt_project.yml` (elt.project.dbt_project). With both, `[tool.elt]` wins.

    Args:
        root: the project folder.
        cli_vars: `--vars` from the command line; they override `[tool.elt.vars]`.
        profiles_dir: `--profiles-dir`: a dbt project's dialect comes from its profile's output types.
        target_name: `--target`: what `target` gives in a dbt_project.yml value.

    Raises:
        ProjectError: the file is missing, not valid TOML, or `[tool.elt]` is missing or wrong.
    """
    path = root / "pyproject.toml"
    dbt_file = root / "dbt_project.yml"
    if dbt_file.is_file() and not has_elt_table(path):
        from elt.project.dbt_project import load_dbt_project

        return load_dbt_project(root, cli_vars, profiles_dir, target_name=target_name)
    if not path.is_file():
        raise ProjectError(
            f"no pyproject.toml in {root}",
            hint="run elt inside an elt project, or pass --project-dir; a project needs a "
            "pyproject.toml with a [tool.elt] table (name, profile), or a dbt_project.yml",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ProjectError(f"pyproject.toml is not valid TOML: {exc}", path=path, line=line) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read pyproject.toml: {exc}", path=path) from None
    table = data.get("tool", {}).get("elt")
    if not isinstance(table, dict):
        raise ProjectError(
            "pyproject.toml has no [tool.elt] table",
            path=path,
            hint='add:\n    [tool.elt]\n    name = "my_project"\n    profile = "my_profile"',
        )
    unknown = sorted(set(table) - _PROJECT_KEYS)
    if unknown:
        raise ProjectError(
            f"unknown key(s) in [tool.elt]: {', '.join(unknown)}",
            path=path,
            hint=f"valid keys: {', '.join(sorted(_PROJECT_KEYS))}",
        )
    for key in ("name", "profile"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise ProjectError(f"[tool.elt] needs a string `{key}`", path=path)
    dialect = table.get("dialect", DEFAULT_DIALECT)
    check_dialect(dialect, path)
    for key in ("vars", "models", "seeds", "snapshots", "data_tests"):
        if not isinstance(table.get(key, {}), dict):
            raise ProjectError(f"[tool.elt.{key}] must be a table", path=path)
    merged_vars = {**table.get("vars", {}), **(cli_vars or {})}
    return ProjectConfig(
        root=root,
        name=table["name"],
        profile=table["profile"],
        dialect=dialect,
        model_paths=_paths(table, "model-paths", ("models",), path),
        macro_paths=_paths(table, "macro-paths", ("macros",), path),
        seed_paths=_paths(table, "seed-paths", ("seeds",), path),
        test_paths=_paths(table, "test-paths", ("data_tests",), path),
        target_path=str(table.get("target-path", "target")),
        vars=merged_vars,
        models=table.get("models", {}),
        seeds=table.get("seeds", {}),
        snapshots=table.get("snapshots", {}),
        data_tests=table.get("data_tests", {}),
        analysis_paths=_paths(table, "analysis-paths", ("analyses",), path),
        snapshot_paths=_paths(table, "snapshot-paths", ("snapshots",), path),
        docs_paths=_paths(table, "docs-paths", (), path),
        clean_targets=_paths(table, "clean-targets", (str(table.get("target-path", "target")),), path),
        packages_install_path=_string(table, "packages-install-path", "dbt_packages", path),
        on_run_start=_statements(table, "on-run-start", path),
        on_run_end=_statements(table, "on-run-end", path),
        dispatch=check_dispatch(table.get("dispatch", []), path),
        query_comment=table.get("query-comment"),
        dialect_from="[tool.elt] dialect" if "dialect" in table else "elt's default",
    )


def has_elt_table(path: Path) -> bool:
    """Does pyproject.toml exist with a [tool.elt] table? (A malformed file counts as one: reading it
    reports the problem.)"""
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return True
    return isinstance(data.get("tool", {}).get("elt"), dict)


def _string(table: dict[str, Any], key: str, default: str, path: Path) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ProjectError(f"[tool.elt] `{key}` must be a non-empty string", path=path)
    return value


def _statements(table: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    """A hook key: one SQL string or a list of them (as dbt accepts)."""
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProjectError(f"[tool.elt] `{key}` must be a SQL string or a list of them", path=path)
    return tuple(value)


def check_dispatch(value: Any, path: Path, line: int | None = None) -> tuple[dict[str, Any], ...]:
    """`dispatch` ([tool.elt] or dbt_project.yml): a list of {macro_namespace: str, search_order: [str, ...]}.

    Raises:
        ProjectError: another shape (naming `path` and `line`).
    """
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("macro_namespace"), str)
                and isinstance(entry.get("search_order"), list)
                and all(isinstance(name, str) for name in entry["search_order"])):
            raise ProjectError(
                "`dispatch` must be a list of {macro_namespace: <package>, search_order: [<package>, ...]}",
                path=path, line=line, hint='e.g. dispatch = [{macro_namespace = "dbt_utils", search_order = '
                '["my_project", "dbt_utils"]}]')
    return tuple(entries)


def check_dialect(dialect: Any, path: Path, where: str = "[tool.elt]") -> None:
    """Raise unless `dialect` is a dialect sqlglot has."""
    if dialect in KNOWN_DIALECTS:
        return
    from sqlglot.dialects.dialect import Dialect  # heavy import

    try:
        Dialect.get_or_raise(dialect)
    except (ValueError, TypeError):
        raise ProjectError(
            f"unknown SQL dialect {dialect!r} in {where}",
            path=path,
            hint=f"use a sqlglot dialect name; elt projects are usually written in {DEFAULT_DIALECT!r}",
        ) from None


def _paths(table: dict[str, Any], key: str, default: tuple[str, ...], path: Path) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProjectError(f"[tool.elt] `{key}` must be a list of folder names", path=path)
    return tuple(value)


def _toml_error_line(message: str) -> int | None:
    # tomllib reports "... (at line 3, column 7)"
    import re

    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None


# -- profiles -------------------------------------------------------------------------------------


#: dbt's environment variable naming the folder of profiles.yml (read for dbt projects).
DBT_PROFILES_DIR_ENV = "DBT_PROFILES_DIR"


def profile_folders(project_root: Path, flavor: str = "elt") -> list[Path]:
    """The folders searched for profiles.yml without --profiles-dir, in order: for an elt project the
    project folder, then ~/.elt; for a dbt project, dbt's order: $DBT_PROFILES_DIR (alone when set), the
    project folder, ~/.dbt, then ~/.elt."""
    if flavor != "dbt":
        return [project_root, Path.home() / ".elt"]
    if os.environ.get(DBT_PROFILES_DIR_ENV):
        return [Path(os.environ[DBT_PROFILES_DIR_ENV])]
    return [project_root, Path.home() / ".dbt", Path.home() / ".elt"]


def find_profiles(project_root: Path, profiles_dir: Path | None, flavor: str = "elt") -> Path:
    """Where profiles.yml is: `--profiles-dir` if given (and nowhere else), else the first of
    `profile_folders` that has one.

    Raises:
        ProjectError: `--profiles-dir` (or $DBT_PROFILES_DIR) has no profiles.yml, or no folder has one.
    """
    if not profiles_dir and flavor == "dbt" and os.environ.get(DBT_PROFILES_DIR_ENV):
        path = Path(os.environ[DBT_PROFILES_DIR_ENV]) / "profiles.yml"
        if path.is_file():
            return path
        raise ProjectError(f"${DBT_PROFILES_DIR_ENV} is {os.environ[DBT_PROFILES_DIR_ENV]}, which has no profiles.yml",
                           hint=f"create {path}, unset {DBT_PROFILES_DIR_ENV}, or pass --profiles-dir")
    if profiles_dir:
        # An explicit folder without the file is a mistake (a typo, a wrong mount): falling back to
        # another profiles.yml would connect to a target the user did not mean.
        path = Path(profiles_dir) / "profiles.yml"
        if path.is_file():
            return path
        problem = "has no profiles.yml" if Path(profiles_dir).is_dir() else "is not a folder"
        raise ProjectError(
            f"--profiles-dir {profiles_dir} {problem}",
            hint=f"create {path} (see README: Profiles), or pass the folder that holds profiles.yml; "
            "without --profiles-dir elt reads the project's profiles.yml, then ~/.elt/profiles.yml",
        )
    candidates = profile_folders(project_root, flavor)
    for folder in candidates:
        if (folder / "profiles.yml").is_file():
            return folder / "profiles.yml"
    looked = ", ".join(str(c) for c in candidates)
    raise ProjectError(
        "no profiles.yml found",
        hint=f"looked in {looked}; create one (see README: Profiles) or pass --profiles-dir",
    )


def load_target(
    project: ProjectConfig, profiles_dir: Path | None = None, target_name: str | None = None
) -> TargetConfig:
    """Read the project's profile and return the chosen target (default: the profile's `target`).

    Raises:
        ProjectError: no profiles.yml, malformed YAML, unknown profile or target, unknown type, or
            an `env_var()` without default whose variable is not set.
    """
    from elt.adapters import adapter_class, supported_types
    from elt.project.yamlfile import load_yaml

    path = find_profiles(project.root, profiles_dir, project.flavor)
    data = load_yaml(path)
    if not isinstance(data, dict) or project.profile not in data:
        known = ", ".join(sorted(data)) if isinstance(data, dict) else "none"
        raise ProjectError(
            f"profile {project.profile!r} not found in profiles.yml",
            path=path,
            hint=f"profiles in this file: {known}; the project asks for `profile` in {project.project_file.name}",
        )
    profile = data[project.profile]
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise ProjectError(f"profile {project.profile!r} needs an `outputs` mapping", path=path)
    name = target_name or profile.get("target")
    if not name:
        raise ProjectError(
            f"profile {project.profile!r} has no default `target`", path=path,
            hint="add `target: <name>` to the profile or pass --target",
        )
    outputs = profile["outputs"]
    if name not in outputs:
        raise ProjectError(
            f"target {name!r} not found in profile {project.profile!r}",
            path=path,
            hint=f"targets: {', '.join(sorted(outputs))}",
        )
    raw = outputs[name]
    if not isinstance(raw, dict):
        raise ProjectError(f"target {name!r} must be a mapping", path=path)
    from elt.secrets import is_secret_name

    settings: dict[str, Any] = {}
    secret_keys = set()
    for key, value in raw.items():
        names: set[str] = set()
        settings[key] = render_env_value(value, path, names)
        if any(is_secret_name(name) for name in names):
            secret_keys.add(key)
    type_name = settings.get("type")
    if type_name not in supported_types():
        raise ProjectError(
            f"target {name!r} has unknown type {type_name!r}",
            path=path,
            hint=f"supported types: {', '.join(supported_types())}",
        )
    threads = settings.get("threads", DEFAULT_THREADS)
    try:
        threads = int(threads)
        if threads < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ProjectError(f"target {name!r}: threads must be a positive integer", path=path) from None
    engine = adapter_class(type_name, path=str(path))  # its module is light: the driver loads on open
    settings = engine.with_default_settings(settings, project_name=project.name, target_path=project.target_path)
    schema = str(settings.get("schema") or engine.DEFAULT_SCHEMA)
    return TargetConfig(name=name, type=type_name, schema=schema, threads=threads,
                        settings=settings, profiles_path=path, project_root=project.root,
                        secret_keys=frozenset(secret_keys), dialect=engine.dialect,
                        database=engine.database_name(settings))


def target_values(project_root: Path, profile_name: str, profiles_dir: Path | None,
                  target_name: str | None) -> dict[str, Any]:
    """What `target` gives when a dbt project's dbt_project.yml is read: the chosen output's settings
    (env_var() rendered, secrets left out), its `name` and the `profile_name`.

    Raises:
        ProjectError: no profile, no such target.
    """
    from elt.project.yamlfile import load_yaml
    from elt.secrets import is_secret_name

    path = find_profiles(project_root, profiles_dir, "dbt")
    data = load_yaml(path)
    profile = data.get(profile_name) if isinstance(data, dict) else None
    outputs = profile.get("outputs") if isinstance(profile, dict) else None
    name = target_name or (profile.get("target") if isinstance(profile, dict) else None)
    if not isinstance(outputs, dict) or not isinstance(outputs.get(name), dict):
        raise ProjectError(f"target {name!r} of profile {profile_name!r} not found", path=path,
                           hint="dbt_project.yml reads `target` from the profile's chosen output")
    values: dict[str, Any] = {}
    for key, value in outputs[name].items():
        names: set[str] = set()
        rendered = render_env_value(value, path, names)
        if key not in SECRET_KEYS and not any(is_secret_name(n) for n in names):
            values[key] = rendered
    return {**values, "name": name, "profile_name": profile_name}


def infer_dialect(project_root: Path, profile_name: str, profiles_dir: Path | None, *, hint: str) -> tuple[str, str]:
    """A dbt project's dialect from its profile's output types (each adapter's dialect): one dialect for
    every output, whichever `--target` is chosen, so the same SQL means the same thing. When outputs mix
    dialects, the one the others can be translated from (a DuckDB output runs a Hive project's SQL through
    the translation). Returns (dialect, where it came from).

    Raises:
        ProjectError: no profile, an output of a type elt does not know, or dialects no translation joins.
    """
    from elt.adapters import ADAPTERS, adapter_class
    from elt.dialects import TRANSLATORS
    from elt.project.yamlfile import load_yaml

    path = find_profiles(project_root, profiles_dir, "dbt")
    data = load_yaml(path)
    profile = data.get(profile_name) if isinstance(data, dict) else None
    outputs = profile.get("outputs") if isinstance(profile, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        raise ProjectError(f"profile {profile_name!r} with `outputs` not found in profiles.yml", path=path,
                           hint="elt reads the project's dialect from the types of the profile's outputs; " + hint)
    dialects: dict[str, list[str]] = {}
    for name, output in outputs.items():
        type_name = render_env_value(output.get("type"), path) if isinstance(output, dict) else None
        if type_name not in ADAPTERS:
            raise ProjectError(
                f"output {name!r} of profile {profile_name!r} has type {type_name!r}: elt cannot tell which "
                "SQL dialect the project is written in", path=path,
                hint=f"elt runs dbt projects on the types {', '.join(sorted(ADAPTERS))}; {hint}")
        dialects.setdefault(adapter_class(str(type_name), path=str(path)).dialect, []).append(f"{name}: {type_name}")
    said = "; ".join(f"{', '.join(outs)}" for outs in dialects.values())
    for dialect in dialects:
        if all((dialect, other) in TRANSLATORS for other in dialects if other != dialect):
            return dialect, f"profile {profile_name!r} in {path} ({said})"
    raise ProjectError(f"the outputs of profile {profile_name!r} speak {', '.join(sorted(dialects))}, and no "
                       "translation runs one's SQL on the others", path=path, hint=hint)


def render_env_value(value: Any, path: Path, names: set[str] | None = None) -> Any:
    """Render `{{ env_var('NAME', 'default') }}` in a profile value (recursively in containers),
    adding the names of the variables it reads to `names`."""
    if isinstance(value, dict):
        return {k: render_env_value(v, path, names) for k, v in value.items()}
    if isinstance(value, list):
        return [render_env_value(v, path, names) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    import jinja2

    def read(name: str, default: Any = None) -> Any:
        if names is not None:
            names.add(name)
        return env_var(name, default, path=path)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(value).render(env_var=read)
    except ProjectError:
        raise
    except jinja2.TemplateError as exc:
        raise ProjectError(f"cannot render profile value {value!r}: {exc}", path=path) from None


#: Environment variables looked up with env_var() (or checked by the compile cache) in this process:
#: what a compile's result depends on besides files and the command line (elt.compile.fast.stamp).
ENV_READS: set[str] = set()


def env_var(name: str, default: Any = None, *, path: str | Path | None = None) -> Any:
    """Value of an environment variable; error if unset and no default is given."""
    ENV_READS.add(name)
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    raise ProjectError(
        f"environment variable {name!r} is not set and env_var() gives no default",
        path=path,
        hint=f"export {name}=... or write env_var('{name}', 'default')",
    )
