"""Relation names of models and seeds: `schema.alias`, and the database they may name.

Defaults: in elt's own format, the `schema` config or the target's schema; in a dbt project, dbt's
`generate_schema_name`: the target's schema, or `<target schema>_<schema config>`. The alias is the
`alias` config or the node's name; the database the `database` config or the target's, which is the only
one elt builds in (Hive has none: a `database` config must be absent). When the project defines one of
dbt's macros `generate_schema_name(custom_schema_name, node)`, `generate_alias_name(custom_alias_name,
node)` or `generate_database_name(custom_database_name, node)`, the macro decides, called with a `node`
mapping as dbt passes it (name, fqn, resource_type, config, path, original_file_path, package_name,
unique_id). The macros are only looked for in the macro files' text, and a renderer is only built
when one is defined, so a project without them names its thousands of relations without Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from elt.errors import EltError, ProjectError, TemplateError
from elt.nodes import IDENTIFIER, Node, Relation
from elt.project.config import ProjectConfig, TargetConfig

if TYPE_CHECKING:
    from elt.compile.templating import Renderer

MACROS = ("generate_schema_name", "generate_alias_name", "generate_database_name")

#: dbt's default naming macros, for a project's own naming macros to call (as dbt's global macros).
BUILTIN_MACROS_PATH = "<elt built-in naming macros>"
BUILTIN_MACROS = """\
{% macro default__generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}
  {%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
  {%- if target.name == 'prod' and custom_schema_name is not none -%}{{ custom_schema_name | trim }}
  {%- else -%}{{ target.schema }}{%- endif -%}
{%- endmacro %}
{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}
{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
  {%- if custom_database_name is none -%}{{ target.database }}
  {%- else -%}{{ custom_database_name }}{%- endif -%}
{%- endmacro %}
"""
_DEFINITION = re.compile(r"{%-?\s*macro\s+(generate_(?:schema|alias|database)_name)\s*\(")


def defined_macros(macros: list[tuple[str, str]]) -> set[str]:
    """Which of dbt's naming macros the macro files (path, text) define.

    >>> sorted(defined_macros([("m.sql", "{% macro generate_schema_name(s, node) %}{% endmacro %}")]))
    ['generate_schema_name']
    """
    return {match.group(1) for _, text in macros if "generate_" in text for match in _DEFINITION.finditer(text)}


class Namer:
    """Names the relations of one compile's models and seeds.

    Args:
        defined: the naming macros the project defines (`defined_macros`).
        renderer: gives the renderer the macros are called with (only called when `defined` is not empty).
    """

    def __init__(self, config: ProjectConfig, target: TargetConfig, defined: set[str],
                 renderer: Callable[[], Renderer]) -> None:
        self._config = config
        self._target = target
        self._defined = defined
        self._renderer = renderer
        self._dbt = config.flavor == "dbt"

    def relation(self, node: Node) -> Relation:
        """The node's relation.

        Raises:
            ProjectError: a name that is not an identifier, or a database other than the target's.
            TemplateError: a naming macro failed (naming the node).
        """
        config = node.config
        custom_schema = config.get("schema")
        if "generate_schema_name" in self._defined:
            schema = self._call("generate_schema_name", custom_schema, node)
        elif custom_schema is None or (not self._dbt and not custom_schema):
            schema = self._target.schema
        else:
            schema = f"{self._target.schema}_{str(custom_schema).strip()}" if self._dbt else str(custom_schema)
        custom_alias = config.get("alias")
        if "generate_alias_name" in self._defined:
            alias = self._call("generate_alias_name", custom_alias, node)
        else:
            alias = str(custom_alias).strip() if custom_alias else node.name
        custom_database = config.get("database")
        if "generate_database_name" in self._defined:
            called = self._call("generate_database_name", custom_database, node)
            database: str | None = None if called in ("", "None") else called
        else:
            database = str(custom_database).strip() if custom_database else None
        if database is not None and database != self._target.database:
            where = f"the target's is {self._target.database!r}" if self._target.database else \
                f"a {self._target.type} target has no databases"
            raise ProjectError(
                f"{node.resource_type} {node.name!r} is to be built in database {database!r}, but elt builds "
                f"only in the target's database ({where})", path=node.path,
                hint="remove the `database` config (or make generate_database_name give the target's)")
        for what, value in (("schema", schema), ("alias", alias)):
            if not IDENTIFIER.match(value):
                raise ProjectError(
                    f"{what} {value!r} of {node.resource_type} {node.name!r} is not a valid identifier",
                    path=node.path, hint="use letters, digits and underscores, starting with a letter or underscore",
                )
        return Relation(schema, alias)

    def _call(self, name: str, custom: Any, node: Node) -> str:
        from elt.compile.templating import RenderState

        renderer = self._renderer()
        macro = renderer.namespace[name]
        state = RenderState(model_name=node.name, path=node.path)
        try:
            value = renderer.call(macro, state, None if custom is None else custom, self._node(node))
        except EltError as exc:
            exc.message += f" (in {name}, naming {node.resource_type} {node.name!r})"
            raise
        except Exception as exc:  # noqa: BLE001 - macro code raises anything
            raise TemplateError(f"{name} failed naming {node.resource_type} {node.name!r}: {exc}",
                                path=renderer.macro_files.get(name)) from None
        return str(value).strip()

    def _node(self, node: Node) -> dict[str, Any]:
        """The `node` argument, as dbt passes it to the naming macros."""
        file_name = node.path.rsplit("/", 1)[-1]
        project = node.package_name or self._config.name  # a package's node: its fqn starts with the package
        materialized = "seed" if node.resource_type == "seed" else node.config.get("materialized", "view")
        config = _Config({**_CONFIG_DEFAULTS, "materialized": materialized, **node.config})
        return {
            "name": node.name, "resource_type": node.resource_type, "config": config,
            "fqn": list(node.fqn) if node.package_name else [project, *node.fqn],
            "package_name": project, "original_file_path": node.path,
            "path": "/".join((*node.fqn[:-1], file_name)), "unique_id": f"{node.resource_type}.{project}.{node.name}",
            "tags": list(node.tags), "description": node.description, "version": None,
        }


#: what dbt's node config holds when nothing sets it (the keys naming macros read most).
_CONFIG_DEFAULTS: dict[str, Any] = {
    "enabled": True, "alias": None, "schema": None, "database": None, "tags": [], "meta": {},
    "full_refresh": None, "unique_key": None, "incremental_strategy": None, "on_schema_change": "ignore",
}


class _Config(dict[str, Any]):
    """`node.config`: a key nothing set reads as none (as in dbt), not as an undefined-name error."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)
