"""`elt docs graph`: every ref edge and no other, grouped by layer, deterministic."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.functional.test_run import LAYERED

EXPECTED_EDGES = {
    ("seed.scores", "model.stg_scores"),
    ("model.stg_scores", "model.int_pct"),
    ("model.int_pct", "model.passed"),
    ("model.int_pct", "model.course_avg"),
    ("model.passed", "model.passed_count"),
}


def test_json_has_every_ref_edge_and_no_other(project):
    proj = project(LAYERED)
    result = proj.elt("docs", "graph", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {(e["from"], e["to"]) for e in data["edges"]} == EXPECTED_EDGES
    assert data["layers"] == {
        "(ephemeral)": ["model.passed"],
        "bronze": ["model.stg_scores"],
        "gold": ["model.course_avg", "model.passed_count"],
        "raw": ["seed.scores"],
        "silver": ["model.int_pct"],
    }


def test_mermaid_is_default_and_deterministic(project):
    proj = project(LAYERED)
    first = proj.elt("docs", "graph").stdout
    assert first.startswith("flowchart LR\n")
    assert '  subgraph layer_gold["gold"]' in first
    assert '    model_course_avg["course_avg (table)"]' in first
    assert "  model_int_pct --> model_course_avg" in first
    assert first.count("-->") == len(EXPECTED_EDGES)
    assert proj.elt("docs", "graph").stdout == first


def test_select_ancestors_and_output_file(project):
    proj = project(LAYERED)
    out = proj.root / "graph.json"
    assert proj.elt("docs", "graph", "--format", "json", "-s", "+course_avg", "--output", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    assert {n["unique_id"] for n in data["nodes"]} == {"seed.scores", "model.stg_scores", "model.int_pct",
                                                      "model.course_avg"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_dot_output_is_accepted_by_graphviz(project):
    proj = project(LAYERED)
    dot = proj.elt("docs", "graph", "--format", "dot").stdout
    subprocess.run(["dot", "-Tsvg"], input=dot, text=True, capture_output=True, check=True)
