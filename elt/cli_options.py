"""Options and error handling shared by every `elt` command (kept apart so feature modules can
define their own commands without importing `elt.cli`)."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
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


def _selection(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--exclude", multiple=True, help="Selectors to leave out.")(fn)
    return click.option("-s", "--select", multiple=True,
                        help="Selectors: name, +name, name+, n+name, tag:x, path:dir, config.k:v; "
                             "space-separated = union, comma-joined = intersection.")(fn)


def _handle_errors(fn: Callable[..., int]) -> Callable[..., None]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from elt.errors import EltError

        debug = kwargs.get("debug") or (click.get_current_context().find_root().params.get("debug"))
        try:
            code = fn(*args, **kwargs)
        except EltError as exc:
            from elt.console import print_error

            if debug:
                traceback.print_exc()
            print_error(exc)
            sys.exit(exc.exit_code)
        sys.exit(code)

    return wrapper


def _invocation(project_dir: Path | None, profiles_dir: Path | None, target: str | None, vars_: str | None,
                debug: bool, select: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Any:
    from elt.tasks import Invocation, parse_vars

    root_debug = bool(click.get_current_context().find_root().params.get("debug"))
    return Invocation(
        project_dir=(project_dir or Path.cwd()).resolve(), profiles_dir=profiles_dir, target=target,
        vars=parse_vars(vars_), select=tuple(select), exclude=tuple(exclude), debug=debug or root_debug,
    )


def _wait(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--wait", is_flag=True, help="If another run writes to this target, wait for it "
                        "instead of failing.")(fn)
