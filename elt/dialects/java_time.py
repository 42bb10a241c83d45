"""Hive date patterns (Java `SimpleDateFormat`) -> DuckDB strftime/strptime formats.

Hive's `date_format`, `from_unixtime`, `unix_timestamp` and `to_unix_timestamp` take a Java pattern such
as `yyyy-MM-dd HH:mm:ss`. elt's Hive reader (`hive_reader`) keeps that pattern as written, and
`java_to_strftime` / `java_to_strptime` translate it letter run by letter run: a run's meaning depends on
its letter (case matters: `y` year, `Y` week-based year) and on its length (`M` 1, `MM` 01, `MMM` Jan,
`MMMM` January). Only runs whose output is the same on both sides pass; anything else (week-based
fields, time zones, locale-dependent or padded-to-odd-width fields) raises `PatternError`, so the caller
refuses the query rather than format differently.

A tree parsed by sqlglot's stock Hive reader only has sqlglot's strftime-like notation
(`%Y-%mstrict-%dstrict ...`, see `sqlglot.dialects.hive.Hive.TIME_MAPPING`), which has already lost
`Y` against `y`; `to_strftime` / `to_strptime` translate that notation as well as it can.
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
    "%j": ("%j", r"\d+"),  # only from Java's 'DDD' (sqlglot reads 'DD' as %j: refused there)
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

_TOKEN = re.compile(r"%-?[A-Za-z](?:strict)?|'[^']*'|(?<!S)SSS(?!S)|L+|[A-Za-z]|.", re.S)


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
        elif tok.startswith("L") and len(tok) <= 4:
            out.append(("dir", _JAVA["L"][len(tok)]))  # sqlglot leaves Java's stand-alone month as written
        elif tok.isascii() and tok.isalpha():
            out.append(("letter", tok))
        else:
            out.append(("lit", tok))
    return out


def _check(kind: str, tok: str) -> tuple[str, str]:
    if kind == "letter":
        raise PatternError(f"date pattern letter '{tok}' has no DuckDB equivalent")
    if tok in _WHY or tok not in _DIRECTIVES:
        raise PatternError(f"date pattern {_WHY.get(tok, repr(tok))} has no DuckDB equivalent")
    return _DIRECTIVES[tok]


def _resolve(fmt: str) -> list[tuple[str, str, str]]:
    """[(kind, DuckDB text, parse regex)] for sqlglot's notation: kind 'dir' or 'lit'."""
    out = []
    for kind, tok in _tokens(fmt):
        if kind == "lit":
            out.append(("lit", tok, re.escape(tok)))
        else:
            directive, regex = _check(kind, tok)
            out.append(("dir", directive, regex))
    return out


def to_strftime(fmt: str) -> str:
    """Convert a Hive date pattern (as sqlglot's stock reader parsed it) into a DuckDB strftime format.

    >>> to_strftime("%Y-%mstrict-%dstrict %Hstrict:%Mstrict:%Sstrict")
    '%Y-%m-%d %H:%M:%S'
    >>> to_strftime("%a, %-d %b %Y")
    '%a, %-d %b %Y'
    >>> to_strftime("%Hstrict:%Mstrict:%Sstrict.SSS")
    '%H:%M:%S.%g'
    """
    return "".join(text.replace("%", "%%") if kind == "lit" else text for kind, text, _ in _resolve(fmt))


def to_strptime(fmt: str) -> tuple[str, str]:
    r"""Convert a Hive date pattern (as sqlglot's stock reader parsed it) into (strptime format, prefix regex).

    Java's parser stops when the pattern is used up and ignores the text after it; the regex matches the
    part of the input the pattern covers, so the caller can cut off the rest before `strptime`.

    >>> to_strptime("%Y-%mstrict-%dstrict")
    ('%Y-%m-%d', '^(\\d+\\-\\d+\\-\\d+)')
    """
    if re.search(r"(?<![%A-Za-z])L", fmt):
        raise PatternError("date pattern 'L' (stand-alone month) is only checked for formatting, not parsing")
    return _strptime(_resolve(fmt))


#: Width of a field when numeric fields abut ('yyyyMMdd'); a field not listed is 2 wide. Month and day
#: names in full (%B, %A) have no one width: refused there.
_WIDTH = {"%Y": 4, "%g": 3, "%j": 3, "%-j": 3, "%b": 3, "%a": 3}
_NO_WIDTH = {"%B": "a month name in full (MMMM)", "%A": "a day name in full (EEEE)"}


def _strptime(parts: list[tuple[str, str, str]]) -> tuple[str, str]:
    out_fmt = [text.replace("%", "%%") if kind == "lit" else text for kind, text, _ in parts]
    regex = [r for _, _, r in parts]
    abutting = any(a == r"\d+" and b == r"\d+" for a, b in zip(regex, regex[1:], strict=False))
    if abutting:
        # 'yyyyMMdd': Java gives each abutting numeric field its width; cut the input at the pattern's
        # total width instead of guessing.
        for kind, text, _ in parts:
            if kind == "dir" and text in _NO_WIDTH:
                raise PatternError(f"date pattern with {_NO_WIDTH[text]} beside abutting numeric fields has no "
                                   "DuckDB equivalent")
        width = sum(_WIDTH.get(text, 2) if kind == "dir" else len(text) for kind, text, _ in parts)
        return "".join(out_fmt), f"^(.{{0,{width}}})"
    return "".join(out_fmt), "^(" + "".join(regex) + ")"


# -- Java patterns as written -----------------------------------------------------------------------------

#: Java letter -> {run length: DuckDB directive}; a length not listed is refused (with `_JAVA_WHY`'s reason
#: for the letter when there is one). `None` as length: any length.
_JAVA: dict[str, dict[int | None, str]] = {
    "y": {1: "%Y", 2: "%y", 3: "%Y", 4: "%Y"},  # Java pads 'yyyyy' to 5 digits
    "M": {1: "%-m", 2: "%mstrict", 3: "%b", 4: "%B"},
    "L": {1: "%-m", 2: "%mstrict", 3: "%b", 4: "%B"},  # stand-alone month: in English as 'M' (server-checked)
    "d": {1: "%-d", 2: "%dstrict"},
    "H": {1: "%-H", 2: "%Hstrict"},
    "h": {1: "%-I", 2: "%Istrict"},
    "m": {1: "%-M", 2: "%Mstrict"},
    "s": {1: "%-S", 2: "%Sstrict"},
    "S": {3: "SSS"},  # milliseconds, padded to 3
    "E": {1: "%a", 2: "%a", 3: "%a", 4: "%A"},
    "a": {1: "%p"},
    "D": {1: "%-j", 3: "%j"},  # 'DD' pads the day of the year to 2 digits: no DuckDB directive does
}

_JAVA_WHY = {
    "Y": "'Y' (the week-based year, which differs from 'y' around New Year)",
    "w": "'w' (week of the year, by the locale's week rules)",
    "W": "'W' (week of the month, by the locale's week rules)",
    "u": "'u' (day number of the week)",
    "F": "'F' (day of the week in the month)",
    "k": "'k' (hour 1-24)",
    "K": "'K' (hour 0-11)",
    "z": "'z' (time zone name)",
    "Z": "'Z' (time zone offset)",
    "X": "'X' (ISO time zone)",
    "G": "'G' (era)",
    "S": "'S' other than 'SSS' (Java counts milliseconds, not a fraction)",
    "D": "'DD' or 'DDDD' (day of the year padded to that width)",
    "e": "'e' (not a SimpleDateFormat letter; a localized day of the week for java.time)",
}
#: Runs that SimpleDateFormat (Hive 1-3) and java.time's DateTimeFormatter (Hive 4) read differently.
_VERSIONS = "(SimpleDateFormat in Hive 1-3 and DateTimeFormatter in Hive 4 read it differently)"
_JAVA_WHY_LONG = {
    "M": f"'MMMMM' {_VERSIONS}",
    "L": f"'LLLLL' {_VERSIONS}",
    "E": f"'EEEEE' {_VERSIONS}",
    "a": f"'aa' {_VERSIONS}",
}


def java_tokens(pattern: str) -> list[tuple[str, str]]:
    """Split a Java pattern into ('run', letters) and ('lit', text) tokens ('' is a quote, 'x' quoted text).

    >>> java_tokens("yyyy-MM'T'HH 'o''clock'")
    [('run', 'yyyy'), ('lit', '-'), ('run', 'MM'), ('lit', 'T'), ('run', 'HH'), ('lit', ' '), ('lit', "o'clock")]
    """
    out: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            if pattern.startswith("''", i):
                out.append(("lit", "'"))
                i += 2
                continue
            text, i = [], i + 1
            while True:
                if i >= n:
                    raise PatternError(f"unterminated quote in the date pattern {pattern!r}")
                if pattern.startswith("''", i):
                    text.append("'")
                    i += 2
                elif pattern[i] == "'":
                    i += 1
                    break
                else:
                    text.append(pattern[i])
                    i += 1
            out.append(("lit", "".join(text)))
        elif ch.isascii() and ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            out.append(("run", pattern[i:j]))
            i = j
        else:
            out.append(("lit", ch))
            i += 1
    return out


def _java_directive(run: str) -> tuple[str, str]:
    lengths = _JAVA.get(run[0])
    directive = None
    if lengths is not None:
        directive = lengths.get(len(run), lengths.get(None))
    if directive is None:
        why = _JAVA_WHY.get(run[0]) or _JAVA_WHY_LONG.get(run[0])
        if why is None and lengths is not None:
            why = f"'{run}' (padded to {len(run)} digits)"
        raise PatternError(f"date pattern {why or repr(run)} has no DuckDB equivalent")
    return directive, _DIRECTIVES[directive][1]


def _resolve_java(pattern: str) -> list[tuple[str, str, str]]:
    """[(kind, DuckDB text, parse regex)] for a Java pattern: kind 'dir' or 'lit'."""
    out = []
    for kind, text in java_tokens(pattern):
        if kind == "lit":
            out.append(("lit", text, re.escape(text)))
        else:
            directive, regex = _java_directive(text)
            out.append(("dir", _DIRECTIVES[directive][0], regex))
    return out


def java_to_strftime(pattern: str) -> str:
    """Convert a Hive (Java) date pattern, as written, into a DuckDB strftime format.

    >>> java_to_strftime("yyyy-MM-dd HH:mm:ss.SSS")
    '%Y-%m-%d %H:%M:%S.%g'
    >>> java_to_strftime("EEE, d MMM yy 'at' h a")
    '%a, %-d %b %y at %-I %p'
    >>> try:
    ...     java_to_strftime("YYYY")
    ... except PatternError as exc:
    ...     print(exc)
    date pattern 'Y' (the week-based year, which differs from 'y' around New Year) has no DuckDB equivalent
    """
    return "".join(text.replace("%", "%%") if kind == "lit" else text for kind, text, _ in _resolve_java(pattern))


def java_to_strptime(pattern: str) -> tuple[str, str]:
    r"""Convert a Hive (Java) date pattern, as written, into (strptime format, prefix regex); see `to_strptime`.

    >>> java_to_strptime("yyyy-MM-dd")
    ('%Y-%m-%d', '^(\\d+\\-\\d+\\-\\d+)')
    """
    for kind, text in java_tokens(pattern):
        if kind == "run" and text[0] == "L":
            raise PatternError("date pattern 'L' (stand-alone month) is only checked for formatting, not parsing")
        if kind == "run" and text == "yy":
            # Java reads a 2-digit year into the century around today (80 years back, 20 ahead);
            # DuckDB's %y uses a fixed pivot.
            raise PatternError("date pattern 'yy' (Java reads 2-digit years around today's date) has no "
                               "DuckDB equivalent for parsing")
    return _strptime(_resolve_java(pattern))
