"""`elt docs serve`: the generated docs site over HTTP on 127.0.0.1, with the standard library only.

The site works from `file://` too; serving it is for sharing a link on one machine or through an SSH
tunnel. Only the loopback interface is bound, so the docs are never exposed to the network, and only
requests naming a loopback host are answered: a web page from elsewhere whose name an attacker points
at 127.0.0.1 (DNS rebinding) sends its own name as Host and gets 403.
"""

from __future__ import annotations

import functools
import signal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from elt.errors import ProjectError

HOST = "127.0.0.1"

#: Host header names answered (any port: an SSH tunnel may forward another local port).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})


def is_loopback_host(header: str | None) -> bool:
    """Whether a Host header names this machine's loopback interface, with or without a port.

    >>> [is_loopback_host(h) for h in ("localhost:8080", "127.0.0.1", "[::1]:80", "evil.example:8080", None)]
    [True, True, True, False, False]
    """
    if not header:
        return False
    name = header.strip().lower()
    if name.startswith("["):  # an IPv6 literal: [::1] or [::1]:port
        name, _, rest = name.partition("]")
        name, port = name + "]", rest.removeprefix(":")
        if rest and not rest.startswith(":"):
            return False
    else:
        name, _, port = name.partition(":")
    return name in LOOPBACK_NAMES and (port == "" or port.isdigit())


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves one folder to loopback Host names only; request lines go nowhere (the CLI prints the URL
    once)."""

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not is_loopback_host(self.headers.get("Host")):
            self.send_error(403, "Forbidden", "elt docs serve answers requests to localhost or 127.0.0.1 only")
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(directory: Path, port: int) -> ThreadingHTTPServer:
    """A server for `directory` on 127.0.0.1:`port` (0: any free port), not yet serving.

    Raises:
        ProjectError: the site has not been generated, or the port is taken.
    """
    if not (directory / "index.html").is_file():
        raise ProjectError(f"no docs site in {directory}", hint="run `elt docs generate` first")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise ProjectError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}",
                           hint="choose another port with --port") from None


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"


def serve_until_stopped(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C (SIGINT) or SIGTERM, then close the server.

    The handlers are installed here, as `elt run` and `elt schedule` install theirs: a shell that starts a
    command in the background hands it SIGINT ignored, and Python then installs no KeyboardInterrupt
    handler, so the "Ctrl-C to stop" of the command line would not stop it (nor would a supervisor's SIGTERM).
    """
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.server_close()
