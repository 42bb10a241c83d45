"""The column types of the relations a run reads, as the warehouse's catalog has them.

When the engine speaks another dialect than the project (DuckDB running Hive SQL), a model is translated
again just before it is built, with the types of the relations it reads, so that conversions of their
columns are written for those types rather than left to macros that dispatch on them when the engine
binds the query (elt.dialects.column_kinds): the same answers, a fifth of the binding work. A run asks
the catalog once per relation and, after building a relation, notes its new columns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest
from elt.errors import EltError
from elt.nodes import Column, Node, Relation


class CatalogTypes:
    """Relation -> column -> engine type, filled from the catalog on first use (thread-safe)."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter
        self._columns: dict[str, dict[str, str] | None] = {}
        self._lock = threading.Lock()

    def remember(self, relation: Relation, columns: Iterable[Column]) -> None:
        """The columns of a relation just built (as `get_columns` found them)."""
        found = {c.name: c.data_type for c in columns if c.data_type}
        with self._lock:
            self._columns[str(relation)] = found or None

    def forget(self, relation: Relation) -> None:
        with self._lock:
            self._columns.pop(str(relation), None)

    def relations_read(self, manifest: Manifest, node: Node) -> dict[str, dict[str, str]]:
        """'schema.name' -> column -> type for every relation `node`'s SQL reads that the catalog has."""
        found: dict[str, dict[str, str]] = {}
        if node.materialized == "incremental" and node.relation is not None:
            self.forget(node.relation)  # its columns may have changed since (on_schema_change)
        for relation in _relations_read(manifest, node):
            columns = self._lookup(relation)
            if columns:
                found[str(relation)] = columns
        return found

    def _lookup(self, relation: Relation) -> dict[str, str] | None:
        key = str(relation)
        with self._lock:
            if key in self._columns:
                return self._columns[key]
        try:
            columns = {c.name: c.data_type for c in self._adapter.get_columns(relation) if c.data_type}
        except EltError:
            columns = {}
        with self._lock:
            self._columns[key] = columns or None
        return columns or None


def _relations_read(manifest: Manifest, node: Node) -> list[Relation]:
    """The relations of the nodes `node` reads, looking through the ephemeral models it inlines; an
    incremental model also reads itself (`{{ this }}`)."""
    found: list[Relation] = []
    seen: set[str] = set()

    def visit(current: Node) -> None:
        for uid in current.depends_on:
            if uid in seen:
                continue
            seen.add(uid)
            parent = manifest.nodes[uid]
            if parent.resource_type == "model" and parent.materialized == "ephemeral":
                visit(parent)
            elif parent.relation is not None:
                found.append(parent.relation)

    visit(node)
    if node.materialized == "incremental" and node.relation is not None:
        found.append(node.relation)
    return found
