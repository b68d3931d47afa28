"""Stopping a process interlock started: its whole process group goes with it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from interlock.environment.processes import _group_members, pid_alive, stop_process

STUBBORN = (
    "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    " pathlib.Path(sys.argv[1]).touch(); time.sleep(30)"
)


def test_what_a_leader_started_in_its_group_does_not_outlive_it(tmp_path: Path) -> None:
    # The leader ends on SIGTERM; the helper it started ignores SIGTERM (as a CLI's
    # helpers may), and must still be gone when stop_process returns.
    ready = tmp_path / "ignoring-sigterm"
    leader = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -c '{STUBBORN}' {ready} & exec sleep 30"],
        start_new_session=True,
    )
    deadline = time.monotonic() + 5
    while not ready.exists():
        assert time.monotonic() < deadline, "the helper never started"
        time.sleep(0.02)
    helper = next(pid for pid in _group_members(leader.pid) if pid != leader.pid)
    stop_process(leader.pid, timeout=2)
    assert not pid_alive(leader.pid)
    assert not pid_alive(helper)
    assert _group_members(leader.pid) == []
