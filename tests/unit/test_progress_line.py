"""The live progress line's console (elt.report.progress), fed a run's events: which per-node lines
it keeps above the line, the line's counts, and its clock. (On a real terminal: tests/functional/
test_console.py.)"""

from __future__ import annotations

import pytest

from elt.nodes import NodeResult
from elt.report.progress import ProgressConsole, clock

ERASE = "\r\x1b[K"


def _run(console: ProgressConsole) -> list[NodeResult]:
    results = [NodeResult("model.fast", "success", execution_time=0.2),
               NodeResult("model.slow", "success", execution_time=45.0),
               NodeResult("model.bad", "error", "Binder Error: boom", execution_time=0.1),
               NodeResult("model.after_bad", "skipped", "upstream bad failed")]
    console.run_started("run", len(results), "model(s)", "duckdb", "dev", 3)
    for index, result in enumerate(results[:3], start=1):
        console.node_started(index, len(results), result.unique_id)
    for index, result in enumerate(results, start=1):
        console.node_finished(index, len(results), result)
    return results


def test_keeps_the_lines_of_failures_and_slow_nodes_only(capsys, monkeypatch):
    monkeypatch.delenv("ELT_SLOW_SECONDS", raising=False)
    console = ProgressConsole()
    results = _run(console)
    assert console.status_text(console._start or 0.0).startswith("4 of 4 done, 0 running, 1 failed, 0 left | ")
    console.summary(results, 46.0)
    assert console._ticker is not None and not console._ticker.is_alive()  # stopped with the run
    shown = capsys.readouterr().out
    lines = [line.split(ERASE)[-1] for line in shown.split("\n")]
    kept = [line[10:] for line in lines if line[:2].isdigit()]  # after the time stamp
    assert kept == ["Running 4 model(s) on duckdb target 'dev' with 3 thread(s)", "2 of 4 OK model.slow [45.0s]",
                    "3 of 4 ERROR model.bad [0.1s]"]
    assert "            Binder Error: boom" in lines
    assert lines[-5:] == ["", "Finished 4 node(s) in 46.0s: 2 OK, 1 error, 1 skipped.",
                          "  ERROR in model.bad:", "    Binder Error: boom", ""]
    assert not shown.endswith(ERASE) and "done," not in shown.split("Finished")[1]


def test_slow_threshold_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("ELT_SLOW_SECONDS", "0")
    console = ProgressConsole()
    console.summary(_run(console), 46.0)
    shown = capsys.readouterr().out
    assert " 1 of 4 OK model.fast [0.2s]" in shown


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0:00"), (42, "0:42"), (725, "12:05"), (3723, "1:02:03")])
def test_clock(seconds, text):
    assert clock(seconds) == text
