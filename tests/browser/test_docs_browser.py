"""The demo's docs site in a real headless Chromium, opened from file:// with no network.

The screenshot of a model page is kept as target/docs-screenshot.png (a CI artefact).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ProjectDir

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "target" / "docs-screenshot.png"
MART = "model.mart_course_monthly_scores"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo's docs generated once into a temporary folder, and the manifest they were made from."""
    from elt.cli.invocation import Invocation, compile_manifest
    from elt.report.console import Console

    site = tmp_path_factory.mktemp("demo-docs")
    result = ProjectDir(REPO).elt("docs", "generate", "--output-dir", str(site))
    assert result.exit_code == 0, result.output
    manifest = compile_manifest(Invocation(project_dir=REPO), Console())
    return {"url": (site / "index.html").as_uri(), "manifest": manifest}


def node(page: Any, uid: str) -> Any:
    return page.locator(f'#dag .node[data-uid="{uid}"]')


def test_page_loads_offline_without_console_errors(page, demo):
    page.goto(demo["url"])
    page.wait_for_selector("#details h1")
    assert page.title() == "school · elt docs"
    assert page.locator("#details h1").inner_text() == "school"
    assert page.problems == []


def test_graph_shows_every_model_of_the_demo(page, demo):
    page.goto(demo["url"])
    models = [uid for uid, n in demo["manifest"].nodes.items() if n.resource_type == "model"]
    assert len(models) >= 10
    for uid in models:
        assert node(page, uid).is_visible(), uid
        assert node(page, uid).locator("text.name").text_content() == demo["manifest"].nodes[uid].name
    edges = page.locator("#dag .edge").count()
    assert edges == len([e for e in demo["manifest"].graph.edges
                         if all(demo["manifest"].nodes[u].resource_type != "test" for u in e)])


def test_clicking_a_node_shows_its_sql_and_highlights_its_lineage(page, demo):
    page.goto(demo["url"])
    node(page, MART).click()
    page.wait_for_selector("#node-title")
    assert page.locator("#node-title").inner_text() == "mart_course_monthly_scores"
    assert page.url.endswith("#!/node/" + MART)
    sql = page.locator("#sql pre").inner_text()
    assert sql.strip() == demo["manifest"].compiled_sql[MART].strip()
    page.locator("#sql .tabs button", has_text="Source").click()
    assert "{{ ref('int_scores_enriched') }}" in page.locator("#sql pre").inner_text()
    assert "selected" in node(page, MART).get_attribute("class")
    assert "ancestor" in node(page, "model.int_scores_enriched").get_attribute("class")
    assert "dimmed" in node(page, "model.stg_students").get_attribute("class")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000
    assert page.problems == []


def closure(edges: list[tuple[str, str]], start: str) -> set[str]:
    """Every node reachable from `start` along `edges` (pairs from -> to)."""
    found, todo = set(), [start]
    while todo:
        current = todo.pop()
        for parent, child in edges:
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_clicking_a_node_highlights_its_ancestors_and_descendants(page, demo):
    manifest = demo["manifest"]
    uid = "model.int_scores_enriched"  # mid-DAG: both ancestors and descendants
    edges = [(p, c) for p, c in manifest.graph.edges
             if manifest.nodes[p].resource_type != "test" and manifest.nodes[c].resource_type != "test"]
    ups, downs = closure([(c, p) for p, c in edges], uid), closure(edges, uid)
    assert len(ups) >= 3 and len(downs) >= 3
    page.goto(demo["url"])
    node(page, uid).click()
    page.wait_for_selector("#node-title")
    classes = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#dag .node')]
        .map(g => [g.getAttribute('data-uid'), [...g.classList]]))""")
    assert set(classes) >= ups | downs | {uid}
    for other, names in classes.items():
        assert ("descendant" in names) == (other in downs), other
        assert ("ancestor" in names) == (other in ups), other
        assert ("dimmed" in names) == (other not in ups | downs | {uid}), other
    lit = page.evaluate("""() => [...document.querySelectorAll('#dag .edge.lit-down')]
        .map(e => [e.getAttribute('data-from'), e.getAttribute('data-to')])""")
    assert {tuple(e) for e in lit} == {(p, c) for p, c in edges if c in downs and (p == uid or p in downs)}
    assert page.problems == []


def test_column_lineage_reaches_the_seed_columns(page, demo):
    page.goto(demo["url"] + f"#!/node/{MART}")
    page.locator("#col-avg_score a").first.click()
    tree = page.locator("#column-lineage")
    tree.wait_for()
    text = tree.inner_text()
    for column in ("int_scores_enriched.normalized_score", "stg_exam_scores.score", "raw.exam_scores.score",
                   "exam_scores.score", "courses.max_score"):
        assert column in text
    assert "in-lineage" in node(page, "seed.courses").get_attribute("class")
    assert "dimmed" in node(page, "seed.students").get_attribute("class")


def test_search_filters_the_model_list(page, demo):
    from playwright.sync_api import expect

    page.goto(demo["url"])
    listed = page.locator("#node-list a[data-uid]")
    assert listed.count() == len([n for n in demo["manifest"].nodes.values() if n.resource_type != "test"])
    page.fill("#search", "quartile")  # a column name of one model only
    expect(listed).to_have_count(1)
    assert listed.first.get_attribute("data-uid") == "model.mart_student_ranking"
    page.press("#search", "Enter")
    expect(page.locator("#node-title")).to_have_text("mart_student_ranking")
    page.fill("#search", "no such thing")
    expect(page.locator("#node-list .no-match")).to_have_text("Nothing matches “no such thing”.")


def test_zoom_and_pan_move_the_view(page, demo):
    page.goto(demo["url"])
    svg = page.locator("#dag")
    start = svg.get_attribute("viewBox")
    page.click("#zoom-in")
    zoomed = svg.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(start.split()[2])
    box = svg.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 130, box["y"] + 80, steps=5)
    page.mouse.up()
    panned = svg.get_attribute("viewBox")
    assert panned.split()[:2] != zoomed.split()[:2] and panned.split()[2:] == zoomed.split()[2:]
    page.click("#zoom-fit")
    assert svg.get_attribute("viewBox") == start


def test_search_for_score_opens_a_model_named_with_it(page, demo):
    page.goto(demo["url"])
    page.fill("#search", "score")
    first = page.locator("#node-list a[data-uid]").first
    assert demo["manifest"].nodes[first.get_attribute("data-uid")].resource_type == "model"
    assert "score" in first.locator("span").first.inner_text()
    assert page.locator("#node-list .why").first.inner_text() == "in the name"
    page.press("#search", "Enter")
    page.wait_for_selector("#node-title")
    assert "score" in page.locator("#node-title").inner_text()
    assert page.problems == []


def test_a_column_only_filtered_on_shows_who_filters_and_the_marks_are_explained(page, demo):
    page.goto(demo["url"] + "#!/node/model.mart_student_ranking/department_position")
    tree = page.locator("#column-lineage")
    tree.wait_for()
    used_by = tree.locator("> div").nth(1)
    assert "mart_department_summary" in used_by.inner_text() and "reads it in WHERE" in used_by.inner_text()
    assert "No other model reads it" not in used_by.inner_text()
    legend = page.locator(".marks-legend").first.inner_text()
    assert "copied: the value of one upstream column" in legend and "derived: computed by" in legend
    assert "read only to filter, join or group rows" in legend
    page.goto(demo["url"] + "#!/node/model.mart_department_summary")
    assert "mart_student_ranking.department_position (WHERE)" in page.locator("#filter-reads").inner_text()
    assert page.problems == []


def test_lineage_trees_fold_and_unfold(page, demo):
    page.goto(demo["url"] + f"#!/node/{MART}/avg_score")
    tree = page.locator("#column-lineage")
    tree.wait_for()
    assert tree.locator("text=exam_scores.score").first.is_visible()
    page.click("text=Collapse all")
    assert not tree.locator("text=exam_scores.score").first.is_visible()
    assert tree.locator("summary", has_text="avg_score").first.is_visible()
    page.click("text=Expand all")
    assert tree.locator("text=exam_scores.score").first.is_visible()
