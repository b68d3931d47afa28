"""Tracked test data end to end: whatever a scenario's outcome, its rows go."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from interlock.config import MariaDBSettings
from interlock.environment import mariadb
from tests.conftest import REPO, connect_shop, interlock, start_run, wait_until

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


def kill_family(process: subprocess.Popen[str], *signals: signal.Signals) -> None:
    """Send each signal in turn to the run and all it started, then reap the run."""
    import psutil

    family = [process.pid] + [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    for sig in signals:
        for pid in family:
            os.kill(pid, sig)
    process.wait()


def killed_then_swept(
    running: Path, process: subprocess.Popen[str], before: dict[str, Any], swept: str
) -> None:
    """Kill the run and all it started, with no chance to clean up, so its rows stay: all
    frozen first, since a worker whose run dies stops in order (interlock.lifeline) if it
    gets the time to. The next run sweeps them, saying ``swept``."""
    kill_family(process, signal.SIGSTOP, signal.SIGKILL)
    assert snapshot(running) != before
    nothing = write_feature(running, "next.feature", '    Given the "orders" service\n')
    following = interlock(running, "run", "--no-report", nothing)
    assert following.returncode == 0, following.stdout + following.stderr
    assert swept in following.stderr
    assert snapshot(running) == before


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
    before = snapshot(running)
    feature = write_feature(
        running,
        "killed.feature",
        SEED + '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
    )
    process = start_run(running, "--no-report", feature)
    wait_until_seeded(running)
    swept = "swept 1 row(s) left behind by a run that ended without cleaning up"
    killed_then_swept(running, process, before, swept)


# -- the sweep deletes only where the rows were written --------------------------------------

ENVIRONMENT = """\
extends: local
databases:
  shop:
    host: 127.0.0.1
    port: {port}
    user: shop
    password: shop-secret
    database: {schema}
    embedded: false
    disposable: {disposable}
services:
  inventory: {{embedded: true}}
  orders: {{embedded: true}}
  notifications: {{embedded: true}}
"""
ORDER = (
    "INSERT INTO orders (ref, customer, sku, quantity, status) VALUES (%s, %s, 'SKU-1', 1, 'NEW')"
)


@pytest.fixture
def shared_server(
    tmp_path_factory: pytest.TempPathFactory, template_cache: Path
) -> Iterator[mariadb.RunningServer]:
    """A MariaDB that no interlock environment owns: it outlives every run, as a shared
    database does. It holds `shop` (a scratch copy) and `shop_live` (data not ours)."""
    base = tmp_path_factory.mktemp("shared-db")
    (base / "run").mkdir()
    server = mariadb.start_server(
        MariaDBSettings(cache_dir=template_cache), base / "state", base / "run"
    )
    try:
        schema = [REPO / "demo" / "schema" / "shop.sql"]
        for name in ("shop", "shop_live"):
            mariadb.prepare_database(server.port, name, "shop", "shop-secret", schema)
        yield server
    finally:
        mariadb.stop_server(server.pid)


def orders(port: int, schema: str) -> list[tuple[str, str]]:
    connection = pymysql.connect(
        host="127.0.0.1", port=port, user="shop", password="shop-secret", database=schema,
        ssl_disabled=True, autocommit=True,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT ref, customer FROM orders ORDER BY ref")
        rows = [(str(ref), str(customer)) for ref, customer in cursor.fetchall()]
    connection.close()
    return rows


def add_order(port: int, schema: str, ref: str, customer: str) -> None:
    connection = pymysql.connect(
        host="127.0.0.1", port=port, user="shop", password="shop-secret", database=schema,
        ssl_disabled=True, autocommit=True,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(ORDER, (ref, customer))
    connection.close()


def test_a_killed_runs_rows_are_swept_only_in_its_own_environment(
    project: Path, shared_server: mariadb.RunningServer
) -> None:
    """Issue 13, item 2: a `shop` of the same name in the next run's environment, not
    disposable, kept its rows; the run of the killed run's environment swept them."""
    port = shared_server.port
    config = project / "config"
    config.joinpath("scratch.yaml").write_text(
        ENVIRONMENT.format(port=port, schema="shop", disposable="true")
    )
    config.joinpath("shared.yaml").write_text(
        ENVIRONMENT.format(port=port, schema="shop_live", disposable="false")
    )
    for ref in ("LIVE-1", "LIVE-2"):
        add_order(port, "shop_live", ref, "alice")  # the orders that are not ours
    add_order(port, "shop_live", "LIVE-3", "carol")
    add_order(port, "shop", "OURS-0", "carol")
    live = orders(port, "shop_live")

    killed = write_feature(
        project,
        "killed.feature",
        '    Given rows of the table "orders" where "customer" is "alice" are removed after'
        " the scenario\n"
        '    And these rows exist in the table "orders":\n'
        "      | ref    | customer | sku   | quantity | status |\n"
        "      | OURS-1 | alice    | SKU-1 | 1        | NEW    |\n"
        '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
    )
    process = start_run(project, "--no-report", killed, env={"INTERLOCK_ENV": "scratch"})
    wait_until(lambda: ("OURS-1", "alice") in orders(port, "shop"), process, "the order was seeded")
    add_order(port, "shop", "OURS-2", "alice")  # as if the system under test made it
    kill_family(process, signal.SIGKILL)  # no chance to clean up: both orders stay

    reading = write_feature(project, "next.feature", '    Given the "orders" service\n')
    shared = interlock(project, "run", "--no-report", reading, env={"INTERLOCK_ENV": "shared"})
    assert shared.returncode == 0, shared.stdout + shared.stderr
    assert "swept" not in shared.stderr, shared.stderr
    assert orders(port, "shop_live") == live  # Alice's real orders are still there
    kept = (
        "kept 2 journal entries (a row of orders where ref='OURS-1', customer='alice',"
        " sku='SKU-1', quantity='1', status='NEW'; rows of orders where customer='alice')"
        f" for environment scratch (database shop at 127.0.0.1:{port}/shop): not this run's"
        " environment (shared); run interlock with --env scratch to sweep them; they are in "
    )
    assert shared.stderr.count(kept) == 1, shared.stderr  # two sweeps, said once

    home = interlock(project, "run", "--no-report", reading, env={"INTERLOCK_ENV": "scratch"})
    assert home.returncode == 0, home.stdout + home.stderr
    assert "swept 2 row(s) left behind by a run that ended without cleaning up" in home.stderr
    assert "kept" not in home.stderr, home.stderr
    assert orders(port, "shop") == [("OURS-0", "carol")]
    assert orders(port, "shop_live") == live
    assert not list((project / ".interlock" / "journal").glob("*.jsonl"))


def test_a_killed_local_run_is_not_swept_into_the_next_environments_database(
    project: Path, shared_server: mariadb.RunningServer
) -> None:
    """The issue's own steps: kill -9 a `local` run, then run an environment whose `shop`
    is external and not disposable. The killed run's embedded server went with its
    environment, and its rows with it: its entries are closed, nothing is deleted."""
    port = shared_server.port
    (project / "config" / "mine.yaml").write_text(
        ENVIRONMENT.format(port=port, schema="shop_live", disposable="false")
    )
    for ref in ("LIVE-1", "LIVE-2"):
        add_order(port, "shop_live", ref, "alice")
    live = orders(port, "shop_live")

    def seeded() -> bool:
        try:
            return "SEED-" in str(snapshot(project)["products"])
        except (OSError, ValueError, KeyError, pymysql.MySQLError):
            return False  # the environment is not up yet

    killed = write_feature(
        project,
        "killed.feature",
        '    Given rows of the table "orders" where "customer" is "alice" are removed after'
        " the scenario\n" + SEED + '    Then within 60 seconds the table "orders" should contain:\n'
        "      | customer |\n      | nobody   |\n",
    )
    process = start_run(project, "--no-report", killed)  # local: everything embedded
    wait_until(seeded, process, "the row was seeded")
    kill_family(process, signal.SIGKILL)

    reading = write_feature(project, "next.feature", '    Given the "orders" service\n')
    mine = interlock(project, "run", "--no-report", reading, env={"INTERLOCK_ENV": "mine"})
    assert mine.returncode == 0, mine.stdout + mine.stderr
    assert "swept" not in mine.stderr, mine.stderr
    assert orders(port, "shop_live") == live
    assert "closed 2 journal entries (a row of products where sku='SEED-" in mine.stderr
    assert "for environment local (database shop at 127.0.0.1:" in mine.stderr
    assert "that embedded server and its data are gone, and the rows with them" in mine.stderr
    assert not list((project / ".interlock" / "journal").glob("*.jsonl"))


PROBE = (
    "    Then the operation \"POST /products\" of the \"inventory\" API should keep its"
    " contract for 5000 generated requests\n"
)


def test_a_worker_killed_while_probing_has_its_probed_rows_swept_by_the_next_run(
    running: Path,
) -> None:
    before = snapshot(running)
    path = running / "features" / "interface" / "probed.feature"
    path.write_text("Feature: Probed\n  @serial\n  Scenario: One\n" + PROBE)
    feature = str(path.relative_to(running))
    process = start_run(
        running, "--no-report", "--set", "probing.seconds=300", "--set", "probing.seed=7", feature
    )
    # The probe has made the service create products (201 answers) beyond the snapshot.
    wait_until(
        lambda: len(snapshot(running)["products"]) > len(before["products"]) + 3,
        process,
        "the probe to create products",
    )
    killed_then_swept(
        running, process, before, "row(s) left behind by a run that ended without cleaning up"
    )
