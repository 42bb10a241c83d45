"""Run locks: two commands writing to one database never interleave their writes.

A lock is an advisory `flock` on a file under `target/locks/`, held for the whole build; the file
says who holds it (pid, command, start), so the second command can say so. The operating system
releases it when the holder exits, even on a crash, so a stale lock cannot block anyone.

A run's lock is named after the database it writes to (`Adapter.lock_key()`: a DuckDB file's real
path, a HiveServer2's host and port), not after the target: two targets of a profile that point at
one database are one writer. `elt schedule` takes `schedule.lock` for as long as it runs, so that
one project has one scheduler.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import time
from pathlib import Path
from types import TracebackType

from elt.errors import ArtifactError, ProjectError


def lock_file(locks_dir: Path, key: str) -> Path:
    """The lock file for a database key: readable, and distinct for distinct keys.

    >>> lock_file(Path("target/locks"), "duckdb:/srv/data/warehouse.duckdb").name
    'duckdb_srv_data_warehouse.duckdb.bb6f9180.lock'
    """
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[-80:]
    return locks_dir / f"{readable}.{hashlib.sha256(key.encode()).hexdigest()[:8]}.lock"


class RunLock:
    """Exclusive lock for writing to one database (or running one project's scheduler).

    Args:
        path: the lock file.
        command: what the holder is doing (shown to whoever waits).
        wait: block until the lock is free instead of failing.
        on_wait: called once with the holder's description when we start waiting.
        busy: what the error says when the lock is held and `wait` is false (the holder follows).
        hint: the error's hint.
    """

    def __init__(self, path: Path, command: str, *, wait: bool = False, on_wait=None,
                 busy: str = "another run is writing to this target",
                 hint: str = "wait for it to finish, or pass --wait to start when it does") -> None:
        self.path = path
        self.command = command
        self.wait = wait
        self.on_wait = on_wait
        self.busy = busy
        self.hint = hint
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another elt process"
        except OSError:
            return "another elt process"

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            ProjectError: the lock is held and `wait` is false.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArtifactError.cannot_write(self.path, exc) from None
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not self.wait:
                    holder = self.holder()
                    os.close(fd)
                    raise ProjectError(f"{self.busy}: {holder}", path=self.path, hint=self.hint) from None
                if not waited and self.on_wait:
                    self.on_wait(self.holder())
                waited = True
                time.sleep(0.2)
        # Who holds it, for whoever waits: a nicety, which a full disk may refuse; the lock holds anyway.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} ({self.command}) since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
