"""Table models on the real Hive server: a failed build never destroys the previous table.

A table that exists is built under a temporary name and swapped in; one that does not is created in
place (nothing to protect). Both are checked with a query that fails while it runs (a Spark job
failing halfway, `raise_error`) and one the server refuses before running it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hive.test_incremental_on_hive import hive_project, hive_rows  # noqa: F401 - fixture

pytestmark = pytest.mark.hive

FIRST = "select 1 as id, 'first' as v union all select 2 as id, 'first' as v"
FAILS_WHILE_RUNNING = "select cast(raise_error('boom') as int) as id, 'second' as v"
REFUSED = "select no_such_column as id, 'second' as v"


def _names(make_target: Any, schema: str) -> list[str]:
    return sorted(row[1] for row in hive_rows(make_target, f"SHOW TABLES IN {schema}"))


def test_a_failed_rebuild_leaves_the_previous_table_readable_with_its_rows(hive_project, make_target):  # noqa: F811
    proj = hive_project({"models/marts/scores.sql": FIRST})
    table = f"{proj.prefix}gold.scores"
    assert proj.elt("run", "--target", "hive").exit_code == 0
    assert hive_rows(make_target, f"SELECT id, v FROM {table}") == [("1", "first"), ("2", "first")]
    for failing in (FAILS_WHILE_RUNNING, REFUSED):
        proj.write({"models/marts/scores.sql": failing})
        result = proj.elt("run", "--target", "hive")
        assert result.exit_code != 0, result.output
        assert hive_rows(make_target, f"SELECT id, v FROM {table}") == [("1", "first"), ("2", "first")]
        assert _names(make_target, f"{proj.prefix}gold") == ["scores"]  # no temporary or backup left
    proj.write({"models/marts/scores.sql": "select 3 as id, 'third' as v"})
    assert proj.elt("run", "--target", "hive").exit_code == 0
    assert hive_rows(make_target, f"SELECT id, v FROM {table}") == [("3", "third")]


def test_a_failed_first_build_leaves_nothing_and_the_next_run_builds_the_table(hive_project, make_target):  # noqa: F811
    # The first build is a CTAS straight into the table's name: a failing one must leave neither a
    # table nor files in its folder (which would make the next CTAS refuse the location).
    proj = hive_project({"models/marts/scores.sql": FAILS_WHILE_RUNNING})
    assert proj.elt("run", "--target", "hive").exit_code != 0
    assert _names(make_target, f"{proj.prefix}gold") == []
    proj.write({"models/marts/scores.sql": FIRST})
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 0, result.output
    assert hive_rows(make_target, f"SELECT id, v FROM {proj.prefix}gold.scores") == [("1", "first"), ("2", "first")]


def test_a_table_dropped_by_someone_else_between_runs_is_built_again(hive_project, make_target):  # noqa: F811
    # Each run lists the database afresh: what another session changed between runs is seen.
    proj = hive_project({"models/marts/scores.sql": FIRST})
    assert proj.elt("run", "--target", "hive").exit_code == 0
    hive_rows(make_target, f"DROP TABLE {proj.prefix}gold.scores")
    hive_rows(make_target, f"CREATE VIEW {proj.prefix}gold.scores AS SELECT 9 AS id, 'view' AS v")
    result = proj.elt("run", "--target", "hive")
    assert result.exit_code == 0, result.output
    assert hive_rows(make_target, f"SELECT id, v FROM {proj.prefix}gold.scores") == [("1", "first"), ("2", "first")]
    assert hive_rows(make_target, f"SHOW VIEWS IN {proj.prefix}gold") == []
