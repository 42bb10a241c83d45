"""A HiveServer2 target whose server accepts TCP connections but never answers (a hung server, a port of
something else): `elt run` fails after connect_timeout, once, naming the step, instead of hanging.

The "server" is a socket listener in the test; no Hive server is needed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

MODEL = {"models/staging/a.sql": "SELECT 1 AS id"}


class SilentServer:
    """Accepts connections, reads nothing, answers nothing; counts the connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


def profiles(port: int, **keys: Any) -> str:
    extra = "".join(f"      {key}: {value}\n" for key, value in keys.items())
    return ("test:\n  target: hive\n  outputs:\n    hive:\n      type: hive\n      host: 127.0.0.1\n"
            f"      port: {port}\n      schema: default\n{extra}")


@pytest.mark.parametrize("transport", ["binary", "http"])
def test_a_server_that_never_answers_fails_the_run_after_connect_timeout(project: Any, silent_server: SilentServer,
                                                                         transport: str) -> None:
    keys = {"transport": transport} if transport == "http" else {}  # binary: the default
    proj = project(MODEL, profiles=profiles(silent_server.port, connect_timeout=2, retries=2, **keys))
    started = time.monotonic()
    result = proj.elt("run", env={"NO_COLOR": "1"})
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert (f"Error: cannot connect to hive server 127.0.0.1:{silent_server.port}, at the "
            f"{'HTTP/auth' if transport == 'http' else 'SASL/auth'} step: the server accepted the TCP connection "
            "but did not answer within connect_timeout (2 s)") in result.output
    assert "Traceback" not in result.output
    # Not retried: each retry would wait connect_timeout again.
    assert len(silent_server.accepted) == 1
    assert elapsed < 30  # without a timeout on the handshake, the run never ends


def test_elt_debug_says_the_server_accepted_tcp_but_did_not_answer(project: Any, silent_server: SilentServer) -> None:
    proj = project(MODEL, profiles=profiles(silent_server.port, connect_timeout=1))
    result = proj.elt("debug", env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert f"OK    TCP: 127.0.0.1:{silent_server.port} accepts connections" in lines
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert len(failed) == 1 and failed[0].startswith("FAIL  SASL/auth: "), result.stdout
    assert "did not answer within connect_timeout (1 s)" in failed[0]


def test_elt_debug_names_a_dns_failure(project: Any) -> None:
    proj = project(MODEL, profiles=profiles(10000).replace("host: 127.0.0.1", "host: no-such-host.invalid"))
    result = proj.elt("debug", env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    assert failed == [line for line in failed if line.startswith("FAIL  DNS: cannot resolve the host name "
                                                                  "'no-such-host.invalid'")] and failed, result.stdout


def test_elt_debug_names_a_closed_port(project: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])  # bound, not listening: connections are refused
        proj = project(MODEL, profiles=profiles(port))
        result = proj.elt("debug", env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith("OK    DNS: ") for line in lines), result.stdout
    assert f"FAIL  TCP: nothing accepts connections at 127.0.0.1:{port} (Connection refused)" in lines
