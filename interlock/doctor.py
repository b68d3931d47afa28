"""``interlock doctor``: interface testing of the connections themselves.

For every configured service: reachable (its health path answers 2xx, checked as the
run checks it before it starts: :mod:`interlock.environment.health`), its
credentials accepted (a token profile fetches a token), its contract document
loadable. For every database: reachable with its credentials, the server's
version, the schema's tables, and its user's grants, with a warning when a database
not marked disposable is reached by a user that may write (read-only sessions can be
lifted; only a SELECT-only user is a guarantee). One line each; nothing is written
anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pymysql

from interlock import auth, contracts
from interlock.config import Config
from interlock.db import LOOPBACK, READ_ONLY_SESSION
from interlock.environment import health
from interlock.environment.runtime import DatabaseEndpoint, Runtime
from interlock.errors import InterlockError, describe_error
from interlock.masking import Masker


@dataclass(frozen=True)
class Check:
    subject: str
    ok: bool
    detail: str
    warning: bool = False  # worth acting on, but no failure

    def __str__(self) -> str:
        label = "FAIL" if not self.ok else "warn" if self.warning else "ok  "
        return f"{label}  {self.subject:32} {self.detail}"


def run(config: Config, runtime: Runtime, masker: Masker) -> list[Check]:
    return [*services(config, runtime, masker), *databases(config, runtime, masker)]


def services(config: Config, runtime: Runtime, masker: Masker) -> Iterator[Check]:
    def url_of(name: str) -> str:
        return runtime.services[name].url

    for name, service in config.services.items():
        if name not in runtime.services:
            continue
        found = health.probe_service(config, runtime, name, masker)
        if found.problem is None:
            detail = f"GET {found.url} -> {found.status} in {found.elapsed_ms:.0f} ms"
            yield Check(f"service {name}", True, detail)
        else:
            problem = found.problem
            more = (f"its address: {problem.key}", problem.advice)
            detail = problem.detail + "".join(f"\n{'':6}{line}" for line in more if line)
            yield Check(f"service {name}", False, detail)
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
                init_command=None if settings.disposable else READ_ONLY_SESSION,
            )
        except pymysql.MySQLError as exc:
            yield Check(f"database {name}", False, masker.mask(f"{where}: {describe_error(exc)}"))
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                version = str(cursor.fetchone()[0])
                cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                )
                tables = int(cursor.fetchone()[0])
            writable = "disposable" if settings.disposable else "read-only for steps"
            yield Check(
                f"database {name}", True, f"{where}: {version}, {tables} tables, {writable}"
            )
            yield from _grant_checks(name, settings.disposable, endpoint, connection)
        finally:
            connection.close()


def _grant_checks(
    name: str,
    disposable: bool,
    endpoint: DatabaseEndpoint,
    connection: pymysql.connections.Connection,
) -> Iterator[Check]:
    """The user's grants; a warning when a shared database's user may write to it."""
    subject = f"  grants {name}"
    try:
        granted = grants(connection)
    except pymysql.MySQLError as exc:
        yield Check(subject, True, f"SHOW GRANTS failed: {describe_error(exc)}", warning=True)
        return
    yield Check(subject, True, "; ".join(granted) or "(none shown)")
    writes = writing_grants(granted, endpoint.database)
    if writes and not disposable:
        yield Check(
            subject,
            True,
            f"{endpoint.user} may write to this database, which is not disposable"
            f" ({'; '.join(writes)}): interlock's read-only session guards its own steps,"
            " but a session can lift it; give it a user granted SELECT only (see"
            " 'Shared databases' in docs/writing-guide.md)",
            warning=True,
        )


# Privileges that let a session change data or schema, or run code that may.
WRITING_PRIVILEGES = {
    "ALL", "ALL PRIVILEGES", "INSERT", "UPDATE", "DELETE", "DELETE HISTORY", "DROP",
    "CREATE", "ALTER", "INDEX", "CREATE VIEW", "CREATE ROUTINE", "ALTER ROUTINE", "EXECUTE",
    "TRIGGER", "EVENT", "LOCK TABLES", "FILE", "SUPER", "CREATE TABLESPACE",
}  # fmt: skip
_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<target>.+?) TO ", re.DOTALL)


def grants(connection: pymysql.connections.Connection) -> list[str]:
    """The connected user's grants as ``PRIVILEGES ON target`` (a role as ``role``),
    without the user, password hash and options ``SHOW GRANTS`` adds."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW GRANTS")
        lines = [str(row[0]) for row in cursor.fetchall()]
    shown = []
    for line in lines:
        match = _GRANT.match(line)
        if match:
            shown.append(f"{match['privileges']} ON {match['target']}")
        elif line.startswith("GRANT "):
            shown.append("role " + line.removeprefix("GRANT ").split(" TO ")[0])
    return shown


def writing_grants(granted: Sequence[str], schema: str) -> list[str]:
    """Which of ``granted`` (as :func:`grants` gives them) let the user write to
    ``schema``: ``INSERT, UPDATE on `shop`.*``, one entry per grant."""
    found = []
    for grant in granted:
        if grant.startswith("role "):  # its privileges are not listed: assume it may
            found.append(f"{grant}, whose privileges were not checked")
            continue
        privileges, _, target = grant.rpartition(" ON ")
        if not privileges or not _covers(target, schema):
            continue
        names = [re.sub(r"\s*\(.*", "", p).strip().upper() for p in _top_level(privileges)]
        writing = [p for p in names if p in WRITING_PRIVILEGES]
        if writing:
            found.append(f"{', '.join(writing)} on {target}")
    return found


def _top_level(privileges: str) -> list[str]:
    """Split ``SELECT (`a`, `b`), INSERT`` on the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in privileges:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _covers(target: str, schema: str) -> bool:
    """Whether a grant's target (``*.*``, ```shop`.*``, ```sh%`.`t```, ``PROCEDURE
    `shop`.`p```) reaches ``schema``; database names may hold ``%`` and ``_`` wildcards."""
    target = re.sub(r"^(PROCEDURE|FUNCTION|PACKAGE|PACKAGE BODY) ", "", target.strip())
    if target.startswith("*"):
        return True  # *.* (or * alone: the current database)
    if target.startswith("`"):
        end = 1
        while True:
            end = target.index("`", end)
            if target[end + 1 : end + 2] == "`":
                end += 2
                continue
            break
        database = target[1:end].replace("``", "`")
    else:
        database = target.split(".", 1)[0]
    pattern = ""
    i = 0
    while i < len(database):
        ch = database[i]
        if ch == "\\" and i + 1 < len(database):
            pattern += re.escape(database[i + 1])
            i += 2
            continue
        pattern += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(pattern, schema, re.IGNORECASE) is not None
