"""The SQL condition each expected cell adds to a table check's query (issue 20): never
narrower than interlock's own comparison. The real server's side is in
tests/mariadb/test_db_pushdown.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from interlock.cell_filters import (
    NEVER,
    Condition,
    cell_condition,
    row_conditions,
    where_clause,
)
from interlock.errors import ScenarioInputError


@dataclass(frozen=True)
class Col:
    name: str
    data_type: str
    charset: str | None = None
    scale: int | None = None


def test_whole_numbers_compare_exactly_and_impossible_ones_match_nothing() -> None:
    n = Col("n", "int")
    assert cell_condition(n, "7") == Condition("n", "`n` = %s", (7,), equality=True)
    assert cell_condition(n, " 7.00 ") == Condition("n", "`n` = %s", (7,), equality=True)
    assert cell_condition(n, "true") == Condition("n", "`n` = %s", (1,), equality=True)
    assert cell_condition(n, "FALSE") == Condition("n", "`n` = %s", (0,), equality=True)
    for impossible in ("7.5", "abc", "", "NaN", "1e30"):
        assert cell_condition(n, impossible) is NEVER


def test_decimals_are_bound_as_decimals_without_trailing_zeros() -> None:
    m = Col("m", "decimal", scale=2)
    assert cell_condition(m, "9.90") == Condition("m", "`m` = %s", (Decimal("9.9"),), equality=True)
    assert cell_condition(m, "100") == Condition("m", "`m` = %s", (Decimal("100"),), equality=True)
    many = "1.0000000000000000000000000000001"  # more digits than Decimal's context keeps
    (value,) = cell_condition(m, many).params  # type: ignore[union-attr]
    assert value == Decimal(many)
    assert cell_condition(m, "1e70") is NEVER


def test_floats_are_asked_for_within_a_range() -> None:
    f = Col("f", "float")
    condition = cell_condition(f, "19.9")
    assert isinstance(condition, Condition)
    assert condition.sql == "`f` BETWEEN %s AND %s"
    low, high = condition.params
    assert low < 19.899999618530273 < high  # the FLOAT nearest 19.9
    assert low > 19.89 and high < 19.91
    (low, high) = cell_condition(Col("f", "float", scale=2), "19.9").params  # type: ignore[union-attr]
    assert low < 19.89 and high > 19.91
    zero = cell_condition(f, "0")
    assert isinstance(zero, Condition) and zero.params[0] < 0 < zero.params[1]
    assert cell_condition(f, "abc") is None
    assert cell_condition(f, "1e400") is None


def test_datetimes_are_ranges_and_dates_exact() -> None:
    at = Col("at", "datetime")
    condition = cell_condition(at, "2026-01-31T10:00:00+02:00")
    assert condition == Condition(
        "at",
        "`at` BETWEEN %s AND %s",
        (dt.datetime(2026, 1, 31, 7, 59, 59), dt.datetime(2026, 1, 31, 8, 0, 1)),
    )
    (low, high) = cell_condition(Col("ts", "timestamp"), "2026-01-31").params  # type: ignore[union-attr]
    assert high - low == dt.timedelta(days=2)
    assert cell_condition(at, "2026-02-30 10:00:00") is None
    assert cell_condition(Col("d", "date"), "20260131") == Condition(
        "d", "`d` = %s", (dt.date(2026, 1, 31),), equality=True
    )


def test_text_is_compared_only_where_the_charset_holds_it() -> None:
    assert cell_condition(Col("s", "varchar", "utf8mb4"), "Åsa 😀") == Condition(
        "s", "`s` = %s", ("Åsa 😀",), equality=True
    )
    assert cell_condition(Col("s", "varchar", "utf8mb3"), "Åsa") == Condition(
        "s", "`s` = %s", ("Åsa",), equality=True
    )
    for charset, text in (("utf8mb3", "😀"), ("latin1", "Åsa")):
        assert cell_condition(Col("s", "varchar", charset), text) == Condition(
            "s", "`s` IS NOT NULL"
        )
    assert cell_condition(Col("s", "text", "latin1"), "plain") == Condition(
        "s", "`s` = %s", ("plain",), equality=True
    )
    assert cell_condition(Col("s", "varchar", "utf8mb4"), "\\#tag") == Condition(
        "s", "`s` = %s", ("#tag",), equality=True
    )
    assert cell_condition(Col("j", "json", "utf8mb4"), '{"a": 1}') == Condition(
        "j", "`j` IS NOT NULL"
    )


def test_null_and_markers() -> None:
    s = Col("s", "varchar", "utf8mb4")
    assert cell_condition(s, "NULL") == Condition("s", "`s` IS NULL")
    assert cell_condition(s, "#null") == Condition("s", "`s` IS NULL")
    assert cell_condition(s, "#notnull") == Condition("s", "`s` IS NOT NULL")
    assert cell_condition(s, "#regex a.*") == Condition("s", "`s` IS NOT NULL")
    for open_marker in ("#ignore", "#present", "##string", "##null"):
        assert cell_condition(s, open_marker) is None
    assert cell_condition(Col("d", "date"), "#notnull") is None  # zero dates
    with pytest.raises(ScenarioInputError, match="unknown match marker"):
        cell_condition(s, "#strng")


def test_rows_are_or_ed_and_a_row_without_conditions_reads_every_row() -> None:
    columns = {"n": Col("n", "int"), "s": Col("s", "varchar", "utf8mb4")}
    a = row_conditions(columns, {"n": "1", "s": "x"})
    b = row_conditions(columns, {"n": "2", "s": "#ignore"})
    never = row_conditions(columns, {"n": "1.5", "s": "y"})
    assert never is NEVER
    assert where_clause([a]) == (" WHERE `n` = %s AND `s` = %s", [1, "x"])
    assert where_clause([a, b, never, a]) == (
        " WHERE (`n` = %s AND `s` = %s) OR (`n` = %s)",
        [1, "x", 2],
    )
    assert where_clause([a, row_conditions(columns, {"n": "#ignore", "s": "#ignore"})]) == (
        "",
        [],
    )
    assert where_clause([never]) is NEVER


def test_a_unique_key_compared_by_equality_is_the_whole_condition() -> None:
    columns = {
        "ref": Col("ref", "varchar", "utf8mb4"),
        "total": Col("total", "decimal", scale=2),
        "at": Col("at", "datetime"),
    }
    row = {"ref": "ORD-1", "total": "9.90", "at": "2026-01-31T10:00:00"}
    (only,) = row_conditions(columns, row, [("ref",)])  # type: ignore[misc]
    assert only == Condition("ref", "`ref` = %s", ("ORD-1",), equality=True)
    assert len(row_conditions(columns, row, [("ref", "at")])) == 3  # type: ignore[arg-type]
    assert len(row_conditions(columns, {**row, "ref": "#notnull"}, [("ref",)])) == 3  # type: ignore[arg-type]
    # The other cells are not looked at (a looser query), except for bad markers.
    assert row_conditions(columns, {**row, "total": "abc"}, [("ref",)]) == [only]
    assert row_conditions(columns, {**row, "total": "abc"}) is NEVER
    assert row_conditions(columns, {"total": "abc"}, [("total",)]) is NEVER
    with pytest.raises(ScenarioInputError, match="unknown match marker"):
        row_conditions(columns, {**row, "at": "#dat"}, [("ref",)])
