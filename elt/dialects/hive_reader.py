"""The Hive dialect elt parses models with: sqlglot's Hive, minus two losses that change meaning.

sqlglot's Hive parser (as pinned) rewrites two things while parsing, in ways that cannot be undone:

- `CAST(x AS VARCHAR(n))` / `CHAR(n)` become `CAST(x AS STRING)` (Spark ignores the length; Hive
  truncates to it, and pads a CHAR). This reader keeps the type with its length.
- Java date patterns (`date_format`, `from_unixtime`, `unix_timestamp`) are converted to sqlglot's
  strftime-like notation, where the week-based year `YYYY` and the year `yyyy` both become `%Y`, and
  letter counts collapse (`aa` -> `%p%p`). This reader keeps sqlglot's notation in the tree (so every
  generator still works) and records the pattern as written in the literal's meta (`JAVA_PATTERN`);
  `elt.dialects.java_time` translates that pattern, and the generator writes it back to Hive unchanged.

sqlglot registers every dialect class by name; this one is `elthive`, so the stock `hive` is untouched.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.dialects.hive import Hive

#: Meta key of a date pattern literal: the Java pattern as the model wrote it.
JAVA_PATTERN = "elt_java_pattern"


def java_pattern(literal: exp.Expr | None) -> str | None:
    """The Java pattern a format literal was parsed from, when it was parsed by `EltHive`."""
    if isinstance(literal, exp.Literal) and literal.is_string:
        return literal.meta_get(JAVA_PATTERN)
    return None


class EltHive(Hive):
    """Hive as elt reads it (see the module docstring)."""

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

    class Parser(Hive.Parser):
        def _parse_types(self, check_func: bool = False, schema: bool = False, allow_identifiers: bool = True,
                         with_collation: bool = False) -> exp.Expr | None:
            # sqlglot's base parser, not Hive's override, which drops CHAR/VARCHAR lengths outside schemas;
            # a CHAR/VARCHAR without a length becomes STRING, as there.
            this = super(Hive.Parser, self)._parse_types(check_func=check_func, schema=schema,
                                                         allow_identifiers=allow_identifiers,
                                                         with_collation=with_collation)
            if this is not None and not schema:
                for node in this.walk():
                    if isinstance(node, exp.DataType) and node.is_type("char", "varchar") and not node.expressions:
                        node.set("this", exp.DType.TEXT)
            return this

    class Generator(Hive.Generator):
        def format_time(self, expression: exp.Expr, inverse_time_mapping: Any = None,
                        inverse_time_trie: Any = None) -> str | None:
            original = java_pattern(expression.args.get("format"))
            if original is not None:
                return self.sql(exp.Literal.string(original))
            return super().format_time(expression, inverse_time_mapping, inverse_time_trie)


#: The one instance elt parses and writes Hive models with.
HIVE = EltHive()


def reader(dialect: str) -> Any:
    """What to pass as sqlglot's `read=` (or `dialect=`) for a project written in `dialect`.

    >>> type(reader("hive")).__name__, reader("spark")
    ('EltHive', 'spark')
    """
    return HIVE if dialect == "hive" else dialect
