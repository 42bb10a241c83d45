"""Fixtures for authentication tests: a real OpenLDAP server and Spark Thrift Servers that check logins
against it (hive.server2.authentication=LDAP), in binary and in http transport mode.

The http server also speaks TLS (https, a self-signed certificate made by scripts/hive-server with
ELT_HIVE_TLS=1; clients trust <data folder>/tls/ca.pem): HiveServer2 behind a gateway.

Each server is the one named by the environment when it answers there (CI starts them with the project's
scripts: ELT_LDAP_PORT, ELT_HIVE_LDAP_PORT, ELT_HIVE_LDAP_HTTP_PORT with its data folder in
ELT_HIVE_LDAP_HTTP_DATA), else started here by
`scripts/ldap-server` / `scripts/hive-server` on a free port and a temporary data folder, and stopped when
the session ends. Without Debian's slapd or Java the tests skip with the reason, except in CI (CI=true),
where they fail: CI must really run them.

The test directory (scripts/ldap-server): alice (password alice-secret, group analysts), bob
(bob-secret, no group), under ou=people,dc=elt,dc=test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from elt.project.config import TargetConfig

ROOT = Path(__file__).resolve().parents[2]
LDAP_SCRIPT = ROOT / "scripts" / "ldap-server"
HIVE_SCRIPT = ROOT / "scripts" / "hive-server"
USERS = {"alice": "alice-secret", "bob": "bob-secret"}
USER_DN_PATTERN = "uid=%s,ou=people,dc=elt,dc=test"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    #: the certificate clients trust, when the server speaks TLS.
    ca_file: Path | None = None


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"authentication tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _given(name: str) -> int | None:
    """The port in environment variable `name`, when a server answers there."""
    port = os.environ.get(name, "")
    return int(port) if port.isdigit() and _reachable(int(port)) else None


def _missing(script: Path) -> str | None:
    check = subprocess.run([str(script), "check"], capture_output=True, text=True, timeout=120)
    if check.returncode == 0:
        return None
    return check.stderr.strip().split("error: ", 1)[-1] or f"{script.name} check failed"


@pytest.fixture(scope="session")
def ldap_server() -> Iterator[Server]:
    given = _given("ELT_LDAP_PORT")
    if given is not None:
        yield Server("127.0.0.1", given)
        return
    missing = _missing(LDAP_SCRIPT)
    if missing:
        _skip_or_fail(f"no LDAP server: {missing}")
    data = Path(tempfile.mkdtemp(prefix="elt-ldap-test-"))
    port = _free_port()
    env = {**os.environ, "ELT_LDAP_DATA": str(data), "ELT_LDAP_PORT": str(port)}
    started = subprocess.run([str(LDAP_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.fail(f"scripts/ldap-server start failed:\n{started.stderr[-3000:]}", pytrace=False)
    try:
        yield Server("127.0.0.1", port)
    finally:
        subprocess.run([str(LDAP_SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def hive_ldap_env(ldap_port: int, transport: str = "binary") -> dict[str, str]:
    """scripts/hive-server's environment for a server checking logins against the test directory
    (with TLS in http mode)."""
    return {"ELT_HIVE_AUTH": "LDAP", "ELT_HIVE_TRANSPORT": transport,
            "ELT_HIVE_TLS": "1" if transport == "http" else "0",
            "ELT_HIVE_HIVECONF": f"hive.server2.authentication.ldap.url=ldap://127.0.0.1:{ldap_port}\n"
                                 f"hive.server2.authentication.ldap.userDNPattern={USER_DN_PATTERN}",
            "ELT_HIVE_PROBE_USER": "alice", "ELT_HIVE_PROBE_PASSWORD": USERS["alice"]}


def _hive_server(variable: str, transport: str, ldap: Server) -> Iterator[Server]:
    given = _given(variable)
    if given is not None:
        data = os.environ.get(f"{variable.removesuffix('_PORT')}_DATA")
        if transport == "http" and not data:
            pytest.fail(f"{variable} is set without {variable.removesuffix('_PORT')}_DATA (its TLS certificate)",
                        pytrace=False)
        yield Server("127.0.0.1", given, Path(data, "tls", "ca.pem") if transport == "http" else None)
        return
    missing = _missing(HIVE_SCRIPT)
    if missing:
        _skip_or_fail(f"no Hive server: {missing}")
    data = Path(tempfile.mkdtemp(prefix="elt-hive-ldap-test-"))
    port = _free_port()
    env = {**os.environ, **hive_ldap_env(ldap.port, transport), "ELT_HIVE_DATA": str(data),
           "ELT_HIVE_PORT": str(port), "ELT_HIVE_DRIVER_MEMORY": os.environ.get("ELT_HIVE_DRIVER_MEMORY", "1g")}
    started = subprocess.run([str(HIVE_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.fail(f"scripts/hive-server start (LDAP, {transport}) failed:\n{started.stderr[-3000:]}", pytrace=False)
    try:
        yield Server("127.0.0.1", port, data / "tls" / "ca.pem" if transport == "http" else None)
    finally:
        subprocess.run([str(HIVE_SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=120)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def ldap_hive(ldap_server: Server) -> Iterator[Server]:
    """A Spark Thrift Server with LDAP authentication, binary transport."""
    yield from _hive_server("ELT_HIVE_LDAP_PORT", "binary", ldap_server)


@pytest.fixture(scope="session")
def ldap_http_hive(ldap_server: Server) -> Iterator[Server]:
    """A Spark Thrift Server with LDAP authentication, http transport (path cliservice) over TLS."""
    yield from _hive_server("ELT_HIVE_LDAP_HTTP_PORT", "http", ldap_server)


def target_for(server: Server, username: str, password: str, **settings: Any) -> TargetConfig:
    values: dict[str, Any] = {"type": "hive", "host": server.host, "port": str(server.port), "auth": "LDAP",
                              "username": username, "password": password, "schema": "default"}
    if server.ca_file is not None:
        values.update({"transport": "http", "use_ssl": True, "ssl_ca": str(server.ca_file)})
    values.update(settings)
    return TargetConfig(name="hive", type="hive", schema="default", threads=1, settings=values,
                        profiles_path=ROOT / "profiles.yml", dialect="hive")
