"""Signals at more points of a run than a step: inside a cleanup, and while the report
is being written. Each must end with exit 130 within the 7.5 s CI systems grant,
leave the database as it was, and leave nothing half-written or running.
``scripts/soak_signals.sh`` repeats these (and the in-step ones) 20 times."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from interlock.environment.processes import pid_alive
from tests.conftest import (
    REPO,
    connect_shop,
    interrupt,
    start_run,
    wait_for_environment,
    wait_until,
)
from tests.e2e.test_database_cleanup import snapshot

pytestmark = pytest.mark.e2e


def sleeping(project: Path) -> bool:
    """Whether the cleanup's SELECT SLEEP is running on the database now."""
    connection = connect_shop(project)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(5)%'"
        )
        (count,) = cursor.fetchone()
    connection.close()
    return bool(count)


def slow_to_clean_up(
    running: Path, name: str, header: str, prefix: str, seconds: int, actions: str
) -> Path:
    """The feature ``name`` (``header``: its Feature and Scenario lines): it seeds a product
    ``<prefix>-${unique}``, replaces inventory by a stand-in, starts its worker's own
    orders_isolated, does ``actions`` (they run sql/slow.sql, whose cleanup sleeps
    ``seconds``), then waits 60 s for an order that never comes."""
    sql = running / "features" / "data" / "sql"
    (sql / "slow.sql").write_text("SELECT 1;\n")
    (sql / "slow.cleanup.sql").write_text(f"SELECT SLEEP({seconds});\n")
    feature = running / "features" / "interface" / name
    feature.write_text(
        header + '    Given these rows exist in the table "products":\n'
        "      | sku         | name | price | stock |\n"
        f"      | {prefix}-${{unique}} | {prefix.lower()}    | 1.00  | 1     |\n"
        '    And the "inventory" service is replaced by a stand-in\n'
        '    And the "orders_isolated" service\n'
        + actions
        + '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n"
    )
    return feature


def worker_service(running: Path, process: subprocess.Popen[str]) -> int:
    """The pid of the service the run's (one) worker started for itself, once it has."""
    run_dir = Path(json.loads((running / ".interlock" / "environment.json").read_text())["run_dir"])
    records = run_dir / "worker-processes"
    wait_until(lambda: list(records.glob("*.json")), process, "the worker's own service", 60, 0.05)
    (record,) = records.glob("*.json")
    return int(json.loads(record.read_text())["pid"])


def test_sigint_inside_a_cleanup_still_runs_every_cleanup(running: Path) -> None:
    sql = running / "features" / "data" / "sql"
    (sql / "slow.sql").write_text(
        "INSERT INTO products (sku, name, price, stock) VALUES (CONCAT('S-', ${unique}), 's', 1, 1);\n"
    )
    # Its own rows go first, then it takes its time: the signal lands in the sleep.
    (sql / "slow.cleanup.sql").write_text(
        "DELETE FROM products WHERE sku = CONCAT('S-', ${unique});\nSELECT SLEEP(5);\n"
    )
    feature = running / "features" / "interface" / "slowclean.feature"
    feature.write_text(
        "Feature: Slow cleanup\n  Scenario: Cleans up slowly\n"
        '    Given these rows exist in the table "products":\n'
        "      | sku          | name | price | stock |\n"
        "      | C-${unique}  | c    | 1.00  | 1     |\n"
        '    When I run the SQL script "sql/slow.sql"\n'
    )
    before = snapshot(running)
    process = start_run(running, "--no-report", str(feature.relative_to(running)))
    wait_until(lambda: sleeping(running), process, "the cleanup's SLEEP", 30, 0.05)
    interrupt(process, "SIGINT inside a cleanup")
    assert snapshot(running) == before  # the seeded row went too (or was swept)


def test_sigint_while_the_report_is_written_leaves_no_half_report(project: Path) -> None:
    (project / "node_modules").symlink_to(REPO / "node_modules")
    process = start_run(project, "features/interface/inventory_api.feature")
    wait_for_environment(project)
    reports = project / "reports"
    wait_until(lambda: list(reports.glob(".allure-report-*")), process, "the report build", 120)
    interrupt(process, "SIGINT while the report is built")
    assert not list(reports.glob(".allure-report-*")), "a half-built report was left"
    assert not (reports / "allure-report" / "index.html").exists()
    assert (reports / "junit" / "junit.xml").read_text().startswith("<?xml")
    assert len(list((reports / "allure-results").glob("*-result.json"))) == 6


def test_a_second_signal_kills_the_workers_and_the_run_still_cleans_after_them(
    running: Path,
) -> None:
    """The first SIGINT interrupts the wait; the worker then sits in a slow cleanup;
    the second kills it. What it had started and written must still go."""
    feature = slow_to_clean_up(
        running, "twice.feature", "Feature: Twice\n  Scenario: Interrupted twice\n", "T", 5,
        '    When I send a GET request to "/health"\n    And I run the SQL script "sql/slow.sql"\n',
    )  # fmt: skip
    before = snapshot(running)
    process = start_run(running, "--no-report", "--workers", "2", str(feature.relative_to(running)))
    deadline = time.monotonic() + 60
    pid = worker_service(running, process)
    time.sleep(0.5)  # into the 60-second wait
    process.send_signal(signal.SIGINT)
    left = deadline - time.monotonic()
    wait_until(lambda: sleeping(running), process, "the cleanup's SLEEP", left, pause=0.05)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    output, _ = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 130, output
    print(f"a second signal: out {took:.2f} s after it")
    assert took < 2, output  # out at once, the stop, the sweep and the summary included
    assert not pid_alive(pid), f"orders_isolated (pid {pid}) outlived its killed worker"
    assert f"stopped service orders_isolated (pid {pid})" in output, output
    assert "swept 1 row(s) left behind" in output, output
    assert snapshot(running) == before
