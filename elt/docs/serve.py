"""`elt docs serve`: the generated docs site over HTTP on 127.0.0.1, with the standard library only.

The site works from `file://` too; serving it is for sharing a link on one machine or through an SSH
tunnel. Only the loopback interface is bound, so the docs are never exposed to the network.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from elt.errors import ProjectError

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves one folder; request lines go nowhere (the CLI prints the URL once)."""

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
