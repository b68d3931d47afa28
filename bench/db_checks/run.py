"""Benchmark: "the table orders should contain" against 10k, 100k and 1M rows, interlock's
check against a hand-written ``SELECT ... WHERE`` with pymysql, side by side (issue 20).

    .venv/bin/python -m bench.db_checks [--sizes 10000,100000,1000000] [--checks 200]

Starts its own embedded MariaDB (``interlock.mariadb``, a temporary folder, stopped and
removed at the end, also on Ctrl-C), fills an ``orders`` table (indexed ``ref``), and at
each size times the same check of existing rows both ways, interleaved. It also times
the check as it was before push-down (every row read, compared in memory) a few times.
Not a test: nothing fails; it prints MET or MISSED for each target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import allure_commons
import pymysql

from bench.scale.measure import wait_quiet
from interlock import db_checks
from interlock.config import DatabaseConfig, MariaDBSettings
from interlock.db import Database, missing_rows
from interlock.environment import mariadb
from interlock.environment.runtime import DatabaseEndpoint
from interlock.masking import Masker

ORDERS = """
CREATE TABLE `{table}` (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  ref VARCHAR(20) NOT NULL,
  customer VARCHAR(40) NOT NULL,
  status VARCHAR(16) NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created DATETIME(6) NOT NULL,
  UNIQUE KEY ref (ref)
) ENGINE=InnoDB;
"""
SCHEMA = """
CREATE TABLE seed_orders (
  num INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, status VARCHAR(16) NOT NULL,
  total DECIMAL(10,2) NOT NULL, created DATETIME(6) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE numbers (k INT PRIMARY KEY) ENGINE=InnoDB;
"""
COLUMNS = ("ref", "customer", "status", "total", "created")
STATUSES = ("NEW", "CONFIRMED", "SHIPPED", "CANCELLED")
USER, PASSWORD, DATABASE = "bench", "pw-bench", "bench"
SEED_ROWS = 10_000  # model rows; the table is made of copies of them
MULTIPLIERS = 1000  # so at most 10M rows
FLAT = 1.5  # "flat": a check at the largest size costs at most this many times the smallest


@dataclass
class Sizing:
    rows: int
    load_s: float

    @property
    def table(self) -> str:
        return f"orders_{self.rows}"

    interlock_ms: list[float] = field(default_factory=list)
    hand_ms: list[float] = field(default_factory=list)
    evidence_ms: list[float] = field(default_factory=list)
    before_ms: list[float] = field(default_factory=list)
    plan: str = ""

    @property
    def interlock(self) -> float:
        return statistics.median(self.interlock_ms)

    @property
    def hand(self) -> float:
        return statistics.median(self.hand_ms)

    @property
    def ratio(self) -> float:
        return self.interlock / self.hand


def settings() -> DatabaseConfig:
    return DatabaseConfig(
        name="bench", host="127.0.0.1", port=3306, user=USER, password=PASSWORD,
        database=DATABASE, embedded=True, disposable=True, schema=(), connect_timeout=5,
        read_timeout=600,
    )  # fmt: skip


def seed(conn: pymysql.connections.Connection, rng: random.Random) -> None:
    """The model rows (``seed_orders``, SEED_ROWS of them, from Python in multi-row
    INSERTs) and the numbers 0-999 that multiply them."""
    start = dt.datetime(2026, 1, 1)
    rows = [
        (
            n,
            f"customer-{rng.randrange(1000):04d}@example.test",
            rng.choice(STATUSES),
            Decimal(rng.randrange(100, 100_000)) / 100,
            start
            + dt.timedelta(seconds=rng.randrange(30 * 86400), microseconds=rng.randrange(10**6)),
        )
        for n in range(SEED_ROWS)
    ]
    with conn.cursor() as cur:
        for i in range(0, SEED_ROWS, 2000):
            chunk = rows[i : i + 2000]
            cur.execute(
                "INSERT INTO seed_orders (num, customer, status, total, created) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk)),
                [v for row in chunk for v in row],
            )
        cur.execute(
            "INSERT INTO numbers (k) VALUES " + ", ".join(f"({k})" for k in range(MULTIPLIERS))
        )


def fill(conn: pymysql.connections.Connection, table: str, target: int) -> None:
    """``target`` rows: copies of the model rows, each copy with new refs and shifted
    values, by INSERT ... SELECT from the model and the numbers, 100k rows a statement."""
    with conn.cursor() as cur:
        cur.execute(ORDERS.format(table=table))
        count = 0
        while count < target:
            copy, skip = divmod(count, SEED_ROWS)  # a copy begun: finish it first
            need = target - count
            copies = 1 if skip else max(1, min(10, need // SEED_ROWS))
            cur.execute(
                f"INSERT INTO `{table}` (ref, customer, status, total, created)"
                " SELECT CONCAT('ORD-', LPAD(n.k * %s + s.num, 9, '0')), s.customer, s.status,"
                " s.total + n.k %% 7, s.created + INTERVAL n.k HOUR"
                " FROM numbers n JOIN seed_orders s"
                " WHERE n.k BETWEEN %s AND %s AND s.num >= %s AND s.num < %s",
                (SEED_ROWS, copy, copy + copies - 1, skip, min(SEED_ROWS, skip + need)),
            )
            count += cur.rowcount
        cur.execute(f"ANALYZE TABLE `{table}`")
        cur.fetchall()


def expected_row(row: tuple[Any, ...]) -> dict[str, str]:
    """The row as an analyst writes it: ``19.90`` for a DECIMAL, ``T`` in a datetime."""
    ref, customer, status, total, created = row
    return {
        "ref": ref,
        "customer": customer,
        "status": status,
        "total": f"{total:.2f}",
        "created": created.isoformat(),
    }


def hand_written(conn: pymysql.connections.Connection, table: str, wanted: tuple[Any, ...]) -> None:
    """What a team without interlock writes: one SELECT by the indexed column, then
    asserts on the typed values."""
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT ref, customer, status, total, created FROM `{table}` WHERE ref = %s",
            (wanted[0],),
        )
        found = cur.fetchall()
    assert any(tuple(row) == wanted for row in found), wanted


def before_pushdown(db: Database, table: str, expected: dict[str, str]) -> None:
    """The check as it was: every row of the table read, compared in memory."""
    rows = db.select(table, list(expected))
    assert missing_rows([expected], rows, table) is None


class WrittenEvidence:
    """An Allure listener that writes each attachment to a file, as a run's does."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    @allure_commons.hookimpl
    def attach_data(self, body: Any, name: str, attachment_type: Any, extension: Any) -> None:
        self.count += 1
        (self.folder / f"{self.count}-attachment.txt").write_text(body)


def with_evidence(listener: WrittenEvidence, action: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        allure_commons.plugin_manager.register(listener)
        try:
            action()
        finally:
            allure_commons.plugin_manager.unregister(listener)

    return run


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def plan(
    conn: pymysql.connections.Connection, db: Database, table: str, expected: dict[str, str]
) -> str:
    query = db_checks.CandidateQuery.build(db, table, [expected])
    assert query.where is not None
    where, params = query.where
    names = ", ".join(f"`{c}`" for c in (*query.columns, *query.key))
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(f"EXPLAIN SELECT {names} FROM `{table}`{where}", params)
        (row,) = cur.fetchall()
    return f"{row['type']} on {row['key']}, {row['rows']} row(s)"


def targets(
    conn: pymysql.connections.Connection, table: str, rng: random.Random, count: int
) -> list[tuple[tuple[Any, ...], dict[str, str]]]:
    """``count`` rows of the table, spread over it, and each as a scenario writes it."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT MAX(id) FROM `{table}`")
        (top,) = cur.fetchone()
        ids = sorted({rng.randrange(1, top + 1) for _ in range(count * 2)})
        cur.execute(
            f"SELECT ref, customer, status, total, created FROM `{table}` WHERE id IN ("
            + ", ".join(["%s"] * len(ids))
            + ")",
            ids,
        )
        rows = [tuple(r) for r in cur.fetchall()]
    rng.shuffle(rows)
    return [(row, expected_row(row)) for row in rows[:count]]


def measure(
    conn: pymysql.connections.Connection,
    db: Database,
    sizings: Sequence[Sizing],
    rng: random.Random,
    checks: int,
    before: int,
    evidence: WrittenEvidence,
) -> None:
    """Every size and side in turn, check after check: a change in the machine's load
    falls on all of them alike."""
    work = {s.rows: targets(conn, s.table, rng, checks + 10) for s in sizings}
    for s in sizings:
        s.plan = plan(conn, db, s.table, work[s.rows][0][1])
        for wanted, expected in work[s.rows][:10]:  # warm-up, both sides, not counted
            db_checks.contains_rows(db, s.table, [expected])
            hand_written(conn, s.table, wanted)
    for i in range(checks):
        for s in sizings:
            wanted, expected = work[s.rows][10 + i]
            check = functools.partial(db_checks.contains_rows, db, s.table, [expected])
            sides: list[tuple[list[float], Callable[[], None]]] = [
                (s.interlock_ms, check),
                (s.hand_ms, functools.partial(hand_written, conn, s.table, wanted)),
            ]
            for times, action in sides[i % 2 :] + sides[: i % 2]:  # taking turns to go first
                times.append(timed(action))
            s.evidence_ms.append(timed(with_evidence(evidence, check)))
    for s in sizings:
        for _, expected in work[s.rows][:before]:
            s.before_ms.append(timed(functools.partial(before_pushdown, db, s.table, expected)))


def verdict(ok: bool) -> str:
    return "MET   " if ok else "MISSED"


def report(sizes: Sequence[Sizing], checks: int) -> list[str]:
    lines = [
        "| rows | load s | interlock ms/check | hand-written ms/check | interlock ÷ hand"
        " | with Allure evidence ms/check | before push-down ms/check | before ÷ now"
        " | plan of interlock's query |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        before = statistics.median(s.before_ms) if s.before_ms else None
        lines.append(
            f"| {s.rows:,} | {s.load_s:.1f} | {s.interlock:.3f} | {s.hand:.3f} | {s.ratio:.2f}"
            f" | {statistics.median(s.evidence_ms):.3f}"
            f" | {f'{before:.1f} (n={len(s.before_ms)})' if before else '-'}"
            f" | {f'{before / s.interlock:,.0f}x' if before else '-'} | {s.plan} |"
        )
    lines.append("")
    lines.append(
        f"medians of {checks} checks per side and size, all interleaved; a check = one"
        " expected row of 5 columns (VARCHAR, DECIMAL, DATETIME(6)) found by `ref`;"
        " interlock's figure is the library call with no Allure formatter listening (no"
        ' evidence built); "with Allure evidence" adds a listener that writes each query\'s'
        " attachment to a file, as a run does"
    )
    lines.append("")
    worst = max(sizes, key=lambda s: s.ratio)
    lines.append(
        f"{verdict(worst.ratio <= 2.0)} within 2x the hand-written query at every size:"
        f" worst {worst.interlock:.3f} ms ÷ {worst.hand:.3f} ms = {worst.ratio:.2f}"
        f" at {worst.rows:,} rows (target ≤ 2.00)"
    )
    small, large = sizes[0], sizes[-1]
    growth = large.interlock / small.interlock
    lines.append(
        f"{verdict(growth <= FLAT)} flat cost per check: {large.rows:,} rows"
        f" {large.interlock:.3f} ms ÷ {small.rows:,} rows {small.interlock:.3f} ms"
        f" = {growth:.2f} (target ≤ {FLAT}; hand-written: {large.hand / small.hand:.2f})"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--checks", type=int, default=200, help="checks per side and size")
    parser.add_argument(
        "--before", type=int, default=3, help="checks timed the old way (full read) per size"
    )
    parser.add_argument("--buffer-pool", default="256M")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--quiet-wait", type=float, default=120, help="seconds to wait for an idle machine"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(args.seed)
    print(f"seed {args.seed}; sizes {sizes}; {args.checks} checks per side and size", flush=True)
    base = Path(tempfile.mkdtemp(prefix="interlock-bench-db-"))
    server = None
    try:
        (base / "run").mkdir()
        server = mariadb.start_server(
            MariaDBSettings(cache_dir=base / "cache", buffer_pool_size=args.buffer_pool),
            base / "state",
            base / "run",
        )
        (base / "schema.sql").write_text(SCHEMA)
        mariadb.prepare_database(server.port, DATABASE, USER, PASSWORD, [base / "schema.sql"])
        admin = mariadb.connect_admin("127.0.0.1", server.port, read_timeout=600)
        with admin.cursor() as cur:  # loading speed only: the checks read
            cur.execute("SET GLOBAL innodb_flush_log_at_trx_commit = 2")
        conn = pymysql.connect(
            host="127.0.0.1", port=server.port, user=USER, password=PASSWORD,
            database=DATABASE, autocommit=True, ssl_disabled=True, charset="utf8mb4",
            read_timeout=600,
        )  # fmt: skip
        endpoint = DatabaseEndpoint("127.0.0.1", server.port, USER, PASSWORD, DATABASE)
        db = Database("bench", endpoint, settings(), Masker([PASSWORD]))
        evidence = WrittenEvidence(base / "evidence")
        evidence.folder.mkdir()
        seed(conn, rng)
        results = []
        for size in sizes:
            started = time.perf_counter()
            sizing = Sizing(size, 0.0)
            fill(conn, sizing.table, size)
            sizing.load_s = time.perf_counter() - started
            print(f"{size:,} rows loaded in {sizing.load_s:.1f} s", flush=True)
            results.append(sizing)
        waited, load = wait_quiet(limit=50.0, max_wait=args.quiet_wait)
        print(f"measuring (waited {waited:.0f} s for a quiet machine: {load:.0f}% CPU)...")
        measure(conn, db, results, rng, args.checks, args.before, evidence)
        conn.close()
        db.close()
        admin.close()
        print()
        print("\n".join(report(results, args.checks)))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            mariadb.stop_server(server.pid)
        shutil.rmtree(base, ignore_errors=True)
    return 0
