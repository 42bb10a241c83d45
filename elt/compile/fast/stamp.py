"""The compile stamp: `elt compile` does nothing when nothing it reads has changed since it last ran.

After a successful compile, `target/cache/stamp-<target>.pickle` records what that compile read and
what it wrote:

- a digest of its inputs: the content of pyproject.toml (and dbt_project.yml), of every profiles.yml it
  could have used (--profiles-dir, the project folder, ~/.elt; for dbt projects $DBT_PROFILES_DIR,
  ~/.dbt), and of every file under the model, macro, seed, test, analysis, snapshot and docs folders
  and the installed packages (dbt_packages/, links followed); the command line (project and profiles
  folders, target, vars, selection); elt's own code and the versions of sqlglot and Jinja;
- the environment variables the compile looked up (with `env_var()`, in models, macros or profiles),
  each with whether it was set and a keyed digest of its value (`secrets.fingerprint`): a profile's
  password read from the environment is one of them, and no value is written to target/;
- the size and modification time of each file it wrote (manifest.json, target/compiled/...,
  target/translated/...), and the summary it printed.

The next `elt compile` computes the same digest (hashing the files' content, not trusting their
times: ~0.1 s for 5000 models), compares the environment and the outputs, and, when all hold,
reports the recorded summary instead of compiling: the files in target/ are already what a compile
would write (but manifest.json's `generated_at`, which stays that of the compile that wrote it). Any
difference, or ELT_NO_CACHE, and it compiles as usual (with the compile cache, elt.compile.cache).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.project.config import ProjectConfig, profile_folders

#: 2: environment values as keyed digests (format 1 held the values, passwords included).
FORMAT = 2


@dataclass
class Stamp:
    """What one compile read and wrote (see the module docstring)."""

    inputs: str
    #: environment variable -> (set, keyed digest of its value) as the compile saw it.
    environment: dict[str, tuple[bool, str | None]]
    #: file written, relative to the target folder -> (size, mtime in ns).
    outputs: dict[str, tuple[int, int]]
    #: what `elt compile` printed about the compile: models written, node counts, target name/type.
    summary: dict[str, Any] = field(default_factory=dict)


def inputs_digest(config: ProjectConfig, invocation: tuple[Any, ...], profiles_dir: Path | None) -> str:
    """Digest of everything a compile reads but the environment (see the module docstring)."""
    from elt.compile.cache import code_versions

    h = hashlib.blake2b(digest_size=20)

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)

    add(str(FORMAT), sys.version, *code_versions(), repr(invocation))
    candidates = [config.pyproject_path, config.root / "dbt_project.yml"]
    candidates += [folder / "profiles.yml" for folder in (profiles_dir, *profile_folders(config.root, config.flavor))
                   if folder]
    for candidate in candidates:
        add(str(candidate), _content(str(candidate)))
    folders = (*config.model_paths, *config.macro_paths, *config.seed_paths, *config.test_paths,
               *config.analysis_paths, *config.snapshot_paths, *config.docs_paths,  # .md docs blocks too
               config.packages_install_path)  # installed packages: local ones are links, followed
    for folder in dict.fromkeys(folders):
        root = str(config.root / folder)
        add("folder", root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=folder == config.packages_install_path):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                add(path, _content(path))
    return h.hexdigest()


def _content(path: str) -> bytes:
    try:
        # O_NONBLOCK: a FIFO among the project files must not hang the check (load_project reports it)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return b"-"
    except OSError as exc:  # unreadable: the compile reports it; never equal to a readable file
        return f"!{exc}".encode()
    # os.read on the descriptor: ~2x cheaper than a file object on thousands of small files
    chunks = [b"+"]
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BlockingIOError:  # an empty FIFO: as a file object's read(), which returns None
        return b"+"
    except OSError as exc:
        return f"!{exc}".encode()
    finally:
        os.close(fd)
    return b"".join(chunks)


def environment(names: set[str]) -> dict[str, tuple[bool, str | None]]:
    """Whether each variable is set, with a keyed digest of its value: never the value itself."""
    from elt.compile.templating import env_input
    from elt.secrets import fingerprint

    found = {}
    for name in sorted(names):
        is_set, value = env_input(name)
        found[name] = (is_set, fingerprint(value) if value is not None else None)
    return found


def outputs(target_dir: Path, relative_paths: list[str]) -> dict[str, tuple[int, int]] | None:
    """(size, mtime) of each file, or None when one is missing."""
    found = {}
    root = str(target_dir)
    for rel in relative_paths:
        try:
            stat = os.stat(os.path.join(root, rel))
        except OSError:
            return None
        found[rel] = (stat.st_size, stat.st_mtime_ns)
    return found


def _path(config: ProjectConfig, target: str | None) -> Path:
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in target) if target else "default"
    return config.target_dir / "cache" / f"stamp-{name}.pickle"


def load(config: ProjectConfig, target: str | None) -> Stamp | None:
    try:
        data = pickle.loads(_path(config, target).read_bytes())
    except Exception:  # noqa: BLE001 - missing, unreadable or from another elt: no stamp
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("stamp"), Stamp):
        return None
    return data["stamp"]


def holds(stamp: Stamp, config: ProjectConfig, inputs: str) -> bool:
    """Whether a compile now would read what `stamp`'s did, and its outputs are still in place."""
    if stamp.inputs != inputs or environment(set(stamp.environment)) != stamp.environment:
        return False
    return outputs(config.target_dir, list(stamp.outputs)) == stamp.outputs


def save(config: ProjectConfig, target: str | None, stamp: Stamp) -> None:
    """Write the stamp. Never raises: without it the next compile only does its work."""
    from elt.secrets import masker

    mask_text = masker()  # the printed warnings it keeps are printed again: masked as printed
    stamp.summary = {k: [mask_text(w) for w in v] if k == "warnings" else v for k, v in stamp.summary.items()}
    path = _path(config, target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps({"format": FORMAT, "stamp": stamp}, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass


def forget(config: ProjectConfig, target: str | None) -> None:
    """Remove the stamp (before a compile that may leave target/ half written)."""
    _path(config, target).unlink(missing_ok=True)
