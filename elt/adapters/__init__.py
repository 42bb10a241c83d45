"""Adapter registry: profile `type` -> adapter class, imported only when a target of that type is used."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from elt.errors import ProjectError

if TYPE_CHECKING:
    from elt.adapters.base import Adapter

#: profile `type` -> "module:Class". `spark` is a Spark Thrift Server, which speaks HiveServer2.
ADAPTERS: dict[str, str] = {
    "duckdb": "elt.adapters.duckdb:DuckDBAdapter",
    "hive": "elt.adapters.hive:HiveAdapter",
    "spark": "elt.adapters.hive:HiveAdapter",
}


def supported_types() -> list[str]:
    return sorted(ADAPTERS)


def adapter_class(type_name: str, *, path: str | None = None) -> type[Adapter]:
    """Return the adapter class for a profile `type`.

    Raises:
        ProjectError: the type is not one elt supports (the message lists those it does).
    """
    spec = ADAPTERS.get(type_name)
    if spec is None:
        raise ProjectError(
            f"unknown target type {type_name!r}",
            path=path,
            hint=f"supported types: {', '.join(supported_types())}",
        )
    module_name, class_name = spec.split(":")
    adapter_class: type[Adapter] = getattr(importlib.import_module(module_name), class_name)
    return adapter_class


def memory_adapter(profiles_path: Path) -> Adapter:
    """A private in-memory database (an adapter not yet opened) for model unit tests: embedded DuckDB,
    so a unit test needs no warehouse and touches none.

    Args:
        profiles_path: the profiles.yml of the project under test (named in the adapter's errors).
    """
    from elt.adapters.duckdb import DuckDBAdapter
    from elt.project.config import TargetConfig

    memory = TargetConfig(name="unit", type=DuckDBAdapter.type, schema=DuckDBAdapter.DEFAULT_SCHEMA, threads=1,
                          settings={"path": ":memory:"}, profiles_path=profiles_path, dialect=DuckDBAdapter.dialect)
    return DuckDBAdapter(memory)
