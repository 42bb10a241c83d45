"""Jinja in a yml source's `schema` and `identifier`, rendered as dbt renders them when it reads the file.

dbt projects commonly write `schema: "{{ target.schema }}_raw"` or `schema: "{{ var('raw_schema') }}"`.
The names may use `target` (the chosen output's non-secret settings, `target.name`), `var()` (the project's
vars and --vars) and `env_var()`; anything else is an error naming the file and line. A name without
Jinja is returned as it is, without reading the profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elt.errors import ProjectError
from elt.project.config import ProjectConfig, TargetConfig, env_var


class TargetValues(dict[str, Any]):
    """`target` where elt renders Jinja outside models (a source name, a dbt_project.yml value): the
    output's settings, read as attributes (`target.schema`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def target_context(config: ProjectConfig, target: TargetConfig) -> dict[str, Any]:
    """What `target` gives in a source name: the output's non-secret settings with elt's defaults filled
    in (`schema`, `database`), its `name` and the `profile_name`."""
    return {**target.public_settings(), "name": target.name, "type": target.type, "schema": target.schema,
            "database": target.database, "threads": target.threads, "profile_name": config.profile}


def render_name(value: str, config: ProjectConfig, target: Callable[[], dict[str, Any]], rel: str,
                line: int | None) -> str:
    """`value` with its Jinja rendered (`target` is called only when the value names it).

    Raises:
        ProjectError: an undefined name, an unset var or env var, bad Jinja (naming `rel` and `line`).
    """
    if "{{" not in value and "{%" not in value:
        return value
    import jinja2

    def var(name: str, default: Any = None) -> Any:
        if name in config.vars:
            return config.vars[name]
        if default is None:
            raise ProjectError(f"var {name!r} is not set", path=rel, line=line,
                               hint=f"set it in the project's vars, or give a default: var('{name}', ...)")
        return default

    context: dict[str, Any] = {"var": var, "env_var": lambda n, d=None: env_var(n, d, path=rel)}
    if "target" in value:
        context["target"] = TargetValues(target())
    try:
        return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(value).render(context).strip()
    except ProjectError as exc:
        exc.line = exc.line or line
        raise
    except jinja2.UndefinedError as exc:
        raise ProjectError(f"cannot render {value!r}: {exc.message}", path=rel, line=line,
                           hint="a source's schema and identifier may use target, var() and env_var()") from None
    except jinja2.TemplateError as exc:
        raise ProjectError(f"cannot render {value!r}: {exc}", path=rel, line=line) from None
