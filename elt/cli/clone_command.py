"""`elt clone --state DIR`: the selected models, seeds and snapshots this target lacks, made as views
on the state's relations, so a dev schema is complete without building anything.

Each view is `CREATE VIEW <this target's relation> AS SELECT * FROM <the state's relation>` (DuckDB:
across schemas of one database file; Hive: across databases of one metastore); what reads it reads
production's rows. A relation the target already has is left alone, whatever it is. The state must
be readable from this target, as for --defer (elt.state.defer.check_readable).
"""

from __future__ import annotations

from dataclasses import dataclass

from elt.cli.invocation import Invocation, compile_manifest, open_adapter, select, state_of
from elt.errors import ProjectError
from elt.nodes import Relation
from elt.report.console import Console


@dataclass(frozen=True)
class CloneResult:
    """What `elt clone` did with one node: `cloned`, `kept` (the target has the relation) or `skipped`."""

    unique_id: str
    action: str
    relation: str
    detail: str


def clone_command(inv: Invocation, console: Console) -> list[CloneResult]:
    """Clone the selected models, seeds and snapshots (in dependency order); returns one result each.

    Raises:
        ProjectError: no --state, or a state this target cannot read.
        AdapterError: the engine refused a statement (the views made before it stay).
    """
    from elt.report.artifacts import database_path
    from elt.state.defer import check_readable

    if inv.state_path is None:
        raise ProjectError("elt clone makes views on another run's relations, and no --state was given",
                           hint="add --state DIR, the folder holding that run's manifest.json")
    manifest = compile_manifest(inv, console)
    state = state_of(inv)
    assert state is not None
    check_readable(manifest, state, database_path(manifest.target))
    selected = select(manifest, inv, console, {"model", "seed", "snapshot"})
    results: list[CloneResult] = []
    adapter = open_adapter(manifest.target)
    try:
        made_schemas: set[str] = set()
        for uid in manifest.graph.topological_order():
            node = manifest.nodes[uid]
            if uid not in selected or node.relation is None:
                continue  # not selected, or ephemeral
            theirs = state.nodes.get(uid)
            if theirs is None or theirs.relation is None:
                results.append(CloneResult(uid, "skipped", str(node.relation), "not in the state"))
                continue
            source = Relation(theirs.relation.schema, theirs.relation.identifier)
            if source == node.relation:
                results.append(CloneResult(uid, "skipped", str(node.relation), "the state's relation itself"))
                continue
            kind = adapter.relation_kind(node.relation)
            if kind is not None:
                results.append(CloneResult(uid, "kept", str(node.relation), f"exists ({kind})"))
                continue
            if node.relation.schema not in made_schemas:
                adapter.create_schema(node.relation.schema)
                made_schemas.add(node.relation.schema)
            adapter.create_view_as(node.relation, f"SELECT * FROM {source}", replace=False)
            results.append(CloneResult(uid, "cloned", str(node.relation), f"view on {source}"))
    finally:
        adapter.close()
    return results
