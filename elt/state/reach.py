"""What a change reaches (`elt plan`, `elt run --plan`): the modified and new models against a state,
each with its category (elt.state.categories), and the models downstream that must be rebuilt because
they read a changed column (anywhere in their query) or a relation whose row set changed.

Changes travel in dependency order: a model that is rebuilt passes on the output columns it computes
differently (or all of them when its rows may differ), so a change stops where nothing reads what it
changed. A `SELECT *` reader of a model that gained a column gains it too and is rebuilt; a reader
by name is not.

Config changes rebuild the model itself (materialization, partitioning, hooks, a contract); a new
relation name (schema, alias) also rebuilds its direct readers, which must read the new name. A seed
whose file changed, a source whose relation or config changed, and a new model change every column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elt.compile.canonical import canonical_sql
from elt.compile.compiler import Manifest
from elt.errors import EltError
from elt.nodes import Node
from elt.state.categories import (
    ALL,
    BREAKING,
    METADATA_ONLY,
    Change,
    Shape,
    classify,
    parse,
    shape,
)
from elt.state.compare import modified_nodes, new_nodes
from elt.state.manifest_state import State

#: The db the canonical texts' node relations are given for sqlglot (they are written without one).
NODE_DB = "__elt"
#: Config keys that change no relation and no row: a change to them alone is metadata.
METADATA_KEYS = frozenset({"tags", "meta", "docs", "persist_docs", "description", "group", "access",
                           "column_types_docs", "labels"})
#: The resource types a plan builds.
BUILT = ("model", "seed", "snapshot")


@dataclass
class ModelChange:
    """One modified or new node against the state.

    Attributes:
        parts: the parts that differ (elt.state.fingerprint.PARTS), or {"new"}.
        change: the category of its query's change (None for a seed, a source or a new node).
        rebuild: it must be built again itself.
        reasons: why, for people.
    """

    unique_id: str
    parts: frozenset[str]
    category: str
    change: Change | None = None
    rebuild: bool = True
    reasons: list[str] = field(default_factory=list)


@dataclass
class Reach:
    """What one node passes on downstream: the output columns it changes (ALL: every one) and whether
    its rows may differ; `renamed`: its relation has a new name (its direct readers read it again)."""

    columns: set[str] = field(default_factory=set)
    rows: bool = False
    renamed: bool = False

    def __bool__(self) -> bool:
        return bool(self.columns or self.rows or self.renamed)


@dataclass
class ChangePlan:
    """The plan of `elt plan`: the changes, what is rebuilt and why, what is not and why.

    Attributes:
        changes: the modified and new nodes, in dependency order.
        rebuild: node -> why it is rebuilt (its own change, the parent columns it reads), in dependency order.
        skipped: descendant of a change that is not rebuilt -> why.
        descendants: the modified and new nodes with every descendant (`state:modified+`, dbt's way).
    """

    changes: dict[str, ModelChange]
    rebuild: dict[str, list[str]]
    skipped: dict[str, str]
    descendants: set[str]

    def buildable(self, unique_ids: set[str], manifest: Manifest) -> set[str]:
        """The nodes of `unique_ids` a build runs (no ephemeral models, no sources or tests)."""
        return {uid for uid in unique_ids if uid in manifest.nodes and manifest.nodes[uid].resource_type in BUILT
                and manifest.nodes[uid].materialized != "ephemeral"}


def plan_changes(manifest: Manifest, state: State, shapes: dict[tuple[str, str], Shape] | None = None) -> ChangePlan:
    """Compare `manifest` with `state` and follow each change downstream (see the module docstring).

    Args:
        shapes: the queries' shapes made by an earlier call, to reuse (kept by query text and the
            parent columns it was qualified with; bench/plan.py plans many changes of one project).
    """
    analysis = _Analysis(manifest, state, shapes)
    order = manifest.graph.topological_order()
    modified = modified_nodes(manifest, state)
    new = new_nodes(manifest, state)
    changes: dict[str, ModelChange] = {}
    for uid in order:
        if uid in new or uid in modified:
            changes[uid] = analysis.change_of(uid, frozenset({"new"}) if uid in new else modified[uid])
    descendants = set(changes) | manifest.graph.descendants_of(set(changes))
    reaches: dict[str, Reach] = {}
    rebuild: dict[str, list[str]] = {}
    skipped: dict[str, str] = {}
    for uid in order:
        if uid not in descendants or manifest.nodes[uid].resource_type not in (*BUILT, "source"):
            continue
        own = changes.get(uid)
        reach, why = analysis.reached(uid, reaches)
        if own is not None:
            mine = analysis.own_reach(own)
            reach = Reach(reach.columns | mine.columns, reach.rows or mine.rows, mine.renamed)
            if own.rebuild:
                why = [f"{own.category}: {'; '.join(own.reasons)}", *why]
        if reach.rows:
            reach.columns = {ALL}
        reaches[uid] = reach
        if (own is not None and own.rebuild) or why:
            rebuild[uid] = why
        elif own is None:
            skipped[uid] = analysis.skip_reason(uid, reaches)
    return ChangePlan(changes, rebuild, skipped, descendants)


class _Analysis:
    """Shapes of the models' current and previous queries, and their parents' columns, made on demand."""

    def __init__(self, manifest: Manifest, state: State, shapes: dict[tuple[str, str], Shape] | None) -> None:
        self.manifest = manifest
        self.state = state
        self.shapes = {} if shapes is None else shapes
        self._texts: dict[str, str | None] = {}
        self._state_names: dict[str, str] | None = None
        self.keys = {_node_key(node): uid for uid, node in manifest.nodes.items() if _node_key(node)}
        self._shapes: dict[str, Shape] = {}
        self._columns: dict[str, list[str] | None] = {}

    # -- one node's own change

    def change_of(self, uid: str, parts: frozenset[str]) -> ModelChange:
        node = self.manifest.nodes[uid]
        if "new" in parts:
            return ModelChange(uid, parts, "new", rebuild=node.materialized != "ephemeral",
                               reasons=["not in the state"])
        if node.resource_type == "seed":
            return ModelChange(uid, parts, BREAKING, rebuild="body" in parts or "configs" in parts
                               or "relation" in parts, reasons=[f"seed: {', '.join(sorted(parts))} changed"])
        if node.resource_type == "source":
            moved = bool(parts & {"relation", "configs"})
            return ModelChange(uid, parts, BREAKING if moved else METADATA_ONLY, rebuild=False,
                               reasons=[f"source: {', '.join(sorted(parts))} changed"])
        change = self._query_change(uid) if "body" in parts else Change(METADATA_ONLY)
        reasons = [r for r in change.reasons if "body" in parts]
        category = change.category
        config = self._config_change(uid, parts)
        if config:
            reasons.append(config)
            if category == METADATA_ONLY:
                category = BREAKING
        rebuild = category != METADATA_ONLY and node.materialized != "ephemeral"
        if not reasons:
            reasons = [f"{', '.join(sorted(parts))} changed: nothing that reaches the relation"]
        return ModelChange(uid, parts, category, change, rebuild, reasons)

    def _query_change(self, uid: str) -> Change:
        current = self.canonical_text(uid)
        try:
            previous = self._previous_text(uid)
        except Exception as exc:  # noqa: BLE001 - any parse failure of the old text: assume the worst
            return Change(BREAKING, changed={ALL}, rows=True,
                          reasons=[f"its previous SQL cannot be parsed: {str(exc).splitlines()[0]}"])
        if previous is None or current is None:
            return Change(BREAKING, changed={ALL}, rows=True, reasons=["its SQL is not known on both sides"])
        if previous == current:
            return classify(Shape(), Shape(), True)
        return classify(self._shape(previous, self.schema_of(uid)), self.shape_of(uid), False)

    def canonical_text(self, uid: str) -> str | None:
        """The model's query as elt.compile.canonical writes it (relations by node name), or None."""
        if uid not in self._texts:
            manifest = self.manifest
            self._texts[uid] = (canonical_sql(manifest.queries[uid], manifest.dialect, manifest.canonical_names)
                                if uid in manifest.queries and uid not in manifest.introspective else None)
        return self._texts[uid]

    def _previous_text(self, uid: str) -> str | None:
        """The model's query in the state, written as `canonical_text` writes the current one."""
        sql = self.state.nodes[uid].sql
        if sql is None:
            return None
        if self._state_names is None:
            self._state_names = self.state.relation_names()
        dialect = self.state.dialect or self.manifest.dialect
        return canonical_sql(parse(sql, dialect), dialect, self._state_names)

    def _config_change(self, uid: str, parts: frozenset[str]) -> str | None:
        node = self.manifest.nodes[uid]
        reasons = []
        if "relation" in parts:
            reasons.append("its relation's name (schema/alias) changed")
        if "configs" in parts:
            before = self.state.nodes[uid].config
            keys = sorted(key for key in {*before, *node.config} if key not in METADATA_KEYS
                          and _plain(before.get(key)) != _plain(node.config.get(key)))
            if keys:
                reasons.append(f"config {', '.join(keys)} changed")
        if "contract" in parts:
            reasons.append("its contract changed")
        return "; ".join(reasons) or None

    def own_reach(self, change: ModelChange) -> Reach:
        """What a node's own change passes on downstream."""
        if change.category == "new" or (change.category == BREAKING and change.change is None):
            node = self.manifest.nodes[change.unique_id]
            if node.resource_type != "source" or change.category == BREAKING:
                return Reach({ALL}, True)
            return Reach()
        query = change.change
        reach = Reach(set(query.changed), query.rows) if query is not None else Reach()
        reach.renamed = "relation" in change.parts
        return reach

    # -- what reaches a node from its parents

    def reached(self, uid: str, reaches: dict[str, Reach]) -> tuple[Reach, list[str]]:
        """The changes of `uid`'s parents that reach it, and why (empty: none)."""
        node = self.manifest.nodes[uid]
        changed = {key: reaches[parent] for key, parent in self._parents(uid).items()
                   if parent in reaches and reaches[parent]}
        if not changed:
            return Reach(), []
        why: list[str] = []
        renamed = [parent for parent in node.depends_on if parent in reaches and reaches[parent].renamed]
        for parent in renamed:
            why.append(f"reads {self._name(parent)}, whose relation has a new name")
        if node.resource_type not in ("model", "snapshot") or uid not in self.manifest.compiled_sql:
            if any(r.columns or r.rows for r in changed.values()):
                why.append(f"reads {', '.join(sorted(self._name(self.keys[k]) for k in changed))}")
                return Reach({ALL}, True), why
            return Reach(), why
        current = self.shape_of(uid)
        if current.opaque:
            why.append(f"its query cannot be analysed ({current.opaque}); it reads "
                       f"{', '.join(sorted(self._name(self.keys[k]) for k in changed))}")
            return Reach({ALL}, True), why
        rows = [key for key, r in changed.items() if r.rows and key in current.parents]
        row_cols = sorted(f"{self._name(self.keys[key])}.{col}" for key, col in current.row_reads
                          if key in changed and _hit(changed[key], col))
        if rows:
            why.append(f"reads {_listed(sorted(self._name(self.keys[key]) for key in rows))}, whose rows may differ")
            return Reach({ALL}, True), why
        if row_cols:
            why.append(f"its rows depend on {_listed(row_cols)}")
            return Reach({ALL}, True), why
        columns: set[str] = set()
        read: set[str] = set()
        for name, reads in current.column_reads.items():
            hits = [f"{self._name(self.keys[key])}.{col}" for key, col in reads if key in changed
                    and _hit(changed[key], col)]
            if hits:
                columns.add(name)
                read |= set(hits)
        if columns:
            why.append(f"reads {_listed(sorted(read))} (its columns {_listed(sorted(columns))})")
        return Reach(columns), why

    def skip_reason(self, uid: str, reaches: dict[str, Reach]) -> str:
        changed = [p for p in self._parents(uid).values() if p in reaches and reaches[p]]
        if not changed:
            return "nothing it reads changes columns or rows"
        what = _listed([f"{self._name(p)} ({_describe(reaches[p])})" for p in sorted(changed)])
        return f"reads none of what changed in {what}"

    # -- shapes and columns

    def _parents(self, uid: str) -> dict[str, str]:
        """Parent key -> unique id of every relation the model's SQL reads (an inlined ephemeral's too)."""
        node = self.manifest.nodes[uid]
        if node.resource_type in ("model", "snapshot") and uid in self.manifest.compiled_sql:
            parsed = self.shape_of(uid)
            if not parsed.opaque:
                return {key: self.keys[key] for key in parsed.parents if key in self.keys}
        return {key: parent for parent in node.depends_on
                for key in [_node_key(self.manifest.nodes[parent])] if key}

    def shape_of(self, uid: str) -> Shape:
        done = self._shapes.get(uid)
        if done is None:
            text = self.canonical_text(uid)
            done = Shape(opaque="it has no compiled SQL") if text is None else self._shape(text, self.schema_of(uid))
            self._shapes[uid] = done
        return done

    def _shape(self, text: str, schema: dict[str, dict[str, dict[str, str]]]) -> Shape:
        """The shape of a canonical text over `schema`, taken from `shapes` when made before."""
        key = (text, repr(sorted((table, sorted(columns)) for table, columns in schema.get(NODE_DB, {}).items())))
        done = self.shapes.get(key)
        if done is None:
            dialect = self.manifest.dialect
            done = shape(_tagged(parse(text, dialect)), schema, dialect, copy=False)
            self.shapes[key] = done
        return done

    def schema_of(self, uid: str) -> dict[str, dict[str, dict[str, str]]]:
        """The columns of the relations the model reads, as far as they are known, for sqlglot."""
        tables: dict[str, dict[str, str]] = {}
        for parent in self._ancestors_read(uid):
            key = _node_key(self.manifest.nodes[parent])
            columns = self.columns_of(parent)
            if key and columns:
                tables[key.split(".", 1)[1]] = {name: "UNKNOWN" for name in columns}
        return {NODE_DB: tables}

    def _ancestors_read(self, uid: str) -> set[str]:
        # an inlined ephemeral model reads its own parents in the reader's SQL
        found: set[str] = set()
        todo = list(self.manifest.nodes[uid].depends_on)
        while todo:
            parent = todo.pop()
            if parent in found or parent not in self.manifest.nodes:
                continue
            found.add(parent)
            if self.manifest.nodes[parent].materialized == "ephemeral":
                todo += self.manifest.nodes[parent].depends_on
        return found

    def columns_of(self, uid: str) -> list[str] | None:
        """The node's column names (lower case), or None when unknown."""
        if uid in self._columns:
            return self._columns[uid]
        self._columns[uid] = None  # a cycle through a bad graph stays unknown
        node = self.manifest.nodes[uid]
        columns: list[str] | None = None
        if node.resource_type == "seed":
            columns = self._seed_columns(node)
        elif node.resource_type == "source":
            declared = [name.lower() for name in node.columns]
            seeds = [p for p in node.depends_on if self.manifest.nodes[p].resource_type == "seed"]
            columns = declared or (self.columns_of(seeds[0]) if seeds else None)
        elif node.resource_type == "model" and self.canonical_text(uid) is not None:
            parsed = self.shape_of(uid)
            star = any(name == "*" for name in parsed.columns)
            columns = None if parsed.opaque or star else list(parsed.columns)
        self._columns[uid] = columns
        return columns

    def _seed_columns(self, node: Node) -> list[str] | None:
        from elt.project.seed_files import read_seed

        try:
            data = read_seed(self.manifest.project.root, node.path, node.config)
        except EltError:
            return None
        return [name.lower() for name, _ in data.columns]

    def _name(self, uid: str) -> str:
        node = self.manifest.nodes[uid]
        return f"{node.source_name}.{node.name}" if node.resource_type == "source" else node.name


def _node_key(node: Node) -> str | None:
    """The name a canonical text gives the node's relation (elt.compile.canonical), with NODE_DB."""
    if node.resource_type == "source":
        return f"{NODE_DB}.__source__{node.source_name}__{node.name}".lower()
    if node.resource_type in BUILT:
        return f"{NODE_DB}.__ref__{node.name}".lower()
    return None


def _tagged(query: Any) -> Any:
    """The canonical text's node relations (`__ref__x`, written without a db) put in NODE_DB."""
    from sqlglot import exp

    for table in query.find_all(exp.Table):
        if not table.db and table.name.startswith(("__ref__", "__source__")):
            table.set("db", exp.to_identifier(NODE_DB))
    return query


def _listed(names: list[str], most: int = 4) -> str:
    """`names` joined, the list cut after `most` (a wide model reads dozens of columns).

    >>> _listed(["a", "b"]), _listed(list("abcdef"), 3)
    ('a, b', 'a, b, c and 3 more')
    """
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def _hit(reach: Reach, column: str) -> bool:
    return bool(reach.rows or ALL in reach.columns or column == ALL or column in reach.columns)


def _describe(reach: Reach) -> str:
    if reach.rows or ALL in reach.columns:
        return "its rows"
    if reach.columns:
        return "columns " + _listed(sorted(reach.columns))
    return "its relation's name"


def _plain(value: Any) -> Any:
    return value if not isinstance(value, (list, tuple)) else list(value)

