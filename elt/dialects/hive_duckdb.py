"""Hive -> DuckDB: rewrite a parsed Hive query so DuckDB returns what Hive returns, or refuse it.

The tree is rewritten bottom-up (children before parents) by the rules of `hive_functions` and
`hive_clauses`, then rendered with sqlglot's DuckDB generator. Every function call must have a rule or
be listed as passing through unchanged; any other function is refused, so a function elt has not checked
can never change meaning silently. The `hive_*` macros the output calls are created on each DuckDB
connection by `duckdb_functions.register()`.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from elt.dialects import volatile
from elt.dialects._common import Refusal, hive_name, refuse
from elt.dialects.column_kinds import annotate_column_kinds
from elt.dialects.hive_clauses import CLAUSE_RULES
from elt.dialects.hive_functions import FUNCTION_RULES, PASS

RULES = {**FUNCTION_RULES, **CLAUSE_RULES}
#: sqlglot's DuckDB dialect, made once: naming it by its name makes a new one for each query.
_DUCKDB = Dialect.get_or_raise("duckdb")
#: 'schema.table' -> column name -> DuckDB type name.
Relations = Mapping[str, Mapping[str, str]]


def _rewrite(node: exp.Expr) -> exp.Expr:
    """Rewrite `node`'s subtree in place (children first); return the node that now stands in its place."""
    if isinstance(node, exp.Hint):  # /*+ MAPJOIN(b) */: an execution hint for Hive, no meaning on DuckDB
        node.pop()
        return node
    for child in list(node.iter_expressions()):
        _rewrite(child)
    rule = RULES.get(type(node))
    if rule is None:
        if isinstance(node, exp.Func) and type(node) not in PASS:
            refuse(hive_name(node), "elt has no checked DuckDB equivalent for this function", node)
        return node
    parent, key, index = node.parent, node.arg_key, node.index
    new = rule(node)
    if new is not node:
        if node.meta_get("line") is not None and new.meta_get("line") is None:
            # keep the position, so a later refusal (elt.dialects.volatile) can point at the construct
            new.meta.update({k: node.meta[k] for k in ("line", "col", "start", "end") if k in node.meta})
        if parent is not None and key is not None:
            parent.set(key, new, index)
    return new


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
    if column_types:
        annotate_column_kinds(tree, relations)
    volatile_calls = volatile.count_volatile_hive(tree)
    tree = _rewrite(tree)
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
        return tree.sql(dialect=_DUCKDB, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE, copy=False)
    except sqlglot.errors.UnsupportedError as exc:
        raise Refusal("query", str(exc), query) from None
