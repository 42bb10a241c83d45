"""A model's parsed query in a canonical form, for comparing two compiles of it (`elt.state`).

`tree_checksum` digests the parsed tree itself (each node's kind and its values, never the text it was
parsed from): comments and whitespace are not in the tree, so reformatting a model or editing its
comments leaves the checksum unchanged, while anything that changes the tree (a filter, a column, a
var() value that reaches the SQL) changes it. The relations of the nodes a model reads (and its own,
`this`) count as `__ref__<name>` / `__source__<source>__<table>` rather than as the target's
`schema.table`, so a dev target's compile compares equal to production's. `canonical_sql` writes the
same form as text (comments dropped, on one line), for showing or classifying a change.

The checksum is made where a parsed tree is at hand anyway (the compiler's serial parse, the parse
workers of `elt.compile.fast.processes`) and kept in the compile cache beside the parse it derives
from: walking the tree costs a tenth of writing it back as SQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from elt.compile.cache import digest

if TYPE_CHECKING:
    from sqlglot import exp

    from elt.nodes import Node

#: the compile cache's translation variant a tree checksum is kept under (with the names' digest).
CACHE_VARIANT = "tree-checksum"


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
    """The compile cache variant of tree checksums made with `names` (a relation renamed anywhere
    makes them again: rare, and cheaper to check than per model)."""
    return f"{CACHE_VARIANT}@" + digest(*(f"{k}={v}" for k, v in sorted(names.items())))


def tree_checksum(query: exp.Expr, names: Mapping[str, str]) -> str:
    """A digest of `query`'s tree: each node's kind and its non-tree values (names, literals, flags),
    depth first, keys sorted; comments and positions are not part of it; the tables named in `names`
    count by their name there."""
    from sqlglot import exp

    hasher = hashlib.blake2b(digest_size=20)
    parts: list[str] = []  # hashed in one go: one update per value costs more than the walk
    add = parts.append
    stack: list[Any] = [query]
    pop, push = stack.pop, stack.append
    expr, table = exp.Expr, exp.Table
    while stack:
        item = pop()
        if isinstance(item, expr):
            args = item.args
            add(type(item).__name__)
            renamed = False
            if type(item) is table and args.get("db") and args.get("catalog") is None:
                name = names.get(f"{item.db}.{item.name}".lower())
                if name is not None:
                    add("=" + name)
                    renamed = True
            for key, value in args.items():
                if value is None or value is False or value == [] or (renamed and key in ("db", "this")):
                    continue  # an absent argument, however the parser left it
                add(key)
                push(value)
            add(")")
        elif isinstance(item, list):
            add(f"[{len(item)}")
            stack.extend(item)
        else:
            add("'" + str(item))
    hasher.update("\x00".join(parts).encode())
    return hasher.hexdigest()


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
