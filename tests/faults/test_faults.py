"""Fault injection: interlock tells the truth when the environment, the input or the
run itself goes wrong. Each test runs ``interlock run`` in a subprocess, as a user
would, against the real embedded MariaDB and demo services, and asserts the exit
code class, the message, the time it took, and (through the ``project`` fixture)
that no process is left behind. Signals are covered in tests/e2e (test_cli,
test_scale, test_database_cleanup)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.allure_files import CATEGORIES
from tests.conftest import interlock, listening, start_run, wait_for_environment

pytestmark = pytest.mark.e2e


def feature(project: Path, name: str, body: str) -> str:
    path = project / "features" / "interface" / name
    path.write_text("Feature: Fault\n  Scenario: Under a fault\n" + body)
    return str(path.relative_to(project))


def timed(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = interlock(project, *args)
    return result, time.monotonic() - started


# -- the environment ----------------------------------------------------------------------


def test_a_database_that_is_down_before_the_run_means_could_not_run(project: Path) -> None:
    result, took = timed(
        project, "run", "--no-report",
        "--set", "databases.shop.embedded=false", "--set", "databases.shop.port=9",
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "database shop: cannot connect to 127.0.0.1:9" in result.stderr
    assert took < 30


def test_a_service_that_accepts_and_never_answers_times_out(
    project: Path, silent_port: int
) -> None:
    path = feature(
        project, "hang.feature",
        '    Given the "inventory" service\n    When I send a GET request to "/health"\n',
    )  # fmt: skip
    result, took = timed(
        project, "run", "--no-report", "--no-lint", path,
        "--set", "services.inventory.embedded=false",
        "--set", f"services.inventory.url=http://127.0.0.1:{silent_port}",
        "--set", "http.read_timeout=5",  # the check waits as long as any request does
    )  # fmt: skip
    # The environment check itself finds it unhealthy: could not run, quickly.
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"GET http://127.0.0.1:{silent_port}/health failed: ReadTimeout" in result.stderr
    assert took < 30


def test_a_slow_response_past_the_read_timeout_fails_the_scenario(project: Path) -> None:
    path = feature(
        project, "slow.feature",
        '    Given the "shop" database\n    Then the query "SELECT SLEEP(600)" should return:\n'
        "      | SLEEP(600) |\n      | 0          |\n",
    )  # fmt: skip
    result, took = timed(
        project, "run", "--no-report", path, "--set", "databases.shop.read_timeout=2"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Lost connection" in result.stdout or "timed out" in result.stdout
    assert took < 30


def kill_mid_run(project: Path, body: str, victim: tuple[str, str]) -> tuple[int, str]:
    """Run one scenario, SIGKILL a part of the environment inside its step, finish."""
    path = feature(project, "killed.feature", body)
    process = start_run(project, "--no-report", path)
    runtime = wait_for_environment(project)
    time.sleep(2)  # inside the step by now
    kind, name = victim
    os.kill(runtime[kind][name]["pid"], signal.SIGKILL)  # type: ignore[index]
    output, _ = process.communicate(timeout=90)
    return process.returncode, output


def test_a_service_killed_mid_run_fails_as_an_unreachable_environment(project: Path) -> None:
    code, output = kill_mid_run(
        project,
        '    Given the "inventory" service\n'
        '    When I send a GET request to "/products" until the response field "items[0].sku" is "NEVER" within 30 seconds\n',
        ("services", "inventory"),
    )
    assert code == 1, output
    (result,) = [
        json.loads(p.read_text())
        for p in (project / "reports" / "allure-results").glob("*-result.json")
    ]
    message = result["statusDetails"]["message"]
    assert "could not connect" in message
    assert re.match(CATEGORIES[0]["messageRegex"], message), "not filed as unreachable"


def test_mariadb_killed_mid_run_fails_the_scenario_and_stops_everything(project: Path) -> None:
    code, output = kill_mid_run(
        project,
        '    Given these rows exist in the table "products":\n'
        "      | sku           | name | price | stock |\n"
        "      | K-${unique}   | K    | 1.00  | 1     |\n"
        '    Then within 30 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
        ("databases", "shop"),
    )
    assert code == 3, output  # the seeded row could not be removed: never hidden
    assert "cleanup was incomplete: this run may have left data behind" in output
    assert "K-" in output.split("cleanup was incomplete")[1]  # names the row
    assert (project / "reports" / "junit" / "junit.xml").exists()


@pytest.fixture
def dripping_port() -> Iterator[int]:
    """A server that answers one byte a second, forever: no per-read timeout trips."""

    def drip(server: socket.socket, stop: threading.Event) -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                    if stop.wait(1):
                        break
                    try:
                        conn.send(bytes([byte]))
                    except OSError:
                        break

    with listening(drip, 4) as port:
        yield port


def test_a_dripping_server_fails_at_the_scenario_time_limit_naming_the_step(
    project: Path, dripping_port: int
) -> None:
    path = feature(
        project, "drip.feature",
        '    Given the "inventory" service\n'
        f'    When I send a GET request to "http://127.0.0.1:{dripping_port}/slow"\n',
    )  # fmt: skip
    result, took = timed(project, "run", "--no-report", path, "--set", "run.scenario_timeout=4")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ran past its time limit of 4 s (run.scenario_timeout)" in result.stdout
    assert f'When I send a GET request to "http://127.0.0.1:{dripping_port}/slow"' in (
        result.stdout
    )
    assert "drip.feature:4" in result.stdout
    assert took < 30


def test_a_cleanup_that_fails_gives_its_own_exit_code(project: Path) -> None:
    sql = project / "features" / "data" / "sql"
    sql.mkdir(parents=True, exist_ok=True)
    (sql / "one.sql").write_text(
        "INSERT INTO products (sku, name, price, stock) VALUES (CONCAT('C-', ${unique}), 'c', 1, 1);\n"
    )
    (sql / "one.cleanup.sql").write_text("DELETE FROM no_such_table;\n")
    path = feature(project, "cleanup.feature", '    When I run the SQL script "sql/one.sql"\n')
    result = interlock(project, "run", "--no-report", path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "cleanup was incomplete" in result.stderr
    assert "one.cleanup.sql:1" in result.stderr


# -- bad input ----------------------------------------------------------------------------


def test_a_config_yaml_syntax_error_names_file_and_line(project: Path) -> None:
    (project / "config" / "local.yaml").write_text("http:\n  read_timeout: [5\n")
    result = interlock(project, "run")
    assert result.returncode == 2
    assert "config/local.yaml:3: not valid YAML" in result.stderr


def test_a_feature_syntax_error_stops_the_run_before_anything_starts(project: Path) -> None:
    path = feature(project, "broken.feature", "    Given x\n      | a |\n      | 1 | 2 |\n")
    result = interlock(project, "run", path)
    assert result.returncode == 2
    assert "features/interface/broken.feature:5: error: not valid Gherkin" in result.stderr
    assert "MariaDB up" not in result.stderr


def test_an_empty_features_folder_cannot_pass(project: Path) -> None:
    empty = project / "features" / "empty"
    empty.mkdir()
    result = interlock(project, "run", "features/empty")
    assert result.returncode == 2
    assert "no scenario found in features/empty" in result.stderr


def test_a_path_that_does_not_exist(project: Path) -> None:
    result = interlock(project, "run", "features/nope.feature")
    assert result.returncode == 2
    assert "features/nope.feature: no such feature file or folder" in result.stderr


def test_a_payload_file_that_is_not_json_names_the_file(project: Path) -> None:
    (project / "features" / "data" / "payloads" / "broken.json").write_text('{"sku": }\n')
    path = feature(
        project, "payload.feature",
        '    Given the "inventory" service\n'
        '    When I send a POST request to "/products" with the JSON file "payloads/broken.json"\n',
    )  # fmt: skip
    result = interlock(project, "run", "--no-report", path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "payloads/broken.json" in result.stdout and "not valid JSON" in result.stdout


def test_a_reports_folder_that_cannot_be_written(project: Path) -> None:
    import shutil

    shutil.rmtree(project / "reports", ignore_errors=True)
    (project / "reports").write_text("a file where the folder should be")
    result = interlock(project, "run", "--no-report")
    assert result.returncode == 2
    assert "cannot write the run's results to" in result.stderr
    assert "MariaDB up" not in result.stderr
