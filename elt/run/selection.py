"""Node selection: the `--select` / `--exclude` grammar, evaluated against the graph and the nodes.

Pure: (graph, nodes, selector strings) -> set of unique ids. The grammar follows dbt's:

- each CLI argument holds selectors separated by spaces; selectors are united;
- a selector is atoms joined by commas; atoms are intersected;
- an atom is `[@][N+]method:value[+N]` or `[@][N+]name[+N]`, where `+` before adds ancestors, `+`
  after adds descendants (N limits the depth) and `@` adds descendants and all their ancestors.

`state:new`, `state:modified` and `state:modified.<part>` compare with another run's manifest
(`--state DIR`): the caller passes the comparison (elt.state.StateChanges) as `state`; without it such
a selector is an error.

A selector that matches nothing is not an error (the CLI warns, see `unmatched_selectors`); a
malformed one is, before anything is evaluated.

>>> from elt.nodes import Node
>>> nodes = {
...     "seed.raw": Node("seed.raw", "raw", "seed", "seeds/raw.csv"),
...     "model.stg": Node("model.stg", "stg", "model", "models/stg.sql", config={"tags": ["daily"]}),
... }
>>> graph = Graph(nodes, [("seed.raw", "model.stg")])
>>> sorted(select_nodes(graph, nodes, ["+tag:daily"]))
['model.stg', 'seed.raw']
>>> sorted(select_nodes(graph, nodes, ["+stg"], resource_types={"model"}))
['model.stg']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, get_args

from elt.compile.graph import Graph
from elt.errors import ProjectError
from elt.nodes import Node, ResourceType

if TYPE_CHECKING:
    from elt.state import StateChanges

#: Shown with every malformed selector.
SELECTOR_HINT = (
    "accepted forms: name (wildcards: stg_*), tag:x, path:models/staging, config.<key>:<value>, "
    "resource_type:model|seed|snapshot|source|test, test_type:generic|singular, source:src or source:src.table, "
    "fqn:folder.name, state:new|modified|modified.body|.configs|.relation|.macros|.contract (with --state); "
    "prefix + (ancestors) or N+ (N levels), suffix + (descendants) or +N, or prefix @; "
    "space separates a union, comma an intersection (tag:a,tag:b)"
)

RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)

# A plain name selects models, seeds and snapshots by name; sources are selected with `source:`.
_PLAIN = "name"
_NAMED_TYPES = frozenset({"model", "seed", "snapshot", "test"})

_ATOM = re.compile(
    r"^(?P<at>@)?"
    r"(?P<parents>(?P<parents_depth>\d*)\+)?"
    r"(?P<body>.*?)"
    r"(?P<children>\+(?P<children_depth>\d*))?$"
)
_NAME = re.compile(r"^[\w*?\[\]!-]+$")
_CONFIG_KEY = re.compile(r"^\w+$")


@dataclass(frozen=True)
class _Atom:
    """One parsed atom: which nodes it names, then how far to widen them through the graph."""

    method: str
    value: str
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None
    childrens_parents: bool = False


Matcher = Callable[[Node, str], bool]


def select_nodes(
    graph: Graph,
    nodes: Mapping[str, Node],
    select: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    resource_types: Collection[str] | None = None,
    state: StateChanges | None = None,
) -> set[str]:
    """The unique ids chosen by `select` minus those chosen by `exclude`, kept to `resource_types`.

    Args:
        graph: the DAG; graph operators (`+`, `@`) walk it through nodes of any type.
        nodes: every node of `graph` by unique id (extra entries are ignored).
        select: CLI arguments, each one or more space-separated selectors; None or empty: every node.
        exclude: CLI arguments whose matches are removed from the selection.
        resource_types: keep only these types in the result (e.g. {"model"} for `run`); None: all.
        state: the comparison with `--state` that `state:` selectors read (None: not given).

    Raises:
        ProjectError: a selector is malformed (the message names it; the hint lists the forms), or
            a `state:` selector is given without `state`.
        ValueError: a node of `graph` has no entry in `nodes` (a caller's bug, not the user's).
    """
    _check_nodes(graph, nodes)
    chosen = _parse_arguments(select)
    excluded = _parse_arguments(exclude)
    selected = _union(graph, nodes, chosen, state) if chosen else set(graph.nodes)
    selected -= _union(graph, nodes, excluded, state)
    if resource_types is not None:
        selected = {uid for uid in selected if nodes[uid].resource_type in resource_types}
    return selected


def unmatched_selectors(
    graph: Graph,
    nodes: Mapping[str, Node],
    selectors: Sequence[str] | None,
    resource_types: Collection[str] | None = None,
    state: StateChanges | None = None,
) -> list[str]:
    """The selectors (split out of the CLI arguments) that match no node, in the order given.

    Args:
        resource_types: when given, a selector counts as unmatched if it matches no node of these
            types (`elt seed -s stg_orders` matches a model, but no seed).

    Raises:
        ProjectError: a selector is malformed.
    """
    _check_nodes(graph, nodes)
    unmatched: list[str] = []
    for text, atoms in _parse_arguments(selectors):
        matched = _evaluate(graph, nodes, atoms, state)
        if resource_types is not None:
            matched = {uid for uid in matched if nodes[uid].resource_type in resource_types}
        if not matched and text not in unmatched:
            unmatched.append(text)
    return unmatched


# --- parsing --------------------------------------------------------------------------------------


def _parse_arguments(arguments: Sequence[str] | None) -> list[tuple[str, list[_Atom]]]:
    """Every selector of the CLI arguments, with its atoms; raises on the first malformed one."""
    if isinstance(arguments, str):
        # A bare string would otherwise be read character by character.
        arguments = [arguments]
    return [(text, _parse_selector(text)) for argument in arguments or () for text in argument.split()]


def _parse_selector(text: str) -> list[_Atom]:
    return [_parse_atom(part, text) for part in text.split(",")]


def _parse_atom(text: str, selector: str) -> _Atom:
    match = _ATOM.match(text)
    if not text or match is None:
        raise _malformed(selector, "an empty part between commas" if not text else "cannot be parsed")
    if match["at"] and match["parents"]:
        raise _malformed(selector, "`@` already includes ancestors; it cannot be combined with a leading `+`")
    body = match["body"]
    if not body:
        raise _malformed(selector, "no name or method:value after the graph operators")
    method, value = _split_method(body, selector)
    return _Atom(
        method=method,
        value=value,
        parents=bool(match["parents"]),
        parents_depth=_depth(match["parents_depth"]),
        children=bool(match["children"]),
        children_depth=_depth(match["children_depth"]),
        childrens_parents=bool(match["at"]),
    )


def _depth(digits: str | None) -> int | None:
    return int(digits) if digits else None


def _split_method(body: str, selector: str) -> tuple[str, str]:
    """`method:value` -> (method, normalised value); a plain name -> (_PLAIN, name)."""
    if ":" not in body:
        if not _NAME.match(body):
            raise _malformed(
                selector,
                f"{body!r} is not a node name "
                "(path: selects files and folders, source: sources, fqn: folder.name)",
            )
        return _PLAIN, body
    method, value = body.split(":", 1)
    if not value:
        raise _malformed(selector, f"`{method}:` needs a value")
    if method.startswith("config."):
        key = method.removeprefix("config.")
        if not key:
            raise _malformed(selector, "`config.` needs a key (config.materialized:table)")
        if not _CONFIG_KEY.match(key):
            raise _malformed(selector, f"config key {key!r} is not a word (config.materialized:table)")
        return method, value
    if method not in _METHODS:
        raise _malformed(selector, f"unknown selector method {method!r}")
    return method, _VALIDATORS.get(method, _as_is)(value, selector)


def _as_is(value: str, selector: str) -> str:
    return value


def _validate_path(value: str, selector: str) -> str:
    path = value.replace("\\", "/").removeprefix("./").rstrip("/")
    if not path:
        raise _malformed(selector, "`path:` needs a file or folder relative to the project root")
    return path


def _validate_resource_type(value: str, selector: str) -> str:
    if value not in RESOURCE_TYPES:
        raise _malformed(selector, f"unknown resource type {value!r} (one of: {', '.join(RESOURCE_TYPES)})")
    return value


def _validate_source(value: str, selector: str) -> str:
    parts = value.split(".")
    if len(parts) > 2 or not all(parts):
        raise _malformed(selector, "`source:` takes a source name or source.table")
    return value


def _validate_state(value: str, selector: str) -> str:
    from elt.state import PARTS, STATE_VALUES

    known = [*STATE_VALUES, *(f"modified.{part}" for part in PARTS)]
    if value not in known:
        raise _malformed(selector, f"unknown state {value!r} (one of: {', '.join(known)})")
    return value


def _validate_fqn(value: str, selector: str) -> str:
    if not all(value.split(".")):
        raise _malformed(selector, "`fqn:` takes dot-separated parts (fqn:staging.stg_orders)")
    return value


def _malformed(selector: str, reason: str) -> ProjectError:
    return ProjectError(f"invalid selector {selector!r}: {reason}", hint=SELECTOR_HINT)


# --- matching -------------------------------------------------------------------------------------


def _match_name(node: Node, pattern: str) -> bool:
    return node.resource_type in _NAMED_TYPES and fnmatchcase(node.name, pattern)


def _match_tag(node: Node, pattern: str) -> bool:
    return any(fnmatchcase(tag, pattern) for tag in node.tags)


def _match_path(node: Node, folder_or_file: str) -> bool:
    path = node.path
    return (
        path == folder_or_file or path.startswith(folder_or_file + "/") or fnmatchcase(path, folder_or_file)
    )


def _match_resource_type(node: Node, resource_type: str) -> bool:
    return node.resource_type == resource_type


def _match_source(node: Node, pattern: str) -> bool:
    if node.resource_type != "source":
        return False
    source_pattern, _, table_pattern = pattern.partition(".")
    source_name = node.source_name or node.unique_id.split(".")[1]
    return fnmatchcase(source_name, source_pattern) and fnmatchcase(node.name, table_pattern or "*")


def _match_fqn(node: Node, pattern: str) -> bool:
    parts = pattern.split(".")
    if len(parts) == 1 and fnmatchcase(node.name, pattern):
        return True
    fqn = node.fqn or (node.name,)
    return len(parts) <= len(fqn) and all(map(fnmatchcase, fqn, parts))


def _match_config(node: Node, key: str, pattern: str) -> bool:
    # Without an explicit `materialized`, a node still has one (view for models, seed for seeds).
    value = node.config.get(key, node.materialized if key == "materialized" else None)
    if value is None:
        return False
    values = value if isinstance(value, list | tuple | set | frozenset) else [value]
    return any(fnmatchcase(text, pattern) for item in values for text in _config_texts(item))


def _config_texts(value: Any) -> tuple[str, ...]:
    # Booleans print as True/False in Python but are written true/false in yml and toml.
    if isinstance(value, bool):
        return (str(value), str(value).lower())
    return (str(value),)


def _match_test_type(node: Node, pattern: str) -> bool:
    return node.resource_type == "test" and fnmatchcase(node.test_type or "", pattern)


_METHODS: dict[str, Matcher] = {
    "tag": _match_tag,
    "test_type": _match_test_type,
    "path": _match_path,
    "resource_type": _match_resource_type,
    "source": _match_source,
    "fqn": _match_fqn,
    "state": lambda node, value: False,  # evaluated on the comparison, in _evaluate_atom
}

_VALIDATORS: dict[str, Callable[[str, str], str]] = {
    "path": _validate_path,
    "resource_type": _validate_resource_type,
    "source": _validate_source,
    "fqn": _validate_fqn,
    "state": _validate_state,
}


# --- evaluation -----------------------------------------------------------------------------------


def _check_nodes(graph: Graph, nodes: Mapping[str, Node]) -> None:
    missing = graph.nodes - nodes.keys()
    if missing:
        raise ValueError(f"graph nodes without a Node: {', '.join(sorted(missing))}")


def _union(graph: Graph, nodes: Mapping[str, Node], selectors: list[tuple[str, list[_Atom]]],
           state: StateChanges | None) -> set[str]:
    selected: set[str] = set()
    for text, atoms in selectors:
        _check_state(text, atoms, state)
        selected |= _evaluate(graph, nodes, atoms, state)
    return selected


def _check_state(text: str, atoms: list[_Atom], state: StateChanges | None) -> None:
    if state is None and any(atom.method == "state" for atom in atoms):
        raise ProjectError(f"the selector {text!r} compares with another run's manifest, and no --state was given",
                           hint="add --state DIR, the folder holding that run's manifest.json (e.g. production's "
                                "target/)")


def _evaluate(graph: Graph, nodes: Mapping[str, Node], atoms: list[_Atom], state: StateChanges | None) -> set[str]:
    """The intersection of the atoms of one selector."""
    result = _evaluate_atom(graph, nodes, atoms[0], state)
    for atom in atoms[1:]:
        if not result:
            break
        result &= _evaluate_atom(graph, nodes, atom, state)
    return result


def _evaluate_atom(graph: Graph, nodes: Mapping[str, Node], atom: _Atom, state: StateChanges | None) -> set[str]:
    if atom.method == "state":
        if state is None:
            _check_state(f"state:{atom.value}", [atom], state)
        base = state.matching(atom.value) & graph.nodes if state is not None else set()
    else:
        base = {uid for uid in graph.nodes if _matches(nodes[uid], atom)}
    result = set(base)
    if atom.parents:
        result |= graph.ancestors_of(base, atom.parents_depth)
    if atom.childrens_parents:
        # dbt's @: the descendants, and everything each of them needs (so they can be built).
        descendants = graph.descendants_of(base)
        result |= descendants | graph.ancestors_of(base | descendants)
    elif atom.children:
        result |= graph.descendants_of(base, atom.children_depth)
    return result


def _matches(node: Node, atom: _Atom) -> bool:
    if atom.method == _PLAIN:
        return _match_name(node, atom.value)
    if atom.method.startswith("config."):
        return _match_config(node, atom.method.removeprefix("config."), atom.value)
    return _METHODS[atom.method](node, atom.value)
