"""The throwaway MariaDB server with its database ``app`` that the database tests start,
and the settings and connection they reach it with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from interlock.config import DatabaseConfig, MariaDBSettings
from interlock.db import Database
from interlock.environment import mariadb
from interlock.environment.runtime import DatabaseEndpoint
from interlock.masking import Masker


def settings(disposable: bool = True, read_timeout: float = 30) -> DatabaseConfig:
    """The configuration of the database ``app``, owned by the user ``app``."""
    return DatabaseConfig(
        name="app", host="127.0.0.1", port=3306, user="app", password="pw-app", database="app",
        embedded=True, disposable=disposable, schema=(), connect_timeout=2,
        read_timeout=read_timeout,
    )  # fmt: skip


@contextmanager
def app_server(
    base: Path, template_cache: Path, schema: str, user: str = "app", password: str = "pw-app"
) -> Iterator[mariadb.RunningServer]:
    """A MariaDB server (its files under ``base``) holding the database ``app`` made from
    ``schema`` and owned by ``user``; stopped on the way out, even when the setup fails."""
    (base / "run").mkdir(parents=True, exist_ok=True)
    running = mariadb.start_server(
        MariaDBSettings(cache_dir=template_cache), base / "state", base / "run"
    )
    try:
        script = base / "schema.sql"
        script.write_text(schema)
        mariadb.prepare_database(running.port, "app", user, password, [script])
        yield running
    finally:
        mariadb.stop_server(running.pid)


def add_reader(port: int, user: str, password: str) -> None:
    """A user granted SELECT only, on the database ``app``."""
    admin = mariadb.connect_admin("127.0.0.1", port)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
            cursor.execute(f"GRANT SELECT ON `app`.* TO '{user}'@'%'")
    finally:
        admin.close()


def app_database(server: mariadb.RunningServer) -> Database:
    """interlock's connection to the database ``app``, as its owner."""
    endpoint = DatabaseEndpoint("127.0.0.1", server.port, "app", "pw-app", "app")
    return Database("app", endpoint, settings(), Masker(["pw-app"]))
