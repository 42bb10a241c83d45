"""The compile cache: render, parse and translation results kept under `target/cache/`, so an unchanged
project recompiles without rendering, parsing or translating anything.

A stale result must be impossible, so what a result depends on is part of how it is found:

- The file's *header* (a digest of everything a change of which may change any result): the cache
  format, elt's own source files (size and mtime of each), the sqlglot, Jinja and Python versions, the
  project's name and dialect, the target (name, type, schema, threads and its non-secret settings), and
  every macro file's path and content. A different header discards the whole file.
- A *render* is found by the digest of its file's path and content, then checked against what it read:
  every `var()` (defined or not, and its value), every `env_var()` (set or not, and its value), every
  `source()` (the relation it named) and every `ref()` (still a model or seed). Any difference: render
  again. A generic data test's render is found by the test macro and its arguments (which hold the
  relations it tests), and checked the same way.
- A *parse* is found by the digest of the SQL after refs were resolved to relation names, and of the
  parse keys of the ephemeral models inlined into it: a changed relation name or ephemeral changes it.
- A *translation* is found by the parse key and the target dialect.

Files: `target/cache/compile-<target>.pickle`, one per target, and `target/cache/yml.pickle` (parsed
yml property files, found by the digest of their text), written atomically (a temporary file renamed
over the old one), so concurrent runs never read half a file; the last writer wins, which is safe
because entries are content-addressed. Entries not used by the latest compile are dropped when it
saves; so are results holding the value of a secret environment variable (elt.secrets).
`ELT_NO_CACHE=1` turns the cache off (nothing read, nothing written).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.secrets import MASK, secret_finder

#: Bump when the layout of entries changes.
FORMAT = 2
NO_CACHE_ENV = "ELT_NO_CACHE"
CACHE_DIR = "cache"


def digest(*parts: str) -> str:
    """A short, stable digest of text parts (separated, so ("ab", "c") differs from ("a", "bc")).

    >>> digest("a", "b") == digest("a", "b") != digest("ab", "")
    True
    """
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def enabled() -> bool:
    """False when the environment variable ELT_NO_CACHE is set to anything but '' or '0'."""
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


@dataclass
class CacheStats:
    """What a compile did and what it took from the cache (tests count these; nothing is timed)."""

    #: model and singular test files rendered with Jinja / taken from the cache.
    rendered: int = 0
    render_hits: int = 0
    #: generic data tests rendered (their test macro called) / taken from the cache.
    tests_rendered: int = 0
    test_hits: int = 0
    #: queries parsed with sqlglot / whose compiled SQL came from the cache.
    parsed: int = 0
    parse_hits: int = 0
    #: queries translated to the engine's dialect / taken from the cache.
    translated: int = 0
    translation_hits: int = 0


@dataclass
class CompileCache:
    """One target's cache entries, loaded from and saved to `path`.

    Attributes:
        header: digest of everything every entry depends on (see the module docstring).
        renders: render key -> RenderRecord fields (sql, refs, sources, config, vars_read, inputs, introspective).
        parses: parse key -> compiled SQL.
        translations: (parse key, dialect) -> SQL in that dialect.
        test_macros: names of the `test_*` macros the project's macros define (None: not known yet).
    """

    path: Path | None
    header: str
    renders: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    parses: dict[str, str] = field(default_factory=dict)
    translations: dict[tuple[str, str], str] = field(default_factory=dict)
    test_macros: frozenset[str] | None = None
    _used_renders: set[str] = field(default_factory=set)
    _used_parses: set[str] = field(default_factory=set)
    _dirty: bool = False

    @classmethod
    def load(cls, target_dir: Path, target_name: str, header: str) -> CompileCache:
        """The cache of `target_name` under `target_dir`; empty when missing, unreadable or stale."""
        path = target_dir / CACHE_DIR / f"compile-{_safe(target_name)}.pickle"
        cache = cls(path=path, header=header)
        try:
            with open(path, "rb") as handle:
                data = pickle.load(handle)
        except Exception:  # noqa: BLE001 - missing, truncated, or written by another version: start empty
            return cache
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("header") != header:
            return cache
        cache.renders = data["renders"]
        cache.parses = data["parses"]
        cache.translations = data["translations"]
        cache.test_macros = data["test_macros"]
        return cache

    # -- lookups (each marks the entry as used, so saving keeps it) ---------------------------------

    def render(self, key: str) -> tuple[Any, ...] | None:
        entry = self.renders.get(key)
        if entry is not None:
            self._used_renders.add(key)
        return entry

    def put_render(self, key: str, entry: tuple[Any, ...]) -> None:
        self.renders[key] = entry
        self._used_renders.add(key)
        self._dirty = True

    def parse(self, key: str) -> str | None:
        self._used_parses.add(key)
        return self.parses.get(key)

    def put_parse(self, key: str, compiled_sql: str) -> None:
        self.parses[key] = compiled_sql
        self._used_parses.add(key)
        self._dirty = True

    def translation(self, key: str, dialect: str) -> str | None:
        return self.translations.get((key, dialect))

    def put_translation(self, key: str, dialect: str, sql: str) -> None:
        self.translations[(key, dialect)] = sql
        self._dirty = True

    def set_test_macros(self, names: Iterable[str]) -> None:
        names = frozenset(names)
        if names != self.test_macros:
            self.test_macros = names
            self._dirty = True

    # -- saving ---------------------------------------------------------------------------------

    def save(self, *, prune: bool = True) -> None:
        """Write the entries used since loading (and their translations), if anything changed.

        Args:
            prune: drop the entries this compile did not use (False after a failed compile, which
                stopped before using them all).

        Never raises: a cache that cannot be written only makes the next compile slower.
        """
        if self.path is None:
            return
        if not prune:
            self._used_renders.update(self.renders)
            self._used_parses.update(self.parses)
        renders = {k: v for k, v in self.renders.items() if k in self._used_renders}
        parses = {k: v for k, v in self.parses.items() if k in self._used_parses}
        translations = {k: v for k, v in self.translations.items() if k[0] in parses}
        holds_secret = secret_finder()
        if holds_secret is not None:
            # A result holding a secret's value (a schema set from ELT_SECRET_*) is not kept: the file
            # is under target/. Computed again next time, which only costs time.
            renders = {k: v for k, v in renders.items() if not holds_secret(v)}
            parses = {k: v for k, v in parses.items() if not holds_secret(v)}
            translations = {k: v for k, v in translations.items() if k[0] in parses and not holds_secret(v)}
        pruned = (len(renders), len(parses), len(translations)) != (
            len(self.renders), len(self.parses), len(self.translations))
        if not (self._dirty or pruned):
            return
        self.renders, self.parses, self.translations = renders, parses, translations
        data = {"format": FORMAT, "header": self.header, "renders": renders, "parses": parses,
                "translations": translations, "test_macros": self.test_macros}
        if _write_pickle(self.path, data):
            self._dirty = False


class ParsedFiles:
    """Parsed yml property files under `target/cache/yml.pickle`, found by the digest of their text.

    Parsing is deterministic, so the key is the text alone (the header adds PyYAML's version and
    loader). Unused entries are dropped when the project loader saves.
    """

    def __init__(self, target_dir: Path, loader: str) -> None:
        import yaml

        self.path = target_dir / CACHE_DIR / "yml.pickle"
        self.header = digest(str(FORMAT), sys.version, yaml.__version__, loader)
        self.entries: dict[str, Any] = {}
        self._used: set[str] = set()
        self._dirty = False
        try:
            with open(self.path, "rb") as handle:
                data = pickle.load(handle)
            if isinstance(data, dict) and data.get("header") == self.header:
                self.entries = data["entries"]
        except Exception:  # noqa: BLE001 - missing or unreadable: parse the files
            pass

    def get(self, text: str) -> tuple[str, Any]:
        """(key, parsed data or MISSING)."""
        key = digest(text)
        if key in self.entries:
            self._used.add(key)
            return key, self.entries[key]
        return key, MISSING

    def put(self, key: str, data: Any) -> None:
        self.entries[key] = data
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        if not self._dirty and len(self._used) == len(self.entries):
            return
        _write_pickle(self.path, {"header": self.header,
                                  "entries": {k: v for k, v in self.entries.items() if k in self._used}})


MISSING = object()


def _write_pickle(path: Path, data: Any) -> bool:
    """Write `data` to `path` atomically (a temporary file renamed over it). False when it cannot."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False


def header(*, project_name: str, dialect: str, target: Any, macros: Iterable[tuple[str, str]],
           dispatch: Any = ()) -> str:
    """Digest of what every cached result depends on: code, versions, project, target, macros.

    Args:
        target: the TargetConfig; only its non-secret settings are used (secrets are masked).
        macros: (relative path, text) of every macro file.
    """
    settings = sorted((str(k), repr(v)) for k, v in target.public_settings().items())
    # a schema set from a secret is masked there too (relation names, which hold it, key the parses)
    schema = MASK if "schema" in target.secret_keys else target.schema
    parts = [
        str(FORMAT), sys.version, *code_versions(),
        project_name, dialect, target.name, target.type, schema, str(target.threads), repr(settings),
        repr(dispatch),  # the project's `dispatch:` decides which macros adapter.dispatch returns
    ]
    for rel_path, text in sorted(macros):
        parts += [rel_path, text]
    return digest(*parts)


_FINGERPRINT: str | None = None


def code_versions() -> list[str]:
    """The code a compile's results come from: elt's source files, sqlglot's and jinja2's versions."""
    return [_package_fingerprint(), _version("sqlglot"), _version("jinja2")]


def _package_fingerprint() -> str:
    """Size and mtime of every source file of elt (and of its shipped macro files): an edited elt (an
    editable install) is another elt."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parent.parent  # the elt package (this file is elt/compile/cache.py)
        parts = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".sql")):  # .sql: the shipped macros (elt.compile.dbt_namespace)
                    stat = os.stat(os.path.join(folder, name))
                    parts.append(f"{os.path.relpath(os.path.join(folder, name), root)}:{stat.st_size}:"
                                 f"{stat.st_mtime_ns}")
        _FINGERPRINT = digest(*parts)
    return _FINGERPRINT


def _version(distribution: str) -> str:
    module = sys.modules.get(distribution)
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    return _installed_version(distribution)


@functools.cache
def _installed_version(distribution: str) -> str:
    """The version in the installed distribution's metadata (~15 ms to find; a compile asks twice)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
