"""Ctrl-C and SIGTERM during a run: the first stops starting nodes, the second cancels the running ones.

While a run walks its plan, SIGINT and SIGTERM no longer raise `KeyboardInterrupt` or kill the
process: the handler only counts them. The run's loop calls `Interrupts.poll()` on every turn (at
least every `runner.POLL_SECONDS`), which acts on what came in: the first signal calls `on_stop` (the
console says elt is stopping; the runner starts nothing more and lets the running nodes finish), a
second one (of either kind) calls `on_cancel` (the adapter interrupts the running statements). The
command then ends with the usual summary and exit code 128 + the first signal's number (130 for
SIGINT, 143 for SIGTERM), as shells report a process stopped by that signal.

The handler does nothing but count because it runs in the main thread between any two bytecodes,
possibly while that thread holds the console's lock or is inside a write to stdout: printing or
taking a lock there could deadlock or interleave output.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

#: the signals a run handles.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_name(signum: int) -> str:
    """How a signal is named to the user.

    >>> signal_name(2), signal_name(15)
    ('Ctrl-C (SIGINT)', 'SIGTERM')
    """
    return "Ctrl-C (SIGINT)" if signum == signal.SIGINT else signal.Signals(signum).name


class Interrupts:
    """Counts SIGINT/SIGTERM while installed (a context manager); `poll()` acts on them.

    Installed only from the main thread (Python delivers signals there); elsewhere it stays inert
    and the signals keep their previous handling.

    Args:
        on_stop: called by `poll()` once, with the signal number, after the first signal.
        on_cancel: called by `poll()` with the signal number after each further signal.
    """

    def __init__(self, on_stop: Callable[[int], None], on_cancel: Callable[[int], None]) -> None:
        self.on_stop = on_stop
        self.on_cancel = on_cancel
        #: the first signal received, None while none was.
        self.first: int | None = None
        self._received: list[int] = []
        self._acted = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # list.append is atomic and takes no lock the interrupted code could hold (see the docstring).
        self._received.append(signum)

    def poll(self) -> bool:
        """Act on the signals received since the last call. Returns True once a signal came: the run
        must start nothing more."""
        while self._acted < len(self._received):
            signum = self._received[self._acted]
            self._acted += 1
            if self.first is None:
                self.first = signum
                self.on_stop(signum)
            else:
                self.on_cancel(signum)
        return self.first is not None

    @property
    def exit_code(self) -> int | None:
        """128 + the first signal's number, or None when no signal came."""
        return None if self.first is None else 128 + self.first

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        # A signal after the loop's last turn is not acted on: every node had already ended.
        self._previous.clear()
