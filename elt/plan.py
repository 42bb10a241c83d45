"""Planning: which nodes a command will build, in what order, and which schemas they need. Pure."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from elt.compiler import Manifest
from elt.graph import Graph


@dataclass(frozen=True)
class Plan:
    """The nodes to build (topological order) and the dependency graph restricted to them."""

    unique_ids: list[str]
    graph: Graph
    schemas: list[str]


def build_plan(manifest: Manifest, selected: Collection[str], *, tests_gate_children: bool = False) -> Plan:
    """Order the selected seeds, models and tests; ephemeral models and sources are never built.

    Dependencies outside the selection are assumed to exist already (as in dbt).

    Args:
        tests_gate_children: `elt build`: a model's children also wait for the model's tests, so
            a failing test (severity error) skips everything built on the bad data.
    """
    buildable = {
        uid for uid in selected
        if manifest.nodes[uid].resource_type in ("model", "seed", "test")
        and manifest.nodes[uid].materialized != "ephemeral"
    }
    # Edges through unselected or ephemeral nodes still order the build: a -> (ephemeral e) -> b.
    edges = {
        (ancestor, uid) for uid in buildable for ancestor in manifest.graph.ancestors(uid) if ancestor in buildable
    }
    if tests_gate_children:
        for test in (uid for uid in buildable if manifest.nodes[uid].resource_type == "test"):
            # Not the test's own inputs: a relationships test reads a model and one of its parents.
            upstream = manifest.graph.ancestors(test)
            for tested in manifest.nodes[test].depends_on:
                edges |= {(test, child) for child in manifest.graph.descendants(tested)
                          if child in buildable and child not in upstream
                          and manifest.nodes[child].resource_type != "test"}
    graph = Graph(buildable, edges)
    order = graph.topological_order()
    schemas = sorted({manifest.nodes[uid].relation.schema for uid in order if manifest.nodes[uid].relation})
    return Plan(unique_ids=order, graph=graph, schemas=schemas)
