"""One environment, described once: start it, attach to it, check it, stop it.

``acquire`` is what every entry point calls: under a file lock it reads the runtime
file; a healthy environment of the same name is attached to, a stale one (its
owner died) is cleaned up, and otherwise the embedded parts are started from
config and described in a new runtime file. Whoever started it stops it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from interlock.config import Config, ServiceConfig
from interlock.environment import health, mariadb
from interlock.environment.processes import (
    cmdline,
    end_group,
    group_members,
    pid_alive,
    stop_process,
)
from interlock.environment.runtime import (
    DatabaseEndpoint,
    Runtime,
    ServiceEndpoint,
    environment_lock,
    forget_worker_process,
    read_runtime,
    remove_runtime,
    worker_processes,
    write_runtime,
)
from interlock.environment.services import RunningService, start_service
from interlock.errors import ConfigError, EnvironmentStartError, EnvironmentUnreachable
from interlock.masking import Masker

DETACHED = 0  # owner_pid of an environment started by `interlock up`: it outlives its starter
_PLACEHOLDER = re.compile(r"\{([a-z_][\w.]*)\}")

Report = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Acquired:
    runtime: Runtime
    owned: bool  # True when this call started it, and so must stop it


def acquire(
    config: Config,
    owner_pid: int | None = None,
    report: Report = _quiet,
    check_health: bool = True,
) -> Acquired:
    """Attach to the described environment, or start one; then check it is healthy.

    ``owner_pid`` is the process whose death makes the environment stale (default:
    this one); :data:`DETACHED` for one that lives until ``interlock down``. Without
    ``check_health`` an unreachable environment is returned as it is (``doctor``
    reports on it part by part).
    """
    owner = os.getpid() if owner_pid is None else owner_pid
    state_dir = config.state_dir
    with environment_lock(state_dir):
        current = read_runtime(state_dir)
        if current is not None and not is_stale(current):
            if current.env != config.env:
                who = (
                    "`interlock up`"
                    if current.owner_pid == DETACHED
                    else f"pid {current.owner_pid}"
                )
                raise EnvironmentStartError(
                    f"an environment for {current.env!r} is already running (started by {who})"
                    f" and this run asks for {config.env!r}",
                    hint=f"stop it with `interlock down`, or run with --env {current.env}",
                )
            health.require_reachable(
                config,
                current,
                "the running environment is unhealthy",
                hint="restart it (`interlock down`, then run again), or fix what is named",
            )
            return Acquired(current, owned=False)
        if current is not None:
            report(f"cleaning up a stale environment left by pid {current.owner_pid}")
            stop(current, state_dir)
        sweep_orphans(state_dir, report)
        runtime = start(config, owner, report)
    problems = health.check(config, runtime) if check_health else []
    if problems:
        if runtime.owner_pid == owner:
            release(Acquired(runtime, owned=True), config)
        raise EnvironmentUnreachable(
            f"the {config.env!r} environment is not reachable",
            problems,
            hint="check the addresses named above (and http.verify for TLS), or that it is up",
        )
    return Acquired(runtime, owned=True)


def release(acquired: Acquired, config: Config) -> None:
    """Stop the environment if this process started it; attached ones are left running."""
    if not acquired.owned:
        return
    with environment_lock(config.state_dir):
        stop(acquired.runtime, config.state_dir)


def is_stale(runtime: Runtime) -> bool:
    """A runtime whose owner died (or, for a detached one, whose processes died)."""
    if runtime.owner_pid == DETACHED:
        return not all(pid_alive(pid) for pid in runtime.pids())
    return not runtime.owner_alive


def start(config: Config, owner_pid: int, report: Report = _quiet) -> Runtime:
    """Start every embedded database and service of ``config``; describe them all.

    The runtime file is rewritten after each part starts, so a crash half-way
    still leaves a record of what to clean up. On any failure everything started
    so far is stopped before the error propagates.
    """
    state_dir = config.state_dir
    # The owner's pid comes last: sweep_orphans reads it to tell dead runs' folders.
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    run_dir = state_dir / "run" / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(env=config.env, owner_pid=owner_pid, run_dir=str(run_dir))
    try:
        _start_databases(config, runtime, run_dir, report)
        _start_services(config, runtime, report)
    except BaseException:
        stop(runtime, state_dir)
        raise
    return runtime


def _start_databases(config: Config, runtime: Runtime, run_dir: Path, report: Report) -> None:
    embedded = [db for db in config.databases.values() if db.embedded]
    server = None
    if embedded:
        started = time.monotonic()
        server = mariadb.start_server(config.mariadb, config.state_dir, run_dir)
        report(
            f"MariaDB up on 127.0.0.1:{server.port} (pid {server.pid}) "
            f"in {time.monotonic() - started:.2f} s"
        )
    for db in config.databases.values():
        if db.embedded and server is not None:
            runtime.databases[db.name] = DatabaseEndpoint(
                host="127.0.0.1",
                port=server.port,
                user=db.user,
                password=db.password,
                database=db.database,
                pid=server.pid,
                datadir=str(server.datadir),
            )
            write_runtime(config.state_dir, runtime)
            mariadb.prepare_database(
                server.port,
                db.database,
                db.user,
                db.password,
                list(db.schema),
            )
        else:
            endpoint = DatabaseEndpoint(
                host=db.host, port=db.port, user=db.user, password=db.password, database=db.database
            )
            # Checked before any service starts: services that need it would only
            # wait for their health checks to time out.
            problem = health.database_problem(config, db.name, endpoint)
            if problem and any(s.embedded for s in config.services.values()):
                raise EnvironmentUnreachable(
                    "a database the services need is not reachable",
                    [problem],
                    hint=f"start it, or check databases.{db.name} in the config",
                )
            runtime.databases[db.name] = endpoint


def _start_services(config: Config, runtime: Runtime, report: Report) -> None:
    for service in config.shared_services:
        if not service.embedded:
            runtime.services[service.name] = ServiceEndpoint(url=str(service.url).rstrip("/"))
            continue
        started = time.monotonic()
        running = start_embedded_service(
            config, runtime, service, config.reports_dir / "logs" / f"{service.name}.log"
        )
        runtime.services[service.name] = ServiceEndpoint(
            url=running.url, pid=running.pid, log=str(running.log)
        )
        write_runtime(config.state_dir, runtime)
        report(
            f"{service.name} up at {running.url} (pid {running.pid}) "
            f"in {time.monotonic() - started:.2f} s"
        )


def start_embedded_service(
    config: Config,
    runtime: Runtime,
    service: ServiceConfig,
    log: Path,
    standins: Mapping[str, str] | None = None,
) -> RunningService:
    """Start one service from its ``command`` and ``env`` (placeholders filled in) with a
    fresh ``log``, and wait until it is healthy."""
    key = f"services.{service.name}"
    env = {
        name: resolve_placeholders(value, config, runtime, f"{key}.env.{name}", None, standins)
        for name, value in service.env.items()
    }

    def command_for(port: int) -> list[str]:
        return [
            resolve_placeholders(part, config, runtime, f"{key}.command", port, standins)
            for part in service.command
        ]

    with contextlib.suppress(FileNotFoundError):
        log.unlink()
    return start_service(
        service.name,
        command_for,
        env,
        service.health,
        service.startup_timeout,
        log,
        cwd=config.root,
        preferred_port=service.port,
        masker=Masker(config.secrets),
    )


def resolve_placeholders(
    text: str,
    config: Config,
    runtime: Runtime,
    key: str,
    port: int | None = None,
    standins: Mapping[str, str] | None = None,
) -> str:
    """Fill ``{port}``, ``{python}``, ``{services.X.url}``, ``{databases.X.field}``,
    ``{credentials.X.bearer}`` and, for a per-worker service, ``{standins.X.url}`` (from
    ``standins``: each stand-in's address in this worker) in a service's command or
    environment."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        parts = name.split(".")
        if name == "port" and port is not None:
            return str(port)
        if name == "python":
            return sys.executable
        if len(parts) == 3 and parts[0] == "standins" and parts[2] == "url":
            if standins is not None and parts[1] in standins:
                return standins[parts[1]]
            raise ConfigError(
                f"{key} uses {{{name}}}, but no stand-in {parts[1]!r} runs where it starts",
                hint="only a service with per_worker: true, started inside a worker, can be"
                " pointed at a stand-in",
            )
        if len(parts) == 3 and parts[0] == "services" and parts[2] == "url":
            if parts[1] in runtime.services:
                return runtime.services[parts[1]].url
            raise ConfigError(
                f"{key} uses {{{name}}}, but service {parts[1]!r} is not started before it",
                hint="list the services a service depends on before it in the config",
            )
        if len(parts) == 3 and parts[0] == "databases" and parts[1] in runtime.databases:
            endpoint = runtime.databases[parts[1]]
            if parts[2] in ("host", "port", "user", "password", "database"):
                return str(getattr(endpoint, parts[2]))
        if len(parts) == 3 and parts[0] == "credentials" and parts[1] in config.credentials:
            cred = config.credentials[parts[1]]
            if parts[2] == "bearer" and cred.bearer:
                return cred.bearer
        raise ConfigError(
            f"{key} uses the placeholder {{{name}}}, which interlock cannot fill",
            hint="known: {port}, {python}, {services.NAME.url}, "
            "{databases.NAME.host|port|user|password|database}, {credentials.NAME.bearer}, "
            "{standins.NAME.url}",
        )

    return _PLACEHOLDER.sub(value, text)


def stop_worker_processes(runtime: Runtime, orphans_only: bool = True) -> dict[str, bool]:
    """Stop the per-worker services recorded in the environment; with ``orphans_only``
    just those whose behave process has died (killed before it could stop them).

    Returns each one stopped (``service NAME (pid N)``) and whether it had to be killed.
    """
    stopped: dict[str, bool] = {}
    if not runtime.run_dir:
        return stopped
    for process in worker_processes(Path(runtime.run_dir)):
        if orphans_only and (not process.owner or pid_alive(process.owner)):
            continue
        what = "browser" if process.name == "browser" else f"service {process.name}"
        if pid_alive(process.pid) and cmdline(process.pid) == process.cmdline:
            killed = stop_process(process.pid, timeout=5)
            stopped[f"{what} (pid {process.pid})"] = killed
        elif group_members(process.pid):
            # Its leader is gone, not its group (a browser's renderers): a group id stays
            # taken while a member lives, so these are still its own.
            end_group(process.pid)
            stopped[f"{what} (pid {process.pid})"] = True
        forget_worker_process(Path(runtime.run_dir), process.pid)
    return stopped


def stop(runtime: Runtime, state_dir: Path) -> list[str]:
    """Stop every process the runtime describes (services first), remove its data.

    Returns a line for each process that had to be killed rather than stopped.
    """
    # Per-worker services first: a worker that was killed could not stop its own.
    stopped = stop_worker_processes(runtime, orphans_only=False)
    killed = [line for line, was_killed in stopped.items() if was_killed]
    for name, service in reversed(list(runtime.services.items())):
        if service.pid and pid_alive(service.pid) and stop_process(service.pid, timeout=5):
            killed.append(f"service {name} (pid {service.pid})")
    for pid in {db.pid for db in runtime.databases.values() if db.pid}:
        if _is_our_mariadb(pid, runtime) and stop_process(pid, timeout=10):
            killed.append(f"MariaDB (pid {pid})")
    if runtime.run_dir:
        shutil.rmtree(runtime.run_dir, ignore_errors=True)
    current = read_runtime(state_dir)
    if current is not None and current.run_dir == runtime.run_dir:
        remove_runtime(state_dir)
    return killed


def _is_our_mariadb(pid: int, runtime: Runtime) -> bool:
    """Guard against pid reuse: only stop a process that runs on our data directory."""
    if not pid_alive(pid):
        return False
    datadirs = {db.datadir for db in runtime.databases.values() if db.datadir}
    line = cmdline(pid)
    return any(d in line for d in datadirs) if line else False


def sweep_orphans(state_dir: Path, report: Report = _quiet) -> None:
    """Remove run folders of dead runs, stopping any MariaDB still running in them."""
    runs = state_dir / "run"
    if not runs.is_dir():
        return
    for folder in runs.iterdir():
        owner = folder.name.rsplit("-", 1)[-1]
        if owner.isdigit() and pid_alive(int(owner)):
            continue
        pid_file = folder / "mariadb.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            if pid_alive(pid) and str(folder) in cmdline(pid):
                report(f"stopping an orphaned MariaDB (pid {pid}) from {folder.name}")
                stop_process(pid)
        shutil.rmtree(folder, ignore_errors=True)
