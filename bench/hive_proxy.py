"""A TCP proxy in front of a HiveServer2 that counts the statements clients send (bench/hive.py).

Every statement reaches HiveServer2 as a Thrift `ExecuteStatement` call, whose message header carries
the method name in clear (SASL PLAIN, i.e. auth NONE, does not encrypt the stream): counting that name
in the client-to-server bytes counts statements, whatever the client (pyhive, impyla).
"""

from __future__ import annotations

import contextlib
import socket
import threading

METHOD = b"ExecuteStatement"


class CountingProxy:
    """Listens on an ephemeral port of 127.0.0.1 and forwards to (host, port)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.statements = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stopped = False

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stopped = True
        self._server.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        tail = b""
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                if count:
                    window = tail + data
                    found = window.count(METHOD)
                    if found:
                        with self._lock:
                            self.statements += found
                    # Keep what could be the start of a name split across two reads.
                    tail = window[-(len(METHOD) - 1):]
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
