"""Table checks that ask the database for candidate rows only (issue 20), against a real
MariaDB: the narrow query never misses a row the full read would have matched, for
FLOAT, DOUBLE, DECIMAL, DATETIME(6), TIMESTAMP, DATE, case- and accent-insensitive and
binary collations, latin1, JSON, NULL and markers; failures read as before.

The property tests compare with the algorithm before push-down, kept here as the
reference: read every row (``Database.select``), compare in memory
(``db.missing_rows``, ``db.unexpected_rows``). Their seed is printed, and
``INTERLOCK_PROPERTY_SEED=<n>`` replays one.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from interlock import db_checks
from interlock.cells import display, row_mismatches
from interlock.db import Database, missing_rows, unexpected_rows
from interlock.environment import mariadb
from interlock.errors import ScenarioInputError
from interlock.masking import Masker
from tests.mariadb.app_db import app_database, settings

pytestmark = pytest.mark.mariadb

SCHEMA = """
CREATE TABLE mixed (
  id INT AUTO_INCREMENT PRIMARY KEY,
  f FLOAT NULL, f2 FLOAT(7,2) NULL, d DOUBLE NULL, m DECIMAL(10,3) NULL, n INT NULL,
  flag TINYINT(1) NULL, big BIGINT UNSIGNED NULL,
  at DATETIME(6) NULL, at0 DATETIME NULL, ts TIMESTAMP(3) NULL, day DATE NULL,
  ci VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
  gi VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL,
  bin VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  lat VARCHAR(20) CHARACTER SET latin1 NULL,
  u3 VARCHAR(20) CHARACTER SET utf8mb3 NULL,
  fixed CHAR(8) NULL, kind ENUM('new', 'Paid', 'shipped') NULL,
  doc JSON NULL, tm TIME NULL, code VARCHAR(20) NULL, UNIQUE KEY (code),
  KEY (f), KEY (d), KEY (m), KEY (at), KEY (ci), KEY (gi), KEY (day)
);
CREATE TABLE plain (a INT NULL, b VARCHAR(10) NULL);
"""

FLOATS = [19.9, 0.1, 1.2345678, -3.5, 0.0, 0.001, 12345.678, 1.0, 100000.0, 3.4e10, 1e-7]
DECIMALS = ["9.9", "9.900", "10", "-0.5", "0", "1", "123456.789", "0.001"]
INTS = [0, 1, -1, 7, 42, 2**31 - 1]
TEXTS = [
    "alice", "Alice", "ALICE", "álice", "Álice", "alice ", " alice", "a lice", "ß", "ss",
    "e", "é", "É", "ë", "", "0", "1", "#tag", "NULL", "x'); --", "日本", "😀", "9.90",
]  # fmt: skip
JSONS = ['{"a": 1}', '{"a":1}', "[1, 2]", '"x"', "null", '{"b": [true, null]}']
STAMPS = [
    dt.datetime(2026, 1, 31, 10, 0, 0),
    dt.datetime(2026, 1, 31, 10, 0, 0, 500000),
    dt.datetime(2026, 1, 31, 10, 0, 1),
    dt.datetime(2026, 1, 31, 0, 0, 0),
    dt.datetime(2025, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2026, 3, 29, 2, 30, 0, 123000),
]
MARKERS = [
    "#notnull", "#null", "#number", "#integer", "#string", "##number", "##string", "#ignore",
    "#present", "#date", "#datetime", "#regex a.*", "#regex [0-9.]+", "##regex al.*", "#uuid",
    "#email", "\\#tag", "#boolean",
]  # fmt: skip

COLUMN_VALUES: dict[str, Callable[[random.Random], Any]] = {
    "f": lambda r: r.choice(FLOATS),
    "f2": lambda r: r.choice([19.899, 19.9, 1.005, 0.0, -2.5, 1234.56]),
    "d": lambda r: r.choice([*FLOATS, 1.2345678901234567, 0.30000000000000004]),
    "m": lambda r: Decimal(r.choice(DECIMALS)),
    "n": lambda r: r.choice(INTS),
    "flag": lambda r: r.choice([0, 1, 2]),
    "big": lambda r: r.choice([0, 1, 2**64 - 1, 10**18]),
    "at": lambda r: r.choice(STAMPS),
    "at0": lambda r: r.choice(STAMPS).replace(microsecond=0),
    "ts": lambda r: r.choice(STAMPS).replace(microsecond=r.choice([0, 123000, 500000])),
    "day": lambda r: r.choice(STAMPS).date(),
    "ci": lambda r: r.choice(TEXTS),
    "gi": lambda r: r.choice(TEXTS),
    "bin": lambda r: r.choice(TEXTS),
    "lat": lambda r: r.choice([t for t in TEXTS if t not in ("日本", "😀")]),
    "u3": lambda r: r.choice([t for t in TEXTS if t != "😀"]),
    "fixed": lambda r: r.choice(["ab", "ab ", "AB", "", "ä"]),
    "kind": lambda r: r.choice(["new", "Paid", "shipped"]),
    "doc": lambda r: r.choice(JSONS),
    "tm": lambda r: r.choice(["10:00:00", "-01:30:00", "100:00:00", "00:00:00.5"]),
    "code": lambda r: f"Key-{r.randrange(10**6)}",  # made unique by fill
}
COLUMNS = list(COLUMN_VALUES)


@pytest.fixture
def db(server: mariadb.RunningServer) -> Iterator[Database]:
    database = app_database(server)
    yield database
    for table in ("mixed", "plain"):
        database.execute(f"TRUNCATE TABLE {table}")
    database.close()


def seed_from_environment(default: int) -> int:
    seed = int(os.environ.get("INTERLOCK_PROPERTY_SEED", default))
    print(f"property seed: {seed} (replay with INTERLOCK_PROPERTY_SEED={seed})")
    return seed


def fill(db: Database, rng: random.Random, count: int, null_share: float = 0.15) -> None:
    rows = []
    for i in range(count):
        rows.append([None if rng.random() < null_share else COLUMN_VALUES[c](rng) for c in COLUMNS])
        if rows[-1][-1] is not None:
            rows[-1][-1] += f"-{i}"  # unique (case-insensitively) in this fill
    names = ", ".join(f"`{c}`" for c in COLUMNS)
    marks = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        db.execute(
            f"INSERT INTO mixed ({names}) VALUES " + ", ".join([marks] * len(chunk)),
            [v for row in chunk for v in row],
        )


def variants(value: Any, rng: random.Random) -> list[str]:
    """Texts a scenario might write for a stored value: its own display, other forms of
    the same value, and near misses."""
    shown = display(value)
    forms = [shown]
    if value is None:
        return ["NULL", "", "null"]
    if isinstance(value, float | Decimal | int):
        number = Decimal(str(value))
        forms += [
            f"{number:f}", f"{number:f}0" if "." in f"{number:f}" else f"{number:f}.0",
            f"{float(value):e}", f" {shown} ", str(number + Decimal("0.001")),
            str(float(value) * 1.000001), "true", "false", "1e1", "abc",
            f"{float(value):.6g}", f"{float(value):.17g}",
        ]  # fmt: skip
    elif isinstance(value, dt.datetime):
        forms += [
            value.isoformat(), value.isoformat(sep=" "), value.isoformat() + "Z",
            (value + dt.timedelta(hours=2)).isoformat() + "+02:00",
            value.replace(microsecond=0).isoformat(), value.date().isoformat(),
            (value + dt.timedelta(seconds=1)).isoformat(), value.strftime("%Y%m%dT%H%M%S"),
            (value + dt.timedelta(microseconds=1)).isoformat(sep=" "), "2026-02-30 10:00:00",
        ]  # fmt: skip
    elif isinstance(value, dt.date):
        forms += [
            value.strftime("%Y%m%d"), (value + dt.timedelta(days=1)).isoformat(),
            f" {shown}", value.isoformat() + "T00:00:00", "0000-00-00",
        ]  # fmt: skip
    elif isinstance(value, str):
        forms += [
            shown.upper(), shown.lower(), shown + " ", " " + shown, shown.strip(),
            shown.replace("a", "á").replace("e", "é"), shown.replace("á", "a"),
            shown.replace('": ', '":'), shown.replace('":', '": '), shown + "x", "#tag",
        ]  # fmt: skip
    else:
        forms += [str(value), str(value) + "0"]
    return forms


def expected_rows(
    actual: list[dict[str, Any]], rng: random.Random, columns: list[str]
) -> list[dict[str, str]]:
    rows = []
    for _ in range(rng.randint(1, 3)):
        source = rng.choice(actual) if actual and rng.random() < 0.85 else {}
        row = {}
        for column in columns:
            roll = rng.random()
            if roll < 0.12:
                row[column] = rng.choice(MARKERS)
            elif roll < 0.2:
                row[column] = rng.choice(
                    ["NULL", "", "abc", "19.9", "2026-01-31", "alice", "😀", "日本"]
                )
            else:
                value = source.get(column)
                # A stored "#tag" is written \#tag in a table (else it reads as a marker).
                forms = ["\\" + f if f.startswith("#") else f for f in variants(value, rng)]
                row[column] = forms[0] if rng.random() < 0.6 else rng.choice(forms)
        rows.append(row)
    return rows


def random_cases(
    db: Database, rng: random.Random, fills: int, rows: int, cases: int, widest: int
) -> Iterator[tuple[list[dict[str, Any]], list[str], list[dict[str, str]]]]:
    """``fills`` times, the table ``mixed`` refilled with up to ``rows`` random rows; after
    each, ``cases`` times: all its rows, 1 to ``widest`` of its columns, and expected rows
    over those columns (some in the table, some not)."""
    for _ in range(fills):
        db.execute("TRUNCATE TABLE mixed")
        fill(db, rng, rng.randint(0, rows))
        everything = db.select("mixed", ["id", *COLUMNS])
        for _ in range(cases):
            columns = rng.sample(COLUMNS, rng.randint(1, widest))
            yield everything, columns, expected_rows(everything, rng, columns)


def outcome(check: Callable[[Database, str, list[dict[str, str]]], None], *args: Any) -> str | None:
    try:
        check(*args)
    except AssertionError as failure:
        return str(failure)
    return None


def record_queries(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL ``db`` issues from now on (through ``query``), in order."""
    issued: list[str] = []
    query = db.query

    def recording(sql: str, params: Any = (), evidence: bool = True) -> list[dict[str, Any]]:
        issued.append(sql)
        return query(sql, params, evidence)

    monkeypatch.setattr(db, "query", recording)
    return issued


def test_the_candidate_rows_hold_every_row_the_full_read_matches(db: Database) -> None:
    seed = seed_from_environment(20260)
    rng = random.Random(seed)
    checks = 0
    for everything, _, expected in random_cases(db, rng, fills=6, rows=80, cases=120, widest=4):
        query = db_checks.CandidateQuery.build(db, "mixed", expected, with_key=True)
        candidates = query.candidates()
        for row in expected:
            wanted = {r["id"] for r in everything if not row_mismatches(row, r)}
            got = {r["id"] for r in candidates if not row_mismatches(row, r)}
            assert got == wanted, (
                f"seed {seed}: the narrow query {query.where} missed rows {wanted - got} for {row}"
            )
        checks += 1
    assert checks == 720


def test_contains_and_lacks_fail_as_the_full_read_did(db: Database) -> None:
    seed = seed_from_environment(31337)
    rng = random.Random(seed)
    failures = 0
    for _, columns, expected in random_cases(db, rng, fills=5, rows=60, cases=80, widest=3):
        full = db.select("mixed", columns)
        old = missing_rows(expected, full, "mixed")
        new = outcome(db_checks.contains_rows, db, "mixed", expected)
        assert new == old, f"seed {seed}: contains {expected}"
        old = unexpected_rows(expected, full, "mixed")
        new = outcome(db_checks.lacks_rows, db, "mixed", expected)
        assert new == old, f"seed {seed}: lacks {expected}"
        failures += old is not None
    assert failures > 20  # the random rows both pass and fail


def test_a_check_asks_for_its_candidates_only_and_polls_repeat_the_narrow_query(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db, random.Random(5), 300)
    db.execute(
        "INSERT INTO mixed (ci, m, at, f) VALUES ('Bob', 9.9, '2026-01-31 10:00:00.5', 19.9)"
    )
    issued = record_queries(db, monkeypatch)
    expected = {"ci": "Bob", "m": "9.90", "at": "2026-01-31T10:00:00.5", "f": "19.9"}
    db_checks.contains_rows(db, "mixed", [expected])
    db_checks.lacks_rows(db, "mixed", [{**expected, "ci": "carol"}])
    reads = [sql for sql in issued if "FROM `mixed`" in sql]
    assert len(reads) == 2
    assert all(" WHERE " in sql for sql in reads), reads

    issued.clear()
    later = {"ci": "dora", "n": "7"}
    system = Database("app", db.endpoint, settings(), Masker())  # the system under test
    timer = threading.Timer(0.3, system.execute, ["INSERT INTO mixed (ci, n) VALUES ('dora', 7)"])
    timer.start()
    try:
        db_checks.eventually_contains_rows(db, "mixed", [later], timeout=5, interval=0.05)
    finally:
        timer.join()
        system.close()
    reads = [sql for sql in issued if "FROM `mixed`" in sql]
    assert len(reads) >= 2  # it polled
    assert all(" WHERE " in sql for sql in reads), reads
    assert len(set(reads)) == 1  # the same narrow query each time


def test_row_counts_with_a_condition_are_counted_by_the_database(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db, random.Random(6), 50)
    issued: list[str] = []
    query = db.query
    monkeypatch.setattr(
        db,
        "query",
        lambda sql, params=(), evidence=True: issued.append(sql) or query(sql, params, evidence),
    )
    wanted = db.query("SELECT COUNT(*) AS n FROM mixed WHERE n = 7")[0]["n"]
    db_checks.row_count_is(db, "mixed", int(wanted), "n", "7")
    assert issued[-1] == "SELECT COUNT(*) AS n FROM `mixed` WHERE `n` = %s"


def test_on_a_big_table_the_closest_rows_come_from_a_bounded_read_and_say_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db, random.Random(7), 3000, null_share=0)
    db.execute("INSERT INTO mixed (ci, n, m) VALUES ('zed-777', 5, 1.5)")  # the newest row
    everything = db.select("mixed", ["ci", "n", "m"])
    wanted = [{"ci": "zed-777", "n": "6", "m": "1.50"}, {"ci": "zed-777", "n": "5", "m": "1.500"}]
    issued = record_queries(db, monkeypatch)
    with pytest.raises(AssertionError) as failure:
        db_checks.contains_rows(db, "mixed", wanted)
    message = str(failure.value)
    assert message.startswith("table 'mixed': 1 of 2 expected rows not found\n")
    assert "  missing: | zed-777 | 6 | 1.50 |\n" in message
    assert "    closest: | zed-777 | 5 | 1.5 |  (n: expected '6', got '5')\n" in message
    assert (
        "(the table has more than 1000 rows: closest among the last 1000 by id and those"
        " sharing a value with the expected row, not the whole table)"
    ) in message
    assert missing_rows(wanted, everything, "mixed") is not None  # the full read agrees
    whole_reads = [sql for sql in issued if "FROM `mixed`" in sql and " WHERE " not in sql]
    assert whole_reads and all(" LIMIT " in sql for sql in whole_reads), whole_reads


def test_a_big_table_without_a_key_is_sampled_from_its_first_rows(db: Database) -> None:
    db.execute(
        "INSERT INTO plain (a, b) VALUES " + ", ".join(f"({i}, 'b{i % 7}')" for i in range(1500))
    )
    with pytest.raises(AssertionError, match=r"closest among the first 1000 read") as failure:
        db_checks.contains_rows(db, "plain", [{"a": "2000", "b": "b3"}])
    assert "closest: | 3 | b3 |  (a: expected '2000', got '3')" in str(failure.value)


def test_an_unknown_marker_is_refused_even_when_no_row_is_compared(db: Database) -> None:
    with pytest.raises(ScenarioInputError, match="unknown match marker '#nmber'"):
        db_checks.contains_rows(db, "mixed", [{"n": "#nmber"}])
    with pytest.raises(ScenarioInputError, match="bad regular expression"):
        db_checks.lacks_rows(db, "mixed", [{"ci": "#regex ("}])


def test_an_empty_table_still_says_so(db: Database) -> None:
    with pytest.raises(AssertionError) as failure:
        db_checks.contains_rows(db, "mixed", [{"ci": "x", "n": "abc"}])
    assert str(failure.value) == (
        "table 'mixed': 1 of 1 expected rows not found\n"
        "  columns: | ci | n |\n"
        "  missing: | x | abc |\n"
        "    (the table has no rows)"
    )
