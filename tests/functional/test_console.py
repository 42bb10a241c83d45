"""The console of a run: `--quiet`, `--log-format json`, the slowest nodes at the end, the live
progress line on a terminal (a real pseudo-terminal), and names in natural order in `elt ls` and
`elt docs graph`."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time

MODELS = {
    "models/staging/stg_1.sql": "select 1 as id",
    "models/staging/stg_2.sql": "select 2 as id",
    "models/staging/stg_10.sql": "select 10 as id",
    "models/marts/total.sql": "select id from {{ ref('stg_1') }} union all select id from {{ ref('stg_2') }} "
                              "union all select id from {{ ref('stg_10') }}",
    "models/marts/broken.sql": "select id, no_such_column from {{ ref('stg_2') }}",
    "models/marts/after_broken.sql": "select * from {{ ref('broken') }}",
}
NAMES = {"stg_1", "stg_2", "stg_10", "total", "broken", "after_broken"}


def test_ls_lists_names_in_natural_order(project):
    result = project(MODELS).elt("ls", "--resource-type", "model")
    assert result.exit_code == 0, result.output
    # dependency order, each generation in natural order: stg_2 before stg_10
    assert result.stdout.split() == ["stg_1", "stg_2", "stg_10", "broken", "total", "after_broken"]


def test_docs_graph_lists_names_in_natural_order(project):
    result = project(MODELS).elt("docs", "graph", "--format", "json")
    assert result.exit_code == 0, result.output
    graph = json.loads(result.stdout)
    assert graph["layers"]["bronze"] == ["model.stg_1", "model.stg_2",
                                         "model.stg_10"]
    assert [edge["from"] for edge in graph["edges"]][:3] == ["model.broken",
                                                             "model.stg_1", "model.stg_2"]


def test_a_models_log_lines_leave_the_data_on_stdout_readable(project):
    models = {**MODELS, "models/staging/stg_1.sql": "{{ log('rendering stg_1', info=True) }}"
                                                     "{{ print('printed by stg_1') }}select 1 as id"}
    proj = project(models)
    listed = proj.elt("ls", "--resource-type", "model", "--output", "json")
    assert listed.exit_code == 0, listed.output
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()][0] == "stg_1"
    graph = proj.elt("docs", "graph", "--format", "json")
    assert graph.exit_code == 0, graph.output
    assert "model.stg_1" in json.loads(graph.stdout)["layers"]["bronze"]
    for result in (listed, graph):  # the lines are not lost: they are on stderr
        assert "rendering stg_1" in result.stderr and "printed by stg_1" in result.stderr


def test_plain_run_lists_every_node_and_the_slowest(project):
    result = project(MODELS).elt("run")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert sum(" START " in line for line in lines) == 5  # after_broken is skipped without starting
    assert any(re.search(r" OK view bronze\.stg_10 \[", line) for line in lines)
    slowest = lines.index("Slowest 5 nodes:")
    assert all(re.fullmatch(r"  \d+\.\d\ds  (view|table) \w+\.\w+", line) for line in lines[slowest + 1:slowest + 6])
    assert lines[slowest + 6].startswith("Finished 6 node(s)")


def test_quiet_prints_failures_and_the_summary_only(project):
    result = project(MODELS).elt("run", "--quiet")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert re.fullmatch(r"\d\d:\d\d:\d\d  \d of 6 ERROR table gold\.broken \[\d+\.\ds\]", lines[0]), lines
    assert lines[1] == "Finished 6 node(s) in " + lines[1].split(" in ")[1]
    assert lines[1].endswith(": 4 OK, 1 error, 1 skipped.")
    assert lines[2] == "  ERROR in model.broken (models/marts/broken.sql):"
    assert "no_such_column" in "\n".join(lines[3:])
    assert not any(word in result.stdout for word in (" START ", " OK ", "Running ", "Slowest", "rendering"))


def test_json_log_format_gives_one_event_per_line(project):
    logging = "{{ log('rendering stg_1', info=True) }}{{ print('printed by stg_1') }}select 1 as id"
    result = project({**MODELS, "models/staging/stg_1.sql": logging}).elt("build", "--log-format", "json")
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]  # every line is one JSON object
    assert [e["message"] for e in events if e["event"] == "log"] == ["rendering stg_1", "printed by stg_1"]
    assert [e["event"] for e in events if e["event"].startswith("run_")] == ["run_start", "run_end"]
    assert events[-1]["event"] == "run_end"
    [start] = [e for e in events if e["event"] == "run_start"]
    assert start["nodes"] == 6 and start["command"] == "build"
    assert [e["event"] for e in events if "no model is in a folder" in e.get("message", "")] == ["warning"]
    starts = [e["name"] for e in events if e["event"] == "node_start"]
    ends = {e["name"]: e for e in events if e["event"] == "node_end"}
    assert sorted(starts) == sorted(ends) == sorted(NAMES)
    for name in NAMES:  # each node's start comes before its end
        assert [e["event"] for e in events if e.get("name") == name] == ["node_start", "node_end"]
    assert ends["broken"]["status"] == "error" and "no_such_column" in ends["broken"]["error"]
    assert ends["after_broken"]["status"] == "skipped" and "error" not in ends["after_broken"]
    assert ends["total"]["status"] == "success" and ends["total"]["rows"] == 3
    end = events[-1]
    assert end["counts"]["error"] == 1 and end["success"] is False and len(end["slowest"]) == 5
    assert result.stderr == ""


def test_json_log_format_reports_a_command_error_as_an_event(project):
    result = project(MODELS).elt("run", "--log-format", "json", "--vars", "[1")
    assert result.exit_code == 2
    [event] = [json.loads(line) for line in result.stdout.splitlines()]
    assert event["event"] == "error" and event["message"].startswith("--vars is not valid YAML")


def _run_on_a_terminal(args: list[str], cwd: str, timeout: float = 60.0) -> tuple[int, str]:
    """`python -m elt ARGS` with stdout and stderr on a pseudo-terminal: (exit code, what it showed)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "200"}
    env.pop("ELT_SLOW_SECONDS", None)
    process = subprocess.Popen([sys.executable, "-m", "elt", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        code = process.wait(timeout=10)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_progress_line_on_a_terminal(project):
    proj = project(MODELS)
    code, shown = _run_on_a_terminal(["run", "--threads", "1", "--project-dir", str(proj.root)], str(proj.root))
    assert code == 1, shown
    shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # colours
    erase = "\r\x1b[K"
    drawn = [part.split("\r\n")[0] for part in shown.split(erase)[1:]]
    progress = [text for text in drawn if re.match(r"\d+ of 6 done, ", text)]
    # the line was drawn, and redrawn in place as the nodes ran (how often depends on the machine's speed)
    assert len(progress) >= 2, shown
    line = r"(\d) of 6 done, \d running(, 1 failed)?, \d left \| 0:\d\d elapsed, ETA (\?|\d+:\d\d)( \| \w+ 0:\d\d)?"
    assert all(re.fullmatch(line, text) for text in progress), progress
    done = [int(text.split(" ", 1)[0]) for text in progress]
    assert done == sorted(done), progress
    # drawn again right after the failure's kept line
    assert any(", 1 failed, " in text for text in progress), progress
    lines = [line.split(erase)[-1] for line in shown.replace("\r\n", "\n").split("\n")]
    # kept lines: the run's start, the failure with its message; not each node's START and OK
    assert any(re.fullmatch(r"\d\d:\d\d:\d\d  \d of 6 ERROR table gold\.broken \[\d+\.\ds\]", line) for line in lines)
    assert not any(" START " in line or " OK " in line for line in lines), lines
    # the end: the progress line erased, then the plain summary
    tail = shown[shown.rindex(erase) + len(erase):].replace("\r\n", "\n")
    assert "Slowest 5 nodes:" in tail and "Finished 6 node(s)" in tail, tail
    assert " done, " not in tail
