"""Hive date patterns (Java `SimpleDateFormat`) -> DuckDB strftime/strptime formats.

Hive's `date_format`, `from_unixtime` and `unix_timestamp` take a Java pattern such as
`yyyy-MM-dd HH:mm:ss`. sqlglot's Hive parser already rewrites the pattern into its own strftime-like
notation (`%Y-%mstrict-%dstrict ...`, see `sqlglot.dialects.hive.Hive.TIME_MAPPING`); this module turns
that notation into DuckDB's. Only directives whose output is the same on both sides pass; anything else
(time zones, Java letters sqlglot leaves untouched such as `w`, `u`, `S`, `k`) raises `PatternError`, so
the caller refuses the query rather than format differently.
Java letters: https://docs.oracle.com/javase/8/docs/api/java/text/SimpleDateFormat.html
"""

from __future__ import annotations

import re


class PatternError(ValueError):
    """The pattern uses something elt cannot reproduce on DuckDB."""


#: sqlglot directive (from the Java letters) -> DuckDB directive, and the regex of what it parses.
_DIRECTIVES: dict[str, tuple[str, str]] = {
    "%Y": ("%Y", r"\d+"),
    "%y": ("%y", r"\d{2}"),
    "%B": ("%B", r"[A-Za-z]+"),
    "%b": ("%b", r"[A-Za-z]+"),
    "%mstrict": ("%m", r"\d+"),
    "%-m": ("%-m", r"\d+"),
    "%dstrict": ("%d", r"\d+"),
    "%-d": ("%-d", r"\d+"),
    "%Hstrict": ("%H", r"\d+"),
    "%-H": ("%-H", r"\d+"),
    "%Istrict": ("%I", r"\d+"),
    "%-I": ("%-I", r"\d+"),
    "%Mstrict": ("%M", r"\d+"),
    "%-M": ("%-M", r"\d+"),
    "%Sstrict": ("%S", r"\d+"),
    "%-S": ("%-S", r"\d+"),
    "%p": ("%p", r"[AaPp][Mm]"),
    "%-j": ("%-j", r"\d+"),
    "%a": ("%a", r"[A-Za-z]+"),
    "%A": ("%A", r"[A-Za-z]+"),
    "SSS": ("%g", r"\d+"),  # milliseconds (sqlglot leaves Java's 'SSS' as it is)
}

_WHY = {
    "%f": "'SSSSSS' (Java counts milliseconds, not microseconds)",
    "%j": "'DD' (day of year padded to two digits)",
    "%Z": "'z' (time zone name)",
    "%z": "'Z' (time zone offset)",
}

_TOKEN = re.compile(r"%-?[A-Za-z](?:strict)?|'[^']*'|(?<!S)SSS(?!S)|[A-Za-z]|.", re.S)


def _tokens(fmt: str) -> list[tuple[str, str]]:
    """Split sqlglot's notation into ('dir', directive) and ('lit', text) tokens.

    >>> _tokens("%Y-%mstrict'T'x")
    [('dir', '%Y'), ('lit', '-'), ('dir', '%mstrict'), ('lit', 'T'), ('letter', 'x')]
    """
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(fmt):
        tok = match.group(0)
        if (tok.startswith("%") and len(tok) > 1) or tok == "SSS":
            out.append(("dir", tok))
        elif tok.startswith("'") and len(tok) >= 2:
            inner = tok[1:-1]
            if "%" in inner:
                raise PatternError(f"letters inside quoted text of the date pattern ({tok})")
            out.append(("lit", inner if inner else "'"))
        elif tok.isascii() and tok.isalpha():
            out.append(("letter", tok))
        else:
            out.append(("lit", tok))
    return out


def _check(kind: str, tok: str) -> tuple[str, str]:
    if kind == "letter":
        raise PatternError(f"date pattern letter '{tok}' has no DuckDB equivalent")
    if tok not in _DIRECTIVES:
        raise PatternError(f"date pattern {_WHY.get(tok, repr(tok))} has no DuckDB equivalent")
    return _DIRECTIVES[tok]


def to_strftime(fmt: str) -> str:
    """Convert a Hive date pattern (as sqlglot parsed it) into a DuckDB strftime format.

    >>> to_strftime("%Y-%mstrict-%dstrict %Hstrict:%Mstrict:%Sstrict")
    '%Y-%m-%d %H:%M:%S'
    >>> to_strftime("%a, %-d %b %Y")
    '%a, %-d %b %Y'
    >>> to_strftime("%Hstrict:%Mstrict:%Sstrict.SSS")
    '%H:%M:%S.%g'
    """
    parts = []
    for kind, tok in _tokens(fmt):
        if kind == "lit":
            parts.append(tok.replace("%", "%%"))
        else:
            parts.append(_check(kind, tok)[0])
    return "".join(parts)


def to_strptime(fmt: str) -> tuple[str, str]:
    r"""Convert a Hive date pattern (as sqlglot parsed it) into (strptime format, prefix regex).

    Java's parser stops when the pattern is used up and ignores the text after it; the regex matches the
    part of the input the pattern covers, so the caller can cut off the rest before `strptime`.

    >>> to_strptime("%Y-%mstrict-%dstrict")
    ('%Y-%m-%d', '^(\\d+\\-\\d+\\-\\d+)')
    """
    out_fmt: list[str] = []
    regex: list[str] = []
    for kind, tok in _tokens(fmt):
        if kind == "lit":
            out_fmt.append(tok.replace("%", "%%"))
            regex.append(re.escape(tok))
            continue
        directive, pattern = _check(kind, tok)
        out_fmt.append(directive)
        regex.append(pattern)
    abutting = any(a == r"\d+" and b == r"\d+" for a, b in zip(regex, regex[1:], strict=False))
    if abutting:
        # 'yyyyMMdd': Java gives each abutting numeric field its width; cut the input at the pattern's
        # total width instead of guessing.
        width = sum(4 if d == "%Y" else 2 for d in out_fmt if d.startswith("%"))
        width += sum(len(t) for k, t in _tokens(fmt) if k == "lit")
        return "".join(out_fmt), f"^(.{{0,{width}}})"
    return "".join(out_fmt), "^(" + "".join(regex) + ")"
