"""A full disk under target/: a clear error naming the file and ENOSPC, the engine's own errors kept.

The disk is a real one that fills up: a small tmpfs mounted on the project's target/ (which needs
root; without it the tests skip, except in CI, where they must run), filled to the last byte.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

MODELS = {
    "models/marts/a.sql": "select 1 as x\n",
    "models/marts/b.sql": "select x + 1 as y from {{ ref('a') }}\n",
}


@pytest.fixture
def small_disk():
    """mount(folder): a 4 MB tmpfs on `folder` (unmounted after the test)."""
    mounted: list[Path] = []

    def mount(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                                  capture_output=True, text=True)
            failure = done.stderr.strip() if done.returncode else None
        except OSError as exc:
            failure = str(exc)
        if failure is not None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"cannot mount a tmpfs in CI: {failure}")
            pytest.skip(f"cannot mount a tmpfs (root needed): {failure}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write to a file in `folder` until the file system refuses: no byte is left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)


def test_a_disk_that_fills_up_gives_a_clear_error_and_keeps_the_engines_error(project, small_disk):
    proj = project(MODELS)  # the DuckDB database is target/test.duckdb: on the disk that fills up
    target = small_disk(proj.root / "target")
    assert proj.elt("run").exit_code == 0
    fill(target)
    result = proj.elt("run")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    # The engine's own error, for the model whose table it could not write.
    assert "ERROR table gold.a" in result.stdout and "No space left on device" in result.stdout
    assert "SKIP table gold.b (upstream a failed)" in result.stdout
    assert "Finished 2 node(s)" in result.stdout
    # Then elt's own, on one line: the file, the reason with its errno name, and what to do.
    lines = result.stderr.splitlines()
    error = lines[next(i for i, line in enumerate(lines) if line.startswith("Error:")):]
    assert error[0].startswith(f"Error: cannot write {target}/"), result.stderr
    assert error[0].endswith(": No space left on device (ENOSPC)"), result.stderr
    assert error[1].startswith("  hint: the disk holding it is full: free some space")
    assert proj.query("select x from gold.a") == [(1,)]  # the previous table
    assert '"finished": true' in (target / "run_results.json").read_text()  # the previous run's, whole


def test_a_full_disk_before_the_run_is_a_clear_error(project, small_disk):
    proj = project(MODELS)
    fill(small_disk(proj.root / "target"))
    result = proj.elt("run")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error: cannot write " in result.stderr and ": No space left on device (ENOSPC)" in result.stderr
    assert "START" not in result.stdout


def test_a_models_sql_that_cannot_be_written_keeps_the_models_engine_error(project):
    # /dev/full refuses every write with ENOSPC: here, the one file where the failing model's SQL goes
    # (target/run/), written while the engine's error is being handled.
    proj = project(MODELS)
    assert proj.elt("run").exit_code == 0
    run_sql = proj.root / "target" / "run" / "models" / "marts" / "a.sql"
    run_sql.unlink()
    run_sql.symlink_to("/dev/full")
    proj.write({"models/marts/a.sql": "select x from missing_table\n"})
    result = proj.elt("run")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "ERROR table gold.a" in result.stdout and "Table with name missing_table does not exist" in result.stdout
    assert f"Error: cannot write {run_sql}: No space left on device (ENOSPC)" in result.stderr
    assert proj.query("select x from gold.a") == [(1,)]
