"""Hive's names for the columns of unaliased SELECT expressions, written as aliases before the Hive ->
DuckDB rewrite, so that a column on DuckDB is named as on Hive and never after one of elt's macros
(`select substr(descr, 1, 3) from t` made a column `hive_substr(descr, 1, 3)`).

Hive (SemanticAnalyzer.genSelectPlan, getColAlias) names an unaliased item of a SELECT list:
- a column reference (`col`, `t.col`, a struct field `s.f`) by its column (field) name: DuckDB names
  those the same, so they are left alone;
- any other expression `_c<i>`, `i` its 0-based position in the SELECT list, where column references
  and `*` count too (`select id, upper(name)` gives `id, _c1`); with a hint (`select /*+ ... */`), the
  hint takes position 0.
A table-generating function (explode, posexplode, inline, stack, json_tuple) names its own columns.

Spark names these columns by the expression's text (`substr(descr, 1, 3)`), so the parity fixtures,
captured on Spark, carry Spark's names; the corpus states Hive's in `hive_columns:`.
"""

from __future__ import annotations

from sqlglot import exp

#: Table-generating functions: their columns are named by the function (elt.dialects.hive_clauses).
_UDTFS = (exp.Explode, exp.Posexplode, exp.Inline, exp.Stack)
_UDTF_NAMES = frozenset({"json_tuple", "parse_url_tuple", "stack", "inline", "explode", "posexplode"})


def name_unaliased(tree: exp.Expr) -> None:
    """Alias, in place, every unaliased non-column expression of every SELECT list of `tree` as Hive
    names its column (`_c<position>`)."""
    for select in tree.find_all(exp.Select):
        items = select.expressions
        if any(_is_udtf(item) for item in items):
            continue
        first = 1 if select.args.get("hint") is not None else 0
        for position, item in enumerate(items, start=first):
            if isinstance(item, (exp.Alias, exp.Aliases, exp.Column, exp.Star, exp.Dot)) or _is_column(item):
                continue
            select.expressions[position - first] = exp.alias_(item, f"_c{position}", copy=False)


def _is_column(item: exp.Expr) -> bool:
    """A column reference in parentheses: Hive's parser drops them."""
    while isinstance(item, exp.Paren):
        item = item.this
    return isinstance(item, (exp.Column, exp.Dot))


def _is_udtf(item: exp.Expr) -> bool:
    inner = item.this if isinstance(item, (exp.Alias, exp.Aliases)) else item
    if isinstance(inner, _UDTFS):
        return True
    return isinstance(inner, exp.Anonymous) and inner.name.lower() in _UDTF_NAMES
