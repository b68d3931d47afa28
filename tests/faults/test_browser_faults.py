"""Signals and kill -9 while a web page step waits: no browser process survives the run.

Chromium's renderer, GPU and zygote processes are not children of the worker (nor of
Playwright's driver): they live in the browser's own process group, which the worker
records in the environment's run folder, and the run ends it when the worker could not. Each test finds that group there, stops the
run or kills its worker mid-step, and checks the group is empty afterwards (and the
``project`` fixture that nothing started inside the project is left).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from interlock.environment.processes import group_members, pid_alive
from tests.conftest import interrupt, start_run, wait_until

pytestmark = pytest.mark.e2e

WAITING = """Feature: Waiting on a page
  Scenario: Waits for a text that never comes
    Given the "storefront" page "/shop"
    Then within 60 seconds I should see "a text the shop never shows"
"""


def _browser_record(project: Path) -> dict[str, int] | None:
    """The browser's record in the run folder once it is up: its group leader and worker."""
    runtime = project / ".interlock" / "environment.json"
    if not runtime.exists():
        return None
    run_dir = json.loads(runtime.read_text()).get("run_dir")
    if not run_dir:
        return None
    for path in (Path(run_dir) / "worker-processes").glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record["name"] == "browser" and os.getpgid(record["pid"]) == record["pid"]:
            return {"pgid": record["pid"], "worker": record["owner"]}
    return None


def _in_the_waiting_step(project: Path) -> bool:
    """The page step's screenshot is written: the run is at (or in) the waiting step."""
    return any((project / "reports" / "allure-results").glob("*-attachment.png"))


def _start_waiting(project: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    feature = project / "features" / "interface" / "waiting.feature"
    feature.write_text(WAITING)
    process = start_run(project, "--no-report", str(feature.relative_to(project)))
    found: dict[str, dict[str, int]] = {}

    def browser_up() -> bool:
        with_record = _browser_record(project)
        if with_record:
            found["record"] = with_record
        return bool(with_record) and _in_the_waiting_step(project)

    wait_until(browser_up, process, "the browser step", 120, 0.05)
    record = found["record"]
    assert group_members(record["pgid"]), "the browser's group is empty while it runs"
    return process, record


def _no_browser_left(record: dict[str, int], output: str) -> None:
    members = group_members(record["pgid"])
    assert not members, f"browser processes {members} outlived the run\n{output}"
    chromium = [
        pid
        for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
        if "interlock-browser-" in _cmdline(pid)
    ]
    assert not chromium, f"Chromium's crash handlers {chromium} outlived the run\n{output}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_browser_step_leaves_no_browser(project: Path, sig: int) -> None:
    process, record = _start_waiting(project)
    if sig == signal.SIGINT:
        output, _ = interrupt(process, "SIGINT in a browser step")
    else:
        process.send_signal(sig)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 130, output
    _no_browser_left(record, output)


@pytest.mark.parametrize("how", ["the worker", "its group", "its group, the browser hung"])
def test_kill_9_of_a_worker_during_a_browser_step_leaves_no_browser(
    project: Path, how: str
) -> None:
    """Killed alone, the worker leaves Playwright's driver, which closes the browser as it
    goes; killed with its group (as a dying run's lifeline does), the driver goes too,
    and Chromium ends itself when its debugging pipe closes. A hung browser does
    neither: only the run, from the record in the run folder, ends its group."""
    process, record = _start_waiting(project)
    if how.endswith("hung"):
        os.kill(record["pgid"], signal.SIGSTOP)
    if how == "the worker":
        os.kill(record["worker"], signal.SIGKILL)
    else:
        os.killpg(os.getpgid(record["worker"]), signal.SIGKILL)
    output, _ = process.communicate(timeout=60)
    assert not pid_alive(record["worker"])
    assert process.returncode != 0, output  # the killed worker's scenario reported nothing
    _no_browser_left(record, output)
    if how.endswith("hung"):
        assert f"stopped browser (pid {record['pgid']})" in output, output
