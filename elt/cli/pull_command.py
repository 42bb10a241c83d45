"""`elt pull`: copy what a selection reads but does not build from a target (production's Hive) into
the local target (a DuckDB file), so that `elt run --target dev -s my_model+` builds on it.

Both targets' compiles are needed: the local one names the relations to write (sources resolve to
them in a local run), the remote one the relations to read (a model's schema may differ by target).
"""

from __future__ import annotations

import dataclasses

from elt.cli.invocation import Invocation, adapter_class_of, compile_manifest, open_adapter, select
from elt.errors import ProjectError
from elt.report.console import Console
from elt.run.pull import BATCH_ROWS, Endpoints, Progress, PullResult, ensure_record, pull_relation
from elt.run.pull_plan import DEFAULT_MAX_ROWS, Limits, PullItem, pull_items


def pull_command(inv: Invocation, console: Console, from_target: str, limits: Limits, *, refresh: bool = False,
                 max_rows: int = DEFAULT_MAX_ROWS, batch_rows: int = BATCH_ROWS,
                 progress: Progress | None = None, started: Progress | None = None) -> list[PullResult]:
    """Pull every relation the selection reads (or the raw layer) from `from_target` into inv.target.

    Raises:
        ProjectError: an unknown target, or targets whose engines elt cannot pull between.
        ExecutionError: a relation failed (the ones pulled before it stay pulled and recorded).
    """
    local = compile_manifest(inv, console)
    if not adapter_class_of(local.target).CAN_PULL_INTO:
        raise ProjectError(f"elt pull writes into a local database: target {local.target.name!r} is "
                           f"{local.target.type}",
                           hint=f"pick a target of type {' or '.join(_types('CAN_PULL_INTO'))} with --target")
    if from_target == local.target.name:
        raise ProjectError(f"--from {from_target!r} is the target pulled into",
                           hint="pull from another target (e.g. --from prod)")
    remote = compile_manifest(dataclasses.replace(inv, target=from_target), console)
    if not adapter_class_of(remote.target).CAN_PULL_FROM:
        raise ProjectError(f"elt pull cannot read from target {from_target!r} ({remote.target.type})",
                           hint=f"pull from a target of type {' or '.join(_types('CAN_PULL_FROM'))}")
    kinds = {"model", "seed", "source", "snapshot"}
    chosen = select(local, inv, console, kinds) if inv.select else None
    items: list[PullItem] = pull_items(local, remote, chosen, limits)
    if not inv.select and inv.exclude:  # the raw layer, less what --exclude names
        from elt.run.selection import select_nodes

        excluded = select_nodes(local.graph, local.nodes, inv.exclude, (), kinds)
        items = [item for item in items if item.unique_id not in excluded]
    results: list[PullResult] = []
    if not items:
        return results
    destination = open_adapter(local.target)
    try:
        source = open_adapter(remote.target)
        try:
            ensure_record(destination)
            ends = Endpoints(source, destination, from_target, local.project.config.dialect)
            for item in items:
                if started is not None:
                    started(item, 0, 0)
                results.append(pull_relation(item, ends, refresh=refresh, max_rows=max_rows,
                                             batch_rows=batch_rows, progress=progress))
        finally:
            source.close()
    finally:
        destination.close()
    return results


def _types(flag: str) -> list[str]:
    """The profile types whose adapter has the capability `flag`."""
    from elt.adapters import ADAPTERS, adapter_class

    return [name for name in sorted(ADAPTERS) if getattr(adapter_class(name), flag)]


def run_pull(inv: Invocation, from_target: str, options: dict[str, object], *, max_rows: int | None,
             refresh: bool, batch_rows: int = BATCH_ROWS) -> int:
    """The command line's `elt pull`: limits checked, progress and a line per relation printed."""
    import sys
    import time

    import click

    from elt.run.pull_plan import check_limits

    limits = check_limits({k: v for k, v in options.items() if v is not None}, "the command line")
    live = sys.stderr.isatty()
    last = [0.0]

    def progress(item: PullItem, rows: int, size: int) -> None:
        now = time.monotonic()
        if live and now - last[0] > 0.5:
            last[0] = now
            click.echo(f"\r  {item.local}: {rows:,} rows, {_megabytes(size)} ...", nl=False, err=True)

    def started(item: PullItem, rows: int, size: int) -> None:
        click.echo(f"pulling {item.remote} -> {item.local} ({item.limits.describe()})", err=True)

    console = Console()
    results = pull_command(inv, console, from_target, limits, refresh=refresh, max_rows=max_rows or DEFAULT_MAX_ROWS,
                           batch_rows=batch_rows, progress=progress, started=started)
    if live:
        click.echo("\r\033[K", nl=False, err=True)
    for result in results:
        if result.status == "skipped":
            click.echo(f"  {result.item.local}: already pulled with the same limits (--refresh pulls it again)")
        else:
            rate = result.rows / result.seconds if result.seconds else 0
            click.echo(f"  {result.item.local}: {result.rows:,} rows, {_megabytes(result.bytes)} in "
                       f"{result.seconds:.1f}s ({rate:,.0f} rows/s)")
    pulled = sum(1 for r in results if r.status == "pulled")
    click.echo(f"Pulled {pulled} relation(s) from {from_target!r} into {console_target(inv)}; "
               f"{len(results) - pulled} already there." if results else "Nothing to pull.")
    return 0


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def console_target(inv: Invocation) -> str:
    return repr(inv.target) if inv.target else "the default target"
