"""`elt plan --state DIR` and the selection of `elt run/build --plan` / `--plan-all`: the changes against
another run's artifacts (elt.state.reach), what they reach, narrowed by -s / --exclude."""

from __future__ import annotations

from dataclasses import dataclass

from elt.cli.invocation import Invocation, compile_manifest, select, state_of
from elt.compile.compiler import Manifest
from elt.errors import ProjectError
from elt.report.console import Console
from elt.state.reach import ChangePlan, plan_changes


@dataclass
class PlanOutcome:
    manifest: Manifest
    plan: ChangePlan
    #: the nodes -s / --exclude keep (None: no selector given).
    selected: set[str] | None


def plan_command(inv: Invocation, console: Console, manifest: Manifest | None = None) -> PlanOutcome:
    """`elt plan`: compare the compiled project with --state and follow the changes downstream."""
    if inv.state_path is None:
        raise ProjectError("elt plan needs --state DIR",
                           hint="give the target/ folder of the run to compare with (e.g. production's)")
    state = state_of(inv)
    assert state is not None  # state_path is set
    manifest = manifest or compile_manifest(inv, console)
    selected = (select(manifest, inv, console, {"model", "seed", "snapshot", "source"})
                if inv.select or inv.exclude else None)
    return PlanOutcome(manifest, plan_changes(manifest, state), selected)


def planned_nodes(manifest: Manifest, inv: Invocation, console: Console, resource_types: set[str]) -> set[str]:
    """The nodes `elt run/build --plan` (what the changes reach) or `--plan-all` (state:modified+) builds,
    of `resource_types`, within -s / --exclude when given."""
    outcome = plan_command(inv, console, manifest)
    plan = outcome.plan
    chosen = plan.buildable(set(plan.rebuild) if inv.plan == "reach" else plan.descendants, manifest)
    chosen = {uid for uid in chosen if manifest.nodes[uid].resource_type in resource_types}
    if outcome.selected is not None:
        chosen &= outcome.selected
    what = "the changes reach" if inv.plan == "reach" else "changed or downstream of a change (state:modified+)"
    console.info(f"--plan{'-all' if inv.plan == 'all' else ''}: {len(chosen)} node(s) {what}, "
                 f"against the state in {inv.state_path}")
    return chosen
