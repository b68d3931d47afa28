"""The one health check, as a user meets it: ``interlock doctor`` and the check before
``interlock run`` starts, on a suite made by ``interlock init`` and pointed at real
servers on 127.0.0.1. An https service signed by a private CA passes both when
``http.verify`` names that CA; every way it can fail (TLS, refused, DNS, timeout, bad
status) is named, with the config key (and file) that set the address, and is exit 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from interlock import http_checks
from interlock.config import DatabaseConfig, HttpSettings
from interlock.db import Database
from interlock.environment.runtime import DatabaseEndpoint
from interlock.errors import Reason, UnreachableFailure
from interlock.http import HttpClient, ServiceTarget
from interlock.masking import Masker
from tests.conftest import REPO, turn_on_the_example_service
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e

SETTINGS = HttpSettings(connect_timeout=2, read_timeout=3, poll_interval=0.1, poll_timeout=1)
DATABASE = DatabaseConfig(
    name="shop", host="127.0.0.1", port=3306, user="u", password="p", database="d",
    embedded=False, disposable=True, schema=(), connect_timeout=2, read_timeout=2,
)  # fmt: skip


def interlock(suite: Path, *args: str, url: str) -> subprocess.CompletedProcess[str]:
    """Run interlock in ``suite`` as a user would, its service at ``url``."""
    return subprocess.run(
        [sys.executable, "-m", "interlock.cli", *args],
        cwd=suite, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "MY_SERVICE_URL": url, "INTERLOCK_ENV": "local"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A suite made by ``interlock init`` (copied for each test)."""
    folder = tmp_path_factory.mktemp("init")
    made = subprocess.run(
        [sys.executable, "-m", "interlock.cli", "init", str(folder / "suite")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    turn_on_the_example_service(folder / "suite", database=False)
    return folder / "suite"


@pytest.fixture
def suite(blank: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "suite"
    shutil.copytree(blank, copy)
    return copy


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA of our own, and a certificate for 127.0.0.1 that it signed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("ca")
    files = {name: folder / f"{name}.pem" for name in ("ca", "ca_key", "cert", "key", "csr")}
    extensions = folder / "server.ext"
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["openssl", "req", "-x509", *ec, "-keyout", files["ca_key"], "-out", files["ca"],
         "-days", "2", "-subj", "/CN=interlock test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-new", *ec, "-keyout", files["key"], "-out", files["csr"],
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", files["csr"], "-CA", files["ca"],
         "-CAkey", files["ca_key"], "-CAcreateserial", "-out", files["cert"], "-days", "2",
         "-extfile", extensions],
    ):  # fmt: skip
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    return files


def where(suite: Path, key: str) -> str:
    """``services.my_service.url in config/default.yaml:36 (from ${MY_SERVICE_URL:-...})``:
    how a failure names the key of the init template that set it."""
    lines = (suite / "config" / "default.yaml").read_text().splitlines()
    number, line = next((n, text) for n, text in enumerate(lines, 1) if f" {key}:" in text)
    value = line.split(f"{key}:", 1)[1].strip()
    variable = f" (from {value})" if value.startswith("${") else ""
    return f"services.my_service.{key} in config/default.yaml:{number}{variable}"


def could_not_run_saying(results: Iterable[subprocess.CompletedProcess[str]], *says: str) -> None:
    """Each of the commands (doctor, the run) could not run (exit 2) and said all of ``says``."""
    for result in results:
        text = result.stdout + result.stderr
        assert result.returncode == 2, text
        for said in says:
            assert said in text


def healthy(seen: Seen) -> Reply:
    return Reply(body={"status": "ok"})


def trust(suite: Path, ca: Path) -> None:
    """``http.verify`` names the CA (copied inside the suite's folder), and the service
    has a default header, in config/local.yaml."""
    (suite / "certs").mkdir()
    shutil.copy(ca, suite / "certs" / "ca.pem")
    (suite / "config" / "local.yaml").write_text(
        "http:\n  verify: certs/ca.pem\n"
        "services:\n  my_service:\n    headers: {X-Suite: acceptance}\n"
    )


def test_an_https_service_of_a_private_ca_passes_doctor_and_the_run(
    suite: Path, private_ca: dict[str, Path]
) -> None:
    trust(suite, private_ca["ca"])
    tls = (str(private_ca["cert"]), str(private_ca["key"]))
    with serve(healthy, tls=tls) as server:
        doctor = interlock(suite, "doctor", url=server.url)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert re.search(
            rf"^ok +service my_service +GET {server.url}/health -> 200 in \d+ ms$",
            doctor.stdout,
            re.MULTILINE,
        ), doctor.stdout
        (checked,) = server.seen  # doctor sends the health check alone
        assert checked.path == "/health"
        assert checked.headers.get("X-Suite") == "acceptance", checked.headers
        run = interlock(suite, "run", "--no-report", url=server.url)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.splitlines()[-1] == "scenarios: 1 passed, 0 failed"


def test_an_https_service_of_a_private_ca_not_named_in_http_verify_is_a_named_tls_failure(
    suite: Path, private_ca: dict[str, Path]
) -> None:
    tls = (str(private_ca["cert"]), str(private_ca["key"]))
    with serve(healthy, tls=tls) as server:
        doctor = interlock(suite, "doctor", url=server.url)
        run = interlock(suite, "run", "--no-report", url=server.url)
    host = server.url.removeprefix("https://")
    could_not_run_saying(
        (doctor, run),
        f"GET {server.url}/health failed: SSLError: TLS with {host} failed:"
        " certificate verify failed: unable to get local issuer certificate",
        f"its address: {where(suite, 'url')}\n",
        "http.verify (not set: its default) is true: certificates are checked against the"
        " system's CA store; for a private CA, set it to the CA bundle file",
    )
    assert "the 'local' environment is not reachable:" in run.stderr
    assert "Traceback" not in run.stderr + doctor.stderr


def test_a_ca_that_did_not_sign_the_certificate_names_the_ca_file(
    suite: Path, private_ca: dict[str, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(tmp_path / "other.key"), "-out", str(other), "-days", "1",
         "-subj", "/CN=another CA"],
        check=True, capture_output=True,
    )  # fmt: skip
    trust(suite, other)
    tls = (str(private_ca["cert"]), str(private_ca["key"]))
    with serve(healthy, tls=tls) as server:
        run = interlock(suite, "run", "--no-report", url=server.url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "SSLError: TLS with" in run.stderr
    assert (
        f"http.verify in config/local.yaml:2 names the CA bundle {suite / 'certs' / 'ca.pem'}:"
        " check it is the CA that signed this server's certificate"
    ) in run.stderr


def test_nothing_listening_is_named_with_the_key_that_set_the_address(suite: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{port}"
        doctor = interlock(suite, "doctor", url=url)
        run = interlock(
            suite, "run", "--no-report", "--set", f"services.my_service.url={url}",
            url="http://127.0.0.1:9",
        )  # fmt: skip
    assert doctor.returncode == 2, doctor.stdout + doctor.stderr
    assert re.search(
        rf"^FAIL +service my_service +GET {url}/health failed: ConnectionError:"
        rf" connection refused: nothing listens on 127\.0\.0\.1:{port}\n"
        rf" +its address: {re.escape(where(suite, 'url'))}\n",
        doctor.stdout,
        re.MULTILINE,
    ), doctor.stdout
    assert run.returncode == 2, run.stdout + run.stderr
    assert (
        f"  - service my_service: GET {url}/health failed: ConnectionError: connection refused:"
        f" nothing listens on 127.0.0.1:{port}\n"
        f"    its address: services.my_service.url (set by override"
        f" 'services.my_service.url={url}')\n"
    ) in run.stderr


def test_a_host_name_that_does_not_resolve_is_named(suite: Path) -> None:
    url = "http://nonexistent.invalid:8080"
    could_not_run_saying(
        (interlock(suite, "doctor", url=url), interlock(suite, "run", "--no-report", url=url)),
        f"GET {url}/health failed: ConnectionError: the host name 'nonexistent.invalid'"
        " does not resolve",
        f"its address: {where(suite, 'url')}\n",
    )


def test_a_service_that_never_answers_times_out_at_the_configured_read_timeout(
    suite: Path, silent_port: int
) -> None:
    url = f"http://127.0.0.1:{silent_port}"
    faster = ("--set", "http.read_timeout=1")
    doctor = interlock(suite, "doctor", *faster, url=url)
    run = interlock(suite, "run", "--no-report", *faster, url=url)
    could_not_run_saying(
        (doctor, run),
        f"GET {url}/health failed: ReadTimeout: connected to 127.0.0.1:{silent_port}, but"
        " no answer within 1 s (http.read_timeout)",
        f"its address: {where(suite, 'url')}\n",
    )


def test_an_unhealthy_status_shows_the_start_of_the_body(suite: Path) -> None:
    def down(seen: Seen) -> Reply:
        return Reply(status=503, body=b"maintenance until 10:00 " * 40)

    with serve(down) as server:
        doctor = interlock(suite, "doctor", url=server.url)
        run = interlock(suite, "run", "--no-report", url=server.url)
    could_not_run_saying(
        (doctor, run),
        f"GET {server.url}/health answered 503 Service Unavailable: maintenance until 10:00",
        f"its address: {where(suite, 'url')}\n",
        f"fix the service, or its health path {where(suite, 'health')}\n",
    )
    for result in doctor, run:  # the start of the body only (300 characters)
        assert "maintenance until 10:00 " * 13 not in result.stdout + result.stderr


# -- a step that cannot reach the environment ------------------------------------------------

CATEGORY_FEATURE = """@interface
Feature: Categories
  @REQ-1
  Scenario: A request to a service that is down
    Given the "my_service" service
    When I send a GET request to "http://127.0.0.1:{closed}/health"

  @REQ-1
  Scenario: A check that merely mentions it
    Given the "my_service" service
    When I send a GET request to "/health"
    Then the response field "status" should be "could not connect"
"""


def test_the_report_files_a_failure_by_its_type(suite: Path) -> None:
    """A request that could not connect is "Environment unreachable" in the report the
    run builds; a failed check whose text says "could not connect" is a product defect."""
    (suite / "node_modules").symlink_to(REPO / "node_modules")  # the HTML report too
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        feature = suite / "features" / "interface" / "categories.feature"
        feature.write_text(CATEGORY_FEATURE.format(closed=closed.getsockname()[1]))
        with serve(healthy) as server:
            run = interlock(suite, "run", "features/interface/categories.feature", url=server.url)
    assert run.returncode == 1, run.stdout + run.stderr
    results = [
        json.loads(path.read_text())
        for path in (suite / "reports" / "allure-results").glob("*-result.json")
    ]
    messages = {r["name"]: r["statusDetails"]["message"] for r in results}
    down = messages["A request to a service that is down"]
    assert down.startswith("interlock.errors.UnreachableFailure: GET http://127.0.0.1:"), down
    assert "could not connect: Connection refused" in down
    assert messages["A check that merely mentions it"].startswith("AssertionError: ")
    site = suite / "reports" / "allure-report" / "site" / "data" / "test-results"
    filed = {
        data["name"]: [c["name"] for c in data.get("categories", [])]
        for data in (json.loads(p.read_text()) for p in site.glob("*.json"))
    }
    assert filed == {
        "A request to a service that is down": ["Environment unreachable"],
        "A check that merely mentions it": ["Product defects"],
    }


def test_a_request_and_a_database_that_cannot_be_reached_fail_typed() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        target = ServiceTarget("orders", f"http://127.0.0.1:{port}", {}, None, None, "KEY")
        client = HttpClient(SETTINGS, {"orders": target}, Masker())
        with pytest.raises(UnreachableFailure) as error:
            client.send("GET", "/orders")
        assert error.value.unreachable.reason is Reason.REFUSED
        assert error.value.unreachable.part == "service orders"
        assert str(error.value).splitlines()[-1] == "  its address: KEY"
        with pytest.raises(UnreachableFailure) as error:
            http_checks.reachable(client, target, "/health")
        assert error.value.unreachable.reason is Reason.REFUSED
        assert str(error.value).startswith(
            f"service 'orders' is not reachable: GET http://127.0.0.1:{port}/health failed:"
            f" ConnectionError: connection refused: nothing listens on 127.0.0.1:{port}\n"
            "  its address: KEY"
        )
        endpoint = DatabaseEndpoint("127.0.0.1", port, "u", "p", "d")
        database = Database("shop", endpoint, DATABASE, Masker())
        with pytest.raises(UnreachableFailure) as error:
            database.query("SELECT 1")
        assert error.value.unreachable.reason is Reason.REFUSED
        assert error.value.unreachable.url == f"mysql://u@127.0.0.1:{port}/d"
