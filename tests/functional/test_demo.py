"""The demo project at the repository root builds end to end on DuckDB, twice, with the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ProjectDir

REPO = Path(__file__).resolve().parents[2]


def copy_demo(tmp_path: Path) -> ProjectDir:
    root = tmp_path / "demo"
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(REPO / folder, root / folder)
    for name in ("pyproject.toml", "profiles.yml"):
        shutil.copy(REPO / name, root / name)
    return ProjectDir(root)


def test_demo_builds_three_layers_and_is_idempotent(tmp_path):
    demo = copy_demo(tmp_path)
    demo_db = demo.root / "target" / "school.duckdb"
    seeded = demo.elt("seed")
    assert seeded.exit_code == 0, seeded.output
    first = demo.elt("run")
    assert first.exit_code == 0, first.output

    import duckdb

    def snapshot() -> dict[str, list]:
        with duckdb.connect(str(demo_db), read_only=True) as con:
            rels = con.execute("SELECT table_schema, table_name, table_type FROM information_schema.tables "
                               "ORDER BY 1, 2").fetchall()
            return {f"{s}.{n}": (t, sorted(map(repr, con.execute(f"SELECT * FROM {s}.{n}").fetchall())))
                    for s, n, t in rels}

    built = snapshot()
    models = {name: kind for name, (kind, _) in built.items() if not name.startswith("raw.")}
    assert len(models) >= 10
    assert {name.split(".")[0] for name in models} == {"bronze", "silver", "gold"}
    assert all(kind == "VIEW" for name, (kind, _) in built.items() if name.startswith("bronze."))
    assert all(kind == "BASE TABLE" for name, (kind, _) in built.items() if name.startswith(("silver.", "gold.")))
    assert all(rows for _, rows in built.values()), "every relation of the demo has rows"

    second = demo.elt("run")
    assert second.exit_code == 0
    assert snapshot() == built

    compiled = demo.elt("compile")
    assert compiled.exit_code == 0
    assert (demo.root / "target" / "manifest.json").exists()
    assert len(list((demo.root / "target" / "compiled").rglob("*.sql"))) == len(
        list((demo.root / "models").rglob("*.sql")))


def test_demo_build_tests_every_layer_and_passes(tmp_path):
    demo = copy_demo(tmp_path)
    result = demo.elt("build")
    assert result.exit_code == 0, result.output
    assert " 0 failed," in result.stdout
    unit = demo.elt("test", "--unit")
    assert unit.exit_code == 0, unit.output
    assert unit.stdout.count("PASS unit_test.") == 5
    listed = demo.elt("ls", "--resource-type", "test", "--output", "json").stdout.splitlines()
    import json

    tested = {json.loads(line)["name"].split("_", 1)[1] for line in listed}
    for layer_model in ("stg_exam_scores", "int_scores_enriched", "mart_department_summary"):
        assert any(layer_model in name for name in tested), layer_model


def test_demo_build_on_broken_data_fails_and_skips_downstream(tmp_path):
    demo = copy_demo(tmp_path)
    scores = demo.root / "seeds" / "exam_scores.csv"
    header, first = scores.read_text().splitlines()[:2]
    columns = header.split(",")
    row = dict(zip(columns, first.split(","), strict=True))
    row.update(exam_id="999999", exam_type="essay")
    with scores.open("a") as handle:
        handle.write(",".join(row[c] for c in columns) + "\n")
    result = demo.elt("build")
    assert result.exit_code == 1
    assert "FAIL test.accepted_values_stg_exam_scores_exam_type" in result.stdout
    assert "essay" in result.stdout and "1 failing row" in result.stdout
    assert "SKIP table gold.mart_course_monthly_scores" in result.stdout
