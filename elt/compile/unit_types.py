"""Column types for model unit tests, so they run as dbt runs them.

dbt fills the columns a `given` row leaves out with NULL of the input relation's column type, casts
the given values to those types, and casts the expected values to the types of the model's output
before comparing: `'2016-09-01'` equals a timestamp at midnight, `1` equals `1.00` in a decimal column.
elt's unit tests need no warehouse, so the types come from the project:

- a seed: its columns as `elt seed` loads them (inferred from the CSV, or its `column_types`);
- a source: its yml columns, when each has a `data_type`;
- a model (and `this`): its output, found by running it on the unit test's in-memory database over
  empty inputs of their own types (recursively), as a view whose columns the engine describes.

An input whose types cannot be known (a source without `data_type`s) keeps elt's earlier rule: the
columns its rows name, typed from their values. Every cast is written in the project dialect and
translated like the model, so for a Hive project it means what Hive's CAST means (`CAST(1.5 AS INT)`
is 1, `CAST('x' AS INT)` is NULL).
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlglot import exp

from elt.compile.render import Overrides, render_model
from elt.compile.templating import THIS
from elt.errors import EltError, ProjectError
from elt.nodes import Relation

#: A relation's columns in order, each with its type in the project dialect (None: not known).
Schema = list[tuple[str, "exp.DataType | None"]]

EMPTY_PREFIX = "__elt_empty_"
_VIEW = "__elt_unit_test_columns"
_NESTED = {exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT}


class _Unknown(Exception):
    """An input whose column types cannot be known."""


class UnitTypes:
    """The column types of a unit test's inputs and of a model's output, on an open adapter (the unit
    test's in-memory database). Found once per relation and kept."""

    def __init__(self, manifest: Any, adapter: Any) -> None:
        self.manifest = manifest
        self.adapter = adapter
        self._models: dict[str, Schema | None] = {}
        self._visiting: set[str] = set()
        #: the given inputs whose columns are not known (only those their rows name are given).
        self.unknown: list[str] = []

    def of_input(self, key: str, model: str) -> Schema | None:
        """Columns of a given input: `ref:<name>`, `source:<source>.<table>` or `this` (the table of
        `model`, the model under test). None: not known."""
        kind, _, name = key.partition(":")
        if kind == "this":
            return self.of_model(model)
        if kind == "source":
            source = self.manifest.nodes.get(f"source.{name}")
            columns = list(source.columns.values()) if source is not None else []
            if not columns or not all(c.data_type for c in columns):
                return None
            return [(c.name, self.project_type(str(c.data_type))) for c in columns]
        seed = self.manifest.nodes.get(f"seed.{name}")
        if seed is not None:
            from elt.project.seed_files import read_seed

            try:
                data = read_seed(self.manifest.project.root, seed.path, seed.config)
            except EltError:
                return None  # the seed's own error is reported by `elt seed`
            return [(column, self.project_type(kind)) for column, kind in data.columns]
        return self.of_model(name)

    def of_model(self, name: str) -> Schema | None:
        """A model's output columns, from running it over empty inputs (None: an input is not known,
        or the model does not run)."""
        if name in self._models:
            return self._models[name]
        node = self.manifest.nodes.get(f"model.{name}")
        if node is None or name in self._visiting:
            return None
        self._visiting.add(name)
        ctes: dict[str, tuple[str, exp.Query]] = {}

        def empty(key: str) -> str:
            if key not in ctes:
                schema = self.of_input(key, name)
                if schema is None or any(kind is None for _, kind in schema):
                    raise _Unknown(key)
                ctes[key] = (f"{EMPTY_PREFIX}{len(ctes) + 1}", empty_select(schema))
            return ctes[key][0]

        def ref(ref_name: str) -> str:
            if ref_name == THIS:
                raise _Unknown(THIS)
            return empty(f"ref:{ref_name}")

        try:
            rendered = render_model(self.manifest, node, Overrides(
                ref=ref, source=lambda source, table: empty(f"source:{source}.{table}")))
            add_ctes(rendered.query, list(ctes.values()))
            schema: Schema | None = self.of_query(self.engine_sql(rendered))
        except (_Unknown, EltError):
            schema = None
        finally:
            self._visiting.discard(name)
        self._models[name] = schema
        return schema

    def engine_sql(self, rendered: Any) -> str:
        """A rendered model's query as the adapter's engine runs it."""
        from elt.dialects.hive_reader import reader

        if self.adapter.dialect == self.manifest.dialect:
            return str(rendered.query.sql(dialect=reader(self.manifest.dialect), pretty=True))
        return str(rendered.translate(self.adapter.dialect))

    def of_query(self, engine_sql: str) -> Schema:
        """The columns a query (in the engine's SQL) returns, with their types in the project dialect."""
        relation = Relation(self.adapter.DEFAULT_SCHEMA, _VIEW)
        self.adapter.create_view_as(relation, engine_sql, replace=True)
        try:
            columns = self.adapter.get_columns(relation)
        finally:
            self.adapter.drop_relation(relation, "view")
        return [(c.name, self.engine_type(str(c.data_type))) for c in columns]

    def engine_type(self, text: str) -> exp.DataType | None:
        """An engine's type name as the project dialect writes that type (None: no such type there)."""
        try:
            built = exp.DataType.build(text, dialect=self.adapter.dialect)
            return self.project_type(built.sql(dialect=self.manifest.dialect))
        except Exception:  # noqa: BLE001 - a type sqlglot does not know (DuckDB's NULL type): not cast
            return None

    def project_type(self, text: str) -> exp.DataType | None:
        """A type written in the project dialect, parsed as a model's CAST would read it."""
        from elt.dialects.hive_reader import reader

        try:
            return exp.DataType.build(text, dialect=reader(self.manifest.dialect))
        except Exception:  # noqa: BLE001 - not a type of that dialect: not cast
            return None


def add_ctes(query: exp.Expr, ctes: Sequence[tuple[str, exp.Expr]]) -> None:
    """Put `(name, query)` CTEs before the query's own."""
    made = [exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name))) for name, body in ctes]
    existing = query.args.get("with_")
    query.set("with_", exp.With(expressions=made + (list(existing.expressions) if existing else [])))


def empty_select(schema: Schema) -> exp.Query:
    """`SELECT CAST(NULL AS <type>) AS <column>, ... WHERE 1 = 0`: a relation of these columns, no row."""
    select = exp.select(*(_alias(exp.Cast(this=exp.null(), to=kind.copy()) if kind else exp.null(), name)
                          for name, kind in schema))
    return select.where(exp.false())


def typed_rows(rows: Sequence[Mapping[str, Any]], schema: Schema, declared: Mapping[str, exp.DataType | None],
               where: str, located: Mapping[str, Any],
               others: Callable[[list[Any]], exp.DataType | None] | None = None) -> exp.Query:
    """The given rows of an input whose columns are known: every column of `schema` (and of `declared`,
    the `columns:` of the block, whose types win), a value cast to its column's type, NULL where a row
    leaves it out (dbt's rule).

    Args:
        others: for an input whose `schema` may not be all its columns (a source's yml), the type of
            another column from its values; None: another column is an error.

    Raises:
        ProjectError: a row names a column the input does not have.
    """
    names = {name.lower(): name for name, _ in schema}
    types = {name: kind for name, kind in schema}
    for name, kind in declared.items():
        names.setdefault(name.lower(), name)
        types[names[name.lower()]] = kind
    unknown = sorted({key for row in rows for key in row if str(key).lower() not in names})
    if unknown and others is not None:
        for name in unknown:
            names[name.lower()] = name
            types[name] = others([row.get(name) for row in rows])
        unknown = []
    if unknown:
        raise ProjectError(f"{where}: column(s) {', '.join(unknown)} are not columns of the input",
                           **located, hint=f"its columns: {', '.join(types)}")
    if not rows:
        return empty_select(list(types.items()))
    selects: list[exp.Query] = []
    for row in rows:
        by_name = {str(key).lower(): value for key, value in row.items()}
        selects.append(exp.select(*(_alias(cast_value(by_name.get(name.lower()), kind, where, located), name)
                                    for name, kind in types.items())))
    union = selects[0]
    for select in selects[1:]:
        union = exp.union(union, select, distinct=False)
    return union


def castable(kind: exp.DataType | None) -> bool:
    """Whether values are cast to this type (a known type, not an array, map or struct)."""
    return kind is not None and kind.this not in _NESTED


def cast_value(value: Any, kind: exp.DataType | None, where: str, located: Mapping[str, Any]) -> exp.Expr:
    """A yml value as a literal cast to `kind` (uncast when the type is not known).

    Raises:
        ProjectError: a list or mapping for a column of a simple type, or for a nested one (give such
            rows with `format: sql`).
    """
    if isinstance(value, (list, dict)) or not castable(kind) and kind is not None and value is not None:
        raise ProjectError(f"{where}: {value!r} cannot be written as a value of a given row of this column",
                           **located, hint="give rows with array, map or struct columns as a query: format: sql")
    literal = _literal(value, kind)
    return literal if kind is None else exp.Cast(this=literal, to=kind.copy())


def _literal(value: Any, kind: exp.DataType | None) -> exp.Expr:
    if value is None or value != value:  # None, NaN
        return exp.null()
    text_type = kind is not None and kind.is_type(*exp.DataType.TEXT_TYPES)
    if value == "" and not text_type:  # an empty CSV cell: NULL, as in a seed
        return exp.null()
    if isinstance(value, str) and kind is not None and kind.is_type(exp.DataType.Type.BOOLEAN) \
            and value.strip().lower() in ("true", "false"):
        # as CSV gives them; a text-to-boolean CAST differs across Hive versions (the translation refuses it)
        value = value.strip().lower() == "true"
    if isinstance(value, bool):
        if text_type:  # yml's `true` for a text column: the text 'true', as dbt's cast writes it
            return exp.Literal.string(str(value).lower())
        return exp.true() if value else exp.false()
    if isinstance(value, (int, float, decimal.Decimal)) and math.isfinite(value) and not text_type:
        return exp.Literal.number(str(value))
    if isinstance(value, datetime.datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if isinstance(value, datetime.date):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def _alias(value: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(value, exp.to_identifier(name, quoted=False))
