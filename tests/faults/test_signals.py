"""Signals at more points of a run than a step: inside a cleanup, and while the report
is being written. Each must end with exit 130 within the 7.5 s CI systems grant,
leave the database as it was, and leave nothing half-written or running.
``scripts/soak_signals.sh`` repeats these (and the in-step ones) 20 times."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, connect_shop, start_run, wait_for_environment
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
    deadline = time.monotonic() + 30
    while not sleeping(running):
        assert time.monotonic() < deadline, "the cleanup never reached its SLEEP"
        assert process.poll() is None, "the run ended first"
        time.sleep(0.05)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 130, output
    assert time.monotonic() - sent < 7.5
    assert snapshot(running) == before  # the seeded row went too (or was swept)


def test_sigint_while_the_report_is_written_leaves_no_half_report(project: Path) -> None:
    (project / "node_modules").symlink_to(REPO / "node_modules")
    process = start_run(project, "features/interface/inventory_api.feature")
    wait_for_environment(project)
    reports = project / "reports"
    deadline = time.monotonic() + 120
    while not list(reports.glob(".allure-report-*")):
        assert time.monotonic() < deadline, "the report was never started"
        assert process.poll() is None, "the run ended before its report was built"
        time.sleep(0.02)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 130, output
    assert time.monotonic() - sent < 7.5
    assert not list(reports.glob(".allure-report-*")), "a half-built report was left"
    assert not (reports / "allure-report" / "index.html").exists()
    assert (reports / "junit" / "junit.xml").read_text().startswith("<?xml")
    assert len(list((reports / "allure-results").glob("*-result.json"))) == 5


def test_a_second_signal_stops_at_once_and_the_rows_are_still_swept(running: Path) -> None:
    feature = running / "features" / "interface" / "twice.feature"
    feature.write_text(
        "Feature: Twice\n  Scenario: Interrupted twice\n"
        '    Given these rows exist in the table "products":\n'
        "      | sku         | name | price | stock |\n"
        "      | T-${unique} | t    | 1.00  | 1     |\n"
        '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n"
    )
    before = snapshot(running)
    process = start_run(running, "--no-report", "--workers", "2", str(feature.relative_to(running)))
    deadline = time.monotonic() + 30
    while not any(r[0].startswith("T-") for r in snapshot(running)["products"]):
        assert time.monotonic() < deadline, "the row was never seeded"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 130, output
    took = time.monotonic() - sent
    print(f"out {took:.2f} s after the second signal")
    assert took < 2  # out at once, the sweep and the summary included
    assert snapshot(running) == before
