"""Comparing this compile with another run's (`--state DIR`): state selectors, --defer, elt clone.

`load_state(path)` reads another run's manifest.json into a `State`; `new_nodes` and `modified_nodes`
compare a compiled `Manifest` with it, part by part (`PARTS`: body, configs, relation, macros,
contract); `state_changes` does it once for the `state:` selectors (elt.run.selection).
`fingerprints` makes the checksums manifest.json records per node (elt.report.artifacts).
"""

from __future__ import annotations

from elt.state.compare import STATE_VALUES, StateChanges, fingerprints, modified_nodes, new_nodes, state_changes
from elt.state.fingerprint import PARTS, Fingerprint
from elt.state.manifest_state import STATE_VERSION, State, StateNode, StateRelation, load_state

__all__ = ["PARTS", "STATE_VALUES", "STATE_VERSION", "Fingerprint", "State", "StateChanges", "StateNode",
           "StateRelation", "fingerprints", "load_state", "modified_nodes", "new_nodes", "state_changes"]
