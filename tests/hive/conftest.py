"""Fixtures for tests against a real HiveServer2-protocol server (Spark Thrift Server).

`hive_server` reuses the server named by ELT_HIVE_HOST + ELT_HIVE_PORT when one answers there, else
starts one with the project's own `scripts/hive-server start` on a free port and a temporary data folder,
and stops it when the session ends. Without Java or the server's own venv (`scripts/hive-server
install`, which never adds packages to elt's venv) the tests skip with the reason, except in
CI (CI=true), where they fail: CI must really run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from elt.nodes import Relation
from elt.project.config import TargetConfig

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "hive-server"
#: One prefix per test session, so runs sharing a server never touch each other's databases.
RUN_ID = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class HiveServer:
    host: str
    port: int
    #: the data folder, when scripts/hive-server started the server on this machine (else None).
    data_dir: Path | None

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for `scripts/hive-server` commands about this server."""
        env = {**os.environ, "ELT_HIVE_PORT": str(self.port)}
        if self.data_dir is not None:
            env["ELT_HIVE_DATA"] = str(self.data_dir)
        return {**env, **extra}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _script_data_dir(host: str, port: str) -> Path | None:
    """The data folder of a server given by env, when scripts/hive-server started it here (as CI does)."""
    data = os.environ.get("ELT_HIVE_DATA")
    if host not in ("127.0.0.1", "localhost") or not data:
        return None
    try:
        return Path(data) if Path(data, "hive.port").read_text().strip() == port else None
    except OSError:
        return None


def _missing_requirement() -> str | None:
    """Why the script cannot start a server here (java, or the server's own venv), or None."""
    check = subprocess.run([str(SCRIPT), "check"], capture_output=True, text=True, timeout=120)
    if check.returncode == 0:
        return None
    return check.stderr.strip().removeprefix("hive-server: error: ") or "scripts/hive-server check failed"


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Hive tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"no Hive server: {reason}")


@pytest.fixture(scope="session")
def hive_server() -> Iterator[HiveServer]:
    host, port = os.environ.get("ELT_HIVE_HOST"), os.environ.get("ELT_HIVE_PORT")
    if host and port and port.isdigit() and _reachable(host, int(port)):
        yield HiveServer(host, int(port), _script_data_dir(host, port))
        return
    missing = _missing_requirement()
    if missing:
        _skip_or_fail(missing)
    # Not under pytest's basetemp: another pytest session of the same user prunes old basetemps, and
    # would delete the data folder (and the pid file `stop` needs) under a running server.
    data_dir = Path(tempfile.mkdtemp(prefix="elt-hive-test-"))
    server = HiveServer("127.0.0.1", _free_port(), data_dir)
    started = time.monotonic()
    result = subprocess.run([str(SCRIPT), "start"], env=server.env(), capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail(f"scripts/hive-server start failed ({result.returncode}):\n{result.stderr[-4000:]}",
                    pytrace=False)
    print(f"\nhive server ready on port {server.port} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    try:
        yield server
    finally:
        log = data_dir / "logs" / "server.log"
        status = subprocess.run([str(SCRIPT), "status"], env=server.env(), capture_output=True, text=True)
        signalled = "RECEIVED SIGNAL" in _tail(log, 20_000)
        stopped = subprocess.run([str(SCRIPT), "stop"], env=server.env(), capture_output=True, text=True,
                                 timeout=120)
        if status.returncode != 0 or signalled:
            # It went down before the session ended: keep its folder and show why.
            print(f"\nthe Hive server stopped during the tests; {log} ends with:\n{_tail(log, 3000)}",
                  file=sys.stderr)
        elif stopped.returncode == 0:
            shutil.rmtree(data_dir, ignore_errors=True)


def _tail(path: Path, size: int) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def target_for(server: HiveServer, schema: str = "default", **settings: Any) -> TargetConfig:
    """A `type: hive` target for `server`, with extra profile keys."""
    values: dict[str, Any] = {"type": "hive", "host": server.host, "port": str(server.port),
                              "username": "elt_test", "auth": "NONE", "schema": schema, **settings}
    return TargetConfig(name="hive", type=str(values["type"]), schema=schema, threads=2, settings=values,
                        profiles_path=ROOT / "profiles.yml", dialect="hive")


@pytest.fixture(scope="session")
def make_target(hive_server: HiveServer) -> Callable[..., TargetConfig]:
    """`make_target(**profile_keys)` -> a target for the session's server."""
    return lambda schema="default", **settings: target_for(hive_server, schema, **settings)


@pytest.fixture
def free_port() -> Callable[[], int]:
    return _free_port


@pytest.fixture
def adapter(hive_server: HiveServer) -> Iterator[Any]:
    from elt.adapters.hive import HiveAdapter

    hive = HiveAdapter(target_for(hive_server))
    hive.open()
    try:
        yield hive
    finally:
        hive.close()


@pytest.fixture
def schema(adapter: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    name = f"elt_{RUN_ID}_{request.node.name.split('[')[0].removeprefix('test_')}"[:100].lower()
    adapter.create_schema(name)
    try:
        yield name
    finally:
        adapter.execute(f"DROP DATABASE IF EXISTS {name} CASCADE")


@pytest.fixture
def rel(schema: str) -> Any:
    """`rel('x')` -> Relation(schema, 'x') in the test's database."""
    return lambda name: Relation(schema, name)
