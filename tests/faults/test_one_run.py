"""One run per checkout at a time, and workers that die with their run.

Two ``interlock run`` in one checkout used to damage each other (one emptied the
results the other was writing, one stopped the environment under the other); a run
killed with ``kill -9`` left its behave worker running unsupervised, into the next
run's results and environment."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from interlock.environment.processes import group_members, pid_alive
from tests.conftest import behave, interlock, processes_under, start_run, wait_until
from tests.e2e.test_database_cleanup import snapshot
from tests.faults.test_signals import sleeping, slow_to_clean_up, worker_service

pytestmark = pytest.mark.e2e

QUICK = (
    "Feature: Quick\n  Scenario: Answers its health check\n"
    '    Given the "inventory" service\n'
    '    When I send a GET request to "/health"\n'
    "    Then the response status should be 200\n"
)


SLOW = 'Feature: Slow\n  Scenario: Takes its time\n    When I run the SQL script "sql/slow.sql"\n'


def results(project: Path) -> list[tuple[str, str]]:
    """(name, status) of every scenario result in the project's results folder."""
    folder = project / "reports" / "allure-results"
    found = [json.loads(p.read_text()) for p in folder.glob("*-result.json")]
    return sorted((r["name"], r["status"]) for r in found)


def behave_workers(project: Path) -> list[int]:
    """The run's behave workers: fresh ones by their command line, forked ones
    (INTERLOCK_WORKER_START=fork) by the run lock, which records every worker."""
    lock = (project / ".interlock" / "run.lock").read_text().split("\n")
    recorded = {int(line.split()[1]) for line in lock if line.startswith("worker ")}
    return [
        pid
        for pid in processes_under(project)
        if "-m behave" in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        or pid in recorded
    ]


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is in the group (``killpg(pgid, 0)`` counts
    zombies, which an init that does not reap leaves)."""
    return bool(group_members(pgid))


def test_a_second_run_in_the_same_checkout_stops_and_the_first_passes_intact(
    running: Path,
) -> None:
    sql = running / "features" / "data" / "sql"
    (sql / "slow.sql").write_text("SELECT SLEEP(5);\n")
    slow = running / "features" / "interface" / "slow.feature"
    slow.write_text(SLOW)
    quick = running / "features" / "interface" / "quick.feature"
    quick.write_text(QUICK)
    first = start_run(running, "--no-report", str(slow.relative_to(running)))
    wait_until(lambda: sleeping(running), first, "the first run's slow step", 60, 0.05)
    # The first run's results folder, as it is while it runs: the second must not touch it.
    marker = running / "reports" / "allure-results" / "first-run.marker"
    marker.write_text("")

    second = interlock(running, "run", "--no-report", str(quick.relative_to(running)))

    assert second.returncode == 2, second.stdout + second.stderr
    assert (
        f"another run (pid {first.pid}) is using this checkout: wait for it or stop it"
        in second.stderr
    ), second.stderr
    assert f"pid {first.pid} is `interlock run`" in second.stderr
    assert marker.exists(), "the second run emptied the first run's results"
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    assert results(running) == [("Takes its time", "passed")]
    # The lock went with the first run: the checkout is free again.
    again = interlock(running, "run", "--no-report", str(quick.relative_to(running)))
    assert again.returncode == 0, again.stdout + again.stderr
    assert results(running) == [("Answers its health check", "passed")]


def test_down_and_up_wait_their_turn_too(running: Path) -> None:
    sql = running / "features" / "data" / "sql"
    (sql / "slow.sql").write_text("SELECT SLEEP(5);\n")
    slow = running / "features" / "interface" / "slow.feature"
    slow.write_text(SLOW)
    first = start_run(running, "--no-report", str(slow.relative_to(running)))
    wait_until(lambda: sleeping(running), first, "the run's slow step", 60, 0.05)
    for command in ("down", "up", "report", "signoff", "merge", "doctor"):
        refused = interlock(running, command, *(["reports"] if command == "merge" else []))
        assert refused.returncode == 2, (command, refused.stdout + refused.stderr)
        assert f"another run (pid {first.pid}) is using this checkout" in refused.stderr
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output  # its environment was not stopped under it
    assert results(running) == [("Takes its time", "passed")]


def test_a_killed_run_takes_its_workers_with_it_and_the_next_reports_only_its_own(
    running: Path,
) -> None:
    # Its cleanup takes a while (2 s): the worker outlives the run by that much, and must
    # be waited for before the next run clears its results.
    killed = slow_to_clean_up(
        running, "killed.feature", "Feature: Killed\n  Scenario: Its run is killed\n", "K", 2,
        '    When I run the SQL script "sql/slow.sql"\n',
    )  # fmt: skip
    quick = running / "features" / "interface" / "quick.feature"
    quick.write_text(QUICK)
    before = snapshot(running)
    run = start_run(running, "--no-report", str(killed.relative_to(running)))
    service = worker_service(running, run)
    wait_until(lambda: seeded(running), run, "the scenario's row", 30, 0.05)
    (worker,) = behave_workers(running)
    assert os.getpgid(worker) == worker  # it leads its own group

    run.send_signal(signal.SIGKILL)
    run.wait()
    killed_at = time.monotonic()
    following = start_run(running, "--no-report", str(quick.relative_to(running)))
    gone = lambda: not pid_alive(worker) and not group_alive(worker) and not pid_alive(service)  # noqa: E731
    wait_until(gone, following, "the killed run's worker and its service to go", 30, 0.05)
    took = time.monotonic() - killed_at
    print(f"kill -9 of the run: its worker gone {took:.2f} s later")
    # Within its own bound (lifeline.ORPHAN_LIMIT, 10 s); its cleanups take 2 s of it.
    assert took < 12, f"the worker outlived its run by {took:.1f} s"

    output, _ = following.communicate(timeout=120)
    assert following.returncode == 0, output
    assert results(running) == [("Answers its health check", "passed")], output
    assert snapshot(running) == before  # its row went: by its cleanup, or swept


def seeded(project: Path) -> bool:
    rows = snapshot(project)["products"]
    return any(row[0].startswith("K-") for row in rows)


def test_plain_behave_is_a_run_too_and_still_attaches_to_interlock_up(running: Path) -> None:
    (running / "features" / "data" / "sql" / "slow.sql").write_text("SELECT SLEEP(5);\n")
    slow = running / "features" / "interface" / "slow.feature"
    slow.write_text(SLOW)
    quick = running / "features" / "interface" / "quick.feature"
    quick.write_text(QUICK)
    attached = behave(running, str(quick.relative_to(running)), env={"INTERLOCK_ENV": "local"})
    assert attached.returncode == 0, attached.stdout + attached.stderr
    assert "MariaDB up" not in attached.stderr  # the environment of `interlock up`
    assert results(running) == [("Answers its health check", "passed")]

    first = start_run(running, "--no-report", str(slow.relative_to(running)))
    wait_until(lambda: sleeping(running), first, "the run's slow step", 60, 0.05)
    marker = running / "reports" / "allure-results" / "first-run.marker"
    marker.write_text("")
    refused = behave(running, str(quick.relative_to(running)), env={"INTERLOCK_ENV": "local"})
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"another run (pid {first.pid}) is using this checkout" in refused.stderr
    assert marker.exists(), "plain behave emptied the run's results"
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    assert results(running) == [("Takes its time", "passed")]
