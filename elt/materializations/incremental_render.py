"""Rendering an incremental model for its run: `is_incremental()` true, and backfill intervals.

A model is first compiled like any other (`is_incremental()` false). When it is about to run and its
table exists (and no --full-refresh), it is rendered again with `is_incremental()` true — and, for a
backfill in batches, once per interval with `var('start')` / `var('end')` set to that interval.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from elt.errors import ProjectError


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


def render_incremental(manifest: Any, unique_id: str, extra_vars: Mapping[str, Any] | None = None, *,
                       incremental: bool = True) -> None:
    """Render a model again with `is_incremental()` = `incremental` and `extra_vars`, replacing its
    compiled SQL in the manifest."""
    from elt.compile.compiler import _parse_model
    from elt.compile.templating import Renderer
    from elt.errors import GraphError

    project, node = manifest.project, manifest.nodes[unique_id]
    sources = {(n.source_name, n.name): n for n in manifest.nodes.values() if n.resource_type == "source"}
    names = {n.name for n in manifest.nodes.values() if n.resource_type in ("model", "seed")}

    def source_lookup(source_name: str, table: str) -> str:
        if (source_name, table) not in sources:
            raise GraphError(f"unknown source {source_name!r}.{table!r}")
        return str(sources[(source_name, table)].relation)

    def ref_check(name: str) -> None:
        if name not in names:
            raise GraphError(f"ref to unknown model {name!r}")

    config = replace(project.config, vars={**project.config.vars, **(extra_vars or {})})
    renderer = Renderer(config, manifest.target, [(m.rel_path, m.text) for m in project.macros], source_lookup,
                        ref_check)
    renderer.namespace["is_incremental"] = lambda: incremental
    state = renderer.render(node.path, node.raw_sql, node.name)
    _parse_model(manifest, node, state)
