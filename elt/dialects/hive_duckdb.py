"""Hive -> DuckDB: rewrite a parsed Hive query so DuckDB returns what Hive returns, or refuse it.

The tree is rewritten bottom-up (children before parents) by the rules of `hive_functions` and
`hive_clauses`, then rendered with sqlglot's DuckDB generator. Every function call must have a rule or
be listed as passing through unchanged; any other function is refused, so a function elt has not checked
can never change meaning silently. The `hive_*` macros the output calls are created on each DuckDB
connection by `duckdb_functions.register()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from elt.dialects import hive_coercion, volatile
from elt.dialects._common import DUCKDB, Refusal, Rule, hive_name, refuse
from elt.dialects.column_kinds import annotate_column_kinds
from elt.dialects.hive_clauses import CLAUSE_RULES
from elt.dialects.hive_column_names import name_unaliased
from elt.dialects.hive_functions import FUNCTION_RULES, PASS

RULES = hive_coercion.with_conversions({**FUNCTION_RULES, **CLAUSE_RULES})
#: 'schema.table' -> column name -> DuckDB type name.
Relations = Mapping[str, Mapping[str, str]]


#: A node type's rewrite action: its rule, `_refuse_function`, None (nothing to do) or `_LEAF`;
#: filled on first sight.
_ACTIONS: dict[type[exp.Expr], Rule | None] = {}
#: The action of node types that never have another node below them (names and literals: most
#: nodes of a query): nothing to do, nor to look at below.
_LEAF: Any = object()
_LEAVES = frozenset({exp.Identifier, exp.Literal, exp.Null})


def _refuse_function(node: exp.Expr) -> exp.Expr:
    refuse(hive_name(node), "elt has no checked DuckDB equivalent for this function", node)


def _action(klass: type[exp.Expr]) -> Rule | None:
    action = RULES.get(klass)
    if action is None and klass in _LEAVES:
        action = _LEAF
    elif action is None and issubclass(klass, exp.Func) and klass not in PASS:
        action = _refuse_function
    _ACTIONS[klass] = action
    return action


def _rewrite(tree: exp.Expr) -> tuple[exp.Expr, int]:
    """Rewrite `tree` in place, each node after its children (left to right), by the rule of its
    type. Returns the node that now stands in the tree's place, and how many volatile calls (rand())
    the Hive tree made.

    One pass over the tree lists the nodes that have something to do, in the order a depth-first
    walk meets them when it visits children last to first; in reverse, that is children before
    parents, left to right (so the first refusal is the same as a recursive walk's). The nodes a
    rule puts in the tree are not rewritten again.
    """
    pending: list[exp.Expr] = []
    stack = [tree]
    volatile_calls = 0
    actions = _ACTIONS
    while stack:
        node = stack.pop()
        klass = type(node)
        action = actions[klass] if klass in actions else _action(klass)
        if action is _LEAF:
            continue
        if action is not None:
            pending.append(node)
            if klass is exp.Rand:
                volatile_calls += 1
        elif klass is exp.Hint:  # dropped whole: its arguments are not rewritten
            pending.append(node)
            volatile_calls += sum(1 for _ in node.find_all(exp.Rand))
            continue
        stack.extend(node.iter_expressions())
    result = tree
    for node in reversed(pending):
        klass = type(node)
        if klass is exp.Hint:  # /*+ MAPJOIN(b) */: an execution hint for Hive, no meaning on DuckDB
            node.pop()
            continue
        rule = actions[klass]
        parent, key, index = node.parent, node.arg_key, node.index
        new = rule(node)  # type: ignore[misc]
        if new is not node:
            if node.meta_get("line") is not None and new.meta_get("line") is None:
                # keep the position, so a later refusal (elt.dialects.volatile) can point at the construct
                new.meta.update({k: node.meta[k] for k in ("line", "col", "start", "end") if k in node.meta})
            if parent is not None and key is not None:
                parent.set(key, new, index)
            if node is tree:
                result = new
    return result, volatile_calls


def to_duckdb(query: exp.Expr, *, copy: bool = True, relations: Relations | None = None,
              column_types: bool = True) -> exp.Expr:
    """The DuckDB form of a Hive query tree: a rewritten copy, or `query` itself rewritten in place
    when `copy` is false (the caller no longer needs the Hive tree; copying costs a fifth of a
    compile).

    Args:
        relations: 'schema.table' -> column -> DuckDB type of the tables the query reads, so that
            conversions of their columns are written for their types (elt.dialects.column_kinds).
        column_types: type column references where the query and `relations` tell (False: leave
            every column to the macros that dispatch on its type at bind time).

    Raises:
        Refusal: a construct cannot keep its Hive meaning on DuckDB.
    """
    tree = query.copy() if copy else query
    name_unaliased(tree)
    if column_types:
        annotate_column_kinds(tree, relations)
    tree, volatile_calls = _rewrite(tree)
    if volatile_calls:  # the rewrite writes a volatile call only for a Hive one (rand())
        volatile.check(tree, volatile_calls)
    return tree


def translate(query: exp.Expr, *, pretty: bool = True, copy: bool = True, relations: Relations | None = None,
              column_types: bool = True) -> str:
    """Render a Hive query as DuckDB SQL with Hive's meaning. With `copy` false, `query` is rewritten
    in place (and useless afterwards). `relations`, `column_types`: as for `to_duckdb`.

    Raises:
        Refusal: a construct cannot keep its Hive meaning on DuckDB.
    """
    tree = to_duckdb(query, copy=copy, relations=relations, column_types=column_types)
    try:
        # copy=False: the tree is already this function's own (a copy, or given up by the caller).
        return tree.sql(dialect=DUCKDB, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE, copy=False)
    except sqlglot.errors.UnsupportedError as exc:
        raise Refusal("query", str(exc), query) from None
