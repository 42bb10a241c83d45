"""Which parent columns a model reads only to filter, join or group rows (WHERE, JOIN ... ON, GROUP BY,
HAVING, QUALIFY), so the docs can say "used by" for a column no output column derives from.

Works on the query as `elt.docs.lineage` qualified it (every column names its table alias), scope by
scope: a column of a CTE or subquery is followed to the parent columns its SELECT expression reads.
Nothing is guessed: a column whose table is unknown is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

#: (clause label, how to find its expressions in one SELECT)
CLAUSES: tuple[tuple[str, Callable[[exp.Expr], list[exp.Expr]]], ...] = (
    ("where", lambda s: [s.args["where"]] if s.args.get("where") else []),
    ("join", lambda s: [j.args["on"] for j in s.args.get("joins") or [] if j.args.get("on")]),
    ("group by", lambda s: [s.args["group"]] if s.args.get("group") else []),
    ("having", lambda s: [s.args["having"]] if s.args.get("having") else []),
    ("qualify", lambda s: [s.args["qualify"]] if s.args.get("qualify") else []),
)
MAX_DEPTH = 12  # CTEs over CTEs: deeper than this is not followed (it never happens in practice)

Resolve = Callable[[tuple[str, str], str], tuple[str, str] | None]


def filter_uses(query: exp.Expr, resolve: Resolve, root: Scope | None = None) -> dict[tuple[str, str], set[str]]:
    """(parent unique id, column) -> the clauses of `query` that read it.

    Args:
        query: a qualified SELECT (aliases on every column).
        resolve: (schema, table) of a physical table, and a column name -> (parent unique id, column
            as the parent spells it), or None when the table is no parent or lacks the column.
        root: the query's scope when the caller built it already.
    """
    uses: dict[tuple[str, str], set[str]] = {}
    root = root or build_scope(query)
    if root is None:
        return uses
    for scope in root.traverse():
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        for label, find in CLAUSES:
            for clause in find(select):
                for column in clause.find_all(exp.Column):
                    for ref in _leaves(scope, column, resolve, 0):
                        uses.setdefault(ref, set()).add(label)
    return uses


def _leaves(scope: Scope, column: exp.Column, resolve: Resolve, depth: int) -> Iterator[tuple[str, str]]:
    source = scope.sources.get(column.table) if column.table else None
    if source is None or depth > MAX_DEPTH:
        return
    if isinstance(source, exp.Table):
        ref = resolve((source.db.lower(), source.name.lower()), column.name)
        if ref is not None:
            yield ref
        return
    inner = source.expression
    if not isinstance(inner, exp.Select):
        return
    for select in inner.selects:
        if select.alias_or_name.lower() == column.name.lower():
            for used in select.find_all(exp.Column):
                yield from _leaves(source, used, resolve, depth + 1)
            return
