"""Running behave in worker processes: one long-lived behave per batch of locations.

The parent has started (or attached to) the environment; every worker's hooks
attach to it through the runtime file. Workers write into the same Allure results
folder and each into its own JUnit folder (merged afterwards). Each gets a distinct
``INTERLOCK_WORKER`` id, which ``${unique}`` includes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from interlock.allure_formatter import KEEP_RESULTS
from interlock.learned_secrets import LEARNED_SECRETS_KEY
from interlock.lifeline import _PR_SET_PDEATHSIG, PARENT_ENV, _prctl, killed_with_parent
from interlock.selection import ScenarioRef

WORKER_ENV = "INTERLOCK_WORKER"
SHARD_KEY = "interlock.shard"  # behave userdata: this run is the K/N shard of its suite
START_ENV = "INTERLOCK_WORKER_START"  # "fork" (the default on Linux) | "subprocess"
RUNNER = "interlock.pruning:Runner"  # behave's runner, parsing only what a process runs


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
        command += ["--runner", RUNNER]  # builds only the listed scenarios: interlock.pruning
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

    children: list[subprocess.Popen[bytes] | ForkedWorker] = field(default_factory=list)
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
    ) -> subprocess.Popen[bytes] | ForkedWorker | None:
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
            child: subprocess.Popen[bytes] | ForkedWorker
            if fork_wanted():
                child = ForkedWorker.start(command, root, env, output)
            else:
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


def fork_wanted() -> bool:
    """Fork workers from this (pre-imported) process rather than start a fresh Python?
    Yes on Linux, unless ``INTERLOCK_WORKER_START=subprocess`` asks for fresh processes
    (the fallback, and the only way where ``os.fork`` is missing or unsafe: macOS,
    Windows)."""
    if os.environ.get(START_ENV, "").strip().lower() == "subprocess":
        return False
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def _forget_steps() -> None:
    """In a forked worker: the steps lint loaded in the run (and the project modules
    that defined them) are forgotten, so that behave loads them as in a fresh worker."""
    from behave.step_registry import registry

    if getattr(registry, "_interlock_loaded", False):
        for name in getattr(registry, "_interlock_step_modules", []):
            sys.modules.pop(name, None)
        for definitions in registry.steps.values():
            definitions.clear()
        registry._interlock_loaded = False
    from interlock import step_types

    step_types._registered = False  # behave clears its types; the steps register them again


def preload() -> None:
    """Import here what every behave worker imports, once, before workers are forked."""
    if fork_wanted():
        import allure_behave.formatter  # noqa: F401
        import behave.__main__  # noqa: F401

        import interlock.allure_formatter
        import interlock.api
        import interlock.hooks  # noqa: F401


class ForkedWorker:
    """A behave worker forked from the run (see :func:`fork_wanted`), with the part of
    ``subprocess.Popen``'s face the supervisor uses.

    The child does what a fresh worker's start does: its own session, the kernel's
    parent-death signal (SIGKILL until its ``before_all``: :mod:`interlock.lifeline`),
    default signal handlers, its log on fds 1 and 2 (new ``sys.stdout``/``sys.stderr``
    objects, so that no lock another thread held at the fork is inherited), stdin from
    /dev/null, the worker's environment and folder, not the run lock's descriptor;
    what it inherited is frozen for the garbage collector (``gc.freeze``: never walked,
    so never copied from the run's pages by a walk); then behave runs in it and it
    leaves by ``os._exit`` (no handler of the run's runs in it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._reaping = threading.Lock()

    @classmethod
    def start(
        cls, command: list[str], root: Path, env: dict[str, str], output: IO[bytes] | None
    ) -> ForkedWorker:
        parent = os.getpid()
        prctl = _prctl()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return cls(pid)
        # What the run built before the fork is the worker's for good (modules, config):
        # the collector leaves it out of its walks, which would cost time and copy the
        # run's memory pages into the worker (a walk writes to every object it visits).
        gc.freeze()
        code = 1
        try:
            if prctl is not None:
                prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                if os.getppid() != parent:
                    os._exit(1)  # the run died between fork and prctl
            os.setsid()
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            from interlock import run_lock

            run_lock.forget_inherited()
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            if output is not None:
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
            sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
            sys.stdin = open(0, closefd=False)  # noqa: SIM115
            os.chdir(root)
            os.environ.clear()
            os.environ.update(env)
            _forget_steps()
            from behave.__main__ import main

            code = int(main(command[3:]) or 0)  # after [python, -m, behave]
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            with contextlib.suppress(Exception):
                traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None and self._reaping.acquire(blocking=False):
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                pass
            finally:
                self._reaping.release()
        return self.returncode

    def wait(self) -> int:
        with self._reaping:
            while self.returncode is None:
                try:
                    _, status = os.waitpid(self.pid, 0)
                except ChildProcessError:
                    break
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode if self.returncode is not None else 1

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)


def _wait(child: subprocess.Popen[bytes] | ForkedWorker) -> int:
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

    preload()  # forked workers: the imports are paid here, once
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
