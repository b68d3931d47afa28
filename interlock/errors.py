"""The exceptions interlock raises, in one flat module, and the exit codes they map to.

Every error a user can cause carries a message that names their own file, key or
step and says what to do; ``str(error)`` is complete and never needs a traceback.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

EXCERPT = 200  # characters of a file an error message may quote: enough to find the spot
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ExitCode(enum.IntEnum):
    """The exit codes of ``interlock`` commands (documented in the README)."""

    PASSED = 0
    FAILED = 1
    COULD_NOT_RUN = 2
    CLEANUP_INCOMPLETE = 3
    INTERRUPTED = 130


class InterlockError(Exception):
    """Base of every error interlock reports to a user.

    ``hint`` says what to do about it and is printed on its own line.
    """

    exit_code: ExitCode = ExitCode.COULD_NOT_RUN

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  -> {self.hint}"
        return self.message


class ConfigError(InterlockError):
    """The configuration cannot be loaded: a file, key, value or variable is wrong."""


class EnvironmentStartError(InterlockError):
    """The environment under test could not be started or reached."""


class Reason(enum.StrEnum):
    """Why a part of the environment could not be used."""

    DNS = "dns"  # its host name does not resolve
    REFUSED = "refused"  # nothing listens at its address
    TLS = "tls"  # the TLS handshake failed (certificate not verified, not TLS at all)
    TIMEOUT = "timeout"  # no connection, or no answer, in time
    STATUS = "status"  # it answered its health path with a status that is not 2xx
    PROTOCOL = "protocol"  # its answer broke HTTP
    CONNECTION = "connection"  # the connection failed otherwise (reset, closed, proxy...)
    GONE = "gone"  # the process interlock started for it has died
    DATABASE = "database"  # the database server refused or failed the connection


@dataclass(frozen=True)
class Unreachable:
    """One part of the environment that could not be used, and why."""

    part: str  # "service orders", "database shop"
    url: str  # what was tried: "https://orders:8443/health", "mysql://app@db:3306/shop"
    reason: Reason
    detail: str  # what happened, one line: "GET https://... failed: SSLError: ..."
    key: str  # the config key that set the address: "services.orders.url in config/ci.yaml"
    advice: str = ""  # what to check, when the reason alone does not say it

    def __str__(self) -> str:
        lines = [f"{self.part}: {self.detail}", f"    its address: {self.key}"]
        if self.advice:
            lines.append(f"    {self.advice}")
        return "\n".join(lines)


class EnvironmentUnreachable(EnvironmentStartError):
    """Parts of the environment could not be reached or answered unhealthy (the run's
    check before it starts, ``doctor``); each part says why and which key set its address."""

    def __init__(self, headline: str, parts: Sequence[Unreachable], hint: str | None = None):
        self.parts = tuple(parts)
        super().__init__(
            f"{headline}:\n  - " + "\n  - ".join(str(p) for p in self.parts),
            hint=hint or "check the addresses named above, or that the environment is up",
        )

    @property
    def first(self) -> Unreachable:
        return self.parts[0]

    @property
    def service(self) -> str:
        return self.first.part

    @property
    def url(self) -> str:
        return self.first.url

    @property
    def reason(self) -> Reason:
        return self.first.reason

    @property
    def key(self) -> str:
        return self.first.key


class UnreachableFailure(AssertionError):
    """A step could not reach a service or database of the environment.

    An AssertionError, so behave fails the step as it fails any other; its type (not
    its text) files the result under "Environment unreachable" in the report (see
    :mod:`interlock.allure_files`)."""

    def __init__(self, message: str, unreachable: Unreachable) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class MariaDBNotFound(EnvironmentStartError):
    """The MariaDB server binaries are not installed."""


class ServiceStartError(EnvironmentStartError):
    """An embedded service did not start or never became healthy."""


class ScenarioInputError(InterlockError):
    """A step's input is wrong (unknown variable, bad JSON, unknown table...).

    These are mistakes in the scenario, not product defects; the message names
    what to change.
    """


class SqlScriptError(InterlockError):
    """A statement of a SQL script failed; the message names file, line and statement."""


def describe_error(exc: BaseException) -> str:
    """A database driver error as ``(code) message`` (pymysql puts both in ``args``)."""
    args: tuple[object, ...] = tuple(exc.args)
    if len(args) >= 2:
        return f"({args[0]}) {args[1]}"
    return str(exc)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``text`` on one line, cut with ``...``.

    An error that quotes a file it could not parse quotes only this much of it: the
    file may not be what its name says, and the error lands in reports."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def excerpt_at(line: str, column: int, width: int = 80) -> tuple[str, int]:
    """A window of ``width`` characters of ``line`` around the 1-based ``column``, cut
    with ``...`` where it is, and the column of the same character in the window.
    Control characters become spaces, so a caret below still lines up."""
    line = _CONTROL.sub(" ", line)
    if len(line) <= width:
        return line, column
    start = max(0, min(column - 1 - width // 2, len(line) - width))
    prefix = "..." if start else ""
    suffix = "..." if start + width < len(line) else ""
    return prefix + line[start : start + width] + suffix, column - start + len(prefix)
