"""Pure: a manifest (target/manifest.json, as a dict) -> the tasks of an Airflow DAG.

One task per seed (`elt seed --select <seed> --wait`), per snapshot (`elt snapshot --select <snapshot>
--wait`) and per non-ephemeral model (`elt run --select <model> --wait`: tasks writing to one target on one
machine take turns on elt's target lock instead of failing), grouped by layer: the schema of the node's
relation (raw, bronze, silver, gold) becomes a TaskGroup.
Ephemeral models (inlined by elt into the models that ref them) and sources (loaded outside elt) get
no task; their edges are kept transitively, so `a -> ephemeral e -> b` becomes `a -> b`.
The task of a model with `batch_size` (elt's backfill in batches) is marked `window`: the DAG file
gives it Airflow's data interval as `--start` / `--end`.

Data tests run in test tasks (`elt test --data --select <tests> --wait`: a test run takes the target lock
too), one per node that hosts tests. A test
is hosted by its input that comes last in the DAG's topological order: its own model for most tests,
the later of the two models for a `relationships` test. Hosting by the last input keeps the DAG acyclic
whatever tests read (hosting a test that reads a descendant of its model at that model would loop).
With `tests`:

- `gate` (default, as `elt build`): a node's dependants wait for its test task, so a failing test stops
  what is built on the node;
- `after`: test tasks hang off the DAG; dependants start as soon as the node is built;
- `none`: no test tasks.

>>> manifest = {"nodes": {
...     "seed.s": {"name": "s", "resource_type": "seed", "relation_name": "raw.s", "config": {}},
...     "model.e": {"name": "e", "resource_type": "model", "relation_name": None,
...                 "config": {"materialized": "ephemeral"}},
...     "model.m": {"name": "m", "resource_type": "model", "relation_name": "gold.m",
...                 "config": {"materialized": "table"}},
...     "test.t": {"name": "t", "resource_type": "test", "relation_name": None, "config": {}}},
...   "parent_map": {"seed.s": [], "model.e": ["seed.s"], "model.m": ["model.e"], "test.t": ["model.m"]}}
>>> [(t.full_id, t.upstream) for t in build_dag_spec(manifest)]
[('raw.s', ()), ('gold.m', ('raw.s',)), ('gold.m_test', ('gold.m',))]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elt.compile.graph import Graph
from elt.errors import ProjectError

#: TaskGroup of tests none of whose inputs is a node (a singular test reading no ref or source).
LOOSE_TESTS_GROUP = "tests"


@dataclass(frozen=True)
class TaskSpec:
    """One Airflow task.

    Attributes:
        task_id: the id inside its TaskGroup.
        group: the TaskGroup (the layer: the schema of the node's relation).
        kind: seed, model or test.
        node: the unique id of the node built, or hosting the tests.
        args: the elt command line after `elt`, without project options: ("run", "--select", "m", "--wait").
        upstream: full ids (`group.task_id`) of the tasks this one waits for, sorted.
        tests: for a test task, the unique ids of the data tests it runs.
        window: the task takes Airflow's data interval as elt's backfill window (`--start`/`--end`):
            a model with `batch_size`, loaded a day (or month) at a time.
    """

    task_id: str
    group: str
    kind: str
    node: str
    args: tuple[str, ...]
    upstream: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    window: bool = False

    @property
    def full_id(self) -> str:
        """The id Airflow gives the task: `<group>.<task_id>`."""
        return f"{self.group}.{self.task_id}"


def build_dag_spec(manifest: Mapping[str, Any], *, tests: str = "gate", seeds: bool = True) -> list[TaskSpec]:
    """The tasks for `manifest`, in a deterministic dependency order (run before test, parents first).

    Args:
        manifest: target/manifest.json as loaded (`nodes`, `parent_map`).
        tests: gate, after or none (see the module docstring).
        seeds: make a task per seed; with False, seeds count as loaded outside elt (like sources).

    Raises:
        ProjectError: two nodes would get the same task id in one group.
    """
    return _Builder(manifest, tests, seeds).build()


class _Builder:
    def __init__(self, manifest: Mapping[str, Any], tests: str, seeds: bool) -> None:
        self.nodes: Mapping[str, dict[str, Any]] = manifest["nodes"]
        self.parents: dict[str, list[str]] = {
            uid: list(manifest.get("parent_map", {}).get(uid, node.get("depends_on", {}).get("nodes", [])))
            for uid, node in self.nodes.items()
        }
        self.graph = Graph(self.nodes, [(p, c) for c, ps in self.parents.items() for p in ps if p in self.nodes])
        self.order = {uid: i for i, uid in enumerate(self.graph.topological_order())}
        self.tests_mode = tests
        self.seeds = seeds
        self.hosted: dict[str, list[str]] = {}
        if tests != "none":
            for uid, node in self.nodes.items():
                if node["resource_type"] == "test":
                    inputs = [p for p in self.parents[uid] if p in self.nodes]
                    host = max(inputs, key=self.order.__getitem__) if inputs else ""
                    self.hosted.setdefault(host, []).append(uid)
        self._ready: dict[str, tuple[str, ...]] = {}

    def build(self) -> list[TaskSpec]:
        specs: list[TaskSpec] = []
        for uid in sorted(self.nodes, key=self.order.__getitem__):
            if self._has_task(uid):
                specs.append(self._run_task(uid))
            if uid in self.hosted:
                specs.append(self._test_task(uid))
        if "" in self.hosted:
            specs.append(self._test_task(""))
        _check_unique(specs)
        return specs

    def _has_task(self, uid: str) -> bool:
        node = self.nodes[uid]
        if node["resource_type"] == "seed":
            return self.seeds
        if node["resource_type"] == "snapshot":
            return True
        return node["resource_type"] == "model" and node.get("config", {}).get("materialized") != "ephemeral"

    def _ready_for(self, uid: str) -> tuple[str, ...]:
        """The tasks a dependant of `uid` waits for: its test task (gate), its run task, or, for a node
        without a task, what its own parents' dependants wait for."""
        if uid not in self._ready:
            if self.tests_mode == "gate" and uid in self.hosted:
                ready: tuple[str, ...] = (self._test_id(uid),)
            elif self._has_task(uid):
                ready = (self._run_id(uid),)
            else:
                ready = self._upstream_of(self.parents[uid])
            self._ready[uid] = ready
        return self._ready[uid]

    def _upstream_of(self, inputs: list[str], skip: str | None = None) -> tuple[str, ...]:
        found: set[str] = set()
        for parent in inputs:
            if parent in self.nodes and parent != skip:
                found.update(self._ready_for(parent))
        return tuple(sorted(found))

    def _run_task(self, uid: str) -> TaskSpec:
        node = self.nodes[uid]
        command = {"seed": "seed", "snapshot": "snapshot"}.get(node["resource_type"], "run")
        window = node["resource_type"] == "model" and bool(node.get("config", {}).get("batch_size"))
        return TaskSpec(node["name"], self._group(uid), node["resource_type"], uid,
                        (command, "--select", node["name"], "--wait"), self._upstream_of(self.parents[uid]),
                        window=window)

    def _test_task(self, host: str) -> TaskSpec:
        tests = sorted(self.hosted[host])
        upstream: set[str] = set()
        if host:
            upstream.update((self._run_id(host),) if self._has_task(host) else self._upstream_of(self.parents[host]))
        for test in tests:
            upstream.update(self._upstream_of(self.parents[test], skip=host))
        names = " ".join(self.nodes[t]["name"] for t in tests)
        task_id, group = self._test_id(host).split(".", 1)[1], self._group(host)
        return TaskSpec(task_id, group, "test", host, ("test", "--data", "--select", names, "--wait"),
                        tuple(sorted(upstream)), tuple(tests))

    def _run_id(self, uid: str) -> str:
        return f"{self._group(uid)}.{self.nodes[uid]['name']}"

    def _test_id(self, host: str) -> str:
        if not host:
            return f"{LOOSE_TESTS_GROUP}.tests"
        node = self.nodes[host]
        if node["resource_type"] == "source":
            return f"{self._group(host)}.source_{host.split('.', 1)[1].replace('.', '_')}_test"
        return f"{self._group(host)}.{node['name']}_test"

    def _group(self, uid: str) -> str:
        if not uid:
            return LOOSE_TESTS_GROUP
        node = self.nodes[uid]
        relation = node.get("relation_name")
        if relation and "." in relation:
            return relation.rsplit(".", 1)[0].replace(".", "_")
        return str(node.get("config", {}).get("schema") or "ephemeral")


def _check_unique(specs: list[TaskSpec]) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.full_id in seen:
            raise ProjectError(
                f"two Airflow tasks would get the id {spec.full_id!r}: {seen[spec.full_id]} and {spec.node}",
                hint="rename one of them (a model named like another node's test task, <name>_test, "
                     "or a seed and a model of one name in one schema)",
            )
        seen[spec.full_id] = spec.node
