"""Walking a plan on a thread pool: one `NodeResult` per node, dependants of failures skipped.

The runner knows nothing about SQL: it calls `work(unique_id)` for each node once all of that node's
planned parents succeeded, as many at a time as `threads` allows.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from elt.compile.fast import heap
from elt.compile.graph import Graph
from elt.nodes import NodeResult, Status, now_iso

__all__ = ["BLOCKING", "NodeResult", "Pause", "RunEvents", "Status", "TeeEvents", "execute_dag", "now_iso"]

#: statuses whose dependants must not run.
BLOCKING: frozenset[str] = frozenset({"error", "fail", "skipped"})
#: with `poll`, the longest the loop waits for a node before calling it again.
POLL_SECONDS = 0.1


class RunEvents(Protocol):
    """Progress callbacks (the console implements them; library code never prints)."""

    def node_started(self, index: int, total: int, unique_id: str) -> None: ...

    def node_finished(self, index: int, total: int, result: NodeResult) -> None: ...


class Pause(Protocol):
    """Work that needs a moment with no node running (the adapter's, e.g. releasing memory)."""

    def wants_pause(self) -> bool: ...

    def pause(self) -> None: ...


class TeeEvents:
    """Hands each event to several receivers, in order."""

    def __init__(self, *receivers: RunEvents) -> None:
        self.receivers = receivers

    def node_started(self, index: int, total: int, unique_id: str) -> None:
        for receiver in self.receivers:
            receiver.node_started(index, total, unique_id)

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        for receiver in self.receivers:
            receiver.node_finished(index, total, result)


def execute_dag(
    graph: Graph,
    order: list[str],
    work: Callable[[str], NodeResult],
    *,
    threads: int,
    fail_fast: bool = False,
    events: RunEvents | None = None,
    checks: Collection[str] = (),
    poll: Callable[[], bool] | None = None,
    pause: Pause | None = None,
) -> list[NodeResult]:
    """Run `work` over every node of `graph`, parents before children.

    Args:
        graph: the planned nodes and their dependencies.
        order: the nodes in topological order; ready nodes start in this order.
        work: builds one node and returns its result (it must not raise for node failures).
        threads: how many nodes may run at once.
        fail_fast: after the first failure start nothing new; the rest is skipped.
        events: progress callbacks.
        checks: nodes that only check others (data tests gating `elt build`): one skipped because a
            node it reads failed gives no verdict, so its dependants do not wait for it and are not
            skipped for it (those that read the failed node are skipped through that node).
        poll: called on every turn of the loop, at least every POLL_SECONDS, in the calling thread;
            once it returns True nothing new starts (the running nodes finish; the rest is skipped).
        pause: asked on every turn whether it `wants_pause()`; once it does, nothing new starts until
            the running nodes end, then `pause()` is called, in the calling thread, and the walk goes on.

    Returns:
        One result per node, in `order`.
    """
    position = {uid: i for i, uid in enumerate(order)}
    waiting = {uid: set(graph.parents(uid)) for uid in order}
    # A heap by position in `order`: thousands of nodes may be ready at once (the tests of `elt test`),
    # and sorting the list after every finished node was quadratic.
    ready = [(position[uid], uid) for uid, parents in waiting.items() if not parents]
    heapq.heapify(ready)
    results: dict[str, NodeResult] = {}
    running: dict[Future[NodeResult], str] = {}
    total = len(order)
    counter = 0
    stopping = False
    stopped = False  # by `poll`
    pausing = False  # waiting for the running nodes to end, for `pause`

    def finish(result: NodeResult) -> None:
        results[result.unique_id] = result
        if events:
            events.node_finished(index_of.get(result.unique_id, 0), total, result)

    index_of: dict[str, int] = {}

    def skip(uid: str, reason: str) -> None:
        nonlocal counter
        if uid in results:
            return
        counter += 1
        index_of[uid] = counter
        finish(NodeResult(uid, "skipped", reason, started_at=now_iso(), completed_at=now_iso()))

    # The compiled project is a large graph of long-lived objects: frozen, the garbage collections
    # that the run's many small allocations trigger no longer walk all of it again and again.
    with heap.frozen(), ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="elt-worker") as pool:
        while ready or running:
            if poll is not None and poll():  # called on every turn: a later signal may cancel
                stopped = True
            if pause is not None:
                # Asked only while nodes wait to start: the run's end gives the engine its quiet moment.
                pausing = pausing or (bool(ready) and pause.wants_pause())
                if pausing and not running:
                    pausing = False
                    pause.pause()
            while ready and len(running) < threads and not stopping and not stopped and not pausing:
                _, uid = heapq.heappop(ready)
                if uid in results:
                    continue
                counter += 1
                index_of[uid] = counter
                if events:
                    events.node_started(counter, total, uid)
                running[pool.submit(_timed, work, uid)] = uid
            if not running:
                break
            done, _ = wait(running, timeout=POLL_SECONDS if poll else None, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: position[running[f]]):
                uid = running.pop(future)
                result = future.result()
                finish(result)
                if result.status in BLOCKING:
                    name = uid.split(".", 1)[-1]
                    doomed, released = _skipped_by(graph, uid, checks)
                    for descendant in sorted(doomed, key=position.__getitem__):
                        skip(descendant, f"upstream {name} failed")
                    for check in released:
                        for child in graph.children(check):
                            waiting[child].discard(check)
                            if not waiting[child] and child not in results:
                                heapq.heappush(ready, (position[child], child))
                    stopping = stopping or fail_fast
                for child in sorted(graph.children(uid), key=position.__getitem__):
                    waiting[child].discard(uid)
                    if not waiting[child] and child not in results:
                        heapq.heappush(ready, (position[child], child))
    reason = "not started: the run was interrupted" if stopped else "not started: --fail-fast after an earlier failure"
    for uid in order:
        if uid not in results:
            skip(uid, reason)
    return [results[uid] for uid in order]


def _skipped_by(graph: Graph, failed: str, checks: Collection[str]) -> tuple[set[str], set[str]]:
    """What a failure skips: its descendants, except below a check (which is skipped itself), and
    the skipped checks whose dependants no longer wait for them."""
    doomed: set[str] = set()
    released: set[str] = set()
    frontier = [failed]
    while frontier:
        node = frontier.pop()
        for child in graph.children(node):
            if child in doomed:
                continue
            doomed.add(child)
            if child in checks:
                released.add(child)
            else:
                frontier.append(child)
    return doomed, released


def _timed(work: Callable[[str], NodeResult], uid: str) -> NodeResult:
    started, clock = now_iso(), time.perf_counter()
    result = work(uid)
    result.execution_time = time.perf_counter() - clock
    result.started_at, result.completed_at = started, now_iso()
    return result
