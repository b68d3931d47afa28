"""The embedded MariaDB against the real server: start, prepare, stop, stale runs, errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from interlock.config import Config, MariaDBSettings, load_config
from interlock.environment import mariadb, stack
from interlock.environment.processes import pid_alive
from interlock.environment.runtime import read_runtime, write_runtime
from interlock.errors import MariaDBNotFound, SqlScriptError

pytestmark = pytest.mark.mariadb


@pytest.fixture
def settings(template_cache: Path) -> MariaDBSettings:
    return MariaDBSettings(
        bin_dir=None, cache_dir=template_cache, startup_timeout=30, buffer_pool_size="16M"
    )


@pytest.fixture
def server(settings: MariaDBSettings, tmp_path: Path) -> Iterator[mariadb.RunningServer]:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    running = mariadb.start_server(settings, tmp_path / "state", run_dir)
    yield running
    mariadb.stop_server(running.pid)


def test_server_accepts_real_connections_then_stops_by_pid(server: mariadb.RunningServer) -> None:
    connection = mariadb.connect_admin("127.0.0.1", server.port)
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        assert "MariaDB" in cursor.fetchone()[0]
    connection.close()
    mariadb.stop_server(server.pid)
    assert not pid_alive(server.pid)


def test_the_servers_temporary_files_stay_in_its_run_folder(
    server: mariadb.RunningServer,
) -> None:
    """Not the shared /tmp: a file deleted there by anyone's cleanup made an
    information_schema query fail with error 6, or the server crash."""
    connection = mariadb.connect_admin("127.0.0.1", server.port)
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@tmpdir")
        (tmpdir,) = cursor.fetchone()
    connection.close()
    assert Path(tmpdir).resolve().parent == server.datadir.parent.resolve()


def test_prepare_creates_database_user_and_schema(
    server: mariadb.RunningServer, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(10) DEFAULT 'a;b');\n")
    mariadb.prepare_database(server.port, "app", "app_user", "pw-123", [schema])
    connection = pymysql.connect(
        host="127.0.0.1", port=server.port, user="app_user", password="pw-123", database="app"
    )
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t (id) VALUES (1)")
        cursor.execute("SELECT note FROM t")
        assert cursor.fetchone() == ("a;b",)
    connection.close()


def test_a_failing_schema_statement_names_file_line_and_statement(
    server: mariadb.RunningServer, tmp_path: Path
) -> None:
    schema = tmp_path / "broken.sql"
    schema.write_text("CREATE TABLE a (id INT);\n\nCREATE TABLE b (id INTT);\n")
    with pytest.raises(SqlScriptError) as error:
        mariadb.prepare_database(server.port, "app", "app_user", "pw", [schema])
    message = str(error.value)
    assert f"{schema}:3" in message
    assert "CREATE TABLE b (id INTT)" in message
    assert "Unknown data type" in message


def test_a_taken_port_is_replaced_by_another(
    settings: MariaDBSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        choices = iter([busy])
        real = mariadb.free_port
        monkeypatch.setattr(mariadb, "free_port", lambda: next(choices, None) or real())
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        running = mariadb.start_server(settings, tmp_path / "state", run_dir)
        try:
            assert running.port != busy
            mariadb.connect_admin("127.0.0.1", running.port).close()
        finally:
            mariadb.stop_server(running.pid)


def test_missing_binaries_give_the_exact_install_command(tmp_path: Path) -> None:
    with pytest.raises(MariaDBNotFound) as error:
        mariadb.find_binaries(tmp_path)
    message = str(error.value)
    assert "apt-get install -y mariadb-server-core mariadb-client-core" in message
    assert str(tmp_path) in message


def _db_only_project(root: Path, cache: Path) -> Config:
    (root / "config").mkdir(parents=True)
    (root / "config" / "default.yaml").write_text(
        f"mariadb: {{cache_dir: {cache}}}\n"
        "databases:\n  main: {embedded: true, disposable: true, user: app, password: pw-1}\n"
    )
    (root / "config" / "local.yaml").write_text("")
    return load_config(root, env="local", environ={})


def test_a_stale_environment_from_a_dead_run_is_cleaned_up(
    tmp_path: Path, template_cache: Path
) -> None:
    config = _db_only_project(tmp_path / "p", template_cache)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = stack.start(config, owner_pid=dead_pid)
    write_runtime(config.state_dir, stale)
    stale_server = stale.databases["main"].pid
    assert stale_server is not None and pid_alive(stale_server)

    messages: list[str] = []
    acquired = stack.acquire(config, report=messages.append)
    try:
        assert acquired.owned
        assert any("stale environment" in m for m in messages)
        assert not pid_alive(stale_server)
        assert not Path(str(stale.run_dir)).exists()
        assert read_runtime(config.state_dir) is not None
    finally:
        stack.release(acquired, config)
    assert read_runtime(config.state_dir) is None
    assert acquired.runtime.databases["main"].pid is not None
    assert not pid_alive(acquired.runtime.databases["main"].pid)


def test_a_run_killed_mid_start_leaves_nothing_the_next_run_does_not_clean(
    tmp_path: Path, template_cache: Path
) -> None:
    """A run that dies (kill -9) after MariaDB started: its runtime file names the
    server, so the next run stops it; and its run folder is swept even without one."""
    config = _db_only_project(tmp_path / "p", template_cache)
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from pathlib import Path; from interlock.environment import stack;"
            "from interlock.config import load_config;"
            "c = load_config(Path(sys.argv[1]), env='local', environ={});"
            "r = stack.start(c, owner_pid=os.getpid());"
            "print(r.databases['main'].pid, flush=True); os._exit(9)",
            str(tmp_path / "p"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    pid = int(crashed.stdout.strip())
    assert pid_alive(pid)
    # Without the runtime file only the sweep of dead runs' folders can find it.
    (config.state_dir / "environment.json").unlink()
    messages: list[str] = []
    stack.sweep_orphans(config.state_dir, messages.append)
    assert not pid_alive(pid)
    assert any("orphaned MariaDB" in m for m in messages)
    assert list((config.state_dir / "run").iterdir()) == []
