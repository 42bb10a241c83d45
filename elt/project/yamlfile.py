"""Reading YAML files with errors that name the file and line (the faster loader the project loader
tries first is `fast_yaml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elt.errors import ProjectError


def load_yaml(path: Path) -> Any:
    """Parse a YAML file.

    Raises:
        ProjectError: unreadable, not UTF-8, or malformed (with the line of the problem).
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProjectError("file is not valid UTF-8", path=path, hint="save it as UTF-8") from None
    except OSError as exc:
        raise ProjectError(f"cannot read file: {exc.strerror}", path=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise ProjectError(f"malformed YAML: {problem}", path=path, line=line, col=col) from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"malformed YAML: {exc}", path=path) from None


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key in a YAML text, by its path of keys (`("models", "marts")`);
    keys inside lists are left out. Empty when the text does not compose (load_yaml reports that)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            path = (*prefix, str(key.value))
            lines.setdefault(path, key.start_mark.line + 1)
            walk(value, path)

    walk(root, ())
    return lines
