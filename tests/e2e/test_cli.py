"""interlock as a user runs it: real MariaDB, real demo services, real subprocesses.

Every test runs in a throwaway copy of the project; the ``project`` fixture fails a
test that leaves any process of that copy running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock.environment.processes import pid_alive
from tests.conftest import behave, interlock

pytestmark = pytest.mark.e2e

INVENTORY = "features/interface/inventory_api.feature"


def test_a_passing_run_exits_0_writes_results_and_stops_everything(project: Path) -> None:
    result = interlock(project, "run", "--no-report", INVENTORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 scenarios: 6 passed" in result.stdout
    results = list((project / "reports" / "allure-results").glob("*-result.json"))
    assert len(results) == 6
    assert list((project / "reports" / "junit").glob("*.xml"))
    assert not (project / ".interlock" / "environment.json").exists()
    assert list((project / ".interlock" / "run").iterdir()) == []
    assert result.stdout.splitlines()[-1] == "scenarios: 6 passed, 0 failed"


def test_a_failing_scenario_exits_1_with_a_reproducible_failure(project: Path) -> None:
    (project / "features" / "interface" / "wrong.feature").write_text(
        "Feature: Wrong expectations\n"
        "  Scenario: Health is expected to be a teapot\n"
        '    Given the "inventory" service\n'
        '    When I send a GET request to "/health"\n'
        "    Then the response status should be 418\n"
    )
    result = interlock(project, "run", "--no-report", "features/interface/wrong.feature")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 scenario: 1 failed" in result.stdout
    assert "expected status 418, got 200" in result.stdout
    assert "FAILED  features/interface/wrong.feature:2  Health is expected" in result.stdout
    assert "reproduce: curl -i -X GET http://127.0.0.1:" in result.stdout


def test_secrets_never_reach_the_output_or_the_results(project: Path) -> None:
    token = "very-secret-token-4711"
    (project / "features" / "interface" / "secret.feature").write_text(
        "Feature: Secrets\n"
        "  Scenario: A failing write shows its curl line\n"
        '    Given the "inventory" service\n'
        '    When I send a POST request to "/products" with JSON:\n'
        '      """\n      {"sku": "S-${unique}", "name": "x", "price": 1, "stock": 1}\n      """\n'
        "    Then the response status should be 500\n"
    )
    result = interlock(
        project,
        "run",
        "--no-report",
        "features/interface/secret.feature",
        env={"SHOP_API_TOKEN": token},
    )
    assert result.returncode == 1
    # The curl line is replayable: the token came from ${SHOP_API_TOKEN}, so it says that.
    assert '-H "Authorization: Bearer $SHOP_API_TOKEN"' in result.stdout
    written = "".join(
        p.read_text(errors="replace") for p in (project / "reports").rglob("*") if p.is_file()
    )
    assert token not in result.stdout + result.stderr + written


def test_an_unknown_environment_exits_2_listing_the_known_ones(project: Path) -> None:
    result = interlock(project, "run", "--env", "prod")
    assert result.returncode == 2
    assert "unknown environment 'prod'" in result.stderr
    assert "ci, local, staging" in result.stderr


def test_a_missing_variable_exits_2_naming_it_and_its_file(project: Path) -> None:
    result = interlock(project, "run", "--env", "staging")
    assert result.returncode == 2
    assert "STAGING_DB_HOST" in result.stderr
    assert "config/staging.yaml" in result.stderr


def test_an_unknown_config_key_exits_2_with_a_suggestion(project: Path) -> None:
    result = interlock(project, "run", "--set", "http.read_timout=3")
    assert result.returncode == 2
    assert "did you mean 'http.read_timeout'" in result.stderr


def test_a_service_that_fails_to_start_shows_its_log_and_leaves_nothing(project: Path) -> None:
    crash = json.dumps(
        ["{python}", "-c", "import sys; print('boom: orders cannot start'); sys.exit(3)"]
    )
    result = interlock(project, "run", "--set", f"services.orders.command={crash}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "service 'orders' exited during start-up (exit 3)" in result.stderr
    assert "boom: orders cannot start" in result.stderr
    assert not (project / ".interlock" / "environment.json").exists()


def test_a_taken_port_makes_the_service_start_on_another(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = interlock(
            project,
            "run",
            "--no-report",
            "--set",
            f"services.inventory.port={busy}",
            "--tags",
            "@REQ-1",
            INVENTORY,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"127.0.0.1:{busy}" not in result.stderr
    assert "inventory up at http://127.0.0.1:" in result.stderr


def test_up_run_down_shares_one_environment(project: Path) -> None:
    up = interlock(project, "up")
    assert up.returncode == 0, up.stderr
    runtime = json.loads((project / ".interlock" / "environment.json").read_text())
    pids = [s["pid"] for s in runtime["services"].values()] + [runtime["databases"]["shop"]["pid"]]
    try:
        run = interlock(project, "run", "--no-report", INVENTORY)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "MariaDB up" not in run.stderr  # attached, did not start its own
        assert all(pid_alive(pid) for pid in pids)
    finally:
        down = interlock(project, "down")
    assert down.returncode == 0, down.stderr
    assert not any(pid_alive(pid) for pid in pids)
    assert not (project / ".interlock" / "environment.json").exists()


def test_plain_behave_starts_and_stops_the_environment_itself(project: Path) -> None:
    result = behave(project, "-D", "env=ci", "--tags", "@REQ-1", INVENTORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 scenario passed" in result.stdout
    assert list((project / "reports" / "allure-results").glob("*-result.json"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_exits_130_and_stops_everything(project: Path, sig: int) -> None:
    (project / "features" / "interface" / "slow.feature").write_text(
        "Feature: Slow\n"
        "  Scenario: Waits for a row that never comes\n"
        '    Then within 60 seconds the table "notifications" should contain:\n'
        "      | customer |\n      | nobody   |\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "interlock.cli", "run", "features/interface/slow.feature"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "INTERLOCK_ENV": "local"},
    )
    runtime = project / ".interlock" / "environment.json"
    deadline = time.monotonic() + 60
    while not runtime.exists() or "notifications" not in runtime.read_text():
        assert time.monotonic() < deadline, "the environment never came up"
        time.sleep(0.1)
    time.sleep(2)  # inside the polling step by now
    sent = time.monotonic()
    process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 130, output
    print(f"{signal.Signals(sig).name} inside a step: out {took:.2f} s after it")
    assert took < 7.5
    assert not runtime.exists()


def test_doctor_checks_every_service_contract_and_database(project: Path) -> None:
    healthy = interlock(project, "doctor")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "ok      contract orders                orders.yaml: 4 operations" in healthy.stdout
    assert "ok    database shop" in healthy.stdout and "5 tables, disposable" in healthy.stdout
    assert "ok      grants shop" in healthy.stdout
    assert "ALL PRIVILEGES ON `shop`.*" in healthy.stdout
    assert "warn" not in healthy.stdout  # a disposable database may be written
    broken = interlock(
        project, "doctor",
        "--set", "services.inventory.embedded=false",
        "--set", "services.inventory.url=http://127.0.0.1:9",
    )  # fmt: skip
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "FAIL  service inventory                GET http://127.0.0.1:9/health failed" in (
        broken.stdout
    )
    assert broken.stdout.splitlines()[-1].startswith("doctor: 8 ok, 1 failing")


def test_plain_behave_skips_manual_checks(project: Path) -> None:
    result = behave(project, "features/integration/order_fulfilment.feature")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 scenarios passed, 0 failed, 2 skipped" in result.stdout  # the 2 @manual ones
