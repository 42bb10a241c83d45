"""--defer: the refs of a selection to what it does not build read another run's relations.

`deferred_relations` chooses, among the nodes the selected ones read (directly, or through the
ephemeral models they inline) and that are not selected themselves, those to read from the state: the
ones this target does not have (with --favor-state: all of them the state has). `defer` then names
them by the state's relation in the manifest, and compiles again the nodes that read them, so their
SQL (and its translation for the engine, the column types a run looks up, the tests' queries) names
the state's relations. The deferred nodes are not built.

It works where the state's relations are readable from this target's connection: the same engine
(adapter type) and, for an engine whose database is a file (DuckDB), the same file; dev and prod
targets are then schemas of one Hive, or of one DuckDB file. Anything else is refused before a run
starts: a DuckDB target cannot read a Hive table, and two DuckDB files are two databases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from elt.compile.compiler import Manifest
from elt.compile.render import render_model
from elt.errors import ProjectError
from elt.nodes import Node, Relation
from elt.state.manifest_state import State

#: the nodes a ref can be deferred to: what a ref names and a run builds.
DEFERRABLE = ("model", "seed", "snapshot")


def check_readable(manifest: Manifest, state: State, database_path: str | None) -> None:
    """Refuse a state whose relations this target cannot read (another engine, another database file).

    Args:
        database_path: this target's database file, absolute (None: the engine has none).

    Raises:
        ProjectError: with what the state was compiled for and what to do.
    """
    target = manifest.target
    if state.engine != target.type:
        raise ProjectError(
            f"--defer cannot read the state's relations: they are on a {state.engine} target "
            f"({state.target_name!r}) and this target {target.name!r} is {target.type}",
            path=str(state.path / "manifest.json"),
            hint="defer to a state of the same engine (a production target of the same type), or copy the "
                 "relations you need first (`elt pull --from <target>`)")
    if state.database_path != database_path:
        raise ProjectError(
            f"--defer cannot read the state's relations: they are in the database file {state.database_path} "
            f"and this target {target.name!r} uses {database_path}",
            path=str(state.path / "manifest.json"),
            hint="give both targets one database file with different schemas, or copy the relations you need "
                 "(`elt pull --from <target>`)")


def deferred_relations(manifest: Manifest, state: State, selected: Collection[str], *, favor_state: bool,
                       exists: Callable[[Relation], bool]) -> dict[str, Relation]:
    """unique id -> the state's relation, for each node to read from the state.

    Args:
        selected: the nodes the command builds (or tests).
        favor_state: read the state's relation even where this target has the node's relation.
        exists: whether this target has a relation (asked only without `favor_state`).
    """
    nodes = manifest.nodes
    chosen: dict[str, Relation] = {}
    for uid in sorted(_read_by(nodes, selected)):
        theirs = state.nodes.get(uid)
        node = nodes[uid]
        if theirs is None or theirs.relation is None or node.relation is None:
            continue
        relation = Relation(theirs.relation.schema, theirs.relation.identifier)
        if relation == node.relation:
            continue  # the same relation: nothing to defer
        if favor_state or not exists(node.relation):
            chosen[uid] = relation
    return chosen


def _read_by(nodes: dict[str, Node], selected: Collection[str]) -> set[str]:
    """The deferrable nodes `selected` read (looking through unselected ephemeral models), not selected."""
    found: set[str] = set()
    todo = [uid for uid in selected if uid in nodes]
    seen = set(todo)
    while todo:
        for parent in nodes[todo.pop()].depends_on:
            node = nodes.get(parent)
            if node is None or parent in selected or node.resource_type not in DEFERRABLE:
                continue
            if node.resource_type == "model" and node.materialized == "ephemeral":
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
                continue
            found.add(parent)
    return found


def defer(manifest: Manifest, deferred: dict[str, Relation]) -> list[str]:
    """Name each deferred node by its state relation in `manifest`, and compile again the models,
    snapshots and tests that read one (directly or through an ephemeral model), so that their SQL
    reads it. Returns the unique ids compiled again, in order.

    Raises:
        TemplateError, SqlError: a model failed to render or parse again (as its compile would have).
    """
    if not deferred:
        return []
    local_names: dict[str, str] = {}  # a relation's name in this target -> the state's
    for uid, relation in deferred.items():
        local = manifest.nodes[uid].relation
        if local is not None:
            local_names[str(local)] = str(relation)
        manifest.nodes[uid].relation = relation  # manifest.json too names them by what this run read
    touched = set(deferred)
    again: list[str] = []
    for uid in manifest.graph.topological_order():
        node = manifest.nodes[uid]
        if uid in deferred or not touched.intersection(node.depends_on):
            continue
        if node.resource_type in ("model", "snapshot"):
            if node.materialized == "ephemeral":
                touched.add(uid)  # what inlines it is compiled again too
            if uid in manifest.introspective:
                continue  # rendered with the database at its turn, with the deferred names
            manifest.use_rendered(render_model(manifest, node))
            again.append(uid)
        elif node.resource_type == "test" and uid in manifest.compiled_sql:
            from elt.compile.render import resolve_refs

            sql = _renamed(resolve_refs(manifest.nodes, node, node.raw_sql), local_names)
            manifest.forget_compiled(uid)
            manifest.parsed_sql[uid] = sql
            manifest.compiled_sql[uid] = sql
            manifest.queries.forget(uid)
            manifest.parse_keys.pop(uid, None)
            again.append(uid)
    return again


def _renamed(sql: str, names: dict[str, str]) -> str:
    """`sql` reading the state's relations: a generic test's SQL has the names of the relations it
    reads written in when the test is made (`relationships`' `to:`), not as refs resolved later.
    A name counts only as a whole (`dev.x`, not `dev.x_daily` nor `other_dev.x`)."""
    if not names:
        return sql
    pattern = re.compile("|".join(rf"(?<![\w.`\"]){re.escape(name)}(?![\w`\"])"
                                  for name in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda match: names[match.group(0)], sql)
