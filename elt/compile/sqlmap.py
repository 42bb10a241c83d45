"""Mapping positions in rendered SQL back to the model file it was rendered from.

Jinja keeps no source map, but it keeps literal text: a rendered line usually equals a source line
with its `{{ ... }}` expressions filled in. We match on that shape and take the nearest candidate.
"""

from __future__ import annotations

import re

_EXPR = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def _line_pattern(source_line: str) -> re.Pattern[str] | None:
    stripped = source_line.strip()
    if not stripped:
        return None
    parts = _EXPR.split(stripped)
    if not any(p.strip() for p in parts):
        return None  # a line of pure Jinja could match anything
    return re.compile(r".*?".join(re.escape(p) for p in parts) + r"\s*")


def source_line(source: str, rendered: str, rendered_line: int) -> int | None:
    """The line of `source` that produced line `rendered_line` (1-based) of `rendered`.

    >>> source_line("select\\n  {{ x }} as a\\nfrom t", "select\\n  42 as a\\nfrom t", 2)
    2
    >>> source_line("{% if true %}\\nselect 1\\n{% endif %}", "\\nselect 1\\n", 2)
    2
    """
    rendered_lines = rendered.splitlines()
    if not 1 <= rendered_line <= len(rendered_lines):
        return None
    target = rendered_lines[rendered_line - 1].strip()
    if not target:
        return None
    best: int | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        pattern = _line_pattern(line)
        closer = best is None or abs(number - rendered_line) < abs(best - rendered_line)
        if pattern is not None and closer and pattern.fullmatch(target):
            best = number
    return best


def line_of_call(source: str, function: str, argument: str | None = None) -> int | None:
    """Line of the first `function(` call (with `argument` as its first string argument) in source.

    >>> line_of_call("select *\\nfrom {{ ref('orders') }}", "ref", "orders")
    2
    """
    arg = rf"\s*['\"]{re.escape(argument)}['\"]" if argument is not None else ""
    match = re.search(rf"\b{re.escape(function)}\s*\({arg}", source)
    return source.count("\n", 0, match.start()) + 1 if match else None
