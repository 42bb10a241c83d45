"""The Jinja environment models and macros are rendered in.

Rendering happens once per model. `ref()` and `this` return placeholders (their relation names depend
on configs that are only all known after every model is rendered); the compiler resolves them.
`ref`, `source`, `config` and friends are module-level callables that report to the render in
progress, so macro modules are built once and shared by every render. A model that is text and
`{{ expressions }}` only (the common case) is evaluated from its syntax tree, without having Jinja
generate and compile Python code for it; when its expressions are of the kinds models write (calls,
names, attributes, literals, `~`), that tree comes from `scan_plain`, a reader of that subset of
Jinja's syntax much cheaper than Jinja's lexer and parser. Anything else, and every error, goes
through Jinja.
"""

from __future__ import annotations

import contextvars
import os
import re
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elt.errors import EltError, TemplateError
from elt.project.config import ENV_READS, ProjectConfig, TargetConfig, env_var
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


_current: contextvars.ContextVar[RenderState] = contextvars.ContextVar("elt_render_state")
_MISSING = object()


class TargetInfo:
    """`{{ target }}`: name, type, schema, threads, plus the profile's non-secret settings."""

    def __init__(self, target: TargetConfig) -> None:
        self.name = target.name
        self.type = target.type
        self._secret_keys = target.secret_keys
        for key, value in (("schema", target.schema), ("threads", target.threads)):
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


class ThisRelation:
    """`{{ this }}`: renders as a placeholder for the model's own relation."""

    def __str__(self) -> str:
        return REF_PLACEHOLDER % THIS

    def __html__(self) -> str:  # pragma: no cover - autoescape is off; kept for safety
        return str(self)


class Renderer:
    """Renders model SQL with the project's macros in scope.

    Args:
        project: the project configuration (vars, dialect).
        target: the target being compiled for (exposed as `target`).
        macros: (relative path, text) of every macro file.
        source_lookup: called as source_lookup(source_name, table_name) -> relation name; raises
            GraphError for an unknown source.
        ref_check: called with each ref()'d name; raises GraphError for an unknown one.
    """

    def __init__(
        self,
        project: ProjectConfig,
        target: TargetConfig,
        macros: list[tuple[str, str]],
        source_lookup: Callable[[str, str], str],
        ref_check: Callable[[str], None],
    ) -> None:
        import jinja2

        self._project = project
        self._templates: dict[str, str] = dict(macros)
        self.env = jinja2.Environment(
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            loader=jinja2.FunctionLoader(self._load),
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
            # Each file is rendered once (macro files: loaded once into the namespace), so caching
            # compiled templates only held memory: ~25 MB for the 400 kept by default.
            cache_size=0,
        )
        # scan_plain reads Jinja's default syntax only, with no extension rewriting the source.
        self._scannable = _default_syntax(self.env)
        self._source_lookup = source_lookup
        self._ref_check = ref_check
        self.namespace: dict[str, Any] = dict(self.env.globals)
        self.namespace.update(
            ref=self._ref, source=self._source, config=_config, var=self._var, env_var=self._env_var,
            is_incremental=lambda: False, this=ThisRelation(), target=TargetInfo(target),
            project_name=project.name, log=lambda *a, **k: "", exceptions=_Exceptions(),
        )
        self.macro_files: dict[str, str] = {}  # macro name -> file
        from elt.compile.datatests import BUILTIN_PATH, BUILTIN_TESTS, as_macros

        # `{% test %}` blocks are macros named test_<name>; built-in tests load first so a
        # project's own test of the same name replaces them.
        self._templates = {BUILTIN_PATH: BUILTIN_TESTS, **self._templates}
        self._templates = {path: as_macros(text) for path, text in self._templates.items()}
        for rel_path in self._templates:
            self._load_macros(rel_path)

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        text = self._templates.get(name)
        return None if text is None else (text, name, lambda: True)

    def _load_macros(self, rel_path: str) -> None:
        import jinja2

        template = self._template(rel_path)
        # shared=True makes the macro module's context *be* self.namespace (no copy), so a macro can
        # call macros from files loaded after its own.
        try:
            module = template.make_module(vars=self.namespace, shared=True)
        except Exception as exc:  # noqa: BLE001 - anything raised while defining macros
            raise _as_template_error(exc, rel_path) from None
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, jinja2.runtime.Macro):
                if name in self.macro_files and not self.macro_files[name].startswith("<"):
                    raise TemplateError(
                        f"macro {name!r} is defined twice: in {self.macro_files[name]} and {rel_path}",
                        path=rel_path,
                    )
                self.macro_files[name] = rel_path
                self.namespace[name] = value

    def _template(self, rel_path: str) -> jinja2.Template:
        import jinja2

        try:
            return self.env.get_template(rel_path)
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
            state.sql = template.render(self.namespace)
        except EltError as exc:
            _locate(exc, rel_path)
            raise
        except Exception as exc:  # noqa: BLE001 - Jinja and macro code raise anything
            raise _as_template_error(exc, rel_path) from None
        finally:
            _current.reset(token)
            del self._templates[rel_path]
        return state

    def _render_plain(self, rel_path: str, text: str, model_name: str) -> RenderState | None:
        """`render` for a file that is text and `{{ expressions }}` only (refs, configs, vars, macro
        calls, `~`, attributes, literals): read by `scan_plain` (or, for what it leaves, from Jinja's
        syntax tree) and evaluated by `_run` as the code Jinja would generate does, without
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
            scanned = _pieces(tree)  # None for {% ... %} blocks, before building a context for nothing
            if scanned is None:
                return None
        pieces, names = scanned
        context = new_context(self.env, rel_path, {}, self.namespace, False, self.env.make_globals(None))
        if not all(context.resolve_or_missing(name) is not missing for name in names):
            return None
        state = RenderState(model_name=model_name, path=rel_path)
        token = _current.set(state)
        try:
            state.sql = "".join(piece if isinstance(piece, str) else str(_run(piece, context)) for piece in pieces)
        except Exception:  # noqa: BLE001 - rendered again with Jinja, which reports it
            return None
        finally:
            _current.reset(token)
        return state

    def call(self, macro: Any, state: RenderState, **kwargs: Any) -> str:
        """Call a macro from Python (a generic data test) with `state` recording its refs."""
        import jinja2

        token = _current.set(state)
        try:
            return str(macro(**kwargs))
        except EltError:
            raise
        except jinja2.TemplateError as exc:
            raise _as_template_error(exc, self.macro_files.get(macro.name, state.path)) from None
        finally:
            _current.reset(token)

    # -- context callables that need the renderer ----------------------------------------------

    def _ref(self, name: str, *extra: str) -> str:
        # dbt's two-argument form ref('package', 'model') names a package; elt has one project.
        if extra:
            name = extra[-1]
        if not isinstance(name, str):
            raise TemplateError(f"ref() takes a model name string, got {name!r}")
        self._ref_check(name)
        _current.get().refs.append(name)
        return REF_PLACEHOLDER % name

    def _source(self, source_name: str, table_name: str) -> str:
        state = _current.get()
        state.sources.append((source_name, table_name))
        relation = self._source_lookup(source_name, table_name)
        state.inputs[f"source:{source_name}.{table_name}"] = relation
        return relation

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


def _pieces(tree: Any) -> tuple[list[Any], set[str]] | None:
    """What `scan_plain` answers, from Jinja's syntax tree of a template (for what the scanner leaves
    to Jinja's parser: comments, whitespace control, other number forms): None unless the template is
    text and `{{ expressions }}` of the kinds `_run` evaluates."""
    from jinja2 import nodes

    names: set[str] = set()
    pieces: list[Any] = []
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            return None
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                pieces.append(child.data)
                continue
            piece = _piece(child, names)
            if piece is None:
                return None
            pieces.append(piece)
    return pieces, names


def _piece(node: Any, names: set[str]) -> tuple[Any, ...] | None:
    """A Jinja expression node as a `scan_plain` piece (names it uses added to `names`), or None:
    literals, names, calls (without `*args`/`**kwargs`), `~`, attributes, lists, tuples and dicts."""
    from jinja2 import nodes

    def all_of(items: Any) -> tuple[Any, ...] | None:
        found = tuple(_piece(item, names) for item in items)
        return None if any(item is None for item in found) else found

    if isinstance(node, nodes.Const):
        return ("const", node.value)
    if isinstance(node, nodes.Name):
        if node.ctx != "load":
            return None
        names.add(node.name)
        return ("name", node.name)
    if isinstance(node, nodes.Call):
        # A keyword given twice is a SyntaxError in the code Jinja generates, not a dict's last value.
        if node.dyn_args is not None or node.dyn_kwargs is not None or \
                len({kw.key for kw in node.kwargs}) != len(node.kwargs):
            return None
        function, args = _piece(node.node, names), all_of(node.args)
        values = all_of(kw.value for kw in node.kwargs)
        if function is None or args is None or values is None:
            return None
        return ("call", function, args, tuple(zip((kw.key for kw in node.kwargs), values, strict=True)))
    if isinstance(node, nodes.Getattr):
        inner = _piece(node.node, names) if node.ctx == "load" else None
        return None if inner is None else ("attr", inner, node.attr)
    if isinstance(node, nodes.Concat):
        items = all_of(node.nodes)
        return None if items is None else ("concat", items)
    if isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load"):
        items = all_of(node.items)
        return None if items is None else ("list" if isinstance(node, nodes.List) else "tuple", items)
    if isinstance(node, nodes.Dict):
        pairs = all_of(item for pair in node.items for item in (pair.key, pair.value))
        return None if pairs is None else ("dict", tuple(zip(pairs[::2], pairs[1::2], strict=True)))
    return None


#: A token of a `{{ expression }}` as `scan_plain` reads it, after any whitespace: a name, a string,
#: a decimal number written without `_` or an exponent, or a mark. Jinja reads these the same way;
#: anything else (other operators, `-}}`, other number forms, non-ASCII names) is `other`.
_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<string>'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*")
    |(?P<float>(?:0|[1-9][0-9]*)\.[0-9]+)
    |(?P<integer>0|[1-9][0-9]*)
    |(?P<mark>==|[=()\[\]{},:.~])
    |(?P<other>.)
    )""",
    re.VERBOSE | re.DOTALL,
)
_OPENING = {"(": ")", "[": "]", "{": "}"}
_CONSTANTS = {"true": True, "True": True, "false": False, "False": False, "none": None, "None": None}
#: Names Jinja's parser reads as operators (`not x`, `a if b else c`, `x is y`, `x in y`, `a and b`).
_OPERATOR_WORDS = frozenset(("and", "or", "not", "in", "is", "if", "else"))


class _NotPlain(Exception):
    """Raised inside `scan_plain`: a construct it leaves to Jinja."""


def _default_syntax(env: jinja2.Environment) -> bool:
    from jinja2.ext import Extension

    return (
        (env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
         env.comment_start_string, env.comment_end_string) == ("{%", "%}", "{{", "}}", "{#", "#}")
        and env.line_statement_prefix is None and env.line_comment_prefix is None
        and env.newline_sequence == "\n" and env.keep_trailing_newline
        and all(type(ext).preprocess is Extension.preprocess and type(ext).filter_stream is Extension.filter_stream
                for ext in env.extensions.values())
    )


def scan_plain(text: str) -> tuple[list[Any], set[str]] | None:
    """A template of text and `{{ expressions }}` read as Jinja's lexer and parser read it, without
    them (most of the cost of rendering a plain model): (its pieces in order, the names its
    expressions use). A piece is text (str) or an expression, one of ('const', value), ('name', name),
    ('call', function, args, ((key, value), ...)), ('attr', object, name), ('concat', items),
    ('list', items), ('tuple', items), ('dict', ((key, value), ...)): the Jinja nodes Const, Name,
    Call, Getattr, Concat, List, Tuple, Dict that `Environment.parse` makes of it.

    What it reads: names, `true`/`false`/`none`, strings, decimal numbers, calls (positional, then
    keyword arguments), `.attribute`, `~`, parentheses, tuples, lists and dicts. None for anything
    else, and for any `{%`, `{#`, `{{-`, `{{+` in the text: Jinja reads those.
    """
    if "{%" in text or "{#" in text:
        return None
    if "\r" in text:
        text = _NEWLINE_RE.sub("\n", text)  # as Jinja's lexer does first (newline_sequence is \n)
    pieces: list[Any] = []
    names: set[str] = set()
    pos = 0
    try:
        while True:
            start = text.find("{{", pos)
            if start < 0:
                if pos < len(text):
                    pieces.append(text[pos:])
                return pieces, names
            if start > pos:
                pieces.append(text[pos:start])
            kinds, values, pos = _expression_tokens(text, start + 2)
            parser = _PlainParser(kinds, values, names)
            pieces.append(parser.expression())
            if kinds[parser.index]:
                return None  # a top-level tuple, two expressions side by side, ...
    except _NotPlain:
        return None


_NEWLINE_RE = re.compile(r"\r\n?")
_CLOSING = frozenset(")]}")


def _expression_tokens(text: str, pos: int) -> tuple[list[str], list[Any], int]:
    """The tokens of the expression starting at `pos` (just after `{{`): their kinds ('name', 'const',
    or the mark itself) and values, each list ending with an empty kind; and where the text goes on
    after the expression's `}}`. Like Jinja's lexer, a `}}` closes it only outside brackets."""
    if text.startswith(("-", "+"), pos):
        raise _NotPlain  # whitespace control
    kinds: list[str] = []
    values: list[Any] = []
    closers: list[str] = []
    for found in _TOKEN_RE.finditer(text, pos):
        kind = found.lastgroup
        value = found[kind]  # type: ignore[index]
        if kind == "mark":
            if value in _OPENING:
                closers.append(_OPENING[value])
            elif value in _CLOSING:
                if not closers:
                    end = found.end()
                    if value == "}" and text.startswith("}", end):
                        kinds.append("")
                        values.append(None)
                        return kinds, values, end + 1
                    raise _NotPlain
                if closers.pop() != value:
                    raise _NotPlain
            kinds.append(value)
        elif kind == "name":
            kinds.append(kind)
        elif kind == "string":
            value = value[1:-1]
            if "\\" in value:
                # Jinja's own unescaping (jinja2.lexer.Lexer.wrap, an identity for a string without a
                # backslash); what it refuses, or warns about (an invalid escape), is left to Jinja.
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    try:
                        value = value.encode("ascii", "backslashreplace").decode("unicode-escape")
                    except Exception:  # noqa: BLE001 - Jinja reports it as a syntax error
                        raise _NotPlain from None
            kinds.append("const")
        elif kind == "integer":
            kinds.append("const")
            value = int(value)
        elif kind == "float":
            kinds.append("const")
            value = float(value)
        else:
            raise _NotPlain  # another operator, an unknown character
        values.append(value)
    raise _NotPlain  # the text ended inside the expression


class _PlainParser:
    """Jinja's expression parser (jinja2.parser.Parser) restricted to what `scan_plain` reads: the
    same tree for the same tokens, `_NotPlain` for anything else."""

    def __init__(self, kinds: list[str], values: list[Any], names: set[str]) -> None:
        self.kinds = kinds
        self.values = values
        self.index = 0
        self.names = names

    def _expect(self, kind: str) -> Any:
        index = self.index
        if self.kinds[index] != kind:
            raise _NotPlain
        self.index = index + 1
        return self.values[index]

    def expression(self) -> tuple[Any, ...]:
        """parse_concat over unary expressions: `a ~ b ~ c` is one Concat."""
        node = self._unary()
        if self.kinds[self.index] != "~":
            return node
        items = [node]
        while self.kinds[self.index] == "~":
            self.index += 1
            items.append(self._unary())
        return ("concat", tuple(items))

    def _unary(self) -> tuple[Any, ...]:
        """parse_primary, then parse_postfix restricted to `.name` and calls."""
        kinds = self.kinds
        index = self.index
        kind = kinds[index]
        value = self.values[index]
        self.index = index + 1
        node: tuple[Any, ...]
        if kind == "name":
            if value in _CONSTANTS:
                node = ("const", _CONSTANTS[value])
            elif value in _OPERATOR_WORDS:
                raise _NotPlain
            else:
                node = ("name", value)
                self.names.add(value)
        elif kind == "const":
            node = ("const", value)
        elif kind == "(":
            node = self._parenthesized()
        elif kind == "[":
            node = ("list", self._items("]", self.expression))
        elif kind == "{":
            node = ("dict", self._items("}", self._pair))
        else:
            raise _NotPlain  # the end of the expression, or a mark where a value should be
        while True:
            kind = kinds[self.index]
            if kind == ".":
                self.index += 1
                node = ("attr", node, self._expect("name"))
            elif kind == "(":
                self.index += 1
                node = self._call(node)
            else:
                return node

    def _parenthesized(self) -> tuple[Any, ...]:
        """parse_tuple(explicit_parentheses=True): `()` and `(a,)` are tuples, `(a)` is a."""
        if self.kinds[self.index] == ")":
            self.index += 1
            return ("tuple", ())
        node = self.expression()
        if self.kinds[self.index] == ",":
            items = [node]
            while self.kinds[self.index] == ",":
                self.index += 1
                if self.kinds[self.index] == ")":
                    break
                items.append(self.expression())
            node = ("tuple", tuple(items))
        self._expect(")")
        return node

    def _items(self, closer: str, item: Callable[[], Any]) -> tuple[Any, ...]:
        """parse_list / parse_dict: items separated by commas, a trailing comma allowed."""
        items: list[Any] = []
        while self.kinds[self.index] != closer:
            if items:
                self._expect(",")
                if self.kinds[self.index] == closer:
                    break
            items.append(item())
        self.index += 1
        return tuple(items)

    def _pair(self) -> tuple[Any, Any]:
        key = self.expression()
        self._expect(":")
        return key, self.expression()

    def _call(self, node: tuple[Any, ...]) -> tuple[Any, ...]:
        """parse_call_args without `*args` / `**kwargs` (the `(` is read)."""
        kinds = self.kinds
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        while kinds[self.index] != ")":
            if args or kwargs:
                self._expect(",")
                if kinds[self.index] == ")":
                    break
            if kinds[self.index] == "name" and kinds[self.index + 1] == "=":
                key = self.values[self.index]
                self.index += 2
                if key in kwargs:
                    raise _NotPlain  # a SyntaxError in the code Jinja generates
                kwargs[key] = self.expression()
            elif kwargs:
                raise _NotPlain  # a positional argument after a keyword one: Jinja's syntax error
            else:
                args.append(self.expression())
        self.index += 1
        return ("call", node, tuple(args), tuple(kwargs.items()))


def _run(node: tuple[Any, ...], context: Any) -> Any:
    """The value of an expression `scan_plain` (or `_pieces`) read, as the code Jinja generates for it
    computes it: a call's function first, then its arguments."""
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "name":
        return context.resolve_or_missing(node[1])
    if kind == "call":
        function = _run(node[1], context)
        return context.call(function, *[_run(arg, context) for arg in node[2]],
                            **{key: _run(value, context) for key, value in node[3]})
    if kind == "attr":
        return context.environment.getattr(_run(node[1], context), node[2])
    if kind == "concat":
        return "".join([str(_run(item, context)) for item in node[1]])
    if kind == "list":
        return [_run(item, context) for item in node[1]]
    if kind == "tuple":
        return tuple(_run(item, context) for item in node[1])
    if kind == "dict":
        return {_run(key, context): _run(value, context) for key, value in node[1]}
    raise TypeError(kind)  # not reached


def var_input(project_vars: dict[str, Any], name: str) -> tuple[bool, Any]:
    """What decides the value of `var(name, default)`, whatever the default: (defined, value)."""
    return (True, project_vars[name]) if name in project_vars else (False, None)


def env_input(name: str) -> tuple[bool, str | None]:
    """What decides the value of `env_var(name, default)`, whatever the default: (set, value)."""
    ENV_READS.add(name)
    return (True, os.environ[name]) if name in os.environ else (False, None)



def _config(**kwargs: Any) -> str:
    _current.get().config.update(kwargs)
    return ""


class _Exceptions:
    """`{{ exceptions.raise_compiler_error('...') }}`, as in dbt, for macros that validate input."""

    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise TemplateError(str(message))

    @staticmethod
    def warn(message: str) -> str:
        return ""


def _template_line(exc: BaseException, rel_path: str) -> tuple[str, int | None]:
    """The innermost template frame of a Jinja traceback: (file, line)."""
    found: tuple[str, int | None] = (rel_path, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".sql", ".jinja")) or frame.filename == rel_path:
            found = (frame.filename, frame.lineno)
    return found


def _locate(exc: EltError, rel_path: str) -> None:
    if exc.path is None:
        exc.path, exc.line = _template_line(exc, rel_path)
        if exc.path != rel_path:
            exc.message += f" (in a macro called from {rel_path})"


def _as_template_error(exc: BaseException, rel_path: str) -> TemplateError:
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"Jinja syntax error: {exc.message}", path=exc.filename or rel_path, line=exc.lineno)
    path, line = _template_line(exc, rel_path)
    if isinstance(exc, jinja2.UndefinedError):
        hint = "define it (a var, macro or config), or check the spelling; undefined names are errors"
        return TemplateError(f"undefined: {exc.message}", path=path, line=line, hint=hint)
    return TemplateError(f"error while rendering: {type(exc).__name__}: {exc}", path=path, line=line)
