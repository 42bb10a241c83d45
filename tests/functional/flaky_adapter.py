"""A DuckDB adapter that fails a chosen statement with a transient error a set number of times.

It runs everything on real DuckDB; it only adds the dropped-connection kind of failure that DuckDB,
being embedded, never has, so retries can be tested. Set ELT_TEST_FLAKY="<relation>:<times>".
"""

from __future__ import annotations

import os
import threading

from elt.adapters.duckdb import DuckDBAdapter
from elt.errors import AdapterError

_lock = threading.Lock()
_failed: dict[str, int] = {}


class FlakyDuckDB(DuckDBAdapter):
    type = "flaky_duckdb"

    def execute(self, sql: str) -> None:
        relation, _, times = os.environ.get("ELT_TEST_FLAKY", "").partition(":")
        if relation and sql.startswith((f"CREATE TABLE {relation}__elt_tmp", f"CREATE OR REPLACE TABLE {relation} AS")):
            with _lock:
                count = _failed.get(relation, 0)
                if count < int(times):
                    _failed[relation] = count + 1
                    raise AdapterError("connection reset by peer (injected)", transient=True)
        super().execute(sql)
