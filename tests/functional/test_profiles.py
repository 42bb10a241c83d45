"""profiles.yml: where elt finds it, the DuckDB target's defaults, and bad DuckDB settings reported as
profile errors (exit code 2, no traceback) by the commands that open the database and by `elt debug`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PROFILES, PYPROJECT
from tests.functional.test_errors import GOOD, check_usage_error

NO_PATH = "test:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"


def profiles_with(setting: str) -> str:
    return PROFILES.replace("      path: target/test.duckdb\n", f"      {setting}\n")


# -- where profiles.yml is found -------------------------------------------------------------------


def used_profiles(result) -> str:
    """The profiles.yml `elt debug` says it read."""
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if " profile: " in line)
    return line.split(" in ", 1)[1]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def write_profiles(folder: Path, database: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text(PROFILES.replace("target/test.duckdb", database), encoding="utf-8")
    return path


def test_profiles_dir_wins_over_project_and_home(project, home, tmp_path):
    proj = project(GOOD)
    write_profiles(home / ".elt", "target/home.duckdb")
    chosen = write_profiles(tmp_path / "elsewhere", "target/elsewhere.duckdb")
    result = proj.elt("debug", "--profiles-dir", str(chosen.parent))
    assert used_profiles(result) == str(chosen)
    assert proj.elt("seed", "--profiles-dir", str(chosen.parent)).exit_code == 0
    assert (proj.root / "target/elsewhere.duckdb").exists() and not proj.database.exists()


def test_project_profiles_win_over_home(project, home):
    proj = project(GOOD)
    write_profiles(home / ".elt", "target/home.duckdb")
    assert used_profiles(proj.elt("debug")) == str(proj.root / "profiles.yml")


def test_home_profiles_are_the_last_resort(project, home):
    proj = project(GOOD, profiles=None)
    in_home = write_profiles(home / ".elt", "target/home.duckdb")
    assert used_profiles(proj.elt("debug")) == str(in_home)
    assert proj.elt("seed").exit_code == 0
    assert (proj.root / "target/home.duckdb").exists()


def test_no_profiles_anywhere(project, home):
    proj = project(GOOD, profiles=None)
    check_usage_error(proj.elt("run"), "no profiles.yml found", str(proj.root), str(home / ".elt"))


def test_profiles_dir_without_profiles_is_an_error_not_a_fallback(project, home, tmp_path):
    proj = project(GOOD)  # the project's own profiles.yml must not be used instead
    write_profiles(home / ".elt", "target/home.duckdb")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = proj.elt("run", "--profiles-dir", str(empty))
    check_usage_error(result, f"--profiles-dir {empty} has no profiles.yml", str(empty / "profiles.yml"))
    assert not proj.database.exists() and not (proj.root / "target/home.duckdb").exists()
    check_usage_error(proj.elt("run", "--profiles-dir", str(tmp_path / "missing")),
                      f"--profiles-dir {tmp_path / 'missing'} is not a folder")


# -- the DuckDB database file ----------------------------------------------------------------------


def test_duckdb_without_path_writes_target_project_name_duckdb(project):
    proj = project(GOOD, profiles=NO_PATH)
    assert proj.elt("seed").exit_code == 0
    # a separate command, so a database in memory would have lost the seed
    assert proj.elt("run").exit_code == 0
    database = proj.root / "target" / "test_project.duckdb"
    assert database.exists()
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select n from gold.people_count").fetchall() == [(2,)]
    assert "path=target/test_project.duckdb" in proj.elt("debug").stdout


def test_duckdb_default_path_follows_target_path(project):
    proj = project(GOOD, profiles=NO_PATH,
                   pyproject=PYPROJECT.replace('profile = "test"', 'profile = "test"\ntarget-path = "out"'))
    assert proj.elt("seed").exit_code == 0
    assert (proj.root / "out" / "test_project.duckdb").exists()
    assert not (proj.root / "target").exists()


def test_duckdb_in_memory_is_still_supported(project):
    proj = project(GOOD, profiles=profiles_with('path: ":memory:"'))
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    assert not list(proj.root.glob("**/*.duckdb"))


# -- bad DuckDB settings ---------------------------------------------------------------------------

BAD_SETTINGS = {
    "unknown-timezone": ("timezone: Mars/Olympus",
                         ["DuckDB does not know the timezone 'Mars/Olympus'", "IANA name"]),
    "timezone-typo": ("timezone: Europe/Pari", ["timezone 'Europe/Pari'", "Europe/Paris"]),
    "path-under-missing-proc-folder": ("path: /proc/nope/x.duckdb",
                                       ["cannot create the folder /proc/nope", "set `path`"]),
    "path-under-a-file": ("path: /dev/null/x.duckdb", ["/dev/null is not a folder", "set `path`"]),
    "path-is-a-list": ("path: [a.duckdb, b.duckdb]",
                       ["`path` must be a file path or \":memory:\"", "['a.duckdb', 'b.duckdb']"]),
    "path-is-empty": ("path: ''", ["`path` must be a file path"]),
    "path-is-a-folder": ("path: models", ["cannot open DuckDB database", "Is a directory",
                                          "`path` of target 'dev' must name a DuckDB database file"]),
    "path-is-not-a-database": ("path: pyproject.toml", ["not a valid DuckDB database file"]),
}


@pytest.mark.parametrize("setting, fragments", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
@pytest.mark.parametrize("command", ["run", "seed"])
def test_bad_duckdb_setting_is_a_profile_error(project, setting, fragments, command):
    if "timezone" in setting:  # keep the default path: the database must not be left behind
        proj = project(GOOD, profiles=profiles_with(f"path: target/test.duckdb\n      {setting}"))
    else:
        proj = project(GOOD, profiles=profiles_with(setting))
    check_usage_error(proj.elt(command), "profiles.yml", "target 'dev'", *fragments)
    assert not proj.database.exists()
    assert not (proj.root / "a.duckdb").exists()


@pytest.mark.parametrize("setting, fragments", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_debug_reports_a_bad_duckdb_setting(project, setting, fragments):
    proj = project(GOOD, profiles=profiles_with(setting))
    result = proj.elt("debug")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed and "profiles.yml" in failed[0] and "target 'dev'" in result.stdout
    for fragment in fragments:
        assert fragment in result.stdout


def test_a_good_timezone_is_used(project):
    proj = project({"models/marts/tz.sql": "select from_unixtime(0) as t\n"},
                   profiles=profiles_with("path: target/test.duckdb\n      timezone: Asia/Tokyo"))
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select t from gold.tz") == [("1970-01-01 09:00:00",)]  # Hive: in the session's zone
    assert "timezone=Asia/Tokyo" in proj.elt("debug").stdout


# -- a driver package missing from the environment ---------------------------------------------------

HIVE_PROFILES = PROFILES + "    hive:\n      type: hive\n      host: 127.0.0.1\n      port: 9\n      schema: default\n"
HIDE_AND_RUN = (
    "import sys\n"
    "sys.modules[sys.argv.pop(1)] = None  # import of it fails, as when the package is not installed\n"
    "from elt.cli import main\n"
    "sys.argv[0] = 'elt'\n"
    "main()\n"
)


@pytest.mark.parametrize("module, package", [("thrift", "thrift"), ("thrift_sasl", "thrift-sasl"),
                                             ("puresasl", "pure-sasl"), ("pyhive", "pyhive")])
@pytest.mark.parametrize("command", ["debug", "run"])
def test_a_missing_hive_driver_package_is_named_without_a_traceback(project, module, package, command):
    import subprocess
    import sys

    proj = project(GOOD)
    (proj.root / "profiles.yml").write_text(HIVE_PROFILES, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", HIDE_AND_RUN, module, command, "--target", "hive"],
                            cwd=proj.root, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and "ModuleNotFoundError" not in output
    assert f"needs the Python package(s) {package}, which are not installed" in output
    assert f"-m pip install {package}" in output


def test_every_driver_package_is_a_plain_dependency_of_elt():
    """A driver package only reachable through an extra is what pip 23.2 left out: each must be named
    directly in elt's own requirements (the installed metadata of `pip install -e .`)."""
    import importlib.metadata
    import re

    from elt.adapters import ADAPTERS, adapter_class

    required = {re.split(r"[\s\[<>=~!;]", line, maxsplit=1)[0].lower().replace("_", "-")
                for line in importlib.metadata.requires("elt") or [] if "extra ==" not in line}
    for type_name in ADAPTERS:
        for package in adapter_class(type_name).DRIVER_PACKAGES.values():
            assert package.lower() in required, (type_name, package, sorted(required))
