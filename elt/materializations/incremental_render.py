"""Rendering an incremental model for its run: `is_incremental()` true, and backfill intervals.

A model is first compiled like any other (`is_incremental()` false). When it is about to run and its
table exists (and no --full-refresh), it is rendered again with `is_incremental()` true — and, for a
backfill in batches, once per interval with `var('start')` / `var('end')` set to that interval.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from elt.errors import ProjectError

if TYPE_CHECKING:
    from elt.compile.compiler import Manifest
    from elt.compile.jinja_context import Introspector


def intervals(start: str, end: str, batch_size: str | None) -> list[tuple[str, str]]:
    """Split [start, end] (ISO dates, both included) into batches; one batch when batch_size is None.

    >>> intervals("2024-06-01", "2024-06-03", "day")
    [('2024-06-01', '2024-06-01'), ('2024-06-02', '2024-06-02'), ('2024-06-03', '2024-06-03')]
    >>> intervals("2024-01-15", "2024-03-02", "month")
    [('2024-01-15', '2024-01-31'), ('2024-02-01', '2024-02-29'), ('2024-03-01', '2024-03-02')]
    """
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    if last < first:
        raise ProjectError(f"--end {end} is before --start {start}")
    if batch_size is None:
        return [(start, end)]
    batches, day = [], first
    while day <= last:
        if batch_size == "day":
            stop = day
        else:
            next_month = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
            stop = min(last, next_month - datetime.timedelta(days=1))
        batches.append((day.isoformat(), stop.isoformat()))
        day = stop + datetime.timedelta(days=1)
    return batches


def render_incremental(manifest: Manifest, unique_id: str, extra_vars: Mapping[str, Any] | None = None, *,
                       incremental: bool = True, introspector: Introspector | None = None) -> None:
    """Render a model again with `is_incremental()` = `incremental` and `extra_vars`, replacing its
    compiled SQL in the manifest; `introspector`: the database, for a model whose render reads it
    (elt.compile.jinja_context).

    Raises:
        TemplateError, GraphError, SqlError: as the compile would, at the line of the model file.
    """
    from elt.compile.render import Overrides, render_model

    overrides = Overrides(vars=dict(extra_vars or {}), is_incremental=incremental, introspector=introspector)
    manifest.use_rendered(render_model(manifest, manifest.nodes[unique_id], overrides))
