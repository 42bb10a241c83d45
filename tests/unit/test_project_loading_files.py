"""Unit tests for how elt.project.loader finds and reads model files: which files, in what order, with what
folder config, and how links and unreadable names are treated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.loader import _files, load_project


def _rglob_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """What `_files` promises: the files of sorted(rglob) with one of the suffixes (rglob does not
    follow links to folders either)."""
    return [path for path in sorted(folder.rglob("*")) if path.suffix in suffixes and path.is_file()]


def test_files_match_sorted_rglob_in_a_nested_tree(tmp_path: Path) -> None:
    root = tmp_path / "models"
    for rel in ["b.sql", "a.sql", "z/y.sql", "z/a.sql", "a_b/c.sql", "a/b/c/d.sql", "a/b.sql", "a/b.yml",
                "notes.txt", "x.SQL", ".sql", "z/_z.yaml", "z/.hidden.sql"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("select 1", encoding="utf-8")
    for suffixes in [(".sql",), (".yml", ".yaml")]:
        assert _files(root, suffixes) == _rglob_files(root, suffixes)
    assert [p.relative_to(root).as_posix() for p in _files(root, (".sql",))] == [
        "a/b/c/d.sql", "a/b.sql", "a.sql", "a_b/c.sql", "b.sql", "z/.hidden.sql", "z/a.sql", "z/y.sql"]


def test_files_follow_links_to_files_but_not_to_folders(tmp_path: Path) -> None:
    root = tmp_path / "models"
    (root / "real").mkdir(parents=True)
    (root / "real" / "m.sql").write_text("select 1", encoding="utf-8")
    (root / "linked").symlink_to(root / "real", target_is_directory=True)
    (root / "alias.sql").symlink_to(root / "real" / "m.sql")
    assert [p.relative_to(root).as_posix() for p in _files(root, (".sql",))] == ["alias.sql", "real/m.sql"]
    assert _files(root, (".sql",)) == _rglob_files(root, (".sql",))


def test_a_dangling_link_is_an_error_unless_hidden(tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    (root / ".#lock.sql").symlink_to(root / "missing.sql")
    assert _files(root, (".sql",)) == []
    (root / "broken.sql").symlink_to(root / "missing.sql")
    with pytest.raises(ProjectError, match="symbolic link") as caught:
        _files(root, (".sql",))
    assert caught.value.path == str(root / "broken.sql")


def test_a_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert _files(tmp_path / "nowhere", (".sql",)) == []


def test_models_get_their_folder_config_and_each_its_own_dict(project) -> None:
    proj = project({
        "models/staging/a.sql": "select 1 as x",
        "models/staging/b.sql": "select 2 as x",
        "models/staging/deeper/c.sql": "select 3 as x",
        "models/top.sql": "select 4 as x",
        "models/staging/_props.yml": """\
            version: 2
            models:
              - name: a
                config: {materialized: table, tags: [one]}
            """,
    })
    loaded = load_project(proj.root)
    a, b, c, top = (loaded.models[name] for name in ("a", "b", "c", "top"))
    assert a.config == {"materialized": "table", "schema": "bronze", "tags": ["one"]}
    assert b.config == {"materialized": "view", "schema": "bronze"}
    assert c.config == {"materialized": "view", "schema": "bronze"}
    assert top.config == {}
    assert (a.fqn, c.fqn, top.fqn) == (("staging", "a"), ("staging", "deeper", "c"), ("top",))
    assert (a.path, c.path) == ("models/staging/a.sql", "models/staging/deeper/c.sql")
    assert b.config is not c.config
    assert [name for name in loaded.models] == ["a", "b", "c", "top"]


def test_model_file_that_cannot_be_read_names_the_file(project) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads a chmod 000 file")
    proj = project({"models/a.sql": "select 1 as x"})
    (proj.root / "models" / "a.sql").chmod(0)
    with pytest.raises(ProjectError, match="cannot read file") as caught:
        load_project(proj.root)
    assert caught.value.path == str((proj.root / "models" / "a.sql").resolve())


def test_non_utf8_model_reports_the_line(project) -> None:
    proj = project({"models/a.sql": b"select 1 as x\n-- caf\xe9\n"})
    with pytest.raises(ProjectError, match="not valid UTF-8") as caught:
        load_project(proj.root)
    assert caught.value.line == 2
