"""The second render of introspective models: the database answering a macro's questions.

A model whose render read the database (`run_query`, `{% call statement %}`, `adapter.get_columns_in_relation`,
`execute`, ...: elt.compile.jinja_context) has no SQL after the compile. It is rendered again with
`execute` true and an `AdapterIntrospector`: on `elt run` / `elt build` just before it is built, once
the models it reads are built (`render_live` in elt.run.node_build); on `elt compile`, at the end of the
compile (`render_all_live`), with the adapter opened only if a render asks the database something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest
from elt.compile.render import Overrides, render_model
from elt.errors import EltError, TemplateError
from elt.nodes import Node, Relation


class AdapterIntrospector:
    """The `Introspector` of elt.compile.jinja_context over an adapter.

    Args:
        adapter: the adapter, or a function giving it (called at the first question: a compile
            connects only when a macro asks the database something).
        dialect: the project dialect, the one macros write their queries in; translated to the
            engine's when it differs.
    """

    def __init__(self, adapter: Adapter | Callable[[], Adapter], dialect: str) -> None:
        self._adapter = adapter
        self._dialect = dialect

    @property
    def adapter(self) -> Adapter:
        if not isinstance(self._adapter, Adapter):
            self._adapter = self._adapter()
        return self._adapter

    def opened(self) -> Adapter | None:
        """The adapter, if a question was asked (or it was given opened); else None."""
        return self._adapter if isinstance(self._adapter, Adapter) else None

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import sqlglot
        from sqlglot import exp

        from elt.dialects import translate
        from elt.dialects.hive_reader import reader

        adapter = self.adapter
        try:
            statements = [s for s in sqlglot.parse(sql, read=reader(self._dialect)) if s is not None]
        except sqlglot.errors.SqlglotError as exc:
            raise TemplateError(f"the query a macro runs does not parse in the {self._dialect} dialect: "
                                f"{str(exc).splitlines()[0]}\n    {_first_line(sql)}") from None
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise TemplateError("a macro may only read the database while a model is rendered (one SELECT "
                                f"query), not run: {_first_line(sql)}",
                                hint="run statements that change the database in hooks (pre_hook, on-run-start)")
        query = statements[0]
        names = list(query.named_selects)
        if adapter.dialect != self._dialect:
            sql = translate(query, self._dialect, adapter.dialect)
        columns, rows = adapter.fetch_table(sql)
        if not columns and rows and len(names) == len(rows[0]):
            columns = names  # an engine that does not name them: the names the query gives
        return list(columns), [tuple(row) for row in rows]

    def columns(self, schema: str, identifier: str) -> list[tuple[str, str]]:
        relation = Relation(schema, identifier)
        adapter = self.adapter
        if adapter.relation_kind(relation) is None:
            return []
        return [(column.name, self._project_type(column.data_type or "")) for column in adapter.get_columns(relation)]

    def relation_type(self, schema: str, identifier: str) -> str | None:
        return self.adapter.relation_kind(Relation(schema, identifier))

    def _project_type(self, data_type: str) -> str:
        """An engine type as the project dialect writes it (DuckDB's VARCHAR is Hive's STRING)."""
        if self.adapter.dialect == self._dialect or not data_type:
            return data_type
        from sqlglot import exp

        from elt.dialects.hive_reader import reader

        try:
            return exp.DataType.build(data_type, dialect=reader(self.adapter.dialect)).sql(
                dialect=reader(self._dialect))
        except Exception:  # noqa: BLE001 - a type sqlglot does not read: as the engine names it
            return data_type


def render_live(manifest: Manifest, node: Node, introspector: AdapterIntrospector) -> None:
    """Render an introspective model (or test) again with the database, making the result its
    compiled SQL; the introspective ephemeral models it inlines first.

    Raises:
        TemplateError, GraphError, SqlError, ProjectError: as a compile would, naming the model.
    """
    for uid in [*manifest.ephemeral_ancestors(node), node.unique_id]:
        if uid in manifest.introspective:
            rendered = render_model(manifest, manifest.nodes[uid], Overrides(introspector=introspector))
            manifest.use_rendered(rendered)


def render_all_live(manifest: Manifest, open_adapter: Callable[[], Adapter], unique_ids: list[str],
                    errors: list[EltError]) -> Adapter | None:
    """`elt compile`'s second render of each introspective model of `unique_ids` (in order); each
    failure appended to `errors`. The adapter is opened only when a render asks the database something.

    Returns:
        The adapter, when one was opened (the caller closes it).
    """
    introspector = AdapterIntrospector(open_adapter, manifest.dialect)
    for uid in unique_ids:
        if uid not in manifest.introspective or uid in manifest.compiled_sql:
            continue
        try:
            render_live(manifest, manifest.nodes[uid], introspector)
        except EltError as exc:
            if exc.hint is None:
                exc.hint = ("it was rendered with what the database holds now: if the relations it reads are not "
                            "built yet, build them first (elt run)")
            errors.append(exc)
    return introspector.opened()


def _first_line(sql: str) -> str:
    lines = [line.strip() for line in sql.strip().splitlines() if line.strip()]
    return (lines[0][:100] + (" ..." if len(lines) > 1 else "")) if lines else ""
