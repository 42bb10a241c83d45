"""`auth: KERBEROS` before any network: the profile's keytab and principal, and the GSSAPI binding.

The logins themselves (ticket cache, keytab, no or expired ticket) run against a real KDC and server in
tests/hive/test_kerberos_on_hive.py.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from elt.errors import AdapterError, ProjectError
from elt.project.config import TargetConfig


def kerberos_target(**keys: Any) -> TargetConfig:
    with socket.socket() as sock:  # a port nothing listens on: no test here may reach a server
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = {"type": "hive", "host": "127.0.0.1", "port": str(port), "auth": "KERBEROS", "retries": 0, **keys}
    return TargetConfig(name="hive", type="hive", schema="default", threads=1, settings=settings,
                        profiles_path=Path("profiles.yml"), dialect="hive")


def test_keytab_needs_the_principal_whose_keys_it_holds(tmp_path: Path) -> None:
    keytab = tmp_path / "elt.keytab"
    keytab.write_bytes(b"\x05\x02")
    with pytest.raises(ProjectError, match=r"keytab .*elt\.keytab needs the principal .* set `principal`"):
        HiveAdapter(kerberos_target(keytab=str(keytab)))


def test_unreadable_keytab_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"keytab .*missing\.keytab cannot be read \(no such file\)"):
        HiveAdapter(kerberos_target(keytab=str(tmp_path / "missing.keytab"), principal="elt@ELT.TEST"))


def test_keytab_with_another_auth_is_refused_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"keytab and principal are read with auth KERBEROS only \(auth is NONE"):
        HiveAdapter(kerberos_target(auth="NONE", principal="elt@ELT.TEST"))


def test_missing_gssapi_binding_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pykerberos pure-sasl has no GSSAPI mechanism: one error naming the extra, before any
    connection attempt (pyhive's own path reports "Could not start SASL" as a transport error, retried)."""
    monkeypatch.setitem(sys.modules, "kerberos", None)  # `import kerberos` raises ImportError
    adapter = HiveAdapter(kerberos_target())
    with pytest.raises(AdapterError) as error:
        adapter.open()
    assert "needs the GSSAPI binding `kerberos` (pykerberos)" in error.value.message
    assert error.value.hint is not None and "pip install 'elt[kerberos]'" in error.value.hint
