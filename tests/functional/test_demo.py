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
