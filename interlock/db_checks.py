"""Assertions on database tables, with failures that show the closest rows seen.

A table check reads only its candidate rows: a query whose WHERE holds the expected
cells SQL compares at least as loosely as interlock (:mod:`interlock.cell_filters`),
and the typed comparison and markers then decide on the few rows it returns. Polls
repeat that query. The closest rows are looked for only after a failure, in a bounded
read (the whole table when it has at most DIAGNOSIS_ROWS rows, as before)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.cell_filters import Condition, Never, cell_condition, row_conditions, where_clause
from interlock.cells import NULL, format_row, row_mismatches, to_json_value
from interlock.db import Database, describe_missing, missing_rows, quote_name, unexpected_rows
from interlock.errors import ScenarioInputError
from interlock.polling import until

DIAGNOSIS_ROWS = 1000  # rows read, after a failure, to find the closest ones
NEAR_ROWS = 100  # rows read per indexed cell of a missing row, when the table is bigger


Row = dict[str, Any]


def _columns(rows: Sequence[dict[str, str]]) -> list[str]:
    return list(rows[0]) if rows else []


@dataclass
class CandidateQuery:
    """One table check as a query for its candidate rows only: the WHERE holds every
    expected cell SQL compares at least as loosely as interlock does
    (:mod:`interlock.cell_filters`); the rows it returns are then compared cell by cell.
    Built once (the column types are looked up once per connection and table), run at
    every poll."""

    db: Database
    table: str
    expected: Sequence[dict[str, str]]
    columns: list[str]
    key: list[str]  # primary key columns read along (to list found rows in key order)
    where: tuple[str, list[Any]] | None  # None: no row can match, nothing to ask

    @classmethod
    def build(
        cls, db: Database, table: str, expected: Sequence[dict[str, str]], with_key: bool = False
    ) -> CandidateQuery:
        columns = _columns(expected)
        db.check_columns(table, columns)
        info = db.column_info(table)
        unique = [index.columns for index in db.indexes(table) if index.unique]
        where = where_clause([row_conditions(info, row, unique) for row in expected])
        key = [c for c in db.primary_key(table) if c not in columns] if with_key else []
        return cls(db, table, expected, columns, key, None if isinstance(where, Never) else where)

    def select(self, where: str = "", params: Sequence[Any] = (), tail: str = "") -> list[Row]:
        names = ", ".join(quote_name(c) for c in [*self.columns, *self.key])
        return self.db.query(f"SELECT {names} FROM {quote_name(self.table)}{where}{tail}", params)

    def candidates(self) -> list[Row]:
        """The rows that may match an expected row (a superset of those that do)."""
        if self.where is None:
            return []
        return self.select(*self.where)

    def absent(self, candidates: Sequence[Row]) -> list[dict[str, str]]:
        return [row for row in self.expected if not _any_match(row, candidates)]

    def read_whole(self) -> list[Row] | None:
        """The table's rows as the full read before push-down saw them (same statement,
        same order), when it has at most DIAGNOSIS_ROWS; else None."""
        names = ", ".join(quote_name(c) for c in self.columns)
        rows = self.db.query(
            f"SELECT {names} FROM {quote_name(self.table)} LIMIT {DIAGNOSIS_ROWS + 1}"
        )
        return rows if len(rows) <= DIAGNOSIS_ROWS else None

    def diagnose(self, candidates: Sequence[Row]) -> str | None:
        """The failure message for the expected rows still missing, with the closest rows:
        found in the whole table when it is small, else among the candidates, the rows
        sharing an indexed cell with the missing row and the last rows by primary key."""
        whole = self.read_whole()
        if whole is not None:
            return missing_rows(self.expected, whole, self.table)
        key = self.db.primary_key(self.table)
        if key:
            order = ", ".join(f"{quote_name(c)} DESC" for c in key)
            recent = self.select(tail=f" ORDER BY {order} LIMIT {DIAGNOSIS_ROWS}")
            which = f"the last {DIAGNOSIS_ROWS} by {', '.join(key)}"
        else:
            recent = self.select(tail=f" LIMIT {DIAGNOSIS_ROWS}")
            which = f"the first {DIAGNOSIS_ROWS} read"
        info = self.db.column_info(self.table)
        indexed = {index.columns[0] for index in self.db.indexes(self.table)}
        absent = []
        for row in self.absent(candidates):
            seen = list(candidates)
            for column, cell in row.items():
                condition = cell_condition(info[column], cell) if column in indexed else None
                if isinstance(condition, Condition):
                    seen += self.select(
                        f" WHERE {condition.sql}", condition.params, f" LIMIT {NEAR_ROWS}"
                    )
            seen = _distinct([*seen, *recent])
            if not _any_match(row, seen):  # else it appeared since the candidates were read
                absent.append((row, seen))
        note = (
            f"the table has more than {DIAGNOSIS_ROWS} rows: closest among {which}"
            " and those sharing a value with the expected row, not the whole table"
        )
        return describe_missing(self.table, self.expected, absent, note)


def _any_match(expected: dict[str, str], rows: Sequence[Row]) -> bool:
    return any(not row_mismatches(expected, row) for row in rows)


def _distinct(rows: Sequence[Row]) -> list[Row]:
    """The rows without repeats (rows alike in the compared columns are one)."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        identity = repr(sorted(row.items()))
        if identity not in seen:
            seen.add(identity)
            kept.append(row)
    return kept


def contains_rows(db: Database, table: str, expected: Sequence[dict[str, str]]) -> None:
    problem = _missing(db, table, expected)
    if problem:
        raise AssertionError(problem)


def eventually_contains_rows(
    db: Database, table: str, expected: Sequence[dict[str, str]], timeout: float, interval: float
) -> None:
    """Like :func:`contains_rows`, retried with fresh reads until ``timeout`` seconds.
    Each poll runs the narrow query; the closest rows are looked for once, at the end."""
    if not expected:
        return
    lookup = CandidateQuery.build(db, table, expected)
    last: list[Row] = []

    def poll() -> str | None:
        last[:] = lookup.candidates()
        return "missing" if lookup.absent(last) else None

    if until(poll, timeout, interval) is None:
        return
    problem = lookup.diagnose(last)
    if problem:
        raise AssertionError(f"after {timeout:g} seconds, {problem}")


def _missing(db: Database, table: str, expected: Sequence[dict[str, str]]) -> str | None:
    if not expected:
        return None
    lookup = CandidateQuery.build(db, table, expected)
    candidates = lookup.candidates()
    if not lookup.absent(candidates):
        return None
    return lookup.diagnose(candidates)


def lacks_rows(db: Database, table: str, forbidden: Sequence[dict[str, str]]) -> None:
    if not forbidden:
        return
    lookup = CandidateQuery.build(db, table, forbidden, with_key=True)
    candidates = lookup.candidates()
    if not any(_any_match(row, candidates) for row in forbidden):
        return
    # A failure: a small table is read whole so that the rows are listed in the order the
    # full read gave them; a big one lists the candidates by primary key.
    whole = lookup.read_whole()
    problem = unexpected_rows(forbidden, whole, table) if whole is not None else None
    if problem is None:
        key = db.primary_key(table)
        if key:
            candidates = sorted(candidates, key=lambda row: tuple(row[c] for c in key))
        problem = unexpected_rows(forbidden, candidates, table)
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
