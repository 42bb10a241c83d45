"""LDAP authentication against a real directory: a Spark Thrift Server checking logins with OpenLDAP
(scripts/ldap-server), reached by elt over the binary (SASL PLAIN) and the http (HTTP Basic) transport,
the latter over TLS.

The right password builds a project; a wrong password or an unknown user fails at the SASL/auth step in
one line, without a traceback and without the password, even with --debug.

Group filters are not tested: Spark 4.3's copy of HiveServer2's LDAP provider
(org.apache.hive.service.auth.LdapAuthenticationProviderImpl in spark-hive-thriftserver_2.13-4.3.0.jar)
reads only hive.server2.authentication.ldap.url, .baseDN, .Domain and .userDNPattern; Hive's
groupFilter/userFilter/customLDAPQuery settings are ignored, so bob (in no group) logs in like alice.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter
from elt.errors import AdapterError
from tests.hive_auth.conftest import USERS, Server, target_for

pytestmark = pytest.mark.hive_auth

PREFIX = f"l{uuid.uuid4().hex[:6]}_"
#: Not an ELT_SECRET_* variable on purpose: nothing masks it, so only elt's own care keeps it out of output.
PASSWORD_VARIABLE = "ELT_TEST_LDAP_PASSWORD"

PYPROJECT = f"""\
[tool.elt]
name = "ldap_project"
profile = "ldap"

[tool.elt.seeds]
schema = "{PREFIX}raw"

[tool.elt.models.staging]
materialized = "view"
schema = "{PREFIX}bronze"

[tool.elt.models.marts]
materialized = "table"
schema = "{PREFIX}gold"
"""

FILES = {
    "seeds/people.csv": "id,name,team\n1,ada,analysts\n2,bob,ops\n3,cyd,analysts\n",
    "models/staging/stg_people.sql": "SELECT id, name, team FROM {{ ref('people') }}",
    "models/marts/team_sizes.sql": (
        "SELECT team, COUNT(*) AS people FROM {{ ref('stg_people') }} GROUP BY team"
    ),
}


def profiles(server: Server, username: str) -> str:
    tls = f"\n      use_ssl: true\n      ssl_ca: {server.ca_file}" if server.ca_file else ""
    transport = "http" if server.ca_file else "binary"
    return f"""\
ldap:
  target: hive
  outputs:
    hive:
      type: hive
      host: {server.host}
      port: {server.port}
      auth: LDAP
      transport: {transport}{tls}
      username: {username}
      password: "{{{{ env_var('{PASSWORD_VARIABLE}') }}}}"
      schema: {PREFIX}default
      connect_timeout: 20
      threads: 2
"""


@pytest.fixture
def ldap_project(project: Any) -> Any:
    def make(server: Server, username: str) -> Any:
        return project(FILES, pyproject=PYPROJECT, profiles=profiles(server, username))

    return make


def _drop_databases(server: Server) -> None:
    with HiveAdapter(target_for(server, "alice", USERS["alice"])) as hive:
        for (name,) in hive.fetchall("SHOW DATABASES"):
            if name.startswith(PREFIX):
                hive.execute(f"DROP DATABASE IF EXISTS {name} CASCADE")


def test_the_right_password_builds_the_project(ldap_hive: Server, ldap_project: Any) -> None:
    proj = ldap_project(ldap_hive, "alice")
    try:
        result = proj.elt("build", env={PASSWORD_VARIABLE: USERS["alice"], "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        with HiveAdapter(target_for(ldap_hive, "alice", USERS["alice"])) as hive:
            rows = hive.fetchall(f"SELECT team, people FROM {PREFIX}gold.team_sizes ORDER BY team")
        assert rows == [("analysts", 2), ("ops", 1)]
        assert USERS["alice"] not in result.output
    finally:
        _drop_databases(ldap_hive)


@pytest.mark.parametrize("username, password", [("alice", "not-alices-Pa55"), ("mallory", "mallorys-Pa55")],
                         ids=["wrong password", "unknown user"])
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "--debug"])
def test_a_refused_login_is_one_line_without_the_password(ldap_hive: Server, ldap_project: Any, username: str,
                                                          password: str, debug: bool) -> None:
    proj = ldap_project(ldap_hive, username)
    result = proj.elt("run", *(["--debug"] if debug else []), env={PASSWORD_VARIABLE: password, "NO_COLOR": "1"})
    assert result.exit_code != 0
    assert password not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert (f"Error: cannot connect to hive server {ldap_hive.host}:{ldap_hive.port}, at the SASL/auth step: "
            f"the server refused the login of user '{username}' (auth LDAP): Error validating the login"
            == errors[0]), result.output
    assert "hint: check `username` and `password` in the profile" in result.output
    if not debug:
        assert "Traceback" not in result.output


def test_a_refused_login_is_tried_once(ldap_hive: Server) -> None:
    """Retrying a refused password would only count against the account's lockout limit."""
    hive = HiveAdapter(target_for(ldap_hive, "alice", "not-alices-Pa55", retries=3, retry_backoff=0.01))
    attempts = []
    original = hive._connect

    def counting() -> Any:
        attempts.append(1)
        return original()

    hive._connect = counting  # type: ignore[method-assign]
    with pytest.raises(AdapterError, match="refused the login") as caught:
        hive.open()
    assert len(attempts) == 1
    assert caught.value.transient is False


def test_elt_debug_reports_the_auth_each_step_and_the_version(ldap_hive: Server, ldap_project: Any) -> None:
    proj = ldap_project(ldap_hive, "alice")
    result = proj.elt("debug", env={PASSWORD_VARIABLE: USERS["alice"], "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "OK    auth: LDAP, user 'alice' with the profile's password; binary transport, no TLS" in lines
    for step in ("DNS", "TCP", "SASL/auth", "session open", "query"):
        assert any(line.startswith(f"OK    {step}: ") for line in lines), (step, result.stdout)
    assert "OK    server: Spark SQL 4.3.0" in lines
    assert USERS["alice"] not in result.output


def test_elt_debug_names_the_failing_step(ldap_hive: Server, ldap_project: Any) -> None:
    proj = ldap_project(ldap_hive, "alice")
    result = proj.elt("debug", env={PASSWORD_VARIABLE: "not-alices-Pa55", "NO_COLOR": "1"})
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith("OK    TCP: ") for line in lines), result.stdout
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert len(failed) == 1 and failed[0].startswith("FAIL  SASL/auth: "), result.stdout
    assert "refused the login of user 'alice'" in failed[0]
    assert not any(line.startswith("OK    server") for line in lines)
    assert "not-alices-Pa55" not in result.output


def test_http_transport_over_tls_logs_in_with_ldap(ldap_http_hive: Server) -> None:
    with HiveAdapter(target_for(ldap_http_hive, "alice", USERS["alice"])) as hive:
        assert hive.fetchall("SELECT 40 + 2") == [(42,)]
        assert hive.version() == "Spark SQL 4.3.0"


def test_http_transport_refused_login_is_explained(ldap_http_hive: Server, ldap_project: Any) -> None:
    proj = ldap_project(ldap_http_hive, "alice")
    result = proj.elt("debug", env={PASSWORD_VARIABLE: "not-alices-Pa55", "NO_COLOR": "1"})
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert "OK    auth: LDAP, user 'alice' with the profile's password; http transport, path /cliservice, TLS" in lines
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert len(failed) == 1, result.stdout
    assert "OK    TLS: handshake done, the server's certificate verified" in lines
    assert failed[0].startswith("FAIL  HTTP/auth: ") and "refused the login of user 'alice'" in failed[0]
    assert "HTTP 401" in failed[0]
    assert "not-alices-Pa55" not in result.output


def test_an_untrusted_certificate_is_refused_at_the_tls_step(ldap_http_hive: Server) -> None:
    hive = HiveAdapter(target_for(ldap_http_hive, "alice", USERS["alice"], ssl_ca=None, retries=0))
    with pytest.raises(AdapterError) as caught:
        hive.open()
    assert caught.value.message.endswith("at the TLS step: the server's certificate was refused: self-signed "
                                         "certificate"), caught.value.message
    assert "ssl_ca" in (caught.value.hint or "")


def test_an_unverified_certificate_is_accepted_with_ssl_verify_false(ldap_http_hive: Server) -> None:
    with HiveAdapter(target_for(ldap_http_hive, "alice", USERS["alice"], ssl_ca=None, ssl_verify=False)) as hive:
        assert hive.fetchall("SELECT 1") == [(1,)]


def test_plain_http_against_a_tls_server_is_explained(ldap_http_hive: Server) -> None:
    hive = HiveAdapter(target_for(ldap_http_hive, "alice", USERS["alice"], use_ssl=False, connect_timeout=3,
                                  retries=0))
    with pytest.raises(AdapterError) as caught:
        hive.open()
    assert "cannot connect to hive server" in caught.value.message and "Traceback" not in str(caught.value)


def test_binary_transport_against_an_http_server_is_explained(ldap_http_hive: Server) -> None:
    hive = HiveAdapter(target_for(ldap_http_hive, "alice", USERS["alice"], transport="binary", use_ssl=False,
                                  connect_timeout=3, retries=0))
    with pytest.raises(AdapterError) as caught:
        hive.open()
    assert "at the SASL/auth step" in caught.value.message
    assert "transport" in (caught.value.hint or "")
