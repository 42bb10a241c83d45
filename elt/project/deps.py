"""`elt deps`: install the packages of packages.yml / dependencies.yml, and the packages they list in
turn, into `packages_install_path` (dbt_packages/), flat, as `dbt deps` does.

- `local:` packages are linked (a symbolic link to the folder, as dbt does: edits to the package show at
  once, nothing is copied), or copied where links cannot be made; the path is relative to the root
  project, also for a package's own packages.yml (dbt's rule).
- `git:` packages are cloned with the `git` command and checked out at `revision` (a branch, tag or
  commit; the default branch without one); `subdirectory` picks the package's folder in the repository.
- hub packages (`package: dbt-labs/dbt_utils`, `version:` ranges) are looked up on hub.getdbt.com's API
  (or DBT_PACKAGE_HUB_URL's) and downloaded from the tarball it names, when the network allows.

Everything is installed into a fresh folder that replaces the old one only when all succeeded: a
failed `elt deps` leaves the packages that were there. What was installed is written to
`package-lock.yml` (dbt's file name: name, source, and the exact revision or version), for people and
review; elt does not read it back (an `elt deps` resolves packages.yml again).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elt.errors import ProjectError
from elt.project.config import ProjectConfig
from elt.project.packages import PackageSpec, install_folder, read_package, read_specs, spec_file

#: the hub's address; DBT_PACKAGE_HUB_URL overrides it, as in dbt (a mirror, a private hub).
DEFAULT_HUB_URL = "https://hub.getdbt.com/"
LOCK_FILE = "package-lock.yml"
_TIMEOUT = 30


@dataclass(frozen=True)
class Installed:
    """One package `elt deps` installed.

    Attributes:
        name: the package's name (its folder under the install path).
        spec: the packages.yml entry it came from.
        how: linked | copied | cloned | downloaded.
        pinned: the exact git commit or hub version (None for local packages).
    """

    name: str
    spec: PackageSpec
    how: str
    pinned: str | None = None


def install(config: ProjectConfig) -> list[Installed]:
    """Install the project's packages and theirs. Returns what was installed, in order (empty when the
    project lists no packages; the install folder is then left as it is).

    Raises:
        ProjectError: a bad packages file, a missing local folder, git missing or failing, an unknown
            revision or version, the hub unreachable; the packages file and line are named.
    """
    specs = read_specs(config.root)
    if not specs and spec_file(config.root) is None:
        return []
    dest = install_folder(config)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}-elt-deps-{os.getpid()}"  # mkdir's mode (umask), not mkdtemp's 0700
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        done = _install_all(config, specs, staging)
        if dest.is_symlink() or dest.is_file():
            dest.unlink()
        elif dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    _write_lock(config, done)
    return done


def _install_all(config: ProjectConfig, specs: list[PackageSpec], staging: Path) -> list[Installed]:
    pending = list(specs)
    seen: set[tuple[str, str]] = set()
    done: list[Installed] = []
    names: dict[str, PackageSpec] = {}
    while pending:
        spec = pending.pop(0)
        key = (spec.kind, spec.source.rstrip("/"))
        if key in seen:
            continue  # listed twice (by two packages): installed once
        seen.add(key)
        installed, folder = _install_one(config, spec, staging)
        if installed.name in names:
            raise ProjectError(f"two packages are named {installed.name!r}: {names[installed.name].describe()} "
                               f"and {spec.describe()}", path=spec.path, line=spec.line,
                               hint="list the package once")
        if installed.name == config.name:
            raise ProjectError(f"package {spec.describe()} is the project itself ({config.name!r})",
                               path=spec.path, line=spec.line)
        names[installed.name] = spec
        done.append(installed)
        pending += read_specs(folder)  # its own packages, installed next to it
    return done


def _install_one(config: ProjectConfig, spec: PackageSpec, staging: Path) -> tuple[Installed, Path]:
    if spec.kind == "local":
        return _install_local(config, spec, staging)
    if spec.kind == "git":
        return _install_git(spec, staging)
    return _install_hub(spec, staging)


def _place(folder: Path, staging: Path, spec: PackageSpec) -> tuple[str, Path]:
    """The package's name (from its dbt_project.yml) and where it goes under `staging`."""
    if not (folder / "dbt_project.yml").is_file():
        raise ProjectError(f"{spec.describe()}: {folder} has no dbt_project.yml", path=spec.path, line=spec.line,
                           hint="a package is a dbt project: point at the folder holding its dbt_project.yml")
    name = read_package(folder, folder).name
    return name, staging / name


def _install_local(config: ProjectConfig, spec: PackageSpec, staging: Path) -> tuple[Installed, Path]:
    source = (config.root / spec.source).resolve()
    if not source.is_dir():
        raise ProjectError(f"local package folder {spec.source} does not exist ({source})", path=spec.path,
                           line=spec.line, hint="local: paths are relative to the project folder")
    name, target = _place(source, staging, spec)
    if target.exists() or target.is_symlink():
        return Installed(name, spec, "linked"), target
    try:
        target.symlink_to(source, target_is_directory=True)
        how = "linked"
    except OSError:  # no links on this filesystem (Windows without the privilege): as dbt, a copy
        shutil.copytree(source, target)
        how = "copied"
    return Installed(name, spec, how), target


def _git(args: list[str], spec: PackageSpec, what: str, cwd: Path | None = None) -> str:
    git = shutil.which("git")
    if git is None:
        raise ProjectError(f"{spec.describe()}: elt deps needs the `git` command, which is not installed",
                           path=spec.path, line=spec.line,
                           hint="install git, or put the package into the packages folder yourself")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # fail instead of waiting for a password
    result = subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"git exited with {result.returncode}"
        raise ProjectError(f"{spec.describe()}: {what}: {detail}", path=spec.path, line=spec.line)
    return result.stdout.strip()


def _install_git(spec: PackageSpec, staging: Path) -> tuple[Installed, Path]:
    clone = Path(tempfile.mkdtemp(prefix=".clone-", dir=staging))
    _git(["clone", "--quiet", spec.source, str(clone)], spec, "cannot clone the repository")
    if spec.revision:
        try:
            _git(["checkout", "--quiet", spec.revision], spec, "", cwd=clone)
        except ProjectError:
            raise ProjectError(f"{spec.describe()}: revision {spec.revision!r} is not a branch, tag or commit of "
                               "the repository", path=spec.path, line=spec.line,
                               hint="check `revision:` (git ls-remote --tags <url> lists the tags)") from None
    commit = _git(["rev-parse", "HEAD"], spec, "cannot read the commit", cwd=clone)
    folder = clone / spec.subdirectory if spec.subdirectory else clone
    if spec.subdirectory and not folder.is_dir():
        raise ProjectError(f"{spec.describe()}: no folder {spec.subdirectory!r} in the repository",
                           path=spec.path, line=spec.line, hint="check `subdirectory:`")
    name, target = _place(folder, staging, spec)
    folder.rename(target)
    shutil.rmtree(clone, ignore_errors=True)
    return Installed(name, spec, "cloned", commit), target


# -- dbt hub packages ---------------------------------------------------------------------------------


def _install_hub(spec: PackageSpec, staging: Path) -> tuple[Installed, Path]:
    hub = os.environ.get("DBT_PACKAGE_HUB_URL") or DEFAULT_HUB_URL
    index = _fetch_json(f"{hub.rstrip('/')}/api/v1/{spec.source}.json", spec)
    versions = index.get("versions") if isinstance(index, dict) else None
    if not isinstance(versions, dict) or not versions:
        raise ProjectError(f"{spec.describe()}: the hub lists no versions of it", path=spec.path, line=spec.line)
    version = pick_version(list(versions), spec.versions)
    if version is None:
        raise ProjectError(f"{spec.describe()}: no version matches; the hub has "
                           f"{', '.join(sorted(versions, key=_version_key)[-5:])}", path=spec.path, line=spec.line,
                           hint="change `version:`")
    tarball = ((versions[version] or {}).get("downloads") or {}).get("tarball")
    if not tarball:
        raise ProjectError(f"{spec.describe()}: the hub names no download for {version}", path=spec.path,
                           line=spec.line)
    unpacked = Path(tempfile.mkdtemp(prefix=".hub-", dir=staging))
    archive = unpacked / "package.tar.gz"
    archive.write_bytes(_fetch(tarball, spec))
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    archive.unlink()
    tops = [p for p in unpacked.iterdir() if p.is_dir()]
    folder = tops[0] if len(tops) == 1 else unpacked
    name, target = _place(folder, staging, spec)
    folder.rename(target)
    shutil.rmtree(unpacked, ignore_errors=True)
    return Installed(name, spec, "downloaded", version), target


def _fetch(url: str, spec: PackageSpec) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ProjectError(
            f"{spec.describe()}: cannot reach {url} ({reason})", path=spec.path, line=spec.line,
            hint="without the network, list it as a git package (git: <repository URL>, revision: <tag>) or "
                 "put the package folder into the packages folder (dbt_packages/) yourself",
        ) from None


def _fetch_json(url: str, spec: PackageSpec) -> Any:
    try:
        return json.loads(_fetch(url, spec))
    except json.JSONDecodeError:
        raise ProjectError(f"{spec.describe()}: {url} did not answer JSON", path=spec.path, line=spec.line) from None


_RANGE = re.compile(r"^\s*(>=|<=|==|=|>|<)?\s*v?([0-9][0-9A-Za-z.\-]*)\s*$")


def _version_key(version: str) -> tuple[tuple[int, ...], int, str]:
    """Sort key of a semantic version: numbers first, a pre-release (`1.0.0-b1`) before its release."""
    main, _, pre = version.lstrip("v").partition("-")
    numbers = tuple(int(n) if n.isdigit() else 0 for n in main.split("."))
    return (numbers + (0,) * (3 - len(numbers)), 0 if pre else 1, pre)


def pick_version(available: list[str], ranges: tuple[str, ...]) -> str | None:
    """The newest release among `available` inside every range (pre-releases only when named exactly).

    >>> pick_version(["0.9.6", "1.0.0", "1.1.1", "1.3.0", "2.0.0-b1"], (">=1.0.0", "<1.2.0"))
    '1.1.1'
    >>> pick_version(["1.0.0", "1.1.1"], ("1.0.0",))
    '1.0.0'
    """
    def inside(version: str) -> bool:
        for text in ranges:
            match = _RANGE.match(text)
            if match is None:
                return False
            op, bound = match.group(1) or "=", match.group(2)
            a, b = _version_key(version), _version_key(bound)
            if not {"=": a == b, "==": a == b, ">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]:
                return False
        return True

    exact = {m.group(2) for m in map(_RANGE.match, ranges) if m is not None and (m.group(1) or "=") in ("=", "==")}
    candidates = [v for v in available if inside(v) and ("-" not in v or v in exact)]
    return max(candidates, key=_version_key) if candidates else None


# -- package-lock.yml ---------------------------------------------------------------------------------


def _write_lock(config: ProjectConfig, done: list[Installed]) -> None:
    import yaml

    entries: list[dict[str, Any]] = []
    for item in done:
        spec = item.spec
        if spec.kind == "local":
            entry: dict[str, Any] = {"local": spec.source}
        elif spec.kind == "git":
            entry = {"git": spec.source, "revision": item.pinned}
            if spec.subdirectory:
                entry["subdirectory"] = spec.subdirectory
        else:
            entry = {"package": spec.source, "version": item.pinned}
        entries.append({**entry, "name": item.name})
    source = spec_file(config.root)
    text = source.read_text(encoding="utf-8") if source is not None else ""
    data = {"packages": entries, "sha1_hash": hashlib.sha1(text.encode("utf-8")).hexdigest()}
    (config.root / LOCK_FILE).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
