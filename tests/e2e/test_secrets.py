"""Secrets that become known at run time, or hide in other values, never reach the
terminal or ``reports/``: a token a login fetched (in any worker), the password in a
service URL, a secret given with ``--set`` (mistyped included), the password a
crashing service prints. Real ``interlock run`` processes against real HTTP servers
on 127.0.0.1 (tests/e2e/local_server.py) and real embedded services."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock import secret_scan
from tests.conftest import (
    REPO,
    behave,
    interlock,
    interrupt,
    processes_under,
    start_run,
    wait_until,
)
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e

TEMPLATE = REPO / "interlock" / "templates" / "project"
LOGIN_PASSWORD = "pw-admin-1"


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[Path]:
    """A new suite (interlock init's template) with no scenario yet."""
    root = tmp_path / "suite"
    shutil.copytree(TEMPLATE, root)
    (root / "features" / "interface" / "my_service.feature.example").unlink()
    (root / "features" / "integration" / "customers_database.feature").unlink()
    (root / "config" / "local.yaml").write_text("")
    yield root
    left = processes_under(root)
    assert not left, f"processes outlived the test: {left}"


def write(root: Path, config: str, feature: str) -> None:
    (root / "config" / "default.yaml").write_text(
        "project: {name: probe}\n"
        "report: {name: probe, require_requirement_tag: false}\n"
        "databases: {}\n" + config
    )
    (root / "features" / "interface" / "probe.feature").write_text(feature)


def everything_written(root: Path, run_output: str) -> list[tuple[str, str]]:
    """(where, text) of the run's output and of every file it left under reports/."""
    found = [("output", run_output)]
    for path in sorted((root / "reports").rglob("*")):
        if path.is_file():
            found.append((str(path.relative_to(root)), path.read_text(errors="replace")))
    return found


def assert_nowhere(root: Path, output: str, secrets: list[str]) -> None:
    for where, text in everything_written(root, output):
        for secret in secrets:
            assert secret not in text and secret.lower() not in text.lower(), (where, secret)
    assert secret_scan.scan(root / "reports", secrets) == []


# -- a token a login fetched ------------------------------------------------------------


class TokenServer:
    """Accounts and API in one: /login issues a new token per call, any other path
    echoes the Authorization header it got."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self._numbers = itertools.count(1)

    def __call__(self, seen: Seen) -> Reply:
        if seen.path == "/login":
            if seen.json() != {"user": "admin", "password": LOGIN_PASSWORD}:
                return Reply(401, {"error": "bad password"})
            token = f"Learned-Tok-{next(self._numbers):04d}-qz"
            self.issued.append(token)
            return Reply(200, {"data": {"token": token}})
        return Reply(200, {"seen": seen.headers.get("Authorization"), "status": "ok"})


def login_config(url: str) -> str:
    return f"""
credentials:
  admin:
    login:
      service: accounts
      path: /login
      json: {{user: admin, password: {LOGIN_PASSWORD}}}
      token_field: data.token
services:
  accounts: {{url: "{url}"}}
  api: {{url: "{url}", credentials: admin}}
"""


ECHOED = """Feature: The token comes back
  Scenario: One worker sees its token echoed
    Given the "api" service
    When I send a GET request to "/echo"
    Then the response field "seen" should be "nothing"

  Scenario: Another worker sees its token echoed
    Given the "api" service
    When I send a GET request to "/echo/again"
    Then the response field "seen" should be "nothing either"
"""


def test_a_fetched_token_echoed_in_a_failure_is_shown_nowhere(suite: Path) -> None:
    """Each of two workers logs in and fails on a response that echoes its token: the
    token is in no output, result, JUnit, summary, sign-off or worker log, and the run's
    file of learned secrets is gone at the end."""
    tokens = TokenServer()
    with serve(tokens) as server:
        write(suite, login_config(server.url), ECHOED)
        run = interlock(suite, "run", "--workers", "2", "--no-report")
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert len(tokens.issued) == 2, "each worker fetched its own token"
    assert "SECRET LEAK" not in output
    assert 'got "Bearer *****"' in output  # the failure is shown, the token masked
    assert_nowhere(suite, output, tokens.issued)
    for part in ("allure-results", "junit/junit.xml", "summary.txt", "signoff"):
        assert (suite / "reports" / part).exists(), part
    assert list((suite / ".interlock").rglob("learned-*")) == []


WRITES_THE_TOKEN = '''"""A careless domain step: it writes what the service echoed under reports/."""

from pathlib import Path

from behave import then


@then("the echoed credentials are kept in a file")
def step_keep_the_echo(context):
    Path("reports/echo.txt").write_text(context.http.require_last().json()["seen"])
'''


def test_the_leak_scan_knows_the_tokens_the_workers_fetched(suite: Path) -> None:
    """A token the parent never saw, written raw by a step in a worker: the parent's
    leak scan finds it, and the run fails although its scenario passed."""
    (suite / "steps" / "careless_steps.py").write_text(WRITES_THE_TOKEN)
    feature = """Feature: A careless step
  Scenario: The echo is kept
    Given the "api" service
    When I send a GET request to "/echo"
    Then the response status should be 200
    And the echoed credentials are kept in a file
"""
    tokens = TokenServer()
    with serve(tokens) as server:
        write(suite, login_config(server.url), feature)
        run = interlock(suite, "run", "--no-report")
    output = run.stdout + run.stderr
    assert tokens.issued and tokens.issued[0] in (suite / "reports" / "echo.txt").read_text()
    assert "1 scenario: 1 passed" in output
    assert "SECRET LEAK" in run.stderr and "echo.txt: a secret (Le...)" in run.stderr
    assert run.returncode == 1, output
    assert tokens.issued[0] not in output


def test_a_fetched_token_is_a_placeholder_with_a_fetch_command_that_works(suite: Path) -> None:
    """A failure with a login token: the curl line says ``$ADMIN_TOKEN``, followed once by
    the login that sets it (its password as ``$ADMIN_PASSWORD``, read from that variable),
    in the output and in the step's evidence; no token or password is written anywhere,
    and the two lines, run by hand in bash with the password set, call the API again."""
    config = login_config("URL").replace(LOGIN_PASSWORD, "'${ADMIN_PASSWORD}'")
    feature = """Feature: A failure to replay
  Scenario: The API is expected to be a teapot
    Given the "api" service
    When I send a GET request to "/echo"
    Then the response status should be 418
"""
    tokens = TokenServer()
    with serve(tokens) as server:
        write(suite, config.replace("URL", server.url), feature)
        run = interlock(suite, "run", "--no-report", env={"ADMIN_PASSWORD": LOGIN_PASSWORD})
        output = run.stdout + run.stderr
        assert run.returncode == 1, output
        fetch = (
            f"ADMIN_TOKEN=$(curl -s -X POST {server.url}/login"
            " -H 'Content-Type: application/json'"
            """ --data-raw '{"user": "admin", "password": "'"$ADMIN_PASSWORD"'"}'"""
            """ | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')"""
        )
        call = (
            f"curl -i -X GET {server.url}/echo -H 'Accept: */*'"
            ' -H "Authorization: Bearer $ADMIN_TOKEN"'
        )
        assert f"reproduce: {call}\n" in output and output.count(f"token:     {fetch}\n") == 1
        evidence = [
            text
            for path, text in everything_written(suite, "")
            if "allure-results" in path and path.endswith(".txt") and "reproduce: curl" in text
        ]
        assert evidence and all(text.count(fetch) == 1 for text in evidence), evidence
        assert "SECRET LEAK" not in output
        assert_nowhere(suite, output, [*tokens.issued, LOGIN_PASSWORD])

        replay = subprocess.run(
            ["bash", "-c", f"set -eo pipefail; {fetch}; {call}"],
            env={"PATH": os.environ["PATH"], "ADMIN_PASSWORD": LOGIN_PASSWORD},
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert len(tokens.issued) == 2, "the replay logged in again"
    assert f'"seen": "Bearer {tokens.issued[1]}"' in replay.stdout


# -- a password in a service URL ----------------------------------------------------------


def test_a_password_in_a_service_url_is_masked_everywhere(suite: Path) -> None:
    """``http://user:password@host``: not in the curl line, the evidence, the
    environment table, the history kept from run to run or the HTML report."""
    password = "Url-Pw-5531"
    (suite / "node_modules").symlink_to(REPO / "node_modules")
    with serve(lambda seen: Reply(200, {"seen": seen.headers.get("Authorization")})) as server:
        url = server.url.replace("http://", f"http://probe:{password}@")
        feature = """Feature: Basic credentials in the URL
  Scenario: The service echoes the credentials
    Given the "api" service
    When I send a GET request to "/echo"
    Then the response field "seen" should be "nothing"
"""
        write(suite, f'services:\n  api: {{url: "{url}"}}\n', feature)
        runs = [interlock(suite, "run") for _ in range(2)]  # the second one has history
    output = "".join(r.stdout + r.stderr for r in runs)
    assert [r.returncode for r in runs] == [1, 1], output
    assert "report: " in runs[1].stdout, output
    assert f"reproduce: curl -i -X GET http://probe:*****@{server.url[7:]}/echo" in output
    properties = (suite / "reports" / "allure-results" / "environment.properties").read_text()
    assert f"api\\ service=http://probe:*****@{server.url[7:]}" in properties
    assert (suite / "reports" / "allure-report" / "index.html").is_file()
    assert_nowhere(suite, output, [password])


# -- secrets given with --set ---------------------------------------------------------------


def test_a_mistyped_secret_key_given_with_set_is_not_echoed(suite: Path) -> None:
    write(
        suite,
        "databases:\n  shop: {user: shop, password: x-pw-1, database: shop}\n"
        "services:\n  api: {url: 'http://127.0.0.1:9'}\n",
        'Feature: nothing\n  Scenario: nothing\n    Given the "api" service\n',
    )
    for command in ("run", "lint"):
        result = interlock(suite, command, "--set", "databases.shop.pasword=Typo-Secret-31")
        assert result.returncode == 2, result.stderr
        assert "unknown key 'databases.shop.pasword'" in result.stderr
        assert "did you mean 'databases.shop.password'" in result.stderr
        assert "Typo-Secret-31" not in result.stdout + result.stderr
    # A --set value is parsed by its key's type (digits make a password); one of the
    # wrong type is named without its value.
    number = interlock(suite, "run", "--set", "credentials.c.basic=98765432")
    assert number.returncode == 2 and "credentials.c.basic must be a mapping" in number.stderr
    assert "98765432" not in number.stdout + number.stderr


# -- a service that prints its password ----------------------------------------------------


def test_a_crashing_service_does_not_print_its_password_and_the_scan_still_runs(
    suite: Path,
) -> None:
    """One embedded service starts and logs the password it was given; the next one
    prints it and crashes. The run stops (exit 2) without showing the password; the
    crashed one's log is masked; the leak scan runs on this way out too and names the
    log that still holds it."""
    password = "Svc-Pw-8812"
    config = f"""
credentials:
  db: {{bearer: {password}}}
services:
  talker:
    embedded: true
    health: /
    command: ["sh", "-c", "echo using password $0; exec $1 -m http.server --bind 127.0.0.1 $2",
              "{{credentials.db.bearer}}", "{{python}}", "{{port}}"]
  crashy:
    embedded: true
    command: ["{{python}}", "-c", "import sys; print('connecting with password', sys.argv[1]);
              sys.exit(3)", "{{credentials.db.bearer}}"]
"""
    write(suite, config, 'Feature: f\n  Scenario: s\n    Given the "crashy" service\n')
    run = interlock(suite, "run", "--no-report")
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "service 'crashy' exited during start-up (exit 3)" in output
    assert "connecting with password *****" in output
    assert password not in output
    assert password not in (suite / "reports" / "logs" / "crashy.log").read_text()
    assert "SECRET LEAK" in run.stderr and "logs/talker.log: a secret (Sv...)" in run.stderr


# -- a way out with exit 130 ----------------------------------------------------------------


KEEPS_A_SECRET = '''"""A careless step: it writes a configured secret under reports/."""

from pathlib import Path

from behave import given


@given("the secret is kept in a file")
def step_keep_the_secret(context):
    Path("reports/kept.txt").write_text(context.interlock.config.credentials["c"].bearer)
'''


def test_the_leak_scan_runs_when_the_run_is_interrupted_while_the_report_is_built(
    suite: Path,
) -> None:
    (suite / "node_modules").symlink_to(REPO / "node_modules")
    (suite / "steps" / "careless_steps.py").write_text(KEEPS_A_SECRET)
    write(
        suite,
        "credentials:\n  c: {bearer: Kept-Secret-204}\nservices: {}\n",
        "Feature: f\n  Scenario: s\n    Given the secret is kept in a file\n",
    )
    process = start_run(suite)
    reports = suite / "reports"
    wait_until(lambda: list(reports.glob(".allure-report-*")), process, "the report build", 120)
    output, _ = interrupt(process, "SIGINT while the report is built, a secret left")
    assert "SECRET LEAK" in output and "kept.txt: a secret (Ke...)" in output
    assert "Kept-Secret-204" not in output


PRINTS_THE_TOKEN = '''"""A careless step: it prints what the service echoed, then fails."""

from behave import then


@then("the echoed credentials are printed")
def step_print_the_echo(context):
    print("echoed:", context.http.require_last().json()["seen"])
    raise AssertionError("see what was printed")
'''


def test_plain_behave_masks_a_fetched_token_in_its_own_junit_and_results(suite: Path) -> None:
    """Without ``interlock run`` (no parent to mask after it) behave's own JUnit files,
    with a step's captured output, and the Allure results are masked in the worker;
    its file of learned secrets is gone when it ends."""
    (suite / "steps" / "careless_steps.py").write_text(PRINTS_THE_TOKEN)
    feature = """Feature: A careless step
  Scenario: The echo is printed
    Given the "api" service
    When I send a GET request to "/echo"
    Then the echoed credentials are printed
"""
    tokens = TokenServer()
    with serve(tokens) as server:
        write(suite, login_config(server.url), feature)
        run = behave(suite, "-f", "plain")
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    junit = list((suite / "reports" / "junit").glob("*.xml"))
    assert junit and "echoed: Bearer *****" in junit[0].read_text(), output
    assert list((suite / "reports" / "allure-results").glob("*-result.json"))
    assert_nowhere(suite, "", tokens.issued)
    assert list((suite / ".interlock").rglob("learned-*")) == []
