"""Small helpers for processes interlock starts: liveness, stopping by pid, log tails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from mirakuru.base import ENV_UUID


class Detachable:
    """Mixin for mirakuru executors whose process may outlive the interpreter.

    mirakuru marks children with an environment variable and kills every marked
    process when the interpreter exits; ``interlock up`` must leave them running,
    so they go unmarked and interlock stops them itself, by pid.
    """

    process: subprocess.Popen[Any] | None

    @property
    def envvars(self) -> dict[str, str]:
        envs: dict[str, str] = super().envvars  # type: ignore[misc]
        envs.pop(ENV_UUID, None)
        return envs

    def detach(self) -> None:
        """Forget the process without stopping it."""
        self.process = None


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    """The command line of a process, or '' when it is gone or unreadable."""
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def stop_process(pid: int, timeout: float = 10.0, group: bool = True) -> bool:
    """SIGTERM a process (its whole group when it leads one), SIGKILL after ``timeout``.

    Returns True if it had to be killed.
    """
    if not pid_alive(pid):
        return False
    leads = group and _leads_group(pid)
    _signal(pid, signal.SIGTERM, group)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            _reap(pid)
            if leads:
                _end_group(pid)
            return False
        time.sleep(0.02)
    _signal(pid, signal.SIGKILL, group)
    deadline = time.monotonic() + 2
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    _reap(pid)
    if leads:
        _end_group(pid)
    return True


def start_time(pid: int) -> int | None:
    """When a process started (clock ticks since boot, from /proc): with its pid, it names
    one process, where a pid alone may have been reused since."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def end_group(pgid: int) -> None:
    """SIGKILL a process group, and wait (briefly) until its members are gone."""
    _end_group(pgid)


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group."""
    return _group_members(pgid)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except (ProcessLookupError, PermissionError):
        return False


def _end_group(pgid: int, timeout: float = 2.0) -> None:
    """The leader is gone: what it started in its group goes too, and is waited for
    (a CLI's helpers must not outlive the command that stopped it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal(pid: int, sig: int, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so no zombie stays."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, indented, or a note that it is empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "    (no log written)"
    last = text.splitlines()[-lines:]
    if not last:
        return "    (the log is empty)"
    return "\n".join(f"    {line}" for line in last)
