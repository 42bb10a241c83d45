"""The Hive dialect elt parses models with: sqlglot's Hive, minus two losses that change meaning.

sqlglot's Hive parser (as pinned) rewrites three things while parsing, in ways that cannot be undone:

- `CAST(x AS VARCHAR(n))` / `CHAR(n)` become `CAST(x AS STRING)` (Spark ignores the length; Hive
  truncates to it, and pads a CHAR). This reader keeps the type with its length.
- Java date patterns (`date_format`, `from_unixtime`, `unix_timestamp`) are converted to sqlglot's
  strftime-like notation, where the week-based year `YYYY` and the year `yyyy` both become `%Y`, and
  letter counts collapse (`aa` -> `%p%p`). This reader keeps sqlglot's notation in the tree (so every
  generator still works) and records the pattern as written in the literal's meta (`JAVA_PATTERN`);
  `elt.dialects.java_time` translates that pattern, and the generator writes it back to Hive unchanged.
- `variance(x)` becomes the sample variance, the same node as `var_samp(x)`; in Hive it is the
  population variance. This reader reads it as `var_pop(x)`.

sqlglot registers every dialect class by name; this one is `elthive`, so the stock `hive` is untouched.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.hive import Hive
from sqlglot.errors import ErrorLevel
from sqlglot.tokenizer_core import TokenType

#: Meta key of a date pattern literal: the Java pattern as the model wrote it.
JAVA_PATTERN = "elt_java_pattern"


def java_pattern(literal: exp.Expr | None) -> str | None:
    """The Java pattern a format literal was parsed from, when it was parsed by `EltHive`."""
    if isinstance(literal, exp.Literal) and literal.is_string:
        pattern: str | None = literal.meta_get(JAVA_PATTERN)
        return pattern
    return None


class EltHive(Hive):
    """Hive as elt reads it (see the module docstring).

    The two fixes work on the dialect object, around sqlglot's own parser and generator, rather
    than in subclasses of them: with the mypyc-compiled sqlglot (`sqlglotc`, a dependency for speed)
    those are compiled classes, which Python classes cannot extend.
    """

    @classmethod
    def format_time(cls, expression: str | exp.Expr | None) -> exp.Expr | None:
        converted = super().format_time(expression)
        if isinstance(expression, str):  # a default pattern, quoted: "'yyyy-MM-dd HH:mm:ss'"
            original: str | None = expression[1:-1]
        elif isinstance(expression, exp.Expr) and expression.is_string:
            original = expression.this
        else:
            original = None
        if original is not None and isinstance(converted, exp.Literal) and converted is not expression:
            converted.meta[JAVA_PATTERN] = original
        return converted

    def parse(self, sql: str, **opts: Any) -> list[exp.Expr | None]:
        # Hive's parser turns CHAR(n)/VARCHAR(n) outside schemas into STRING, dropping the length.
        # A sized CHAR/VARCHAR is handed to it as a type token no Hive text produces (so it keeps
        # its length), then given its own type back. A CHAR/VARCHAR without a length becomes STRING
        # there, as it should.
        tokens = self.tokenize(sql)
        marked = _mark_sized_strings(tokens) if _may_size_strings(sql) else 0
        _name_population_variance(tokens, sql)
        trees = self.parser(**opts).parse(tokens, sql)
        if marked and _unmark(trees) != marked:
            # A marked token was not read as a type (sqlglot read `char(...)` as something else):
            # parse as sqlglot's Hive does.
            _restore_tokens(tokens)
            trees = self.parser(**opts).parse(tokens, sql)
        return trees

    def parse_into(self, expression_type: Any, sql: str, **opts: Any) -> list[exp.Expr | None]:
        tokens = self.tokenize(sql)
        marked = _mark_sized_strings(tokens) if _may_size_strings(sql) else 0
        _name_population_variance(tokens, sql)
        trees = self.parser(**opts).parse_into(expression_type, tokens, sql)
        if marked and _unmark(trees) != marked:
            _restore_tokens(tokens)
            trees = self.parser(**opts).parse_into(expression_type, tokens, sql)
        return trees

    def generate(self, expression: exp.Expr, copy: bool = True, **opts: Any) -> str:
        # sqlglot writes a date pattern back from its strftime-like notation, which lost `YYYY`
        # against `yyyy` and letter counts: write each pattern as the model had it. The generator
        # maps a pattern's characters through its inverse time mapping, which leaves characters
        # it does not know alone; so each pattern is given a private-use placeholder while
        # generating, and the placeholder is then replaced by the pattern as written.
        if any(True for _ in expression.find_all(exp.Variance, exp.VariancePop)):
            if copy:
                expression, copy = expression.copy(), False
            _write_variance_names(expression)
        patterns = [node for node in expression.find_all(exp.Literal) if _needs_placeholder(node)]
        if not patterns:
            return super().generate(expression, copy=copy, **opts)
        if copy:
            expression = expression.copy()
            patterns = [node for node in expression.find_all(exp.Literal) if _needs_placeholder(node)]
        saved = [node.this for node in patterns]
        placeholders = []
        try:
            for number, node in enumerate(patterns):
                placeholder = f"{_PLACEHOLDER_START}{chr(0xE100 + number % 0xE00)}{number}{_PLACEHOLDER_END}"
                placeholders.append(placeholder)
                node.set("this", placeholder)
            sql = super().generate(expression, copy=False, **opts)
        finally:
            for node, text in zip(patterns, saved, strict=True):
                node.set("this", text)
        for node, placeholder in zip(patterns, placeholders, strict=True):
            written = super().generate(exp.Literal.string(node.meta_get(JAVA_PATTERN)), copy=False)
            sql = sql.replace(f"'{placeholder}'", written)
        return sql


#: Patterns the generator decides on by their text (a CAST subsumes them): written as sqlglot does.
_CAST_PATTERNS = frozenset({"yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "yyyy-M-d H:m:s", "yyyy-M-d"})
_PLACEHOLDER_START, _PLACEHOLDER_END = "\ue000", "\ue001"


def _needs_placeholder(literal: exp.Literal) -> bool:
    original = java_pattern(literal)
    return original is not None and original not in _CAST_PATTERNS


#: token type a sized CHAR / VARCHAR is parsed as: type tokens no Hive keyword produces.
_MARKERS = {TokenType.CHAR: TokenType.XML, TokenType.VARCHAR: TokenType.FIXEDSTRING}
_UNMARK = {exp.DType.XML: exp.DType.CHAR, exp.DType.FIXEDSTRING: exp.DType.VARCHAR}
_MARKED = frozenset(_MARKERS.values())


def _may_size_strings(sql: str) -> bool:
    """Whether `sql` may have a CHAR/VARCHAR token: each keyword of one (CHAR, CHARACTER [VARYING],
    VARCHAR, VARCHAR2) has CHAR in it, and the tokenizer matches keywords in upper case."""
    return "CHAR" in sql.upper()


def _mark_sized_strings(tokens: list[Any]) -> int:
    """Give each CHAR/VARCHAR followed by `(` its marker token type. Returns how many."""
    marked = 0
    for index in range(len(tokens) - 1):
        token = tokens[index]
        marker = _MARKERS.get(token.token_type)
        if marker is not None and tokens[index + 1].token_type == TokenType.L_PAREN:
            token.token_type = marker
            marked += 1
    return marked


def _name_population_variance(tokens: list[Any], sql: str) -> None:
    """Read Hive's `variance(x)` as `var_pop(x)`, which it is in Hive; sqlglot reads it as the sample
    variance `var_samp(x)` (as Spark's is), and the two would be one node afterwards."""
    if "VARIANCE" not in sql.upper():
        return
    for index in range(len(tokens) - 1):
        token = tokens[index]
        if token.text.upper() == "VARIANCE" and tokens[index + 1].token_type == TokenType.L_PAREN:
            token.text = "VAR_POP"


def _write_variance_names(tree: exp.Expr) -> None:
    """Name the variances as Hive does: sqlglot's Hive generator writes `VARIANCE_POP` (no such Hive
    function) and `VARIANCE` for the sample variance (the population one in Hive)."""
    for node in list(tree.find_all(exp.Variance, exp.VariancePop)):
        name = "VAR_POP" if isinstance(node, exp.VariancePop) else "VAR_SAMP"
        node.replace(exp.Anonymous(this=name, expressions=[node.this]))


def _restore_tokens(tokens: list[Any]) -> None:
    reverse = {marker: original for original, marker in _MARKERS.items()}
    for token in tokens:
        if token.token_type in _MARKED:
            token.token_type = reverse[token.token_type]


def _unmark(trees: list[exp.Expr | None]) -> int:
    """Give marked types their own type back. Returns how many there were."""
    found = 0
    for tree in trees:
        if tree is None:
            continue
        for node in tree.find_all(exp.DataType):
            original = _UNMARK.get(node.this)
            if original is not None:
                node.set("this", original)
                found += 1
    return found


def cache_type_names_in_this_process() -> None:
    """In a process elt owns (a compile worker it forked), parse the type names 'char' and 'varchar'
    once, not at every type sqlglot's Hive parser reads.

    That parser tests every type it reads outside a schema with `DataType.is_type("char", "varchar")`,
    which builds both types from their names, and building a type from a name is a
    `sqlglot.parse_one` (tokenizer and parser): two parses per CAST, a fifth of parsing a model.
    Here `parse_one` of exactly those calls answers with a copy of the first answer: the same tree.

    This replaces `sqlglot.parse_one` for the whole process, so it is only for a process that runs
    nothing but elt's parses (`elt.compile.fast.processes`' workers), never for the one elt is imported in:
    that one runs users' code too (pytest with `elt.testing`, an Airflow worker). It cannot be done on
    elt's own parser instead: the call is made by sqlglot's compiled `DataType.from_str` (sqlglotc),
    reached from the compiled Hive parser, and Python classes cannot extend sqlglotc's compiled
    parsers ("interpreted classes cannot inherit from compiled").
    """
    parse_one = sqlglot.parse_one
    if getattr(parse_one, "_elt_type_names", False):
        return
    parsed: dict[str, exp.Expr] = {}
    lock = threading.Lock()

    @functools.wraps(parse_one)
    def parse_one_with_type_names(sql: str, read: Any = None, dialect: Any = None, into: Any = None,
                                  **opts: Any) -> exp.Expr:
        if (into is exp.DataType and read is None and dialect is None and sql in _TYPE_NAMES
                and opts == _BUILD_OPTS):
            tree = parsed.get(sql)
            if tree is None:
                tree = parse_one(sql, into=exp.DataType, **opts)
                with lock:
                    parsed.setdefault(sql, tree.copy())
            else:
                tree = tree.copy()
            return tree
        answer: exp.Expr = parse_one(sql, read=read, dialect=dialect, into=into, **opts)
        return answer

    parse_one_with_type_names._elt_type_names = True  # type: ignore[attr-defined]  # a marker attribute
    # The wrapper takes parse_one's arguments, but is not written with its overloads.
    sqlglot.parse_one = parse_one_with_type_names  # type: ignore[assignment]


#: The type names sqlglot's Hive parser builds at each type, and how `DataType.build` parses a name.
_TYPE_NAMES = frozenset({"char", "varchar"})
_BUILD_OPTS = {"error_level": ErrorLevel.IGNORE}

#: The one instance elt parses and writes Hive models with.
HIVE = EltHive()


def reader(dialect: str) -> Any:
    """What to pass as sqlglot's `read=` (or `dialect=`) for a project written in `dialect`.

    >>> type(reader("hive")).__name__, reader("spark")
    ('EltHive', 'spark')
    """
    return HIVE if dialect == "hive" else dialect
