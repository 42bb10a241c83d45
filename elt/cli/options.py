"""Options and error handling shared by every `elt` command (kept apart so feature modules can
define their own commands without importing `elt.cli`)."""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every project command takes."""
    options = [
        click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Project folder (default: the current folder)."),
        click.option("--profiles-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder holding profiles.yml (default: project folder, then ~/.elt)."),
        click.option("-t", "--target", default=None, help="Target in the profile (default: its `target`)."),
        click.option("--vars", "vars_", default=None, help="YAML mapping overriding [tool.elt.vars]."),
        click.option("--debug", is_flag=True, default=False, help="Show tracebacks and debug details."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


class _Selectors(click.Option):
    """A repeatable option that also takes the values after it, up to the next option, as dbt's
    `--select`/`--exclude` do: `-s a b --threads 2` is `-s a -s b --threads 2`.

    click options take a fixed number of values, so the option's parser entry is wrapped to consume
    the following arguments that do not start with `-` (dbt's MultiOption does the same). Where
    click's parser is not shaped as expected, the option stays plain (`-s a -s b`).
    """

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for opt in self.opts:
            entry = getattr(parser, "_long_opt", {}).get(opt) or getattr(parser, "_short_opt", {}).get(opt)
            if entry is not None and hasattr(entry, "process"):
                entry.process = _taking_following(entry.process)


def _taking_following(process: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def take(value: Any, state: Any) -> None:
        process(value, state)
        following = getattr(state, "rargs", None)
        while following and not following[0].startswith("-"):
            process(following.pop(0), state)

    return take


def selection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--exclude", cls=_Selectors, multiple=True,
                      help="Selectors to leave out (several may follow one --exclude).")(fn)
    return click.option("-s", "--select", cls=_Selectors, multiple=True,
                        help="Selectors: name, +name, name+, n+name, tag:x, path:dir, config.k:v; "
                             "space-separated = union, comma-joined = intersection; several may "
                             "follow one -s.")(fn)


#: where the state options are kept on click's context (they are not parameters of the commands).
_STATE_META = "elt.state_options"


def state_options(fn: Callable[..., Any] | None = None, *, defer: bool = True) -> Any:
    """--state DIR (another run's manifest.json: `state:` selectors), and with `defer`, --defer and
    --favor-state. They reach the Invocation through click's context (`make_invocation`), not as
    parameters of the command."""
    def keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault(_STATE_META, {})[param.name] = value
        return value

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if defer:
            fn = click.option("--favor-state", is_flag=True, expose_value=False, callback=keep,
                              help="With --defer: read the state's relation even where this target has one.")(fn)
            fn = click.option("--defer", is_flag=True, expose_value=False, callback=keep,
                              help="A ref to a node not selected and not built in this target reads the "
                                   "state's relation (needs --state).")(fn)
        return click.option("--state", type=click.Path(path_type=Path), expose_value=False, callback=keep,
                            default=None, help="Folder of another run's manifest.json (e.g. production's "
                                               "target/), for state: selectors and --defer.")(fn)

    return decorate(fn) if fn is not None else decorate


def handle_errors(fn: Callable[..., int]) -> Callable[..., None]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from elt.compile.fast import heap
        from elt.errors import EltError
        from elt.secrets import masked_streams

        meta = click.get_current_context().meta
        debug = kwargs.get("debug") or (click.get_current_context().find_root().params.get("debug"))
        configure_logging(bool(debug))
        start_invocation(click.get_current_context().info_name or "", kwargs, bool(debug), meta)
        with masked_streams():  # ELT_SECRET_* values never reach the terminal or a CI log
            try:
                with heap.frozen():  # the compiled project stays out of the collector's walks (elt.compile.fast.heap)
                    code = fn(*args, **kwargs)
            except EltError as exc:
                console = _close_console(meta)
                if debug:
                    traceback.print_exc()
                if console is None and meta.get(_LOG_FORMAT) == "json":
                    from elt.report.json_events import JsonConsole

                    console = JsonConsole()
                if console is not None:
                    console.error(exc)
                else:
                    from elt.report.console import print_error

                    print_error(exc)
                sys.exit(exc.exit_code)
            except KeyboardInterrupt:
                # Ctrl-C outside a run's walk of the plan (which handles it: elt.run.interrupts).
                _close_console(meta)
                if debug:
                    traceback.print_exc()
                click.secho("Interrupted.", fg="yellow", err=True)
                sys.exit(130)
            except Exception:  # noqa: BLE001 - a bug: its traceback is printed, inside the masking
                # A bug keeps its traceback, printed here so that secrets in it are masked too.
                _close_console(meta)
                traceback.print_exc()
                sys.exit(1)
            _close_console(meta)
            sys.exit(code)

    return wrapper


#: where `console_options` and `make_console` keep their state in the click context's `meta`.
_QUIET, _LOG_FORMAT, _CONSOLE = "elt.quiet", "elt.log_format", "elt.console"


def console_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--quiet and --log-format, for the commands that report a run's progress (`make_console` reads
    them; the command function does not take them, so its signature stays as it was)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        meta = click.get_current_context().meta
        meta[_QUIET], meta[_LOG_FORMAT] = kwargs.pop("quiet"), kwargs.pop("log_format")
        return fn(*args, **kwargs)

    wrapper = click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
                           help="text: lines for people (a live progress line on a terminal); json: one JSON "
                           "object per event on stdout, for machines.")(wrapper)
    return click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")(wrapper)


def make_console() -> Any:
    """The console for this command's options: JSON events, quiet lines, a live progress line on a
    terminal (not with --debug), or a line per event (in a pipe, a file or a CI log)."""
    from elt.report import progress
    from elt.report.console import Console

    meta = click.get_current_context().meta
    console: Console
    if meta.get(_LOG_FORMAT) == "json":
        from elt.report.json_events import JsonConsole

        console = JsonConsole()
    elif meta.get(_QUIET):
        console = Console(quiet=True)
    elif progress.wanted() and not logging.getLogger("elt").isEnabledFor(logging.DEBUG):
        # (--debug's log lines on the terminal would break into the redrawn line: plain lines then)
        console = progress.ProgressConsole()
    else:
        console = Console()
    console.command = click.get_current_context().info_name  # run_started says it again, for a run
    meta[_CONSOLE] = console
    return console


def _close_console(meta: dict[str, Any]) -> Any:
    """The command's console (`make_console`), closed (a progress line erased), or None."""
    console = meta.get(_CONSOLE)
    if console is not None:
        console.close()
    return console


#: Commands whose stdout is data to be read by a program (`elt ls --output json`, `elt docs graph
#: --format json`): a model's `log(..., info=True)` and `print()` lines go to stderr there.
_DATA_ON_STDOUT = frozenset({"ls", "list", "graph", "lineage"})


def start_invocation(which: str, options: dict[str, Any], debug: bool, meta: dict[str, Any] | None = None) -> None:
    """The command's name and flags as Jinja's `flags`, a new `invocation_id`, and `log(..., info=True)`
    lines printed (elt.compile.context_names) by the command's console (`make_console`) once it has one:
    `meta` is the click context's, read at each line (models render in worker threads, where click has
    no current context)."""
    from elt.compile.context_names import start_invocation as start
    from elt.report.console import jinja_line

    def printer(kind: str, text: str) -> None:
        console = (meta or {}).get(_CONSOLE)
        if console is not None:
            console.model_line(kind, text)
        else:  # where stdout is the command's data (a list, a graph), a model's lines would corrupt it
            jinja_line(kind, text, err=which in _DATA_ON_STDOUT)

    flags: dict[str, Any] = {key: options[key] for key in ("full_refresh", "fail_fast", "threads") if key in options}
    start(which, {**flags, "debug": debug}, printer)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the `sys.stderr` of the moment (as logging.lastResort does), so a command run
    in-process with its streams swapped (click's CliRunner) logs to its own stderr."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


def configure_logging(debug: bool) -> None:
    """With --debug, show the debug messages of elt's loggers (`logging.getLogger("elt...")`) on
    stderr; without it, leave them to Python's default (warnings and errors only).

    Called at the start of every command, so an in-process run without --debug after one with it
    (tests) is quiet again.
    """
    logger = logging.getLogger("elt")
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    if not debug:
        logger.setLevel(logging.NOTSET)
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s debug %(name)s: %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def make_invocation(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None,
                debug: bool, select: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Any:
    from elt.cli.invocation import Invocation, parse_vars

    ctx = click.get_current_context()
    root_debug = bool(ctx.find_root().params.get("debug"))
    state = ctx.meta.get(_STATE_META, {})
    if state.get("defer") and state.get("state") is None:
        from elt.errors import ProjectError

        raise ProjectError("--defer reads the relations of another run's manifest, and no --state was given",
                           hint="add --state DIR, the folder holding that run's manifest.json")
    if state.get("favor_state") and not state.get("defer"):
        from elt.errors import ProjectError

        raise ProjectError("--favor-state only changes what --defer reads", hint="add --defer (and --state DIR)")
    return Invocation(
        project_dir=(project_dir or Path.cwd()).resolve(), profiles_dir=profiles_dir, target=target,
        vars=parse_vars(vars_), select=tuple(select), exclude=tuple(exclude), debug=debug or root_debug,
        state_path=state.get("state"), defer=bool(state.get("defer")), favor_state=bool(state.get("favor_state")),
    )


def wait_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--wait", is_flag=True, help="If another run writes to this target, wait for it "
                        "instead of failing.")(fn)


def incremental_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--full-refresh, --start, --end (backfills); `apply_incremental` puts them on the Invocation."""
    fn = click.option("--end", default=None, help="Backfill: last day (ISO date), sets var('end').")(fn)
    fn = click.option("--start", default=None, help="Backfill: first day (ISO date), sets var('start'); "
                      "models with batch_size run once per day or month.")(fn)
    return click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")(fn)


def apply_incremental(inv: Any, full_refresh: bool, start: str | None, end: str | None) -> None:
    import datetime

    from elt.errors import ProjectError

    inv.full_refresh = full_refresh
    if start or end:
        try:
            first = datetime.date.fromisoformat(start or end or "")
            last = datetime.date.fromisoformat(end or start or "")
        except ValueError:
            raise ProjectError(f"--start/--end must be ISO dates (YYYY-MM-DD), got {start!r} / {end!r}") from None
        if last < first:
            raise ProjectError(f"--end {last} is before --start {first}")
        both = sorted({"start", "end"} & set(inv.vars))
        if both:
            raise ProjectError(f"--start/--end and --vars both set {' and '.join(both)}",
                               hint="give the backfill interval one way: --start/--end, or --vars")
        inv.start, inv.end = first.isoformat(), last.isoformat()
        inv.vars = {**inv.vars, "start": inv.start, "end": inv.end}


def plan_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--plan / --plan-all (with --state): build what `elt plan` says a change reaches, or every descendant."""
    fn = click.option("--plan-all", is_flag=True, help="With --state: build every changed model and all its "
                      "descendants (state:modified+), whatever the change reaches.")(fn)
    return click.option("--plan", "plan", is_flag=True, help="With --state: build only what the changes against "
                        "the state reach (see `elt plan`).")(fn)


def apply_plan(inv: Any, plan: bool, plan_all: bool) -> None:
    """Put --state and --plan / --plan-all on the Invocation, refusing what does not go together."""
    from elt.errors import ProjectError

    if plan and plan_all:
        raise ProjectError("--plan and --plan-all cannot be given together",
                           hint="--plan builds what the changes reach; --plan-all every descendant of a change")
    if (plan or plan_all) and inv.state_path is None:
        raise ProjectError(f"{'--plan' if plan else '--plan-all'} needs --state DIR",
                           hint="give the target/ folder of the run to compare with (e.g. production's)")
    inv.plan = "reach" if plan else "all" if plan_all else None
