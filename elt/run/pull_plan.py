"""What `elt pull` copies, and with which limits: the relations a selection reads but does not build
(its sources, and the seeds and models upstream of it that it leaves out), or, with no selection,
every source and seed (the raw layer).

Limits come from a source's yml `pull:` block (the source's, replaced by its table's) and from the
command line, which wins key by key:

    sources:
      - name: raw
        pull: {sample: 10}            # every table of the source
        tables:
          - name: portal_events
            pull:
              partitions: 7           # the last 7 partitions (catalog's partition columns)
              where: "event_type <> 'login'"
              sample: 10              # percent of the rows, drawn at random on the server
              limit: 100000           # at most this many rows
              max_rows: 20000000      # refusal threshold for this table (default: --max-rows)

Models and seeds take the command line's limits only; a model's `partition_by` stands in for
partitions the catalog does not list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from elt.compile.compiler import Manifest
from elt.errors import ProjectError
from elt.nodes import Node, Relation

#: Rows a relation may have without a limit before a pull refuses it (--max-rows, `pull: max_rows`).
DEFAULT_MAX_ROWS = 5_000_000


@dataclass(frozen=True)
class Limits:
    """Which rows of a relation a pull copies. None: no such limit."""

    partitions: int | None = None
    where: str | None = None
    sample: float | None = None
    limit: int | None = None
    max_rows: int | None = None

    def over(self, base: Limits) -> Limits:
        """These limits, with `base`'s where these have none."""
        return replace(base, **{f.name: getattr(self, f.name) for f in fields(self)
                                if getattr(self, f.name) is not None})

    def describe(self) -> str:
        """The limits as one line: what the record keeps, and what a resumed pull compares.

        >>> Limits(partitions=3, sample=10.0).describe(), Limits().describe()
        ('last 3 partitions; sample 10%', 'all rows')
        """
        parts = []
        if self.partitions is not None:
            parts.append(f"last {self.partitions} partitions")
        if self.where is not None:
            parts.append(f"where {self.where}")
        if self.sample is not None:
            parts.append(f"sample {self.sample:g}%")
        if self.limit is not None:
            parts.append(f"limit {self.limit}")
        return "; ".join(parts) or "all rows"

    @property
    def bounded(self) -> bool:
        return any(v is not None for v in (self.partitions, self.where, self.sample, self.limit))


def check_limits(values: Mapping[str, Any], where: str, path: str | None = None, line: int | None = None) -> Limits:
    """A `pull:` block (or the command line's options) checked into Limits.

    Raises:
        ProjectError: an unknown key or a value out of range, naming `where`.
    """
    unknown = sorted(set(values) - {f.name for f in fields(Limits)})
    if unknown:
        raise ProjectError(f"{where}: unknown pull limit(s) {', '.join(unknown)}", path=path, line=line,
                           hint="pull: takes partitions, where, sample (percent), limit, max_rows")
    checked: dict[str, Any] = {}
    for key in ("partitions", "limit", "max_rows"):
        value = values.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ProjectError(f"{where}: pull {key} must be a whole number of at least 1, got {value!r}",
                                   path=path, line=line)
            checked[key] = value
    sample = values.get("sample")
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0 < sample <= 100:
            raise ProjectError(f"{where}: pull sample is a percent above 0 and at most 100, got {sample!r}",
                               path=path, line=line)
        checked["sample"] = float(sample)
    condition = values.get("where")
    if condition is not None:
        if not isinstance(condition, str) or not condition.strip():
            raise ProjectError(f"{where}: pull where must be a SQL condition (text), got {condition!r}",
                               path=path, line=line)
        checked["where"] = condition.strip()
    return Limits(**checked)


@dataclass(frozen=True)
class PullItem:
    """One relation to copy: where it is read, where it goes, and which rows."""

    unique_id: str
    #: the relation on the target pulled from, and the one the local target uses for the node.
    remote: Relation
    local: Relation
    limits: Limits
    #: a model's partition_by, used when the catalog lists no partitions.
    partition_by: tuple[str, ...] = ()


def pull_items(local: Manifest, remote: Manifest, selected: set[str] | None, given: Limits) -> list[PullItem]:
    """The relations to pull, in dependency order, one per local relation.

    Args:
        local: the project compiled for the target pulled into (its relation names).
        remote: the project compiled for the target pulled from.
        selected: the selected node ids; None: every source and seed.
        given: the command line's limits (over each source's `pull:` block).
    """
    wanted = _wanted(local, selected)
    items: list[PullItem] = []
    seen: set[Relation] = set()
    # Sources first: where a seed and a source name one relation (a raw table loaded by `elt seed`), the
    # source's `pull:` block applies.
    order = local.graph.topological_order()
    for uid in sorted((u for u in order if u in wanted), key=lambda u: not u.startswith("source.")):
        node, there = local.nodes[uid], remote.nodes.get(uid)
        if node.relation is None or there is None or there.relation is None or node.relation in seen:
            continue
        seen.add(node.relation)
        items.append(PullItem(uid, there.relation, node.relation, given.over(_yml_limits(node)),
                              tuple(_partition_by(there))))
    return items


def _wanted(manifest: Manifest, selected: set[str] | None) -> set[str]:
    nodes = manifest.nodes
    if selected is None:
        return {uid for uid, node in nodes.items() if node.resource_type in ("source", "seed")}
    built = {uid for uid in selected if nodes[uid].resource_type in ("model", "seed", "snapshot")
             and nodes[uid].materialized != "ephemeral"}
    wanted = {uid for uid in selected if nodes[uid].resource_type == "source"}
    stack = [uid for uid in built if nodes[uid].resource_type == "model"]
    # An ephemeral model is inlined into what reads it: what it reads is read by them.
    stack += [uid for uid in selected if nodes[uid].materialized == "ephemeral"]
    visited: set[str] = set()
    while stack:
        for parent in manifest.graph.parents(stack.pop()):
            if parent in built or parent in visited or parent not in nodes:
                continue
            visited.add(parent)
            kind = nodes[parent].resource_type
            if kind == "model" and nodes[parent].materialized == "ephemeral":
                stack.append(parent)
            elif kind in ("source", "seed", "model", "snapshot"):
                wanted.add(parent)
    return wanted


def _yml_limits(node: Node) -> Limits:
    block = node.config.get("pull")
    if block is None:
        return Limits()
    where = f"source {node.source_name}.{node.name}"
    if not isinstance(block, Mapping):
        raise ProjectError(f"{where}: `pull` must be a mapping of limits", path=node.path, line=node.line,
                           hint="e.g. pull: {partitions: 7} or pull: {sample: 10, limit: 100000}")
    return check_limits(block, where, node.path, node.line)


def _partition_by(node: Node) -> list[str]:
    value = node.config.get("partition_by") or []
    return [value] if isinstance(value, str) else [str(v) for v in value]
