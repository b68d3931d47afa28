"""The exceptions interlock raises, in one flat module, and the exit codes they map to.

Every error a user can cause carries a message that names their own file, key or
step and says what to do; ``str(error)`` is complete and never needs a traceback.
"""

from __future__ import annotations

import enum


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
