"""What a compiled node is, in checksums: the parts `state:modified.<part>` compares.

Each part is a checksum a manifest.json records per node (`state.checksums`), and the same function
makes it for the project being compiled now, so comparing the two is comparing strings:

- `body`: the checksum of the model's parsed query (elt.compile.canonical.tree_checksum: the tree
  without comments or layout, relations by node name), so reformatting is no change and a var() value
  reaching the SQL is; a seed's file; a snapshot's query.
- `configs`: the effective config, less the parts below (materialized, hooks, partitioning, ...).
- `relation`: the config that names the relation (`database`, `schema`, `alias`; a snapshot's
  `target_schema` / `target_database`), as written, not as the target resolves it (so a dev target
  and production compare equal). A source's relation is its yml `schema` and `identifier` as
  rendered (as dbt compares sources): a changed name is a different table read, and a source whose
  schema follows the target differs between targets.
- `macros`: the project's macros the node calls, directly or through other macros, each with the
  checksum of its text. Found as calls (`name(`) in the node's file and the macros' texts (as dbt's
  `depends_on.macros`), not by watching the render: a macro called in a branch the render did not take
  counts too, a SQL function of a macro's name too.
- `contract`: an enforced contract's columns and types (empty when none is enforced).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from elt.compile.compiler import Manifest
from elt.nodes import Node

#: the parts of a node `state:modified.<part>` names, in the order they are reported.
PARTS = ("body", "configs", "relation", "macros", "contract")
_RELATION_KEYS = ("database", "schema", "alias", "target_schema", "target_database")
_MACRO_RE = re.compile(r"{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(.*?{%-?\s*endmacro\s*-?%}", re.S)
#: a call: `name(` (a macro named but not called, e.g. a column of the same name, is no use of it).
_CALL_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Fingerprint:
    """One node's parts as checksums, the macros it calls (name -> checksum of its text), and for a
    model or snapshot its compiled SQL in the project dialect (None when it has none: introspective,
    failed), which `elt.compile.canonical.canonical_sql` turns into the compared form."""

    checksums: dict[str, str]
    macros: dict[str, str]
    sql: str | None = None


class MacroIndex:
    """The project's macros by name (the text of each `{% macro %}` block), and which ones a text calls."""

    def __init__(self, files: Iterable[tuple[str, str]]) -> None:
        self.texts: dict[str, str] = {}
        for _path, text in files:
            for match in _MACRO_RE.finditer(text):
                self.texts.setdefault(match.group(1), match.group(0))
        self.sums = {name: checksum(text) for name, text in self.texts.items()}
        self._closure: dict[str, frozenset[str]] = {}

    def called(self, text: str) -> dict[str, str]:
        """name -> checksum of each macro `text` names, directly or through the macros it names."""
        found: set[str] = set()
        for name in self._names_in(text):
            found |= self._reach(name)
        return {name: self.sums[name] for name in sorted(found)}

    def _names_in(self, text: str) -> set[str]:
        return {word for word in _CALL_RE.findall(text) if word in self.texts} if self.texts else set()

    def _reach(self, name: str) -> frozenset[str]:
        done = self._closure.get(name)
        if done is not None:
            return done
        seen, todo = {name}, [name]
        while todo:
            for called in self._names_in(self.texts[todo.pop()]):
                if called not in seen:
                    seen.add(called)
                    todo.append(called)
        self._closure[name] = frozenset(seen)
        return self._closure[name]


def fingerprint(manifest: Manifest, node: Node, macros: MacroIndex) -> Fingerprint:
    """The parts of `node` as compiled in `manifest` (see the module's docstring)."""
    config = node.config
    sql = None
    if node.resource_type in ("model", "snapshot"):
        tree = manifest.tree_checksum(node.unique_id)
        body = tree if tree is not None else "raw:" + checksum(node.raw_sql)
        sql = manifest.compiled_sql.get(node.unique_id)
    elif node.resource_type == "seed":
        body = _file_checksum(manifest, node)
    else:
        body = checksum(node.raw_sql)
    relation: dict[str, Any] = {key: config[key] for key in _RELATION_KEYS if key in config}
    if node.resource_type == "source" and node.relation is not None:
        relation = {"schema": node.relation.schema, "identifier": node.relation.name}
    rest = {key: value for key, value in config.items() if key not in _RELATION_KEYS and key != "contract"}
    contract = config.get("contract")
    enforced = isinstance(contract, dict) and contract.get("enforced") is True
    used = macros.called(node.raw_sql) if node.raw_sql else {}
    return Fingerprint(
        checksums={
            "body": body,
            "configs": checksum(_json(rest)),
            "relation": checksum(_json(relation)),
            "macros": checksum(_json(used)),
            "contract": checksum(_json([[c.name, c.data_type] for c in node.columns.values()]) if enforced else ""),
        },
        macros=used, sql=sql)


def _file_checksum(manifest: Manifest, node: Node) -> str:
    try:
        return hashlib.sha256((manifest.project.config.root / node.path).read_bytes()).hexdigest()
    except OSError:
        return ""


def macro_index(manifest: Manifest) -> MacroIndex:
    return MacroIndex((m.rel_path, m.text) for m in manifest.project.macros)
