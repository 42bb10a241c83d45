"""Hive table options on DuckDB: accepted, not applied, and said so in the debug log (logger `elt`)."""

from __future__ import annotations

import logging
from typing import Any

import pytest


def test_hive_table_options_are_ignored_and_logged_at_debug(project: Any, caplog: pytest.LogCaptureFixture) -> None:
    proj = project({
        "models/marts/scores.sql": """\
            {{ config(partition_by=['dt'], file_format='parquet', location='/warehouse/scores',
                      tblproperties={'owner': 'school'}, comment='per day') }}
            select 1 as id, '2024-01-01' as dt
        """,
        "models/marts/plain.sql": "select 2 as id\n",
    })
    message = ("gold.scores: partition_by, file_format, location, tblproperties, comment ignored on duckdb "
               "(Hive table options)")
    result = proj.elt("run", "--debug")
    assert result.exit_code == 0, result.output
    assert proj.query("select id, dt from gold.scores") == [(1, "2024-01-01")]
    assert message in result.stderr
    assert "gold.plain:" not in result.stderr  # no options, nothing to say
    records = [r for r in caplog.records if r.name == "elt" and "ignored on" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.DEBUG, message)]
    # Without --debug it stays out of the output.
    assert message not in proj.elt("run").output
