"""Scenario variables and ``${name}`` substitution.

``${name}`` in step text, doc strings, table cells and loaded files is replaced by
the variable's value; ``\\${`` is a literal ``${``. Built-ins: ``${uuid}`` (new at
each use), ``${unique}`` (one short token per scenario, different in every
scenario, worker and run), ``${now}`` (UTC, ISO 8601) and ``${today}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from interlock.errors import ScenarioInputError

_REFERENCE = re.compile(r"(\\?)\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_JSON_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\\?)\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}')
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

BUILTINS = ("uuid", "unique", "now", "today")


def unique_token(worker: str | None = None) -> str:
    """A short token unlikely to repeat across scenarios, workers, shards and runs."""
    worker = worker if worker is not None else os.environ.get("INTERLOCK_WORKER", "")
    # Letters and digits only (a worker's later process is "w1.2"): it goes into SKUs,
    # e-mail addresses and other values with rules of their own.
    return "".join(c for c in worker if c.isalnum()) + secrets.token_hex(4)


class Variables:
    """The variables of one scenario."""

    def __init__(self, worker: str | None = None) -> None:
        self._values: dict[str, Any] = {}
        self._unique = unique_token(worker)
        self._builtins: dict[str, Callable[[], str]] = {
            "uuid": lambda: str(uuid.uuid4()),
            "unique": lambda: self._unique,
            "now": lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "today": lambda: dt.datetime.now(dt.UTC).date().isoformat(),
        }

    @property
    def unique(self) -> str:
        """This scenario's ``${unique}`` token."""
        return self._unique

    def set(self, name: str, value: Any) -> None:
        if not _NAME.match(name):
            raise ScenarioInputError(
                f"{name!r} is not a valid variable name",
                hint="use letters, digits and underscores, starting with a letter",
            )
        if name in self._builtins:
            raise ScenarioInputError(
                f"${{{name}}} is built in and cannot be set",
                hint="choose another name for your variable",
            )
        self._values[name] = value

    def get(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self._builtins:
            return self._builtins[name]()
        known = ", ".join(sorted(self._values)) or "none yet"
        raise ScenarioInputError(
            f"unknown variable ${{{name}}}",
            hint=f"variables set so far: {known}; built in: {', '.join(BUILTINS)}."
            " Save one first, or write \\${ for a literal ${",
        )

    def names(self) -> list[str]:
        return sorted(self._values)

    def substitute(self, text: str) -> str:
        """Replace every ``${name}`` with the variable's text (JSON for non-strings)."""

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return match.group(0)[1:]
            return as_text(self.get(match.group(2)))

        return _REFERENCE.sub(replace, text)

    def whole_number(self, text: str, what: str) -> int:
        """A step's number slot: digits, or a ``${name}`` holding a whole number."""
        value = self.substitute(text)
        try:
            return int(value)
        except ValueError:
            raise ScenarioInputError(
                f"{what} must be a whole number, but {text!r} is {value!r}",
                hint="write digits, or a variable that holds a whole number",
            ) from None

    def substitute_json(self, text: str) -> str:
        """Like :meth:`substitute`, for JSON text. A string that is one whole reference
        (``"${n}"``) takes the variable's JSON type (a saved number stays a number);
        inside longer strings values are JSON-escaped; outside strings they go in as is."""

        def in_string(match: re.Match[str]) -> str:
            if match.group(1):
                return match.group(0)[1:]
            return json.dumps(as_text(self.get(match.group(2))))[1:-1]

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner is None:
                if match.group(2):
                    return match.group(0)[1:]
                return as_text(self.get(match.group(3)))
            whole = _REFERENCE.fullmatch(inner)
            if whole and not whole.group(1):
                return json.dumps(self.get(whole.group(2)))
            return '"' + _REFERENCE.sub(in_string, inner) + '"'

        return _JSON_TOKEN.sub(replace, text) if "${" in text else text

    def split_for_sql(self, sql: str) -> tuple[str, list[Any]]:
        """Turn ``${name}`` references into ``%s`` placeholders and their bound values.

        Literal ``%`` is doubled so pymysql's formatting leaves it alone.
        """
        params: list[Any] = []
        out: list[str] = []
        pos = 0
        for match in _REFERENCE.finditer(sql):
            out.append(sql[pos : match.start()].replace("%", "%%"))
            if match.group(1):
                out.append(match.group(0)[1:])
            else:
                params.append(self.get(match.group(2)))
                out.append("%s")
            pos = match.end()
        out.append(sql[pos:].replace("%", "%%"))
        return "".join(out), params


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
