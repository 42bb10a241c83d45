"""The names dbt's macros use to look at the database during a render, and `return()`.

A model is rendered in two phases, as dbt parses then compiles:

1. At compile time (no connection), `execute` is False and what would read the database answers
   empty: `run_query()` and `load_result()` an empty table, `adapter.get_columns_in_relation()` [],
   `adapter.get_relation()` None, the parts of a `ref()`'s relation placeholders. Each such read
   marks the render `introspective` (RenderState.introspective; kept in the compile cache).
2. An introspective model is rendered again once the relations it reads are named and built
   (`Live`): `execute` is True and the calls go to an `Introspector` — implemented on the runner's
   side over the adapter, since compile/ never talks to an engine.

`return(value)` ends the macro that calls it, which gives `value` (any Python value) to its caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from elt.compile.relations import JinjaRelation, Parts, RelationApi
from elt.compile.result_table import ResultTable
from elt.errors import TemplateError

if TYPE_CHECKING:
    from elt.compile.templating import RenderState


class Introspector(Protocol):
    """What a second render may ask the database (runner side: elt.run.introspection)."""

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one query written in the project dialect; (column names, rows).

        Raises:
            EltError: the engine refused it, or it is not a query (a render only reads).
        """

    def columns(self, schema: str, identifier: str) -> list[tuple[str, str]]:
        """(name, type) of each column of the relation, in order; [] when it does not exist."""

    def relation_type(self, schema: str, identifier: str) -> str | None:
        """'table', 'view', or None when nothing of that name exists."""


@dataclass(frozen=True)
class Live:
    """What the second render of a model has: the database, and every relation's name.

    Attributes:
        introspector: the database (its connection may be opened at the first question).
        relation_of: (ref name or `templating.THIS`, path of the file being rendered) -> the
            relation's parts.
        resolve_sql: (rendered text, path of the file being rendered) -> the text with its ref
            placeholders replaced by relation names.
    """

    introspector: Introspector
    relation_of: Callable[[str, str], Parts]
    resolve_sql: Callable[[str, str], str]


# -- return() ---------------------------------------------------------------------------------------


class MacroReturn(Exception):
    """Raised by `return(value)`; caught by the macro that called it."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def macro_return(value: Any) -> None:
    raise MacroReturn(value)


def enable_return(macro: Any) -> None:
    """Make a loaded Jinja macro give the value of a `return()` inside it to its caller.

    The macro object itself is changed (its compiled function wrapped): the macros of one file call
    each other through the objects Jinja made, not through the namespace.
    """
    function = macro._func
    if getattr(function, "_elt_returns", False):
        return

    def returning(*args: Any) -> Any:
        try:
            return function(*args)
        except MacroReturn as returned:
            return returned.value

    returning._elt_returns = True  # type: ignore[attr-defined]
    macro._func = returning


# -- the context --------------------------------------------------------------------------------------


class Execute:
    """`execute`: False at compile time (reading it marks the render), True in the second render."""

    def __init__(self, context: JinjaContext) -> None:
        self._context = context

    def __bool__(self) -> bool:
        if self._context.live is None:
            self._context.mark()
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(bool(self))

    def __str__(self) -> str:
        return str(bool(self))


class Column:
    """A column as `adapter.get_columns_in_relation` gives it (dbt's Column)."""

    def __init__(self, name: str, data_type: str, quoted: str) -> None:
        self.name = self.column = name
        self.data_type = self.dtype = data_type
        self.quoted = quoted

    def is_string(self) -> bool:
        return self.data_type.lower().startswith(("string", "varchar", "char", "text"))

    def is_number(self) -> bool:
        return self.is_integer() or self.is_float() or self.is_numeric()

    def is_integer(self) -> bool:
        return self.data_type.lower().split("(")[0] in ("tinyint", "smallint", "int", "integer", "bigint", "hugeint")

    def is_float(self) -> bool:
        return self.data_type.lower().split("(")[0] in ("float", "double", "real")

    def is_numeric(self) -> bool:
        return self.data_type.lower().startswith(("decimal", "numeric"))

    def string_size(self) -> int:
        size = self.data_type.partition("(")[2].rstrip(")")
        return int(size) if size.isdigit() else 256

    def __repr__(self) -> str:
        return f"<Column {self.name} ({self.data_type})>"


class StatementResult(dict[str, Any]):
    """`load_result(name)`: `['data']` (rows), `['table']`, `['response']`, also as attributes."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class AdapterContext:
    """`adapter` in a render.

    Args:
        context: the render context it answers for.
        dispatch: `adapter.dispatch(macro_name, macro_namespace=None)`, when packages provide it.
    """

    def __init__(self, context: JinjaContext, dispatch: Callable[..., Any] | None = None) -> None:
        self._context = context
        self._dispatch = dispatch

    def use_dispatch(self, dispatch: Callable[..., Any]) -> None:
        """Give `adapter.dispatch` (elt.compile.namespaces: a Jinja `pass_context` callable, so that a
        dispatch without a namespace searches the scope of the macro calling it)."""
        self._dispatch = dispatch

    @property
    def dispatch(self) -> Callable[..., Any]:
        if self._dispatch is None:
            return self._no_dispatch
        return self._dispatch

    @staticmethod
    def _no_dispatch(macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        raise TemplateError(f"adapter.dispatch({macro_name!r}) is not supported here",
                            hint="call the macro by its name")

    def type(self) -> str:
        return self._context.target_type

    def quote(self, identifier: str) -> str:
        return self._context.quote(str(identifier))

    def get_columns_in_relation(self, relation: Any) -> list[Column]:
        live = self._context.live
        if live is None:
            self._context.mark()
            return []
        schema, identifier = _schema_and_identifier(relation, "get_columns_in_relation")
        return [Column(name, data_type, self._context.quote(name))
                for name, data_type in live.introspector.columns(schema, identifier)]

    def get_relation(self, database: str | None, schema: str, identifier: str) -> JinjaRelation | None:
        """The relation when it exists (`database` is not part of elt's relation names)."""
        live = self._context.live
        if live is None:
            self._context.mark()
            return None
        kind = live.introspector.relation_type(schema, identifier)
        return None if kind is None else JinjaRelation((database, schema, identifier, kind))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise TemplateError(f"adapter.{name} is not supported by elt",
                            hint="supported: adapter.dispatch, get_columns_in_relation, get_relation, quote, type")


class JinjaContext:
    """The introspection names of one renderer (`names()`), phase 1 or 2 by `live`.

    Args:
        current: the render in progress.
        dialect: the project dialect (how `adapter.quote` quotes).
        target_type: the target's type (`adapter.type()`).
        live: None at compile time; the database and relation names in the second render.
        ephemeral_prefix: what an ephemeral model's relation is named with.
    """

    def __init__(self, current: Callable[[], RenderState], dialect: str, target_type: str, live: Live | None,
                 ephemeral_prefix: str, dispatch: Callable[..., Any] | None = None) -> None:
        self._current = current
        self._dialect = dialect
        self.target_type = target_type
        self.live = live
        self._ephemeral_prefix = ephemeral_prefix
        self.adapter = AdapterContext(self, dispatch)

    def mark(self) -> None:
        self._current().introspective = True

    def lenient(self) -> bool:
        """A compile-time render that read the database: missing values are empty (`undefined_class`)."""
        if self.live is not None:
            return False
        try:
            return self._current().introspective
        except LookupError:  # no render in progress (macros being loaded)
            return False

    def quote(self, identifier: str) -> str:
        from sqlglot import exp

        from elt.dialects.hive_reader import reader

        return exp.to_identifier(identifier, quoted=True).sql(dialect=reader(self._dialect))

    def names(self) -> dict[str, Any]:
        return {
            "execute": Execute(self), "adapter": self.adapter, "api": _Api(RelationApi(self._ephemeral_prefix)),
            "run_query": self.run_query, "statement": self.statement, "load_result": self.load_result,
            "load_relation": self.load_relation, "return": macro_return,
        }

    def relation(self, name: str, text: str) -> JinjaRelation:
        """What `ref(name)` (or `this`, name THIS) returns: renders as `text`, its parts from `Live`."""
        live = self.live
        lookup = (lambda: live.relation_of(name, self._current().path)) if live is not None else None
        return JinjaRelation(text=text, lookup=lookup,
                             unknown=self.mark, placeholder=(None, "__elt_schema__", name, None))

    # -- queries ----------------------------------------------------------------------------------

    def statement(self, name: str | None = None, fetch_result: bool = False, auto_begin: bool = True,
                  language: str = "sql", caller: Callable[[], str] | None = None) -> str:
        """`{% call statement('name', fetch_result=True) %} sql {% endcall %}`: run the query (the second
        render only, as dbt runs statements only when `execute`) and keep its result for
        `load_result(name)`."""
        state = self._current()
        live = self.live
        if live is None:
            self.mark()
            if name is not None:
                state.results[name] = _result([], [])
            return ""
        if caller is None:
            raise TemplateError("statement() is called as a block: {% call statement('name') %} ... {% endcall %}")
        columns, rows = live.introspector.query(live.resolve_sql(str(caller()), state.path))
        if name is not None:
            state.results[name] = _result(columns, rows)
        return ""

    def load_result(self, name: str) -> StatementResult | None:
        found: StatementResult | None = self._current().results.get(name)
        return found

    def run_query(self, sql: Any) -> ResultTable:
        live = self.live
        if live is None:
            self.mark()
            return ResultTable([], [])
        columns, rows = live.introspector.query(live.resolve_sql(str(sql), self._current().path))
        return ResultTable(columns, rows)

    def load_relation(self, relation: Any) -> JinjaRelation | None:
        if self.live is None:
            self.mark()
            return None
        schema, identifier = _schema_and_identifier(relation, "load_relation")
        return self.adapter.get_relation(getattr(relation, "database", None), schema, identifier)


def undefined_class(lenient: Callable[[], bool]) -> type:
    """Jinja's StrictUndefined, except where `lenient()`: a compile-time render that has read the
    database already got empty answers, so a value taken from them is missing (`results['x']`); there, as
    in dbt's parse, a missing value is empty (renders as '', iterates as nothing, is false) instead of an
    error. The second render is strict again."""
    import jinja2

    strict = jinja2.StrictUndefined

    def either(empty: Callable[[Any], Any]) -> Callable[..., Any]:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if lenient():
                return empty(self)
            return self._fail_with_undefined_error()
        return method

    class ParseUndefined(strict):  # type: ignore[misc, valid-type]
        __slots__ = ()
        __str__ = either(lambda self: "")
        __iter__ = either(lambda self: iter(()))
        __bool__ = either(lambda self: False)
        __len__ = either(lambda self: 0)
        __getitem__ = either(lambda self: self)
        __call__ = either(lambda self: self)
        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __mod__ = __getitem__
        __lt__ = __le__ = __gt__ = __ge__ = __contains__ = __bool__
        __int__ = __len__
        __float__ = either(lambda self: 0.0)
        __eq__ = either(lambda self: False)
        __ne__ = either(lambda self: True)
        __hash__ = either(lambda self: 0)

        def __getattr__(self, name: str) -> Any:
            if name[:2] == "__" or not lenient():
                return strict.__getattr__(self, name)
            return self

    return ParseUndefined


class _Api:
    """`api`: `api.Relation`."""

    def __init__(self, relation: RelationApi) -> None:
        self.Relation = relation


def _result(columns: list[str], rows: list[tuple[Any, ...]]) -> StatementResult:
    table = ResultTable(columns, rows)
    return StatementResult(data=list(table.rows), table=table, response={"rows_affected": len(rows)})


def _schema_and_identifier(relation: Any, caller: str) -> tuple[str, str]:
    if isinstance(relation, JinjaRelation):
        schema, identifier = relation.schema, relation.identifier
        if relation.is_cte:
            raise TemplateError(f"{caller}() cannot read ephemeral model {identifier!r}: it has no relation "
                                "in the database", hint="materialize it as a view or table")
    elif isinstance(relation, str) and "." in relation:
        schema, _, identifier = relation.rpartition(".")
    else:
        raise TemplateError(f"{caller}() expects a relation (ref(), source(), api.Relation.create()), "
                            f"got {relation!r}")
    if not schema:
        raise TemplateError(f"{caller}(): the relation {relation} has no schema")
    return schema, identifier
