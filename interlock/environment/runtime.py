"""The runtime file: one small JSON document describing a running environment.

Whoever starts the environment (``interlock up``, ``interlock run`` or behave's
before-all hook) writes it; everyone else (hooks, parallel workers, ``interlock
down``) reads it to attach to the same databases and services instead of starting
their own. It is written atomically and only readable by its owner, since it holds
the embedded database's password.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from interlock.environment.processes import pid_alive
from interlock.folders import writable_folder

RUNTIME_FILE = "environment.json"
LOCK_FILE = "environment.lock"
WORKER_PROCESSES = "worker-processes"  # in the run folder: processes workers started


@dataclass
class DatabaseEndpoint:
    host: str
    port: int
    user: str
    password: str
    database: str
    pid: int | None = None  # set when interlock started the server
    datadir: str | None = None


@dataclass
class ServiceEndpoint:
    url: str
    pid: int | None = None  # set when interlock started the service
    log: str | None = None


@dataclass
class Runtime:
    """What a running environment looks like: where to reach each part, and who owns it."""

    env: str
    owner_pid: int
    started_at: float = field(default_factory=time.time)
    run_dir: str | None = None
    databases: dict[str, DatabaseEndpoint] = field(default_factory=dict)
    services: dict[str, ServiceEndpoint] = field(default_factory=dict)

    def pids(self) -> list[int]:
        """Every process interlock started for this environment, services first."""
        pids = [s.pid for s in self.services.values() if s.pid]
        pids += [d.pid for d in self.databases.values() if d.pid]
        return pids

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Runtime:
        data: dict[str, Any] = json.loads(text)
        return cls(
            env=data["env"],
            owner_pid=int(data["owner_pid"]),
            started_at=float(data.get("started_at", 0)),
            run_dir=data.get("run_dir"),
            databases={k: DatabaseEndpoint(**v) for k, v in data.get("databases", {}).items()},
            services={k: ServiceEndpoint(**v) for k, v in data.get("services", {}).items()},
        )

    @property
    def owner_alive(self) -> bool:
        return pid_alive(self.owner_pid)


def runtime_path(state_dir: Path) -> Path:
    return state_dir / RUNTIME_FILE


def read_runtime(state_dir: Path) -> Runtime | None:
    """The described environment, or None when there is none (or the file is unreadable)."""
    path = runtime_path(state_dir)
    try:
        return Runtime.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        # A torn or foreign file describes nothing we can attach to.
        return None


def write_runtime(state_dir: Path, runtime: Runtime) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = runtime_path(state_dir)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(runtime.to_json())
    os.replace(tmp, path)
    return path


def remove_runtime(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        runtime_path(state_dir).unlink()


@contextlib.contextmanager
def environment_lock(state_dir: Path) -> Iterator[None]:
    """Serialise starting and stopping, so two runs never start two environments at once."""
    writable_folder(
        state_dir,
        "the environment's state",
        "make the state folder (config paths.state) a writable directory",
    )
    with open(state_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- processes a worker started itself ----------------------------------------------------
# A per-worker service (see interlock.environment.worker_services) belongs to one behave worker,
# which stops it when it ends. Each is also recorded in the environment's run folder,
# so that whoever stops the environment stops it too when its worker was killed.


@dataclass(frozen=True)
class WorkerProcess:
    name: str
    pid: int
    cmdline: str  # as /proc shows it: a reused pid runs something else
    owner: int = 0  # the pid of the behave process that started it (0: not known)


def _worker_record(run_dir: Path, pid: int) -> Path:
    return run_dir / WORKER_PROCESSES / f"{pid}.json"


def record_worker_process(run_dir: Path, process: WorkerProcess) -> None:
    path = _worker_record(run_dir, process.pid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(process)), encoding="utf-8")


def forget_worker_process(run_dir: Path, pid: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        _worker_record(run_dir, pid).unlink()


def worker_processes(run_dir: Path) -> list[WorkerProcess]:
    """The processes workers started that may still run (unreadable records skipped)."""
    found = []
    for path in sorted((run_dir / WORKER_PROCESSES).glob("*.json")):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            found.append(WorkerProcess(**json.loads(path.read_text(encoding="utf-8"))))
    return found
