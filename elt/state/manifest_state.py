"""Reading another run's manifest.json (`--state DIR`): what each node was there.

A state folder is usually production's `target/` (or only its manifest.json, copied). Its manifest
must carry the state version this elt writes (`metadata.state_version`): an older or newer one is
refused with what to do, rather than compared field by field and found all "modified".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.errors import ProjectError

#: the version of what manifest.json records for state comparisons (`metadata.state_version`).
STATE_VERSION = 1


@dataclass(frozen=True)
class StateRelation:
    """Where a node of the state lives: `schema.identifier` in `database` (None: the engine has none)."""

    database: str | None
    schema: str
    identifier: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.identifier}"


@dataclass(frozen=True)
class StateNode:
    """One node as the state's manifest recorded it."""

    unique_id: str
    name: str
    resource_type: str
    relation: StateRelation | None
    #: part -> checksum (elt.state.fingerprint.PARTS).
    checksums: dict[str, str]
    config: dict[str, Any]
    depends_on: tuple[str, ...]
    #: the macros it called, name -> checksum of the macro's text.
    macros: dict[str, str] = field(default_factory=dict)
    #: a model's or snapshot's compiled SQL there, in the project dialect, relations named as in that
    #: target (`State.relation_names()` and elt.compile.canonical.canonical_sql make it comparable).
    sql: str | None = None

    @property
    def materialized(self) -> str | None:
        if self.resource_type in ("seed", "snapshot"):
            return self.resource_type
        if self.resource_type != "model":
            return None
        return str(self.config.get("materialized", "view"))


@dataclass(frozen=True)
class State:
    """Another run's compiled project: its target and its nodes by unique id."""

    path: Path
    project_name: str
    target_name: str
    #: the adapter type (engine) the state was compiled for, and its SQL dialect.
    engine: str
    dialect: str
    schema: str
    #: the target's database (DuckDB: the catalog name), and the file it lives in when it has one.
    database: str | None
    database_path: str | None
    elt_version: str
    nodes: dict[str, StateNode]

    def relation_names(self) -> dict[str, str]:
        """'schema.table' (lower case) of the state's nodes -> the name elt.compile.canonical gives
        it (`__ref__<name>`, `__source__<source>__<table>`), as `relation_names` does for a Manifest."""
        names: dict[str, str] = {}
        for node in self.nodes.values():
            if node.relation is None or node.resource_type == "test":
                continue
            if node.resource_type == "source":
                source = node.unique_id.split(".")[1]
                names[str(node.relation).lower()] = f"__source__{source}__{node.name}"
            else:
                names[str(node.relation).lower()] = f"__ref__{node.name}"
        return names


def load_state(path: Path) -> State:
    """Read `<path>/manifest.json` (or `path` itself when it is a manifest.json file).

    Raises:
        ProjectError: the folder or file is missing, not JSON, not an elt manifest, or written by an
            elt whose state version differs (with what to do).
    """
    path = Path(path)
    file = path if path.is_file() else path / "manifest.json"
    if not path.exists():
        raise ProjectError(f"state folder {str(path)!r} does not exist",
                           hint="give --state the folder of another run's artifacts (its target/), "
                                "e.g. production's manifest.json copied into a folder")
    if not file.is_file():
        raise ProjectError(f"no manifest.json in the state folder {str(path)!r}",
                           hint="run `elt compile` (or run/build) on the state's target; its target/ holds it")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read the state manifest: {exc}", path=str(file)) from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"the state manifest is not valid JSON: {exc.msg}", path=str(file), line=exc.lineno,
                           hint="copy manifest.json again from the state's target/") from None
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(metadata, dict) or not isinstance(data.get("nodes"), dict):
        raise ProjectError("the state manifest is not an elt manifest.json (no metadata or nodes)", path=str(file),
                           hint="give --state the target/ folder of an elt run")
    version = metadata.get("state_version")
    if version != STATE_VERSION:
        written = f"state version {version}" if version is not None else "no state version (an older elt)"
        raise ProjectError(
            f"the state manifest was written by elt {metadata.get('elt_version', '?')} with {written}; "
            f"this elt compares state version {STATE_VERSION}", path=str(file),
            hint="re-run `elt compile` on that target with this elt, and use its target/ as --state")
    target = metadata.get("target") or {}
    try:
        nodes = {uid: _node(uid, record) for uid, record in data["nodes"].items()
                 if record.get("resource_type") in ("model", "seed", "snapshot", "source", "test")}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProjectError(f"the state manifest has a malformed node: {exc}", path=str(file),
                           hint="re-run `elt compile` on that target with this elt") from None
    return State(path=file.parent, project_name=str(metadata.get("project_name", "")),
                 target_name=str(target.get("name", "")), engine=str(target.get("type", "")),
                 dialect=str(metadata.get("dialect", "")), schema=str(target.get("schema", "")),
                 database=target.get("database"), database_path=target.get("database_path"),
                 elt_version=str(metadata.get("elt_version", "")), nodes=nodes)


def _node(uid: str, record: dict[str, Any]) -> StateNode:
    relation = None
    if record.get("relation"):
        rel = record["relation"]
        relation = StateRelation(rel.get("database"), rel["schema"], rel["identifier"])
    state = record.get("state") or {}
    return StateNode(unique_id=uid, name=record["name"], resource_type=record["resource_type"], relation=relation,
                     checksums=dict(state.get("checksums") or {}), config=dict(record.get("config") or {}),
                     depends_on=tuple((record.get("depends_on") or {}).get("nodes") or ()),
                     macros=dict(state.get("macros") or {}), sql=state.get("sql"))
