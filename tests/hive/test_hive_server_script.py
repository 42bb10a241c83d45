"""scripts/hive-server: status, refusals, and a failed start that leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.hive

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "hive-server"


def run_script(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def own_server(hive_server: Any) -> Any:
    if hive_server.data_dir is None:
        # Like every Hive fixture: skipped on a developer's machine, a failure in CI, which must run them.
        reason = "the server given by ELT_HIVE_HOST/ELT_HIVE_PORT has no data folder here (ELT_HIVE_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"scripts/hive-server tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return hive_server


def test_status_reports_the_running_server(own_server: Any) -> None:
    result = run_script("status", own_server.env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("running: pid ") and f":{own_server.port}," in result.stdout


def test_second_start_on_the_same_data_folder_is_refused(own_server: Any) -> None:
    result = run_script("start", own_server.env())
    assert result.returncode == 1
    assert "already runs" in result.stderr
    assert run_script("status", own_server.env()).returncode == 0  # the first one is untouched


def test_each_session_downloads_resources_into_its_own_folder(own_server: Any) -> None:
    """With one shared resources folder, sessions opened at the same moment race to create it (and a
    closing session deletes it under the others): one fails with "Couldn't create directory"."""
    from elt.adapters.hive import HiveAdapter
    from tests.hive.conftest import target_for

    def folders() -> set[str]:
        return {path.name for path in (own_server.data_dir / "tmp").iterdir() if path.name.endswith("resources")}

    before = folders()
    first, second = HiveAdapter(target_for(own_server)), HiveAdapter(target_for(own_server))
    try:
        first.open()
        second.open()
        new = folders() - before
    finally:
        first.close()
        second.close()
    assert len(new) == 2 and all(name.endswith("_resources") for name in new), (before, new)


def test_start_on_a_busy_port_is_refused(own_server: Any, tmp_path: Path) -> None:
    result = run_script("start", own_server.env(ELT_HIVE_DATA=str(tmp_path)))
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert not (tmp_path / "hive.pid").exists()


def test_failed_start_shows_the_log_and_leaves_nothing_running(hive_server: Any, tmp_path: Path,
                                                               free_port: Any) -> None:
    env = hive_server.env(ELT_HIVE_DATA=str(tmp_path), ELT_HIVE_PORT=str(free_port()),
                          ELT_HIVE_DRIVER_MEMORY="not-a-size")
    result = run_script("start", env)
    assert result.returncode == 1
    assert "did not become ready" in result.stderr and "last lines of" in result.stderr
    assert "not-a-size" in result.stderr  # the JVM's own complaint, from the log tail
    assert not (tmp_path / "hive.pid").exists()
    assert run_script("status", env).returncode == 3


def test_stop_without_a_server_is_harmless(hive_server: Any, tmp_path: Path) -> None:
    env = hive_server.env(ELT_HIVE_DATA=str(tmp_path / "never-started"))
    result = run_script("stop", env)
    assert result.returncode == 0
    assert "nothing to stop" in result.stderr
