"""Volatile values (Hive's rand()) must be evaluated once per use, as Hive does.

Two things can copy an expression on the way to DuckDB: a rewrite rule that repeats an operand (`x
BETWEEN '1' AND 3` becomes two comparisons, `CASE x WHEN ...` one equality per WHEN, `greatest` a NULL
test per argument), and a `hive_*` macro whose body names a parameter more than once (DuckDB expands a
macro by pasting the argument into each place). For `random()` each copy is another number, so the
answer changes (`pmod(10, floor(rand() * 3) + 1)` would divide by one number and add another). DuckDB
itself also re-evaluates the subject of a simple `CASE x WHEN` for each WHEN.

`check()` runs on the translated tree and refuses such a query, pointing at the rand(); computing the
value in a subquery first is the way around (DuckDB evaluates a subquery's column once per row).
"""

from __future__ import annotations

import re
from functools import cache

from sqlglot import exp

from elt.dialects._common import refuse
from elt.dialects.hive_types import VOLATILE_CALLS

HINT = (
    "compute the value once in a subquery or CTE (SELECT rand() AS r FROM ...) and use the column r; "
    "or give DuckDB its own SQL: {% if target.type == 'duckdb' %} ... {% endif %}"
)


def _volatile_calls(tree: exp.Expr) -> list[exp.Anonymous]:
    return [n for n in tree.find_all(exp.Anonymous) if n.name.lower() in VOLATILE_CALLS]


@cache
def _parameter_uses(name: str) -> dict[str, int] | None:
    """How many times the body of macro `name` evaluates each parameter (None: not an elt macro).

    A `typeof(p)` is decided when DuckDB binds the query, so it does not count; nor does text in quotes.
    Branches of a CASE that exclude each other still count: this errs towards refusing.
    """
    from elt.dialects.duckdb_functions import MACROS

    entry = MACROS.get(name)
    if entry is None:
        return None
    params, body = entry
    body = re.sub(r"'(?:[^']|'')*'", "''", body)
    uses = {}
    for param in params.split(", "):
        without_typeof = re.sub(rf"typeof\({param}\)", "", body)
        uses[param] = len(re.findall(rf"(?<![\w.]){param}(?!\w)", without_typeof))
    return uses


def _copied_by(call: exp.Anonymous) -> str | None:
    """The construct that would evaluate `call` more than once, if any."""
    child: exp.Expr = call
    parent = call.parent
    while parent is not None:
        if isinstance(parent, exp.Case) and parent.this is child and len(parent.args.get("ifs") or []) > 1:
            return "the subject of CASE x WHEN ... (DuckDB evaluates it once per WHEN)"
        if isinstance(parent, exp.Anonymous):
            uses = _parameter_uses(parent.name.lower())
            index = next((i for i, arg in enumerate(parent.expressions) if arg is child), None)
            if uses is not None and index is not None:
                param = list(uses)[index] if len(uses) == len(parent.expressions) else None
                if param is None or uses[param] > 1:
                    return f"an elt macro ({parent.name}) that uses its argument more than once"
        if isinstance(parent, exp.Query):
            return None
        child, parent = parent, parent.parent
    return None


def check(tree: exp.Expr, hive_count: int) -> None:
    """Refuse a translated query in which a volatile call would be evaluated more than once.

    Args:
        tree: the DuckDB tree (after the rewrite).
        hive_count: how many volatile calls (rand()) the Hive query made; each becomes one DuckDB call.

    Raises:
        Refusal: a rand() is copied by a rewrite rule or a macro.
    """
    calls = _volatile_calls(tree)
    if not calls:
        return
    if len(calls) > hive_count:
        refuse("rand()", "the rewrite for DuckDB repeats the expression that holds it (BETWEEN, IN, greatest/"
               "least, CASE ... WHEN), so it would be evaluated more than once, where Hive evaluates it once",
               calls[0], HINT)
    for call in calls:
        where = _copied_by(call)
        if where is not None:
            refuse("rand()", f"it sits in {where}, so DuckDB would evaluate it more than once, where Hive "
                   "evaluates it once", call, HINT)
