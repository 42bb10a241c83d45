"""The exception hierarchy for every error a user can cause or see.

Each error carries where it happened (file, line, column, node) and, when we know one, a hint saying
what to do. `elt.cli` prints these without a traceback; anything that is not an `EltError` is a bug.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any


class EltError(Exception):
    """Root of all user-facing errors.

    Args:
        message: what is wrong, in one sentence.
        path: the file the problem is in, when known.
        line: 1-based line in `path`, when known.
        col: 1-based column in `path`, when known.
        node: the node (model, seed, source) concerned, when known.
        hint: what the user can do about it.
    """

    #: process exit code when this error ends a command (2: project or usage error).
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        node: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col
        self.node = node
        self.hint = hint

    @property
    def location(self) -> str | None:
        """`file:line:col` (as much of it as is known), or None."""
        if not self.path:
            return None
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def __str__(self) -> str:
        head = f"{self.location}: {self.message}" if self.location else self.message
        return f"{head}\n  hint: {self.hint}" if self.hint else head


class ProjectError(EltError):
    """The project, its configuration files, profiles or command-line usage are wrong."""


class TemplateError(EltError):
    """A Jinja template (model or macro) failed to parse or render."""


class SqlError(EltError):
    """A rendered model is not valid SQL in the project dialect, or uses an unsupported construct."""


class GraphError(EltError):
    """The dependency graph is wrong: a cycle, an unknown ref or source, a duplicate name."""


class ErrorList(EltError):
    r"""Several errors found in one pass (`elt compile` reports every model's at once), each with its
    own file, line and hint.

    >>> str(ErrorList([SqlError("bad", path="a.sql", line=2), TemplateError("worse", path="b.sql")]))
    'a.sql:2: bad\n\nb.sql: worse\n\n2 errors'
    """

    def __init__(self, errors: list[EltError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = list(errors)
        self.exit_code = max(error.exit_code for error in errors)

    def __str__(self) -> str:
        return "\n\n".join([*(str(error) for error in self.errors), self.message])


class AdapterError(EltError):
    """The engine refused a connection or a statement; the engine's own message is kept.

    Args:
        transient: the failure is the connection's or the server's (dropped, busy, restarting),
            not the statement's: running the node again may succeed. SQL errors are never transient.
    """

    def __init__(self, message: str, *, transient: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.transient = transient


class ArtifactError(EltError):
    """elt could not write one of its own files (under target/): a full disk, a read-only file system,
    no permission. The operating system's reason is kept, with its errno name."""

    @classmethod
    def cannot_write(cls, path: str | Path, exc: OSError) -> ArtifactError:
        """The error for `exc`, raised while writing `path`.

        >>> error = ArtifactError.cannot_write("target/x.json", OSError(errno.ENOSPC, "No space left on device"))
        >>> error.message
        'cannot write target/x.json: No space left on device (ENOSPC)'
        >>> error.hint.split(":")[0]
        'the disk holding it is full'
        """
        name = errno.errorcode.get(exc.errno or 0)
        reason = f"{exc.strerror or exc} ({name})" if name else str(exc)
        return cls(f"cannot write {path}: {reason}", hint=_WRITE_HINTS.get(exc.errno or 0))


_FULL = ("the disk holding it is full: free some space (or set target-path in [tool.elt] to a folder on another "
         "disk), then run the command again")
_WRITE_HINTS = {
    errno.ENOSPC: _FULL,
    errno.EDQUOT: "your disk quota is used up: " + _FULL.split(": ", 1)[1],
    errno.EROFS: "the file system is read-only: set target-path in [tool.elt] to a folder elt can write to",
    errno.EACCES: "elt may not write there: check the folder's owner and permissions",
    errno.EPERM: "elt may not write there: check the folder's owner and permissions",
}


class ExecutionError(EltError):
    """One or more nodes failed while running (exit code 1: the project itself was fine)."""

    exit_code = 1
