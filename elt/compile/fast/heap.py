"""Keeping Python's garbage collector off the large, long-lived object graphs of a compile or a run.

A compiled project is hundreds of thousands of long-lived objects (nodes, configs, SQL, the Jinja
environment). Every full collection walks all of them again, and a compile's or a run's many small
allocations trigger several: about a second of a 5000-model compile. Objects alive when a `frozen()`
block starts (or when `freeze_more()` is called inside one) are moved out of the collector's reach
(`gc.freeze`) until the outermost block ends; they are still freed by reference counting, and cyclic
garbage among them is collected after the block. Forked workers (elt.compile.fast.processes) also gain:
the collector no longer touches, and so copies, the pages they share with their parent.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def frozen() -> Iterator[None]:
    """Freeze the objects alive now for the block. Blocks nest: only the outermost one unfreezes."""
    global _depth
    with _lock:
        _depth += 1
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()


def freeze_more() -> None:
    """Inside a `frozen()` block: freeze the objects made since (long-lived ones, just built)."""
    with _lock:
        if _depth:
            gc.freeze()
