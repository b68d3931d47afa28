"""The exceptions interlock raises, in one flat module, and the exit codes they map to.

Every error a user can cause carries a message that names their own file, key or
step and says what to do; ``str(error)`` is complete and never needs a traceback.
"""

from __future__ import annotations

import enum
import re

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
