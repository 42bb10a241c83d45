"""A snapshot node's config as compiled, and its relation (dbt's legacy target_schema read as dbt 1.9 reads it).

The SCD settings themselves (unique_key, strategy, ...) are checked into a `SnapshotSpec` by
`materializations.snapshot_config`, called for every snapshot when a command has compiled the project
(`cli.invocation`: compile/ does not import materializations/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elt.compile.sqlmap import line_of_call
from elt.errors import ProjectError
from elt.nodes import IDENTIFIER, Node, Relation

if TYPE_CHECKING:
    from elt.compile.naming import Namer


def snapshot_config(node: Node, config: dict[str, Any]) -> dict[str, Any]:
    """`config` (folder, yml, then the block's own `config()`) with `materialized: snapshot` and tags as a
    list. (The SCD keys, legacy `invalidate_hard_deletes` included, are read by `snapshot_config`.)"""
    config["materialized"] = "snapshot"
    tags = config.get("tags", [])
    config["tags"] = [tags] if isinstance(tags, str) else list(tags)
    return config


def snapshot_relation(node: Node, namer: Namer) -> Relation:
    """The snapshot's table: named as a model's (`schema`, `alias`, generate_schema_name in a dbt project),
    except that a legacy `target_schema` is the schema as written (dbt < 1.9; dbt 1.9 keeps it so), and a
    legacy `target_database` is checked as `database` is.

    Raises:
        ProjectError: a name that is not an identifier, a database other than the target's.
    """
    config = node.config
    target_database = config.get("target_database")
    if target_database is not None and config.get("database") is None:
        config["database"] = target_database
    relation = namer.relation(node)
    target_schema = config.get("target_schema")
    if target_schema is None:
        return relation
    schema = str(target_schema).strip()
    if not IDENTIFIER.match(schema):
        raise _error(node, f"target_schema {schema!r} of snapshot {node.name!r} is not a valid identifier",
                     hint="use letters, digits and underscores, starting with a letter or underscore")
    return Relation(schema, relation.name)


def _error(node: Node, message: str, hint: str | None = None) -> ProjectError:
    line = line_of_call(node.raw_sql, "config") if node.path.endswith(".sql") else None
    return ProjectError(message, path=node.path, line=line or node.line, hint=hint)
