"""Docs blocks: `{% docs name %} ... {% enddocs %}` in .md files, and `{{ doc('name') }}` in yml descriptions.

As dbt: blocks are read from the `.md` files of the docs paths (`docs-paths`; when none are set, every
folder of the project: models, seeds, macros, analyses, snapshots, tests); a block's text is rendered
with an empty Jinja context and stripped; a description holding Jinja is rendered with `doc()` (and
`var()`), at load time, so manifest.json and the docs site carry the block's text.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from elt.errors import ProjectError

if TYPE_CHECKING:
    import jinja2

    from elt.project.config import ProjectConfig

#: dbt's name for the block shown on the docs site's landing page.
OVERVIEW = "__overview__"

_BLOCK_START = re.compile(r"\{%-?\s*docs\s+(\w+)\s*-?%\}")
_BLOCK_END = re.compile(r"\{%-?\s*enddocs\s*-?%\}")


@dataclass(frozen=True)
class DocBlock:
    """One `{% docs %}` block: its name, file (relative to the project root), line and text."""

    name: str
    path: str
    line: int
    text: str


def docs_folders(config: ProjectConfig) -> tuple[str, ...]:
    """The folders searched for .md files: `docs-paths`, else every folder of the project (as dbt)."""
    if config.docs_paths:
        return config.docs_paths
    folders = (*config.model_paths, *config.seed_paths, *config.macro_paths, *config.analysis_paths,
               *config.snapshot_paths, *config.test_paths)
    return tuple(dict.fromkeys(folders))


def read_blocks(rel_path: str, text: str, found: dict[str, DocBlock]) -> None:
    """Add the docs blocks of one .md file to `found` (by name).

    Raises:
        ProjectError: a block without `{% enddocs %}`, a block whose Jinja does not render, or a name
            that another block already has.
    """
    position = 0
    while match := _BLOCK_START.search(text, position):
        name, line = match.group(1), text.count("\n", 0, match.start()) + 1
        end = _BLOCK_END.search(text, match.end())
        if end is None:
            raise ProjectError(f"docs block {name!r} has no {{% enddocs %}}", path=rel_path, line=line,
                               hint="end the block with {% enddocs %}")
        if name in found:
            other = found[name]
            raise ProjectError(f"two docs blocks are named {name!r}: {other.path}:{other.line} and "
                               f"{rel_path}:{line}", path=rel_path, line=line,
                               hint="doc() could not tell them apart: rename or remove one")
        found[name] = DocBlock(name, rel_path, line, _render_block(text[match.end():end.start()], rel_path, line))
        position = end.end()


def _render_block(body: str, rel_path: str, line: int) -> str:
    """A block's text: rendered with an empty context (dbt's rule), then stripped."""
    if "{{" not in body and "{%" not in body and "{#" not in body:
        return body.strip()
    import jinja2

    try:
        return _environment().from_string(body).render().strip()
    except jinja2.TemplateSyntaxError as exc:
        raise ProjectError(f"Jinja syntax error in docs block: {exc.message}", path=rel_path,
                           line=line + (exc.lineno or 1) - 1) from None
    except jinja2.TemplateError as exc:
        raise ProjectError(f"docs block does not render: {exc}", path=rel_path, line=line,
                           hint="a docs block is rendered without context: doc(), ref() and var() are not "
                                "available in it") from None


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render_description(value: Any, docs: Mapping[str, DocBlock], project_vars: Mapping[str, Any],
                       rel_path: str, yml_text: str, line: int | None) -> str:
    """A yml `description:` with its `{{ doc('name') }}` (and `{{ var('x') }}`) replaced.

    Args:
        value: the description as read from yml (None: no description).
        docs: the project's docs blocks by name.
        rel_path, yml_text: the yml file, to name the line of a problem.
        line: the line of the entry the description belongs to (the problem is looked for from there).

    Raises:
        ProjectError: an unknown docs block (with the close names), or Jinja that does not render.
    """
    text = str(value or "")
    if "{{" not in text and "{%" not in text:
        return text
    import jinja2

    def doc(*args: str) -> str:
        name = args[-1] if args else ""  # doc('package', 'name'): one project, the name decides
        if name not in docs:
            close = difflib.get_close_matches(name, sorted(docs), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ProjectError(
                f"doc({name!r}): no docs block is named {name!r}", path=rel_path,
                line=_line_of_call(yml_text, name, line),
                hint=hint + f"define it in a .md file: {{% docs {name} %}} ... {{% enddocs %}}")
        return docs[name].text

    def var(name: str, default: Any = None) -> Any:
        return project_vars.get(name, default)

    try:
        return _environment().from_string(text).render(doc=doc, var=var)
    except ProjectError:
        raise
    except jinja2.TemplateError as exc:
        raise ProjectError(f"description does not render: {exc}", path=rel_path, line=line,
                           hint="a description may use {{ doc('name') }} and {{ var('name') }}") from None


def _line_of_call(yml_text: str, name: str, start: int | None) -> int | None:
    """Line of `doc('name')` in the yml file, at or after line `start` (else `start`)."""
    pattern = re.compile(r"""doc\(\s*(['"][^'"]*['"]\s*,\s*)?['"]""" + re.escape(name) + r"""['"]""")
    lines = yml_text.splitlines()
    for number in range(start or 1, len(lines) + 1):
        if pattern.search(lines[number - 1]):
            return number
    return start
