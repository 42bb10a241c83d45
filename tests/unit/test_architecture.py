"""ARCHITECTURE.md's rules, checked on the source: the layer order of the rooms, no engine names outside
adapters/ and dialects/, no private names imported across packages.

Every module of elt/ is parsed with `ast` (imports inside functions and under TYPE_CHECKING count: they
are arrows all the same). What breaks a rule today and cannot be fixed cheaply is listed in EXCEPTIONS
with the reason; the list is a ratchet: an exception no longer needed fails the test, so it only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "elt"

#: room -> the rooms its modules may import (a room is a package below elt/, or a top module), from
#: ARCHITECTURE.md: cli -> (project, compile, run, materializations, report, docs, orchestration) -> ...
#: -> (nodes, errors); adapters and dialects below the rest, adapters import nothing from compile, run or
#: cli, dialects nothing from compile, run, cli or adapters; nothing imports cli but __main__. `elt` is the
#: package itself (its lazy public API and __version__), which any room may read.
BASE = {"elt", "errors", "nodes", "secrets"}
LAYERS: dict[str, set[str]] = {
    "__main__": {"cli"},
    "cli": {"project", "compile", "run", "materializations", "report", "docs", "orchestration", "adapters",
            "dialects", "diff", "state"},
    "diff": {"project", "adapters", "dialects"},
    "docs": {"project", "compile", "report"},
    "orchestration": {"project", "compile", "run", "report"},
    "testing": {"project", "compile", "run", "adapters", "dialects"},
    "run": {"project", "compile", "state", "materializations", "report", "adapters", "dialects"},
    "materializations": {"project", "compile", "adapters", "dialects"},
    "report": {"project", "compile", "state"},
    "state": {"project", "compile", "dialects"},
    "compile": {"project", "dialects"},
    "project": {"dialects"},
    "adapters": {"project", "dialects"},
    "dialects": set(),
    "secrets": set(),
    "nodes": set(),
    "errors": set(),
}
for _allowed in LAYERS.values():
    _allowed |= BASE
LAYERS["elt"] = {"project", "compile"}
LAYERS["secrets"] = {"errors"}
LAYERS["nodes"] = {"errors"}
LAYERS["errors"] = set()

#: Engine names no code outside these rooms may write as a string (docstrings and comments may).
ENGINE_ROOMS = {"adapters", "dialects"}
ENGINE_NAMES = {"hive", "duckdb", "spark"}

#: (importing module, imported module) -> why the arrow is still there. Each must still be needed.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("elt.project.config", "elt.adapters"): "load_target asks the adapter class of the profile's type for "
    "the engine's defaults and dialect; goes when TargetConfig moves below both",
    ("elt.project.loader", "elt.compile.cache"): "the compile cache also keeps parsed yml files",
    ("elt.project.loader", "elt.compile"): "the compile cache also keeps parsed yml files",
    ("elt.compile.unittests", "elt.run.selection"): "unit test selectors reuse the node selector grammar",
    ("elt.compile.unittests", "elt.report.console"): "format_table for a failed test's diff",
    ("elt.compile.unittests", "elt.adapters"): "unit tests run on the in-memory database",
    ("elt.run.node_build", "elt.cli.invocation"): "Invocation (a type hint): the options a node build reads",
    ("elt.report.artifacts", "elt.materializations.incremental_config"): "strategy() in manifest.json",
    ("elt.docs.cli", "elt.cli.options"): "the docs command group lives in docs/ and shares cli's options",
    ("elt.docs.cli", "elt.cli.invocation"): "the docs command group starts like every command",
    ("elt.orchestration.cli", "elt.cli.options"): "the airflow/schedule command group shares cli's options",
    ("elt.orchestration.airflow_dag", "elt.cli.invocation"): "Invocation of the compile it runs",
    ("elt.orchestration.airflow_dag", "elt.cli.compile_command"): "`elt airflow generate` compiles first",
    ("elt.orchestration.schedule_command", "elt.cli.invocation"): "Invocation of the builds it starts",
}

#: (importing module, imported module, name) -> why a private name crosses packages. Each must be needed.
PRIVATE_EXCEPTIONS: dict[tuple[str, str, str], str] = {}


@dataclass(frozen=True)
class Finding:
    rule: str  # "layer", "engine-name", "private-name"
    module: str
    line: int
    detail: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.rule} {' '.join(self.detail)}"


def module_name(path: Path, package_root: Path) -> str:
    parts = path.relative_to(package_root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    """`elt.run.runner` -> run, `elt.nodes` -> nodes, `elt` -> elt."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(tree: ast.AST, module: str, is_package: bool, top: str) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import of the top package in `tree`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == top or alias.name.startswith(top + "."):
                    yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == top:  # `from elt import x`: a submodule, or the package's own name
                for alias in node.names:
                    yield f"{top}.{alias.name}", [], node.lineno
            elif target.startswith(top + "."):
                yield target, [alias.name for alias in node.names], node.lineno


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def check(package_root: Path, layers: Mapping[str, set[str]], engine_rooms: set[str],
          engine_names: set[str]) -> list[Finding]:
    """Every break of the three rules in the package at `package_root` (a folder with __init__.py)."""
    top = package_root.name
    rooms = {p.stem if p.is_file() else p.name for p in package_root.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    findings = []
    for path in sorted(package_root.rglob("*.py")):
        module = module_name(path, package_root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        room = room_of(module)
        for target, names, line in imports(tree, module, path.name == "__init__.py", top):
            target_room = room_of(target)
            if target_room not in rooms | {top}:  # `from elt import __version__`: the package itself
                target_room = top
            if target_room != room and target_room not in layers.get(room, set()):
                findings.append(Finding("layer", module, line, (target,)))
            if target.split(".")[:2] != module.split(".")[:2]:
                findings += [Finding("private-name", module, line, (target, name)) for name in names
                             if name.startswith("_") and not name.startswith("__")]
        if room in engine_rooms:
            continue
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and node.value.lower() in engine_names):
                findings.append(Finding("engine-name", module, node.lineno, (repr(node.value),)))
    return findings


def _elt_findings() -> list[Finding]:
    return check(ROOT, LAYERS, ENGINE_ROOMS, ENGINE_NAMES)


def test_every_room_has_a_place_in_the_layers() -> None:
    rooms = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert rooms | {"elt"} == set(LAYERS)


def test_imports_follow_the_layers() -> None:
    layer = [f for f in _elt_findings() if f.rule == "layer"]
    unexpected = [str(f) for f in layer if (f.module, f.detail[0]) not in EXCEPTIONS]
    assert not unexpected, "imports against ARCHITECTURE.md's layers:\n" + "\n".join(unexpected)
    stale = sorted(set(EXCEPTIONS) - {(f.module, f.detail[0]) for f in layer})
    assert not stale, f"exceptions no longer needed (remove them from EXCEPTIONS): {stale}"


def test_no_private_name_is_imported_from_another_package() -> None:
    private = [f for f in _elt_findings() if f.rule == "private-name"]
    unexpected = [str(f) for f in private if (f.module, *f.detail) not in PRIVATE_EXCEPTIONS]
    assert not unexpected, "private names imported across packages:\n" + "\n".join(unexpected)
    stale = sorted(set(PRIVATE_EXCEPTIONS) - {(f.module, *f.detail) for f in private})
    assert not stale, f"exceptions no longer needed (remove them from PRIVATE_EXCEPTIONS): {stale}"


def test_no_engine_name_outside_adapters_and_dialects() -> None:
    names = [str(f) for f in _elt_findings() if f.rule == "engine-name"]
    assert not names, "engine names in code outside adapters/ and dialects/ (ask the adapter):\n" + "\n".join(names)


# -- the checker itself, on a tiny package ---------------------------------------------------------------


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    files = {
        "__init__.py": "",
        "errors.py": '"""Errors."""\n',
        "low/__init__.py": "_hidden = 1\n",
        "low/engine.py": 'NAME = "hive"\n',
        "high/__init__.py": "",
        "high/ok.py": '"""Talks of Hive and DuckDB in a docstring."""\nfrom pkg.low import engine\n'
                      "from pkg import errors\nfrom . import ok\n",
    }
    for name, text in files.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text)
    return tmp_path / "pkg"


FAKE_LAYERS = {"high": {"low", "errors"}, "low": {"errors"}, "errors": set()}


def test_the_checker_passes_a_package_that_keeps_the_rules(fake: Path) -> None:
    assert check(fake, FAKE_LAYERS, {"low"}, ENGINE_NAMES) == []


def test_the_checker_finds_an_import_against_the_layers(fake: Path) -> None:
    (fake / "low" / "up.py").write_text("def f():\n    from pkg.high.ok import x\n")
    assert [str(f) for f in check(fake, FAKE_LAYERS, {"low"}, ENGINE_NAMES)] == ["pkg.low.up:2: layer pkg.high.ok"]


def test_the_checker_finds_a_relative_import_against_the_layers(fake: Path) -> None:
    (fake / "low" / "up.py").write_text("from ..high import ok\n")
    assert [f.rule for f in check(fake, FAKE_LAYERS, {"low"}, ENGINE_NAMES)] == ["layer"]


def test_the_checker_finds_an_engine_name_in_code(fake: Path) -> None:
    (fake / "high" / "branch.py").write_text('"""Hive."""\ndef f(t):\n    return t.type == "DuckDB"\n')
    assert [str(f) for f in check(fake, FAKE_LAYERS, {"low"}, ENGINE_NAMES)] == [
        "pkg.high.branch:3: engine-name 'DuckDB'"]


def test_the_checker_finds_a_private_name_from_another_package(fake: Path) -> None:
    (fake / "high" / "peek.py").write_text("from pkg.low import _hidden\n")
    assert [str(f) for f in check(fake, FAKE_LAYERS, {"low"}, ENGINE_NAMES)] == [
        "pkg.high.peek:1: private-name pkg.low _hidden"]
