"""`elt diff`: which two relations (a model in two targets, or relations named), which key, which
engines; the comparison itself is `elt.diff`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from elt.cli.invocation import Invocation, compile_manifest, load, open_adapter
from elt.compile.compiler import Manifest
from elt.diff.compare import diff_relations
from elt.diff.result import Diff
from elt.diff.sides import Side
from elt.errors import ProjectError
from elt.nodes import IDENTIFIER, Node, Relation
from elt.project.config import TargetConfig, load_target
from elt.report.console import Console


@dataclass(frozen=True)
class DiffRequest:
    """The command line of `elt diff`."""

    model: str | None = None
    relation: str | None = None
    against: str | None = None
    against_relation: str | None = None
    key: str | None = None
    examples: int = 3


def diff_command(inv: Invocation, console: Console, request: DiffRequest) -> Diff:
    """Compare the two relations the request names; the reference is `--against`.

    Raises:
        ProjectError: a bad request, an unknown model, target or relation, a key that is not unique.
    """
    if bool(request.model) == bool(request.relation):
        raise ProjectError("elt diff compares a MODEL or a --relation SCHEMA.NAME: give one of them",
                           hint="elt diff my_model --against prod, or elt diff --relation a.b --against-relation c.d")
    if not request.against and not request.against_relation:
        raise ProjectError("elt diff needs what to compare against: --against TARGET and/or --against-relation "
                           "SCHEMA.NAME")
    project, here_target = load(inv)
    there_target = (load_target(project.config, inv.profiles_dir, request.against) if request.against
                    else here_target)
    node = None
    tested: list[str] = []
    if request.model:
        manifest = compile_manifest(inv, console)
        node = _model(manifest, request.model)
        tested = [spec.column_name for spec in manifest.project.test_specs
                  if spec.attached_to == node.unique_id and spec.test_name == "unique" and spec.column_name]
        here_relation = _relation_of(node)
    else:
        here_relation = _parse_relation(request.relation or "", "--relation")
    if request.against_relation:
        there_relation = _parse_relation(request.against_relation, "--against-relation")
    else:
        there_inv = dataclasses.replace(inv, target=there_target.name)
        there_relation = _relation_of(_model(compile_manifest(there_inv, console), request.model or ""))
    key = _key(request, node, tested)
    same_target = here_target.name == there_target.name
    if same_target and here_relation == there_relation:
        raise ProjectError(f"both sides are {here_relation} in target {here_target.name!r}: nothing to compare",
                           hint="name another target with --against or another relation with --against-relation")
    here_adapter = open_adapter(here_target)
    there_adapter = here_adapter
    try:
        one_database = same_target or _one_database(here_adapter, there_target)
        if not one_database:
            there_adapter = open_adapter(there_target)
        here = Side(_label(here_target, here_relation, same_target), here_adapter, here_relation)
        there = Side(_label(there_target, there_relation, same_target), there_adapter, there_relation)
        return diff_relations(here, there, key, examples=request.examples, one_database=one_database)
    finally:
        here_adapter.close()
        if there_adapter is not here_adapter:
            there_adapter.close()


def _label(target: TargetConfig, relation: Relation, same_target: bool) -> str:
    return str(relation) if same_target else target.name


def _one_database(adapter: Any, target: TargetConfig) -> bool:
    """Can the first target's connection read the other target's relations (one engine, one database)?"""
    from elt.cli.invocation import adapter_class_of

    other_class = adapter_class_of(target)
    if type(adapter) is not other_class:
        return False
    key = adapter.lock_key()
    return key is not None and key == other_class(target).lock_key()


def _model(manifest: Manifest, name: str) -> Node:
    found = [n for n in manifest.nodes.values() if n.resource_type in ("model", "seed") and n.name == name]
    if not found:
        close = sorted(n.name for n in manifest.nodes.values()
                       if n.resource_type in ("model", "seed") and name.lower() in n.name.lower())[:5]
        raise ProjectError(f"no model or seed named {name!r} in the project",
                           hint=f"did you mean {', '.join(close)}?" if close else "elt ls lists the models")
    return found[0]


def _relation_of(node: Node) -> Relation:
    if node.relation is None:
        raise ProjectError(f"{node.name} is ephemeral: it has no relation to compare", path=node.path)
    return node.relation


def _parse_relation(text: str, option: str) -> Relation:
    parts = text.strip().split(".")
    if len(parts) != 2 or not all(IDENTIFIER.match(p) for p in parts):
        raise ProjectError(f"{option} {text!r} is not a relation name", hint="write it as SCHEMA.NAME")
    return Relation(parts[0], parts[1])


def _key(request: DiffRequest, node: Node | None, tested: list[str]) -> list[str]:
    """--key, else the model's unique_key, else the (first) column with a `unique` data test in yml."""
    if request.key:
        key = [k.strip() for k in request.key.split(",") if k.strip()]
        bad = [k for k in key if not IDENTIFIER.match(k)]
        if bad or not key:
            raise ProjectError(f"--key {request.key!r} is not a list of column names", hint="e.g. --key id,day")
        return key
    if node is not None:
        unique_key = node.config.get("unique_key")
        if isinstance(unique_key, str) and unique_key.strip():
            return [k.strip() for k in unique_key.split(",")]
        if isinstance(unique_key, list | tuple) and unique_key:
            return [str(k) for k in unique_key]
        if tested:
            return [tested[0]]
    what = f"{node.name} has no unique_key config and no column with a unique test" if node else \
        "relations named by --relation have no known key"
    raise ProjectError(f"elt diff needs a key to match rows: {what}", hint="give --key col[,col]")

