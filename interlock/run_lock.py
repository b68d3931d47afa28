"""One run per checkout at a time.

Two runs in one checkout damage each other: each clears the results the other is
writing, and the one that started the environment stops it under the other. So every
command that clears or writes the reports, or starts or stops the environment, holds
an exclusive ``flock`` on ``<state>/run.lock`` while it works: ``interlock run``,
``merge``, ``signoff``, ``report`` (not while it serves), ``doctor`` (it may start an
environment and stop it), ``up``, ``down``, and plain ``behave`` (not the workers of
``interlock run``, whose run holds it). ``lint``, ``steps`` and ``init`` touch neither.
A second one stops before it writes anything: "another run (pid N) is using this
checkout", exit 2. The kernel releases the lock when its holder ends, however it
ends, so it is never stale.

The file names its holder (``pid N COMMAND`` on the first line), then the workers the
holder started (``worker PID START``). A run that was killed leaves those lines: the
next holder waits for such a worker to stop (it stops on its own, see
:mod:`interlock.lifeline`), then kills what is left of its process group, before it
touches anything, so that nothing of the dead run writes into the new one's results.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interlock.environment.processes import end_group, group_members, pid_alive, start_time
from interlock.errors import InterlockError
from interlock.folders import writable_folder
from interlock.lifeline import ORPHAN_LIMIT

LOCK_FILE = "run.lock"
READ_AGAIN = 1.0  # seconds to look again when the holder has not yet written its pid
STRAGGLER_MARGIN = 3.0  # beyond a worker's own ORPHAN_LIMIT, before it is killed

Report = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class CheckoutBusy(InterlockError):
    """Another run holds this checkout (exit 2: this one could not run)."""


@dataclass(frozen=True)
class Straggler:
    """A worker recorded by an earlier holder of the lock."""

    pid: int
    started: int  # its start time (/proc): a pid reused since is someone else

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid) and start_time(self.pid) == self.started


class RunLock:
    """This process's hold on the checkout; released by :meth:`release` or its death."""

    def __init__(self, path: Path, fd: int, command: str) -> None:
        self.path = path
        self.fd = fd
        self.command = command

    def add_worker(self, pid: int) -> None:
        """Record a worker this run started (called as it starts)."""
        started = start_time(pid)
        if started is not None:
            os.lseek(self.fd, 0, os.SEEK_END)
            os.write(self.fd, f"worker {pid} {started}\n".encode())

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)  # a free lock names nobody
        with contextlib.suppress(OSError):
            os.close(self.fd)  # closing the only descriptor releases the flock
        _held.pop(self.path, None)

    def _write(self, text: str) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text.encode(), 0)


_held: dict[Path, RunLock] = {}  # by lock file: a process takes each checkout once


def take(state_dir: Path, command: str, report: Report = _quiet) -> RunLock:
    """Hold the checkout whose state folder is ``state_dir`` (this process keeps it until
    :func:`release_all` or its end); :class:`CheckoutBusy` when another process does.

    A run killed before it stopped its workers is dealt with first (see the module)."""
    path = state_dir / LOCK_FILE
    if path in _held:
        return _held[path]
    writable_folder(
        state_dir,
        "the run's state",
        "make the state folder (config paths.state) a writable directory",
    )
    try:
        # Not inherited by what this process starts (Python's default), or a service
        # started by the run would keep the checkout locked after the run ended.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InterlockError(
            f"cannot use the lock file {path}: {exc.strerror or exc}",
            hint="the state folder (config paths.state) must be a writable directory",
        ) from None
    try:
        _lock(fd, path)
        previous = _read(fd)
        lock = RunLock(path, fd, command)
        stragglers = _stragglers(previous)
        # Named at once, for whoever comes next; the stragglers' lines stay until they
        # are gone, in case this process is killed meanwhile.
        lock._write(f"pid {os.getpid()} {command}\n" + "".join(_worker_lines(previous)))
        _end_stragglers(stragglers, _holder(previous), report)
        from interlock import background_report  # a report the last run left building

        background_report.stop(state_dir)
        lock._write(f"pid {os.getpid()} {command}\n")
    except BaseException:
        os.close(fd)
        raise
    _held[path] = lock
    return lock


def forget_inherited() -> None:
    """In a forked child (the background report build): close the inherited
    descriptors without unlocking, so that the lock goes with its holder alone."""
    for lock in list(_held.values()):
        with contextlib.suppress(OSError):
            os.close(lock.fd)
    _held.clear()


def release_all() -> None:
    """Release every checkout this process holds (a command is done)."""
    for lock in list(_held.values()):
        lock.release()


def _lock(fd: int, path: Path) -> None:
    deadline = time.monotonic() + READ_AGAIN
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(_read(fd))
            # No pid yet (the holder has only just taken it), or a dead one (it is
            # gone and the next has not written its own): look again, briefly.
            if (holder is not None and pid_alive(holder[0])) or time.monotonic() > deadline:
                raise _busy(holder, path) from None
            time.sleep(0.05)


def _busy(holder: tuple[int, str] | None, path: Path) -> CheckoutBusy:
    if holder is None:
        return CheckoutBusy(
            "another run is using this checkout: wait for it or stop it",
            hint=f"the lock is {path}",
        )
    pid, command = holder
    return CheckoutBusy(
        f"another run (pid {pid}) is using this checkout: wait for it or stop it",
        hint=f"pid {pid} is `{command}`; one run per checkout at a time"
        " (a second one would clear its results and stop its environment)",
    )


def _read(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 1 << 16, 0).decode(errors="replace")
    return ""


def _holder(text: str) -> tuple[int, str] | None:
    first = text.split("\n", 1)[0].split(" ", 2)
    if len(first) >= 2 and first[0] == "pid" and first[1].isdigit():
        return int(first[1]), first[2] if len(first) == 3 else "?"
    return None


def _worker_lines(text: str) -> list[str]:
    return [line + "\n" for line in text.splitlines() if line.startswith("worker ")]


def _stragglers(text: str) -> list[Straggler]:
    found = []
    for line in _worker_lines(text):
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found.append(Straggler(int(parts[1]), int(parts[2])))
    return found


def _end_stragglers(
    stragglers: list[Straggler], holder: tuple[int, str] | None, report: Report
) -> None:
    """Wait for the workers of a run that ended without waiting for them (it was
    killed); they stop on their own within ORPHAN_LIMIT. What is left is killed."""
    alive = [s for s in stragglers if s.alive]
    if alive:
        who = f" (pid {holder[0]})" if holder else ""
        report(
            f"waiting for {len(alive)} worker(s) of a run that was killed{who} to stop"
            f" (pid {', '.join(str(s.pid) for s in alive)})"
        )
    deadline = time.monotonic() + ORPHAN_LIMIT + STRAGGLER_MARGIN
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [s for s in alive if s.alive]
    for straggler in stragglers:
        if straggler in alive and straggler.alive:
            report(f"killing worker pid {straggler.pid}: it did not stop in time")
            end_group(straggler.pid)  # it leads its own group: all of it goes
        elif not pid_alive(straggler.pid) and group_members(straggler.pid):
            # Gone, but not what it started in its group (while a group has members,
            # its id is not given to a new process: these are the worker's).
            end_group(straggler.pid)
