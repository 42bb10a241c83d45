"""Connection hygiene on a real server: a server that stops answering mid-session fails the statement
after query_timeout (a proxy in the test forwards to the server, then goes silent), TCP keepalive on
the session's socket, `queue` reaching the session.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from elt.adapters.hive import POLL_GRACE, HiveAdapter
from elt.adapters.hive_transport import KEEPALIVE_IDLE
from elt.errors import AdapterError

pytestmark = pytest.mark.hive


class StallingProxy:
    """Forwards TCP connections to the server until `stall()`; then keeps them open and silent, as a
    hung server (or a half-dead gateway) does."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.stalled = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.sockets: list[socket.socket] = [self.sock]
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        self.stalled.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.stalled.is_set():
                continue  # swallowed: the other side waits for an answer that never comes
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def proxy(hive_server: Any) -> Iterator[StallingProxy]:
    stalling = StallingProxy(hive_server.host, hive_server.port)
    try:
        yield stalling
    finally:
        stalling.close()


def test_a_server_that_stops_answering_fails_the_statement_after_query_timeout(proxy: StallingProxy,
                                                                                make_target: Any) -> None:
    hive = HiveAdapter(make_target(port=str(proxy.port), query_timeout=2, retries=2))
    outcome: list[BaseException | None] = []
    started: list[float] = []

    def statements() -> None:  # one thread: the session is the thread's own
        try:
            assert hive.fetchall("SELECT 1") == [(1,)]
            proxy.stall()
            started.append(time.monotonic())
            hive.fetchall("SELECT 2")
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    try:
        worker = threading.Thread(target=statements, daemon=True)
        worker.start()
        worker.join(timeout=120)  # without a read timeout it would wait forever
        assert not worker.is_alive(), "the statement still waits for the silent server"
        elapsed = time.monotonic() - started[0]
    finally:
        hive.close()
    error = outcome[0]
    assert isinstance(error, AdapterError)
    assert error.message.startswith(f"the server did not answer within query_timeout (2 s) + {POLL_GRACE:g} s")
    assert error.transient is True
    assert elapsed < 2 + POLL_GRACE + 20  # once, not once per retry


def test_the_session_socket_has_tcp_keepalive(adapter: HiveAdapter) -> None:
    handle = adapter._local.socket.handle
    assert handle.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE


def test_queue_is_the_sessions_scheduler_pool(make_target: Any) -> None:
    with HiveAdapter(make_target(queue="etl_nightly")) as hive:
        assert hive.fetchall("SET spark.sql.thriftserver.scheduler.pool") == [
            ("spark.sql.thriftserver.scheduler.pool", "etl_nightly")]


def test_a_bad_queue_name_is_refused_in_the_profile(make_target: Any) -> None:
    from elt.errors import ProjectError

    with pytest.raises(ProjectError, match="not a queue name"):
        HiveAdapter(make_target(queue="a; DROP TABLE x"))
