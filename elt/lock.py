"""A run lock per target: two commands writing to one target never interleave their writes.

The lock is an advisory `flock` on `target/locks/<target>.lock`, held for the whole build; the file
says who holds it (pid, command, start), so the second command can say so. The operating system
releases it when the holder exits, even on a crash, so a stale lock cannot block anyone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from elt.errors import ArtifactError, ProjectError


class RunLock:
    """Exclusive lock for writing to one target.

    Args:
        path: the lock file.
        command: what the holder is doing (shown to whoever waits).
        wait: block until the lock is free instead of failing.
        on_wait: called once with the holder's description when we start waiting.
    """

    def __init__(self, path: Path, command: str, *, wait: bool = False, on_wait=None) -> None:
        self.path = path
        self.command = command
        self.wait = wait
        self.on_wait = on_wait
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
                    raise ProjectError(
                        f"another run is writing to this target: {holder}",
                        path=self.path,
                        hint="wait for it to finish, or pass --wait to start when it does",
                    ) from None
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
