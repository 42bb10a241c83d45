"""Shared fixtures: inline projects written to tmp_path, and the CLI run in-process."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from elt.cli import cli

PYPROJECT = """\
[tool.elt]
name = "test_project"
profile = "test"

[tool.elt.seeds]
schema = "raw"

[tool.elt.models.staging]
materialized = "view"
schema = "bronze"

[tool.elt.models.intermediate]
materialized = "table"
schema = "silver"

[tool.elt.models.marts]
materialized = "table"
schema = "gold"
"""

PROFILES = """\
test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
      threads: 4
"""


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class ProjectDir:
    """A project written into a temporary folder, with helpers to run elt on it and query it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str | bytes]) -> None:
        for rel, content in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def elt(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        result = CliRunner().invoke(cli, [*args, "--project-dir", str(self.root)], env=env,
                                    catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    @property
    def database(self) -> Path:
        own = self.root / "target" / "wh.duckdb"  # a profile with several targets on one file
        return own if own.exists() else self.root / "target" / "test.duckdb"

    def query(self, sql: str) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def rows(self, sql: str) -> list[tuple]:
        """The rows of `sql` on the project's database, sorted."""
        return sorted(self.query(sql))

    def relations_in(self, schema: str) -> dict[str, str]:
        """'schema.name' -> 'BASE TABLE' | 'VIEW' for the relations of one schema."""
        return {name: kind for name, kind in self.relations().items() if name.startswith(f"{schema}.")}

    def relations(self) -> dict[str, str]:
        """'schema.name' -> 'BASE TABLE' | 'VIEW' for everything in the database."""
        if not self.database.exists():
            return {}
        rows = self.query("SELECT table_schema, table_name, table_type FROM information_schema.tables")
        return {f"{s}.{n}": t for s, n, t in rows}


@pytest.fixture
def project(tmp_path: Path):
    """Factory: project({"models/staging/a.sql": "select 1 as x"}) -> ProjectDir."""

    def make(files: dict[str, str | bytes] | None = None, *, pyproject: str = PYPROJECT,
             profiles: str = PROFILES) -> ProjectDir:
        proj = ProjectDir(tmp_path / "proj")
        proj.root.mkdir()
        base: dict[str, str | bytes] = {}
        if pyproject is not None:
            base["pyproject.toml"] = pyproject
        if profiles is not None:
            base["profiles.yml"] = profiles
        proj.write({**base, **(files or {})})
        return proj

    return make
