"""Options every command shares: several selectors after one `-s`/`--exclude` (as in dbt), and `--vars`
that is not valid YAML."""

from __future__ import annotations

import pytest

from tests.functional.test_run import LAYERED

MODELS = ["--resource-type", "model"]


def listed(proj, *args: str) -> list[str]:
    result = proj.elt("ls", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.split()


@pytest.mark.parametrize("args", [
    ["-s", "stg_scores", "course_avg"],
    ["--select", "stg_scores", "course_avg"],
    ["-s", "stg_scores", "-s", "course_avg"],
    ["-s", "stg_scores course_avg"],
    ["--select=stg_scores", "course_avg"],
])
def test_several_selectors_after_one_select(project, args):
    assert listed(project(LAYERED), *args, *MODELS) == ["stg_scores", "course_avg"]


def test_several_selectors_then_other_options(project):
    proj = project(LAYERED)
    assert listed(proj, "-s", "stg_scores", "tag:gold", "--output", "relation") == ["bronze.stg_scores",
                                                                                 "gold.course_avg"]
    assert listed(proj, "--output", "path", "-s", "stg_scores", "course_avg", "-s", "int_pct", *MODELS) == [
        "models/staging/stg_scores.sql", "models/intermediate/int_pct.sql", "models/marts/course_avg.sql"]


def test_several_excludes_after_one_exclude(project):
    proj = project(LAYERED)
    assert listed(proj, "-s", "int_pct+", "--exclude", "passed", "course_avg", *MODELS) == ["int_pct",
                                                                                         "passed_count"]


def test_run_with_several_selectors_after_one_select(project):
    proj = project(LAYERED)
    assert proj.elt("seed").exit_code == 0
    result = proj.elt("run", "-s", "stg_scores", "int_pct", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert set(proj.relations()) == {"raw.scores", "bronze.stg_scores", "silver.int_pct"}


@pytest.mark.parametrize("command", [["build"], ["test"], ["seed"], ["compile"], ["source", "freshness"],
                                     ["docs", "graph"], ["schedule", "--history"]])
def test_every_command_with_a_selection_takes_several_selectors(project, command):
    proj = project(LAYERED)
    result = proj.elt(*command, "-s", "scores", "stg_scores", "--exclude", "course_avg", "passed_count")
    assert "unexpected extra argument" not in result.output
    assert result.exit_code == 0, result.output


def test_vars_that_are_not_yaml_give_one_short_error(project):
    proj = project(LAYERED)
    result = proj.elt("run", "--vars", "{a: [}")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: --vars is not valid YAML: expected the node content, but found '}' (column 6)"
    assert lines[1:] == ["  hint: write it as '{key: value, other: 2}'"]
