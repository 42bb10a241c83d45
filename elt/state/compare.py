"""Which nodes of a compiled project are new, or modified (and in which parts), against a State."""

from __future__ import annotations

from elt.compile.compiler import Manifest
from elt.state.fingerprint import PARTS, Fingerprint, fingerprint, macro_index
from elt.state.manifest_state import State

#: the resource types state selectors compare (tests follow the nodes they test through `+`).
COMPARED = ("model", "seed", "snapshot", "source")


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
        if parts:
            changed[uid] = parts
    return changed
