"""The wire under a HiveServer2 session: sockets, HTTP transport, TLS, and what a failed connect means.

`HiveAdapter._transport` builds the Thrift transport pyhive talks through; the pieces here are what it
builds it from:
- `socket_for`: the TCP socket (TLS-wrapped with `use_ssl`), with TCP keepalive so that a statement
  running for an hour keeps its idle connection alive through NAT and firewalls, and a dead peer is
  noticed (Linux's default is 2 hours of silence before the first probe);
- `HttpTransport`: HiveServer2's http transport mode (`hive.server2.transport.mode=http`, usually behind
  a gateway such as Knox): every Thrift call is a POST to `http_path`, authenticated by HTTP Basic
  (the user and password, as LDAP and NONE servers expect); thrift's THttpClient reads any answer as
  Thrift, so a 401 became a garbled protocol error: here it is an authentication failure;
- `Progress` records how far opening a session got (DNS, TCP, SASL/auth, session), and `failure`
  turns the exception of a failed connect into the step, a one-line message and what to check.
"""

from __future__ import annotations

import base64
import socket
import ssl
from dataclasses import dataclass, replace
from typing import Any

from thrift.transport.THttpClient import THttpClient
from thrift.transport.TSocket import TSocket
from thrift.transport.TSSLSocket import TSSLSocket
from thrift.transport.TTransport import TTransportException

#: The steps of opening a session, in order, with what `elt debug` calls them.
STEPS = {"dns": "DNS", "tcp": "TCP", "tls": "TLS", "auth": "SASL/auth", "session": "session open",
         "ready": "session ready"}
#: TCP keepalive: first probe after 60 s idle, then every 20 s, the peer declared dead after 5 unanswered.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 60, 20, 5


@dataclass
class Progress:
    """How far the opening of one connection got: a key of STEPS."""

    step: str = "dns"
    #: the transport connects on its first request (http), not in `open`.
    lazy: bool = False


def set_keepalive(sock: socket.socket) -> None:
    """TCP keepalive on `sock`, with probe timings where the platform lets us set them (Linux, macOS)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", KEEPALIVE_IDLE), ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
                        ("TCP_KEEPCNT", KEEPALIVE_COUNT)):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


class _SteppedOpen:
    """For a thrift socket class: keepalive on its socket, and the DNS/TCP steps of `open` recorded in
    `self.progress` (set by the socket's __init__). Comes before the thrift class in the bases."""

    progress: Progress

    def _do_open(self, family: int, socktype: int) -> socket.socket:
        self.progress.step = "tcp"  # the name resolved: TSocket opens a socket per address
        sock: socket.socket = super()._do_open(family, socktype)  # type: ignore[misc]
        set_keepalive(sock)
        return sock

    def open(self) -> None:
        self.progress.step = "dns"
        super().open()  # type: ignore[misc]
        self.progress.step = "auth"


class _KeepaliveSocket(_SteppedOpen, TSocket):  # type: ignore[misc]
    """A TSocket with keepalive that records the DNS/TCP steps in `progress`."""

    def __init__(self, host: str, port: int, progress: Progress) -> None:
        super().__init__(host, port)
        self.progress = progress


class _KeepaliveSSLSocket(_SteppedOpen, TSSLSocket):  # type: ignore[misc]
    """A TSSLSocket with keepalive that records the DNS/TCP(+TLS) steps in `progress`."""

    def __init__(self, host: str, port: int, progress: Progress, context: ssl.SSLContext) -> None:
        super().__init__(host, port, ssl_context=context, server_hostname=host)
        self.progress = progress

    def close(self) -> None:
        # thrift's TSSLSocket.close fails on a socket that never opened (a refused certificate), which
        # hid the TLS error behind an AttributeError when pyhive closed the transport.
        if self.handle is not None:
            super().close()


class OpeningTransport:
    """The transport handed to pyhive, marking in `progress` that the SASL handshake (done by `open`)
    passed, so that a failure after it is the session's, not the login's."""

    def __init__(self, transport: Any, progress: Progress) -> None:
        self._transport = transport
        self._progress = progress

    def open(self) -> None:
        self._transport.open()
        if self._progress.step in ("dns", "tcp", "auth") and not self._progress.lazy:
            self._progress.step = "session"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def ssl_context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    """The client's TLS context: the system's CAs (or `ca_file`), host name checked, unless not `verify`."""
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def socket_for(host: str, port: int, progress: Progress, context: ssl.SSLContext | None) -> TSocket:
    """The TCP socket of a binary-mode session: TLS when `context` is given, keepalive always."""
    if context is None:
        return _KeepaliveSocket(host, port, progress)
    return _KeepaliveSSLSocket(host, port, progress, context)


def reach(host: str, port: int, timeout: float | None) -> list[tuple[str, bool, str]]:
    """The DNS and TCP steps on their own, for `elt debug`: (step, passed, detail) rows up to the first
    failure, each failure saying what to check."""
    try:
        addresses = sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except OSError as exc:
        return [("dns", False, f"cannot resolve the host name {host!r} ({exc.strerror or exc})\n"
                               "  hint: check `host` in the profile (and this machine's DNS)")]
    rows = [("dns", True, f"{host} is {', '.join(addresses)}")]
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError:
        rows.append(("tcp", False, f"no answer to a TCP connection to {host}:{port} within connect_timeout "
                                   f"({timeout:g} s)\n  hint: is {host}:{port} reachable from here (firewall, VPN)?"))
    except OSError as exc:
        rows.append(("tcp", False, f"nothing accepts connections at {host}:{port} ({exc.strerror or exc})\n"
                                   "  hint: check `host` and `port`, and that the server runs"))
    else:
        rows.append(("tcp", True, f"{host}:{port} accepts connections"))
    return rows


class HttpTransport(THttpClient):  # type: ignore[misc]
    """HiveServer2's http transport: Thrift calls POSTed to `http(s)://host:port/path` with HTTP Basic
    auth; a refused login (401/403) or another HTTP error is a TTransportException saying so."""

    def __init__(self, host: str, port: int, path: str, progress: Progress, context: ssl.SSLContext | None,
                 username: str, password: str) -> None:
        scheme = "https" if context is not None else "http"
        super().__init__(f"{scheme}://{host}:{port}/{path.lstrip('/')}", ssl_context=context)
        self.progress = progress
        progress.lazy = True
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.setCustomHeaders({"Authorization": f"Basic {token}"})

    def open(self) -> None:
        super().open()
        # http.client connects on the first request; a refused login is only known from its answer.
        self.progress.step = "dns"

    def flush(self) -> None:
        try:
            super().flush()
        except socket.gaierror as exc:
            raise TTransportException(TTransportException.NOT_OPEN, f"cannot resolve the host: {exc}",
                                      inner=exc) from None
        except OSError as exc:
            # http.client connects inside the request: a socket on the connection means it got through.
            connection = getattr(self, "_THttpClient__http", None)
            connected = getattr(connection, "sock", None) is not None
            if self.progress.step == "dns":
                self.progress.step = "auth" if connected else "tcp"
            kind = TTransportException.TIMED_OUT if isinstance(exc, TimeoutError) else TTransportException.UNKNOWN
            raise TTransportException(kind, str(exc) or type(exc).__name__, inner=exc) from None
        code = int(self.code)
        if code in (401, 403):
            self.progress.step = "auth"
            raise HttpAuthRefused(TTransportException.NOT_OPEN, f"HTTP {code} {self.message}")
        if code != 200:
            self.progress.step = "session"
            raise TTransportException(TTransportException.UNKNOWN,
                                      f"HTTP {code} {self.message} (is http_path right?)")
        if self.progress.step in ("dns", "tcp", "auth"):
            self.progress.step = "session"


class HttpAuthRefused(TTransportException):  # type: ignore[misc]
    """The server (or its gateway) answered 401/403: the login was refused."""


@dataclass(frozen=True)
class Failure:
    """A failed connect, explained: the step (a key of STEPS), one line saying what happened, what to
    check, and whether trying again may help."""

    step: str
    message: str
    hint: str
    retry: bool
    #: the step as `elt debug` names it (HTTP/auth for the http transport's login).
    step_name: str = ""


def failure(exc: BaseException, step: str, *, auth: str, username: str, host: str, port: int,
            transport: str, connect_timeout: float | None) -> Failure:
    """What the exception `exc`, raised at `step` (a key of STEPS) of opening a session, means."""
    explained = _explain(exc, step, auth=auth, username=username, host=host, port=port, transport=transport,
                         connect_timeout=connect_timeout)
    name = "HTTP/auth" if explained.step == "auth" and transport == "http" else STEPS[explained.step]
    return replace(explained, step_name=name)


def _explain(exc: BaseException, step: str, *, auth: str, username: str, host: str, port: int,
             transport: str, connect_timeout: float | None) -> Failure:
    inner = getattr(exc, "inner", None)
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    timed_out = isinstance(inner, TimeoutError) or isinstance(exc, TimeoutError) or (
        isinstance(exc, TTransportException) and exc.type == TTransportException.TIMED_OUT)
    within = f"within connect_timeout ({connect_timeout:g} s)" if connect_timeout else "in time"
    if isinstance(inner, socket.gaierror) or isinstance(exc, socket.gaierror):
        return Failure("dns", f"cannot resolve the host name {host!r}",
                       "check `host` in the profile (and this machine's DNS)", retry=True)
    if isinstance(inner, ssl.SSLCertVerificationError):
        return Failure("tls", f"the server's certificate was refused: {inner.verify_message or inner}",
                       "give the CA that signed it in `ssl_ca` (PEM), or set ssl_verify: false (no protection "
                       "against an impostor)", retry=False)
    if isinstance(inner, ssl.SSLError) or isinstance(exc, ssl.SSLError):
        return Failure("tls", f"the TLS handshake failed: {inner or exc}",
                       "is TLS on at the server (hive.server2.use.SSL)? if not, remove use_ssl", retry=False)
    if step in ("dns", "tcp"):
        if timed_out:
            return Failure("tcp", f"no answer to the TCP connection {within}",
                           f"is {host}:{port} reachable from here (firewall, VPN)?", retry=False)
        return Failure("tcp", f"nothing accepts connections at {host}:{port} ({_reason(inner, text)})",
                       f"check `host` and `port`, and that the server runs; for a local one: "
                       f"ELT_HIVE_PORT={port} scripts/hive-server start", retry=True)
    if isinstance(exc, HttpAuthRefused) or (step == "auth" and _login_refused(text)):
        where = {"LDAP": "its LDAP directory", "CUSTOM": "its custom authentication class"}.get(auth, "its rules")
        return Failure("auth", f"the server refused the login of user {username!r} (auth {auth}): "
                       f"{_sasl_payload(text)}",
                       f"check `username` and `password` in the profile: the server checks them against {where}",
                       retry=False)
    if step == "auth":
        if timed_out:
            other = "binary" if transport == "http" else "http"
            return Failure("auth", f"the server accepted the TCP connection but did not answer {within}",
                           f"is {host}:{port} a HiveServer2 port in {transport} transport mode (not {other}, "
                           "not TLS unless use_ssl)? is the server overloaded?", retry=False)
        if "read 0 bytes" in text:
            return Failure("auth", f"the server closed the connection during the {auth} handshake",
                           f"is its authentication (hive.server2.authentication) {auth}? NOSASL and SASL modes "
                           "do not mix; nor do binary and http transport, or TLS and plain", retry=False)
        return Failure("auth", f"the {auth} handshake failed: {text}",
                       "check `auth` against the server's hive.server2.authentication", retry=False)
    if timed_out:
        return Failure(step, f"the server did not answer {within} while opening the session",
                       "is the server overloaded? raise connect_timeout if it is just slow", retry=False)
    return Failure(step, f"the session could not be opened: {text}",
                   "the server's log says why; check `username` (impersonation) and `configuration`", retry=True)


def _login_refused(text: str) -> bool:
    # thrift_sasl: "Bad status: 3 (b'Error validating the login')" (Hive's PLAIN server, any provider).
    return "Bad status" in text and ("validating" in text or "auth" in text.lower())


def _sasl_payload(text: str) -> str:
    """The server's words inside thrift_sasl's `Bad status: 3 (b'...')`, else the text."""
    start, end = text.find("(b'"), text.rfind("')")
    return text[start + 3:end] if 0 <= start < end else text


def _reason(inner: Any, text: str) -> str:
    if isinstance(inner, OSError) and inner.strerror:
        return str(inner.strerror)
    return text
