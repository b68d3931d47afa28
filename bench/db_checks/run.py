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

from interlock import db_checks, mariadb
from interlock.config import DatabaseConfig, MariaDBSettings
from interlock.db import Database, missing_rows
from interlock.masking import Masker
from interlock.runtime import DatabaseEndpoint

SCHEMA = """
CREATE TABLE orders (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  ref VARCHAR(20) NOT NULL,
  customer VARCHAR(40) NOT NULL,
  status VARCHAR(16) NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created DATETIME(6) NOT NULL,
  UNIQUE KEY orders_ref (ref)
) ENGINE=InnoDB;
"""
COLUMNS = ("ref", "customer", "status", "total", "created")
STATUSES = ("NEW", "CONFIRMED", "SHIPPED", "CANCELLED")
USER, PASSWORD, DATABASE = "bench", "pw-bench", "bench"
SEED_ROWS = 10_000
FLAT = 1.5  # "flat": a check at the largest size costs at most this many times the smallest


@dataclass
class Sizing:
    rows: int
    load_s: float
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
        name="bench", host="127.0.0.1", port=0, user=USER, password=PASSWORD,
        database=DATABASE, embedded=True, disposable=True, schema=(), connect_timeout=5,
        read_timeout=600,
    )  # fmt: skip


def seed(conn: pymysql.connections.Connection, rng: random.Random, count: int) -> None:
    """The first rows, from Python, in multi-row INSERTs."""
    start = dt.datetime(2026, 1, 1)
    rows = [
        (
            f"ORD-{n:09d}",
            f"customer-{rng.randrange(1000):04d}@example.test",
            rng.choice(STATUSES),
            Decimal(rng.randrange(100, 100_000)) / 100,
            start
            + dt.timedelta(seconds=rng.randrange(30 * 86400), microseconds=rng.randrange(10**6)),
        )
        for n in range(1, count + 1)
    ]
    with conn.cursor() as cur:
        for i in range(0, count, 2000):
            chunk = rows[i : i + 2000]
            cur.execute(
                "INSERT INTO orders (ref, customer, status, total, created) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk)),
                [v for row in chunk for v in row],
            )


def grow(conn: pymysql.connections.Connection, target: int) -> None:
    """Copy existing rows (new refs, shifted values) until the table has ``target`` rows:
    INSERT ... SELECT, at most doubling each time."""
    with conn.cursor() as cur:
        while True:
            cur.execute("SELECT COUNT(*), MAX(CAST(SUBSTRING(ref, 5) AS UNSIGNED)) FROM orders")
            count, top = cur.fetchone()
            if count >= target:
                return
            need = min(count, target - count)
            cur.execute(
                "INSERT INTO orders (ref, customer, status, total, created)"
                " SELECT CONCAT('ORD-', LPAD(CAST(SUBSTRING(ref, 5) AS UNSIGNED) + %s, 9, '0')),"
                " customer, status, total + (id %% 7), created + INTERVAL (id %% 86400) SECOND"
                " FROM orders ORDER BY id LIMIT %s",
                (int(top), need),
            )


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


def hand_written(conn: pymysql.connections.Connection, wanted: tuple[Any, ...]) -> None:
    """What a team without interlock writes: one SELECT by the indexed column, then
    asserts on the typed values."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ref, customer, status, total, created FROM orders WHERE ref = %s",
            (wanted[0],),
        )
        found = cur.fetchall()
    assert any(tuple(row) == wanted for row in found), wanted


def before_pushdown(db: Database, expected: dict[str, str]) -> None:
    """The check as it was: every row of the table read, compared in memory."""
    rows = db.select("orders", list(expected))
    assert missing_rows([expected], rows, "orders") is None


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


def plan(conn: pymysql.connections.Connection, db: Database, expected: dict[str, str]) -> str:
    query = db_checks.CandidateQuery.build(db, "orders", [expected])
    assert query.where is not None
    where, params = query.where
    names = ", ".join(f"`{c}`" for c in (*query.columns, *query.key))
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(f"EXPLAIN SELECT {names} FROM `orders`{where}", params)
        (row,) = cur.fetchall()
    return f"type {row['type']}, key {row['key']}, rows {row['rows']}"


def measure(
    conn: pymysql.connections.Connection,
    db: Database,
    sizing: Sizing,
    rng: random.Random,
    checks: int,
    before: int,
    evidence: WrittenEvidence,
) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM orders")
        (top,) = cur.fetchone()
        ids = [rng.randrange(1, top + 1) for _ in range(checks * 2)]
        cur.execute(
            "SELECT ref, customer, status, total, created FROM orders WHERE id IN ("
            + ", ".join(["%s"] * len(ids))
            + ")",
            ids,
        )
        targets = [tuple(r) for r in cur.fetchall()][:checks]
    pairs = [(t, expected_row(t)) for t in targets]
    sizing.plan = plan(conn, db, pairs[0][1])
    for wanted, expected in pairs[:10]:  # warm-up, both sides, not counted
        db_checks.contains_rows(db, "orders", [expected])
        hand_written(conn, wanted)
    for i, (wanted, expected) in enumerate(pairs):  # interleaved, taking turns to go first
        check = functools.partial(db_checks.contains_rows, db, "orders", [expected])
        sides: list[tuple[list[float], Callable[[], None]]] = [
            (sizing.interlock_ms, check),
            (sizing.hand_ms, functools.partial(hand_written, conn, wanted)),
        ]
        for times, action in sides[i % 2 :] + sides[: i % 2]:
            times.append(timed(action))
        sizing.evidence_ms.append(timed(with_evidence(evidence, check)))
    for _, expected in pairs[:before]:
        sizing.before_ms.append(timed(functools.partial(before_pushdown, db, expected)))


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
        f"medians of {checks} checks per side at each size, interleaved; a check = one"
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
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(args.seed)
    print(f"seed {args.seed}; sizes {sizes}; {args.checks} checks per side and size", flush=True)
    base = Path(tempfile.mkdtemp(prefix="interlock-bench-db-"))
    server = None
    try:
        (base / "run").mkdir()
        server = mariadb.start_server(
            MariaDBSettings(None, base / "cache", 60, args.buffer_pool),
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
        results = []
        for size in sizes:
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM orders")
                (count,) = cur.fetchone()
            if count == 0:
                seed(conn, rng, min(SEED_ROWS, size))
            grow(conn, size)
            with conn.cursor() as cur:
                cur.execute("ANALYZE TABLE orders")
                cur.fetchall()
            sizing = Sizing(size, time.perf_counter() - started)
            print(f"{size:,} rows loaded in {sizing.load_s:.1f} s; measuring...", flush=True)
            measure(conn, db, sizing, rng, args.checks, args.before, evidence)
            results.append(sizing)
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
