"""The embedded MariaDB: a private server on a free 127.0.0.1 port, owned by one run.

A template data directory is made once per MariaDB version (``mariadb-install-db``,
about 0.7 s) and cached under the state folder; each start copies it, so a fresh
server is up in a fraction of a second. The server is waited for with a real
connection, not a port probe, and stopped by pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pymysql
from mirakuru import Executor
from mirakuru.exceptions import ProcessExitedWithError, TimeoutExpired

from interlock.config import MariaDBSettings
from interlock.environment.ports import free_port
from interlock.environment.processes import Detachable, stop_process, tail
from interlock.errors import EnvironmentStartError, MariaDBNotFound
from interlock.sql_script import run_script

SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin", "/usr/libexec")
APT_PACKAGES = "mariadb-server-core mariadb-client-core"
PORT_ATTEMPTS = 5
ADMIN_USER = "root"


def install_command() -> str:
    """The exact command that installs the server binaries on Debian/Ubuntu."""
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get update && {prefix}apt-get install -y {APT_PACKAGES}"


@dataclass(frozen=True)
class Binaries:
    server: Path
    install_db: Path
    version: str


def find_binaries(bin_dir: Path | None = None) -> Binaries:
    """Locate ``mariadbd`` and ``mariadb-install-db`` (or their mysql-named twins)."""
    dirs = [str(bin_dir)] if bin_dir else [*os.get_exec_path(), *SEARCH_DIRS]
    path = os.pathsep.join(dirs)
    server = shutil.which("mariadbd", path=path) or shutil.which("mysqld", path=path)
    install_db = shutil.which("mariadb-install-db", path=path) or shutil.which(
        "mysql_install_db", path=path
    )
    if bin_dir and server and not install_db:
        install_db = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not server or not install_db:
        where = f"in {bin_dir} (mariadb.bin_dir)" if bin_dir else "on PATH or in /usr/sbin"
        raise MariaDBNotFound(
            f"the MariaDB server binaries (mariadbd, mariadb-install-db) were not found {where};"
            " they are needed for the embedded database",
            hint=f"install them with: {install_command()}",
        )
    version = subprocess.run(
        [server, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    return Binaries(Path(server), Path(install_db), version)


def template_dir(cache_dir: Path, binaries: Binaries) -> Path:
    """The cached, never-started data directory for this MariaDB version; made if missing."""
    key = "".join(c if c.isalnum() else "-" for c in binaries.version.split(" for ")[0])[-60:]
    target = cache_dir / f"mariadb-{key}"
    if (target / "mysql").is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="template-", dir=target.parent))
    log = building.with_suffix(".log")
    tmp = building / "tmp"
    tmp.mkdir()
    with open(log, "w") as out:
        result = subprocess.run(
            [
                str(binaries.install_db),
                "--no-defaults",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
                f"--datadir={building / 'data'}",
                # its own temporary folder: concurrent installs in a shared /tmp collide
                f"--tmpdir={tmp}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise EnvironmentStartError(
            f"mariadb-install-db failed (exit {result.returncode}); its log {log}:\n{tail(log)}",
            hint="check the disk space and that the MariaDB packages are complete",
        )
    log.unlink()
    with contextlib.suppress(OSError):  # another run made it first: theirs is as good
        os.rename(building / "data", target)
    shutil.rmtree(building, ignore_errors=True)
    return target


class _PortTaken(Exception):
    """The server could not bind its port (someone took it after we chose it)."""


class _Server(Detachable, Executor):
    """mirakuru executor that is ready when a real MySQL connection succeeds."""

    def __init__(self, command: list[str], port: int, timeout: float, log: Path) -> None:
        self.port = port
        self.log = log
        self._log_start = log.stat().st_size if log.exists() else 0
        self._log_handle = open(log, "a")  # noqa: SIM115 - lives as long as the server
        super().__init__(
            command,
            timeout=timeout,
            sleep=0.05,
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )

    def pre_start_check(self) -> bool:
        return False  # a taken port makes the server exit; we then pick another one

    def after_start_check(self) -> bool:
        try:
            connect_admin("127.0.0.1", self.port, timeout=1, read_timeout=1).close()
        except pymysql.MySQLError:
            # mariadbd logs a bind failure but does not always exit: look for it.
            if "Bind on TCP/IP port" in self.new_log():
                raise _PortTaken from None
            return False
        return True

    def new_log(self) -> str:
        """What the server logged since this attempt started."""
        with open(self.log, "rb") as handle:
            handle.seek(self._log_start)
            return handle.read().decode("utf-8", "replace")

    def detach(self) -> None:
        super().detach()
        self._log_handle.close()


def connect_admin(
    host: str, port: int, timeout: float = 5, read_timeout: float = 60
) -> pymysql.connections.Connection:
    """A root connection to the embedded server. ``read_timeout`` also bounds the wait
    for the server's greeting: a port that accepts and never answers must not hang us."""
    return pymysql.connect(
        host=host,
        port=port,
        user=ADMIN_USER,
        password="",
        connect_timeout=timeout,
        read_timeout=read_timeout,
        write_timeout=read_timeout,
        ssl_disabled=True,
        autocommit=True,
        charset="utf8mb4",
    )


@dataclass
class RunningServer:
    port: int
    pid: int
    datadir: Path
    log: Path


def start_server(settings: MariaDBSettings, state_dir: Path, run_dir: Path) -> RunningServer:
    """Start a private MariaDB from a copy of the cached template; wait for a real connect.

    The process leads its own process group and keeps running after this returns;
    stop it with :func:`stop_server`.
    """
    binaries = find_binaries(settings.bin_dir)
    template = template_dir(settings.cache_dir or state_dir / "cache", binaries)
    datadir = run_dir / "mariadb"
    shutil.copytree(template, datadir, symlinks=True)
    log = run_dir / "mariadb.log"
    # Its temporary tables in its own folder, not the shared /tmp: one deleted there by
    # anyone's cleanup fails the query using it (error 6), or crashes the server.
    tmpdir = run_dir / "mariadb-tmp"
    tmpdir.mkdir(exist_ok=True)
    # A unix socket path is limited to ~100 bytes; keep it short, outside the project.
    socket = Path(tempfile.gettempdir()) / f"interlock-{os.getpid()}-{run_dir.name}.sock"
    last_error = ""
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        command = [
            str(binaries.server),
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={socket}",
            f"--port={port}",
            f"--pid-file={run_dir / 'mariadb.pid'}",
            f"--tmpdir={tmpdir}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            f"--innodb-buffer-pool-size={settings.buffer_pool_size}",
            "--innodb-log-file-size=8M",
            "--skip-log-bin",
            "--max-connections=500",
        ]
        if os.geteuid() == 0:
            command.insert(2, "--user=root")
        server = _Server(command, port, settings.startup_timeout, log)
        try:
            server.start()
        except _PortTaken:
            server.kill()
            continue  # the port was taken between choosing and binding: choose another
        except ProcessExitedWithError:
            last_error = tail(log, 5)
            if "Bind on TCP/IP port" in server.new_log():
                continue
            break
        except TimeoutExpired:
            raise EnvironmentStartError(
                f"the embedded MariaDB did not accept connections within "
                f"{settings.startup_timeout:g} s; the end of its log {log}:\n{tail(log)}",
                hint="raise mariadb.startup_timeout, or check the log above",
            ) from None
        assert server.process is not None  # started above
        pid = server.process.pid
        server.detach()
        return RunningServer(port=port, pid=pid, datadir=datadir, log=log)
    raise EnvironmentStartError(
        f"the embedded MariaDB did not start; the end of its log {log}:\n{last_error}",
        hint="check the log above; `interlock down` clears a stale environment",
    )


def stop_server(pid: int, timeout: float = 10.0) -> None:
    """Stop the server by pid (SIGTERM, then SIGKILL after ``timeout``)."""
    stop_process(pid, timeout=timeout)


def prepare_database(
    port: int, database: str, user: str, password: str, scripts: list[Path]
) -> None:
    """Create the database and its user on the embedded server, then apply schema scripts."""
    admin = connect_admin("127.0.0.1", port)
    try:
        with admin.cursor() as cur:
            quoted = database.replace("`", "``")
            cur.execute(
                f"CREATE DATABASE IF NOT EXISTS `{quoted}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            if user != ADMIN_USER:
                cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (user, password))
                cur.execute(f"GRANT ALL PRIVILEGES ON `{quoted}`.* TO %s@'%%'", (user,))
            elif password:
                for host in ("localhost", "127.0.0.1", "::1"):
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, password))
            cur.execute(f"USE `{quoted}`")
            for script in scripts:
                run_script(script, cur.execute)
    finally:
        with contextlib.suppress(pymysql.MySQLError):
            admin.close()
