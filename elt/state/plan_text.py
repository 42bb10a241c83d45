"""The lines `elt plan` prints: each change with its category and why, then what is rebuilt (and which
parent column brings it) and what is skipped (and why the change does not reach it)."""

from __future__ import annotations

from elt.compile.compiler import Manifest
from elt.state.reach import ChangePlan


def plan_lines(plan: ChangePlan, manifest: Manifest, selected: set[str] | None = None) -> list[str]:
    """The text of `elt plan` for `plan`; `selected`: the nodes -s/--exclude keep (None: every one)."""
    def name(uid: str) -> str:
        node = manifest.nodes[uid]
        return f"{node.source_name}.{node.name}" if node.resource_type == "source" else node.name

    def kept(uid: str) -> bool:
        return selected is None or uid in selected

    if not plan.changes:
        return ["No changes against the state: nothing to rebuild."]
    width = max(len(name(uid)) for uid in {*plan.changes, *plan.rebuild, *plan.skipped})
    lines = [f"Changes against the state ({len(plan.changes)}):"]
    for uid, change in plan.changes.items():
        lines.append(f"  {name(uid):<{width}}  {change.category}: {'; '.join(change.reasons)}")
    rebuild = [uid for uid in plan.buildable(set(plan.rebuild), manifest) if kept(uid)]
    every = [uid for uid in plan.buildable(plan.descendants, manifest) if kept(uid)]
    order = {uid: index for index, uid in enumerate(manifest.graph.topological_order())}
    lines.append(f"Plan: rebuild {len(rebuild)} of the {len(every)} node(s) that state:modified+ would build")
    for uid in sorted(rebuild, key=order.__getitem__):
        why = "; ".join(plan.rebuild[uid])
        if manifest.nodes[uid].materialized == "incremental":
            # an incremental run adds new rows only: the rows it already holds keep the old logic
            why += " (incremental: --full-refresh rebuilds the rows it already holds)"
        lines.append(f"  rebuild {name(uid):<{width}}  {why}")
    skipped = [uid for uid in plan.buildable(set(plan.skipped), manifest) if kept(uid)]
    for uid in sorted(skipped, key=order.__getitem__):
        lines.append(f"  skip    {name(uid):<{width}}  {plan.skipped[uid]}")
    unbuilt = [uid for uid, change in plan.changes.items() if not change.rebuild and uid not in plan.rebuild
               and kept(uid)]
    for uid in unbuilt:
        node = manifest.nodes[uid]
        what = ("ephemeral: built within the models that read it" if node.materialized == "ephemeral"
                else "a source: built by no one" if node.resource_type == "source" else "nothing to rebuild")
        lines.append(f"  skip    {name(uid):<{width}}  {plan.changes[uid].category}: {what}")
    return lines
