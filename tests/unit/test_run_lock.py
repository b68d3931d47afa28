"""One run per checkout: the lock, who holds it, and the workers a killed run left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock import run_lock
from interlock.environment.processes import group_members, pid_alive, start_time
from interlock.errors import ExitCode

HOLD = (
    "import sys, time; from pathlib import Path; from interlock import run_lock;"
    " run_lock.take(Path(sys.argv[1]), 'interlock run'); print('held', flush=True);"
    " time.sleep(60)"
)


def holder(state: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    return process


def test_a_second_taker_is_told_who_holds_the_checkout(tmp_path: Path) -> None:
    first = holder(tmp_path)
    try:
        with pytest.raises(run_lock.CheckoutBusy) as busy:
            run_lock.take(tmp_path, "interlock run")
        assert busy.value.exit_code == ExitCode.COULD_NOT_RUN
        assert busy.value.message == (
            f"another run (pid {first.pid}) is using this checkout: wait for it or stop it"
        )
        assert f"pid {first.pid} is `interlock run`" in str(busy.value)
    finally:
        first.kill()
        first.wait()
    # The kernel released it with its holder: no stale lock, whatever the file says.
    lock = run_lock.take(tmp_path, "interlock up")
    try:
        assert (tmp_path / run_lock.LOCK_FILE).read_text() == f"pid {os.getpid()} interlock up\n"
    finally:
        run_lock.release_all()
    assert (tmp_path / run_lock.LOCK_FILE).read_text() == ""
    assert lock.path not in run_lock._held


def test_a_killed_runs_worker_is_waited_for_then_its_group_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_lock, "ORPHAN_LIMIT", 0.5)
    monkeypatch.setattr(run_lock, "STRAGGLER_MARGIN", 0.0)
    # A worker that would never stop (it leads its own group, with a helper in it).
    worker = subprocess.Popen(["sh", "-c", "sleep 60 & exec sleep 60"], start_new_session=True)
    quick = subprocess.Popen(["sleep", "0.3"], start_new_session=True)
    deadline = time.monotonic() + 5
    while len(group_members(worker.pid)) < 2:
        assert time.monotonic() < deadline, "the worker's helper never started"
        time.sleep(0.02)
    lines = [f"worker {p.pid} {start_time(p.pid)}\n" for p in (worker, quick)]
    reused = f"worker {os.getpid()} 1\n"  # this pid, started at another time: not it
    (tmp_path / run_lock.LOCK_FILE).write_text(
        "pid 999999 interlock run\n" + "".join(lines) + reused
    )
    said: list[str] = []
    try:
        run_lock.take(tmp_path, "interlock run", said.append)
    finally:
        run_lock.release_all()
        worker.wait(5)
        quick.wait(5)
    assert said[0] == (
        "waiting for 2 worker(s) of a run that was killed (pid 999999) to stop"
        f" (pid {worker.pid}, {quick.pid})"
    )
    assert said[1:] == [f"killing worker pid {worker.pid}: it did not stop in time"]
    assert quick.returncode == 0  # it stopped on its own, and was left to
    assert worker.returncode == -signal.SIGKILL
    assert group_members(worker.pid) == []


CHILD = """
import os, sys, time
from pathlib import Path
from interlock import lifeline
lifeline.ORPHAN_LIMIT = 1.0
marks = Path(sys.argv[1])
lifeline.follow_parent(lambda frame: (marks / "stopping").touch(),
                       lambda: (marks / "killing").touch())
(marks / "following").touch()
time.sleep(60)
"""

PARENT = """
import os, subprocess, sys, time
from interlock import lifeline
child = subprocess.Popen(
    [sys.executable, "-c", sys.argv[1], sys.argv[2]], start_new_session=True,
    env={**os.environ, lifeline.PARENT_ENV: str(os.getpid())},
    preexec_fn=lifeline.killed_with_parent(os.getpid()),
)
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_worker_stops_when_its_run_dies_then_is_killed_past_the_bound(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    while not (tmp_path / "following").exists():
        assert time.monotonic() < deadline, "the child never followed its parent"
        time.sleep(0.02)
    assert not (tmp_path / "stopping").exists()
    parent.kill()
    parent.wait()
    killed = time.monotonic()
    while pid_alive(child):
        assert time.monotonic() < killed + 5, "the child outlived its parent"
        time.sleep(0.02)
    assert (tmp_path / "stopping").exists()  # told at once: a graceful stop first
    assert (tmp_path / "killing").exists()  # then its services, and its group
    assert time.monotonic() - killed >= 0.9  # not before its bound (1 s in CHILD)


def test_a_worker_not_yet_following_dies_with_its_run_at_once(tmp_path: Path) -> None:
    sleeper = "import time; time.sleep(60)"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, sleeper, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while pid_alive(child):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.02)
