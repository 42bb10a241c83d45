"""Which nodes of a compiled project are new, or modified (and in which parts), against a State."""

from __future__ import annotations

import json
from dataclasses import dataclass

from elt.compile.compiler import Manifest
from elt.state.fingerprint import PARTS, Fingerprint, checksum, fingerprint, macro_index
from elt.state.manifest_state import State

#: the resource types state selectors compare (tests follow the nodes they test through `+`).
COMPARED = ("model", "seed", "snapshot", "source")

#: the `relation` checksum of a node with no relation config (every source's before they had one).
_NO_RELATION = checksum(json.dumps({}, sort_keys=True, separators=(",", ":")))


def fingerprints(manifest: Manifest) -> dict[str, Fingerprint]:
    """Every compared node's fingerprint (elt.state.fingerprint), by unique id."""
    macros = macro_index(manifest)
    return {uid: fingerprint(manifest, node, macros) for uid, node in manifest.nodes.items()
            if node.resource_type in COMPARED}


def new_nodes(manifest: Manifest, state: State) -> set[str]:
    """The models, seeds, snapshots and sources of `manifest` the state does not have."""
    return {uid for uid, node in manifest.nodes.items() if node.resource_type in COMPARED and uid not in state.nodes}


def modified_nodes(manifest: Manifest, state: State,
                   prints: dict[str, Fingerprint] | None = None) -> dict[str, frozenset[str]]:
    """unique id -> the parts (elt.state.fingerprint.PARTS) that differ from the state, for each node
    the state has too and that differs in at least one part. New nodes are not in it (`new_nodes`).

    Args:
        prints: the manifest's fingerprints, when already made (`fingerprints(manifest)`).
    """
    prints = fingerprints(manifest) if prints is None else prints
    changed: dict[str, frozenset[str]] = {}
    for uid, mine in prints.items():
        theirs = state.nodes.get(uid)
        if theirs is None:
            continue
        parts = frozenset(part for part in PARTS if mine.checksums.get(part) != theirs.checksums.get(part))
        if uid.startswith("source.") and theirs.checksums.get("relation") == _NO_RELATION:
            # A state written before sources recorded their schema and identifier: nothing to compare.
            parts -= {"relation"}
        if parts:
            changed[uid] = parts
    return changed


#: the values `state:` selectors take (dbt's), besides `modified.<part>`.
STATE_VALUES = ("new", "old", "modified", "unmodified")


@dataclass(frozen=True)
class StateChanges:
    """How a compiled project differs from a State, as `state:` selectors read it."""

    #: compared nodes the state does not have.
    new: frozenset[str]
    #: compared nodes the state has.
    old: frozenset[str]
    #: nodes the state has, differing in these parts.
    modified: dict[str, frozenset[str]]

    def matching(self, value: str) -> set[str]:
        """The unique ids `state:<value>` selects: `new`; `modified` (new, or differing in any part,
        as dbt's); `modified.<part>` (a node of the state differing in that part); `old`;
        `unmodified`."""
        if value == "new":
            return set(self.new)
        if value == "old":
            return set(self.old)
        if value == "modified":
            return set(self.new) | set(self.modified)
        if value == "unmodified":
            return set(self.old) - set(self.modified)
        part = value.removeprefix("modified.")
        return {uid for uid, parts in self.modified.items() if part in parts}


def state_changes(manifest: Manifest, state: State) -> StateChanges:
    """Compare `manifest` with `state` once, for every `state:` selector of a command."""
    compared = {uid for uid, node in manifest.nodes.items() if node.resource_type in COMPARED}
    return StateChanges(new=frozenset(compared - state.nodes.keys()), old=frozenset(compared & state.nodes.keys()),
                        modified=modified_nodes(manifest, state))
