"""Embedded services: processes interlock starts from config and waits on until healthy."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mirakuru import HTTPExecutor
from mirakuru.exceptions import AlreadyRunning, ProcessExitedWithError, TimeoutExpired

from interlock.environment.ports import free_port
from interlock.environment.processes import Detachable, tail
from interlock.errors import ServiceStartError
from interlock.masking import Masker

PORT_ATTEMPTS = 5


@dataclass
class RunningService:
    name: str
    url: str
    port: int
    pid: int
    log: Path


class _Service(Detachable, HTTPExecutor):
    pass


def start_service(
    name: str,
    command_for: Callable[[int], list[str]],
    env: Mapping[str, str],
    health: str,
    timeout: float,
    log: Path,
    cwd: Path,
    preferred_port: int | None = None,
    masker: Masker | None = None,
) -> RunningService:
    """Start one service and wait until ``GET <url><health>`` answers 2xx.

    ``command_for(port)`` gives the command line for a chosen port; when the port
    turns out to be taken, another one is chosen. A service that exits or never
    becomes healthy raises :class:`ServiceStartError` with the end of its log (masked:
    a service may print the passwords it was given), and nothing of it is left running.
    """
    mask = (masker or Masker()).mask
    log.parent.mkdir(parents=True, exist_ok=True)
    port = free_port(preferred_port)
    for _ in range(PORT_ATTEMPTS):
        url = f"http://127.0.0.1:{port}"
        with open(log, "a") as out:
            executor = _Service(
                command_for(port),
                url=url + health,
                method="GET",
                status=r"^2\d\d$",
                timeout=timeout,
                sleep=0.05,
                request_timeout=2,
                envvars=dict(env),
                cwd=str(cwd),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                executor.start()
            except AlreadyRunning:
                port = free_port()
                continue
            except ProcessExitedWithError as exc:
                text = tail(log, 5)
                if "Address already in use" in text:
                    port = free_port()
                    continue
                _mask_log(log, mask)
                raise ServiceStartError(
                    f"service {name!r} exited during start-up (exit {exc.exit_code}); "
                    f"the end of its log {log}:\n{mask(tail(log))}",
                    hint=f"fix the service or services.{name}.command in the config",
                ) from None
            except TimeoutExpired:
                _mask_log(log, mask)
                raise ServiceStartError(
                    f"service {name!r} did not answer GET {url}{health} with 2xx within "
                    f"{timeout:g} s; the end of its log {log}:\n{mask(tail(log))}",
                    hint=f"raise services.{name}.startup_timeout, or fix services.{name}.health",
                ) from None
            assert executor.process is not None  # started above
            pid = executor.process.pid
            executor.detach()
            return RunningService(name=name, url=url, port=port, pid=pid, log=log)
    raise ServiceStartError(
        f"service {name!r} found no free port in {PORT_ATTEMPTS} attempts",
        hint="free some ports on 127.0.0.1 or stop stale runs with `interlock down`",
    )


def _mask_log(log: Path, mask: Callable[[str], str]) -> None:
    """Mask the log of a service that is no longer running (it is kept under reports/)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
        masked = mask(text)
        if masked != text:
            log.write_text(masked, encoding="utf-8")
    except OSError:
        pass
