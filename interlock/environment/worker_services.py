"""Per-worker services: a system under test that each worker process starts for itself,
pointed at that worker's stand-ins.

A service with ``per_worker: true`` is no part of the shared environment. The first
time a scenario in a worker process selects it (``Given the "orders_isolated"
service``), that process starts its own instance from the service's ``command`` and
``env``, on a free port, with ``{standins.NAME.url}`` filled in with its own
stand-ins' addresses. The instance learns those addresses once, at start, so the
scenario must have replaced those services first; each stand-in then keeps its port
for the rest of the process. Later scenarios of the same process that select the
service reuse the instance; it is stopped when the process ends (behave's
``after_all``). Its log is ``reports/logs/NAME-WORKER.log``.

Each instance is also recorded in the environment's run folder, so that whoever
stops the environment stops it too if its worker was killed before it could.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interlock.config import Config, ServiceConfig
from interlock.environment import stack
from interlock.environment.processes import cmdline, pid_alive, stop_process
from interlock.environment.runtime import (
    Runtime,
    WorkerProcess,
    forget_worker_process,
    record_worker_process,
)
from interlock.errors import ScenarioInputError
from interlock.http import ServiceTarget, target_for
from interlock.standins import StandIns
from interlock.workers import WORKER_ENV

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def worker_name() -> str:
    """This process's worker id (``w1``...), or its pid under plain behave."""
    return os.environ.get(WORKER_ENV) or f"pid{os.getpid()}"


@dataclass(frozen=True)
class Instance:
    """A per-worker service this process started."""

    name: str
    url: str
    pid: int
    log: Path


class WorkerServices:
    """The per-worker services of this process: started on first use, stopped at the end."""

    def __init__(
        self,
        config: Config,
        runtime: Runtime,
        standins: StandIns,
        say: Say = _quiet,
        worker: str | None = None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.standins = standins
        self.worker = worker or worker_name()
        self._say = say
        self._running: dict[str, Instance] = {}

    def names(self) -> list[str]:
        return [s.name for s in self.config.services.values() if s.per_worker]

    def log(self, name: str) -> Path:
        return self.config.reports_dir / "logs" / f"{name}-{self.worker}.log"

    def logs(self) -> dict[str, Path]:
        """Every per-worker service's log in this process, started yet or not."""
        return {name: self.log(name) for name in self.names()}

    def target(self, name: str) -> ServiceTarget:
        """Where this process's instance of ``name`` answers; started if need be, after
        checking that the scenario replaced every service it is pointed at."""
        service = self.config.services[name]
        missing = [s for s in service.standins_used() if not self.standins.in_use(s)]
        if missing:
            first = missing[0]
            raise ScenarioInputError(
                f"the {name!r} service talks to the stand-in for {first!r}"
                f" (services.{name} uses {{standins.{first}.url}}), which this scenario has"
                " not started",
                hint=f'replace it before selecting the service: Given the "{first}" service'
                " is replaced by a stand-in",
            )
        instance = self._running.get(name)
        if instance is not None and not pid_alive(instance.pid):
            kept = instance.log.with_name(f"{instance.log.stem}-died-{instance.pid}.log")
            with contextlib.suppress(OSError):
                instance.log.replace(kept)
            self._say(f"{name} (worker {self.worker}) had died; its log: {kept}; starting another")
            self._forget(instance)
            instance = None
        if instance is None:
            instance = self._running[name] = self._start(service)
        return target_for(self.config, service, instance.url)

    def stop_all(self) -> None:
        for instance in list(self._running.values()):
            stop_process(instance.pid, timeout=5)
            self._forget(instance)

    def kill_all(self) -> None:
        """SIGKILL every instance (each leads its own session) and its group, at once: for
        a worker about to be killed (its run died, see :mod:`interlock.lifeline`)."""
        for instance in list(self._running.values()):
            with contextlib.suppress(OSError):
                os.killpg(instance.pid, signal.SIGKILL)

    def _forget(self, instance: Instance) -> None:
        self._running.pop(instance.name, None)
        if self.runtime.run_dir:
            forget_worker_process(Path(self.runtime.run_dir), instance.pid)

    def _start(self, service: ServiceConfig) -> Instance:
        urls = {name: self.standins.url(name) for name in service.standins_used()}
        started = time.monotonic()
        running = stack.start_embedded_service(
            self.config, self.runtime, service, self.log(service.name), urls
        )
        if self.runtime.run_dir:
            record = WorkerProcess(service.name, running.pid, cmdline(running.pid), os.getpid())
            record_worker_process(Path(self.runtime.run_dir), record)
        pointed = ", ".join(f"{name} at {url}" for name, url in urls.items()) or "none"
        self._say(
            f"{service.name} (worker {self.worker}) up at {running.url} (pid {running.pid})"
            f" in {time.monotonic() - started:.2f} s; stand-ins: {pointed}"
        )
        return Instance(service.name, running.url, running.pid, running.log)
