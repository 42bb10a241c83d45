"""packages.yml specs, hub version ranges, installed packages' dbt_project.yml, dispatch's search order."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from elt.errors import ProjectError, TemplateError
from elt.project.config import ProjectConfig


@pytest.mark.parametrize("name", ["elt.project.packages", "elt.project.deps", "elt.dialects.names"])
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_specs_of_each_kind_with_their_lines(tmp_path: Path):
    from elt.project.packages import read_specs

    (tmp_path / "packages.yml").write_text(
        "packages:\n"
        "  - local: ../a\n"
        "  - git: https://example.com/x.git\n"
        "    revision: v1.2\n"
        "    subdirectory: pkg\n"
        "  - package: dbt-labs/dbt_utils\n"
        "    version: 1.3.0\n")
    local, git, hub = read_specs(tmp_path)
    assert (local.kind, local.source, local.line) == ("local", "../a", 2)
    assert (git.kind, git.revision, git.subdirectory, git.line) == ("git", "v1.2", "pkg", 3)
    assert (hub.kind, hub.versions, hub.line) == ("package", ("1.3.0",), 6)


def test_dependencies_yml_is_read_and_both_files_are_refused(tmp_path: Path):
    from elt.project.packages import read_specs

    (tmp_path / "dependencies.yml").write_text("packages:\n  - local: ../a\n")
    assert [s.source for s in read_specs(tmp_path)] == ["../a"]
    (tmp_path / "packages.yml").write_text("packages: []\n")
    with pytest.raises(ProjectError, match="both packages.yml and dependencies.yml"):
        read_specs(tmp_path)


@pytest.mark.parametrize(("entry", "message"), [
    ("  - local: ../a\n    revision: x\n", "unknown key(s) revision in a local package"),
    ("  - package: dbt_utils\n    version: 1.0.0\n", "must be named <organisation>/<package>"),
    ("  - package: dbt-labs/dbt_utils\n", "needs a `version:`"),
    ("  - git: a\n    local: b\n", "exactly one of local:, git: or package:"),
])
def test_bad_spec_entries_name_their_line(tmp_path: Path, entry: str, message: str):
    from elt.project.packages import read_specs

    (tmp_path / "packages.yml").write_text("packages:\n  - local: ../ok\n" + entry)
    with pytest.raises(ProjectError) as info:
        read_specs(tmp_path)
    assert message in info.value.message
    assert info.value.line == 3


@pytest.mark.parametrize(("ranges", "expected"), [
    ((">=1.0.0", "<2.0.0"), "1.3.0"),
    ((">0.9.6",), "1.3.0"),
    (("<1.0.0",), "0.9.6"),
    (("2.0.0-b1",), "2.0.0-b1"),  # a pre-release only when named exactly
    ((">=3.0.0",), None),
])
def test_pick_version(ranges, expected):
    from elt.project.deps import pick_version

    assert pick_version(["0.9.6", "1.0.0", "1.3.0", "1.10.0-rc1", "2.0.0-b1"], ranges) == expected


def test_package_config_trees_drop_plus_and_unknown_keys(tmp_path: Path):
    from elt.project.packages import read_package

    (tmp_path / "dbt_project.yml").write_text(
        "name: pkg\nmodel-paths: [src]\n"
        "models:\n  pkg:\n    +materialized: table\n    +docs: {show: false}\n    marts:\n      schema: m\n"
        "vars:\n  a: 1\n  pkg: {b: 2}\n")
    package = read_package(tmp_path, tmp_path.parent)
    assert package.name == "pkg" and package.model_paths == ("src",)
    assert package.models == {"materialized": "table", "marts": {"schema": "m"}}
    assert package.ignored_keys == ("docs",)
    assert package.vars == {"a": 1, "b": 2}


def _namespaces(tmp_path: Path, dispatch=()):
    from elt.compile.namespaces import MacroNamespaces

    folder = tmp_path / "dbt_packages" / "utils"
    folder.mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: dbt_utils\n")
    config = ProjectConfig(root=tmp_path, name="proj", profile="p", dialect="hive", dispatch=tuple(dispatch))
    namespace: dict = {}
    return MacroNamespaces(config, namespace), namespace


def test_search_order_as_dbt_decides_it(tmp_path: Path):
    namespaces, namespace = _namespaces(tmp_path, [{"macro_namespace": "dbt_utils", "search_order": ["a", "b"]}])
    assert namespaces.search_order("dbt_utils") == ["a", "b"]
    assert namespaces.search_order(None) == [None]
    assert namespaces.search_order("dbt") == [None, "dbt"]
    assert namespaces.search_order("elsewhere") == [None]
    namespaces, _ = _namespaces(tmp_path / "other")
    assert namespaces.search_order("dbt_utils") == ["proj", "dbt_utils"]
    assert namespaces.package_of("dbt_packages/utils/macros/x.sql") == "dbt_utils"
    assert namespaces.package_of("macros/x.sql") is None


def test_dispatch_picks_the_first_prefix_of_the_dialect(tmp_path: Path):
    namespaces, namespace = _namespaces(tmp_path)
    namespaces.add("dbt_utils", "default__f", "default")
    namespaces.add("dbt_utils", "spark__f", "spark")
    assert namespaces.dispatch(None, "f", "dbt_utils") == "spark"
    namespaces.add(None, "hive__f", "project's")
    assert namespaces.dispatch(None, "f", "dbt_utils") == "project's"
    assert namespace["dbt_utils"].default__f == "default"
    with pytest.raises(TemplateError, match="a macro name has no '.'"):
        namespaces.dispatch(None, "dbt_utils.f")
    with pytest.raises(TemplateError, match="searched: proj.hive__g, proj.spark__g, proj.default__g, "
                                            "dbt_utils.hive__g"):
        namespaces.dispatch(None, "g", "dbt_utils")
