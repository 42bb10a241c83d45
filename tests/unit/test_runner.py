"""The DAG walker: order, parallelism, skipping and fail-fast (engine-free by design)."""

from __future__ import annotations

import threading
import time

from elt.compile.graph import Graph
from elt.run.runner import NodeResult, execute_dag

EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("c", "e")]
NODES = ["a", "b", "c", "d", "e"]


def graph() -> Graph:
    return Graph(NODES, EDGES)


def test_parents_finish_before_children_start():
    finished: list[str] = []
    lock = threading.Lock()

    def work(uid: str) -> NodeResult:
        g = graph()
        with lock:
            assert g.parents(uid) <= set(finished), uid
        time.sleep(0.01)
        with lock:
            finished.append(uid)
        return NodeResult(uid, "success")

    results = execute_dag(graph(), NODES, work, threads=3)
    assert [r.status for r in results] == ["success"] * 5
    assert set(finished) == set(NODES)


def test_failure_skips_only_descendants():
    results = execute_dag(graph(), NODES, lambda u: NodeResult(u, "error" if u == "b" else "success"), threads=2)
    status = {r.unique_id: r.status for r in results}
    assert status == {"a": "success", "b": "error", "c": "success", "d": "skipped", "e": "success"}
    assert next(r for r in results if r.unique_id == "d").message == "upstream b failed"


def test_threads_run_independent_nodes_at_once():
    running, peak = 0, 0
    lock = threading.Lock()

    def work(uid: str) -> NodeResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return NodeResult(uid, "success")

    wide = Graph([f"n{i}" for i in range(6)], [])
    execute_dag(wide, sorted(wide.nodes), work, threads=3)
    assert peak == 3


def test_fail_fast_starts_nothing_new():
    started: list[str] = []

    def work(uid: str) -> NodeResult:
        started.append(uid)
        return NodeResult(uid, "error" if uid == "a" else "success")

    wide = Graph(["a", "b", "c"], [])
    results = execute_dag(wide, ["a", "b", "c"], work, threads=1, fail_fast=True)
    assert started == ["a"]
    assert [r.status for r in results] == ["error", "skipped", "skipped"]


def test_a_check_skipped_for_a_failed_input_lets_its_dependants_run():
    # t checks a but also reads b; m waits for t and reads only a. b fails: t gives no verdict.
    g = Graph(["a", "b", "t", "m"], [("a", "t"), ("b", "t"), ("t", "m"), ("a", "m")])
    order = ["a", "b", "t", "m"]

    def work(uid: str) -> NodeResult:
        return NodeResult(uid, "error" if uid == "b" else "success")

    status = {r.unique_id: r.status for r in execute_dag(g, order, work, threads=1, checks={"t"})}
    assert status == {"a": "success", "b": "error", "t": "skipped", "m": "success"}
    # Without `checks`, the skipped test skips m as any skipped parent would.
    status = {r.unique_id: r.status for r in execute_dag(g, order, work, threads=1)}
    assert status["m"] == "skipped"


def test_a_failing_check_skips_its_dependants():
    g = Graph(["a", "t", "m", "n"], [("a", "t"), ("t", "m"), ("a", "m"), ("m", "n")])
    results = execute_dag(g, ["a", "t", "m", "n"], lambda u: NodeResult(u, "fail" if u == "t" else "success"),
                          threads=2, checks={"t"})
    assert {r.unique_id: r.status for r in results} == {"a": "success", "t": "fail", "m": "skipped", "n": "skipped"}


def test_poll_stops_starting_nodes_and_is_called_again_while_nodes_run():
    started: list[str] = []
    release = threading.Event()
    polls = 0

    def work(uid: str) -> NodeResult:
        started.append(uid)
        if uid == "c":
            release.wait(timeout=30)  # runs until the second poll after stopping
        return NodeResult(uid, "success")

    def poll() -> bool:
        nonlocal polls
        if "c" not in started:
            return False
        polls += 1
        if polls == 3:
            release.set()  # a later poll (as a second Ctrl-C) still happens while `c` runs
        return True

    results = execute_dag(graph(), NODES, work, threads=1, poll=poll)
    status = {r.unique_id: (r.status, r.message) for r in results}
    assert started == ["a", "b", "c"]
    assert polls >= 3
    assert status["c"] == ("success", "")
    assert status["d"] == status["e"] == ("skipped", "not started: the run was interrupted")


class _PauseAfter:
    """Asks for a pause once `after` nodes have finished; records what ran when the pause came."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.finished = 0
        self.running = 0
        self.lock = threading.Lock()
        self.seen: list[tuple[int, int]] = []  # (finished, running) at each pause

    def wants_pause(self) -> bool:
        with self.lock:
            return self.finished >= self.after and not self.seen

    def pause(self) -> None:
        with self.lock:
            self.seen.append((self.finished, self.running))

    def work(self, uid: str) -> NodeResult:
        with self.lock:
            self.running += 1
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
            self.finished += 1
        return NodeResult(uid, "success")


def test_a_pause_waits_for_the_running_nodes_then_the_walk_goes_on():
    wide = Graph([f"n{i}" for i in range(12)], [])
    pauser = _PauseAfter(2)
    results = execute_dag(wide, sorted(wide.nodes), pauser.work, threads=4, pause=pauser)
    assert [r.status for r in results] == ["success"] * 12
    assert len(pauser.seen) == 1
    finished, running = pauser.seen[0]
    assert running == 0  # nothing ran during the pause
    assert 2 <= finished < 12  # it came between nodes, not after the last one
