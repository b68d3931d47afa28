"""SQL conditions for expected table cells, never narrower than interlock's own comparison.

A table check ("the table orders should contain") asks the database only for the rows
that could match: each expected cell becomes a condition that every row interlock would
accept also satisfies (:func:`interlock.cells.cell_mismatch` then decides on those few
candidates, markers and types included). A condition may be looser than interlock
(collations fold case and accents, ``'a' = 'a '`` under PAD SPACE, a FLOAT is asked for
within a range); it must never be narrower. Where that cannot be shown for a column's
type, the cell adds no condition.

By the column's type (``information_schema.COLUMNS.DATA_TYPE``) and what the driver
returns for it:

- integers: ``= <int>``; ``true``/``false`` are 1 and 0; a cell that is no whole number
  can match no row;
- DECIMAL: ``= <decimal literal>`` (compared exactly as decimals, so ``9.90`` finds 9.9);
- FLOAT, DOUBLE: ``BETWEEN`` the value ± 1e-5 of it (the server sends a FLOAT rounded to
  6 significant digits, a DOUBLE to 15-17; a FLOAT(M,D) to D decimals, so ± 10^-D more);
- DATETIME: ``BETWEEN`` ± 1 second (the text may carry a zone, ``T`` or fractions);
  TIMESTAMP ± 1 day (the session's time zone and its DST hour stand between);
- DATE: ``= <date>``;
- CHAR, VARCHAR, TEXT, ENUM (MariaDB's JSON is LONGTEXT): ``= <text>`` under the column's
  collation, when the column's character set holds every character of the text;
- NULL: ``IS NULL``; a marker: ``IS NULL`` for ``#null``, nothing for ``#ignore``,
  ``#present`` and optional ``##`` markers, ``IS NOT NULL`` for the others (none of them
  accepts a NULL) except on date types (zero dates are odd in SQL);
- anything else (MySQL's JSON, TIME, YEAR, SET, BIT, BLOB...): ``IS NOT NULL`` for a
  literal cell, since no literal cell matches a NULL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

from interlock.matching import check_marker, is_marker

NULL: Final = "NULL"  # as in interlock.cells (imported there from here would be circular)

INTEGERS: Final = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
DECIMALS: Final = frozenset({"decimal", "numeric"})
FLOATS: Final = frozenset({"float", "double", "real", "double precision"})
TEXTS: Final = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum"})
DATES: Final = frozenset({"date", "datetime", "timestamp"})

FLOAT_MARGIN: Final = 1e-5  # relative: FLOAT is shown with 6 significant digits
DATETIME_MARGIN: Final = dt.timedelta(seconds=1)
TIMESTAMP_MARGIN: Final = dt.timedelta(days=1)
# The widest DECIMAL: 65 digits, 38 of them after the point (MariaDB; MySQL allows 30).
DECIMAL_DIGITS: Final = 65
DECIMAL_SCALE: Final = 38
_MARKERS_ACCEPTING_NULL: Final = frozenset({"null", "ignore", "present"})


class ColumnType(Protocol):
    """What a condition needs to know of a column (``interlock.db.Column`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def charset(self) -> str | None: ...
    @property
    def scale(self) -> int | None: ...


@dataclass(frozen=True)
class Condition:
    """One SQL condition on ``column`` (``%s`` placeholders, bound ``params``)."""

    column: str
    sql: str
    params: tuple[Any, ...] = ()
    equality: bool = False  # `column` = one value: a unique key's rows are at most one


class Never:
    """A cell no row can match (a column of integers asked for ``abc``)."""


NEVER: Final = Never()


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def cell_condition(column: ColumnType, cell: str) -> Condition | Never | None:
    """The condition for one expected cell: a :class:`Condition`, :data:`NEVER` when no
    value of the column can match, or None when the cell adds no condition.

    A marker is checked here (an unknown one, or a bad ``#regex``, is an error even when
    no row is ever compared)."""
    name = quote_name(column.name)
    kind = column.data_type.lower()
    if is_marker(cell):
        check_marker(cell, None)  # raises ScenarioInputError for an unknown marker
        optional = cell.startswith("##")
        marker = cell.lstrip("#").partition(" ")[0]
        if marker == "null" and not optional:
            return Condition(column.name, f"{name} IS NULL")
        if optional or marker in _MARKERS_ACCEPTING_NULL or kind in DATES:
            return None
        return Condition(column.name, f"{name} IS NOT NULL")
    if cell.startswith("\\#"):
        cell = cell[1:]
    elif cell == NULL:
        return Condition(column.name, f"{name} IS NULL")
    if kind in INTEGERS:
        return _integer(column.name, name, cell)
    if kind in DECIMALS:
        return _decimal(column.name, name, cell)
    if kind in FLOATS:
        return _floating(column, name, cell)
    if kind in ("datetime", "timestamp"):
        margin = DATETIME_MARGIN if kind == "datetime" else TIMESTAMP_MARGIN
        return _datetime(column.name, name, cell, margin)
    if kind == "date":
        return _date(column.name, name, cell)
    if kind in TEXTS and _holds(column.charset, cell):
        return Condition(column.name, f"{name} = %s", (cell,), equality=True)
    return Condition(column.name, f"{name} IS NOT NULL")


def row_conditions(
    columns: Mapping[str, ColumnType],
    expected: Mapping[str, str],
    unique_keys: Sequence[Sequence[str]] = (),
) -> list[Condition] | Never:
    """The conditions of one expected row (all must hold), or :data:`NEVER`.

    When a unique key's columns are all compared by equality, their conditions alone
    find the one candidate: the other cells are only checked for bad markers (their
    conditions would cost the server and the driver time, and find nothing more)."""
    for key in unique_keys:
        if not key or not all(column in expected for column in key):
            continue
        conditions = [cell_condition(columns[column], expected[column]) for column in key]
        if any(isinstance(c, Never) for c in conditions):
            return NEVER
        if all(isinstance(c, Condition) and c.equality for c in conditions):
            for column, cell in expected.items():
                if column not in key and is_marker(cell):
                    check_marker(cell, None)  # raises for an unknown marker
            return [c for c in conditions if isinstance(c, Condition)]
    found = []
    for column, cell in expected.items():
        condition = cell_condition(columns[column], cell)
        if isinstance(condition, Never):
            return NEVER
        if condition is not None:
            found.append(condition)
    return found


def where_clause(rows: Sequence[list[Condition] | Never]) -> tuple[str, list[Any]] | Never:
    """`` WHERE ...`` for rows any of which may match (their conditions OR-ed), with its
    parameters: ``("", [])`` when some row has no condition at all (every row of the table
    is a candidate), :data:`NEVER` when no row can match."""
    terms: list[str] = []
    params: list[Any] = []
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    for conditions in rows:
        if isinstance(conditions, Never):
            continue
        if not conditions:
            return "", []
        sql = " AND ".join(c.sql for c in conditions)
        values = tuple(p for c in conditions for p in c.params)
        if (sql, values) in seen:
            continue
        seen.add((sql, values))
        terms.append(sql)
        params.extend(values)
    if not terms:
        return NEVER
    if len(terms) == 1:
        return f" WHERE {terms[0]}", params
    return " WHERE " + " OR ".join(f"({t})" for t in terms), params


def _number(cell: str) -> Decimal | None:
    """The number a cell stands for, as :func:`interlock.cells._equal` reads it (``true``
    is 1, ``false`` 0); None when it is none."""
    text = cell.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return Decimal(1 if lowered == "true" else 0)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _integer(column: str, name: str, cell: str) -> Condition | Never:
    number = _number(cell)
    if number is None or number != number.to_integral_value() or number.adjusted() > 20:
        return NEVER  # no whole number in any integer column equals it
    return Condition(column, f"{name} = %s", (int(number),), equality=True)


def _decimal(column: str, name: str, cell: str) -> Condition | Never:
    number = _number(cell)
    if number is None:
        return NEVER
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    # Trailing zeros dropped by hand: Decimal.normalize() would round to the context's 28
    # digits, and a DECIMAL(65,30) value has more.
    while len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    scale = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if scale > DECIMAL_SCALE or whole + scale > DECIMAL_DIGITS:
        return NEVER  # more digits than any DECIMAL column holds
    return Condition(column, f"{name} = %s", (Decimal((sign, digits, exponent)),), equality=True)


def _floating(column: ColumnType, name: str, cell: str) -> Condition | None:
    number = _number(cell)
    if number is None:
        return None  # the driver never returns inf or nan; leave the proof to the rows
    value = float(number)
    margin = abs(value) * FLOAT_MARGIN + 1e-300
    if column.scale is not None:
        margin += 10.0**-column.scale
    low, high = value - margin, value + margin
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return Condition(column.name, f"{name} BETWEEN %s AND %s", (low, high))


def _datetime(column: str, name: str, cell: str, margin: dt.timedelta) -> Condition | None:
    try:
        wanted = dt.datetime.fromisoformat(cell.strip().replace("Z", "+00:00"))
    except ValueError:
        return None  # only a value the driver could not convert (a zero date) may match
    if wanted.tzinfo is not None:
        wanted = wanted.astimezone(dt.UTC).replace(tzinfo=None)
    try:
        low, high = wanted - margin, wanted + margin
    except OverflowError:
        return None
    return Condition(column, f"{name} BETWEEN %s AND %s", (low, high))


def _date(column: str, name: str, cell: str) -> Condition | None:
    try:
        wanted = dt.date.fromisoformat(cell.strip())
    except ValueError:
        return None
    return Condition(column, f"{name} = %s", (wanted,), equality=True)


def _holds(charset: str | None, text: str) -> bool:
    """Whether the column's character set holds every character of ``text``: otherwise
    the server refuses to compare them ("Illegal mix of collations")."""
    charset = (charset or "").lower()
    if charset == "utf8mb4":
        return True
    if charset in ("utf8mb3", "utf8"):
        return all(ord(c) <= 0xFFFF for c in text)
    return text.isascii()
