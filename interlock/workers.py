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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from interlock.allure_formatter import KEEP_RESULTS
from interlock.learned_secrets import LEARNED_SECRETS_KEY
from interlock.lifeline import PARENT_ENV, killed_with_parent
from interlock.selection import ScenarioRef

WORKER_ENV = "INTERLOCK_WORKER"
SHARD_KEY = "interlock.shard"  # behave userdata: this run is the K/N shard of its suite


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
    scenarios_per_process: int = 500  # see chunks()
    learned_secrets: Path | None = None  # where workers share the secrets they learn
    shard: str | None = None  # "K/N" under --shard: steps that need the whole run say so

    def for_batch(self, batch: Batch) -> list[str]:
        self.lists_dir.mkdir(parents=True, exist_ok=True)
        listing = self.lists_dir / f"{batch.worker}.txt"
        # behave reads paths in an @file relative to that file: write them absolute.
        listing.write_text("".join(f"{self.root / s.file}:{s.line}\n" for s in batch.scenarios))
        command = [sys.executable, "-m", "behave", "-D", f"env={self.env_name}"]
        command += ["-D", f"{KEEP_RESULTS}=1"]
        if self.learned_secrets is not None:
            command += ["-D", f"{LEARNED_SECRETS_KEY}={self.learned_secrets}"]
        if self.shard:
            command += ["-D", f"{SHARD_KEY}={self.shard}"]
        for item in self.overrides:
            command += ["-D", item]
        command += ["--junit-directory", str(self.junit_parts / batch.worker)]
        return [*command, f"@{listing}"]


@dataclass
class Supervisor:
    """Starts workers and stops them on a signal: the first one asks every worker to
    stop gracefully (SIGINT: after-hooks and cleanups run), a second kills them.

    Each worker dies with this process (see :mod:`interlock.lifeline`); ``on_start``
    hears of each one as it starts (the run records them in its lock file)."""

    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    signal: int | None = None
    on_start: Callable[[int], None] | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        with self._lock:
            first = self.signal is None
            self.signal = signum
            for child in self.children:
                if child.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        child.send_signal(signal.SIGINT if first else signal.SIGKILL)

    def start(
        self, command: list[str], root: Path, worker: str, output: IO[bytes] | None
    ) -> subprocess.Popen[bytes] | None:
        """Start one behave process; None once a signal came (nothing new starts)."""
        with self._lock:
            if self.signal is not None:
                return None
            # Unbuffered, so a worker's log can be followed while it runs.
            env = {**os.environ, WORKER_ENV: worker, "PYTHONUNBUFFERED": "1"}
            env[PARENT_ENV] = str(os.getpid())
            # Its own session: a terminal's Ctrl-C reaches only the parent, which
            # forwards it once. The kernel's parent-death signal follows the thread
            # that starts it: that thread waits for it (run_batches).
            child = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=killed_with_parent(os.getpid()),
            )
            self.children.append(child)
            if self.on_start is not None:
                self.on_start(child.pid)
            return child

    def forget(self) -> None:
        """Drop the processes that have ended (all of them, after a set of batches)."""
        with self._lock:
            self.children = [child for child in self.children if child.poll() is None]


def _wait(child: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # pragma: no cover - the handler takes SIGINT
            continue


def chunks(batch: Batch, size: int) -> list[Batch]:
    """A worker's batch as successive behave processes of at most ``size`` scenarios
    (equal parts), so that a worker's memory does not grow with the suite: behave keeps
    the model of every scenario it ran. The first keeps the worker's id, the others
    are ``w1.2``, ``w1.3``... (their own log and JUnit folder)."""
    if not batch.scenarios:
        return []
    count = max(1, -(-len(batch.scenarios) // max(size, 1)))
    step = -(-len(batch.scenarios) // count)
    parts = [batch.scenarios[i : i + step] for i in range(0, len(batch.scenarios), step)]
    return [
        Batch(batch.worker if n == 1 else f"{batch.worker}.{n}", part)
        for n, part in enumerate(parts, 1)
    ]


def run_batches(
    batches: Sequence[Batch],
    behave: BehaveCommand,
    supervisor: Supervisor,
    console: bool,
) -> list[int]:
    """Run the batches at the same time, each as successive behave processes of at most
    ``behave.scenarios_per_process`` scenarios (see :func:`chunks`); returns their exit
    codes.

    With ``console`` (a single batch) behave writes to the terminal as usual;
    otherwise each process writes to ``reports/logs/workers/<worker>.log``.
    """
    codes: list[list[int]] = [[] for _ in batches]
    errors: list[Exception] = []

    def run(slot: int, parts: list[Batch]) -> None:
        try:
            run_parts(slot, parts)
        except Exception as exc:  # raised again in the main thread below
            errors.append(exc)

    def run_parts(slot: int, parts: list[Batch]) -> None:
        for part in parts:
            output = None
            if not console:
                behave.logs_dir.mkdir(parents=True, exist_ok=True)
                output = open(behave.logs_dir / f"{part.worker}.log", "wb")  # noqa: SIM115
            try:
                child = supervisor.start(behave.for_batch(part), behave.root, part.worker, output)
                if child is None:
                    return  # interrupted: the rest of this worker's share does not start
                codes[slot].append(_wait(child))
            finally:
                if output is not None:
                    output.close()

    threads = [
        threading.Thread(
            target=run, args=(slot, chunks(batch, behave.scenarios_per_process)), daemon=True
        )
        for slot, batch in enumerate(batches)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # a timed join: signals reach the handler meanwhile
            thread.join(0.2)
    supervisor.forget()
    if errors:
        raise errors[0]
    return [code for slot in codes for code in slot]


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
