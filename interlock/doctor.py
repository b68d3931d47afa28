"""``interlock doctor``: interface testing of the connections themselves.

For every configured service: reachable (its health path answers 2xx), its
credentials accepted (a token profile fetches a token), its contract document
loadable. For every database: reachable with its credentials, the server's
version, the schema's tables. One line each; nothing is written anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pymysql
import requests

from interlock import auth, contracts
from interlock.config import Config
from interlock.db import LOOPBACK
from interlock.errors import InterlockError, describe_error
from interlock.masking import Masker
from interlock.runtime import Runtime


@dataclass(frozen=True)
class Check:
    subject: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.subject:32} {self.detail}"


def run(config: Config, runtime: Runtime, masker: Masker) -> list[Check]:
    return [*services(config, runtime, masker), *databases(config, runtime, masker)]


def services(config: Config, runtime: Runtime, masker: Masker) -> Iterator[Check]:
    timeout = (config.http.connect_timeout, config.http.read_timeout)

    def url_of(name: str) -> str:
        return runtime.services[name].url

    for name, service in config.services.items():
        if name not in runtime.services:
            continue
        url = url_of(name) + service.health
        started = time.monotonic()
        try:
            response = requests.get(url, timeout=timeout, stream=True)
            response.close()  # only the status counts: the body, however long, is not read
            took = (time.monotonic() - started) * 1000
            ok = response.ok
            yield Check(
                f"service {name}", ok, f"GET {url} -> {response.status_code} in {took:.0f} ms"
            )
        except requests.RequestException as exc:
            yield Check(f"service {name}", False, f"GET {url} failed: {type(exc).__name__}")
        credentials = config.credentials.get(service.credentials) if service.credentials else None
        if credentials is not None and (credentials.login or credentials.oauth2):
            context = auth.TokenContext(config.http, url_of, masker)
            try:
                auth.auth_headers(credentials, context)
                yield Check(f"  credentials {credentials.name}", True, "a token was issued")
            except (AssertionError, InterlockError) as exc:
                first = masker.mask(str(exc)).splitlines()[0]
                yield Check(f"  credentials {credentials.name}", False, first)
        if service.openapi is not None:
            try:
                api = contracts.load_openapi(service.openapi)
                count = len(contracts.operations(api))
                yield Check(
                    f"  contract {name}", True, f"{service.openapi.name}: {count} operations"
                )
            except InterlockError as exc:
                yield Check(f"  contract {name}", False, exc.message)


def databases(config: Config, runtime: Runtime, masker: Masker) -> Iterator[Check]:
    for name, settings in config.databases.items():
        endpoint = runtime.databases.get(name)
        if endpoint is None:
            continue
        where = f"{endpoint.user}@{endpoint.host}:{endpoint.port}/{endpoint.database}"
        try:
            connection = pymysql.connect(
                host=endpoint.host,
                port=endpoint.port,
                user=endpoint.user,
                password=endpoint.password,
                database=endpoint.database,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                write_timeout=settings.read_timeout,
                ssl_disabled=endpoint.host in LOOPBACK,
            )
        except pymysql.MySQLError as exc:
            yield Check(f"database {name}", False, masker.mask(f"{where}: {describe_error(exc)}"))
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            version = str(cursor.fetchone()[0])
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
            )
            tables = int(cursor.fetchone()[0])
        connection.close()
        writable = "disposable" if settings.disposable else "read-only for steps"
        yield Check(f"database {name}", True, f"{where}: {version}, {tables} tables, {writable}")
