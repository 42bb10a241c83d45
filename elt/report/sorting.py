"""Natural order of names: `stg_2` before `stg_10`, as a person reads them (plain string order puts
`stg_10` first). Used wherever node names are listed for people: `elt ls`, `elt docs graph`."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """A sort key comparing runs of digits by their value and the rest case-insensitively.

    Each part is tagged (0 for a number, 1 for text) so that a number and a word never meet in one
    comparison (numbers sort first, as in a file manager); ties in value (`a01` / `a1`) and case fall
    back to the text itself, keeping the order total.

    >>> sorted(["stg_10", "stg_2", "Stg_3", "stg_1a", "stg", "2x"], key=natural_key)
    ['2x', 'stg', 'stg_1a', 'stg_2', 'Stg_3', 'stg_10']
    """
    parts: list[tuple[int, int | str]] = []
    for i, part in enumerate(_DIGITS.split(text)):
        if i % 2:
            parts.append((0, int(part)))
        elif part:
            parts.append((1, part.casefold()))
    return tuple(parts), text
