"""`elt docs generate` writes a self-contained offline site; `elt docs serve` serves it on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.functional.test_run import LAYERED

SITE_FILES = {"index.html", "style.css", "app.js", "data.js", "lineage.json"}


def site_data(directory: Path) -> dict:
    text = (directory / "data.js").read_text(encoding="utf-8")
    prefix, suffix = "window.ELT_DOCS = ", ";\n"
    assert text.startswith(prefix) and text.endswith(suffix)
    return json.loads(text[len(prefix):-len(suffix)])


def test_generate_writes_a_site_that_needs_no_network(project):
    proj = project(LAYERED)
    result = proj.elt("docs", "generate")
    assert result.exit_code == 0, result.output
    site = proj.root / "target" / "docs"
    assert f"to {site / 'index.html'}" in result.stdout
    assert {p.name for p in site.iterdir()} == SITE_FILES
    for path in site.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), f"{path.name} references a URL"
        assert not re.search(r"""(src|href)\s*=\s*["']//""", text), f"{path.name} references a remote resource"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', index) == ["data:,", "style.css", "data.js",
                                                                                "app.js"]


def test_graph_is_drawn_in_the_page_with_every_node_and_edge(project):
    proj = project(LAYERED)
    proj.elt("docs", "generate")
    index = (proj.root / "target" / "docs" / "index.html").read_text(encoding="utf-8")
    assert set(re.findall(r'class="node [^"]*" data-uid="([^"]+)"', index)) == {
        "seed.scores", "model.stg_scores", "model.int_pct", "model.passed", "model.course_avg", "model.passed_count"}
    assert set(re.findall(r'class="edge" data-from="([^"]+)" data-to="([^"]+)"', index)) == {
        ("seed.scores", "model.stg_scores"), ("model.stg_scores", "model.int_pct"), ("model.int_pct", "model.passed"),
        ("model.int_pct", "model.course_avg"), ("model.passed", "model.passed_count")}


def test_site_data_holds_sql_columns_links_and_lineage(project):
    proj = project({**LAYERED, "models/marts/_marts.yml": """\
        version: 2
        models:
          - name: course_avg
            description: Average percentage per course.
            columns:
              - name: avg_pct
                description: Mean of int_pct.pct, 2 decimals.
              - name: gone
                description: Removed from the query long ago.
    """})
    proj.elt("docs", "generate")
    data = site_data(proj.root / "target" / "docs")
    assert [layer["name"] for layer in data["layers"]] == ["raw", "bronze", "silver", "(ephemeral)", "gold"]
    course_avg = data["nodes"]["model.course_avg"]
    assert course_avg["description"] == "Average percentage per course."
    assert "{{ ref('int_pct') }}" in course_avg["raw_sql"]
    assert "from silver.int_pct" in course_avg["compiled_sql"]
    assert course_avg["parents"] == ["model.int_pct"] and course_avg["children"] == []
    columns = {c["name"]: c for c in course_avg["columns"]}
    assert list(columns) == ["course", "avg_pct", "n", "gone"]
    assert columns["avg_pct"]["description"] == "Mean of int_pct.pct, 2 decimals."
    assert columns["avg_pct"]["upstream"] == [{"node": "model.int_pct", "column": "pct"}]
    assert columns["avg_pct"]["data_type"] == "double"
    assert columns["gone"]["documented_only"] is True
    assert columns["gone"]["unresolved"] == ["documented in yml, but the query does not produce it"]
    assert data["nodes"]["seed.scores"]["columns"][2] | {"upstream": None} == {
        "name": "score", "data_type": "int", "description": "", "upstream": None, "unresolved": [],
        "transformed": False, "tests": [], "documented_only": False}


def test_lineage_artefact_is_written_next_to_the_site(project):
    proj = project(LAYERED)
    proj.elt("docs", "generate")
    lineage = json.loads((proj.root / "target" / "docs" / "lineage.json").read_text(encoding="utf-8"))
    assert lineage["schema"] == "elt/docs-lineage/v1"
    pct = next(c for c in lineage["nodes"]["model.int_pct"]["columns"] if c["name"] == "pct")
    assert pct["upstream"] == [{"node": "model.stg_scores", "column": "score"}]


def test_project_text_cannot_break_out_of_the_page(project):
    proj = project({**LAYERED, "models/marts/_marts.yml": """\
        version: 2
        models:
          - name: course_avg
            description: "</script><script>alert(1)</script>"
    """})
    proj.elt("docs", "generate")
    site = proj.root / "target" / "docs"
    assert "</script><script>" not in (site / "data.js").read_text(encoding="utf-8")
    assert site_data(site)["nodes"]["model.course_avg"]["description"] == "</script><script>alert(1)</script>"


def test_generate_output_dir(project, tmp_path):
    proj = project(LAYERED)
    out = tmp_path / "elsewhere" / "docs"
    result = proj.elt("docs", "generate", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == SITE_FILES
    assert not (proj.root / "target" / "docs").exists()


def test_generate_warns_about_unresolved_lineage(project):
    proj = project({**LAYERED, "models/staging/sources.yml": """\
        version: 2
        sources:
          - name: app
            tables:
              - name: events
    """, "models/staging/stg_events.sql": "select * from {{ source('app', 'events') }}\n"})
    result = proj.elt("docs", "generate")
    assert result.exit_code == 0, result.output
    assert "warning: lineage unresolved for 0 column(s) and the column list of 2 node(s)" in result.stderr


def test_serve_serves_the_site_on_loopback(project):
    from elt.docs.serve import make_server, url_of

    proj = project(LAYERED)
    proj.elt("docs", "generate")
    site = proj.root / "target" / "docs"
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = url_of(server)
        assert url.startswith("http://127.0.0.1:")
        for name in ("", "data.js"):
            with urllib.request.urlopen(url + name, timeout=5) as response:
                assert response.status == 200
                assert response.read() == (site / (name or "index.html")).read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_serve_without_a_generated_site_says_what_to_do(project):
    result = project(LAYERED).elt("docs", "serve", "--port", "0")
    assert result.exit_code == 2
    assert "Error: no docs site in" in result.stderr
    assert "hint: run `elt docs generate` first" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_command_serves_on_the_given_port_until_interrupted(project):
    proj = project(LAYERED)
    assert proj.elt("docs", "generate").exit_code == 0
    index = (proj.root / "target" / "docs" / "index.html").read_bytes()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PYTHONUNBUFFERED": "1"}
    # Started with SIGINT ignored, as a shell hands it to a background job (CI's): Ctrl-C must still stop it.
    server = subprocess.Popen([sys.executable, "-m", "elt", "docs", "serve", "--port", str(port),
                               "--project-dir", str(proj.root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    assert response.read() == index
                    break
            except OSError:  # refused (not listening yet), or reset
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "elt docs serve did not answer in 30 s"
                time.sleep(0.1)
        assert get(port, f"attacker.example:{port}") == 403  # DNS rebinding: see the tests below
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"Serving the docs on http://127.0.0.1:{port}/ (Ctrl-C to stop)" in out
    assert "Stopped." in out


# -- docs serve answers loopback Host names only: a page whose name an attacker points at 127.0.0.1
# (DNS rebinding) sends its own name as Host


@pytest.fixture
def docs_server(project):
    from elt.docs.serve import make_server

    proj = project(LAYERED)
    assert proj.elt("docs", "generate").exit_code == 0
    server = make_server(proj.root / "target" / "docs", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def get(port: int, host: str | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", "/data.js", skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST", "127.0.0.1"])
def test_docs_serve_answers_loopback_host_names(docs_server, host):
    assert get(docs_server, host.format(port=docs_server)) == 200


@pytest.mark.parametrize("host", ["attacker.example:{port}", "attacker.example", "127.0.0.1.attacker.example",
                                  "localhost.attacker.example:{port}", "[::1].example", "10.0.0.5:{port}", None])
def test_docs_serve_refuses_other_host_names(docs_server, host):
    assert get(docs_server, None if host is None else host.format(port=docs_server)) == 403


def _x_of(index: str) -> dict[str, float]:
    """Each drawn node's left edge in index.html's SVG."""
    return {uid: float(x) for uid, x in re.findall(r'data-uid="([^"]+)"[^>]*transform="translate\(([\d.]+),', index)}


def test_names_are_in_natural_order_and_layers_are_blocks_in_pipeline_order(project):
    # silver is a chain three deep; gold's g reads the seed directly (it is of the first generation)
    proj = project({
        "seeds/raw_data.csv": "id\n1\n",
        **{f"models/intermediate/s_{i}.sql": f"select id from {{{{ ref('{parent}') }}}}\n"
           for i, parent in ((1, "raw_data"), (2, "s_1"), (10, "s_2"))},
        "models/marts/g.sql": "select a.id from {{ ref('raw_data') }} a join {{ ref('s_10') }} b on a.id = b.id\n",
        "models/marts/g_early.sql": "select id from {{ ref('raw_data') }}\n",
    })
    assert proj.elt("docs", "generate").exit_code == 0
    site = proj.root / "target" / "docs"
    data = site_data(site)
    assert [(layer["name"], layer["nodes"]) for layer in data["layers"]] == [
        ("raw", ["seed.raw_data"]), ("silver", ["model.s_1", "model.s_2", "model.s_10"]),
        ("gold", ["model.g", "model.g_early"])]
    assert data["nodes"]["seed.raw_data"]["children"] == ["model.g", "model.g_early", "model.s_1"]
    x = _x_of((site / "index.html").read_text(encoding="utf-8"))
    assert x["seed.raw_data"] < x["model.s_1"] < x["model.s_2"] < x["model.s_10"] < x["model.g_early"]
    assert x["model.g_early"] == x["model.g"]  # the first column of the gold block


def test_site_data_holds_the_last_run_and_its_test_results(project):
    proj = project({**LAYERED, "models/marts/_marts.yml": """\
        version: 2
        models:
          - name: course_avg
            columns:
              - name: course
                data_tests: [not_null, {accepted_values: {values: [math]}}]
    """})
    assert proj.elt("build").exit_code == 1  # accepted_values fails: art is there too
    assert proj.elt("docs", "generate").exit_code == 0
    data = site_data(proj.root / "target" / "docs")
    recorded = json.loads((proj.root / "target" / "run_results.json").read_text())
    results = {r["unique_id"]: r for r in recorded["results"]}
    run = data["run"]
    assert run["command"] == "build" and run["finished"] is True
    assert run["counts"] == {"fail": 1, "success": len(results) - 1}
    models = [uid for uid, r in results.items() if uid.startswith("model.")]
    assert [s["unique_id"] for s in run["slowest"]] == sorted(
        models, key=lambda uid: (-results[uid]["execution_time"], uid))
    assert [(t["name"], t["status"], t["attached_to"], t["column"], t["failures"]) for t in run["failed_tests"]] == [
        ("accepted_values_course_avg_course", "fail", "model.course_avg", "course", 1)]
    course_avg = data["nodes"]["model.course_avg"]["last_run"]
    assert course_avg["run"]["status"] == "success" and course_avg["run"]["rows"] == 2
    assert course_avg["run"]["execution_time"] == results["model.course_avg"]["execution_time"]
    assert [(t["name"], t["status"]) for t in course_avg["tests"]] == [
        ("accepted_values_course_avg_course", "fail"), ("not_null_course_avg_course", "success")]
    assert data["nodes"]["seed.scores"]["last_run"]["run"]["status"] == "success"


def test_site_data_without_a_run_says_so(project):
    proj = project(LAYERED)
    assert proj.elt("docs", "generate").exit_code == 0
    data = site_data(proj.root / "target" / "docs")
    assert data["run"] is None and data["run_notes"] == []
    assert all(node["last_run"] is None for node in data["nodes"].values())
    (proj.root / "target" / "run_results.json").write_text("{not json")
    assert proj.elt("docs", "generate").exit_code == 0
    assert site_data(proj.root / "target" / "docs")["run_notes"][0].startswith("run_results.json cannot be read: ")


def test_site_data_holds_each_source_freshness(project):
    import datetime

    from tests.functional.test_data_tests import FRESHNESS

    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    proj = project({
        "seeds/fresh.csv": f"id,loaded_at\n1,{now - datetime.timedelta(minutes=5):%Y-%m-%d %H:%M:%S}\n",
        "seeds/stale.csv": f"id,loaded_at\n1,{now - datetime.timedelta(days=3):%Y-%m-%d %H:%M:%S}\n",
        "models/staging/sources.yml": FRESHNESS,
    })
    proj.elt("seed")
    assert proj.elt("source", "freshness").exit_code == 1
    assert proj.elt("docs", "generate").exit_code == 0
    nodes = site_data(proj.root / "target" / "docs")["nodes"]
    freshness = {uid: nodes[uid]["last_run"]["freshness"] for uid in
                 ("source.shop.fresh", "source.shop.stale_warn", "source.shop.stale_error")}
    assert {uid: f["status"] for uid, f in freshness.items()} == {
        "source.shop.fresh": "pass", "source.shop.stale_warn": "warn", "source.shop.stale_error": "error"}
    assert 3 * 86400 - 600 < freshness["source.shop.stale_error"]["age_seconds"] < 3 * 86400 + 600
    assert freshness["source.shop.fresh"]["checked_at"] and freshness["source.shop.fresh"]["max_loaded_at"]
