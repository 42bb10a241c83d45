"""elt: Hive-first ELT. SQL models with Jinja, compiled into a DAG, built on Hive or embedded DuckDB.

The public API is imported lazily so `import elt` (and `elt --help`) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "compile_project", "load_project"]


def __getattr__(name: str) -> Any:
    if name == "load_project":
        from elt.project.loader import load_project

        return load_project
    if name == "compile_project":
        from elt.compile.compiler import compile_project

        return compile_project
    raise AttributeError(name)
