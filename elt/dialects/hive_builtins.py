"""Rules for the rest of Hive's built-in functions, Hive -> DuckDB: translated ones (mostly calls of the
`hive_*` macros of `duckdb_builtins`) and the ones elt refuses, each with the reason.

`BUILTIN_RULES` maps sqlglot node classes and `BUILTIN_ANONYMOUS_RULES` Hive names (functions sqlglot
parses as `exp.Anonymous`) to rules; `hive_functions` merges both into its tables. The list of Hive's
documented functions and what elt does with each is tests/parity/hive_functions.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce

from sqlglot import exp

from elt.dialects._common import Rule, call, is_number, is_string, macro, refuse
from elt.dialects.hive_types import static_type, to_string

AnonymousRule = Callable[[exp.Anonymous], exp.Expr]


def _args(node: exp.Anonymous, low: int, high: int) -> list[exp.Expr]:
    args = list(node.expressions)
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        refuse(f"{node.name.lower()}()", f"expects {wanted} arguments", node)
    return args


def _refusal(why: str, hint: str | None = None) -> Rule:
    def rule(node: exp.Expr) -> exp.Expr:
        name = node.name.lower() if isinstance(node, exp.Anonymous) else _CLASS_NAMES.get(type(node), node.key)
        refuse(f"{name}()", why, node, hint)

    return rule


_CLASS_NAMES: dict[type[exp.Expr], str] = {
    exp.CurrentUser: "current_user",
    exp.CurrentDatabase: "current_database",
    exp.Nvl2: "nvl2",
}

# -- numbers ---------------------------------------------------------------------------------------------


def _bround(node: exp.Anonymous) -> exp.Expr:
    args = _args(node, 1, 2)
    value, digits = args[0], args[1] if len(args) > 1 else exp.Literal.number(0)
    kind = static_type(value)
    if kind in ("DOUBLE", "FLOAT"):
        return macro("hive__bround_double", exp.TryCast(this=value, to=exp.DataType.build("DOUBLE")), digits)
    if kind in ("INT", "DECIMAL"):  # a decimal keeps its type, as in Hive
        return call("round_even", value, digits)
    return macro("hive_bround", value, digits)


def _shift(name: str) -> AnonymousRule:
    def rule(node: exp.Anonymous) -> exp.Expr:
        return macro(f"hive_{name}", *_args(node, 2, 2))

    return rule


def _width_bucket(node: exp.Expr) -> exp.Expr:
    args = [node.this, node.args.get("min_value"), node.args.get("max_value"), node.args.get("num_buckets")]
    if any(a is None for a in args) or node.args.get("threshold") is not None:
        refuse("width_bucket()", "Hive's width_bucket takes (expr, min, max, buckets)", node)
    return macro("hive_width_bucket", *args)


def _format_number(node: exp.Anonymous) -> exp.Expr:
    value, digits = _args(node, 2, 2)
    if not is_number(digits) or not digits.name.isdigit():
        refuse(
            "format_number()",
            "the decimal places must be a non-negative integer literal (a DecimalFormat pattern is not translated)",
            node,
        )
    return macro("hive_format_number", value, exp.Literal.string("{:,." + digits.name + "f}"))


# Java's Formatter and DuckDB's printf agree on these conversions with flags '-', '0', '+', ' ', a width
# and a precision; Java's others (%b, %c, %h, %t, %n, ',' grouping, %1$ positions) are refused.
_FORMAT_SPEC = re.compile(r"%([-0+ ]*)(\d+)?(\.\d+)?([a-zA-Z%])")


def _printf(node: exp.Anonymous) -> exp.Expr:
    # Each conversion is formatted on its own, so that a NULL argument prints "null" as Java's does.
    args = list(node.expressions)
    if not args or not is_string(args[0]):
        refuse("printf()", "the format must be a string literal", node)
    text, values = args[0].this, args[1:]
    pieces: list[exp.Expr] = []
    position = end = 0
    for match in _FORMAT_SPEC.finditer(text):
        literal = text[end:match.start()]
        end = match.end()
        if "%" in literal:
            refuse("printf()", f"the format {text!r} has a conversion that is not translated", node)
        if match.group(4) == "%":
            pieces.append(exp.Literal.string(literal + "%"))
            continue
        pieces.append(exp.Literal.string(literal))
        conversion, flags, width = match.group(4), match.group(1), match.group(2) or ""
        if conversion not in "dsfxXoeE" or position >= len(values):
            refuse("printf()", f"the conversion {match.group(0)!r} is not translated (Java's Formatter differs)", node)
        value = values[position]
        position += 1
        spec = exp.Literal.string(match.group(0))
        formatted = call("printf", spec, to_string(value) if conversion == "s" else value)
        null = call("printf", exp.Literal.string("%" + ("-" if "-" in flags else "") + width + "s"),
                    exp.Literal.string("null"))
        pieces.append(exp.Coalesce(this=formatted, expressions=[null]))
    if "%" in text[end:] or position != len(values):
        refuse("printf()", "the format must have one %d/%s/%f/%x/%o/%e conversion per argument", node)
    pieces.append(exp.Literal.string(text[end:]))
    parts = [p for p in pieces if not (is_string(p) and p.this == "")] or [exp.Literal.string("")]
    return exp.Paren(this=reduce(lambda a, b: exp.DPipe(this=a, expression=b, safe=False), parts))


# -- strings ---------------------------------------------------------------------------------------------


def _chr(node: exp.Expr) -> exp.Expr:
    if node.args.get("charset") or len(node.expressions) != 1:
        refuse("chr()", "Hive's chr takes one number", node)
    return macro("hive_chr", node.expressions[0])


def _elt(node: exp.Expr) -> exp.Expr:
    # GenericUDFElt: the n-th string (1-based), NULL when n is out of range.
    ifs = [exp.If(this=exp.Literal.number(i), true=to_string(arg)) for i, arg in enumerate(node.expressions, 1)]
    return exp.Case(this=node.this, ifs=ifs)


def _field(node: exp.Anonymous) -> exp.Expr:
    # GenericUDFField: the 1-based position of the first argument among the others, 0 if absent or NULL.
    value, *choices = node.expressions
    if not choices:
        refuse("field()", "expects a value and at least one choice", node)
    ifs = [exp.If(this=exp.EQ(this=value.copy(), expression=choice), true=exp.Literal.number(i))
           for i, choice in enumerate(choices, 1)]
    return exp.Case(ifs=ifs, default=exp.Literal.number(0))


_UTF8 = {"UTF-8", "UTF8"}


def _charset(node: exp.Expr, name: str) -> None:
    charset = node.args.get("charset")
    if not (charset is not None and is_string(charset) and charset.this.upper() in _UTF8):
        refuse(f"{name}()", "DuckDB encodes and decodes UTF-8 only", node, "use 'UTF-8' as the character set")


def _encode(node: exp.Expr) -> exp.Expr:
    _charset(node, "encode")
    return call("encode", node.this)


def _decode(node: exp.Expr) -> exp.Expr:
    _charset(node, "decode")
    return call("decode", node.this)


def _mask_char(node: exp.Anonymous, arg: exp.Expr | None, default: str) -> exp.Expr:
    if arg is None:
        return exp.Literal.string(default)
    if not is_string(arg) or arg.this == "":
        refuse("mask()", "the mask characters must be non-empty string literals", node)
    return exp.Literal.string(arg.this[0].replace("\\", "\\\\"))  # a regexp_replace replacement


def _mask(node: exp.Anonymous) -> exp.Expr:
    args = _args(node, 1, 4)
    chars = [_mask_char(node, args[i] if i < len(args) else None, d) for i, d in ((1, "X"), (2, "x"), (3, "n"))]
    return macro("hive_mask", args[0], *chars)


def _mask_n(name: str) -> AnonymousRule:
    def rule(node: exp.Anonymous) -> exp.Expr:
        args = _args(node, 1, 2)
        return macro(f"hive_{name}", args[0], args[1] if len(args) > 1 else exp.Literal.number(4))

    return rule


def _parse_url(node: exp.Expr) -> exp.Expr:
    part, key = node.args.get("part_to_extract"), node.args.get("key")
    parts = ("HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO")
    if part is None or not is_string(part) or part.this not in parts:
        refuse("parse_url()", f"the part must be one of {', '.join(parts)} as a string literal", node)
    if key is None:
        return macro("hive_parse_url_part", node.this, part)
    if part.this != "QUERY" or not is_string(key) or not re.fullmatch(r"[A-Za-z0-9_.-]+", key.this):
        refuse("parse_url()", "a key is only translated for 'QUERY', as a plain string literal", node)
    # UDFParseUrl finds the key with the regex (&|^)key=([^&]*) in the query.
    pattern = "(&|^)" + key.this.replace(".", "\\.") + "=([^&]*)"
    return macro("hive_parse_url_query", node.this, exp.Literal.string(pattern))


# -- misc --------------------------------------------------------------------------------------------------


def _assert_true(node: exp.Anonymous) -> exp.Expr:
    (condition,) = _args(node, 1, 1)
    failed = call("error", exp.Literal.string("ASSERT_TRUE(): assertion failed."))
    return exp.Case(ifs=[exp.If(this=condition, true=exp.Null())], default=failed)


def _hash(node: exp.Anonymous) -> exp.Expr:
    # GenericUDFHash: r = 31 * r + hashCode(arg), from r = 0.
    if not node.expressions:
        refuse("hash()", "expects at least one argument", node)
    first: exp.Expr = macro("hive__hash_step", exp.Literal.number(0), node.expressions[0])
    return reduce(lambda acc, arg: macro("hive__hash_step", acc, arg), node.expressions[1:], first)


def _sha2(node: exp.Expr) -> exp.Expr:
    length = node.args.get("length")
    if length is None or not is_number(length):
        refuse("sha2()", "the bit length must be a number literal", node)
    if length.name in ("0", "256"):
        return call("sha256", node.this)
    if length.name in ("224", "384", "512"):
        refuse("sha2()", f"DuckDB has no SHA-{length.name}", node, "use sha2(x, 256), or md5(x)/sha1(x)")
    return exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))  # Hive: NULL for other lengths


def _nan_null(node: exp.Expr) -> exp.Expr:
    # Hive's regression aggregates are NULL where DuckDB's are NaN (a constant x, fewer than two pairs).
    if isinstance(node.parent, exp.Window):
        names: dict[type[exp.Expr], str] = {exp.RegrIntercept: "regr_intercept", exp.RegrR2: "regr_r2"}
        name = names.get(type(node), "regr_slope")
        refuse(f"{name}() OVER", "regression aggregates are not translated as window functions", node)
    return macro("hive__nan_null", node)


_SESSION = "it describes the Hive session or server, which a DuckDB build has no counterpart for"
_BRANCH = "{% if target.type == 'duckdb' %} ... {% else %} ... {% endif %}"

BUILTIN_ANONYMOUS_RULES: dict[str, AnonymousRule] = {
    "bround": _bround,
    "positive": lambda n: exp.Paren(this=_args(n, 1, 1)[0]),
    "shiftleft": _shift("shiftleft"),
    "shiftright": _shift("shiftright"),
    "shiftrightunsigned": _shift("shiftrightunsigned"),
    "format_number": _format_number,
    "printf": _printf,
    "binary": lambda n: macro("hive_to_binary", *_args(n, 1, 1)),
    "assert_true": _assert_true,
    "std": lambda n: exp.StddevPop(this=_args(n, 1, 1)[0]),
    "crc32": lambda n: macro("hive_crc32", *_args(n, 1, 1)),
    "hash": _hash,
    "field": _field,
    "quote": lambda n: macro("hive_quote", *_args(n, 1, 1)),
    "mask": _mask,
    "mask_first_n": _mask_n("mask_first_n"),
    "mask_last_n": _mask_n("mask_last_n"),
    "mask_show_first_n": _mask_n("mask_show_first_n"),
    "mask_show_last_n": _mask_n("mask_show_last_n"),
    # refused
    "sentences": _refusal("Hive splits sentences and words with Java's locale-dependent BreakIterator"),
    "ngrams": _refusal("it is built on sentences(), whose Java BreakIterator splitting DuckDB cannot reproduce"),
    "context_ngrams": _refusal("it is built on sentences(), whose Java BreakIterator splitting DuckDB cannot "
                               "reproduce"),
    "histogram_numeric": _refusal(
        "Hive's bins come from an approximation whose merges depend on the order rows arrive in",
        "compute the bins yourself, e.g. floor(x / width) * width with GROUP BY",
    ),
    "in_file": _refusal("it reads a file on the Hive server", f"give DuckDB its own SQL: {_BRANCH}"),
    "java_method": _refusal("it calls a Java method, which DuckDB cannot run"),
    "reflect": _refusal("it calls a Java method, which DuckDB cannot run"),
    "mask_hash": _refusal("its hash changed between Hive versions (MD5 before 3.0, SHA-256 since)",
                          "use sha2(x, 256) or md5(x), which elt translates"),
    "aes_encrypt": _refusal("DuckDB has no AES"),
    "aes_decrypt": _refusal("DuckDB has no AES"),
    "logged_in_user": _refusal(_SESSION),
    "version": _refusal(_SESSION),
    "surrogate_key": _refusal("it numbers rows from Hive's transactional write ids",
                              "use row_number() OVER (...) for a key"),
    "create_union": _refusal("DuckDB's UNION type is not Hive's uniontype"),
    "conv": lambda n: macro("hive_conv", to_string(_args(n, 3, 3)[0]), *n.expressions[1:]),
    **{name: _refusal("DuckDB has no XML or XPath support", f"parse the XML before loading, {_BRANCH}")
       for name in ("xpath", "xpath_string", "xpath_boolean", "xpath_int", "xpath_long", "xpath_short",
                    "xpath_float", "xpath_double", "xpath_number")},
    "parse_url_tuple": _refusal("the table-generating form is not translated",
                                "select parse_url(url, 'HOST'), parse_url(url, 'PATH'), ... instead"),
}

BUILTIN_RULES: dict[type[exp.Expr], Rule] = {
    exp.Negative: lambda n: exp.Neg(this=exp.Paren(this=n.this)),
    exp.Factorial: lambda n: macro("hive_factorial", n.this),
    exp.WidthBucket: _width_bucket,
    exp.Chr: _chr,
    exp.Elt: _elt,
    exp.Encode: _encode,
    exp.Decode: _decode,
    exp.ParseUrl: _parse_url,
    exp.Soundex: lambda n: macro("hive_soundex", n.this),
    exp.Unhex: lambda n: macro("hive_unhex", n.this),
    exp.SHA2: _sha2,
    exp.CurrentUser: _refusal(_SESSION, "pass the user in as a variable: {{ var('user') }}"),
    exp.CurrentDatabase: _refusal(_SESSION, "write the schema with {{ target.schema }}"),
    exp.RegrIntercept: _nan_null,
    exp.RegrR2: _nan_null,
    exp.RegrSlope: _nan_null,
    exp.Nvl2: _refusal("Hive 3 has no nvl2 (it is Spark's); Hive would reject the model",
                       "write CASE WHEN a IS NOT NULL THEN b ELSE c END"),
}

#: Classes whose sqlglot DuckDB rendering already has Hive's meaning (see tests/parity/corpus/functions_*).
BUILTIN_PASS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Cbrt,
        exp.Levenshtein,
        exp.RegrAvgx,
        exp.RegrAvgy,
        exp.RegrCount,
        exp.RegrSxx,
        exp.RegrSxy,
        exp.RegrSyy,
    }
)
