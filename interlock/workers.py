"""Running behave in worker processes: one long-lived behave per batch of locations.

The parent has started (or attached to) the environment; every worker's hooks
attach to it through the runtime file. Workers write into the same Allure results
folder and each into its own JUnit folder (merged afterwards). Each gets a distinct
``INTERLOCK_WORKER`` id, which ``${unique}`` includes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from interlock.allure_formatter import KEEP_RESULTS
from interlock.selection import ScenarioRef

WORKER_ENV = "INTERLOCK_WORKER"


@dataclass
class Batch:
    worker: str
    scenarios: list[ScenarioRef]


@dataclass
class BehaveCommand:
    """What every worker's behave gets: environment, config overrides, output folders."""

    root: Path
    env_name: str
    overrides: Sequence[str]
    junit_parts: Path
    lists_dir: Path
    logs_dir: Path

    def for_batch(self, batch: Batch) -> list[str]:
        self.lists_dir.mkdir(parents=True, exist_ok=True)
        listing = self.lists_dir / f"{batch.worker}.txt"
        # behave reads paths in an @file relative to that file: write them absolute.
        listing.write_text("".join(f"{self.root / s.file}:{s.line}\n" for s in batch.scenarios))
        command = [sys.executable, "-m", "behave", "-D", f"env={self.env_name}"]
        command += ["-D", f"{KEEP_RESULTS}=1"]
        for item in self.overrides:
            command += ["-D", item]
        command += ["--junit-directory", str(self.junit_parts / batch.worker)]
        return [*command, f"@{listing}"]


@dataclass
class Supervisor:
    """Starts workers and stops them on a signal: the first one asks every worker to
    stop gracefully (SIGINT: after-hooks and cleanups run), a second kills them."""

    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    signal: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        with self._lock:
            first = self.signal is None
            self.signal = signum
            for child in self.children:
                if child.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        child.send_signal(signal.SIGINT if first else signal.SIGKILL)

    def start(self, command: list[str], root: Path, worker: str, output: IO[bytes] | None) -> None:
        with self._lock:
            if self.signal is not None:
                return  # interrupted: start nothing new
            # Unbuffered, so a worker's log can be followed while it runs.
            env = {**os.environ, WORKER_ENV: worker, "PYTHONUNBUFFERED": "1"}
            # Its own session: a terminal's Ctrl-C reaches only the parent, which
            # forwards it once.
            child = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.children.append(child)

    def wait(self) -> list[int]:
        codes = []
        for child in self.children:
            while True:
                try:
                    codes.append(child.wait())
                    break
                except KeyboardInterrupt:  # pragma: no cover - the handler takes SIGINT
                    continue
        self.children.clear()
        return codes


def run_batches(
    batches: Sequence[Batch],
    behave: BehaveCommand,
    supervisor: Supervisor,
    console: bool,
) -> list[int]:
    """Run the batches at the same time; returns their exit codes.

    With ``console`` (a single batch) behave writes to the terminal as usual;
    otherwise each worker writes to ``reports/logs/<worker>.log``.
    """
    handles = []
    try:
        for batch in batches:
            output = None
            if not console:
                behave.logs_dir.mkdir(parents=True, exist_ok=True)
                output = open(behave.logs_dir / f"{batch.worker}.log", "wb")  # noqa: SIM115
                handles.append(output)
            supervisor.start(behave.for_batch(batch), behave.root, batch.worker, output)
        return supervisor.wait()
    finally:
        for handle in handles:
            handle.close()


class Progress:
    """A one-line progress display on a terminal: done/total, failures, time left.

    It counts result files as workers write them; off when not on a terminal or in
    CI, where it would only fill the log.
    """

    def __init__(self, results: Path, total: int, enabled: bool) -> None:
        self.results = results
        self.total = total
        self.enabled = enabled and total > 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._started = time.monotonic()
        self._seen: dict[Path, bool] = {}

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            done, failed = self._count()
            elapsed = time.monotonic() - self._started
            left = elapsed / done * (self.total - done) if done else 0.0
            sys.stderr.write(
                f"\r\033[K{done}/{self.total} scenarios, {failed} failed, about {left:.0f} s left"
            )
            sys.stderr.flush()

    def _count(self) -> tuple[int, int]:
        for path in self.results.glob("*-result.json"):
            if path not in self._seen:
                try:
                    text = path.read_text(errors="replace")
                except OSError:
                    continue
                self._seen[path] = '"status": "failed"' in text or '"status": "broken"' in text
        return len(self._seen), sum(self._seen.values())


def progress_wanted() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")
