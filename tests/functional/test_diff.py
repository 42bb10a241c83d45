"""`elt diff` on DuckDB: two relations of one database (one FULL OUTER JOIN) and of two database files
(the per-key hashes the comparison across engines uses), with the same answers."""

from __future__ import annotations

import json

import duckdb
import pytest

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
    prod:
      type: duckdb
      path: target/test.duckdb
      schema: prod
    other:
      type: duckdb
      path: target/other.duckdb
"""

BASE = """
CREATE TABLE {s}.t AS SELECT * FROM (VALUES
  (1, 'a', 1.5::DOUBLE, 1.50::DECIMAL(10,2), TIMESTAMP '2024-01-01 10:00:00.25', DATE '2024-01-01', true),
  (2, 'b', 0.1::DOUBLE + 0.2::DOUBLE, 2.00::DECIMAL(10,2), TIMESTAMP '2024-01-02 00:00:00', DATE '2024-01-02', false),
  (3, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'd', 1e20::DOUBLE, -0.01::DECIMAL(10,2), TIMESTAMP '2024-01-04 23:59:59.999999', DATE '1900-01-01', true)
) v(id, s, d, dec, ts, dt, b)
"""


@pytest.fixture(params=["prod", "other"], ids=["one-database-join", "two-databases-hashes"])
def setup(request, project):
    """(project, against): `dev.t` here; `against`'s relation `<schema>.t`, built by the test's SQL."""
    proj = project({"models/x.sql": "select 1 as id"}, profiles=PROFILES)
    (proj.root / "target").mkdir()
    against = request.param
    there_schema = "prod" if against == "prod" else "main"
    there_file = "test.duckdb" if against == "prod" else "other.duckdb"

    def make(here_sql: str = BASE, there_sql: str = BASE) -> None:
        with duckdb.connect(str(proj.root / "target" / "test.duckdb")) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS dev")
            con.execute(here_sql.format(s="dev"))
        with duckdb.connect(str(proj.root / "target" / there_file)) as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {there_schema}")
            con.execute(there_sql.format(s=there_schema))

    def diff(*extra: str):
        return proj.elt("diff", "--relation", "dev.t", "--against", against, "--against-relation",
                        f"{there_schema}.t", *extra)

    return make, diff


def test_identical_relations_exit_0(setup):
    make, diff = setup
    make()
    result = diff("--key", "id")
    assert result.exit_code == 0, result.output
    assert "columns: identical" in result.stdout
    assert "rows: 4 -> 4 (same count)" in result.stdout
    assert "rows by key (id): identical" in result.stdout
    assert result.stdout.rstrip().endswith("identical")


def test_changed_values_per_column_with_examples(setup):
    make, diff = setup
    make(there_sql=BASE + "; UPDATE {s}.t SET s = 'z', d = 1.5000000000000002 WHERE id = 1;"
         " UPDATE {s}.t SET s = 'y' WHERE id = 2; UPDATE {s}.t SET ts = TIMESTAMP '2024-01-04 23:59:59.999998' "
         "WHERE id = 4")
    result = diff("--key", "id")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "0 only in dev, 0 only in " in out and "3 changed" in out
    assert "~ s: 2 row(s) differ" in out
    assert "~ d: 1 row(s) differ" in out
    assert "~ ts: 1 row(s) differ" in out
    assert "~ dec" not in out and "~ b" not in out
    assert "'a' -> 'z'" in out  # the example shows both values
    assert out.rstrip().endswith("different")


def test_nulls_equal_to_nulls_and_not_to_values(setup):
    make, diff = setup
    make(there_sql=BASE + "; UPDATE {s}.t SET s = 'c' WHERE id = 3; UPDATE {s}.t SET dec = NULL WHERE id = 1")
    result = diff("--key", "id")
    assert result.exit_code == 1, result.output
    assert "2 changed" in result.stdout
    assert "~ s: 1 row(s) differ" in result.stdout and "NULL -> 'c'" in result.stdout
    assert "~ dec: 1 row(s) differ" in result.stdout and "-> NULL" in result.stdout


def test_rows_only_on_one_side(setup):
    make, diff = setup
    make(here_sql=BASE + "; INSERT INTO {s}.t (id, s) VALUES (10, 'new'), (11, 'new')",
         there_sql=BASE + "; DELETE FROM {s}.t WHERE id = 2")
    result = diff("--key", "id", "--examples", "1")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "rows: 6 -> 3 (-3)" in out
    assert "3 only in dev, 0 only in" in out and "0 changed" in out
    line = next(line for line in out.splitlines() if "only in dev: 3, e.g." in line)
    assert line.count("id=") == 1  # --examples 1


def test_column_and_type_differences(setup):
    make, diff = setup
    make(here_sql="CREATE TABLE {s}.t AS SELECT 1 AS id, 'x' AS s, 1.5::DECIMAL(10,2) AS dec, 7 AS extra",
         there_sql="CREATE TABLE {s}.t AS SELECT 1 AS id, 'x'::VARCHAR AS s, 1.5::DECIMAL(12,2) AS dec, "
                   "2 AS other")
    result = diff("--key", "id")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "- extra INT (only in dev)" in out
    assert "+ other INT (only in" in out
    assert "~ dec: DECIMAL(10,2) -> DECIMAL(12,2)" in out
    assert "~ s:" not in out  # VARCHAR is STRING on both sides
    assert "rows by key (id): identical" in out  # 1.50 is 1.50 whatever the precision


def test_multi_column_key(setup):
    make, diff = setup
    rows = "CREATE TABLE {s}.t AS SELECT * FROM (VALUES (1, 'a', 10), (1, 'b', 20), (2, 'a', {v})) v(k1, k2, n)"
    make(here_sql=rows.replace("{v}", "30"), there_sql=rows.replace("{v}", "31"))
    result = diff("--key", "k1,k2")
    assert result.exit_code == 1, result.output
    assert "rows by key (k1, k2): 0 only in dev" in result.stdout
    assert "~ n: 1 row(s) differ" in result.stdout
    assert "k1=" in result.stdout and "k2=" in result.stdout


def test_key_not_unique_is_an_error_with_examples(setup):
    make, diff = setup
    make(there_sql=BASE + "; INSERT INTO {s}.t (id, s) VALUES (2, 'again')")
    result = diff("--key", "id")
    assert result.exit_code == 2, result.output
    assert "the key (id) is not unique in" in result.stderr
    assert "id=2 (2 rows)" in result.stderr
    assert "Traceback" not in result.output


def test_json_output(setup):
    make, diff = setup
    make(there_sql=BASE + "; UPDATE {s}.t SET s = 'z' WHERE id = 1")
    result = diff("--key", "id", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["identical"] is False
    assert data["rows"]["changed"] == 1
    assert [c["column"] for c in data["rows"]["columns"]] == ["s"]


def _model_project(project, model: str, yml: str = ""):
    files = {"models/m.sql": model}
    if yml:
        files["models/m.yml"] = yml
    return project(files, profiles=PROFILES)


MODEL = """\
{{ config(materialized='table'%s) }}
select id,
  {%% if target.name == 'dev' %%} case when id = 2 then 'changed' else 'x' end {%% else %%} 'x' {%% endif %%} as v
from (select 1 as id union all select 2 union all select 3) t
"""


def test_model_in_two_targets_keyed_by_unique_key(project):
    proj = _model_project(project, MODEL % ", unique_key='id'")
    assert proj.elt("run").exit_code == 0
    assert proj.elt("run", "--target", "prod").exit_code == 0
    result = proj.elt("diff", "m", "--against", "prod")
    assert result.exit_code == 1, result.output
    assert "--- dev: main.m" in result.stdout and "+++ prod: prod.m" in result.stdout
    assert "rows by key (id): 0 only in dev, 0 only in prod, 1 changed" in result.stdout
    assert "'changed' -> 'x'" in result.stdout


def test_model_keyed_by_a_unique_test_in_yml(project):
    yml = "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [unique]\n"
    proj = _model_project(project, MODEL % "", yml)
    assert proj.elt("run").exit_code == 0
    assert proj.elt("run", "--target", "other").exit_code == 0
    result = proj.elt("diff", "m", "--against", "other")
    assert result.exit_code == 1, result.output
    assert "rows by key (id):" in result.stdout and "1 changed" in result.stdout


def test_model_without_key_is_refused(project):
    proj = _model_project(project, MODEL % "")
    assert proj.elt("run").exit_code == 0
    result = proj.elt("diff", "m", "--against", "prod")
    assert result.exit_code == 2
    assert "needs a key to match rows: m has no unique_key config and no column with a unique test" in result.stderr
    assert "--key" in result.stderr


def test_relation_missing_on_one_side(project):
    proj = _model_project(project, MODEL % ", unique_key='id'")
    assert proj.elt("run").exit_code == 0
    result = proj.elt("diff", "m", "--against", "prod")
    assert result.exit_code == 2
    assert "prod.m does not exist in prod" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["nope", "--against", "prod"], "no model or seed named 'nope'"),
    (["m", "--against", "nowhere"], "nowhere"),
    (["m"], "needs what to compare against"),
    (["--relation", "main.m", "--against-relation", "prod"], "is not a relation name"),
    (["--relation", "main.m", "--against-relation", "prod.m"], "needs a key"),
    (["m", "--relation", "main.m", "--against", "prod"], "give one of them"),
])
def test_usage_errors(project, args, message):
    proj = _model_project(project, MODEL % ", unique_key='id'")
    result = proj.elt("diff", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
