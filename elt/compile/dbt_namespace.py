"""dbt's cross-database macros (`dbt.dateadd`, `dbt.type_string`, ...) for the project's dialect.

dbt-core ships these as macros of its internal `dbt` package, each dispatching to `<adapter>__name`
then `default__name`; dbt_utils, dbt_date and many projects call them. elt ships its own, as Jinja
macros in `dbt_macros/*.sql`, loaded before the project's macros. They are chosen by the project's
*dialect*, not the target's engine: a model's SQL is written in the project dialect whatever engine
runs it (a Hive project's `dbt.dateadd` writes Hive SQL, translated for DuckDB like the rest of the
model). The Hive variants are written so that Hive, Spark and elt's DuckDB translation return the same
values; where Hive cannot say what dbt means (an ordered listagg), they raise an error naming it.

Each `name(...)` macro calls `_dbt_dispatch('name')`, which looks for `<prefix>__name` with the
dialect's prefixes (elt.dialects.names.macro_prefixes: hive, spark, default for a Hive project), first
among the project's own macros (so a project overrides `default__dateadd` as in dbt), then among the
shipped ones. `dbt.name` is always the shipped `name`; an unqualified `name(...)` is the project's own
macro of that name when it has one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from elt.dialects.names import macro_prefixes
from elt.errors import TemplateError

#: Prefix of the template names of the shipped macro files. No `.sql` ending: an error raised inside
#: them is reported at the line of the model or macro that called them (templating._template_line).
PATH_PREFIX = "<dbt macros: "

_FOLDER = "dbt_macros"

#: dbt's date parts, as the macros accept them (quotes and case are ignored, as dbt's adapters do).
DATEPARTS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond",
             "microsecond")


@functools.cache
def templates() -> dict[str, str]:
    """Template name -> text of every shipped macro file."""
    folder = resources.files("elt.compile").joinpath(_FOLDER)
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            found[f"{PATH_PREFIX}{entry.name}>"] = entry.read_text(encoding="utf-8")
    return found


_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")


@functools.cache
def _macro_files() -> dict[str, str]:
    """Macro name -> the template that defines it."""
    return {name: path for path, text in templates().items() for name in _MACRO.findall(text)}


class ShippedMacros:
    """The shipped macros, each file compiled when one of its macros is first used: Jinja takes about a
    second to compile them all, which a project that does not call them should not pay.

    Args:
        make_module: compiles a template (name, text) into a module whose context is the renderer's
            namespace (as the project's macro files are).
        namespace: the renderer's names: a shipped macro's name holds a stand-in until its file is
            compiled, then the macro, unless the project defined its own.
    """

    def __init__(self, make_module: Callable[[str, str], Any], namespace: dict[str, Any]) -> None:
        self._make_module = make_module
        self._namespace = namespace
        self._macros: dict[str, Any] = {}
        self._loaded: set[str] = set()

    def install(self, macro_files: dict[str, str]) -> None:
        """Put a stand-in for each shipped macro in the namespace (before the project's macros load)."""
        for name, path in _macro_files().items():
            self._namespace[name] = _StandIn(self, name)
            macro_files[name] = path

    def get(self, name: str) -> Any:
        """The shipped macro `name` (its file compiled now if it was not), or None."""
        path = _macro_files().get(name)
        if path is None:
            return None
        if path not in self._loaded:
            self._loaded.add(path)
            module = self._make_module(path, templates()[path])
            for each in _MACRO.findall(templates()[path]):
                macro = getattr(module, each)
                self._macros[each] = macro
                if isinstance(self._namespace.get(each), _StandIn):
                    self._namespace[each] = macro
        return self._macros.get(name)


class _StandIn:
    """A shipped macro in the namespace before its file is compiled: calling it compiles the file."""

    def __init__(self, shipped: ShippedMacros, name: str) -> None:
        self._shipped = shipped
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._shipped.get(self.name)(*args, **kwargs)


class DbtNamespace:
    """`{{ dbt.name(...) }}`: the shipped macro `name`, whatever the project defines.

    A name that is not a shipped macro falls back to the context's own name (`dbt.run_query`,
    `dbt.is_incremental`), as dbt's global namespace has those too; anything else is an error
    naming it.
    """

    def __init__(self, shipped: ShippedMacros, namespace: Mapping[str, Any]) -> None:
        self._shipped = shipped
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        found = self._shipped.get(name)
        if found is None:
            found = self._namespace.get(name)
        if found is None:
            raise TemplateError(
                f"dbt.{name} is not a macro elt provides",
                hint="elt ships dbt's cross-database macros (dbt.dateadd, dbt.type_string, ...); write the "
                     "SQL directly, or define the macro in the project's macros/")
        return found


def dispatcher(dialect: str, namespace: Mapping[str, Any], macro_files: Mapping[str, str],
               shipped: ShippedMacros) -> Callable[[str], Any]:
    """The `_dbt_dispatch(name)` the shipped macros call: the implementation of `name` for `dialect`.

    Args:
        namespace: the renderer's names (the project's macros replace shipped ones of the same name).
        macro_files: macro name -> the template it was defined in.
        shipped: the shipped macros.
    """
    prefixes = macro_prefixes(dialect)

    def dispatch(name: str) -> Any:
        for prefix in prefixes:  # the project's own implementations first, as dbt searches the root project
            candidate = f"{prefix}__{name}"
            if candidate in macro_files and not macro_files[candidate].startswith("<"):
                return namespace[candidate]
        for prefix in prefixes:
            found = shipped.get(f"{prefix}__{name}")
            if found is not None:
                return found
        searched = ", ".join(f"{prefix}__{name}" for prefix in prefixes)
        raise TemplateError(f"dbt.{name}: no implementation for the {dialect} dialect (searched {searched})",
                            hint=f"define one of them in the project's macros/ ({prefixes[0]}__{name})")

    return dispatch


# -- helpers the shipped macros call ----------------------------------------------------------------

_INT = re.compile(r"^\s*\(?\s*([-+]?)\s*(\d+)\s*\)?\s*$")


def int_literal(value: Any) -> int | None:
    """The integer `value` is, when it is one (an int, or SQL text of an integer literal), else None.

    >>> int_literal(3), int_literal("-1"), int_literal(" ( 7 ) "), int_literal("n - 1"), int_literal(True)
    (3, -1, 7, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _INT.match(str(value))
    if match is None:
        return None
    number = int(match.group(2))
    return -number if match.group(1) == "-" else number


def datepart(value: Any, macro: str, allowed: tuple[str, ...] = DATEPARTS) -> str:
    """A date part as dbt's macros take it ('day', day, "'day'", 'DAY'), checked: the lower-case name.

    Raises:
        TemplateError: not one of `allowed`, naming the macro.
    """
    part = str(value).strip().strip("'\"").strip().lower()
    if part.endswith("s") and part[:-1] in allowed:
        part = part[:-1]
    if part not in allowed:
        raise TemplateError(f"dbt.{macro}: date part {value!r} is not supported here",
                            hint=f"use one of: {', '.join(allowed)}")
    return part


def regex_literal(value: Any, macro: str) -> str:
    """A SQL string literal ('x') as a string literal of the Java regex matching it exactly, in Hive's
    string syntax (backslashes doubled): Hive's split() takes a regex where dbt's split_part takes text.

    >>> regex_literal("'|'", "split_part"), regex_literal("','", "split_part")
    ("'\\\\\\\\|'", "','")

    Raises:
        TemplateError: `value` is not a string literal (a column: the regex would be built at run time).
    """
    text = str(value).strip()
    if len(text) < 2 or text[0] != "'" or text[-1] != "'" or "'" in text[1:-1].replace("''", ""):
        raise TemplateError(f"dbt.{macro}: the delimiter must be a string literal such as ',' on Hive, "
                            f"got {value!r}", hint="Hive splits on a regular expression, built from the literal")
    plain = text[1:-1].replace("''", "'")
    escaped = re.sub(r"([\\.\[\]{}()*+?^$|])", r"\\\1", plain)
    return "'" + escaped.replace("\\", "\\\\").replace("'", "\\'") + "'"


def refuse(macro: str, why: str, hint: str) -> None:
    """Raise the error of a shipped macro asked for what the dialect cannot say."""
    raise TemplateError(f"dbt.{macro}: {why}", hint=hint)


#: The helpers, as the shipped macros name them.
HELPERS: dict[str, Any] = {
    "_dbt_int": int_literal,
    "_dbt_datepart": datepart,
    "_dbt_regex_literal": regex_literal,
    "_dbt_refuse": refuse,
}
