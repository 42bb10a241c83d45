"""Relation objects as dbt's macros see them: what `ref()`, `source()`, `this` and `api.Relation.create()`
return in a render.

A `JinjaRelation` renders (`str()`) as it always did: a `ref()` or `this` as the placeholder the compiler
resolves once every relation is named, a `source()` as its relation name. Its parts (`.schema`,
`.identifier`, `.name`, `.database`, `.render()`, `.include(...)`) are those of the relation. A ref's parts
are known only after every model is rendered (its name depends on its config): they come from a `lookup`
asked on each read, which in the first render (the compile) answers None — the read then marks the render
as needing the second render, and gives placeholder pieces meanwhile (elt.compile.jinja_context).

It is a Mapping with `metadata.type` ending in 'Relation', as dbt's relations are: dbt_utils checks
`obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

#: A relation's parts: (database or None, schema or None, identifier, type: 'table' | 'view' | 'cte' | None).
Parts = tuple[str | None, str | None, str, str | None]


class JinjaRelation(Mapping[str, Any]):
    """A relation in a render.

    Args:
        parts: the relation's parts, when known at creation.
        text: what `str()` gives instead of the rendered parts (a ref's placeholder).
        lookup: asked for the parts on each read when `parts` is None; None from it means not known
            in this render.
        unknown: called when a part is read that is not known in this render (marks the render).
        placeholder: the parts given meanwhile.
    """

    def __init__(
        self, parts: Parts | None = None, *, text: str | None = None, lookup: Callable[[], Parts | None] | None = None,
        unknown: Callable[[], None] | None = None, placeholder: Parts | None = None,
        include: tuple[bool, bool, bool] = (True, True, True),
    ) -> None:
        self._parts = parts
        self._text = text
        self._lookup = lookup
        self._unknown = unknown
        self._placeholder = placeholder or (None, None, text or "", None)
        self._include = include

    def _get(self) -> Parts:
        if self._parts is not None:
            return self._parts
        found = self._lookup() if self._lookup is not None else None
        if found is not None:
            return found
        if self._unknown is not None:
            self._unknown()
        return self._placeholder

    # -- parts ------------------------------------------------------------------------------------

    @property
    def database(self) -> str | None:
        return self._get()[0]

    @property
    def schema(self) -> str | None:
        return self._get()[1]

    @property
    def identifier(self) -> str:
        return self._get()[2]

    name = identifier
    table = identifier

    @property
    def type(self) -> str | None:
        return self._get()[3]

    @property
    def is_table(self) -> bool:
        return self.type == "table"

    @property
    def is_view(self) -> bool:
        return self.type == "view"

    @property
    def is_cte(self) -> bool:
        return self.type == "cte"

    # -- rendering --------------------------------------------------------------------------------

    def render(self) -> str:
        if self._text is not None and self._include == (True, True, True):
            return self._text
        database, schema, identifier, kind = self._get()
        if kind == "cte":
            return identifier
        parts = [part for part, keep in zip((database, schema, identifier), self._include, strict=True)
                 if keep and part]
        return ".".join(parts)

    def __str__(self) -> str:
        return self.render()

    def __html__(self) -> str:  # pragma: no cover - autoescape is off; kept for safety
        return str(self)

    def __repr__(self) -> str:
        return f"<Relation {self.render()}>"

    def include(self, database: bool | None = None, schema: bool | None = None,
                identifier: bool | None = None) -> JinjaRelation:
        """The relation rendered with only some of its parts (dbt's `include`)."""
        flags = tuple(old if new is None else bool(new)
                      for old, new in zip(self._include, (database, schema, identifier), strict=True))
        return JinjaRelation(self._get(), text=self._text if flags == (True, True, True) else None,
                             include=flags)  # type: ignore[arg-type]

    def quote(self, database: bool | None = None, schema: bool | None = None,
              identifier: bool | None = None) -> JinjaRelation:
        """dbt's quoting policy: elt's relation names are plain identifiers, written unquoted."""
        return self

    def incorporate(self, path: Mapping[str, Any] | None = None, type: str | None = None,
                    **_: Any) -> JinjaRelation:
        database, schema, identifier, kind = self._get()
        path = path or {}
        return JinjaRelation((path.get("database", database), path.get("schema", schema),
                              path.get("identifier", identifier), type or kind))

    def without_identifier(self) -> JinjaRelation:
        return self.include(identifier=False)

    # -- the Mapping dbt's relations also are ---------------------------------------------------------

    def _as_dict(self) -> dict[str, Any]:
        database, schema, identifier, kind = self._get()
        return {"path": {"database": database, "schema": schema, "identifier": identifier}, "type": kind,
                "metadata": {"type": "EltRelation"}}

    def __getitem__(self, key: str) -> Any:
        return self._as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("path", "type", "metadata"))

    def __len__(self) -> int:
        return 3

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JinjaRelation):
            return self.render() == other.render()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.render())


class RelationApi:
    """`api.Relation`: `create(...)` a relation by its parts; `add_ephemeral_prefix(name)`."""

    def __init__(self, ephemeral_prefix: str) -> None:
        self._ephemeral_prefix = ephemeral_prefix

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **_: Any) -> JinjaRelation:
        return JinjaRelation((database, schema, identifier or "", type))

    def add_ephemeral_prefix(self, name: str) -> str:
        return self._ephemeral_prefix + name
