"""Hook config: `pre_hook` / `post_hook` values read and accumulated across config levels.

A hook is SQL with Jinja, rendered when its node is built (elt.run.hooks). As in dbt, hooks from
every level accumulate instead of replacing each other: folder trees (outer folders first), then the
yml `config:`, then the file's own `config()` calls, each level's in the order written. Each hook
keeps the file it was set in, so an error running it can name that file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elt.errors import ProjectError

#: the config keys whose values accumulate over the levels instead of replacing one another.
HOOK_KEYS = ("pre_hook", "post_hook")


class Hook(str):
    """One hook's SQL (Jinja, not rendered), as a string, with where it was set.

    A `str` so that a config holding hooks stays plain data wherever it goes (manifest.json shows the
    SQL); `origin` is the file that set it, `transaction` dbt's flag (False: run outside the model's
    transaction, before it begins or after it commits).
    """

    origin: str
    transaction: bool

    def __new__(cls, sql: str, origin: str, transaction: bool = True) -> Hook:
        hook = super().__new__(cls, sql)
        hook.origin = origin
        hook.transaction = transaction
        return hook

    def __reduce__(self) -> tuple[Any, ...]:
        return (Hook, (str(self), self.origin, self.transaction))


def spelled_as_config_keys(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with dbt's other spelling of the hook keys, `pre-hook` / `post-hook`, as `pre_hook` /
    `post_hook` (dbt reads both wherever config is written).

    >>> spelled_as_config_keys({"pre-hook": "select 1", "schema": "x"})
    {'pre_hook': 'select 1', 'schema': 'x'}
    """
    if not any("-" in str(key) for key in config):
        return config
    return {str(key).replace("-", "_") if str(key).replace("-", "_") in HOOK_KEYS else key: value
            for key, value in config.items()}


def as_hooks(value: Any, origin: str, key: str = "pre_hook") -> list[Hook]:
    """A hook config value as hooks: a SQL string, a mapping {sql, transaction} (dbt's form), or a
    list of those; None is none.

    >>> [str(h) for h in as_hooks(["select 1", {"sql": "select 2", "transaction": False}], "x.yml")]
    ['select 1', 'select 2']

    Raises:
        ProjectError: any other value, naming `origin`.
    """
    if value is None:
        return []
    if isinstance(value, Hook):
        return [value]
    if isinstance(value, str):
        return [Hook(value, origin)]
    if isinstance(value, Mapping) and isinstance(value.get("sql"), str):
        return [Hook(value["sql"], origin, value.get("transaction", True) is not False)]
    if isinstance(value, (list, tuple)):
        return [hook for item in value for hook in as_hooks(item, origin, key)]
    raise ProjectError(f"`{key}` must be a SQL string or a list of them, not {value!r}", path=origin,
                       hint=f'write {key}="insert into ..." or {key}=["...", "..."]')


def merge_config(config: dict[str, Any], more: Mapping[str, Any], origin: str) -> None:
    """Update `config` with the keys of `more` (a later, more specific level), except the hooks,
    which are appended to those of the earlier levels. New lists: a dict shared by several nodes'
    configs is never changed through one of them.

    >>> c = {"pre_hook": ["a"], "schema": "x"}
    >>> merge_config(c, {"pre_hook": "b", "schema": "y"}, "m.sql")
    >>> c["schema"], [str(h) for h in c["pre_hook"]]
    ('y', ['a', 'b'])
    """
    for key, value in more.items():
        if key in HOOK_KEYS:
            config[key] = [*as_hooks(config.get(key), origin, key), *as_hooks(value, origin, key)]
        else:
            config[key] = value
