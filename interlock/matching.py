"""Comparing actual JSON values with expected ones, markers included.

``match`` compares a whole value: objects must have exactly the expected keys and
arrays the expected items in order. ``contains`` accepts extra keys at any depth and
finds expected array items in any order. Both return every mismatch, each with
its JSON path, the expected and the actual value, so a failure lists them all.

Markers are strings: ``#string #number #integer #boolean #array #object #null
#notnull #present #ignore #uuid #date #datetime #email #regex <pattern>``; ``##x``
makes one optional (absent or null also passes); ``\\#text`` is the literal ``#text``.
Types are strict (``true`` never equals ``1``) except that numbers compare by value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from interlock.errors import ScenarioInputError, excerpt_at


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Final = _Missing()

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_datetime(v: Any) -> bool:
    if not isinstance(v, str) or len(v) < 16:
        return False
    try:
        dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or not _DATE.match(v):
        return False
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return False
    return True


_TYPE_MARKERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "number": ("a number", _is_number),
    "integer": ("a whole number", lambda v: _is_number(v) and float(v).is_integer()),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "array": ("an array", lambda v: isinstance(v, list)),
    "object": ("an object", lambda v: isinstance(v, dict)),
    "null": ("null", lambda v: v is None),
    "notnull": ("any value but null", lambda v: v is not None),
    "present": ("present (any value)", lambda v: True),
    "ignore": ("anything", lambda v: True),
    "uuid": ("a UUID", lambda v: isinstance(v, str) and bool(_UUID.match(v))),
    "date": ("a date (YYYY-MM-DD)", _is_date),
    "datetime": ("a date and time (ISO 8601)", _is_datetime),
    "email": ("an email address", lambda v: isinstance(v, str) and bool(_EMAIL.match(v))),
}
MARKERS: Final = (*(f"#{m}" for m in _TYPE_MARKERS), "#regex <pattern>")


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: Any
    actual: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("#")


def check_marker(marker: str, actual: Any) -> str | None:
    """None if ``actual`` satisfies ``marker``, else why not. ``actual`` may be MISSING."""
    optional = marker.startswith("##")
    body = marker[2:] if optional else marker[1:]
    if optional and (actual is MISSING or actual is None):
        return None
    name, _, argument = body.partition(" ")
    if name == "regex":
        if not argument:
            raise ScenarioInputError(
                f"marker {marker!r} needs a pattern", hint="write it as: #regex ^[A-Z]+$"
            )
        try:
            pattern = re.compile(argument)
        except re.error as exc:
            raise ScenarioInputError(f"marker {marker!r}: bad regular expression: {exc}") from None
        description = f"a string matching /{argument}/"
        passed = isinstance(actual, str) and bool(pattern.fullmatch(actual))
    elif name in _TYPE_MARKERS and not argument:
        description, test = _TYPE_MARKERS[name]
        if actual is MISSING:
            return None if name == "ignore" else f"expected {description}, but it is absent"
        passed = test(actual)
    else:
        raise ScenarioInputError(
            f"unknown match marker {marker!r}",
            hint=f"markers: {', '.join(MARKERS)}, and ##marker for an optional one;"
            f" write \\{marker} for a literal text",
        )
    if passed:
        return None
    if optional:
        description += " (or null, or absent)"
    if actual is MISSING:
        return f"expected {description}, but it is absent"
    return f"expected {description}, got {show(actual)}"


def unescape(value: Any) -> Any:
    """An expected ``\\#text`` stands for the literal string ``#text``."""
    if isinstance(value, str) and value.startswith("\\#"):
        return value[1:]
    return value


def values_equal(expected: Any, actual: Any) -> bool:
    """Strict JSON equality, except that numbers compare by value (1 == 1.0)."""
    if _is_number(expected) and _is_number(actual):
        return bool(expected == actual)
    if type(expected) is not type(actual):
        return False
    return bool(expected == actual)


def match(expected: Any, actual: Any, path: str = "$") -> list[Mismatch]:
    """Every difference between ``actual`` and ``expected`` (whole-value comparison)."""
    return _compare(expected, actual, path, contains=False)


def contains(expected: Any, actual: Any, path: str = "$") -> list[Mismatch]:
    """Every expected part that ``actual`` lacks (extra keys and items are fine)."""
    return _compare(expected, actual, path, contains=True)


def each_item(expected: Any, actual: Any, path: str = "$") -> list[Mismatch]:
    """Every difference of every item of the array ``actual`` from ``expected`` (each
    item compared whole). An empty array fails: it has no item to check."""
    if not isinstance(actual, list):
        return [Mismatch(path, expected, actual, f"expected an array, got {show(actual)}")]
    if not actual:
        return [Mismatch(path, expected, actual, "expected items to check, got an empty array")]
    found: list[Mismatch] = []
    for i, item in enumerate(actual):
        found += _compare(expected, item, f"{path}[{i}]", contains=False)
    return found


def _compare(expected: Any, actual: Any, path: str, contains: bool) -> list[Mismatch]:
    if is_marker(expected):
        why = check_marker(expected, actual)
        return [] if why is None else [Mismatch(path, expected, actual, why)]
    if actual is MISSING:
        return [Mismatch(path, expected, actual, f"expected {show(expected)}, but it is absent")]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, expected, actual, f"expected an object, got {show(actual)}")]
        found: list[Mismatch] = []
        for key, value in expected.items():
            found += _compare(value, actual.get(key, MISSING), _child(path, key), contains)
        if not contains:
            for key in actual:
                if key not in expected:
                    found.append(
                        Mismatch(
                            _child(path, key),
                            MISSING,
                            actual[key],
                            f"unexpected key, with value {show(actual[key])}",
                        )
                    )
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [Mismatch(path, expected, actual, f"expected an array, got {show(actual)}")]
        return _compare_lists(expected, actual, path, contains)
    expected = unescape(expected)
    if values_equal(expected, actual):
        return []
    return [Mismatch(path, expected, actual, f"expected {show(expected)}, got {show(actual)}")]


def _compare_lists(
    expected: list[Any], actual: list[Any], path: str, contains: bool
) -> list[Mismatch]:
    if not contains:
        found: list[Mismatch] = []
        if len(expected) != len(actual):
            found.append(
                Mismatch(
                    path,
                    expected,
                    actual,
                    f"expected {len(expected)} items, got {len(actual)}",
                )
            )
        for i, (exp, act) in enumerate(zip(expected, actual, strict=False)):
            found += _compare(exp, act, f"{path}[{i}]", contains)
        return found
    unused = list(range(len(actual)))
    found = []
    for i, exp in enumerate(expected):
        hit = next((j for j in unused if not _compare(exp, actual[j], "", True)), None)
        if hit is None:
            found.append(
                Mismatch(
                    f"{path}[{i}]",
                    exp,
                    actual,
                    f"no item matches {show(exp)} among {len(actual)} items",
                )
            )
        else:
            unused.remove(hit)
    return found


def _child(path: str, key: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def show(value: Any, limit: int = 120) -> str:
    """A value as JSON, cut to ``limit`` characters."""
    if value is MISSING:
        return "(absent)"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(mismatches: list[Mismatch], title: str) -> str:
    """One failure message listing every mismatch."""
    count = len(mismatches)
    lines = [f"{title}: {count} mismatch{'es' if count != 1 else ''}"]
    lines += [f"  - {m}" for m in mismatches]
    return "\n".join(lines)


def parse_json(text: str, what: str, source: str | None = None, first_line: int = 1) -> Any:
    """Parse JSON written by a user, with an error that shows where it broke.

    ``source`` names the user's file and ``first_line`` the line of that file where
    ``text`` starts, so that the error points into the file (``orders.feature:24``).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.split("\n")  # as the decoder counts lines
        bad, column = excerpt_at(
            lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else "", exc.colno
        )
        # In a user's file the caret below shows the column (a doc string's indentation
        # is not part of its text).
        where = (
            f"{source}:{first_line + exc.lineno - 1}"
            if source
            else f"line {exc.lineno}, column {exc.colno}"
        )
        raise ScenarioInputError(
            f"{what} is not valid JSON: {exc.msg} at {where}:\n"
            f"    {bad}\n    {' ' * (column - 1)}^",
            hint='strings need double quotes, markers too: "#string"',
        ) from None
