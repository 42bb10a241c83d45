"""Rendering with the compile cache: a render is taken from the cache while what it read still holds.

`CachedRenderer` stands in for `templating.Renderer` during a compile. A model or test file's render
is found by its path and content (elt.compile.cache) and reused when every `var()`, `env_var()`, `source()`
and `ref()` it looked up would give the same answer today; otherwise the file is rendered again.
The Jinja environment (and the macros it compiles) is built only at the first render that is not in
the cache, so an unchanged project does not import or run Jinja at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from elt.compile.cache import CacheStats, CompileCache, digest
from elt.compile.context_names import flag_input
from elt.compile.templating import RenderState, env_input, var_input
from elt.nodes import Node

if TYPE_CHECKING:
    from elt.compile.templating import Renderer


class CachedRenderer:
    """Renders model and test files, or takes the render from the cache when what it read still holds.

    The Jinja environment (and the macros it compiles) is only built at the first render that is not
    in the cache. Also stands in for the renderer when generic data tests are built
    (`datatests.generic_tests` asks it for `namespace.get("test_<name>")` and `call(macro, ...)`).
    """

    def __init__(
        self, make_renderer: Callable[[], Renderer], cache: CompileCache | None, stats: CacheStats,
        project_vars: dict[str, Any], refable: set[str], sources: dict[str, Node],
    ) -> None:
        self._make_renderer = make_renderer
        self._renderer: Renderer | None = None
        self._cache = cache
        self._stats = stats
        self._vars = project_vars
        self._refable = refable
        self._sources = sources
        self._prefetched: dict[str, tuple[Any, ...]] = {}

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = self._make_renderer()
        return self._renderer

    def render(self, rel_path: str, text: str, name: str) -> RenderState:
        """`Renderer.render`, or its result from the cache (or from `prefetch`)."""
        key = digest("file", rel_path, text)
        state = self._cached(key, RenderState(model_name=name, path=rel_path))
        if state is not None:
            self._stats.render_hits += 1
            return state
        record = self._prefetched.pop(key, None)
        if record is not None:
            state = RenderState(model_name=name, path=rel_path)
            (state.sql, state.refs, state.sources, state.config, state.vars_read, state.inputs,
             state.introspective) = record
        else:
            state = self.renderer.render(rel_path, text, name)
        self._stats.rendered += 1
        self._store(key, state)
        return state

    def prefetch(self, files: list[tuple[str, str, str]]) -> None:
        """Render in worker processes, ahead of `render`, the files (name, path, text) the cache does
        not have, when there are many (elt.compile.fast.processes)."""
        from elt.compile.fast import processes as compile_processes

        if not compile_processes.usable(len(files)):
            return
        misses = [(name, path, text) for name, path, text in files
                  if self._cached(digest("file", path, text), RenderState(model_name=name, path=path)) is None]
        if not compile_processes.usable(len(misses)):
            return
        keys = {name: digest("file", path, text) for name, path, text in misses}
        done = compile_processes.render_all(self.renderer, misses)
        self._prefetched = {keys[name]: record for name, record in done.items()}

    # -- the part of the Renderer interface generic data tests use ---------------------------------

    @property
    def namespace(self) -> Any:
        if self._renderer is None and self._cache is not None and self._cache.test_macros is not None:
            return _TestMacros(self, self._cache.test_macros)
        return self.renderer.namespace

    def call(self, macro: Any, state: RenderState, **kwargs: Any) -> str:
        """`Renderer.call` for a test macro, or its result from the cache."""
        name = macro if isinstance(macro, str) else macro.name
        if getattr(macro, "elt_package", None):  # a package's test: not the project's of the same name
            name = f"{macro.elt_package}.{name}"
        key = digest("test", name, repr(sorted(kwargs.items())))
        cached = self._cached(key, state)
        if cached is not None:
            self._stats.test_hits += 1
            return cached.sql
        if isinstance(macro, str):
            macro = self.renderer.namespace[macro]
        state.sql = self.renderer.call(macro, state, **kwargs)
        self._stats.tests_rendered += 1
        self._store(key, state)
        return state.sql

    # -- cache entries --------------------------------------------------------------------------------

    def _cached(self, key: str, state: RenderState) -> RenderState | None:
        """`state` filled from the cache entry `key`, if there is one and what it read still holds."""
        if self._cache is None:
            return None
        entry = self._cache.render(key)
        if entry is None:
            return None
        sql, refs, sources, config, vars_read, inputs, introspective = entry
        if not self._still_holds(refs, inputs):
            return None
        state.sql, state.refs, state.sources, state.introspective = sql, list(refs), list(sources), introspective
        state.config, state.vars_read, state.inputs = dict(config), dict(vars_read), dict(inputs)
        return state

    def _still_holds(self, refs: list[str], inputs: dict[str, Any]) -> bool:
        if any(name not in self._refable for name in refs):
            return False  # rendering again raises the error, at the right line
        for key, recorded in inputs.items():
            kind, _, name = key.partition(":")
            current: Any
            if kind == "var":
                current = var_input(self._vars, name)
            elif kind == "env":
                current = env_input(name)
            elif kind == "source":
                current = str(self._sources[name].relation) if name in self._sources else None
            elif kind == "flag":
                current = flag_input(name)
            else:  # 'volatile:...': a value of one invocation (elt.compile.context_names)
                return False
            # repr, not ==: 1 == True == 1.0, but they render as 1, True and 1.0.
            if repr(current) != repr(recorded):
                return False
        return True

    def _store(self, key: str, state: RenderState) -> None:
        if self._cache is not None:
            self._cache.put_render(key, (state.sql, list(state.refs), list(state.sources), dict(state.config),
                                         dict(state.vars_read), dict(state.inputs), state.introspective))


class _TestMacros:
    """The names of the test macros, as `namespace.get` answers them while no renderer is built."""

    def __init__(self, renders: CachedRenderer, names: frozenset[str]) -> None:
        self._renders = renders
        self._names = names

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._names:
            return name  # CachedRenderer.call takes the name in place of the macro
        return self._renders.renderer.namespace.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._renders.renderer.namespace)
