"""Shared fixtures: throwaway copies of this project, and a check for leftover processes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest
from allure_commons.utils import format_exception

from interlock import allure_files

REPO = Path(__file__).resolve().parents[1]
PROJECT_PARTS = (
    "config",
    "features",
    "steps",
    "environment.py",
    "demo",
    "pyproject.toml",
    "requirements.yaml",
    "manual",
)


@pytest.fixture(scope="session")
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MariaDB template cache for the whole session (making one takes ~0.7 s)."""
    return tmp_path_factory.mktemp("mariadb-cache")


@pytest.fixture
def project(tmp_path: Path, template_cache: Path) -> Iterator[Path]:
    """A copy of this repository's scenario project, with its own state and reports.

    Nothing started inside it may outlive the test: that is asserted on the way out.
    """
    root = tmp_path / "project"
    root.mkdir()
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / part)
    _set_cache(root, template_cache)
    yield root
    leftovers = {pid: _described(pid) for pid in processes_under(root)}
    for pid in leftovers:
        subprocess.run(["kill", "-9", str(pid)], check=False)
    assert not leftovers, f"processes outlived the test: {leftovers}"


@pytest.fixture
def running(project: Path) -> Iterator[Path]:
    """The project with its environment started by `interlock up` (so the database
    outlives each run and can be inspected), stopped again at the end."""
    up = interlock(project, "up")
    assert up.returncode == 0, up.stderr
    try:
        yield project
    finally:
        interlock(project, "down")


@contextmanager
def listening(
    serve: Callable[[socket.socket, threading.Event], None], backlog: int
) -> Iterator[int]:
    """A port on 127.0.0.1 whose connections ``serve(server, stop)`` handles, in a thread,
    until ``stop`` is set on the way out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(backlog)
        stop = threading.Event()
        thread = threading.Thread(target=serve, args=(server, stop), daemon=True)
        thread.start()
        try:
            yield server.getsockname()[1]
        finally:
            stop.set()
            thread.join()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    accepted: list[socket.socket] = []

    def accept(server: socket.socket, stop: threading.Event) -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    with listening(accept, 16) as port:
        yield port
    for conn in accepted:
        conn.close()


def allure_category(failure: BaseException | str) -> str:
    """The Allure category a result falls into, from the message allure-behave writes for
    the exception that failed its step (or that message, as written in a result): the
    first category whose statuses include the result's (an assertion, or a message,
    fails; any other exception breaks) and whose regex matches the whole message."""
    if isinstance(failure, str):
        message, status = failure, "failed"
    else:
        message = format_exception(type(failure), failure)
        status = "failed" if isinstance(failure, AssertionError) else "broken"
    for entry in allure_files.CATEGORIES:
        regex = entry.get("messageRegex")
        if status in entry["matchedStatuses"] and (
            regex is None or re.fullmatch(str(regex), message)
        ):
            return str(entry["name"])
    return "(none)"


def connect_shop(project: Path) -> pymysql.connections.Connection:
    """A connection to the running environment's shop database (from its runtime file)."""
    runtime = json.loads((project / ".interlock" / "environment.json").read_text())
    db = runtime["databases"]["shop"]
    return pymysql.connect(
        host=db["host"], port=db["port"], user=db["user"], password=db["password"],
        database=db["database"], ssl_disabled=True,
    )  # fmt: skip


def _set_cache(root: Path, cache: Path) -> None:
    path = root / "config" / "default.yaml"
    text = path.read_text()
    assert "  cache_dir:  " in text, "config/default.yaml no longer has mariadb.cache_dir"
    text = text.replace("  cache_dir:  ", f"  cache_dir: {cache}  ", 1)
    # Tests write throwaway features without requirement tags; lint's own tests check
    # that rule.
    text = text.replace("require_requirement_tag: true", "require_requirement_tag: false", 1)
    path.write_text(text)
    # ... and some name @REQ-900, which the copy's requirements catalog lists.
    catalog = root / "requirements.yaml"
    if catalog.is_file():
        extra = "  - {id: REQ-900, title: A scenario a test writes}\n"
        catalog.write_text(catalog.read_text() + extra)


def _described(pid: int) -> str:
    """A process's command line and parent, for a message naming what outlived a test."""
    try:
        cmd = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
        parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[1]
    except (OSError, IndexError):
        return "(gone)"
    return f"{cmd.strip()[:300]} (parent {parent})"


def processes_under(root: Path) -> list[int]:
    """Processes whose working folder or command line lies inside ``root``."""
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue
        if cwd.startswith(str(root)) or str(root) in cmd:
            found.append(int(entry.name))
    return found


def interlock(
    root: Path, *args: str, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the interlock command in ``root`` as a user would."""
    environment = {**os.environ, "INTERLOCK_ENV": "local", **(env or {})}
    return _run(["-m", "interlock.cli", *args], root, timeout, environment)


def behave(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run plain behave in ``root``, as a team that does not use the interlock command does."""
    return _run(["-m", "behave", *args], root, 120, {**os.environ, **(env or {})})


def _run(
    args: list[str], root: Path, timeout: float, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """This Python with ``args`` in ``root``, its output captured."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def start_run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``interlock run`` in ``root`` in the background (for signals and kills)."""
    return subprocess.Popen(
        [sys.executable, "-m", "interlock.cli", "run", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "INTERLOCK_ENV": "local", **(env or {})},
    )


def wait_until(
    condition: Callable[[], object],
    process: subprocess.Popen[str] | None,
    what: str,
    timeout: float = 60,
    pause: float = 0.02,
) -> None:
    """Wait until ``condition()`` while the run is still going (``process``; None when
    what is awaited outlives the run, as a background report build does)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        assert process is None or process.poll() is None, f"the run ended before {what}"
        time.sleep(pause)


def interrupt(process: subprocess.Popen[str], point: str) -> tuple[str, float]:
    """SIGINT now; the run must exit 130 within the 7.5 s CI systems grant. Prints the
    time for the soak (scripts/soak_signals.sh) and returns the output and the time."""
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 130, output
    print(f"{point}: out {took:.2f} s after it")
    assert took < 7.5, f"out {took:.1f} s after the signal\n{output}"
    return output, took


def wait_for_environment(root: Path, timeout: float = 60) -> dict[str, object]:
    """The runtime file's content once the whole environment is up."""
    runtime = root / ".interlock" / "environment.json"
    deadline = time.monotonic() + timeout
    while not runtime.exists() or "storefront" not in runtime.read_text():
        assert time.monotonic() < deadline, "the environment never came up"
        time.sleep(0.1)
    return dict(json.loads(runtime.read_text()))


def turn_on_the_example_service(suite: Path, database: bool = True) -> None:
    """In a suite made by ``interlock init``, do what its README says to test a service:
    uncomment services.my_service in config/default.yaml and rename the example feature.
    Without ``database``, the embedded database and its feature are taken out too."""
    default = suite / "config" / "default.yaml"
    commented = (
        "services: {}\n#   my_service:\n#     url: ${MY_SERVICE_URL:-http://127.0.0.1:8080}\n"
        "#     health: /health        # answers 2xx when up: checked before any scenario runs\n"
        "#     openapi: contracts/my_service.yaml"
    )
    text = default.read_text()
    assert commented in text, "the init template no longer has the example service"
    default.write_text(text.replace(commented, (
        "services:\n  my_service:\n    url: ${MY_SERVICE_URL:-http://127.0.0.1:8080}\n"
        "    health: /health\n    openapi: contracts/my_service.yaml"
    )))  # fmt: skip
    example = suite / "features" / "interface" / "my_service.feature.example"
    example.rename(example.with_suffix(""))
    if not database:
        (suite / "features" / "integration" / "customers_database.feature").unlink()
        (suite / "config" / "local.yaml").write_text("")
