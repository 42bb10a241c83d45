"""The SQL dialects a project may be written in (`[tool.elt] dialect`), by name: read when the project's
config is, so this imports nothing (sqlglot takes a tenth of a second, and a compile that finds nothing
changed takes less than that).
"""

from __future__ import annotations

#: A project's dialect when `[tool.elt]` names none: elt is Hive-first, its models are Hive SQL.
DEFAULT_DIALECT = "hive"

#: Dialect names sqlglot (as pinned) is known to have, checked without importing it; any other name is
#: looked up in sqlglot.
KNOWN_DIALECTS = frozenset({"hive", "spark", "spark2", "databricks", "duckdb", "presto", "trino"})
