"""The docs site of a generated 300-model project in a real headless Chromium: the focus view and
command-line selectors drawn in the page, search ranking, the last run's results, natural order.

The project (bench/generate.py) is built once for the module: `elt build --select +mart_3` with one
test made to fail, then `elt docs generate`. Screenshots of the landing page, a model page and the
focus view go to $ELT_TEST_ARTIFACTS (default: test-artifacts/ at the repository root, git-ignored)
for review.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ProjectDir

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ELT_TEST_ARTIFACTS") or REPO / "test-artifacts")
MODELS = 300
DOC_TYPES = {"model", "seed", "snapshot", "source"}

pytestmark = pytest.mark.browser


def _generate(root: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(root, MODELS)  # 500 rows a seed, seed 7: mart_3 has an accepted_values test


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The 300-model project, partly built (one of its tests fails), and its docs site."""
    from elt.cli.invocation import Invocation, compile_manifest
    from elt.report.console import Console

    root = tmp_path_factory.mktemp("n300")
    _generate(root)
    yml = root / "models" / "marts" / "g00" / "_g00.yml"
    text = yml.read_text()
    start = text.index("  - name: mart_3\n")
    at = text.index("values: [alpha, beta, gamma, delta]", start)  # mart_3 has all four: this test fails
    yml.write_text(text[:at] + "values: [alpha, beta]" + text[at + len("values: [alpha, beta, gamma, delta]"):])
    project = ProjectDir(root)
    built = project.elt("build", "--select", "+mart_3")
    assert built.exit_code == 1 and "accepted_values" in built.output, built.output
    site = root / "target" / "docs"
    result = project.elt("docs", "generate")
    assert result.exit_code == 0, result.output
    manifest = compile_manifest(Invocation(project_dir=root), Console())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {"url": (site / "index.html").as_uri(), "manifest": manifest, "root": root}


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def drawn(page: Any) -> set[str]:
    # the whole DAG stays in the page, hidden ("off") while a selection is drawn
    return set(page.evaluate(
        "() => [...document.querySelectorAll('#dag .drawing:not(.off) .node')].map(g => g.dataset.uid)"))


def cli_selection(manifest: Any, selector: str) -> set[str]:
    from elt.compile.graph import Graph
    from elt.run.selection import select_nodes

    graph: Graph = manifest.graph
    selected = select_nodes(graph, manifest.nodes, [selector])
    return {uid for uid in selected if manifest.nodes[uid].resource_type in DOC_TYPES}


def test_landing_page_shows_the_last_run_its_slowest_models_and_failed_test(page, big):
    open_page(page, big["url"])
    results = json.loads((big["root"] / "target" / "run_results.json").read_text())["results"]
    statuses = [r["status"] for r in results]
    summary = page.locator("#run-summary").inner_text()
    assert summary.startswith("`elt build` on dev, ") and f"{statuses.count('success')} success" in summary, summary
    failed = page.locator("#failed-tests").inner_text()
    # the failing accepted_values test, and relationships tests whose other model this build did not build
    assert f"Failed tests ({statuses.count('fail') + statuses.count('error')})" in failed
    assert "fail accepted_values_mart_3_category on mart_3.category" in failed
    built = [r for r in results if r["unique_id"].startswith("model.") and r.get("execution_time") is not None]
    assert page.locator("#slowest li").count() == min(10, len(built)) > 5
    assert page.locator("#dag .drawing.whole .node").count() == len([n for n in big["manifest"].nodes.values()
                                                       if n.resource_type in DOC_TYPES])
    page.screenshot(path=str(ARTIFACTS / "docs-landing.png"))
    assert page.problems == []


def test_model_page_draws_its_focus_view_n_levels_up_and_down(page, big):
    graph = big["manifest"].graph
    uid = "model.mart_3"
    open_page(page, big["url"] + "#!/node/" + uid)
    page.wait_for_selector("#node-title")

    def around(levels: int) -> set[str]:
        return ({uid} | graph.ancestors_of({uid}, levels) | graph.descendants_of({uid}, levels)) & set(
            u for u, n in big["manifest"].nodes.items() if n.resource_type in DOC_TYPES)

    assert page.input_value("#select") == "2+mart_3+2"
    assert drawn(page) == around(2)
    assert "selected" in page.locator(f'#dag .drawing:not(.off) .node[data-uid="{uid}"]').get_attribute("class")
    last_run = page.locator("#last-run").inner_text()
    assert last_run.startswith("Last run: success in ") and " rows" in last_run, last_run
    tests = page.locator("#test-results").inner_text()
    assert "accepted_values" in tests and "fail" in tests
    page.screenshot(path=str(ARTIFACTS / "docs-model-page.png"))
    page.fill("#focus-depth", "1")
    page.dispatch_event("#focus-depth", "change")
    assert drawn(page) == around(1)
    page.click("#graph-all")
    assert len(drawn(page)) > 300
    assert page.problems == []


SELECTORS = ["+mart_3", "path:models/marts/g00,config.materialized:table", "int_1*", "2+int_150+1 stg_2+", "@stg_3",
             "source:raw.raw_1+1"]


def test_a_selector_draws_what_the_command_line_selects(page, big):
    open_page(page, big["url"] + "#!/graph/")
    assert page.locator("#sidebar").is_hidden()  # the graph page is full screen
    for selector in SELECTORS:
        expected = cli_selection(big["manifest"], selector)
        assert expected, selector
        page.evaluate("s => { location.hash = '#!/graph/' + encodeURIComponent(s); }", selector)
        page.wait_for_function("s => document.getElementById('select').value === s", arg=selector)
        assert drawn(page) == expected, selector
        assert page.locator("#select-note").inner_text() == f"{len(expected)} nodes"
    page.evaluate("s => { location.hash = '#!/graph/' + encodeURIComponent(s); }", "+mart_3")
    page.screenshot(path=str(ARTIFACTS / "docs-focus-view.png"))
    assert page.problems == []


def test_a_selector_the_page_cannot_evaluate_says_so(page, big):
    open_page(page, big["url"] + "#!/graph/" + quote("state:modified"))
    assert "does not evaluate `state:`" in page.locator("#select-note").inner_text()
    assert page.problems == []


def test_search_ranks_names_first_and_says_why_and_enter_opens_the_best(page, big):
    open_page(page, big["url"])
    page.fill("#search", "mart_1")
    hits = page.locator("#node-list li")
    assert hits.nth(0).locator("a").get_attribute("data-uid") == "model.mart_1"
    assert hits.nth(0).locator(".why").inner_text() == "name"
    names = [hits.nth(i).locator("a span").first.inner_text() for i in range(1, 4)]
    assert names == ["mart_10", "mart_11", "mart_12"]  # prefix matches, shortest and in natural order
    assert hits.nth(1).locator(".why").inner_text() == "name starts with it"
    page.fill("#search", "staging model stg_2")
    assert page.locator("#node-list li .why").first.inner_text().startswith("description: ")
    page.fill("#search", "mart_1")
    page.press("#search", "Enter")
    page.wait_for_selector("#node-title")
    assert page.locator("#node-title").inner_text() == "mart_1"
    assert page.problems == []


def test_names_are_in_natural_order(page, big):
    open_page(page, big["url"])
    names = page.evaluate("""() => [...document.querySelectorAll('#node-list .layer-group')]
        .find(g => g.querySelector('h3').textContent.startsWith('staging'))
        .querySelectorAll('a[data-uid] span:first-child')""" + ".length")
    assert names > 10
    listed = page.evaluate("""() => [...[...document.querySelectorAll('#node-list .layer-group')]
        .find(g => g.querySelector('h3').textContent.startsWith('staging'))
        .querySelectorAll('a[data-uid] > span:first-child')].map(s => s.textContent)""")
    assert listed[:3] == ["stg_0", "stg_1", "stg_2"] and listed.index("stg_9") < listed.index("stg_10")
