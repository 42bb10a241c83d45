"""Macro namespaces of packages, and `adapter.dispatch`.

The rules are dbt's:
- the root project's macros are called unqualified, from everywhere;
- a package's macros are called as `<package>.<macro>(...)` (`dbt_utils.star(...)`), from everywhere,
  and unqualified from inside the same package (its macros and models), where they win over the root
  project's of the same name: a project overrides a package's macro only through `adapter.dispatch`;
- `adapter.dispatch(name, macro_namespace)` returns the first of `<prefix>__<name>` found in the
  packages of the project's `dispatch:` search order for that namespace (else the root project, then
  the namespace itself; else, with no namespace, the calling package's scope), with the prefixes of the
  project's dialect (`elt.dialects.names.macro_prefixes`: hive__, spark__, default__ for Hive SQL).

`Renderer._load_macros` (elt.compile.templating) asks `MacroNamespaces.scope` which namespace a macro
file's macros are defined in and hands each macro to `MacroNamespaces.add`.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import threading
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from elt.errors import TemplateError
from elt.project.config import ProjectConfig
from elt.project.packages import package_folders, package_of

#: the namespace of dbt's own macros (`dbt.dateadd`): searched in the render's scope, then as `dbt`.
DBT_NAMESPACE = "dbt"


class PackageMacros:
    """`dbt_utils` in a template: one package's macros as attributes."""

    def __init__(self, name: str, macros: dict[str, Any]) -> None:
        self._name = name
        self._macros = macros

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__") or key.startswith("jinja_"):  # Python's and Jinja's own probes
            raise AttributeError(key)
        try:
            return self._macros[key]
        except KeyError:
            names = self._macros.names() if isinstance(self._macros, _LazyMacros) else sorted(self._macros)
            close = difflib.get_close_matches(key, names, n=3)
            hint = f"did you mean {', '.join(f'{self._name}.{c}' for c in close)}?" if close else None
            raise TemplateError(f"package {self._name!r} has no macro {key!r}", hint=hint) from None

    def get(self, key: str) -> Any:
        return self._macros.get(key)

    def __repr__(self) -> str:
        return f"<macros of package {self._name}>"


class MacroNamespaces:
    """Which namespace each macro lives in, for one renderer.

    Args:
        project: the root project (its name, dialect, `dispatch:` and install path).
        namespace: the renderer's shared namespace (the root project's scope), which gains a
            `PackageMacros` per package (and one under the project's own name), and `adapter` with
            `dispatch` when nothing else put an `adapter` there.
    """

    def __init__(self, project: ProjectConfig, namespace: dict[str, Any]) -> None:
        self._project = project
        self._namespace = namespace
        self._folders = package_folders(project)
        self.root_macros: dict[str, Any] = {}
        self.packages: dict[str, dict[str, Any]] = {name: _LazyMacros(self, name) for name in self._folders.values()}
        #: package -> macro name -> the file defining it, for the files not compiled yet.
        self._pending: dict[str, dict[str, str]] = {name: {} for name in self.packages}
        self._loader: Callable[[str], None] | None = None
        self._loading = threading.RLock()  # a file's macros may look up another file's while it is compiled
        self._scopes: dict[str, ChainMap[str, Any]] = {}
        self._lenient: Any = None
        #: model or seed name -> its package (None: the project's), for ref(package, name); set by the compiler.
        self.node_packages: dict[str, str | None] = {}
        for name, macros in self.packages.items():
            namespace[name] = PackageMacros(name, macros)
        namespace.setdefault(project.name, PackageMacros(project.name, self.root_macros))
        # packages' generic tests ask it (dbt_utils' expression_is_true): elt stores no failing rows.
        namespace.setdefault("should_store_failures", lambda: False)

    def package_of(self, rel_path: str) -> str | None:
        """The package a file belongs to (None: the root project)."""
        return package_of(self._folders, rel_path) if self._folders else None

    def defer(self, rel_path: str, text: str, load: Callable[[str], None]) -> bool:
        """Leave a package's macro file to be compiled when one of its macros is first looked up (with
        `load(rel_path)`): compiling dbt_utils' 51 files with Jinja costs about a second, and a project
        calls a few of them. Returns False for the project's own files, which are compiled at once.

        Raises:
            TemplateError: the package defines one macro name in two files.
        """
        package = self.package_of(rel_path)
        if package is None:
            return False
        self._loader = load
        pending = self._pending[package]
        for name in _MACRO_NAME.findall(text):
            other = pending.get(name)
            if other is not None and other != rel_path:
                raise TemplateError(f"macro {package}.{name} is defined twice: in {other} and {rel_path}",
                                    path=rel_path)
            pending[name] = rel_path
        return True

    def _load(self, package: str, name: str) -> bool:
        """Compile the package file defining `name`, if one does; whether it did. Under a lock: the second
        renders of a run share a renderer across worker threads, and a thread must not find a macro gone
        from `pending` while another is still compiling its file."""
        with self._loading:
            pending = self._pending[package]
            rel_path = pending.get(name)
            if rel_path is None or self._loader is None:
                return False
            for other in [n for n, path in pending.items() if path == rel_path]:
                del pending[other]
            self._loader(rel_path)
            return True

    def environment(self, env: Any, rel_path: str) -> Any:
        """The Jinja environment a file is compiled in: the project's own files keep `env` (strict: an
        undefined name is an error); a package's renders undefined names empty, as dbt does for all
        code, because packages written for dbt rely on it (dbt_utils' equal_rowcount prints a
        variable it sets only in one branch)."""
        if self.package_of(rel_path) is None:
            return env
        if self._lenient is None:
            import jinja2

            self._lenient = env.overlay(undefined=jinja2.Undefined)
        return self._lenient

    def scope(self, rel_path: str) -> tuple[str | None, Mapping[str, Any]]:
        """(package, names) a file's templates see: a package's file sees its own macros first,
        then the root project's scope; a root project's file, the shared namespace."""
        package = self.package_of(rel_path)
        if package is None:
            return None, self._namespace
        scope = self._scopes.get(package)
        if scope is None:
            scope = self._scopes[package] = ChainMap(self.packages[package], self._namespace)
        return package, scope

    def add(self, package: str | None, name: str, macro: Any) -> None:
        """Define `macro` in the root project's scope (package None) or in `package`'s."""
        if package is None:
            self._namespace[name] = macro
            self.root_macros[name] = macro
        else:
            self.packages[package][name] = macro
            with contextlib.suppress(AttributeError):  # keys the compile cache's renders of its tests
                macro.elt_package = package

    def check_package(self, package: Any, model: Any) -> None:
        """`ref(package, model)`: the package is the project or an installed package.

        Raises:
            TemplateError: it is neither.
        """
        if package != self._project.name and package not in self.packages:
            known = ", ".join(sorted({self._project.name, *self.packages}))
            raise TemplateError(f"ref({package!r}, {model!r}): no package named {package!r}",
                                hint=f"packages: {known}; install packages with elt deps")
        if model in self.node_packages:
            owner = self.node_packages[model] or self._project.name
            if owner != package:
                raise TemplateError(f"ref({package!r}, {model!r}): {model!r} is in {owner!r}, not in {package!r}",
                                    hint=f"write ref({owner!r}, {model!r}), or ref({model!r})")

    # -- adapter.dispatch -------------------------------------------------------------------------

    def search_order(self, macro_namespace: str | None) -> list[str | None]:
        """The packages dispatch searches, in order (None: the caller's scope), as dbt decides them."""
        if macro_namespace is None:
            return [None]
        if not isinstance(macro_namespace, str):
            raise TemplateError(f"adapter.dispatch: macro_namespace must be a string, got {macro_namespace!r}")
        for entry in self._project.dispatch:
            if entry.get("macro_namespace") == macro_namespace:
                return list(entry.get("search_order") or [])
        if macro_namespace in self.packages:
            return [self._project.name, macro_namespace]
        if macro_namespace == DBT_NAMESPACE:
            return [None, DBT_NAMESPACE]
        return [None]

    def dispatcher(self) -> Callable[..., Any]:
        """`adapter.dispatch` for templates: with the Jinja context of the calling macro (pass_context),
        so that a dispatch without a namespace searches that macro's scope."""
        from jinja2 import pass_context

        def dispatch(context: Any, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
            return self.dispatch(context, macro_name, macro_namespace, packages)

        return pass_context(dispatch)

    def dispatch(self, caller: Any, macro_name: str, macro_namespace: str | None = None,
                 packages: Any = None) -> Any:
        """The macro `adapter.dispatch(macro_name, macro_namespace)` returns. `caller` is the Jinja
        context of the call (whose scope `None` in the search order means).

        Raises:
            TemplateError: a bad argument, a package of the search order that is not installed, or
                no implementation found (naming the macro, the namespace, what was searched and the
                model being rendered).
        """
        from elt.dialects.names import macro_prefixes

        if packages is not None:
            raise TemplateError("adapter.dispatch: `packages` is no longer supported (as in dbt)",
                                hint="use macro_namespace and the project's `dispatch:` search order")
        if not isinstance(macro_name, str) or "." in macro_name:
            namespace, _, name = str(macro_name).partition(".")
            raise TemplateError(f"adapter.dispatch: a macro name has no '.': got {macro_name!r}",
                                hint=f"write adapter.dispatch('{name}', macro_namespace='{namespace}')")
        prefixes = macro_prefixes(self._project.dialect)
        searched: list[str] = []
        for package in self.search_order(macro_namespace):
            for prefix in prefixes:
                candidate = f"{prefix}__{macro_name}"
                macro = self._lookup(caller, package, candidate)
                searched.append(candidate if package is None else f"{package}.{candidate}")
                if macro is not None:
                    return macro
        known = macro_namespace is None or macro_namespace in self.packages or macro_namespace in (
            DBT_NAMESPACE, self._project.name) or any(e.get("macro_namespace") == macro_namespace
                                                      for e in self._project.dispatch)
        unknown = "" if known else f" ({macro_namespace!r} is not an installed package)"
        raise TemplateError(
            f"adapter.dispatch found no implementation of {macro_name!r} in namespace "
            f"{macro_namespace!r}{unknown} for dialect {self._project.dialect} "
            f"(prefixes {', '.join(p + '__' for p in prefixes)}){_rendering()}; searched: {', '.join(searched)}",
            hint=f"define one of them (e.g. a macro default__{macro_name}), or install the package "
                 "that has it (elt deps)",
        )

    def _lookup(self, caller: Any, package: str | None, name: str) -> Any:
        if package is None:
            from jinja2.runtime import missing

            found = caller.resolve_or_missing(name) if caller is not None else self._namespace.get(name, missing)
            return None if found is missing else found
        if package == self._project.name:
            return self.root_macros.get(name)
        if package in self.packages:
            return self.packages[package].get(name)
        if package == DBT_NAMESPACE:
            dbt = self._namespace.get(DBT_NAMESPACE)
            try:
                return getattr(dbt, name, None) if dbt is not None else None
            except TemplateError:
                return None
        raise TemplateError(
            f"the dispatch search order names {package!r}, which is neither the project nor an installed "
            f"package{_rendering()}",
            hint=f"installed packages: {', '.join(sorted(self.packages)) or 'none'}; fix `dispatch:` in the "
                 "project file, or run elt deps",
        )


#: the names a macro file defines (after `{% test %}` blocks became `test_` macros).
_MACRO_NAME = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")


class _LazyMacros(dict[str, Any]):
    """A package's macros, compiling the file that defines a macro when the macro is first looked up
    (`in`, `[]` and `get`, as Jinja's and ChainMap's lookups use them)."""

    def __init__(self, namespaces: MacroNamespaces, package: str) -> None:
        super().__init__()
        self._namespaces = namespaces
        self._package = package

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        if not isinstance(key, str):
            return False
        # Loaded here, or by another thread of the run meanwhile (_load waits for it): either way in self now.
        self._namespaces._load(self._package, key)
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def names(self) -> list[str]:
        """Every macro name, compiled or not."""
        return sorted({*dict.keys(self), *self._namespaces._pending[self._package]})


def node_packages(project: Any) -> dict[str, str | None]:
    """Model and seed name -> the package it comes from (None: the project's own), of a loaded Project."""
    return {node.name: node.package_name for nodes in (project.models, project.seeds) for node in nodes.values()}


def _rendering() -> str:
    """' while rendering <model>' for the render in progress (empty outside one)."""
    from elt.compile.templating import _current

    state = _current.get(None)
    return f" while rendering {state.model_name!r} ({state.path})" if state is not None else ""

