"""Planning: which nodes a command will build, in what order, and which schemas they need. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from elt.compile.compiler import Manifest
from elt.compile.graph import Graph
from elt.report.sorting import natural_key
from elt.run.gates import gate_edges, passing_through


@dataclass(frozen=True)
class Plan:
    """The nodes to build (topological order; within a generation in natural order, so the console's
    "N of M" lines read stg_2 before stg_10) and the dependency graph restricted to them.

    `checks` are the data tests whose dependants wait for them as a gate (`elt build`): a check
    skipped because a node it reads failed gives no verdict, and the runner lets them go on.
    """

    unique_ids: list[str]
    graph: Graph
    schemas: list[str]
    checks: frozenset[str] = frozenset()


def build_plan(manifest: Manifest, selected: Collection[str], *, tests_gate_children: bool = False,
               unit_tests: Mapping[str, str] | None = None) -> Plan:
    """Order the selected seeds, models, snapshots and tests; ephemeral models and sources are never built.

    Dependencies outside the selection are assumed to exist already (as in dbt).

    Args:
        tests_gate_children: `elt build`: a model waits for the tests of the models it reads
            (elt.run.gates), so a failing test (severity error) skips everything built on the bad data.
        unit_tests: unit test id -> the model it tests (`elt build`): the model waits for it.
    """
    nodes = manifest.nodes
    buildable = {
        uid for uid in selected
        if nodes[uid].resource_type in ("model", "seed", "snapshot", "test") and nodes[uid].materialized != "ephemeral"
    }
    # Edges through unselected or ephemeral nodes still order the build: a -> (ephemeral e) -> b. No
    # node reads a test, so tests alone (`elt test`) have none: their ancestors are not walked.
    builders = {uid for uid in buildable if nodes[uid].resource_type != "test"}
    edges = {
        (ancestor, uid) for uid in buildable for ancestor in manifest.graph.ancestors(uid) if ancestor in builders
    } if builders else set()
    tests = sorted(uid for uid in buildable if nodes[uid].resource_type == "test")

    def waits(uid: str) -> bool:
        return uid in buildable and nodes[uid].resource_type != "test"

    if tests_gate_children:
        tested = {uid: [attached] if (attached := nodes[uid].attached_to) else nodes[uid].depends_on
                  for uid in tests}
        gates = gate_edges(manifest.graph, tested, lambda uid: nodes[uid].resource_type != "test")
        edges |= passing_through(manifest.graph, gates, waits)
    units = dict(unit_tests or {})
    if units:
        edges |= passing_through(manifest.graph, [(u, m) for u, m in units.items() if m in nodes], waits)
    graph = Graph(buildable | units.keys(), edges)
    order = [uid for generation in graph.generations() for uid in sorted(generation, key=natural_key)]
    schemas = sorted({relation.schema for uid in order if uid in nodes and (relation := nodes[uid].relation)})
    return Plan(unique_ids=order, graph=graph, schemas=schemas,
                checks=frozenset(tests) if tests_gate_children else frozenset())
