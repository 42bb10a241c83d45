"""Which coarse type each column reference of a Hive query has, where that is certain.

The Hive -> DuckDB rules write the conversion for an operand's type when the query shows the type
(`hive_types.static_type`), and otherwise call a `hive_*` macro that picks the conversion from the type
DuckDB binds (`typeof`). Binding those macros is most of what DuckDB spends on elt's SQL: a staging
view over a seed binds in 8 ms with them and in 1.6 ms without. This module gives `static_type` the
type of column references too:

- a column of a table `schema.table` has the type the catalog gives for it (the `relations` argument:
  the engine's own type names, as `typeof` returns them);
- a column of a CTE or subquery has the type of the projection it names, where `static_type` sees it
  (another column, recursively; a CAST; a literal; count(), row_number(); min/max/sum of a typed value).

A column it cannot resolve with certainty stays unknown, and its macro decides at bind time as before:
a name that two sources have, or that a source of unknown columns might have; a column beside a
LATERAL VIEW, a JOIN ... USING or NATURAL JOIN; a name that is also a select alias, outside the select
list; a struct field or an outer query's column. Coarse kinds are those the macros test `typeof`
against (`hive_types.engine_kind`), so a conversion chosen here is the one the macro would choose.

An integer column also gets the width of its Hive type (`hive_types.BITS_META`: TINYINT 8 ... BIGINT
64; from the catalog's type, or `hive_coercion.int_bits` of the projection), so that arithmetic on it
wraps around as Hive's does (elt.dialects.hive_coercion).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from elt.dialects.hive_coercion import int_bits
from elt.dialects.hive_types import BITS_META, KIND_META, Kind, engine_kind, static_type

#: A projection that is a bare NULL: no kind of its own, it takes the others' in a UNION.
_NULL = "NULL"
#: A column's kind and, for an integer, the width of its Hive type (None: not known).
Typed = tuple[Kind, int | None]
#: A source's output columns in order, (lower-case name, (kind, bits)); None: not known.
Outputs = list[tuple[str, Typed]] | None
#: The width of the integer types of the catalog (DuckDB's names); HUGEINT and unsigned ones are no Hive type.
_ENGINE_BITS = {"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "INT": 32, "BIGINT": 64}


def annotate_column_kinds(tree: exp.Expr, relations: Mapping[str, Mapping[str, str]] | None = None) -> int:
    """Note on each column reference of `tree` whose kind can be known that kind (in its meta, where
    `static_type` reads it). Returns how many were typed.

    Args:
        tree: a parsed Hive query (annotated in place).
        relations: 'schema.table' -> column name -> engine type name, for the tables it reads.
    """
    from sqlglot.optimizer.scope import traverse_scope

    try:
        scopes = traverse_scope(tree)
    except Exception:  # noqa: BLE001 - a query sqlglot cannot scope is translated without column types
        return 0
    catalog: dict[str, Outputs] = {
        name.lower(): [(column.lower(), (engine_kind(kind), _ENGINE_BITS.get(kind.upper())))
                       for column, kind in columns.items()]
        for name, columns in (relations or {}).items()
    }
    typed = 0
    outputs: dict[int, Outputs] = {}
    for scope in scopes:  # inner scopes first: a projection is typed with the columns typed before it
        found, outputs[id(scope)] = _resolve(scope, catalog, outputs)
        typed += found
    return typed


def _resolve(scope: Any, catalog: dict[str, Outputs], outputs: dict[int, Outputs]) -> tuple[int, Outputs]:
    """Record the kinds of `scope`'s own column references; return its output columns."""
    query = scope.expression
    if isinstance(query, exp.SetOperation):
        branches = [outputs.get(id(s)) for s in scope.set_operation_scopes]
        return 0, _union(branches)
    if not isinstance(query, exp.Select):
        return 0, None
    sources: dict[str, Outputs] = {}
    for alias, (_, source) in scope.selected_sources.items():
        if alias.lower() in sources:
            return 0, None
        sources[alias.lower()] = _source_outputs(source, catalog, outputs)
    joins = query.args.get("joins") or []
    blocked = bool(query.args.get("laterals")) or any(
        j.args.get("using") or "NATURAL" in (j.args.get("method") or "").upper() for j in joins
    )
    aliases = {
        p.alias.lower() for p in query.selects
        if isinstance(p, exp.Alias) and not (isinstance(p.this, exp.Column) and p.this.name.lower() == p.alias.lower())
    }
    typed = 0
    lookup = _Lookup(sources)
    # the scope's column references (its collection walk skips stars and other scopes' columns)
    for node in scope._raw_columns:
        kind, bits = _column_kind(node, query, lookup, blocked, aliases)
        if kind is not None and kind != _NULL:
            node.meta[KIND_META] = kind
            if bits is not None:
                node.meta[BITS_META] = bits
            typed += 1
    return typed, _select_outputs(query, sources, blocked)


def _source_outputs(source: Any, catalog: dict[str, Outputs], outputs: dict[int, Outputs]) -> Outputs:
    if isinstance(source, exp.Table):
        if source.args.get("catalog") or not source.args.get("db") or not isinstance(source.this, exp.Identifier):
            return None
        return catalog.get(f"{source.args['db'].name}.{source.name}".lower())
    return outputs.get(id(source))


#: The kind and width of a column that cannot be known.
_UNKNOWN: Typed = (None, None)
#: The kind of a name that more than one column (of a source, or of the sources) has.
_AMBIGUOUS: Any = object()


class _Lookup:
    """The kinds of a scope's sources' columns by name, indexed on first use."""

    def __init__(self, sources: dict[str, Outputs]) -> None:
        self.sources = sources
        self.unknown = any(columns is None for columns in sources.values())
        self._by_source: dict[str, dict[str, Typed]] = {}
        self._unqualified: dict[str, Typed] | None = None

    def qualified(self, table: str, name: str) -> Typed:
        """The kind of `table`.`name`: None when the source is not known, or has no or several such columns."""
        index = self._by_source.get(table)
        if index is None:
            if table not in self.sources:
                return _UNKNOWN
            index = self._by_source[table] = _index([self.sources[table]])
        kind = index.get(name, _UNKNOWN)
        return _UNKNOWN if kind is _AMBIGUOUS else kind

    def unqualified(self, name: str) -> Typed:
        """The kind of `name` when exactly one source has it, once; None otherwise."""
        index = self._unqualified
        if index is None:
            index = self._unqualified = _index(list(self.sources.values()))
        kind = index.get(name, _UNKNOWN)
        return _UNKNOWN if kind is _AMBIGUOUS else kind


def _index(sources: list[Outputs]) -> dict[str, Typed]:
    """name -> kind of the one column of that name among `sources`, or _AMBIGUOUS."""
    index: dict[str, Typed] = {}
    for columns in sources:
        if columns is None:
            continue
        for column, kind in columns:
            index[column] = _AMBIGUOUS if column in index else kind
    return index


def _column_kind(column: exp.Column, query: exp.Select, lookup: _Lookup, blocked: bool,
                 aliases: set[str]) -> Typed:
    if column.args.get("db") or column.args.get("catalog"):
        return _UNKNOWN  # a struct field, or a three-part name
    name = column.name.lower()
    if column.table:
        return lookup.qualified(column.table.lower(), name)
    if blocked or (name in aliases and not _in_projection(column, query)):
        return _UNKNOWN
    if lookup.unknown:
        return _UNKNOWN  # a source of unknown columns may have this name too
    return lookup.unqualified(name)


def _in_projection(node: exp.Expr, query: exp.Select) -> bool:
    while node.parent is not None and node.parent is not query:
        node = node.parent
    return node.parent is query and node.arg_key == "expressions"


def _select_outputs(query: exp.Select, sources: dict[str, Outputs], blocked: bool) -> Outputs:
    found: list[tuple[str, Typed]] = []
    for projection in query.selects:
        star = isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        if isinstance(projection, exp.Star) or star:
            if blocked or projection.args.get("except_") or projection.args.get("replace"):
                return None
            table = projection.table.lower() if isinstance(projection, exp.Column) and projection.table else None
            chosen = [sources.get(table)] if table else list(sources.values())
            if any(columns is None for columns in chosen):
                return None
            for columns in chosen:
                found.extend(columns)  # type: ignore[arg-type]
            continue
        value = projection.unalias()
        kind = _NULL if isinstance(value, exp.Null) else static_type(value)
        bits = int_bits(value) if kind in ("INT", None) else None
        found.append((projection.alias_or_name.lower(), ("INT" if bits else kind, bits)))
    return found


def _union(branches: list[Outputs]) -> Outputs:
    if not branches or any(b is None for b in branches):
        return None
    first = branches[0]
    assert first is not None
    if any(len(b) != len(first) for b in branches):  # type: ignore[arg-type]
        return None
    found: list[tuple[str, Typed]] = []
    for position, (name, _) in enumerate(first):
        typed = {b[position][1] for b in branches if b[position][1][0] != _NULL}  # type: ignore[index]
        kinds = {kind for kind, _ in typed}
        widths = {bits for _, bits in typed}
        # DuckDB's UNION type is the widest, Hive's too (FunctionRegistry.getCommonClass)
        bits = None if None in widths or not widths else max(w for w in widths if w is not None)
        found.append((name, (kinds.pop(), bits) if len(kinds) == 1 else _UNKNOWN))
    return found
