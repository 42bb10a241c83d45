"""Translating model SQL from the project dialect (Hive) into the dialect of the engine that runs it.

`translate()` is the one entry point the compiler uses. Where Hive and the target engine disagree on
what a construct means, this package either rewrites it so the target returns Hive's answer, or
raises `SqlError` naming the construct — never a silently different result.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from elt.errors import SqlError


def translate(query: exp.Expression, read: str, write: str, *, path: str | None = None) -> str:
    """Render a parsed model query (in dialect `read`) as SQL for dialect `write`.

    Args:
        query: the model's parsed query, in the project dialect.
        read: the project dialect (e.g. 'hive').
        write: the engine's dialect (e.g. 'duckdb').
        path: the model file, for error messages.

    Raises:
        SqlError: the query uses a construct that cannot run with the same meaning on `write`.
    """
    try:
        return query.sql(dialect=write, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise SqlError(
            f"cannot translate to {write}: {exc}",
            path=path,
            hint=f"rewrite it, or branch in Jinja: {{% if target.type == '{write}' %}}",
        ) from None
