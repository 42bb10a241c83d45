"""`external`: the model's rows written to a file, and a view under the model's name reading it (as
dbt-duckdb's), so that the models downstream read the file through `ref()`.

Only on engines that write and read files on this machine (SUPPORTS_EXTERNAL_FILES); elsewhere the
model is refused at compile time (`check_models`). Config: `location` (default
`<profile's external_root, else the project's target path>/<alias>.<format>`), `format` (parquet,
the default, csv or json; else the extension of `location`), `options` (the engine writer's).

Nothing is lost on failure: the rows go to a temporary file beside `location`, renamed over it only
once they are all written (a rename within a folder is atomic), then the view is made; a failing
query leaves the previous file and view as they were.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elt.adapters.base import Adapter
from elt.errors import ProjectError
from elt.materializations.view import build_view
from elt.nodes import Node, Relation
from elt.project.config import TargetConfig

if TYPE_CHECKING:
    from elt.compile.compiler import Manifest

FORMATS = ("parquet", "csv", "json")
#: the part of the temporary file's name between the file's name and its extension.
TMP_MARK = ".__elt_tmp"


def file_format(config: Mapping[str, Any]) -> str:
    """The file's format: `format`, else the extension of `location`, else parquet.

    >>> file_format({"location": "out/x.csv"}), file_format({}), file_format({"format": "json"})
    ('csv', 'parquet', 'json')
    """
    chosen = config.get("format")
    if chosen:
        return str(chosen).lower()
    suffix = Path(str(config.get("location") or "")).suffix.lstrip(".").lower()
    return suffix if suffix in FORMATS else "parquet"


def file_location(node: Node, target: TargetConfig, target_path: str) -> str:
    """Where the model's file goes: its `location`, else `<root>/<alias>.<format>` with the root the
    profile's `external_root`, else `target_path` (the project's); a relative path is relative to the
    project folder."""
    assert node.relation is not None
    location = node.config.get("location")
    if not location:
        root = target.settings.get("external_root") or target_path
        location = f"{root}/{node.relation.name}.{file_format(node.config)}"
    path = Path(str(location)).expanduser()
    if not path.is_absolute() and target.project_root is not None:
        path = target.project_root / path
    return str(path)


def build_external(adapter: Adapter, relation: Relation, query: str, config: Mapping[str, Any],
                   location: str) -> int:
    """Write `query`'s rows to `location` (through a temporary file), then (re)make the view
    `relation` reading it; returns how many rows were written."""
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}{TMP_MARK}{path.suffix}")
    fmt = file_format(config)
    try:
        rows = adapter.write_file(query, str(tmp), fmt, config.get("options") or {})
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    build_view(adapter, relation, adapter.file_query(str(path), fmt))
    return rows


def check_models(manifest: Manifest, adapter_cls: type[Adapter]) -> None:
    """Refuse, at compile time, external models the target cannot build, or configured wrongly.

    Raises:
        ProjectError: naming the model's file and what to do instead.
    """
    for node in manifest.nodes.values():
        if node.resource_type != "model" or node.materialized != "external":
            continue
        if not adapter_cls.SUPPORTS_EXTERNAL_FILES:
            target = manifest.target
            raise ProjectError(
                f"model {node.name!r} is materialized='external', which writes a file with the engine's own "
                f"file writer: the {target.type} target {target.name!r} has none",
                path=node.path, node=node.unique_id,
                hint="for a table over files at a path, use materialized='table' with `location` and "
                     "`file_format` (e.g. parquet); or leave the model out on this target: "
                     f"{{{{ config(enabled=target.type != '{target.type}') }}}}")
        fmt = file_format(node.config)
        if fmt not in FORMATS:
            raise ProjectError(f"model {node.name!r}: external format {fmt!r} is not one of {', '.join(FORMATS)}",
                               path=node.path, node=node.unique_id)
        if not isinstance(node.config.get("options") or {}, Mapping):
            raise ProjectError(f"model {node.name!r}: `options` must be a mapping of the file writer's options",
                               path=node.path, node=node.unique_id, hint="write options={'compression': 'zstd'}")
        if node.config.get("partition_by"):
            raise ProjectError(f"model {node.name!r}: elt does not write partitioned external files yet",
                               path=node.path, node=node.unique_id,
                               hint="leave partition_by out (one file), or use a table model")
