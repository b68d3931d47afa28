"""Measuring one command: wall time, CPU of its process tree, peak memory.

- wall: ``perf_counter`` around the whole process, start to exit;
- CPU: user+sys from ``os.wait4`` on the command, which includes every descendant
  it waited for (behave workers, behavex's pool). The latency server is started by
  ``interlock up``, not by the command, so it is never counted;
- other CPU: what the whole machine spent outside the tree meanwhile (the service
  under test, the sampler, and anything else running: a noise indicator);
- memory: the RSS of every process of the tree is sampled every ``interval``
  seconds with psutil; we keep each process's peak and the peak of their sum, and
  ``ru_maxrss`` (the largest single process, exact, from the kernel).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MB = 1024 * 1024


@dataclass
class ProcessPeak:
    pid: int
    ppid: int
    cmdline: str
    rss: int = 0  # bytes
    uss: int = 0  # bytes: its own pages (not shared with the run it was forked from)


@dataclass
class Measurement:
    wall: float  # seconds
    cpu: float  # user+sys seconds of the whole tree
    code: int
    maxrss: int  # bytes, largest single process (kernel)
    tree_rss: int  # bytes, peak of the sampled sum over the tree
    pid: int = 0  # the measured command's
    processes: dict[int, ProcessPeak] = field(default_factory=dict)
    output: str = ""
    log: Path | None = None
    timed_out: bool = False
    outside: float = 0.0  # busy CPU seconds of the machine outside the tree (service, others)

    def workers(self) -> list[ProcessPeak]:
        """The behave processes of the tree (interlock's workers, or plain behave): fresh
        ones by their command line, forked ones as the children of the measured command
        that carry its command line (a fork keeps it)."""
        root = self.processes.get(self.pid)
        return [
            p
            for p in self.processes.values()
            if " -m behave " in f" {p.cmdline} "
            or (root is not None and p.ppid == root.pid and p.cmdline == root.cmdline)
        ]

    def root_peak(self) -> int:
        root = self.processes.get(self.pid)
        return root.rss if root else 0


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float, private: bool = False) -> None:
        super().__init__(daemon=True)
        self.private = private  # also each process's own pages (USS: reads smaps, slower)
        self.root = pid
        self.interval = interval
        self.stop = threading.Event()
        self.peaks: dict[int, ProcessPeak] = {}
        self.tree_rss = 0

    def run(self) -> None:
        try:
            root = psutil.Process(self.root)
        except psutil.Error:
            return
        while not self.stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for proc in tree:
                try:
                    rss = int(proc.memory_info().rss)
                    peak = self.peaks.get(proc.pid)
                    if peak is None:
                        peak = ProcessPeak(proc.pid, proc.ppid(), " ".join(proc.cmdline()))
                        self.peaks[proc.pid] = peak
                except psutil.Error:
                    continue
                peak.rss = max(peak.rss, rss)
                if self.private:
                    with contextlib.suppress(psutil.Error):
                        peak.uss = max(peak.uss, int(proc.memory_full_info().uss))
                total += rss
            self.tree_rss = max(self.tree_rss, total)
            self.stop.wait(self.interval)


def run(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    timeout: float = 1800.0,
    interval: float = 0.05,
    private: bool = False,
) -> Measurement:
    """Run ``command`` to its end (its output into ``log``) and measure it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        busy_before = _busy()
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = _Sampler(process.pid, interval, private)
        sampler.start()
        fired = threading.Event()
        watchdog = threading.Timer(timeout, _stop_tree, args=(process.pid, fired))
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
        busy = _busy() - busy_before
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(
        wall=wall,
        cpu=cpu,
        code=process.returncode,
        maxrss=usage.ru_maxrss * 1024,  # Linux reports KiB
        tree_rss=sampler.tree_rss,
        pid=process.pid,
        processes=sampler.peaks,
        output=log.read_text(errors="replace"),
        log=log,
        timed_out=fired.is_set(),
        outside=max(0.0, busy - cpu),
    )


def wait_quiet(limit: float, max_wait: float) -> tuple[float, float]:
    """Wait (up to ``max_wait`` s) until the machine's CPU use over one second is under
    ``limit`` percent of all cores: another job's burst should not land on a contender.
    Returns the seconds waited and the last reading."""
    started = time.monotonic()
    reading = psutil.cpu_percent(interval=1.0)
    while reading >= limit and time.monotonic() - started < max_wait:
        reading = psutil.cpu_percent(interval=1.0)
    return time.monotonic() - started, reading


def _busy() -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _stop_tree(pid: int, fired: threading.Event) -> None:
    """A hung command: SIGTERM it (interlock stops its workers), then SIGKILL the tree.

    Only the command's own tree is touched, by pid; the main thread reaps the command.
    """
    fired.set()
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(p) for p in tree):
        time.sleep(0.2)
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            if proc.is_running():
                proc.kill()


def _running(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running()) and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def mb(value: float) -> str:
    return f"{value / MB:.0f}"
