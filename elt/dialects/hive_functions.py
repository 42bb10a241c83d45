"""Rules for Hive functions and operators, Hive -> DuckDB.

`FUNCTION_RULES` maps a sqlglot node class to a rule returning its DuckDB replacement (often a call of a
`hive_*` macro from `duckdb_functions`); `PASS` lists the classes whose sqlglot DuckDB rendering already
has Hive's meaning (each backed by parity queries). A function in neither is refused: elt would rather
say "not supported" than run something that might answer differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce

from sqlglot import exp

from elt.dialects._common import Rule, call, data_type, is_number, is_string, macro, numeric_text, refuse
from elt.dialects.hive_builtins import BUILTIN_ANONYMOUS_RULES, BUILTIN_PASS, BUILTIN_RULES
from elt.dialects.hive_dates import DATE_ANONYMOUS_RULES, DATE_RULES
from elt.dialects.hive_types import once, static_type, to_string

# -- regular expressions ------------------------------------------------------------------------------
# Hive uses java.util.regex, DuckDB RE2. RE2 rejects most Java-only syntax (lookaround, backreferences,
# possessive quantifiers) with an error, which is loud enough; these Java features are read differently
# by RE2 without an error, so they are refused.
_JAVA_ONLY = [
    (re.compile(r"\[[^\]]*&&"), "character class intersection '&&'"),
    (re.compile(r"\[(?:\\.|[^\]\\])*\[(?!:)"), "nested character class"),
    (re.compile(r"\\[QE]"), r"\Q...\E quoting"),
]


def check_regex(node: exp.Expr, pattern: exp.Expr | None, construct: str) -> None:
    if pattern is None or not is_string(pattern):
        return  # decided at run time: RE2 raises on Java-only syntax
    text = pattern.this
    if text == "":
        refuse(construct, "an empty regular expression splits differently in Java and RE2", node)
    for regex, what in _JAVA_ONLY:
        if regex.search(text):
            refuse(construct, f"the pattern uses {what}, which DuckDB's RE2 reads differently", node)


def _java_replacement(text: str) -> str:
    r"""Java's `$1`/`\$` replacement syntax -> RE2's `\1`/`$`.

    >>> _java_replacement(r"[$1] costs \$5 \\ ok")
    '[\\1] costs $5 \\\\ ok'
    """
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
        elif ch == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            out.append("\\" + text[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# -- rules ---------------------------------------------------------------------------------------------


def _collect(node: exp.Expr) -> exp.Expr:
    # collect_list/collect_set skip NULLs and give [] (not NULL) for a group without values.
    if isinstance(node.parent, exp.Window):
        return node  # the Window rule wraps the whole window expression
    return exp.Coalesce(this=node, expressions=[exp.Array(expressions=[])])


def _window(node: exp.Expr) -> exp.Expr:
    if isinstance(node.this, (exp.ArrayAgg, exp.ArrayUniqueAgg)):
        return exp.Coalesce(this=node, expressions=[exp.Array(expressions=[])])
    return node


def _percentile_approx(node: exp.Expr) -> exp.Expr:
    refuse(
        "percentile_approx()",
        "Hive answers from a histogram approximation (interpolated between bins, and dependent on how the "
        "data is split across tasks), which DuckDB cannot reproduce",
        node,
        "use percentile(col, p) for an exact answer that both engines agree on (Hive needs an integer "
        "column), or branch per target: {% if target.type == 'duckdb' %} ... {% endif %}",
    )


def _concat(node: exp.Expr) -> exp.Expr:
    # Hive: NULL if any argument is NULL; non-strings converted the Hive way (TRUE, 1.0E10).
    args = list(node.expressions) if isinstance(node, exp.Concat) else [node.this, node.expression]
    parts: list[exp.Expr] = []
    for arg in args:
        inner = arg.this if isinstance(arg, exp.Paren) else arg
        if isinstance(inner, exp.DPipe):  # an operand chain already rewritten: flatten it
            parts.extend(_flatten_pipes(inner))
        else:
            parts.append(to_string(arg))
    if len(parts) == 1:
        return parts[0]
    return exp.Paren(this=reduce(lambda a, b: exp.DPipe(this=a, expression=b, safe=False), parts))


def _flatten_pipes(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Paren) and isinstance(node.this, exp.DPipe):
        node = node.this
    if isinstance(node, exp.DPipe):
        return [*_flatten_pipes(node.this), *_flatten_pipes(node.expression)]
    return [node]


def _substr(node: exp.Expr) -> exp.Expr:
    length = node.args.get("length") or exp.Literal.number(2147483647)
    return macro("hive_substr", node.this, node.args["start"], length)


def _str_position(node: exp.Expr) -> exp.Expr:
    if node.args.get("position") is not None:
        return macro("hive_locate", node.args["substr"], node.this, node.args["position"])
    return call("strpos", node.this, node.args["substr"])


def _split(node: exp.Expr) -> exp.Expr:
    check_regex(node, node.expression, "split()")
    if node.args.get("limit") is not None:
        refuse("split() with a limit", "not a Hive signature", node)
    pattern = node.expression
    if not is_string(pattern):
        return macro("hive_split", node.this, pattern)
    if can_match_empty(pattern.this):
        refuse(
            "split()",
            f"the pattern {pattern.this!r} can match the empty string, where Java's String.split and RE2 "
            "split differently (split('abc', 'x*') is [a, b, c, ''] in Hive, [a, b, c] in DuckDB)",
            node,
            "use a pattern that matches at least one character, or give DuckDB its own SQL: "
            "{% if target.type == 'duckdb' %} ... {% endif %}",
        )
    return call("regexp_split_to_array", node.this, pattern)


def _regexp_extract(node: exp.Expr) -> exp.Expr:
    check_regex(node, node.expression, "regexp_extract()")
    group = node.args.get("group") or exp.Literal.number(1)
    if not is_number(group):
        refuse("regexp_extract()", "the group index must be a number literal on DuckDB", node)
    return call("regexp_extract", node.this, node.expression, group)


def can_match_empty(pattern: str) -> bool:
    r"""Whether a Java regex can match the empty string somewhere (a guess where Python cannot tell).

    Python's `re` finds the same matches as Java, so it decides; word boundaries are dropped first (they
    match empty between letters). A pattern Python cannot compile is judged by its quantifiers.

    >>> [can_match_empty(p) for p in ("a*", r"\s*$", "x?", "(a|)", r"\b", "^", "a+", r"\d{2}", r"\p{L}*")]
    [True, True, True, True, True, True, False, False, True]
    """
    try:
        compiled = re.compile(re.sub(r"\\[bB]", "", pattern))
    except re.error:
        return bool(re.search(r"[*?^$]|\{0?,|\\[bB]|\(\||\|\)", pattern))
    return compiled.fullmatch("") is not None


def matches_empty(pattern: str) -> bool:
    r"""Whether a Java regex may match the empty string where another match just ended.

    There Java's replaceAll replaces the empty match too, RE2 (DuckDB) skips it:
    regexp_replace('aaa', 'a*', 'x') is 'xx' in Hive, 'x' in DuckDB. A pattern anchored at the start
    ('^\s*') has at most one match, which both engines replace alike.

    >>> [matches_empty(p) for p in ("a*", r"\s*$", r"^\s*", "a+")]
    [True, True, False, False]
    """
    if pattern.startswith("^") and "|" not in pattern and "(?m" not in pattern:
        return False
    return can_match_empty(pattern)


def _regexp_replace(node: exp.Expr) -> exp.Expr:
    check_regex(node, node.expression, "regexp_replace()")
    repl = node.args.get("replacement")
    if repl is None:
        refuse("regexp_replace()", "a replacement is required", node)
    pattern = node.expression
    if is_string(pattern) and not (is_string(repl) and repl.this == "") and matches_empty(pattern.this):
        refuse(
            "regexp_replace()",
            f"the pattern {pattern.this!r} can match the empty string, and Java replaces an empty match right "
            "after another match where DuckDB's RE2 does not (regexp_replace('aaa', 'a*', 'x') is 'xx' in Hive, "
            "'x' in DuckDB)",
            node,
            "use a pattern that matches at least one character (a+ instead of a*), or give DuckDB its own SQL: "
            "{% if target.type == 'duckdb' %} ... {% endif %}",
        )
    if is_string(repl):
        replacement = exp.Literal.string(_java_replacement(repl.this))
        if is_string(pattern) or repl.this == "":
            return call("regexp_replace", node.this, pattern, replacement, exp.Literal.string("g"))
        return macro("hive_regexp_replace", node.this, pattern, replacement)
    return macro("hive_regexp_replace_dyn", node.this, pattern, repl)


def _regexp_like(node: exp.Expr) -> exp.Expr:
    check_regex(node, node.expression, "rlike/regexp")
    return call("regexp_matches", node.this, node.expression)


def _like(node: exp.Expr) -> exp.Expr:
    # Hive's LIKE treats backslash as the escape character; DuckDB's has none unless told.
    if isinstance(node.parent, exp.Escape):
        return node
    return exp.Escape(this=node, expression=exp.Literal.string("\\"))


def _json_path(node: exp.Expr) -> str:
    path = node.expression
    if not isinstance(path, exp.JSONPath):
        refuse("get_json_object()", "the JSON path must be a string literal", node)
    out = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            out.append("$")
        elif isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
            if not re.fullmatch(r"[A-Za-z0-9_]+", part.this):
                refuse("get_json_object()", f"the key {part.this!r} needs quoting in a JSON path", node)
            out.append("." + part.this)
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
            out.append(f"[{part.this}]")
        else:
            refuse("get_json_object()", "wildcards and filters in JSON paths give other shapes on DuckDB", node)
    if not out or out[0] != "$":
        refuse("get_json_object()", "a Hive JSON path starts with '$'", node)
    return "".join(out)


def _get_json_object(node: exp.Expr) -> exp.Expr:
    return macro("hive_get_json_object", node.this, exp.Literal.string(_json_path(node)))


def _greatest(node: exp.Expr) -> exp.Expr:
    # Hive 2+: NULL when any argument is NULL (DuckDB skips NULLs).
    args = [node.this, *node.expressions]
    any_null = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args), copy=False)
    name = "greatest" if isinstance(node, exp.Greatest) else "least"
    return exp.Case(ifs=[exp.If(this=any_null, true=exp.Null())], default=call(name, *args))


def _struct(node: exp.Expr) -> exp.Expr:
    # Hive's struct(a, b) names its fields col1, col2, ...; sqlglot (like Spark) names a column argument
    # after the column. Such a key is the column's own identifier (it carries a source position), while
    # named_struct('a', ...) keys are new identifiers.
    for i, field in enumerate(node.expressions, start=1):
        if not isinstance(field, exp.PropertyEQ):
            field.replace(exp.PropertyEQ(this=exp.to_identifier(f"col{i}"), expression=field.copy()))
        elif isinstance(field.expression, exp.Column) and field.this.meta_get("line") is not None:
            field.set("this", exp.to_identifier(f"col{i}"))
    return node


def _round(node: exp.Expr) -> exp.Expr:
    digits = node.args.get("decimals") or exp.Literal.number(0)
    kind = static_type(node.this)
    if kind in ("DOUBLE", "FLOAT"):
        # A FLOAT is rounded as the DOUBLE Hive widens it to (as the hive_round macro does).
        value = node.this if kind == "DOUBLE" else exp.TryCast(this=node.this, to=data_type("DOUBLE"))
        return macro("hive__round_double", value, digits)
    if kind in ("INT", "DECIMAL"):
        return call("round", node.this, digits)
    return macro("hive_round", node.this, digits)


def _log(node: exp.Expr) -> exp.Expr:
    base, arg = node.this, node.expression
    if arg is None:
        return once("hive_ln", base)
    if is_number(base) and base.name in ("10", "2"):
        return once(f"hive_log{base.name}", arg)
    return macro("hive_log", base, arg)


def _rand(node: exp.Expr) -> exp.Expr:
    if node.this is not None:
        refuse("rand(seed)", "DuckDB's random numbers cannot follow Hive's seeded sequence", node)
    return call("random")


def _mod(node: exp.Expr) -> exp.Expr:
    return exp.Mod(
        this=_numeric_operand(node.this),
        expression=exp.Nullif(this=_numeric_operand(node.expression), expression=exp.Literal.number(0)),
    )


def _numeric_operand(node: exp.Expr) -> exp.Expr:
    """A string literal used in arithmetic is read as a double by Hive (NULL if it is not a number)."""
    if is_string(node):
        if numeric_text(node):
            return exp.Cast(this=node, to=data_type("DOUBLE"))
        return exp.Cast(this=exp.Null(), to=data_type("DOUBLE"))
    return node


def _arith(node: exp.Expr) -> exp.Expr:
    node.set("this", _numeric_operand(node.this))
    node.set("expression", _numeric_operand(node.expression))
    return node


def _divide(node: exp.Expr) -> exp.Expr:
    left, right = _numeric_operand(node.this), _numeric_operand(node.expression)
    if static_type(left) in _BINARY_NUMBERS and static_type(right) in _BINARY_NUMBERS:
        # No DECIMAL operand: Hive's quotient is a plain DOUBLE (the macro's branch for these types).
        double = data_type("DOUBLE")
        return exp.Div(this=exp.TryCast(this=left, to=double),
                       expression=call("NULLIF", exp.TryCast(this=right, to=double.copy()), exp.Literal.number(0)))
    return macro("hive_divide", left, right)


_BINARY_NUMBERS = ("INT", "DOUBLE", "FLOAT")


def _int_div(node: exp.Expr) -> exp.Expr:
    return macro("hive_div", _numeric_operand(node.this), _numeric_operand(node.expression))


def _str_to_map(node: exp.Expr) -> exp.Expr:
    d1 = node.args.get("pair_delim") or exp.Literal.string(",")
    d2 = node.args.get("key_value_delim") or exp.Literal.string(":")
    for delim in (d1, d2):
        check_regex(node, delim, "str_to_map()")
    return macro("hive_str_to_map", node.this, d1, d2)


# -- functions sqlglot does not know (exp.Anonymous), by Hive name -----------------------------------


def _anon_is(negate: bool) -> Callable[[exp.Anonymous], exp.Expr]:
    def rule(node: exp.Anonymous) -> exp.Expr:
        test = exp.Is(this=node.expressions[0], expression=exp.Null())
        return exp.Paren(this=exp.Not(this=test) if negate else test)

    return rule


def _anon_macro(name: str, arity: int) -> Callable[[exp.Anonymous], exp.Expr]:
    def rule(node: exp.Anonymous) -> exp.Expr:
        if len(node.expressions) != arity:
            refuse(f"{node.name}()", f"expects {arity} arguments", node)
        return macro(name, *node.expressions)

    return rule


ANONYMOUS_RULES: dict[str, Callable[[exp.Anonymous], exp.Expr]] = {
    **DATE_ANONYMOUS_RULES,
    "isnull": _anon_is(False),
    "isnotnull": _anon_is(True),
    "pmod": _anon_macro("hive_pmod", 2),
    "find_in_set": _anon_macro("hive_find_in_set", 2),
    "map_values": lambda node: call("map_values", *node.expressions),
    "e": lambda node: call("exp", exp.Literal.number(1)),
    "bin": lambda node: call("bin", *node.expressions),
    "octet_length": lambda node: call("strlen", *node.expressions),
    **BUILTIN_ANONYMOUS_RULES,
}


def _anonymous(node: exp.Expr) -> exp.Expr:
    if node.name.lower() == "json_tuple" and isinstance(node.parent, (exp.Lateral, exp.Alias, exp.Aliases)):
        return node  # a table-generating function: rewritten by the Select rule (hive_clauses)
    rule = ANONYMOUS_RULES.get(node.name.lower())
    if rule is None:
        refuse(
            f"{node.name}()",
            "elt does not know this function; it has no checked DuckDB equivalent",
            node,
        )
    return rule(node)  # type: ignore[arg-type]  # registered for exp.Anonymous only


FUNCTION_RULES: dict[type[exp.Expr], Rule] = {
    exp.Anonymous: _anonymous,
    # aggregates
    exp.ArrayAgg: _collect,
    exp.ArrayUniqueAgg: _collect,
    exp.Window: _window,
    exp.Quantile: lambda n: call("quantile_cont", n.this, n.args["quantile"]),
    exp.ApproxQuantile: _percentile_approx,
    # elt's Hive reader reads variance() as var_pop(); what is left is var_samp()
    exp.Variance: lambda n: exp.Anonymous(this="var_samp", expressions=[n.this]),
    exp.Stddev: lambda n: exp.StddevPop(this=n.this),  # Hive's stddev() is the population one
    # strings
    exp.Upper: lambda n: macro("hive_upper", n.this),
    exp.Concat: _concat,
    exp.DPipe: _concat,
    exp.Substring: _substr,
    exp.StrPosition: _str_position,
    exp.SubstringIndex: lambda n: macro("hive_substring_index", n.this, n.args["delimiter"], n.args["count"]),
    exp.Initcap: lambda n: macro("hive_initcap", n.this),
    exp.RegexpSplit: _split,
    exp.RegexpExtract: _regexp_extract,
    exp.RegexpReplace: _regexp_replace,
    exp.RegexpLike: _regexp_like,
    exp.Like: _like,
    exp.JSONExtractScalar: _get_json_object,
    exp.ArraySize: lambda n: macro("hive_size", n.this),
    exp.Struct: _struct,
    # numbers
    exp.Round: _round,
    exp.Sqrt: lambda n: once("hive_sqrt", n.this),
    exp.Ln: lambda n: once("hive_ln", n.this),
    exp.Log: _log,
    exp.Greatest: _greatest,
    exp.Least: _greatest,
    exp.Rand: _rand,
    exp.Mod: _mod,
    exp.IntDiv: _int_div,
    exp.Div: _divide,
    exp.Add: _arith,
    exp.Sub: _arith,
    exp.Mul: _arith,
    **DATE_RULES,
    exp.StrToMap: _str_to_map,
    exp.ToBase64: lambda n: call("to_base64", n.this),
    exp.FromBase64: lambda n: call("from_base64", n.this),
    **BUILTIN_RULES,
}

#: Functions whose sqlglot DuckDB rendering already means what Hive means (see tests/parity).
PASS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.And,
        exp.Or,
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.StddevPop,
        exp.StddevSamp,
        exp.VariancePop,
        exp.CovarPop,
        exp.CovarSamp,
        exp.Corr,
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.Lag,
        exp.Lead,
        exp.FirstValue,
        exp.LastValue,
        exp.Ntile,
        exp.PercentRank,
        exp.CumeDist,
        exp.Grouping,
        exp.Coalesce,
        exp.If,
        exp.Nullif,
        exp.Lower,
        exp.Length,
        exp.Trim,
        exp.Reverse,
        exp.Replace,
        exp.Translate,
        exp.Repeat,
        exp.Space,
        exp.Pad,
        exp.ConcatWs,
        exp.Ascii,
        exp.MD5,
        exp.SHA,
        exp.Abs,
        exp.Floor,
        exp.Ceil,
        exp.Pow,
        exp.Exp,
        exp.Sign,
        exp.Pi,
        exp.Degrees,
        exp.Radians,
        exp.Sin,
        exp.Cos,
        exp.Tan,
        exp.Asin,
        exp.Acos,
        exp.Atan,
        exp.Atan2,
        exp.Exists,
        exp.Hex,
        exp.Unhex,
        exp.Array,
        exp.VarMap,
        exp.ArrayContains,
        exp.ArraySort,
        exp.MapKeys,
        exp.CurrentDate,
        *BUILTIN_PASS,
    }
)
