"""`elt run --plan` on the real Hive server: a non-breaking change rebuilds the changed model (and
the mart that selects * from it) and leaves the other tables as they were (their creation time, which
a rebuild renews, unchanged); a changed filter rebuilds exactly the models that read the filtered
relation. One small project is built for the module (the server is shared and slow): its base rows
are a view, not a seed, and three tables."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from tests.conftest import PYPROJECT, ProjectDir
from tests.functional.test_plan import FILES, STG
from tests.hive.test_incremental_on_hive import hive_rows, profiles

pytestmark = pytest.mark.hive

ROWS = " union all ".join(f"select {i} as id, '{s}' as student, cast({v} as int) as score, '{k}' as kind"
                          for i, s, v, k in [(1, "ann", 12, "quiz"), (2, "ann", "null", "exam"),
                                             (3, "bob", 7, "quiz"), (4, "cid", 15, "exam")])
HIVE_FILES = {"models/staging/raw_scores.sql": ROWS, "models/staging/stg_scores.sql": STG,
              **{path: FILES[path] for path in ("models/marts/mart_ids.sql", "models/marts/mart_all.sql",
                                                "models/marts/mart_other.sql")}}
TABLES = ("mart_ids", "mart_all", "mart_other")


@pytest.fixture(scope="module")
def built(hive_server: Any, make_target: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectDir]:
    """The project built on Hive, its artifacts kept as the state (production's, say)."""
    prefix = f"p{uuid.uuid4().hex[:6]}_"
    pyproject = PYPROJECT
    for schema in ("bronze", "gold"):
        pyproject = pyproject.replace(f'schema = "{schema}"', f'schema = "{prefix}{schema}"')
    proj = ProjectDir(tmp_path_factory.mktemp("plan_hive") / "proj")
    proj.root.mkdir()
    proj.write({"pyproject.toml": pyproject, "profiles.yml": profiles(hive_server), **HIVE_FILES})
    proj.prefix = prefix  # type: ignore[attr-defined]
    try:
        result = proj.elt("run", "--target", "hive")
        assert result.exit_code == 0, result.output
        (proj.root / "state").mkdir()
        shutil.copy(proj.root / "target" / "manifest.json", proj.root / "state" / "manifest.json")
        yield proj
    finally:
        hive = HiveAdapter(make_target())
        hive.open()
        try:
            for schema in ("bronze", "gold"):
                hive.execute(f"DROP DATABASE IF EXISTS {prefix}{schema} CASCADE")
        finally:
            hive.close()


def created(proj: Any, make_target: Any) -> dict[str, str]:
    """Each table's creation time (a rebuild makes a new table: built aside and swapped in)."""
    times = {}
    for name in TABLES:
        rows = hive_rows(make_target, f"DESCRIBE TABLE EXTENDED {proj.prefix}gold.{name}")
        times[name] = next(row[1] for row in rows if row[0] == "Created Time")
    return times


def planned_and_run(proj: Any, staging_sql: str, says: str) -> None:
    """Change the staging view, check what `elt plan` says of it, then `elt run --plan` it."""
    state = str(proj.root / "state")
    proj.write({"models/staging/stg_scores.sql": staging_sql})
    plan = proj.elt("plan", "--state", state, "--target", "hive")
    assert says in plan.stdout, plan.output
    result = proj.elt("run", "--plan", "--state", state, "--target", "hive")
    assert result.exit_code == 0, result.output


def test_plan_on_hive_rebuilds_what_a_change_reaches_and_keeps_the_other_tables(built, make_target):
    before = created(built, make_target)
    time.sleep(1)  # creation times are in seconds
    # 1. a column added to the staging view: non-breaking; only mart_all (SELECT *) reads it
    planned_and_run(built, STG.replace("    score\n", "    score,\n    kind\n"), "non-breaking: column kind: added")
    after = created(built, make_target)
    assert {name for name in TABLES if after[name] == before[name]} == {"mart_ids", "mart_other"}
    assert [row[0] for row in hive_rows(make_target, f"DESCRIBE {built.prefix}gold.mart_all")] == [
        "id", "kind", "score", "student"]
    # 2. its filter changed instead: breaking; every model reading it is rebuilt, mart_other is not
    planned_and_run(built, STG.replace("score is not null", "score > 10"), "breaking: WHERE changed")
    again = created(built, make_target)
    assert {name for name in TABLES if again[name] == before[name]} == {"mart_other"}
    assert hive_rows(make_target, f"SELECT id FROM {built.prefix}gold.mart_ids") == [("1",), ("4",)]
