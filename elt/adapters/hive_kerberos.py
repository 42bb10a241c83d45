"""Kerberos login of the Hive adapter (`auth: KERBEROS`): which ticket, through which GSSAPI binding,
and an error saying what to run when there is none.

pyhive's SASL layer is pure-sasl, whose GSSAPI mechanism calls the `kerberos` module (PyPI `kerberos`,
a.k.a. pykerberos: a C extension over MIT's libgssapi_krb5, built against libkrb5-dev). It is optional:
`pip install 'elt[kerberos]'`. Without it pure-sasl has no GSSAPI mechanism at all.

Two ways to hold a ticket:
- the user's ticket cache (they ran `kinit`): the default cache of MIT Kerberos (KRB5CCNAME), read only;
- the profile's `keytab` + `principal`: elt never writes the user's cache. While a GSSAPI call of ours
  runs, KRB5_CLIENT_KTNAME names the keytab and KRB5CCNAME a MEMORY cache of this login, so MIT's
  GSSAPI (krb5 1.11+) gets the principal's ticket from the keytab into a cache that lives in this
  process only, and gets a new one when it expires. Those two variables are set under a lock and put
  back after each call, since the environment is the process's.

pyhive's own pure-sasl client turns every GSSAPI failure into a Thrift transport error ("Bad SASL
result"), which reads like a network fault and would be retried; ours raises `AdapterError` with the
GSSAPI message and the command that fixes it.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from elt.errors import AdapterError

#: What installs the GSSAPI binding pure-sasl uses.
BINDING_HINT = ("pip install 'elt[kerberos]' (pykerberos builds against MIT Kerberos: on Debian/Ubuntu "
                "apt-get install -y libkrb5-dev gcc first)")
_ENV_KEYS = ("KRB5CCNAME", "KRB5_CLIENT_KTNAME")
# The process environment is shared: one login at a time changes it.
_ENV_LOCK = threading.Lock()


@dataclass(frozen=True)
class KerberosLogin:
    """How the adapter authenticates with `auth: KERBEROS`.

    Args:
        service: the server principal's service name (`kerberos_service_name`, Hive's default `hive`);
            the principal asked for is `service/<host the profile names>@REALM`.
        principal: the client principal; with `keytab`, the one whose keys it holds; without, which
            principal's ticket to take from the cache (default: the cache's own).
        keytab: a keytab file; elt then gets its own ticket into a private in-memory cache.
    """

    service: str
    principal: str | None = None
    keytab: str | None = None
    #: the private ticket cache of a keytab login, one per login (hence per adapter).
    cache: str = field(default_factory=lambda: f"MEMORY:elt-{uuid.uuid4().hex}")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], service: str, *, auth: str) -> KerberosLogin:
        """The login a profile's `keytab` and `principal` describe.

        Raises:
            ValueError: either key with another `auth` (it would be ignored), a keytab without a
                principal, or a keytab file that cannot be read.
        """
        principal = str(settings.get("principal") or "").strip() or None
        keytab = str(settings.get("keytab") or "").strip() or None
        if auth != "KERBEROS" and (principal or keytab):
            raise ValueError(f"keytab and principal are read with auth KERBEROS only (auth is {auth} here)")
        if keytab is None:
            return cls(service=service, principal=principal)
        keytab = os.path.expanduser(keytab)
        if principal is None:
            raise ValueError(f"keytab {keytab} needs the principal whose keys it holds: set `principal` "
                             f"(`klist -k -t {keytab}` lists it)")
        if not os.access(keytab, os.R_OK):
            why = "permission denied" if os.path.exists(keytab) else "no such file"
            raise ValueError(f"keytab {keytab} cannot be read ({why})")
        return cls(service=service, principal=principal, keytab=keytab)

    def describe(self) -> str:
        """How this login gets its ticket, for messages and `elt debug`."""
        if self.keytab is not None:
            return f"keytab {self.keytab} as {self.principal}"
        return f"ticket cache {os.environ.get('KRB5CCNAME') or 'default'}" + (
            f" as {self.principal}" if self.principal else "")

    def sasl_client_factory(self, host: str) -> Callable[[], Any]:
        """What thrift_sasl's TSaslClientTransport calls to get its SASL client for `host`.

        Raises:
            AdapterError: pure-sasl has no GSSAPI mechanism (the binding is not installed).
        """
        check_binding()
        return lambda: GssapiSaslClient(self, host)

    @contextlib.contextmanager
    def credentials(self) -> Iterator[None]:
        """Around each GSSAPI call: for a keytab login, the keytab and the private cache in the environment."""
        if self.keytab is None:
            yield
            return
        with _ENV_LOCK:
            saved = {key: os.environ.get(key) for key in _ENV_KEYS}
            os.environ["KRB5CCNAME"] = self.cache
            os.environ["KRB5_CLIENT_KTNAME"] = f"FILE:{self.keytab}"
            try:
                yield
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value


def check_binding() -> None:
    """Raise AdapterError saying what to install when pure-sasl cannot do GSSAPI."""
    try:
        import kerberos  # noqa: F401 - pure-sasl's GSSAPI binding; imported here for its error only
    except ImportError as exc:
        raise AdapterError(f"auth KERBEROS needs the GSSAPI binding `kerberos` (pykerberos), which cannot "
                           f"be imported: {exc}", hint=BINDING_HINT) from None
    from puresasl import mechanisms

    if "GSSAPI" not in mechanisms.mechanisms:
        raise AdapterError("auth KERBEROS: pure-sasl found no GSSAPI binding", hint=BINDING_HINT)


class GssapiSaslClient:
    """The SASL client thrift_sasl drives (python-sasl's interface: start, step, encode, decode,
    getError) over pure-sasl's GSSAPI mechanism, run under the login's credentials, with GSSAPI
    failures raised as AdapterError."""

    def __init__(self, login: KerberosLogin, host: str) -> None:
        from puresasl.client import SASLClient

        self._login = login
        self._host = host
        # The mechanism acquires the credentials here (gss_acquire_cred when a principal is named).
        with self._gss("start"):
            self._client = SASLClient(host, service=login.service, mechanism="GSSAPI", principal=login.principal)

    def start(self, mechanism: str) -> tuple[bool, str, bytes]:
        with self._gss("start"):
            return True, "GSSAPI", self._client.process()

    def step(self, challenge: bytes) -> tuple[bool, bytes]:
        with self._gss("step"):
            return True, self._client.process(challenge)

    # thrift_sasl encodes what it sends and decodes what it reads, with python-sasl's framing: encode
    # returns the frame's 4-byte length and the wrapped token, or the data unchanged when nothing is
    # wrapped (quality of protection `auth`, Hive's default hive.server2.thrift.sasl.qop), which tells
    # thrift_sasl to frame it itself; decode gets the length and the token. pyhive's own pure-sasl
    # client has neither the framing nor wrap and unwrap the right way round, so `auth-int` and
    # `auth-conf` (signed, encrypted frames) failed with it.
    def encode(self, outgoing: bytes) -> tuple[bool, bytes]:
        with self._gss("wrap"):
            token = self._client.wrap(outgoing)
        if token is outgoing:
            return True, outgoing
        return True, struct.pack(">I", len(token)) + token

    def decode(self, incoming: bytes) -> tuple[bool, bytes]:
        with self._gss("unwrap"):
            return True, self._client.unwrap(incoming[4:])

    def getError(self) -> str:  # python-sasl's name, which thrift_sasl calls
        return ""

    def dispose(self) -> None:
        self._client.dispose()

    @contextlib.contextmanager
    def _gss(self, step: str) -> Iterator[None]:
        import kerberos

        try:
            with self._login.credentials():
                yield
        except kerberos.GSSError as exc:
            raise gss_error(exc, self._login, self._host) from None


def gss_error(exc: Exception, login: KerberosLogin, host: str) -> AdapterError:
    """AdapterError for a GSSAPI failure: GSSAPI's own words, and what to run.

    `exc.args` is pykerberos' ((major message, code), (minor message, code)); the minor one is
    Kerberos' reason ("No Kerberos credentials available (default cache: ...)", "Ticket expired", ...).
    """
    parts = [str(part[0]) for part in exc.args if isinstance(part, tuple) and part and part[0]]
    minor = parts[-1] if parts else str(exc)
    text = " ".join(parts).lower()
    principal = login.principal or "<user>@<REALM>"
    server = f"{login.service}/{host}"
    if login.keytab is not None and any(word in text for word in ("keytab", "key table", "client principal",
                                                                  "no kerberos credentials", "client not found")):
        hint = (f"check that {login.keytab} holds keys of {login.principal} (`klist -k -t {login.keytab}`) "
                "and that the principal is known to the KDC")
    elif "expired" in text:
        hint = (f"the ticket has expired: run `kinit {principal}` again"
                + ("" if login.keytab else ", or set `keytab` and `principal` in the profile so elt gets its own"))
    elif "no kerberos credentials" in text or "can't find client principal" in text or "no credentials" in text:
        hint = (f"no Kerberos ticket: run `kinit {principal}` first, or set `keytab` and `principal` in the "
                "profile so elt gets its own")
    elif "not found in kerberos database" in text or "server not found" in text:
        hint = (f"the KDC knows no principal {server}@<REALM>: `host` must be the host of the server's principal "
                "as the client names it (see dns_canonicalize_hostname in krb5.conf), and "
                f"kerberos_service_name ({login.service}) its service")
    elif "cannot contact any kdc" in text or "cannot find kdc" in text or "realm" in text:
        hint = "the realm's KDC cannot be reached: check the krb5.conf in use (KRB5_CONFIG) and the KDC"
    else:
        hint = "see `klist` for the tickets at hand"
    return AdapterError(f"Kerberos login ({login.describe()}) for {server} failed: {minor}", hint=hint)
