"""`elt compile`, `elt ls`, `elt debug` and the manifest, on real DuckDB projects."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.functional.test_run import LAYERED


def test_compile_writes_compiled_sql_and_manifest(project):
    proj = project({
        **LAYERED,
        "models/marts/schema.yml": """\
            models:
              - name: course_avg
                description: Average percentage per course.
                columns:
                  - name: course
                    description: Course code.
                  - name: avg_pct
                    description: Mean score, in percent.
        """,
    })
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert "Compiled 5 model(s)" in result.stdout
    compiled = (proj.root / "target/compiled/models/intermediate/int_pct.sql").read_text()
    assert "round(score / 100 * 100, 1)" in compiled          # macros expanded (one calls another)
    assert "from bronze.stg_scores" in compiled               # ref resolved to schema.alias
    assert not proj.database.exists()                         # compile does not touch the warehouse

    manifest = json.loads((proj.root / "target/manifest.json").read_text())
    assert manifest["metadata"]["schema"] == "elt/manifest/v1"
    assert {k: manifest["metadata"]["target"][k] for k in ("name", "type", "schema")} == \
        {"name": "dev", "type": "duckdb", "schema": "main"}
    assert manifest["metadata"]["state_version"] == 1
    assert manifest["metadata"]["target"]["database_path"] == str((proj.root / "target/test.duckdb").resolve())
    nodes = manifest["nodes"]
    assert set(nodes) == {"seed.scores", "model.stg_scores", "model.int_pct", "model.passed",
                          "model.course_avg", "model.passed_count"}
    avg = nodes["model.course_avg"]
    assert avg["resource_type"] == "model"
    assert avg["path"] == "models/marts/course_avg.sql"
    assert avg["relation_name"] == "gold.course_avg"
    assert avg["config"]["materialized"] == "table"
    assert avg["config"]["schema"] == "gold"
    assert avg["tags"] == ["gold", "nightly"]
    assert avg["depends_on"] == {"nodes": ["model.int_pct"]}
    assert avg["description"] == "Average percentage per course."
    assert avg["columns"]["avg_pct"]["description"] == "Mean score, in percent."
    assert len(avg["checksum"]["raw_sql"]) == 64 and len(avg["checksum"]["compiled_sql"]) == 64
    assert nodes["model.passed"]["relation_name"] is None          # ephemeral
    assert nodes["model.passed"]["render_reads"] == {"var:pass_mark": 70}
    assert nodes["seed.scores"]["relation_name"] == "raw.scores"
    assert manifest["child_map"]["model.int_pct"] == ["model.course_avg", "model.passed"]


def test_compile_checksum_changes_with_the_file(project):
    proj = project(LAYERED)
    proj.elt("compile")
    first = json.loads((proj.root / "target/manifest.json").read_text())["nodes"]["model.int_pct"]["checksum"]
    proj.write({"models/intermediate/int_pct.sql": "select 1 as x from {{ ref('stg_scores') }}\n"})
    proj.elt("compile")
    second = json.loads((proj.root / "target/manifest.json").read_text())["nodes"]["model.int_pct"]["checksum"]
    assert first["raw_sql"] != second["raw_sql"] and first["compiled_sql"] != second["compiled_sql"]


def test_compile_with_select_writes_only_selected(project):
    proj = project(LAYERED)
    assert proj.elt("compile", "-s", "course_avg").exit_code == 0
    written = sorted(p.name for p in (proj.root / "target/compiled").rglob("*.sql"))
    assert written == ["course_avg.sql"]


def test_sources_are_nodes_linked_to_the_seed_that_loads_them(project):
    proj = project({
        "seeds/orders.csv": "id,amount\n1,10\n2,20\n",
        "models/staging/sources.yml": """\
            sources:
              - name: shop
                schema: raw
                tables:
                  - name: orders
                    description: Orders as loaded.
        """,
        "models/staging/stg_orders.sql": "select id, amount from {{ source('shop', 'orders') }}\n",
    })
    assert proj.elt("seed").exit_code == 0
    assert proj.elt("run").exit_code == 0
    assert proj.query("select sum(amount) from bronze.stg_orders") == [(30,)]
    listed = proj.elt("ls", "-s", "+stg_orders").stdout.split()
    assert listed == ["orders", "shop.orders", "stg_orders"]


SELECTOR_CASES = {
    "name": (["int_pct"], ["int_pct"]),
    "ancestors": (["+course_avg"], ["scores", "stg_scores", "int_pct", "course_avg"]),
    "descendants": (["int_pct+"], ["int_pct", "course_avg", "passed", "passed_count"]),
    "depth-ancestors": (["1+course_avg"], ["int_pct", "course_avg"]),
    "tag": (["tag:nightly"], ["course_avg"]),
    "path": (["path:models/staging"], ["stg_scores"]),
    "config": (["config.materialized:view"], ["stg_scores"]),
    "union": (["stg_scores course_avg"], ["stg_scores", "course_avg"]),
    "union-repeated-option": (["stg_scores", "course_avg"], ["stg_scores", "course_avg"]),
    "intersection": (["int_pct+,config.materialized:table"], ["int_pct", "course_avg", "passed_count"]),
}


def test_ls_selector_forms(project):
    proj = project(LAYERED)
    for name, (selectors, expected) in SELECTOR_CASES.items():
        args = [a for s in selectors for a in ("-s", s)]
        result = proj.elt("ls", *args)
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout.split() == expected, name


def test_ls_exclude(project):
    proj = project(LAYERED)
    result = proj.elt("ls", "-s", "int_pct+", "--exclude", "tag:gold", "--resource-type", "model")
    assert result.stdout.split() == ["int_pct", "passed", "passed_count"]


def test_run_with_selector_builds_only_selection(project):
    proj = project(LAYERED)
    proj.elt("seed")
    assert proj.elt("run", "-s", "+int_pct").exit_code == 0
    assert set(proj.relations()) == {"raw.scores", "bronze.stg_scores", "silver.int_pct"}


def test_debug_reports_connection(project):
    proj = project(LAYERED)
    result = proj.elt("debug")
    assert result.exit_code == 0
    assert "connection: DuckDB v" in result.stdout


def test_debug_reports_bad_profile(project):
    proj = project(LAYERED)
    result = proj.elt("debug", "--target", "nope")
    assert result.exit_code == 2
    assert "FAIL" in result.stdout and "target 'nope' not found" in result.stdout


def test_help_imports_nothing_heavy():
    code = "import sys; from elt.cli import main\n" \
           "sys.argv = ['elt', '--help']\n" \
           "try:\n    main()\nexcept SystemExit:\n    pass\n" \
           "heavy = [m for m in ('sqlglot', 'duckdb', 'pyhive', 'jinja2', 'yaml') if m in sys.modules]\n" \
           "print('HEAVY', heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_manifest_records_column_types_after_a_run(project):
    proj = project({**LAYERED, "models/marts/schema.yml": """\
        models:
          - name: course_avg
            columns:
              - name: avg_pct
                description: Mean score, in percent.
    """})
    assert proj.elt("seed").exit_code == 0
    seeded = json.loads((proj.root / "target/manifest.json").read_text())["nodes"]
    assert seeded["seed.scores"]["columns"]["exam_date"]["data_type"] == "DATE"
    assert proj.elt("run").exit_code == 0
    nodes = json.loads((proj.root / "target/manifest.json").read_text())["nodes"]
    columns = nodes["model.course_avg"]["columns"]
    assert {name: c["data_type"] for name, c in columns.items()} == {
        "course": "VARCHAR", "avg_pct": "DOUBLE", "n": "BIGINT"}
    assert columns["avg_pct"]["description"] == "Mean score, in percent."
