"""Tracked test data end to end: whatever a scenario's outcome, its rows go."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import connect_shop, interlock, start_run

pytestmark = pytest.mark.e2e

SEED = (
    '    Given these rows exist in the table "products":\n'
    "      | sku            | name | price | stock |\n"
    "      | SEED-${unique} | Seed | 1.00  | 7     |\n"
)


def snapshot(project: Path) -> dict[str, Any]:
    connection = connect_shop(project)
    tables: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT * FROM `{table}` ORDER BY 1")
            tables[table] = [tuple(map(str, row)) for row in cursor.fetchall()]
    connection.close()
    return tables


def wait_until_seeded(project: Path) -> None:
    deadline = time.monotonic() + 30
    while not any(r[0].startswith("SEED-") for r in snapshot(project)["products"]):
        assert time.monotonic() < deadline, "the row was never seeded"
        time.sleep(0.1)


def write_feature(project: Path, name: str, body: str) -> str:
    path = project / "features" / "interface" / name
    path.write_text("Feature: Cleanup\n  Scenario: One\n" + body)
    return str(path.relative_to(project))


def test_seeded_rows_are_removed_after_a_failing_scenario(running: Path) -> None:
    before = snapshot(running)
    feature = write_feature(
        running, "fails.feature", SEED + '    Then the table "products" should have 99 rows\n'
    )
    result = interlock(running, "run", "--no-report", feature)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "expected 99 rows" in result.stdout
    assert snapshot(running) == before


def test_seeded_rows_are_removed_after_ctrl_c_mid_scenario(running: Path) -> None:
    before = snapshot(running)
    feature = write_feature(
        running,
        "slow.feature",
        SEED + '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
    )
    process = start_run(running, "--no-report", feature)
    wait_until_seeded(running)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 130, output
    assert snapshot(running) == before


def test_a_database_not_marked_disposable_is_never_written(running: Path) -> None:
    before = snapshot(running)
    feature = write_feature(running, "guard.feature", SEED)
    result = interlock(
        running, "run", "--no-report", "--set", "databases.shop.disposable=false", feature
    )
    assert result.returncode == 1
    assert "database 'shop' is not marked disposable" in result.stdout
    assert "databases.shop.disposable: true" in result.stdout
    assert snapshot(running) == before


def test_the_whole_suite_leaves_the_database_as_it_found_it(running: Path) -> None:
    before = snapshot(running)
    result = interlock(running, "run", "--no-report")
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(1.5)  # let the notification worker settle
    after = snapshot(running)
    changed = {t: (len(before[t]), len(after[t])) for t in after if after[t] != before.get(t)}
    assert not changed, f"tables changed by the suite (rows before, after): {changed}"


def test_a_run_killed_with_sigkill_is_swept_by_the_next_run(running: Path) -> None:
    import psutil

    before = snapshot(running)
    feature = write_feature(
        running,
        "killed.feature",
        SEED + '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
    )
    process = start_run(running, "--no-report", feature)
    wait_until_seeded(running)
    family = [process.pid] + [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    # No chance to clean up, so the row stays: all frozen first, since a worker whose
    # run dies stops in order (interlock.lifeline) if it gets the time to.
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in family:
            os.kill(pid, sig)
    process.wait()
    assert snapshot(running) != before
    nothing = write_feature(running, "next.feature", '    Given the "orders" service\n')
    following = interlock(running, "run", "--no-report", nothing)
    assert following.returncode == 0, following.stdout + following.stderr
    assert "swept 1 row(s) left behind by a run that ended without cleaning up" in following.stderr
    assert snapshot(running) == before
