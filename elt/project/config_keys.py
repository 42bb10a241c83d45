"""dbt config keys elt has no use for: which are accepted and ignored (they change nothing elt builds),
which are refused (ignoring them would change rows or relation names), and dbt's hyphen spellings.

One policy for the three places a config is written: a `models:`/`seeds:`/`data_tests:` tree
(dbt_project.yml or `[tool.elt]`), a yml `config:`, a model's `{{ config() }}`. An ignored key is left
out of the node's config and noted once per key (`IgnoredKeys`), naming where it was set.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from elt.errors import ProjectError

#: dbt's spellings of elt's config keys.
ALIASES: dict[str, str] = {"pre-hook": "pre_hook", "post-hook": "post_hook"}

#: Keys accepted and ignored, with why ignoring them changes no row and no relation name.
IGNORED: dict[str, str] = {
    "docs": "documentation display only",
    "persist_docs": "elt writes no comments from descriptions to the engine",
    "meta": "free-form metadata",
    "grants": "elt grants no privileges (grant them on the engine)",
    "access": "model governance (who may ref the model)",
    "group": "model governance",
    "contract": "contract checks are not run (only `enforced: false` is accepted)",
    "labels": "BigQuery labels",
    "quoting": "elt names are plain identifiers, the same quoted or not",
    "quote_columns": "seed column names are plain identifiers, the same quoted or not",
    "on_configuration_change": "materialized views only",
    "store_failures": "failing rows are counted and sampled, not stored in a table",
    "store_failures_as": "failing rows are counted and sampled, not stored in a table",
    "event_time": "microbatch and sample metadata",
    "copy_grants": "Snowflake grants",
    "transient": "Snowflake table kind",
    "persist": "dbt-duckdb documentation persistence",
    "fail_calc": "only the default `count(*)` is accepted",
    "warn_if": "only the default `!= 0` is accepted",
    "error_if": "only the default `!= 0` is accepted",
    "incremental_predicates": "only an empty list is accepted",
}

#: Keys refused, with why and what to do.
REFUSED: dict[str, str] = {
    "sql_header": "statements run before the model's could change what it returns: put them in a pre_hook "
                  "or in the profile's session settings",
    "lookback": "microbatch incremental models are not supported (elt's batch_size runs backfills by interval)",
    "begin": "microbatch incremental models are not supported",
    "concurrent_batches": "microbatch incremental models are not supported",
    "options": "adapter table options (USING ... OPTIONS) are not supported: use tblproperties",
    "location_root": "use `location` (the table's own folder)",
}

#: Values of an ignored key that keep its meaning (other values are refused: ignoring them would change
#: what a model or test gives).
_HARMLESS_VALUES: dict[str, Any] = {
    "contract": lambda v: not (isinstance(v, Mapping) and v.get("enforced")),
    "fail_calc": lambda v: str(v).strip().lower().replace(" ", "") in ("count(*)",),
    "warn_if": lambda v: str(v).strip().replace(" ", "") == "!=0",
    "error_if": lambda v: str(v).strip().replace(" ", "") == "!=0",
    "incremental_predicates": lambda v: not v,
}


class IgnoredKeys:
    """The ignored keys met while loading and compiling one project: key -> places it was set."""

    def __init__(self) -> None:
        self.places: dict[str, list[str]] = {}

    def add(self, key: str, where: str) -> None:
        places = self.places.setdefault(key, [])
        if where not in places:
            places.append(where)

    def warnings(self) -> list[str]:
        """One line per key, naming up to three places (and how many more)."""
        lines = []
        for key in sorted(self.places):
            places = self.places[key]
            shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
            lines.append(f"config `{key}` is ignored by elt ({IGNORED[key]}): set in {shown}")
        return lines


def sort_config(
    config: Mapping[str, Any], valid: Mapping[str, str], where: str, ignored: IgnoredKeys | None,
    *, path: str | Path | None = None, line: int | None = None, kind: str = "",
) -> dict[str, Any]:
    """`config` with dbt's spellings made elt's and the ignored keys left out (noted in `ignored`).

    Args:
        valid: the config keys of the resource (elt.nodes: MODEL_CONFIG_KEYS, ...).
        where: how a warning names the place (`models/a.yml:3`).
        kind: what the config belongs to, for errors (`model 'a'`).

    Raises:
        ProjectError: a refused key, an ignored key with a value that would matter, or an unknown key.
    """
    kept: dict[str, Any] = {}
    for raw_key, value in config.items():
        key = ALIASES.get(raw_key, raw_key)
        if key in valid:
            kept[key] = value
            continue
        check(key, value, valid, path=path, line=line, kind=kind)
        if ignored is not None:
            ignored.add(key, where)
    return kept


def check(key: str, value: Any, valid: Mapping[str, str], *, path: str | Path | None = None,
          line: int | None = None, kind: str = "") -> None:
    """Raise unless `key` (not one of `valid`) is an ignored key with a harmless value."""
    owner = f" for {kind}" if kind else ""
    if key in IGNORED:
        harmless = _HARMLESS_VALUES.get(key)
        if harmless is None or harmless(value):
            return
        raise ProjectError(f"config `{key}: {value!r}`{owner} is not supported: {IGNORED[key]}",
                           path=path, line=line, hint=f"remove `{key}`, or set it to its default")
    if key in REFUSED:
        raise ProjectError(f"config `{key}`{owner} is not supported: {REFUSED[key]}", path=path, line=line)
    raise ProjectError(
        f"unknown config key(s) {key}{owner}", path=path, line=line,
        hint=f"valid keys: {', '.join(sorted(valid))}; accepted and ignored: {', '.join(sorted(IGNORED))}",
    )
