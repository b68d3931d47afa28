"""SQL script splitting and the typed comparison of table cells with column values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from interlock.cells import cell_mismatch
from interlock.sql_script import split_statements


def test_statements_split_on_semicolons_outside_quotes_and_comments() -> None:
    sql = (
        "-- a comment; not a statement\n"
        "CREATE TABLE t (a TEXT DEFAULT 'x;y');\n"
        "/* block; comment */ INSERT INTO t VALUES ('it''s; fine');\n"
        "# hash comment;\n"
        'INSERT INTO t VALUES ("a\\";b");\n'
    )
    statements = split_statements(sql)
    assert [s.text.split()[0] for s in statements] == ["CREATE", "INSERT", "INSERT"]
    assert [s.line for s in statements] == [2, 3, 5]
    assert statements[1].text.endswith("('it''s; fine')")


def test_a_last_statement_without_semicolon_counts() -> None:
    assert [s.text for s in split_statements("SELECT 1;\nSELECT 2")] == ["SELECT 1", "SELECT 2"]


def test_cells_compare_by_type() -> None:
    assert cell_mismatch("9.90", Decimal("9.9")) is None
    assert cell_mismatch("9.91", Decimal("9.9")) is not None
    assert cell_mismatch("3", 3) is None
    assert cell_mismatch("true", 1) is None
    assert cell_mismatch("false", 1) is not None
    assert cell_mismatch("2026-01-31", dt.date(2026, 1, 31)) is None
    assert cell_mismatch("2026-01-31 10:00:00", dt.datetime(2026, 1, 31, 10)) is None
    assert cell_mismatch("2026-01-31T10:00:00", dt.datetime(2026, 1, 31, 10)) is None


def test_null_empty_and_markers() -> None:
    assert cell_mismatch("NULL", None) is None
    assert cell_mismatch("NULL", "") is not None
    assert cell_mismatch("", "") is None
    assert cell_mismatch("", None) is not None
    assert cell_mismatch("#notnull", 5) is None
    assert cell_mismatch("#notnull", None) is not None
    assert cell_mismatch("#regex ORD-\\d+", "ORD-12") is None
    assert cell_mismatch("#number", Decimal("1.5")) is None
    assert cell_mismatch("\\#tag", "#tag") is None
