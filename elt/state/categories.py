"""The category of one model's change, from its previous and current query: metadata-only,
non-breaking (only output columns added) or breaking (with the output columns that changed and
whether its row set may have changed).

Both queries are qualified with sqlglot against the same schema of their parents (so `SELECT *` is
expanded and every column names its source), derived tables become CTEs, and each scope of the
query gets signatures (`Shape`): one per output column (its expression and, through the CTEs it
reads, the expressions it derives from) and one for its row set (FROM, JOIN, WHERE, GROUP BY,
HAVING, QUALIFY, DISTINCT, LIMIT, ... and the columns those clauses read, followed the same way).
Two versions of a model are compared signature by signature. The same `Shape` says which parent
columns each output column and the row set read (`elt.state.reach` follows changes downstream with it).

Conservative by design: whatever cannot be analysed (qualification fails, a column that cannot be
attributed to one source, a star over a relation whose columns are unknown) counts as changed, so
an unsure answer rebuilds rather than leaving a table silently stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.eliminate_subqueries import eliminate_subqueries
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from elt.dialects.hive_reader import reader

#: A parent column read by a query: (parent key, column). The column ALL means every column.
ALL = "*"
ParentColumn = tuple[str, str]

METADATA_ONLY = "metadata-only"
NON_BREAKING = "non-breaking"
BREAKING = "breaking"

#: Functions that make rows of one row (Hive's UDTFs): a projection calling one changes the row set.
_UDTF_NAMES = frozenset({"explode", "posexplode", "inline", "stack", "json_tuple", "parse_url_tuple",
                         "explode_outer", "posexplode_outer", "inline_outer"})
#: The Select args that decide its rows (`expressions` are its columns, `with_` its CTEs, analysed apart).
_CLAUSE_NAMES = {"from_": "FROM", "joins": "JOIN", "where": "WHERE", "group": "GROUP BY", "having": "HAVING",
                 "qualify": "QUALIFY", "distinct": "DISTINCT", "limit": "LIMIT", "offset": "OFFSET",
                 "order": "ORDER BY", "laterals": "LATERAL VIEW", "windows": "WINDOW", "sort": "SORT BY",
                 "distribute": "DISTRIBUTE BY", "cluster": "CLUSTER BY"}


@dataclass
class Shape:
    """What one query computes, as signatures, and which parent columns it reads.

    Attributes:
        columns: output column name (lower case) -> signature of its derivation, in output order.
        rows: signature of the row set (every clause that decides rows, and what they read).
        clauses: "CLAUSE" or "CLAUSE in cte NAME" -> its text, to say where two versions differ.
        column_reads: output column -> the parent columns it derives from.
        row_reads: the parent columns the row set depends on.
        parents: every parent key the query reads at all.
        opaque: why the query could not be analysed (then everything counts as changed), else None.
    """

    columns: dict[str, str] = field(default_factory=dict)
    rows: str = ""
    clauses: dict[str, str] = field(default_factory=dict)
    column_reads: dict[str, set[ParentColumn]] = field(default_factory=dict)
    row_reads: set[ParentColumn] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    opaque: str | None = None


@dataclass
class Change:
    """The category of one model's change and why.

    Attributes:
        category: METADATA_ONLY, NON_BREAKING or BREAKING.
        added: output columns the new version adds.
        changed: output columns removed or computed differently (lower case; ALL when every column).
        rows: the row set may have changed.
        reasons: what changed, for people ("WHERE changed", "column score: expression changed").
    """

    category: str
    added: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    rows: bool = False
    reasons: list[str] = field(default_factory=list)


def parse(sql: str, dialect: str) -> exp.Query:
    """A query in the project dialect, parsed as the compiler parses models."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read=reader(dialect))
    if not isinstance(tree, exp.Query):
        raise SqlglotError(f"not a query: {sql[:60]!r}")
    return tree


def canonical(query: exp.Expr, dialect: str) -> str:
    """The query's text without comments or layout: two queries equal here are the same query."""
    return query.sql(dialect=reader(dialect), comments=False)


def shape(query: exp.Query, schema: dict[str, dict[str, dict[str, str]]], dialect: str, *,
          copy: bool = True) -> Shape:
    """The signatures and reads of `query`, qualified against `schema` (db -> table -> column -> type).

    Tables of `schema` are the parents; each is named in `Shape` by "db.table" (lower case). Never
    raises: a query sqlglot cannot qualify is an opaque `Shape` (everything read, everything changed).
    `copy`: False when `query` may be rewritten in place (qualified).
    """
    try:
        # sqlglot refuses a db without tables (a model whose parents' columns are all unknown)
        mapping: dict[str, object] = {db: tables for db, tables in schema.items() if tables}
        tree = qualify(query.copy() if copy else query, dialect=reader(dialect), schema=mapping,
                       validate_qualify_columns=False, identify=False)
        tree = eliminate_subqueries(tree)
        scopes = list(traverse_scope(tree))
        facts: dict[int, _Facts] = {}
        for scope in scopes:  # children first
            facts[id(scope.expression)] = _scope_facts(scope, facts, dialect)
    except Exception as exc:  # noqa: BLE001 - whatever sqlglot cannot follow: unknown, so everything changed
        reads = {f"{db}.{table}" for db, tables in schema.items() for table in tables}
        return Shape(opaque=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                     row_reads={(key, ALL) for key in reads}, parents=reads)
    root = facts[id(scopes[-1].expression)]
    result = Shape(columns={name: sig for name, (sig, _) in root.columns.items()}, rows=root.rows[0],
                   column_reads={name: reads for name, (_, reads) in root.columns.items()},
                   row_reads=root.rows[1], parents=root.parents)
    for scope in scopes:
        where = "" if scope is scopes[-1] else f" in {_scope_name(scope)}"
        for clause, text in facts[id(scope.expression)].clauses.items():
            result.clauses[clause + where] = text
        if where:  # an inner query's columns: a WHERE reading one may change although its text did not
            for name, (sig, _) in facts[id(scope.expression)].columns.items():
                result.clauses[f"column {name}{where}"] = sig
    return result


def classify(previous: Shape, current: Shape, same_text: bool) -> Change:
    """The category of the change from `previous` to `current` (the same model's two versions).

    `same_text`: their canonical texts are equal (only descriptions, tags, tests, config may differ).
    """
    if same_text:
        return Change(METADATA_ONLY, reasons=["the query is the same (whitespace, comments or properties only)"])
    if previous.opaque or current.opaque:
        why = previous.opaque or current.opaque
        return Change(BREAKING, changed={ALL}, rows=True, reasons=[f"the query cannot be analysed: {why}"])
    reasons = []
    rows = previous.rows != current.rows
    if rows:
        differing = sorted(clause for clause in {*previous.clauses, *current.clauses}
                           if previous.clauses.get(clause) != current.clauses.get(clause))
        reasons += [f"{clause} changed" for clause in differing] or ["what a clause reads changed"]
    removed = [name for name in previous.columns if name not in current.columns]
    altered = [name for name, sig in previous.columns.items()
               if name in current.columns and current.columns[name] != sig]
    added = [name for name in current.columns if name not in previous.columns]
    reasons += [f"column {name}: removed" for name in removed]
    reasons += [f"column {name}: expression changed" for name in altered]
    kept = [name for name in current.columns if name in previous.columns]
    order = kept != [name for name in previous.columns if name in current.columns]
    if order:
        reasons.append("the existing columns' order changed")
    if rows or removed or altered or order:
        changed = {ALL} if rows else {*removed, *altered, *added, *(kept if order else [])}
        return Change(BREAKING, added, changed, rows, reasons)
    return Change(NON_BREAKING, added, set(added), reasons=[f"column {name}: added" for name in added])


@dataclass
class _Facts:
    """One scope: its columns (signature, parent reads), its rows (signature, parent reads),
    the parents it reads, and its clauses' texts."""

    columns: dict[str, tuple[str, set[ParentColumn]]]
    rows: tuple[str, set[ParentColumn]]
    parents: set[str]
    clauses: dict[str, str]
    opaque_columns: bool = False


def _digest(*parts: Iterable[str] | str) -> str:
    h = hashlib.sha1()
    for part in parts:
        for text in [part] if isinstance(part, str) else sorted(part):
            h.update(text.encode())
            h.update(b"\0")
        h.update(b"\1")
    return h.hexdigest()


def _scope_name(scope: Scope) -> str:
    parent = scope.expression.parent
    if isinstance(parent, exp.CTE):
        return f"cte {parent.alias}"
    return "a subquery"


def _scope_facts(scope: Scope, facts: dict[int, _Facts], dialect: str) -> _Facts:
    node = scope.expression
    if isinstance(node, exp.SetOperation) or not isinstance(node, exp.Select):
        return _set_facts(scope, facts, dialect)
    write = reader(dialect)
    parents: set[str] = set()
    for _, source in scope.selected_sources.values():
        if isinstance(source, exp.Table):
            parents.add(_table_key(source))
        elif isinstance(source, Scope) and id(source.expression) in facts:
            parents |= facts[id(source.expression)].parents
    nested = [facts[id(s.expression)] for s in scope.subquery_scopes if id(s.expression) in facts]
    for inner in nested:
        parents |= inner.parents

    def deps(part: exp.Expr) -> tuple[list[str], set[ParentColumn]]:
        """Signatures and parent reads of the columns `part` reads (and of subqueries inside it)."""
        sigs: list[str] = []
        reads: set[ParentColumn] = set()
        for column in _columns_in(part, scope):
            for sig, read in _resolve(column, scope, facts):
                sigs.append(sig)
                reads |= read
        for sub in scope.subquery_scopes:
            if _contains(part, sub.expression) and id(sub.expression) in facts:
                inner = facts[id(sub.expression)]
                sigs.append(_full_signature(inner))
                reads |= inner.rows[1] | {r for _, rs in inner.columns.values() for r in rs}
        return sigs, reads

    # The rows: every clause but the columns and the CTEs, the rows of what it reads, and the columns
    # a DISTINCT compares or a table-generating function spreads over rows.
    skeleton = _without_columns(node, dialect)
    row_sigs: list[str] = []
    row_reads: set[ParentColumn] = set()
    clauses: dict[str, str] = {}
    for key, name in _CLAUSE_NAMES.items():
        value = node.args.get(key)
        if not value:
            continue
        parts = value if isinstance(value, list) else [value]
        clauses[name] = " ".join(p.sql(dialect=write, comments=False) if isinstance(p, exp.Expr) else str(p)
                                 for p in parts)
        for part in parts:
            if isinstance(part, exp.Expr):
                sigs, reads = deps(part)
                row_sigs += sigs
                row_reads |= reads
    for _, source in scope.selected_sources.values():
        if isinstance(source, Scope) and id(source.expression) in facts:
            inner = facts[id(source.expression)]
            row_sigs.append(inner.rows[0])
            row_reads |= inner.rows[1]
    distinct = node.args.get("distinct") is not None
    aggregate = bool(node.args.get("group")) or any(_aggregates(p) for p in node.expressions)
    columns: dict[str, tuple[str, set[ParentColumn]]] = {}
    opaque = False
    for projection in node.expressions:
        sigs, reads = deps(projection)
        text = projection.sql(dialect=write, comments=False)
        if isinstance(projection, exp.Star) or isinstance(getattr(projection, "this", None), exp.Star):
            opaque = True  # a star over a relation whose columns are unknown
            reads = {(key, ALL) for key in parents}
        sig = _digest(text, sigs)
        name = projection.alias_or_name.lower()
        why = ("SELECT DISTINCT" if distinct else "a table-generating function" if _makes_rows(projection)
               else "GROUP BY/ORDER BY by position" if _positional(node) else None)
        if why is not None:  # this column decides rows too
            row_sigs.append(sig)
            row_reads |= reads
            clauses[f"column {name} (rows: {why})"] = sig
        columns.setdefault(name, (sig, reads))
    if opaque:
        row_sigs.append("star")
    rows = _digest(skeleton, row_sigs, "aggregate" if aggregate else "")
    return _Facts(columns, (rows, row_reads), parents, clauses, opaque)


def _without_columns(select: exp.Select, dialect: str) -> str:
    """The text of `select` without its columns and CTEs (set aside and put back, not copied: a copy
    of a model's outermost query is a copy of all its CTEs)."""
    columns, ctes = select.args.get("expressions"), select.args.get("with_")
    select.set("expressions", [exp.Star()])
    select.set("with_", None)
    try:
        return select.sql(dialect=reader(dialect), comments=False)
    finally:
        select.set("expressions", columns)
        select.set("with_", ctes)


def _set_facts(scope: Scope, facts: dict[int, _Facts], dialect: str) -> _Facts:
    """A UNION / INTERSECT / EXCEPT: every column depends on everything (positions pair the branches)."""
    branches = [facts[id(s.expression)] for s in scope.set_operation_scopes if id(s.expression) in facts]
    node = scope.expression
    shell = node.copy()
    for key in ("this", "expression", "with_"):
        shell.set(key, None)
    sig = _digest(shell.sql(dialect=reader(dialect), comments=False), [_full_signature(b) for b in branches])
    reads: set[ParentColumn] = set()
    parents: set[str] = set()
    for branch in branches:
        reads |= branch.rows[1] | {r for _, rs in branch.columns.values() for r in rs}
        parents |= branch.parents
    names = list(branches[0].columns) if branches else []
    return _Facts({name: (sig, reads) for name in names}, (sig, reads), parents,
                  {"UNION/INTERSECT/EXCEPT": sig}, any(b.opaque_columns for b in branches))


def _full_signature(facts: _Facts) -> str:
    return _digest(facts.rows[0], [f"{name}={sig}" for name, (sig, _) in facts.columns.items()])


def _columns_in(part: exp.Expr, scope: Scope) -> list[exp.Column]:
    """The columns of `scope` inside `part` (not those of subqueries nested in it)."""
    mine = {id(c) for c in scope.columns}
    found = [c for c in part.find_all(exp.Column) if id(c) in mine]
    if isinstance(part, exp.Column) and id(part) in mine and part not in found:
        found.append(part)
    return found


def _contains(part: exp.Expr, inner: exp.Expr) -> bool:
    node: exp.Expr | None = inner
    while node is not None:
        if node is part:
            return True
        node = node.parent
    return False


def _resolve(column: exp.Column, scope: Scope, facts: dict[int, _Facts]) -> list[tuple[str, set[ParentColumn]]]:
    """What one column reference reads: (signature, parent columns) for each source it may come from."""
    name = column.name.lower()
    # not attributed by qualify (ambiguous): every source that may have it
    candidates = [column.table] if column.table else list(scope.selected_sources)
    found: list[tuple[str, set[ParentColumn]]] = []
    for alias in candidates:
        source = scope.sources.get(alias)
        if isinstance(source, exp.Table):
            key = _table_key(source)
            found.append((f"{key}.{name}", {(key, name)}))
        elif isinstance(source, Scope) and id(source.expression) in facts:
            inner = facts[id(source.expression)]
            if name in inner.columns:
                found.append(inner.columns[name])
            elif column.table or inner.opaque_columns:
                found.append((_full_signature(inner), inner.rows[1] | {
                    (key, ALL) for key in inner.parents}))
    if not found:  # a column of an outer query (correlated), or of nothing known: depend on the text
        found.append((f"?{column.sql()}", set()))
    return found


def _table_key(table: exp.Table) -> str:
    return (f"{table.db}.{table.name}" if table.db else table.name).lower()


def _aggregates(projection: exp.Expr) -> bool:
    return any(agg.find_ancestor(exp.Window) is None for agg in projection.find_all(exp.AggFunc))


def _makes_rows(projection: exp.Expr) -> bool:
    for node in projection.walk():
        if isinstance(node, (exp.Explode, exp.Posexplode, exp.Inline, exp.Unnest, exp.UDTF)):
            return True
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _UDTF_NAMES:
            return True
    return False


def _positional(select: exp.Select) -> bool:
    """GROUP BY / ORDER BY ... by position: a column added before others changes what they mean."""
    for key in ("group", "order", "sort", "distribute", "cluster"):
        value: Any = select.args.get(key)
        if value is not None and any(isinstance(e, exp.Literal) and not e.is_string
                                     for e in value.find_all(exp.Literal)
                                     if e.parent is value or isinstance(e.parent, exp.Ordered)):
            return True
    return False
