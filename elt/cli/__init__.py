"""The `elt` command line: argument parsing, one library call per command, exit codes.

Exit codes: 0 all good, 1 some node failed, 2 project or usage error. An `EltError` is printed
without a traceback unless `--debug`; anything else is a bug and keeps its traceback.
Heavy modules (sqlglot, duckdb) are imported inside commands so `elt --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path

import click

from elt import __version__
from elt.cli.options import (
    apply_incremental,
    apply_plan,
    common_options,
    console_options,
    handle_errors,
    incremental_options,
    make_console,
    make_invocation,
    plan_options,
    selection_options,
    state_options,
    wait_option,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="elt")
@click.option("--debug", is_flag=True, default=False, help="Show tracebacks and debug details.")
def cli(debug: bool) -> None:
    """elt: Hive-first ELT. Build SQL models in dependency order on Hive or embedded DuckDB."""


def _finish(console, outcome, debug: bool, empty: str) -> int:
    if not outcome.results:
        console.info(empty)
        return 0
    console.summary(outcome.results, outcome.elapsed, debug=debug)
    code = 1 if outcome.failed else 0
    if outcome.signal is not None:  # stopped by SIGINT/SIGTERM: 128 + its number, as shells say
        from elt.run.interrupts import signal_name

        console.interrupted(signal_name(outcome.signal), outcome.results)
        code = 128 + outcome.signal
    if outcome.write_error is not None:  # after the summary, which shows the engine's errors
        console.error(outcome.write_error)
        code = max(code, outcome.write_error.exit_code)
    return code


@cli.command()
@common_options
@selection_options
@state_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Models built at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@wait_option
@incremental_options
@plan_options
@console_options
@handle_errors
def run(project_dir, profiles_dir, target, vars_, debug, select, exclude, threads, fail_fast, wait,
        full_refresh, start, end, plan, plan_all) -> int:
    """Build the selected models (tables, views, incremental loads) in dependency order."""
    from elt.cli.build_commands import run_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    inv.wait = wait
    apply_incremental(inv, full_refresh, start, end)
    apply_plan(inv, plan, plan_all)
    console = make_console()
    return _finish(console, run_command(inv, console, threads=threads, fail_fast=fail_fast), inv.debug,
                   "Nothing to run.")


@cli.command()
@common_options
@selection_options
@state_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Tests run at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@click.option("--unit", "only_unit", is_flag=True, help="Only model unit tests (run on DuckDB, no warehouse).")
@click.option("--data", "only_data", is_flag=True, help="Only data tests (against the target).")
@wait_option
@console_options
@handle_errors
def test(project_dir, profiles_dir, target, vars_, debug, select, exclude, threads, fail_fast,
         only_unit, only_data, wait) -> int:
    """Run data tests (yml and data_tests/) and model unit tests."""
    from elt.cli.build_commands import test_command, unit_test_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    inv.wait = wait
    console = make_console()
    code = 0
    manifest = None  # compiled once for both kinds of tests
    if not only_data:
        outcome = unit_test_command(inv, console)
        manifest = outcome.manifest
        if outcome.results or only_unit:
            code = _finish(console, outcome, inv.debug, "No unit tests selected.")
    if not only_unit:
        outcome = test_command(inv, console, threads=threads, fail_fast=fail_fast, manifest=manifest)
        code = max(code, _finish(console, outcome, inv.debug, "No data tests selected."))
    return code


@cli.command()
@common_options
@selection_options
@state_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Nodes built at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@wait_option
@incremental_options
@plan_options
@console_options
@handle_errors
def build(project_dir, profiles_dir, target, vars_, debug, select, exclude, threads, fail_fast, wait,
          full_refresh, start, end, plan, plan_all) -> int:
    """Seeds, models, snapshots and their data tests in one DAG walk; failing tests skip what depends on them."""
    from elt.cli.build_commands import build_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    inv.wait = wait
    apply_incremental(inv, full_refresh, start, end)
    apply_plan(inv, plan, plan_all)
    console = make_console()
    return _finish(console, build_command(inv, console, threads=threads, fail_fast=fail_fast), inv.debug,
                   "Nothing to build.")


@cli.command()
@common_options
@selection_options
@state_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Seeds loaded at once.")
@wait_option
@console_options
@handle_errors
def seed(project_dir, profiles_dir, target, vars_, debug, select, exclude, threads, wait) -> int:
    """Load seeds/*.csv into tables."""
    from elt.cli.build_commands import seed_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    inv.wait = wait
    console = make_console()
    return _finish(console, seed_command(inv, console, threads=threads), inv.debug, "No seeds to load.")


@cli.command()
@common_options
@selection_options
@state_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Snapshots built at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@wait_option
@console_options
@handle_errors
def snapshot(project_dir, profiles_dir, target, vars_, debug, select, exclude, threads, fail_fast, wait) -> int:
    """Build the snapshots (history of changing rows, SCD type 2) in dependency order."""
    from elt.cli.build_commands import snapshot_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    inv.wait = wait
    console = make_console()
    return _finish(console, snapshot_command(inv, console, threads=threads, fail_fast=fail_fast), inv.debug,
                   "No snapshots selected.")


@cli.command(name="plan")
@common_options
@selection_options
@state_options(defer=False)
@handle_errors
def plan_(project_dir, profiles_dir, target, vars_, debug, select, exclude) -> int:
    """Compare with another run (--state DIR): each change's category (breaking, non-breaking,
    metadata-only) and what it reaches downstream; `elt run --plan` builds that."""
    from elt.cli.plan_command import plan_command
    from elt.report.console import Console
    from elt.state.plan_text import plan_lines

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    outcome = plan_command(inv, Console())
    for line in plan_lines(outcome.plan, outcome.manifest, outcome.selected):
        click.echo(line)
    return 0


@cli.command(name="compile")
@common_options
@selection_options
@state_options
@handle_errors
def compile_(project_dir, profiles_dir, target, vars_, debug, select, exclude) -> int:
    """Render models to target/compiled/ and write target/manifest.json."""
    import time

    from elt.cli.compile_command import compile_command
    from elt.report.console import Console

    start = time.perf_counter()
    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    summary = compile_command(inv, console)
    found = ", ".join(f"{n} {k}s" for k, n in sorted(summary.kinds.items()))
    done = ("nothing changed since the last compile: kept" if summary.unchanged else "wrote")
    click.echo(f"Compiled {summary.models} model(s) for target {summary.target_name!r} ({summary.target_type}) "
               f"in {time.perf_counter() - start:.2f}s; project has {found}; {done} "
               f"{summary.target_path}/compiled/ and manifest.json")
    return 0


@cli.command(name="ls")
@common_options
@selection_options
@state_options(defer=False)
@click.option("--resource-type", "resource_types", multiple=True,
              type=click.Choice(["model", "seed", "snapshot", "source", "test"]),
              help="Only these kinds (default: all).")
@click.option("--output", type=click.Choice(["name", "path", "relation", "json"]), default="name",
              help="What to print for each node.")
@handle_errors
def ls(project_dir, profiles_dir, target, vars_, debug, select, exclude, resource_types, output) -> int:
    """List the selected nodes in dependency order."""
    import json

    from elt.cli.inspect_commands import list_command
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    types = set(resource_types) or {"model", "seed", "snapshot", "source", "test"}
    for uid in list_command(inv, console, types):
        node = console.nodes[uid]
        if output == "json":
            click.echo(json.dumps({"unique_id": uid, "name": node.name, "resource_type": node.resource_type,
                                   "path": node.path, "relation": str(node.relation or ""),
                                   "materialized": node.materialized, "tags": list(node.tags)}))
        elif output == "path":
            click.echo(node.path)
        elif output == "relation":
            click.echo(str(node.relation or f"(ephemeral) {node.name}"))
        else:
            click.echo(f"{node.source_name}.{node.name}" if node.resource_type == "source" else node.name)
    return 0


@cli.command()
@common_options
@selection_options
@state_options(defer=False)
@handle_errors
def clone(project_dir, profiles_dir, target, vars_, debug, select, exclude) -> int:
    """Views on the --state run's relations for the selected models, seeds and snapshots this target lacks."""
    from elt.cli.clone_command import clone_command
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    results = clone_command(inv, console)
    for result in results:
        console.info(f"{result.action} {result.relation}: {result.detail}")
    counts = {action: sum(1 for r in results if r.action == action) for action in ("cloned", "kept", "skipped")}
    console.info(f"Cloned {counts['cloned']}, kept {counts['kept']} existing, skipped {counts['skipped']}.")
    return 0


@cli.command()
@common_options
@handle_errors
def debug(project_dir, profiles_dir, target, vars_, debug) -> int:
    """Check the project, the profile and the connection."""
    from elt.cli.inspect_commands import debug_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    ok = True
    for check, passed, detail in debug_command(inv):
        mark = click.style("OK   ", fg="green") if passed else click.style("FAIL ", fg="red")
        click.echo(f"{mark} {check}: {detail}")
        ok = ok and passed
    return 0 if ok else 2


@cli.command()
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder (default: the current folder).")
@click.option("--debug", is_flag=True, default=False, help="Show tracebacks and debug details.")
@handle_errors
def deps(project_dir, debug) -> int:
    """Install the packages of packages.yml (local, git, hub) into dbt_packages/."""
    from elt.project.config import load_project_config
    from elt.project.deps import install

    config = load_project_config((project_dir or Path.cwd()).resolve())
    installed = install(config)
    if not installed:
        click.echo("No packages to install (no packages.yml or dependencies.yml lists any).")
    for item in installed:
        pinned = f" at {item.pinned}" if item.pinned else ""
        click.echo(f"Installed {item.name} ({item.how} from {item.spec.describe()}{pinned})")
    if installed:
        click.echo(f"{len(installed)} package(s) in {config.packages_install_path}/; wrote package-lock.yml")
    return 0


@cli.command()
@common_options
@handle_errors
def clean(project_dir, profiles_dir, target, vars_, debug) -> int:
    """Remove the project's clean-targets (by default its target folder)."""
    from elt.cli.clean_command import clean_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    removed = clean_command(inv)
    for path in removed:
        click.echo(f"removed {path}")
    if not removed:
        click.echo("nothing to clean")
    return 0


def _register_subcommands() -> None:
    # Command groups that live with their feature; importing them loads only click.
    from elt.docs.cli import docs
    from elt.orchestration.cli import airflow, schedule

    cli.add_command(docs)
    cli.add_command(airflow)
    cli.add_command(schedule)


_register_subcommands()


@cli.command()
@common_options
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Nodes built at once.")
@wait_option
@console_options
@handle_errors
def retry(project_dir, profiles_dir, target, vars_, debug, threads, wait) -> int:
    """Rerun the nodes that failed or were skipped in the last run, with its command and vars."""
    from elt.cli.build_commands import retry_command

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    inv.wait = wait
    console = make_console()
    return _finish(console, retry_command(inv, console, threads=threads), inv.debug,
                   "Nothing to retry: every node of the last run succeeded.")


@cli.command()
@common_options
@selection_options
@click.option("--from", "from_target", required=True, help="Target to read from (e.g. prod, on Hive).")
@click.option("--partitions", type=click.IntRange(min=1), default=None, help="Only the last N partitions.")
@click.option("--where", default=None, help="Only rows meeting this condition (project dialect).")
@click.option("--sample", type=click.FloatRange(min=0, max=100, min_open=True), default=None,
              help="Percent of the rows, drawn at random.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N rows per relation.")
@click.option("--max-rows", type=click.IntRange(min=1), default=None,
              help="Refuse a relation giving more rows than this (default 5,000,000) unless --limit caps it.")
@click.option("--refresh", is_flag=True, help="Pull again what was pulled with the same limits.")
@click.option("--batch-rows", type=click.IntRange(min=1), default=50_000, help="Rows per fetch and insert.")
@handle_errors
def pull(project_dir, profiles_dir, target, vars_, debug, select, exclude, from_target, partitions, where,
         sample, limit, max_rows, refresh, batch_rows) -> int:
    """Copy what the selection reads (default: every source and seed) from --from into the local target."""
    from elt.cli.pull_command import run_pull

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    return run_pull(inv, from_target, {"partitions": partitions, "where": where, "sample": sample,
                                       "limit": limit}, max_rows=max_rows, refresh=refresh, batch_rows=batch_rows)


@cli.command()
@common_options
@click.argument("model", required=False)
@click.option("--relation", default=None, help="Compare this relation (SCHEMA.NAME) instead of a model's.")
@click.option("--against", default=None, help="The reference target (default: --target).")
@click.option("--against-relation", default=None, help="The reference relation (default: the model's in --against).")
@click.option("--key", default=None, help="Columns identifying a row, comma-separated (default: the model's "
              "unique_key, else a column with a unique test).")
@click.option("--examples", type=click.IntRange(min=0), default=3, help="Example rows per difference.")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", help="Output.")
@handle_errors
def diff(project_dir, profiles_dir, target, vars_, debug, model, relation, against, against_relation, key,
         examples, format_) -> int:
    """Compare a model's relation in two targets (or two relations): columns, counts, rows by key.
    Exit 0 when identical, 1 when different, 2 on errors."""
    from elt.cli.diff_command import DiffRequest, diff_command
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug)
    request = DiffRequest(model, relation, against, against_relation, key, examples)
    found = diff_command(inv, Console(), request)
    if format_ == "json":
        import json

        click.echo(json.dumps(found.to_json(), indent=2, default=str))
    else:
        from elt.diff.result import text_lines

        click.echo("\n".join(text_lines(found)))
    return 0 if found.identical else 1


@cli.group()
def source() -> None:
    """Sources: freshness checks."""


@source.command(name="freshness")
@common_options
@selection_options
@handle_errors
def source_freshness(project_dir, profiles_dir, target, vars_, debug, select, exclude) -> int:
    """Check how old each source's newest row is; exit 1 past an error_after threshold."""
    from elt.cli.inspect_commands import freshness_command
    from elt.report.console import Console

    inv = make_invocation(project_dir, profiles_dir, target, vars_, debug, select, exclude)
    console = Console()
    results, path = freshness_command(inv, console)
    if not results:
        console.info("No source declares loaded_at_field and freshness.")
        return 0
    bad = [r for r in results if r.status in ("error", "runtime error")]
    console.info(f"{len(results)} source(s) checked, {len(bad)} past error thresholds or failing; wrote {path}")
    return 1 if bad else 0


def main() -> None:
    """The `elt` command."""
    import gc

    try:
        cli(prog_name="elt")
    finally:
        # The process ends here: the collection Python runs while exiting need not walk everything
        # the command left alive (a quarter of a second after a 5000-model compile).
        gc.freeze()


if __name__ == "__main__":
    main()
