"""Rendering a plain template (text and `{{ expressions }}` only, the common model) without Jinja
generating and compiling Python code for it, a shortcut of `templating.Renderer.render`.

`scan_plain` reads such a template as Jinja's lexer and parser would, much cheaper; for what it leaves
to Jinja's parser (comments, whitespace control, other number forms), `tree_pieces` takes the same
pieces from Jinja's syntax tree; `evaluate` computes a piece as the code Jinja generates would.
`Renderer._render_plain` uses them, and any template they do not read, and any error, goes through
Jinja (`Renderer.render`), which does the same work again and reports the error itself.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2


def tree_pieces(tree: Any) -> tuple[list[Any], set[str]] | None:
    """What `scan_plain` answers, from Jinja's syntax tree of a template (for what the scanner leaves
    to Jinja's parser: comments, whitespace control, other number forms): None unless the template is
    text and `{{ expressions }}` of the kinds `evaluate` evaluates."""
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


def default_syntax(env: jinja2.Environment) -> bool:
    """Whether `env` reads Jinja's default syntax, with no extension rewriting the source: the only
    syntax `scan_plain` reads."""
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


def evaluate(node: tuple[Any, ...], context: Any) -> Any:
    """The value of an expression `scan_plain` (or `tree_pieces`) read, as the code Jinja generates for it
    computes it: a call's function first, then its arguments."""
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "name":
        return context.resolve_or_missing(node[1])
    if kind == "call":
        function = evaluate(node[1], context)
        return context.call(function, *[evaluate(arg, context) for arg in node[2]],
                            **{key: evaluate(value, context) for key, value in node[3]})
    if kind == "attr":
        return context.environment.getattr(evaluate(node[1], context), node[2])
    if kind == "concat":
        return "".join([str(evaluate(item, context)) for item in node[1]])
    if kind == "list":
        return [evaluate(item, context) for item in node[1]]
    if kind == "tuple":
        return tuple(evaluate(item, context) for item in node[1])
    if kind == "dict":
        return {evaluate(key, context): evaluate(value, context) for key, value in node[1]}
    raise TypeError(kind)  # not reached
