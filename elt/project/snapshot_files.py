"""Snapshots' definitions as written: `{% snapshot name %} ... {% endsnapshot %}` blocks in .sql files, and
the query of a yml snapshot (dbt 1.9's `relation: source('a', 'b')` or `ref('x')`).

A snapshot's query is kept as a node's `raw_sql` preceded by as many newlines as the file has lines before
it, so the lines of a render or parse error are the lines of the file it was written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elt.errors import ProjectError

_TAG = re.compile(r"{%-?\s*(snapshot|endsnapshot)\b\s*([^%]*?)\s*-?%}")
_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_RELATION = re.compile(r"^\s*(source|ref)\s*\(.*\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class SnapshotBlock:
    """One `{% snapshot %}` block: its name, the line of its tag, and its body placed at its line."""

    name: str
    line: int
    raw_sql: str


def read_blocks(rel: str, text: str) -> list[SnapshotBlock]:
    """The snapshot blocks of a file.

    >>> [(b.name, b.line, b.raw_sql) for b in read_blocks("s.sql", "{% snapshot a %}\\nselect 1\\n{% endsnapshot %}")]
    [('a', 1, '\\nselect 1\\n')]

    Raises:
        ProjectError: text outside the blocks, a block without its end or its name, no block at all.
    """
    blocks: list[SnapshotBlock] = []
    position = 0
    opened: tuple[str, int, int] | None = None  # name, line, where the body starts
    for match in _TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        kind, argument = match.group(1), match.group(2)
        if kind == "snapshot":
            if opened is not None:
                raise ProjectError(f"snapshot {opened[0]!r} has no {{% endsnapshot %}} before the next block",
                                   path=rel, line=opened[1])
            _check_outside(rel, text, position, match.start())
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", argument):
                raise ProjectError(f"a snapshot block needs a name, got {{% snapshot {argument} %}}", path=rel,
                                   line=line, hint="write {% snapshot my_snapshot %} ... {% endsnapshot %}")
            opened = (argument, line, match.end())
        else:
            if opened is None:
                raise ProjectError("{% endsnapshot %} without a {% snapshot %} block", path=rel, line=line)
            name, first, start = opened
            body = text[start:match.start()]
            if not _COMMENT.sub("", body).strip():
                raise ProjectError(f"snapshot {name!r} has no query", path=rel, line=first,
                                   hint="write the SELECT whose rows the snapshot keeps inside the block")
            blocks.append(SnapshotBlock(name, first, "\n" * text.count("\n", 0, start) + body))
            opened, position = None, match.end()
    if opened is not None:
        raise ProjectError(f"snapshot {opened[0]!r} has no {{% endsnapshot %}}", path=rel, line=opened[1])
    _check_outside(rel, text, position, len(text))
    if not blocks:
        raise ProjectError("a file in a snapshot folder has no {% snapshot %} block", path=rel,
                           hint="write {% snapshot name %} select ... {% endsnapshot %}, or move the file")
    return blocks


def relation_sql(relation: object, name: str, rel: str, line: int | None) -> str:
    """The query of a yml snapshot whose `relation` is `source('a', 'b')` or `ref('x')` (as dbt 1.9 writes
    it), placed at `line` of the yml file so that an error in it names that line.

    Raises:
        ProjectError: `relation` is not a source() or ref() call.
    """
    if not isinstance(relation, str) or not _RELATION.match(relation):
        raise ProjectError(f"`relation` of snapshot {name!r} must be source('<source>', '<table>') or ref('<name>'), "
                           f"got {relation!r}", path=rel, line=line,
                           hint="e.g. relation: source('crm', 'customers')")
    return "\n" * ((line or 1) - 1) + f"select * from {{{{ {relation.strip()} }}}}\n"


def _check_outside(rel: str, text: str, start: int, end: int) -> None:
    """Only whitespace and Jinja comments may be written outside the blocks."""
    outside = _COMMENT.sub(lambda m: " " * len(m.group(0)), text[start:end])
    stripped = outside.lstrip()
    if stripped:
        offset = start + len(outside) - len(stripped)
        raise ProjectError("text outside a {% snapshot %} block", path=rel, line=text.count("\n", 0, offset) + 1,
                           hint="a snapshot file holds only {% snapshot name %} ... {% endsnapshot %} blocks")
