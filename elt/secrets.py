"""Secrets: which values must never be printed or written, and how elt keeps them out.

- Environment variables named `ELT_SECRET_*` (or `DBT_ENV_SECRET_*`, the prefix dbt users know) hold
  secrets. profiles.yml may read them; a model or macro may not, neither with `env_var()`
  (`refuse_in_template`, as dbt refuses them outside profiles) nor through `target.<setting>`. Their
  values (which can still reach SQL where the profile puts them: a schema is in every relation name)
  are replaced by `*****` in everything a command prints (`masked_streams`) and in every file written
  under target/ (`mask`); the compile cache does not keep a result holding one.
- Profile keys such as `password` are masked by `TargetConfig.public_settings`.
- What must notice that a value changed without holding it (the compile stamp records the environment
  variables a compile read, profile passwords included) keeps `fingerprint(value)`: a digest keyed with a
  random per-user key kept outside the project (in the user's cache folder, mode 600), so a copy of
  target/ (a CI artifact) cannot be used to guess a short password offline.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from elt.errors import TemplateError

PREFIXES = ("ELT_SECRET_", "DBT_ENV_SECRET_")
MASK = "*****"


def is_secret_name(name: str) -> bool:
    """Whether an environment variable of this name holds a secret.

    >>> is_secret_name("ELT_SECRET_HIVE_PASSWORD"), is_secret_name("DBT_ENV_SECRET_X"), is_secret_name("HOME")
    (True, True, False)
    """
    return name.startswith(PREFIXES)


def secret_values() -> tuple[str, ...]:
    """The values of the secret environment variables now set, longest first (so a secret that
    contains another is masked whole)."""
    found: set[str] = set()
    for name, value in os.environ.items():
        if value and name.startswith(PREFIXES):
            # also as the JSON files under target/ write it (quotes, backslashes, non-ASCII escaped)
            found.update((value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]))
    return tuple(sorted(found, key=len, reverse=True))


def masker() -> Callable[[str], str]:
    """A function masking the secret values set now: read the environment once for many texts."""
    values = secret_values()
    if not values:
        return _same

    def mask_text(text: str) -> str:
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    return mask_text


def _same(text: str) -> str:
    return text


def secret_finder() -> Callable[[Any], bool] | None:
    """A test of whether a value (text, or containers of text) holds a secret value set now; None when
    no secret is set."""
    values = secret_values()
    if not values:
        return None

    def holds(value: Any) -> bool:
        if isinstance(value, str):
            return any(secret in value for secret in values)
        if isinstance(value, dict):
            return any(holds(k) or holds(v) for k, v in value.items())
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(holds(v) for v in value)
        return False

    return holds


def mask(text: str) -> str:
    """`text` with every secret value replaced by `*****`.

    >>> os.environ["ELT_SECRET_DOCTEST"] = "hunter2"
    >>> mask("password hunter2 refused")
    'password ***** refused'
    >>> del os.environ["ELT_SECRET_DOCTEST"]
    """
    return masker()(text)


def refuse_in_template(name: str) -> None:
    """Raise when a model or macro reads a secret environment variable (profiles.yml may).

    Raises:
        TemplateError: `name` is a secret's name; the renderer adds the file and line.
    """
    if is_secret_name(name):
        raise TemplateError(
            f"env_var({name!r}): secret environment variables ({', '.join(p + '*' for p in PREFIXES)}) "
            "cannot be used in models or macros",
            hint="use them only in profiles.yml (e.g. a password); a value a model's SQL needs is not a "
            "secret: give it a name without the secret prefix",
        )


class _MaskedStream:
    """A text stream writing through `mask`; everything else is the wrapped stream's.

    It has no `buffer`, so click writes text to it rather than bytes to the stream beneath."""

    def __init__(self, stream: Any, mask_text: Callable[[str], str]) -> None:
        self._stream = stream
        self._mask = mask_text

    def write(self, data: Any) -> int:
        # bytes go through unchanged, so the wrapped text stream refuses them as it would
        # (click probes streams with write(b"") to tell text from binary).
        return self._stream.write(self._mask(data) if isinstance(data, str) else data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_streams() -> Iterator[None]:
    """While the block runs, secret values written to sys.stdout or sys.stderr (console lines, errors,
    log records, tracebacks under --debug) are masked. Nothing changes when no secret is set."""
    mask_text = masker()
    if mask_text is _same:
        yield
        return
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _MaskedStream(saved[0], mask_text), _MaskedStream(saved[1], mask_text)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def fingerprint(value: str) -> str:
    """A digest of `value` that shows whether it changed but, without the per-user key, cannot be used
    to guess it."""
    return hashlib.blake2b(value.encode("utf-8", "surrogateescape"), key=_user_key(), digest_size=16).hexdigest()


@functools.cache
def _user_key() -> bytes:
    """The per-user key: `$XDG_CACHE_HOME/elt/fingerprint.key` (default ~/.cache), made on first use.

    Where it cannot be read or made (a read-only home), a key for this process only: digests then
    never match those of another process, which costs a compile stamp, never a wrong answer.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "elt" / "fingerprint.key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    key = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        # link, not replace: when two processes make it at once, both use the one that got there first
        try:
            os.link(tmp, path)
        finally:
            tmp.unlink()
    except FileExistsError:
        with contextlib.suppress(OSError):
            existing = path.read_bytes()
            if len(existing) == 32:
                return existing
    except OSError:
        pass
    return key
