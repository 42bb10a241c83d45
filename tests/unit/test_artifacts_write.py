"""target/ files written by several writers at once (two runs compiling, FileWriter threads)."""

from __future__ import annotations

import threading

from elt.report.artifacts import _write


def test_writers_racing_to_create_the_same_new_files_all_succeed(tmp_path):
    # Each writer finds the folders missing, and another one may create folder and file between its
    # failed open and its retry: that must end in a compare-and-rewrite, not in FileExistsError.
    paths = [tmp_path / f"d{i % 40}" / f"e{i % 7}" / f"m{i}.sql" for i in range(400)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        start.wait()
        for path in paths:
            try:
                _write(path, f"select '{path.name}'\n")
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(path.read_text() == f"select '{path.name}'\n" for path in paths)


def test_an_unchanged_file_is_not_rewritten_and_a_changed_one_is(tmp_path):
    path = tmp_path / "a" / "m.sql"
    _write(path, "select 1\n")
    before = path.stat().st_mtime_ns, path.stat().st_ino
    _write(path, "select 1\n")
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before
    _write(path, "select 2\n")
    assert path.read_text() == "select 2\n"
