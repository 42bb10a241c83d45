"""The Jinja environment models and macros are rendered in.

Rendering happens once per model. `ref()` and `this` return placeholders (their relation names depend
on configs that are only all known after every model is rendered); the compiler resolves them.
`ref`, `source`, `config` and friends are module-level callables that report to the render in
progress, so macro modules are built once and shared by every render. A model that is text and
`{{ expressions }}` only (the common case) is evaluated from its syntax tree, without having Jinja
generate and compile Python code for it; when its expressions are of the kinds models write (calls,
names, attributes, literals, `~`), that tree comes from `scan_plain`, a reader of that subset of
Jinja's syntax much cheaper than Jinja's lexer and parser (both in elt.compile.fast.plain_templates).
Anything else, and every error, goes through Jinja.
"""

from __future__ import annotations

import contextvars
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elt.compile import context_names, dbt_namespace
from elt.compile.fast.plain_templates import default_syntax, evaluate, scan_plain, tree_pieces
from elt.compile.jinja_context import JinjaContext, Live, MacroReturn, enable_return, undefined_class
from elt.compile.relations import JinjaRelation
from elt.errors import EltError, TemplateError
from elt.project.config import ENV_READS, ProjectConfig, TargetConfig, env_var
from elt.project.hooks import merge_config
from elt.secrets import refuse_in_template

if TYPE_CHECKING:
    import jinja2

# jinja2 is imported where it is used: a compile that takes every render from the cache needs none.

#: `ref('x')` renders as this placeholder; `this` as REF_PLACEHOLDER % "__this__".
REF_PLACEHOLDER = "__elt_ref__%s__"
PLACEHOLDER_RE = re.compile(r"__elt_ref__([A-Za-z0-9_]+?)__(?![A-Za-z0-9_])")
THIS = "__this__"


@dataclass
class RenderState:
    """What one model's render asked for."""

    model_name: str
    path: str
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    #: which `target.*` / `var()` / `env_var()` values the render read, for cache keys.
    vars_read: dict[str, Any] = field(default_factory=dict)
    #: what the render looked up, as the compile cache checks it before reusing the render:
    #: 'var:x' -> (defined in the project, value), 'env:X' -> (set, value), 'source:s.t' -> relation.
    inputs: dict[str, Any] = field(default_factory=dict)
    #: the rendered SQL (placeholders not yet resolved).
    sql: str = ""
    #: the render read the database or a relation's name (elt.compile.jinja_context): the model is
    #: rendered again once those are known.
    introspective: bool = False
    #: `{% call statement('name') %}` results, for `load_result('name')` (not cached).
    results: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[RenderState] = contextvars.ContextVar("elt_render_state")
_MISSING = object()


class TargetInfo:
    """`{{ target }}`: name, type, schema, threads, plus the profile's non-secret settings."""

    def __init__(self, target: TargetConfig) -> None:
        self.name = target.name
        self.type = target.type
        self._secret_keys = target.secret_keys
        for key, value in (("schema", target.schema), ("threads", target.threads), ("database", target.database)):
            if key not in target.secret_keys:  # else __getattr__ refuses it
                setattr(self, key, value)
        self._settings = target.public_settings()

    def __getattr__(self, key: str) -> Any:
        if key in self.__dict__.get("_secret_keys", ()):
            # as env_var('ELT_SECRET_...') in a model: the value would reach target/ and the engine's logs
            raise TemplateError(f"target.{key} is set from a secret environment variable: models and macros "
                                "cannot read it", hint="read it only in profiles.yml, or give the variable a "
                                "name without the secret prefix if it is not a secret")
        try:
            return self._settings[key]
        except KeyError:
            raise AttributeError(key) from None

    def __str__(self) -> str:
        return self.name


class Renderer:
    """Renders model SQL with the project's macros in scope.

    Args:
        project: the project configuration (vars, dialect).
        target: the target being compiled for (exposed as `target`).
        macros: (relative path, text) of every macro file.
        source_lookup: called as source_lookup(source_name, table_name) -> relation name; raises
            GraphError for an unknown source.
        ref_check: called with each ref()'d name; raises GraphError for an unknown one.
        live: for the second render of an introspective model (elt.compile.jinja_context), else None.
    """

    def __init__(
        self,
        project: ProjectConfig,
        target: TargetConfig,
        macros: list[tuple[str, str]],
        source_lookup: Callable[[str, str], str],
        ref_check: Callable[[str], None],
        live: Live | None = None,
    ) -> None:
        import jinja2

        from elt.compile.render import EPHEMERAL_PREFIX

        self._project = project
        self._templates: dict[str, str] = dict(macros)
        self._context = JinjaContext(_current.get, project.dialect, target.type, live, EPHEMERAL_PREFIX)
        self.env = jinja2.Environment(
            undefined=undefined_class(self._context.lenient),
            keep_trailing_newline=True,
            autoescape=False,
            loader=jinja2.FunctionLoader(self._load),
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
            # Each file is rendered once (macro files: loaded once into the namespace), so caching
            # compiled templates only held memory: ~25 MB for the 400 kept by default.
            cache_size=0,
        )
        # scan_plain reads Jinja's default syntax only, with no extension rewriting the source.
        self._scannable = default_syntax(self.env)
        self._source_lookup = source_lookup
        self._ref_check = ref_check
        self.namespace: dict[str, Any] = dict(self.env.globals)
        self.namespace.update(self._context.names())
        self.namespace.update(
            ref=self._ref, source=self._source, config=_config, var=_Var(self._var, project.vars),
            env_var=self._env_var,
            is_incremental=lambda: False, this=self._context.relation(THIS, REF_PLACEHOLDER % THIS),
            target=TargetInfo(target),
            project_name=project.name, **context_names.names(_record_read),
            before_begin=_hook_outside_transaction, after_commit=_hook_outside_transaction,
        )
        self.macro_files: dict[str, str] = {}  # macro name (<package>.<name> in a package) -> file
        self._strings: dict[str, jinja2.Template] = {}  # render_text's compiled texts
        from elt.compile.namespaces import MacroNamespaces

        self.macro_namespaces = MacroNamespaces(project, self.namespace)  # packages' macros, adapter.dispatch
        self._context.adapter.use_dispatch(self.macro_namespaces.dispatcher())
        from elt.compile.datatests import BUILTIN_PATH, BUILTIN_TESTS, as_macros

        # `{% test %}` blocks are macros named test_<name>; built-in tests, dbt's default naming macros
        # and dbt's cross-database macros (stand-ins until first used) come first so a project's own
        # macro of the same name replaces them.
        from elt.compile.naming import BUILTIN_MACROS, BUILTIN_MACROS_PATH

        self._templates = {BUILTIN_PATH: BUILTIN_TESTS, BUILTIN_MACROS_PATH: BUILTIN_MACROS, **self._templates}
        self._templates = {path: as_macros(text) for path, text in self._templates.items()}
        shipped = dbt_namespace.ShippedMacros(self._shipped_module, self.namespace)
        shipped.install(self.macro_files)
        self.namespace.update(dbt_namespace.HELPERS, dbt=dbt_namespace.DbtNamespace(shipped, self.namespace),
                              _dbt_dispatch=dbt_namespace.dispatcher(project.dialect, self.namespace,
                                                                     self.macro_files, shipped))
        for rel_path, text in self._templates.items():
            if not self.macro_namespaces.defer(rel_path, text, self._load_macros):  # packages': on first use
                self._load_macros(rel_path)

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        text = self._templates.get(name)
        return None if text is None else (text, name, lambda: True)

    def _load_macros(self, rel_path: str) -> None:
        import jinja2

        template = self._template(rel_path)
        package, scope = self.macro_namespaces.scope(rel_path)
        # shared=True makes the macro module's context *be* self.namespace (no copy), so a macro can
        # call macros from files loaded after its own (a package's: its scope, then self.namespace).
        try:
            context = template.new_context(vars=scope, shared=True)  # type: ignore[arg-type]
            jinja2.environment.TemplateModule(template, context)  # defines the file's macros in context.vars
        except Exception as exc:  # noqa: BLE001 - anything raised while defining macros
            raise _as_template_error(exc, rel_path) from None
        # context.vars, not the module's exports: `_private` macros too, as dbt has them (`dbt_utils._is_relation`).
        for name, value in sorted(context.vars.items()):
            if isinstance(value, jinja2.runtime.Macro):
                key = name if package is None else f"{package}.{name}"
                if key in self.macro_files and not self.macro_files[key].startswith("<"):
                    raise TemplateError(
                        f"macro {key!r} is defined twice: in {self.macro_files[key]} and {rel_path}",
                        path=rel_path,
                    )
                self.macro_files[key] = rel_path
                enable_return(value)  # `{{ return(x) }}` gives x to the caller
                self.macro_namespaces.add(package, name, value)

    def _shipped_module(self, name: str, text: str) -> Any:
        """One of dbt's cross-database macro files compiled, in the namespace (elt.compile.dbt_namespace)."""
        self._templates[name] = text
        return self._template(name).make_module(vars=self.namespace, shared=True)

    def _template(self, rel_path: str) -> jinja2.Template:
        import jinja2

        try:
            return self.macro_namespaces.environment(self.env, rel_path).get_template(rel_path)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"Jinja syntax error: {exc.message}", path=rel_path, line=exc.lineno) from None

    def render(self, rel_path: str, text: str, model_name: str) -> RenderState:
        """Render one model; returns what it referenced, with the rendered SQL in `.sql`.

        Raises:
            TemplateError: Jinja syntax error, undefined variable or macro, or an error raised by a
                macro; with the file and line in the template where it happened.
        """
        fast = self._render_plain(rel_path, text, model_name)
        if fast is not None:
            return fast
        self._templates[rel_path] = text
        state = RenderState(model_name=model_name, path=rel_path)
        token = _current.set(state)
        try:
            template = self._template(rel_path)
            state.sql = template.render(self.macro_namespaces.scope(rel_path)[1])
        except EltError as exc:
            _locate(exc, rel_path, model_name)
            raise
        except MacroReturn:
            raise TemplateError("return() is called outside a macro", path=rel_path,
                                hint="return() gives a value to a macro's caller; in a model, write the SQL") from None
        except Exception as exc:  # Jinja and macro code raise anything
            # chained: --debug shows where in the macro it was raised
            raise _in_model(_as_template_error(exc, rel_path), rel_path, model_name) from exc
        finally:
            _current.reset(token)
            del self._templates[rel_path]
        return state

    def _render_plain(self, rel_path: str, text: str, model_name: str) -> RenderState | None:
        """`render` for a file that is text and `{{ expressions }}` only (refs, configs, vars, macro
        calls, `~`, attributes, literals): read by `scan_plain` (or, for what it leaves, from Jinja's
        syntax tree) and evaluated by `evaluate` as the code Jinja would generate does, without
        generating and compiling that code (most of the cost of rendering a model). None for any other
        file, or when anything goes wrong: `render`
        then renders it with Jinja, which does the same work again and reports any error itself."""
        import jinja2
        from jinja2.runtime import missing, new_context

        scanned = scan_plain(text) if self._scannable else None
        if scanned is None:
            try:
                tree = self.env.parse(text, rel_path)
            except jinja2.TemplateSyntaxError:
                return None
            scanned = tree_pieces(tree)  # None for {% ... %} blocks, before building a context for nothing
            if scanned is None:
                return None
        pieces, names = scanned
        scope = self.macro_namespaces.scope(rel_path)[1]
        context = new_context(self.env, rel_path, {}, scope, False, self.env.make_globals(None))  # type: ignore[arg-type]
        if not all(context.resolve_or_missing(name) is not missing for name in names):
            return None
        state = RenderState(model_name=model_name, path=rel_path)
        token = _current.set(state)
        try:
            state.sql = "".join(piece if isinstance(piece, str) else str(evaluate(piece, context)) for piece in pieces)
        except Exception:  # noqa: BLE001 - rendered again with Jinja, which reports it
            return None
        finally:
            _current.reset(token)
        return state

    def render_text(self, text: str, name: str, path: str, extra: dict[str, Any] | None = None) -> RenderState:
        """Render text that is no file of the project (a hook, set in `path`), with `extra` names on
        top of the namespace; safe from any thread (nothing shared is changed).

        Raises:
            TemplateError: as `render`, naming `path`.
        """
        state = RenderState(model_name=name, path=path)
        token = _current.set(state)
        try:
            # Compiled once per text: a folder's hook is rendered for each of its models.
            template = self._strings.get(text) or self._strings.setdefault(text, self.env.from_string(text))
            state.sql = template.render({**self.namespace, **(extra or {})})
        except EltError as exc:
            exc.path = exc.path or path
            raise
        except Exception as exc:  # noqa: BLE001 - Jinja and macro code raise anything
            error = _as_template_error(exc, path)
            if error.path == path:
                error.line = None  # a line of the rendered text, not of `path`
            raise error from None
        finally:
            _current.reset(token)
        return state

    def call(self, macro: Any, state: RenderState, *args: Any, **kwargs: Any) -> str:
        """Call a macro from Python (a generic data test, a naming macro) with `state` recording its refs."""
        import jinja2

        token = _current.set(state)
        try:
            return str(macro(*args, **kwargs))
        except EltError:
            raise
        except jinja2.TemplateError:
            from jinja2.debug import rewrite_traceback_stack

            # the macro's frames with its template's lines (Jinja does this only for its own render calls)
            raise _as_template_error(rewrite_traceback_stack(), self.macro_files.get(macro.name, state.path)) from None
        finally:
            _current.reset(token)

    # -- context callables that need the renderer ----------------------------------------------

    def _ref(self, name: str, *extra: str) -> JinjaRelation:
        # dbt's two-argument form ref('package', 'model'): the package must be the project or an
        # installed one; model names are unique across them, so the name alone finds the model.
        if extra:
            self.macro_namespaces.check_package(name, extra[-1])
            name = extra[-1]
        if not isinstance(name, str):
            raise TemplateError(f"ref() takes a model name string, got {name!r}")
        self._ref_check(name)
        _current.get().refs.append(name)
        return self._context.relation(name, REF_PLACEHOLDER % name)

    def _source(self, source_name: str, table_name: str) -> JinjaRelation:
        state = _current.get()
        state.sources.append((source_name, table_name))
        relation = self._source_lookup(source_name, table_name)
        state.inputs[f"source:{source_name}.{table_name}"] = relation
        schema, _, identifier = relation.rpartition(".")
        return JinjaRelation((None, schema or None, identifier, "table"), text=relation)

    def _var(self, name: str, default: Any = _MISSING) -> Any:
        if name in self._project.vars:
            value = self._project.vars[name]
        elif default is not _MISSING:
            value = default
        else:
            known = ", ".join(sorted(self._project.vars)) or "none"
            raise TemplateError(
                f"var {name!r} is not defined",
                hint=f"set it in [tool.elt.vars] or with --vars '{{{name}: ...}}', or give a "
                f"default: var('{name}', ...); defined vars: {known}",
            )
        state = _current.get()
        state.vars_read[f"var:{name}"] = value
        state.inputs[f"var:{name}"] = var_input(self._project.vars, name)
        return value

    def _env_var(self, name: str, default: Any = None) -> Any:
        refuse_in_template(name)  # secrets are for profiles.yml; in SQL they would reach target/ and logs
        value = env_var(name, default)
        state = _current.get()
        state.vars_read[f"env:{name}"] = value
        state.inputs[f"env:{name}"] = env_input(name)
        return value


def var_input(project_vars: dict[str, Any], name: str) -> tuple[bool, Any]:
    """What decides the value of `var(name, default)`, whatever the default: (defined, value)."""
    return (True, project_vars[name]) if name in project_vars else (False, None)


def env_input(name: str) -> tuple[bool, str | None]:
    """What decides the value of `env_var(name, default)`, whatever the default: (set, value)."""
    ENV_READS.add(name)
    return (True, os.environ[name]) if name in os.environ else (False, None)



class _Var:
    """`var('x', default)`, and dbt's `var.has_var('x')` (recorded as a read of the var)."""

    def __init__(self, var: Callable[..., Any], project_vars: dict[str, Any]) -> None:
        self._var = var
        self._vars = project_vars

    def __call__(self, name: str, default: Any = _MISSING) -> Any:
        return self._var(name, default)

    def has_var(self, name: str) -> bool:
        state = _current.get(None)
        if state is not None:  # the compile cache checks it as it checks var(name)
            state.inputs[f"var:{name}"] = var_input(self._vars, name)
        return name in self._vars


def _record_read(key: str, value: Any) -> None:
    """Record on the render in progress that it read `key` (elt.compile.context_names: a flag, or a
    value of the invocation that makes the render not reusable); nothing outside a render."""
    state = _current.get(None)
    if state is not None:
        state.vars_read[key] = value
        state.inputs[key] = value


def _config(**kwargs: Any) -> str:
    state = _current.get()
    merge_config(state.config, kwargs, state.path)  # hooks of several config() calls accumulate
    return ""


def _hook_outside_transaction(sql: str) -> dict[str, Any]:
    """dbt's `before_begin(sql)` / `after_commit(sql)`: a hook run outside the model's transaction."""
    return {"sql": sql, "transaction": False}


def _template_line(exc: BaseException, rel_path: str) -> tuple[str, int | None]:
    """The innermost template frame of a Jinja traceback: (file, line)."""
    found: tuple[str, int | None] = (rel_path, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".sql", ".jinja")) or frame.filename == rel_path:
            found = (frame.filename, frame.lineno)
    return found


def _locate(exc: EltError, rel_path: str, model_name: str) -> None:
    if exc.path is None:
        exc.path, exc.line = _template_line(exc, rel_path)
        _in_model(exc, rel_path, model_name)


def _in_model(exc: EltError, rel_path: str, model_name: str) -> EltError:
    """An error located in a macro file also names the model being rendered."""
    if exc.path != rel_path and "(in a macro called from " not in exc.message:
        exc.message += f" (in a macro called from {model_name!r}, {rel_path})"
    return exc


def _as_template_error(exc: BaseException, rel_path: str) -> TemplateError:
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"Jinja syntax error: {exc.message}", path=exc.filename or rel_path, line=exc.lineno)
    path, line = _template_line(exc, rel_path)
    if isinstance(exc, jinja2.UndefinedError):
        hint = "define it (a var, macro or config), or check the spelling; undefined names are errors"
        return TemplateError(f"undefined: {exc.message}", path=path, line=line, hint=hint)
    return TemplateError(f"error while rendering: {type(exc).__name__}: {exc}", path=path, line=line)
