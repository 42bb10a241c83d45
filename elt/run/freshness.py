"""Source freshness: how old is the newest row of each source, against its warn/error thresholds.

Declared in yml on a source (inherited by its tables) or on a table:

    loaded_at_field: recorded_at
    freshness:
      warn_after: {count: 12, period: hour}
      error_after: {count: 1, period: day}
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from elt.errors import EltError, ProjectError
from elt.nodes import Node

PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class FreshnessResult:
    unique_id: str
    status: str  # pass | warn | error | runtime error
    max_loaded_at: datetime.datetime | None
    age_seconds: float | None
    criteria: dict[str, Any]
    message: str = ""


def _threshold(node: Node, key: str) -> float | None:
    spec = (node.config.get("freshness") or {}).get(key)
    if not spec:
        return None
    try:
        count, period = int(spec["count"]), str(spec["period"])
        return count * PERIODS[period]
    except (KeyError, TypeError, ValueError):
        raise ProjectError(
            f"source {node.source_name}.{node.name}: freshness.{key} must be {{count: N, period: minute|hour|day}}",
            path=node.path, line=node.line,
        ) from None


def checkable(node: Node) -> bool:
    """A source table with a loaded_at_field and at least one threshold."""
    return (node.resource_type == "source" and bool(node.config.get("loaded_at_field"))
            and bool(node.config.get("freshness")))


def _as_utc(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.strip().replace("T", " "))
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    # Engines run in UTC (the profile's timezone setting); naive values are UTC.
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def describe_age(seconds: float) -> str:
    """An age in days, hours and minutes.

    >>> describe_age(93784)
    '1d 2h 3m'
    """
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    return " ".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v) or "0m"


def check_source(node: Node, adapter: Any, project_dialect: str, now: datetime.datetime) -> FreshnessResult:
    """Query the newest loaded_at_field of a source and grade its age."""
    import sqlglot

    from elt.dialects import translate

    warn_after, error_after = _threshold(node, "warn_after"), _threshold(node, "error_after")
    criteria = {"warn_after_seconds": warn_after, "error_after_seconds": error_after,
                "loaded_at_field": node.config["loaded_at_field"]}
    sql = f"select max({node.config['loaded_at_field']}) as max_loaded_at from {node.relation}"
    try:
        query = sqlglot.parse_one(sql, read=project_dialect)
        engine_sql = sql if adapter.dialect == project_dialect else translate(
            query, project_dialect, adapter.dialect, path=node.path)
        latest = _as_utc(adapter.fetchall(engine_sql)[0][0])
    except (EltError, sqlglot.errors.SqlglotError, ValueError) as exc:
        return FreshnessResult(node.unique_id, "runtime error", None, None, criteria, str(exc))
    if latest is None:
        return FreshnessResult(node.unique_id, "error", None, None, criteria, "the source has no rows")
    age = (now - latest).total_seconds()
    status = "pass"
    if error_after is not None and age > error_after:
        status = "error"
    elif warn_after is not None and age > warn_after:
        status = "warn"
    return FreshnessResult(node.unique_id, status, latest, age, criteria,
                           f"newest {node.config['loaded_at_field']} {latest:%Y-%m-%d %H:%M:%S}, "
                           f"{describe_age(age)} old")
