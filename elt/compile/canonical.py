"""A model's query in a canonical form, for comparing two compiles of it (`elt.state`).

The canonical form is the parsed tree written back in the project dialect on one line, comments
dropped: reformatting a model or editing its comments leaves it unchanged, while anything that changes
the tree (a filter, a column, a var() value that reaches the SQL) changes it. The relations of the
nodes a model reads (and its own, `this`) are written as `__ref__<name>` / `__source__<source>__<table>`
rather than as the target's `schema.table`, so a dev target's compile compares equal to production's.

The text is made where a parsed tree is at hand anyway (the compiler's serial parse, the parse workers
of `elt.compile.fast.processes`) and kept in the compile cache beside the parse it derives from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from elt.compile.cache import digest

if TYPE_CHECKING:
    from sqlglot import exp

    from elt.nodes import Node

#: the compile cache's translation variant a canonical text is kept under (with the names' digest).
CACHE_VARIANT = "canonical"


def relation_names(nodes: Mapping[str, Node]) -> dict[str, str]:
    """'schema.table' (lower case) -> the target-independent name a canonical text gives it."""
    names: dict[str, str] = {}
    for node in nodes.values():
        if node.relation is None or node.resource_type in ("test", "analysis"):
            continue
        if node.resource_type == "source":
            names[str(node.relation).lower()] = f"__source__{node.source_name}__{node.name}"
        else:
            names[str(node.relation).lower()] = f"__ref__{node.name}"
    return names


def names_digest(names: Mapping[str, str]) -> str:
    """The compile cache variant of canonical texts made with `names` (a relation renamed anywhere
    makes them again: rare, and cheaper to check than per model)."""
    return f"{CACHE_VARIANT}@" + digest(*(f"{k}={v}" for k, v in sorted(names.items())))


def canonical_sql(query: exp.Expr, dialect: str, names: Mapping[str, str]) -> str:
    """`query` on one line, comments dropped, the relations in `names` renamed (the tree is left as it
    was: the renamed tables are restored after writing)."""
    from sqlglot import exp

    from elt.dialects.hive_reader import reader

    swapped: list[tuple[exp.Table, Any, Any]] = []
    for table in query.find_all(exp.Table):
        if table.args.get("catalog") is not None:
            continue
        name = names.get(f"{table.db}.{table.name}".lower()) if table.db else None
        if name is not None:
            swapped.append((table, table.args.get("db"), table.args.get("this")))
            table.set("db", None)
            table.set("this", exp.to_identifier(name))
    try:
        return query.sql(dialect=reader(dialect), comments=False)
    finally:
        for table, db, this in swapped:
            table.set("db", db)
            table.set("this", this)
