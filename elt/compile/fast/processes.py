"""Rendering, parsing and translating models in worker processes, for compiles with many cache misses.

Rendering (Jinja), parsing (sqlglot) and translating are a compile without a cache, pure Python,
and independent per model, so they spread over the machine's cores: the compiler forks workers (the
project and the Jinja environment are already in memory). For renders, each worker sends back what
the render recorded; for parses, each parses its share of the resolved SQL, checks it is one query
and translates it for the target's engine, and sends back the translated text. The parses start as
soon as the models are rendered, and run while the compiler builds the tests and the graph. The
compiler records the results as if it had done the work itself.

A render, parse or translation that fails in a worker is simply done again by the compiler, in
order, so errors (and which one is reported first) are exactly those of a serial compile. Models
that inline ephemeral models, and ephemeral models, are always parsed by the compiler.

Used only where fork is safe and pays: Linux, a single-threaded caller, at least MIN_TASKS queries
to parse. ELT_COMPILE_PROCESSES sets the number of processes (1: never fork).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from elt.compile.fast import heap

PROCESSES_ENV = "ELT_COMPILE_PROCESSES"
#: below this many queries to parse, forking costs more than it saves.
MIN_TASKS = 100

#: What forked workers read: (project dialect, engine dialect or None, relation names of tree
#: checksums), or the renderer. Set before forking.
_SETTINGS: tuple[str, str | None, dict[str, str]] | None = None
_RENDERER: Any = None


def processes() -> int:
    """How many worker processes to use (1: parse in the calling process)."""
    value = os.environ.get(PROCESSES_ENV, "")
    if value.strip():
        try:
            return max(1, int(value))
        except ValueError:
            return 1
    return max(1, min(os.cpu_count() or 1, 4))


def usable(task_count: int) -> bool:
    if task_count < MIN_TASKS or processes() < 2 or not sys.platform.startswith("linux"):
        return False
    # Forking a process with other threads running can leave a lock held forever in the child.
    return threading.active_count() == 1


@contextmanager
def parsing(tasks: Sequence[tuple[str, str]], dialect: str, engine_dialect: str | None,
            names: dict[str, str] | None = None) -> Iterator[Parsing]:
    """Start parsing (and translating) each task in worker processes; the caller goes on meanwhile
    and collects with `results()`. The workers are stopped when the block ends.

    Args:
        tasks: (unique id, resolved SQL) of models.
        dialect: the project dialect, the SQL's.
        engine_dialect: the target engine's dialect, when it is not the project's (else None).
        names: relation -> name in the tree checksums (elt.compile.canonical).
    """
    global _SETTINGS
    # Imported once here rather than in every worker (about 0.15 s of CPU each).
    from elt.dialects import hive_reader, preload  # noqa: F401 - hive_reader: loaded for the workers

    preload(dialect, engine_dialect)  # what translate() uses for them

    _SETTINGS = (dialect, engine_dialect, names or {})
    try:
        with _pool(_work, tasks) as results:
            yield Parsing(results)
    finally:
        _SETTINGS = None


class Parsing:
    """Parses under way in worker processes (`parsing`)."""

    def __init__(self, results: Iterator[Any]) -> None:
        self._results = results

    def results(self) -> dict[str, tuple[bool, str | None, str | None]]:
        """unique id -> (it parsed as one query, its translation: None when the engine speaks the
        project dialect or the translation was refused, its tree checksum); tasks missing from the
        result (a worker failed) must be parsed by the caller."""
        found: dict[str, tuple[bool, str | None, str | None]] = {}
        try:
            for uid, ok, translated, tree in self._results:
                found[uid] = (ok, translated, tree)
        except Exception:  # noqa: BLE001 - a worker died or a result did not pickle: keep what came back
            pass
        return found


def render_all(renderer: Any, tasks: Sequence[tuple[str, str, str]]) -> dict[str, tuple[Any, ...]]:
    """Render each task (name, relative path, text) with `renderer` in worker processes.

    Returns:
        name -> (sql, refs, sources, config, vars_read, inputs, introspective) for the renders that succeeded; the
        caller renders the others itself (and so raises their errors, in order).
    """
    global _RENDERER
    _RENDERER = renderer
    try:
        return {name: record for name, record in _pool_map(_render, tasks) if record is not None}
    finally:
        _RENDERER = None


def _render(task: tuple[str, str, str]) -> tuple[str, tuple[Any, ...] | None]:
    name, rel_path, text = task
    try:
        state = _RENDERER.render(rel_path, text, name)
    except Exception:  # noqa: BLE001 - rendered again by the compiler, which reports the error
        return name, None
    return name, (state.sql, state.refs, state.sources, state.config, state.vars_read, state.inputs,
                  state.introspective)


def _pool_map(function: Any, tasks: Sequence[Any]) -> list[Any]:
    """function(task) for each task in forked workers; what came back if a worker failed."""
    results: list[Any] = []
    # A worker died or a result did not pickle: keep what came back.
    with _pool(function, tasks) as started, contextlib.suppress(Exception):
        results.extend(started)
    return results


@contextmanager
def _pool(function: Any, tasks: Sequence[Any]) -> Iterator[Iterator[Any]]:
    """Forked workers computing function(task) for each task, started at once; yields the results'
    iterator (in no particular order). The workers are stopped when the block ends."""
    import multiprocessing

    workers = min(processes(), len(tasks))
    chunk = max(1, min(64, len(tasks) // (workers * 8)))
    # The workers inherit the compiler's heap (the project, the cache): frozen, the garbage collector
    # leaves it alone there. Otherwise each full collection in a worker walks all of it again (and
    # touches its pages, which the fork then copies): parsing 5000 models took twice the CPU.
    with heap.frozen(), multiprocessing.get_context("fork").Pool(workers) as pool:
        yield pool.imap_unordered(function, tasks, chunksize=chunk)


def _work(task: tuple[str, str]) -> tuple[str, bool, Any, str | None]:
    """In a worker: parse one resolved query, make its tree checksum (elt.compile.canonical);
    translate it for the engine, if it is another dialect."""
    import sqlglot
    from sqlglot import exp

    from elt.compile.canonical import tree_checksum
    from elt.dialects.hive_reader import cache_type_names_in_this_process, reader

    cache_type_names_in_this_process()  # this worker runs only elt's parses (see there)
    uid, sql = task
    assert _SETTINGS is not None
    dialect, engine_dialect, names = _SETTINGS
    try:
        statements = [s for s in sqlglot.parse(sql, read=reader(dialect)) if s is not None]
    except Exception:  # noqa: BLE001 - the compiler parses it again and reports the error
        return uid, False, None, None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return uid, False, None, None
    try:
        tree: str | None = tree_checksum(statements[0], names)
    except Exception:  # noqa: BLE001 - Manifest.tree_checksum makes it again (and fails) itself
        tree = None
    if engine_dialect is None:
        return uid, True, None, tree
    from elt.dialects import translate
    from elt.errors import SqlError

    try:
        return uid, True, translate(statements[0], dialect, engine_dialect, copy=False), tree
    except SqlError:
        return uid, True, None, tree  # refused: sql_for raises it, with the line, when it is asked for
    except Exception:  # noqa: BLE001 - let the compiler translate it (and fail) itself
        return uid, True, None, tree
