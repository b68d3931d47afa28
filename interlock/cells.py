"""Comparing Gherkin table cells (text) with database values (typed).

``9.90`` equals a DECIMAL 9.9, ``2026-01-31`` a DATE, ``true`` a TINYINT 1, ``NULL``
is SQL NULL, an empty cell an empty string, and match markers (``#notnull``,
``#regex ...``) work as in JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from interlock.matching import check_marker, is_marker

NULL = "NULL"


def to_json_value(value: Any) -> Any:
    """A database value as the JSON-like value markers are checked against."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return value


def display(value: Any) -> str:
    """A database value as a table cell would show it."""
    if value is None:
        return NULL
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(to_json_value(value))


def cell_mismatch(expected: str, actual: Any) -> str | None:
    """None when the cell text matches the value, else a short reason."""
    if is_marker(expected):
        return check_marker(expected, to_json_value(actual))
    if expected.startswith("\\#"):
        expected = expected[1:]
    if expected == NULL:
        return None if actual is None else f"expected NULL, got {display(actual)!r}"
    if actual is None:
        return f"expected {expected!r}, got NULL"
    if _equal(expected, actual):
        return None
    return f"expected {expected!r}, got {display(actual)!r}"


def _equal(expected: str, actual: Any) -> bool:
    if isinstance(actual, bool | int | float | Decimal):
        lowered = expected.strip().lower()
        if lowered in ("true", "false"):
            return bool(actual) == (lowered == "true") and actual in (0, 1)
        try:
            return Decimal(expected.strip()) == Decimal(str(actual))
        except InvalidOperation:
            return False
    if isinstance(actual, dt.datetime):
        try:
            wanted = dt.datetime.fromisoformat(expected.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
        if wanted.tzinfo is not None and actual.tzinfo is None:
            wanted = wanted.astimezone(dt.UTC).replace(tzinfo=None)
        return wanted == actual
    if isinstance(actual, dt.date):
        try:
            return dt.date.fromisoformat(expected.strip()) == actual
        except ValueError:
            return False
    return display(actual) == expected


def row_mismatches(expected: Mapping[str, str], row: Mapping[str, Any]) -> list[str]:
    """Why a database row does not match an expected table row (empty: it matches)."""
    reasons = []
    for column, cell in expected.items():
        why = cell_mismatch(cell, row.get(column))
        if why:
            reasons.append(f"{column}: {why}")
    return reasons


def closest_rows(
    expected: Mapping[str, str], rows: Sequence[Mapping[str, Any]], limit: int = 3
) -> list[tuple[Mapping[str, Any], list[str]]]:
    """The rows that differ from ``expected`` in the fewest columns, with their differences."""
    scored = [(row, row_mismatches(expected, row)) for row in rows]
    scored.sort(key=lambda pair: len(pair[1]))
    return scored[:limit]


def format_row(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    return "| " + " | ".join(display(row.get(c)) for c in columns) + " |"
