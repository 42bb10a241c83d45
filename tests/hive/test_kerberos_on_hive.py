"""`auth: KERBEROS` against a real MIT KDC and a Spark Thrift Server with Kerberos authentication.

The server is scripts/hive-kerberos's (a private realm from scripts/kdc on loopback): the one named by
ELT_KRB_HIVE_PORT when it answers (CI starts it), else one started here on free ports and stopped at the
end. Without Debian's KDC packages, the server's venv or the GSSAPI binding the tests skip with the
reason (in CI they fail: CI must run them). elt runs in-process on a small project; each test has its
own ticket cache (KRB5CCNAME), so nothing reads or writes the user's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.hive

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "hive-kerberos"

PYPROJECT = """\
[tool.elt]
name = "krb"
profile = "krb"
"""

MODELS = {
    "models/people.sql": "select 1 as id, 'ada' as name union all select 2, 'alan'",
    "models/people_count.sql": "select count(*) as n from {{ ref('people') }}",
    # Read back through the same login: rows returned = the build fails.
    "data_tests/two_people.sql": "select n from {{ ref('people_count') }} where n <> 2",
}


@dataclass(frozen=True)
class KerberosServer:
    port: int
    #: KRB5_CONFIG, ELT_KRB_USER, ELT_KRB_USER_KEYTAB, ELT_KRB_SERVICE_KEYTAB, ... (scripts/kdc env)
    realm: dict[str, str]


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Kerberos tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _exports(env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run([str(SCRIPT), "env"], env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export "))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def kerberos_server() -> Iterator[KerberosServer]:
    if importlib.util.find_spec("kerberos") is None:
        _skip_or_fail("the GSSAPI binding is not installed in elt's venv: pip install -e '.[kerberos]'")
    given = os.environ.get("ELT_KRB_HIVE_PORT")
    if given and _answers(int(given)):
        yield KerberosServer(int(given), _exports(dict(os.environ)))
        return
    check = subprocess.run([str(SCRIPT), "check"], capture_output=True, text=True, timeout=120)
    if check.returncode != 0:
        _skip_or_fail((check.stderr.strip() or "scripts/hive-kerberos check failed").splitlines()[-1])
    data = Path(tempfile.mkdtemp(prefix="elt-hive-krb-"))
    env = {**os.environ, "ELT_KRB_HIVE_PORT": str(_free_port()), "ELT_KRB_HIVE_DATA": str(data),
           "ELT_KDC_DATA": str(data / "kdc"), "ELT_KDC_PORT": str(_free_port())}
    started = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        yield KerberosServer(int(env["ELT_KRB_HIVE_PORT"]), _exports(env))
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=120)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def krb_project(project: Any, kerberos_server: KerberosServer, tmp_path: Path) -> Any:
    """A project whose profile's `hive` output logs in with Kerberos; extra keys from `write_profile`."""
    proj = project(MODELS, pyproject=PYPROJECT, profiles=None)
    proj.schema = f"krb_{uuid.uuid4().hex[:8]}"
    proj.cache = tmp_path / "user.ccache"   # the "user's" ticket cache of this test

    def write_profile(**keys: str) -> None:
        lines = "".join(f"      {key}: {value}\n" for key, value in keys.items())
        proj.write({"profiles.yml": (
            "krb:\n  target: hive\n  outputs:\n    hive:\n      type: hive\n      host: 127.0.0.1\n"
            f"      port: {kerberos_server.port}\n      auth: KERBEROS\n      kerberos_service_name: hive\n"
            f"      schema: {proj.schema}\n      threads: 2\n      retries: 0\n{lines}")})

    def run(*args: str) -> Any:
        env = {"KRB5_CONFIG": kerberos_server.realm["KRB5_CONFIG"], "KRB5CCNAME": f"FILE:{proj.cache}"}
        return proj.elt(*args, env=env)

    def kinit(*options: str) -> None:
        realm = kerberos_server.realm
        subprocess.run(["kinit", *options, "-k", "-t", realm["ELT_KRB_USER_KEYTAB"], realm["ELT_KRB_USER"]],
                       env={**os.environ, "KRB5_CONFIG": realm["KRB5_CONFIG"], "KRB5CCNAME": f"FILE:{proj.cache}"},
                       check=True, capture_output=True, text=True)

    proj.write_profile, proj.run, proj.kinit = write_profile, run, kinit
    write_profile()
    return proj


def _built(proj: Any) -> dict[str, str]:
    """node id -> status of the last command (run_results.json)."""
    results = json.loads((proj.root / "target" / "run_results.json").read_text())["results"]
    return {result["unique_id"]: result["status"] for result in results}


def test_ticket_cache_from_kinit_builds_a_project(krb_project: Any) -> None:
    krb_project.kinit()
    result = krb_project.run("build")
    assert result.exit_code == 0, result.output
    assert _built(krb_project) == {"model.people": "success", "model.people_count": "success",
                                   "test.two_people": "success"}


def test_keytab_in_the_profile_builds_without_touching_the_users_cache(krb_project: Any, kerberos_server: Any) -> None:
    realm = kerberos_server.realm
    krb_project.write_profile(keytab=realm["ELT_KRB_USER_KEYTAB"], principal=realm["ELT_KRB_USER"])
    result = krb_project.run("build")
    assert result.exit_code == 0, result.output
    assert set(_built(krb_project).values()) == {"success"} and "test.two_people" in _built(krb_project)
    assert not krb_project.cache.exists()  # elt's ticket went into its own cache, not KRB5CCNAME's


def test_no_ticket_says_to_run_kinit(krb_project: Any) -> None:
    result = krb_project.run("run")
    assert result.exit_code != 0
    assert "No Kerberos credentials available" in result.output
    assert "run `kinit" in result.output
    assert "Traceback" not in result.output and "Bad SASL" not in result.output


def test_expired_ticket_says_to_run_kinit_again(krb_project: Any) -> None:
    krb_project.kinit("-l", "1s")
    # Wait until the ticket is expired (klist -s: exit 1 without a valid ticket); no timing is asserted.
    env = {**os.environ, "KRB5CCNAME": f"FILE:{krb_project.cache}"}
    for _ in range(100):
        if subprocess.run(["klist", "-s"], env=env).returncode != 0:
            break
        time.sleep(0.1)
    result = krb_project.run("run")
    assert result.exit_code != 0
    assert "expired" in result.output.lower()
    assert "kinit" in result.output and "Traceback" not in result.output


def test_keytab_without_the_principals_keys_names_the_keytab(krb_project: Any, kerberos_server: Any) -> None:
    realm = kerberos_server.realm
    krb_project.write_profile(keytab=realm["ELT_KRB_SERVICE_KEYTAB"], principal=realm["ELT_KRB_USER"])
    result = krb_project.run("run")
    assert result.exit_code != 0
    assert f"check that {realm['ELT_KRB_SERVICE_KEYTAB']} holds keys of {realm['ELT_KRB_USER']}" in result.output
    assert "Traceback" not in result.output
