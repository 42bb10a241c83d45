"""Column-level lineage: for each column of each node, the upstream (node, column) pairs it derives from.

Nodes are visited in dependency order, so the columns (and types) of a model's parents are known when
its query is analysed: seeds from their CSV header and inferred types (`elt.project.seed_files.read_seed`), sources
from their yml `columns:` (or from the seed that loads their table), models from their own query. Each
model's parsed query is qualified by sqlglot against a schema of its parents only, then walked with
`sqlglot.lineage` down to physical tables; a table is mapped back to the parent node it came from.

Nothing is guessed: a column whose origin sqlglot cannot pin down (a `SELECT *` over a relation whose
columns are unknown, a column name two unknown tables could both hold, a table read without `ref()`
or `source()`) carries the reason in `ColumnLineage.unresolved`, and a node whose column list itself
is unknown says why in `NodeLineage.unresolved`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node as LineageNode
from sqlglot.lineage import lineage as sqlglot_lineage
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from elt.compile.compiler import EPHEMERAL_PREFIX, Manifest
from elt.docs.filter_use import filter_uses
from elt.docs.graph import display_name
from elt.errors import EltError
from elt.nodes import Node

#: Schema name under which an ephemeral parent is given to sqlglot, in place of its inlined CTE, so
#: lineage stops at the ephemeral model instead of walking through it.
EPHEMERAL_SCHEMA = "__elt_ephemeral"
LINEAGE_SCHEMA = "elt/docs-lineage/v1"


@dataclass(frozen=True, order=True)
class ColumnRef:
    """One column of one node."""

    node: str
    column: str

    def to_json(self) -> dict[str, str]:
        return {"node": self.node, "column": self.column}


@dataclass
class ColumnLineage:
    """A node's column: its type when known, the columns it derives from, and what is unknown.

    Attributes:
        upstream: the parent columns it reads (sorted); empty for seed columns and constants.
        unresolved: why part of its origin is unknown; empty when fully resolved.
        transformed: False when it is a plain copy (perhaps renamed) of a single upstream column.
    """

    name: str
    data_type: str | None = None
    description: str = ""
    upstream: list[ColumnRef] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    transformed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "data_type": self.data_type, "description": self.description,
            "upstream": [ref.to_json() for ref in self.upstream], "unresolved": self.unresolved,
            "transformed": self.transformed,
        }


@dataclass
class NodeLineage:
    """The columns of one node, in output order.

    Attributes:
        complete: True when `columns` is the node's full column list (so downstream queries may
            expand `SELECT *` over it).
        unresolved: why the column list is incomplete or unknown, else None.
    """

    unique_id: str
    columns: dict[str, ColumnLineage] = field(default_factory=dict)
    complete: bool = True
    unresolved: str | None = None
    #: parent columns the query reads in WHERE / JOIN ... ON / GROUP BY / HAVING / QUALIFY -> those clauses
    filters: dict[ColumnRef, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"columns": [c.to_json() for c in self.columns.values()], "complete": self.complete,
                "unresolved": self.unresolved,
                "filters": [{**ref.to_json(), "clauses": self.filters[ref]} for ref in sorted(self.filters)]}

    def filter_only(self) -> dict[ColumnRef, list[str]]:
        """The parent columns read only to filter, join or group: no output column derives from them."""
        read = {ref for column in self.columns.values() for ref in column.upstream}
        return {ref: clauses for ref, clauses in self.filters.items() if ref not in read}


@dataclass
class Lineage:
    """Column lineage of a whole project, by node unique id."""

    nodes: dict[str, NodeLineage]

    def column(self, ref: ColumnRef) -> ColumnLineage | None:
        node = self.nodes.get(ref.node)
        return node.columns.get(ref.column) if node else None

    def edges(self) -> Iterator[tuple[ColumnRef, ColumnRef]]:
        """Every (upstream column, column) pair, sorted."""
        pairs = [(up, ColumnRef(uid, name)) for uid, node in self.nodes.items()
                 for name, col in node.columns.items() for up in col.upstream]
        yield from sorted(pairs)

    def downstream(self, ref: ColumnRef) -> list[ColumnRef]:
        """The columns that read `ref` directly, sorted."""
        return sorted(child for parent, child in self.edges() if parent == ref)

    def filter_edges(self) -> Iterator[tuple[ColumnRef, str, list[str]]]:
        """Every (parent column, node, clauses) where the node reads the column only to filter, join or
        group its rows, sorted."""
        yield from sorted((ref, uid, clauses) for uid, node in self.nodes.items()
                          for ref, clauses in node.filter_only().items())

    def to_json(self) -> dict[str, Any]:
        return {"schema": LINEAGE_SCHEMA,
                "nodes": {uid: self.nodes[uid].to_json() for uid in sorted(self.nodes)}}


def compute_lineage(manifest: Manifest, unique_ids: Iterable[str] | None = None) -> Lineage:
    """Column lineage of every node (or of `unique_ids` and what they need), parents first.

    Never raises for SQL it cannot follow: that is reported per column or per node instead.
    """
    wanted = set(manifest.graph.nodes if unique_ids is None else unique_ids)
    needed = wanted | manifest.graph.ancestors_of(wanted)
    result: dict[str, NodeLineage] = {}
    for uid in manifest.graph.topological_order():
        if uid not in needed:
            continue
        node = manifest.nodes[uid]
        if node.resource_type == "seed":
            result[uid] = _seed_lineage(manifest, node)
        elif node.resource_type == "source":
            result[uid] = _source_lineage(node, result)
        elif node.resource_type in ("model", "snapshot") and uid in manifest.queries:
            # a snapshot: its query's columns (the dbt_* columns it adds have no upstream)
            result[uid] = _model_lineage(manifest, node, result)
    return Lineage(result)


def _description(node: Node, column: str) -> str:
    documented = {name.lower(): col for name, col in node.columns.items()}
    col = documented.get(column.lower())
    return col.description if col else ""


def _seed_lineage(manifest: Manifest, node: Node) -> NodeLineage:
    from elt.project.seed_files import read_seed

    try:
        data = read_seed(manifest.project.root, node.path, node.config)
    except EltError as exc:
        return NodeLineage(node.unique_id, complete=False, unresolved=f"the seed cannot be read: {exc}")
    columns = {name: ColumnLineage(name, data_type, _description(node, name), transformed=False)
               for name, data_type in data.columns}
    return NodeLineage(node.unique_id, columns)


def _source_lineage(node: Node, known: dict[str, NodeLineage]) -> NodeLineage:
    # A source whose table a seed loads depends on that seed (compiler): its columns are the seed's.
    seed = next((known[uid] for uid in node.depends_on if uid in known), None)
    declared = list(node.columns.values())
    if not declared:
        if seed is None or not seed.complete:
            return NodeLineage(node.unique_id, complete=False, unresolved=(
                f"source {node.source_name}.{node.name} declares no columns "
                f"(list them under `columns:` in {node.path})"))
        return NodeLineage(node.unique_id, {
            name: ColumnLineage(name, col.data_type, _description(node, name),
                                [ColumnRef(seed.unique_id, name)], transformed=False)
            for name, col in seed.columns.items()})
    columns: dict[str, ColumnLineage] = {}
    for col in declared:
        from_seed = seed.columns.get(col.name) if seed else None
        columns[col.name] = ColumnLineage(
            col.name, col.data_type or (from_seed.data_type if from_seed else None), col.description,
            [ColumnRef(seed.unique_id, col.name)] if seed and from_seed else [], transformed=False)
    return NodeLineage(node.unique_id, columns)


def _parent_keys(manifest: Manifest, node: Node) -> dict[tuple[str, str], str]:
    """(schema, table) as the query names it -> the parent's unique id."""
    keys: dict[tuple[str, str], str] = {}
    for uid in node.depends_on:
        parent = manifest.nodes[uid]
        if parent.relation is not None:
            keys[(parent.relation.schema.lower(), parent.relation.name.lower())] = uid
        else:
            keys[(EPHEMERAL_SCHEMA, parent.name.lower())] = uid
    return keys


def _unlink_ephemerals(query: exp.Expression) -> exp.Expression:
    """A copy of `query` whose inlined ephemeral CTEs are replaced by references to the ephemeral model."""
    query = query.copy()
    with_ = query.args.get("with_")
    if with_ is not None:
        kept = [cte for cte in with_.expressions if not cte.alias.startswith(EPHEMERAL_PREFIX)]
        query.set("with_", exp.With(expressions=kept) if kept else None)
    for table in list(query.find_all(exp.Table)):
        if not table.db and table.name.startswith(EPHEMERAL_PREFIX):
            alias = table.alias or table.name
            table.replace(exp.table_(table.name[len(EPHEMERAL_PREFIX):], db=EPHEMERAL_SCHEMA, alias=alias))
    return query


@functools.lru_cache(maxsize=1024)
def _type_for_schema(data_type: str | None, dialect: str) -> str:
    """A column type as the project writes it (yml, a seed, a model's column), for sqlglot's schema."""
    if data_type:
        try:
            return exp.DataType.build(data_type, dialect=dialect).sql(dialect)
        except (SqlglotError, ValueError):
            pass
    return "UNKNOWN"


def _schema(keys: dict[tuple[str, str], str], known: dict[str, NodeLineage], dialect: str) -> MappingSchema:
    mapping: dict[str, Any] = {}
    for (schema, table), uid in keys.items():
        parent = known.get(uid)
        if parent is not None and parent.complete and parent.columns:
            mapping.setdefault(schema, {})[table] = {
                name: _type_for_schema(col.data_type, dialect) for name, col in parent.columns.items()}
    return MappingSchema(mapping, dialect=dialect)


def _model_lineage(manifest: Manifest, node: Node, known: dict[str, NodeLineage]) -> NodeLineage:
    keys = _parent_keys(manifest, node)
    schema = _schema(keys, known, manifest.dialect)
    try:
        query = qualify(_unlink_ephemerals(manifest.queries[node.unique_id]), dialect=manifest.dialect,
                        schema=schema, validate_qualify_columns=False, identify=False)
        _annotate(query, schema, manifest.dialect)
        scope = build_scope(query)
        traced = sqlglot_lineage(None, query, schema, dialect=manifest.dialect, scope=scope,
                                 trim_selects=False, copy=False)
    except (SqlglotError, ValueError, KeyError) as exc:
        return NodeLineage(node.unique_id, complete=False,
                           unresolved=f"sqlglot cannot analyse the query: {exc}".splitlines()[0])
    columns: dict[str, ColumnLineage] = {}
    stars: list[str] = []
    assert isinstance(query, exp.Query)  # models are one SELECT query (compiler)
    for select in query.selects:
        name = select.alias_or_name
        if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and isinstance(select.this, exp.Star)):
            stars.append(select.sql(manifest.dialect))
            continue
        if name in columns or name not in traced:
            continue
        column = ColumnLineage(name, _type_of(select, manifest.dialect), _description(node, name))
        _collect(traced[name], keys, known, manifest, column)
        columns[name] = column
    filters = _filters(query, keys, known, scope)
    if not stars:
        return NodeLineage(node.unique_id, columns, filters=filters)
    unknown = sorted(display_name(manifest.nodes[uid]) for uid in set(keys.values())
                     if uid not in known or not known[uid].complete)
    over = f"SELECT {', '.join(stars)} over {', '.join(unknown) or 'a relation'}"
    reason = f"{over} cannot be expanded: declare the columns of {', '.join(unknown) or 'what it reads'} in yml"
    for name, doc in node.columns.items():
        if name.lower() not in {c.lower() for c in columns}:
            columns[name] = ColumnLineage(name, doc.data_type, doc.description, unresolved=[
                f"documented in yml, but comes from {over}, whose columns are unknown"])
    return NodeLineage(node.unique_id, columns, complete=False, unresolved=reason, filters=filters)


def _filters(query: exp.Expr, keys: dict[tuple[str, str], str], known: dict[str, NodeLineage],
             scope: Scope | None) -> dict[ColumnRef, list[str]]:
    def resolve(table: tuple[str, str], column: str) -> tuple[str, str] | None:
        uid = keys.get(table)
        parent = known.get(uid) if uid else None
        if uid is None or parent is None:
            return None
        match = next((c for c in parent.columns if c.lower() == column.lower()), None)
        return (uid, match) if match is not None else None

    try:
        uses = filter_uses(query, resolve, scope)
    except (SqlglotError, ValueError, KeyError):  # a nicety, like types: lineage stands without it
        return {}
    return {ColumnRef(uid, column): sorted(clauses) for (uid, column), clauses in sorted(uses.items())}


def _annotate(query: exp.Expression, schema: MappingSchema, dialect: str) -> None:
    # Types are a nicety: lineage does not need them, so a query sqlglot cannot type still gets lineage.
    with contextlib.suppress(SqlglotError, ValueError, KeyError, TypeError):
        annotate_types(query, schema=schema, dialect=dialect)


def _type_of(select: exp.Expr, dialect: str) -> str | None:
    """The type sqlglot found for a selected column, written in the project's dialect."""
    data_type = select.type
    if data_type is None or data_type.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
        return None
    return data_type.sql(dialect).lower()


def _collect(root: LineageNode, keys: dict[tuple[str, str], str], known: dict[str, NodeLineage],
             manifest: Manifest, column: ColumnLineage) -> None:
    """Fill `column` from the leaves of one sqlglot lineage tree."""
    upstream: set[ColumnRef] = set()
    unresolved: list[str] = []
    copy = True
    for step in root.walk():
        if step.downstream:
            if not isinstance(step.expression.unalias(), exp.Column):
                copy = False
            continue
        leaf, name = step.expression, step.name
        if "*" in name:
            source = leaf.sql(manifest.dialect) if isinstance(leaf, exp.Table) else "a subquery"
            unresolved.append(f"comes from SELECT * over {source}, whose columns are unknown")
        elif isinstance(leaf, exp.Placeholder):
            unresolved.append(f"cannot tell which table column {name!r} comes from "
                              f"(qualify it, or declare the columns of the tables it may come from)")
        elif isinstance(leaf, exp.Table):
            ref, problem = _leaf_ref(leaf, name, keys, known, manifest)
            if ref:
                upstream.add(ref)
            if problem:
                unresolved.append(problem)
        else:
            copy = False  # a constant, or a column made by a table function (LATERAL VIEW)
    column.upstream = sorted(upstream)
    column.unresolved = sorted(set(unresolved))
    column.transformed = not (copy and len(upstream) == 1 and not unresolved)


def _column_name(leaf_name: str) -> str:
    """`c.score` (a qualified column as sqlglot's lineage names a leaf) -> `score`.

    >>> _column_name("e.score"), _column_name("`e`.`my col`")
    ('score', 'my col')
    """
    name = leaf_name.rsplit(".", 1)[-1] if not leaf_name.endswith(("`", '"')) else _quoted_tail(leaf_name)
    return name.strip("`\"")


def _quoted_tail(text: str) -> str:
    quote = text[-1]
    start = text.rfind(quote, 0, len(text) - 1)
    return text[start:]


def _leaf_ref(table: exp.Table, name: str, keys: dict[tuple[str, str], str], known: dict[str, NodeLineage],
              manifest: Manifest) -> tuple[ColumnRef | None, str | None]:
    column = _column_name(name)
    key = (table.db.lower(), table.name.lower())
    uid = keys.get(key)
    if uid is None:
        relation = f"{table.db}.{table.name}" if table.db else table.name
        return None, f"reads {relation}, which is not a ref() or source() of this model"
    parent = known.get(uid)
    if parent is None or not parent.complete:
        return ColumnRef(uid, column), None
    match = next((c for c in parent.columns if c.lower() == column.lower()), None)
    if match is None:
        return None, f"{manifest.nodes[uid].name} has no column {column!r}"
    return ColumnRef(uid, match), None
