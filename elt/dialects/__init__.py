"""Translating model SQL from the project dialect (Hive) into the dialect of the engine that runs it.

`translate()` is the one entry point the compiler uses. Where Hive and the target engine disagree on
what a construct means, this package either rewrites it so the target returns Hive's answer, or
raises `SqlError` naming the construct — never a silently different result.

Modules: `hive_reader` (the Hive dialect models are parsed with: keeps what sqlglot's stock reader
loses), `hive_duckdb` (the Hive -> DuckDB rewrite, with rules in `hive_functions`, `hive_dates` and
`hive_clauses`, conversions by type in `hive_types`, and `volatile`'s check that rand() is evaluated once),
`duckdb_functions` (the `hive_*` macros each DuckDB connection needs), `java_time` (Java date patterns),
`names` (the dialect names a project may declare, and the default).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from elt.errors import SqlError

if TYPE_CHECKING:
    from sqlglot import exp

#: (project dialect, engine dialect) -> the module whose `translate` rewrites one into the other so the
#: engine returns the project dialect's answer. Other pairs are rendered by sqlglot's generator alone.
TRANSLATORS: dict[tuple[str, str], str] = {("hive", "duckdb"): "elt.dialects.hive_duckdb"}


def preload(read: str, write: str | None) -> None:
    """Import now what translating `read` SQL for a `write` engine will use (None: no translation), so
    that processes forked afterwards have it loaded."""
    if write is not None and (read, write) in TRANSLATORS:
        importlib.import_module(TRANSLATORS[read, write])


def translate(
    query: exp.Expr, read: str, write: str, *, path: str | None = None, copy: bool = True,
    relations: Mapping[str, Mapping[str, str]] | None = None, column_types: bool = True,
) -> str:
    """Render a parsed model query (in dialect `read`) as SQL for dialect `write`.

    Args:
        query: the model's parsed query, in the project dialect.
        read: the project dialect (e.g. 'hive').
        write: the engine's dialect (e.g. 'duckdb').
        path: the model file, for error messages.
        copy: false when the caller is done with `query`: it may then be rewritten in place.
        relations: 'schema.table' -> column -> engine type of the tables it reads (the catalog's),
            so conversions of those columns are written for their types instead of dispatching on
            them when the engine binds the query (hive -> duckdb).
        column_types: False to leave every column's conversion to the engine's bind time.

    Returns:
        The SQL to send to the engine. For hive -> duckdb it calls `hive_*` macros, which
        `elt.dialects.duckdb_functions.register()` creates on the connection.

    Raises:
        SqlError: the query uses a construct that cannot run with the same meaning on `write`;
            `line`/`col` point into the query's SQL text where sqlglot knows them.
    """
    import sqlglot  # here: `elt.dialects.names` is read without it

    translator = TRANSLATORS.get((read, write))
    if translator is not None:
        from elt.dialects._common import Refusal

        try:
            sql: str = importlib.import_module(translator).translate(
                query, copy=copy, relations=relations, column_types=column_types)
            return sql
        except Refusal as refusal:
            raise refusal.to_error(write, path) from None
    from elt.dialects.hive_reader import reader

    try:
        # elt's own Hive dialect writes Hive: date patterns as the model wrote them, Hive's function names
        return query.sql(dialect=reader(write), pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE, copy=copy)
    except sqlglot.errors.UnsupportedError as exc:
        raise SqlError(
            f"cannot translate to {write}: {exc}",
            path=path,
            hint=f"rewrite it, or branch in Jinja: {{% if target.type == '{write}' %}}",
        ) from None


@functools.cache
def keywords() -> frozenset[str]:
    """The words (upper case) that a tokenizer of a dialect elt reads or writes treats as keywords: a
    name among them cannot be written unquoted in generated SQL on every engine."""
    from sqlglot.dialects.duckdb import DuckDB

    from elt.dialects.hive_reader import HIVE

    return frozenset(HIVE.tokenizer_class.KEYWORDS) | frozenset(DuckDB.Tokenizer.KEYWORDS)
