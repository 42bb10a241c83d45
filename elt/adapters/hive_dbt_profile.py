"""dbt-spark and dbt-hive profile outputs read as the Hive adapter's settings.

dbt-spark (`type: spark`) connects over Thrift with `method: thrift`, `host`, `port`, `user`, `schema`,
`auth`, `kerberos_service_name`, `connect_retries`, `connect_timeout`, `server_side_parameters`;
dbt-hive (`type: hive`) with `host`, `port`, `user`, `password`, `auth_type`, `schema`. Those become
elt's keys (`username`, `retries`, `configuration`, `auth`; dbt-hive's `use_http_transport` is
`transport: http`, its `use_ssl` and `http_path` are elt's own keys); what elt's pyhive connection cannot
do (dbt-spark's `method: http`/`odbc`/`session`: Databricks endpoints, ODBC, an in-process session) is
refused with a message rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: dbt keys that are elt's under another name.
_RENAMED = {"user": "username", "connect_retries": "retries", "auth_type": "auth"}
#: dbt keys that change nothing elt does (read and dropped).
_DROPPED = {"method", "retry_all", "poll_interval", "query_retries", "database"}


def from_dbt_keys(settings: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(the settings with dbt's keys made elt's, a refusal message or None)."""
    method = str(settings.get("method") or "thrift").lower()
    if method != "thrift":
        return dict(settings), (f"method: {method} is not supported: elt connects to a Spark Thrift Server or "
                                "HiveServer2 over Thrift (binary transport); use method: thrift with host and port")
    database = settings.get("database")
    if database not in (None, "") and database != settings.get("schema"):
        return dict(settings), ("database must be absent or equal to schema (Spark and Hive have no databases "
                                "above schemas), as dbt-spark requires")
    result: dict[str, Any] = {}
    for key, value in settings.items():
        if key in _DROPPED:
            continue
        if key == "use_http_transport":
            if "transport" not in settings:
                result["transport"] = "http" if str(value).lower() == "true" else "binary"
            continue
        if key == "server_side_parameters":
            result["configuration"] = {**(value or {}), **(settings.get("configuration") or {})}
            continue
        new = _RENAMED.get(key, key)
        if new != key and settings.get(new) not in (None, ""):
            continue  # elt's own key, given too, wins
        result[new] = value
    if isinstance(result.get("auth"), str):
        result["auth"] = result["auth"].upper()
    return result, None
