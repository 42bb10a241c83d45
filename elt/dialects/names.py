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

#: The prefixes `adapter.dispatch` tries, in order, for a project written in a dialect (`<prefix>__<macro>`):
#: a model's SQL is in the project's dialect whatever engine runs it, so the dialect decides, not the
#: target. Spark SQL is Hive's family: a Hive project takes dbt-spark's implementations after its own.
MACRO_PREFIXES: dict[str, tuple[str, ...]] = {
    "hive": ("hive", "spark", "default"),
    "spark": ("spark", "default"),
    "spark2": ("spark", "default"),
    "databricks": ("databricks", "spark", "default"),
    "duckdb": ("duckdb", "default"),
}


def macro_prefixes(dialect: str) -> tuple[str, ...]:
    """`adapter.dispatch`'s prefixes for a project dialect.

    >>> macro_prefixes("hive")
    ('hive', 'spark', 'default')
    """
    return MACRO_PREFIXES.get(dialect, (dialect, "default"))
