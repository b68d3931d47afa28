"""The HTML report and the sign-off PDF built after the run has exited (an analyst's
inner loop), so that re-running one scenario does not wait for Node and Chromium.

``interlock run`` builds them before it exits (as ever) when ``CI`` is set, when its
output is not a terminal (scripts and tests read the report as soon as the command
ends), or when ``INTERLOCK_REPORT_BUILD=wait``; otherwise (a terminal, or
``INTERLOCK_REPORT_BUILD=background``) it forks, once everything it wrote is
leak-scanned, a builder that:

- has its own session, default signal dispositions (SIGTERM and SIGHUP stop it as a
  Ctrl-C would: the Allure CLI and Chromium stopped, the half-built folder removed),
  its output in ``logs/report-build.log``, and not the run lock's descriptor;
- builds the single-file report (``allure-report/index.html``; the multi-page site is
  built by ``interlock report``, which ``--serve`` needs) and the sign-off PDF;
- scans what it built for secrets (the run's masker: configured and learned ones)
  *before* the report replaces the last one, and publishes nothing that leaks;
- is stopped by whoever takes the run lock next (:func:`stop`, from
  ``run_lock.take``), before that one clears anything it reads.

It is forked only from a process with no other thread (no lock can be inherited
held); otherwise the run builds before it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

MODE_ENV = "INTERLOCK_REPORT_BUILD"  # wait | background | (unset: by the terminal)
PID_FILE = "report-build.pid"
LOG = "report-build.log"
STOP_WAIT = 10.0  # seconds a stopped builder has to remove what it half built


def wanted(environ: dict[str, str] | None = None, interactive: bool | None = None) -> bool:
    """Build after the run exits? (see the module)."""
    environ = dict(os.environ) if environ is None else environ
    mode = environ.get(MODE_ENV, "").strip().lower()
    if mode in ("wait", "now", "0", "no"):
        return False
    if environ.get("CI"):
        return mode == "background"
    if mode == "background":
        return True
    if interactive is None:
        interactive = sys.stdout.isatty()
    return interactive


def can_fork() -> bool:
    """A builder can be forked here: Linux-like, and no other thread (whose locks the
    child would inherit held)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _started(pid: int) -> str:
    """The process's start time (field 22 of /proc/PID/stat), to tell a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def start(state_dir: Path, log: Path, build: Callable[[], int]) -> int | None:
    """Fork a builder that runs ``build`` (its exit code) and exits; its pid, or None
    when it cannot be forked safely (the caller builds now)."""
    if not can_fork():
        return None
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        (state_dir / PID_FILE).write_text(f"{pid} {_started(pid)}\n")
        return pid
    code = 1
    try:  # the child: never returns into the run's code
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        from interlock import run_lock

        run_lock.forget_inherited()  # the next run must be able to take it at once
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = build()
    except BaseException as exc:  # a child must reach os._exit
        with contextlib.suppress(Exception):
            print(f"interlock: the report build stopped: {type(exc).__name__}: {exc}", flush=True)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(state_dir: Path, reports_dir: Path | None = None) -> bool:
    """Stop a builder still at work (SIGTERM: it removes what it half built; SIGKILL
    after ``STOP_WAIT``); True when one was running."""
    path = state_dir / PID_FILE
    try:
        pid_text, _, started = path.read_text().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    running = bool(started.strip()) and _started(pid) == started.strip()
    if running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while _started(pid) == started.strip() and not _zombie(pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # ours when the same process started it
    path.unlink(missing_ok=True)
    if reports_dir is not None:
        import shutil

        for left in reports_dir.glob(".allure-report-*"):
            shutil.rmtree(left, ignore_errors=True) if left.is_dir() else left.unlink()
    return running


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True


def finished(state_dir: Path) -> None:
    """The builder's last act: it no longer needs stopping."""
    path = state_dir / PID_FILE
    with contextlib.suppress(OSError, ValueError):
        if int(path.read_text().split()[0]) == os.getpid():
            path.unlink()
