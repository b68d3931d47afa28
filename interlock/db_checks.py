"""Assertions on database tables, with failures that show the closest rows seen."""

from __future__ import annotations

import re
from collections.abc import Sequence

from interlock.cells import NULL, format_row, row_mismatches, to_json_value
from interlock.db import Database, missing_rows, unexpected_rows
from interlock.errors import ScenarioInputError
from interlock.polling import until


def _columns(rows: Sequence[dict[str, str]]) -> list[str]:
    return list(rows[0]) if rows else []


def contains_rows(db: Database, table: str, expected: Sequence[dict[str, str]]) -> None:
    problem = _missing(db, table, expected)
    if problem:
        raise AssertionError(problem)


def eventually_contains_rows(
    db: Database, table: str, expected: Sequence[dict[str, str]], timeout: float, interval: float
) -> None:
    """Like :func:`contains_rows`, retried with fresh reads until ``timeout`` seconds."""
    problem = until(lambda: _missing(db, table, expected), timeout, interval)
    if problem:
        raise AssertionError(f"after {timeout:g} seconds, {problem}")


def _missing(db: Database, table: str, expected: Sequence[dict[str, str]]) -> str | None:
    actual = db.select(table, _columns(expected))
    return missing_rows(expected, actual, table)


def lacks_rows(db: Database, table: str, forbidden: Sequence[dict[str, str]]) -> None:
    actual = db.select(table, _columns(forbidden))
    problem = unexpected_rows(forbidden, actual, table)
    if problem:
        raise AssertionError(problem)


def row_count_is(
    db: Database, table: str, expected: int, column: str | None = None, value: str | None = None
) -> None:
    where = {column: None if value == NULL else value} if column is not None else {}
    actual = db.count(table, where)
    if actual != expected:
        condition = f" where {column} is {value!r}" if column is not None else ""
        raise AssertionError(
            f"table {table!r}: expected {expected} row{'s' if expected != 1 else ''}"
            f"{condition}, found {actual}"
        )


def query_returns(
    db: Database, sql: str, params: Sequence[object], expected: Sequence[dict[str, str]]
) -> None:
    """The query's rows equal the expected rows, in order, on the expected columns.

    Only one read-only statement is run, on any database: writes belong in SQL scripts."""
    rows = db.read(sql, params)
    columns = _columns(expected)
    problems = []
    if len(rows) != len(expected):
        problems.append(f"expected {len(expected)} rows, got {len(rows)}")
    for i, (want, got) in enumerate(zip(expected, rows, strict=False), start=1):
        missing = [c for c in columns if c not in got]
        if missing:
            problems.append(f"row {i}: the query returns no column {', '.join(missing)}")
            continue
        why = row_mismatches(want, got)
        if why:
            problems.append(f"row {i}: {'; '.join(why)}")
    if problems:
        shown = "\n".join(f"  {format_row(r, columns)}" for r in rows[:20])
        raise AssertionError(
            "the query did not return the expected rows:\n  - "
            + "\n  - ".join(problems)
            + f"\n  query: {sql}\n  rows returned:\n{shown or '  (none)'}"
        )


_WIDTH = re.compile(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")


def normalise_type(text: str) -> str:
    """A column type as compared: lower case, single spaces, integer display widths
    dropped (``int(11)`` is ``int``, ``bigint(20) unsigned`` is ``bigint unsigned``)."""
    text = " ".join(text.lower().split())
    return _WIDTH.sub(r"\1", text).replace("integer", "int")


_YES = {"yes", "true", "y", "nullable", "null"}
_NO = {"no", "false", "n", "not null"}


def has_columns(db: Database, table: str, expected: Sequence[dict[str, str]]) -> None:
    """Each listed column exists with its type and nullability (extra columns are fine)."""
    info = db.column_info(table)
    problems = []
    for row in expected:
        name = row.get("column", "")
        if not name:
            raise ScenarioInputError(
                "the table of columns needs a 'column' header",
                hint="write: | column | type | nullable |",
            )
        column = info.get(name)
        if column is None:
            problems.append(f"{name}: no such column (columns: {', '.join(info)})")
            continue
        wanted_type = row.get("type")
        if wanted_type and normalise_type(wanted_type) != normalise_type(column.column_type):
            problems.append(f"{name}: expected type {wanted_type!r}, found {column.column_type!r}")
        wanted_null = row.get("nullable")
        if wanted_null:
            flag = wanted_null.strip().lower()
            if flag not in _YES | _NO:
                raise ScenarioInputError(
                    f"nullable {wanted_null!r} for column {name!r} is neither yes nor no",
                    hint="write yes or no",
                )
            if (flag in _YES) != column.nullable:
                actual = "nullable" if column.nullable else "NOT NULL"
                problems.append(
                    f"{name}: expected {'nullable' if flag in _YES else 'NOT NULL'}, found {actual}"
                )
    if problems:
        raise AssertionError(
            f"table {table!r} does not have the expected columns:\n  - " + "\n  - ".join(problems)
        )


def column_value(db: Database, table: str, column: str, where: dict[str, str]) -> object:
    """The one value of ``column`` in the one row matching ``where``."""
    rows = db.select(table, [column], where)
    if len(rows) != 1:
        condition = " and ".join(f"{k} is {v!r}" for k, v in where.items())
        raise AssertionError(
            f"expected exactly 1 row of {table!r} where {condition}, found {len(rows)}"
        )
    return to_json_value(rows[0][column])
