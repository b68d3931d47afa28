"""The scenario-side database layer against a real MariaDB: typed comparisons, tracked
test data, the disposable guard, identifier checks, timeouts."""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from interlock import db_checks, seeding
from interlock.cells import cell_mismatch
from interlock.cleanup import CleanupRegistry
from interlock.db import Database
from interlock.environment import mariadb
from interlock.environment.runtime import DatabaseEndpoint
from interlock.errors import ScenarioInputError, SqlScriptError
from interlock.masking import Masker
from interlock.variables import Variables
from tests.mariadb.app_db import app_database, settings

pytestmark = pytest.mark.mariadb

SCHEMA = """
CREATE TABLE parent (sku VARCHAR(32) PRIMARY KEY, price DECIMAL(10,2) NOT NULL,
  born DATE NULL, seen DATETIME NULL, active TINYINT(1) NOT NULL DEFAULT 1,
  note VARCHAR(20) NULL);
CREATE TABLE child (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(32) NOT NULL,
  CONSTRAINT fk_child_parent FOREIGN KEY (sku) REFERENCES parent (sku));
CREATE TABLE loose (a INT NULL, b VARCHAR(10) NULL);
"""


@pytest.fixture
def db(server: mariadb.RunningServer) -> Iterator[Database]:
    database = app_database(server)
    yield database
    for table in ("child", "parent", "loose"):
        database.execute(f"DELETE FROM {table}")
    database.close()


def test_typed_values_compare_with_table_cells(db: Database) -> None:
    db.execute(
        "INSERT INTO parent VALUES ('A', 9.9, '2026-01-31', '2026-01-31 10:00:00', 0, ''),"
        " ('B', 10, NULL, NULL, 1, NULL)"
    )
    a, b = db.query("SELECT * FROM parent ORDER BY sku")
    assert a["price"] == Decimal("9.90")
    assert cell_mismatch("9.90", a["price"]) is None
    assert cell_mismatch("9.9", a["price"]) is None
    assert cell_mismatch("9.91", a["price"]) == "expected '9.91', got '9.9'"
    assert cell_mismatch("2026-01-31", a["born"]) is None
    assert isinstance(a["seen"], dt.datetime)
    assert cell_mismatch("2026-01-31T10:00:00", a["seen"]) is None
    assert cell_mismatch("false", a["active"]) is None
    assert cell_mismatch("true", b["active"]) is None
    assert cell_mismatch("", a["note"]) is None
    assert cell_mismatch("NULL", b["note"]) is None
    assert cell_mismatch("", b["note"]) == "expected '', got NULL"
    assert cell_mismatch("#notnull", a["seen"]) is None
    assert cell_mismatch("#null", b["seen"]) is None
    assert cell_mismatch("#regex [AB]", a["sku"]) is None
    db_checks.contains_rows(db, "parent", [{"sku": "A", "price": "9.90", "active": "false"}])
    with pytest.raises(AssertionError, match=r"closest: \| A \| 9.9 \|"):
        db_checks.contains_rows(db, "parent", [{"sku": "A", "price": "9.95"}])


def test_seeded_rows_are_removed_in_reverse_order_with_generated_ids(db: Database) -> None:
    cleanup = CleanupRegistry()
    seeding.seed_rows(db, "parent", [{"sku": "P1", "price": "1.5"}], ["f:1"], cleanup)
    (child,) = seeding.seed_rows(db, "child", [{"sku": "P1"}], ["f:2"], cleanup)
    assert isinstance(child["id"], int) and child["id"] > 0
    seeding.seed_rows(db, "loose", [{"a": "1", "b": "NULL"}], ["f:3"], cleanup)
    assert db.count("child") == 1
    assert cleanup.run_all() == []  # child goes before its parent: no FK error
    assert db.count("parent") == db.count("child") == db.count("loose") == 0


def test_rows_without_a_key_are_removed_one_at_a_time(db: Database) -> None:
    db.execute("INSERT INTO loose VALUES (1, 'x')")  # someone else's identical row
    cleanup = CleanupRegistry()
    seeding.seed_rows(db, "loose", [{"a": "1", "b": "x"}], ["f:1"], cleanup)
    assert cleanup.run_all() == []
    assert db.count("loose") == 1


def test_a_seeding_error_names_the_gherkin_row_and_earlier_rows_still_go(db: Database) -> None:
    cleanup = CleanupRegistry()
    rows = [{"sku": "D1", "price": "1"}, {"sku": "D1", "price": "2"}]
    with pytest.raises(AssertionError) as error:
        seeding.seed_rows(db, "parent", rows, ["x.feature:7", "x.feature:8"], cleanup)
    assert "x.feature:8" in str(error.value)
    assert "(1062) Duplicate entry 'D1'" in str(error.value)
    assert cleanup.run_all() == []
    assert db.count("parent") == 0


def test_a_foreign_key_violation_names_the_row(db: Database) -> None:
    with pytest.raises(AssertionError, match=r"x\.feature:3: .*\(1452\)"):
        seeding.seed_rows(db, "child", [{"sku": "NOPE"}], ["x.feature:3"], CleanupRegistry())


def test_a_delete_blocked_by_child_rows_names_the_child_table(db: Database) -> None:
    cleanup = CleanupRegistry()
    seeding.seed_rows(db, "parent", [{"sku": "P2", "price": "1"}], ["f:1"], cleanup)
    db.execute("INSERT INTO child (sku) VALUES ('P2')")  # made by the system under test
    (failure,) = cleanup.run_all()
    assert "rows of the table 'child' still refer to it" in failure
    # Registered in the order things were made, removed newest first: child, parent.
    seeding.remove_after_scenario(db, "parent", {"sku": "P2"}, cleanup)
    seeding.remove_after_scenario(db, "child", {"sku": "P2"}, cleanup)
    assert cleanup.run_all() == []
    assert db.count("parent") == db.count("child") == 0


def test_writes_are_refused_on_a_database_not_marked_disposable(
    server: mariadb.RunningServer, tmp_path: Path
) -> None:
    endpoint = DatabaseEndpoint("127.0.0.1", server.port, "app", "pw-app", "app")
    shared = Database("app", endpoint, settings(disposable=False), Masker())
    cleanup = CleanupRegistry()
    for write in (
        lambda: seeding.seed_rows(shared, "parent", [{"sku": "X", "price": "1"}], ["f:1"], cleanup),
        lambda: seeding.remove_after_scenario(shared, "parent", {"sku": "X"}, cleanup),
        lambda: seeding.run_data_script(shared, tmp_path / "s.sql", "s.sql", Variables(), cleanup),
    ):
        with pytest.raises(ScenarioInputError, match=r"databases\.app\.disposable: true"):
            write()
    assert shared.count("parent") == 0  # reading still works
    shared.close()


def test_unknown_tables_and_columns_list_the_nearest_names(db: Database) -> None:
    with pytest.raises(ScenarioInputError, match=r"(?s)no table .parnet..*did you mean parent"):
        db.count("parnet")
    with pytest.raises(ScenarioInputError, match=r"(?s)no column .prise..*did you mean price"):
        db.select("parent", ["prise"])
    with pytest.raises(ScenarioInputError, match="no table"):
        db.count("parent`; DROP TABLE parent; --")


def test_script_variables_are_bound_parameters_and_errors_name_the_line(
    db: Database, tmp_path: Path
) -> None:
    script = tmp_path / "seed.sql"
    script.write_text(
        "INSERT INTO parent (sku, price) VALUES (${sku}, 1);\n"
        "-- the next one is broken\n"
        "INSERT INTO parent (sku, pricee) VALUES ('Z', 1);\n"
    )
    (tmp_path / "seed.cleanup.sql").write_text("DELETE FROM parent WHERE sku = ${sku};\n")
    variables = Variables()
    variables.set("sku", "x'); DROP TABLE parent; --")
    cleanup = CleanupRegistry()
    with pytest.raises(SqlScriptError, match=r"seed\.sql:3: statement failed: \(1054\)"):
        seeding.run_data_script(db, script, "seed.sql", variables, cleanup)
    assert db.count("parent", {"sku": "x'); DROP TABLE parent; --"}) == 1
    assert cleanup.run_all() == []
    assert db.count("parent") == 0


def test_the_schema_contract_ignores_display_widths(db: Database) -> None:
    db_checks.has_columns(
        db,
        "child",
        [
            {"column": "id", "type": "bigint unsigned", "nullable": "no"},
            {"column": "sku", "type": "varchar(32)", "nullable": "no"},
        ],
    )
    with pytest.raises(AssertionError) as error:
        db_checks.has_columns(
            db,
            "parent",
            [
                {"column": "price", "type": "decimal(10,3)", "nullable": "no"},
                {"column": "born", "type": "date", "nullable": "no"},
                {"column": "colour", "type": "text", "nullable": "yes"},
            ],
        )
    message = str(error.value)
    assert "price: expected type 'decimal(10,3)', found 'decimal(10,2)'" in message
    assert "born: expected NOT NULL, found nullable" in message
    assert "colour: no such column" in message


def test_a_server_that_accepts_and_never_answers_fails_within_its_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
        endpoint = DatabaseEndpoint("127.0.0.1", silent.getsockname()[1], "u", "p", "d")
        hung = Database("hung", endpoint, settings(read_timeout=1), Masker())
        started = time.monotonic()
        with pytest.raises(AssertionError) as error:
            hung.query("SELECT 1")
        assert time.monotonic() - started < 4
        assert f"127.0.0.1:{silent.getsockname()[1]}" in str(error.value)
        assert "is not reachable after" in str(error.value)
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize("cut_after", [0.3, 0.0005])  # waiting for the answer; mid-exchange
def test_a_statement_cut_short_leaves_the_next_one_a_working_connection(
    db: Database, cut_after: float
) -> None:
    db.query("SELECT 1 AS warm")  # connected before the cut
    # A job started in the background by a shell inherits SIGINT ignored: take it back.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(cut_after, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            db.query("SELECT SLEEP(2) AS slept")
            time.sleep(3)  # the cut came after the statement: still interrupt the test
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # What a cleanup after an interrupted step does: it must reach the database.
    assert db.query("SELECT 1 AS one") == [{"one": 1}]
    db.execute("INSERT INTO loose (b) VALUES ('after')")
    assert db.query("SELECT b FROM loose") == [{"b": "after"}]


def test_a_probes_journalled_snapshot_sweeps_rows_above_the_highest_id_or_outside_the_keys(
    db: Database, tmp_path: Path
) -> None:
    from interlock import journal, probed_rows

    db.execute("INSERT INTO parent (sku, price) VALUES ('OLD-1', 1), ('OLD-2', 2)")
    db.execute("INSERT INTO child (sku) VALUES ('OLD-1')")
    # A probing worker's journal: pid 999999999 is no process, as after a kill -9.
    folder = tmp_path / journal.FOLDER
    folder.mkdir()
    db.journal = journal.Journal(folder / "999999999.jsonl", "local")
    _, skipped = probed_rows.take(db)
    assert skipped == ["loose"]  # no primary key: left as it is
    noted = {
        e["table"]: e["beyond"] for e in map(json.loads, db.journal.path.read_text().splitlines())
    }
    assert noted["child"]["columns"] == ["id"] and "highest" in noted["child"]  # an integer id
    assert noted["parent"] == {"columns": ["sku"], "keys": [["OLD-1"], ["OLD-2"]]}
    # what the service made while it was probed, then the worker died
    db.execute("INSERT INTO parent (sku, price) VALUES ('NEW-1', 3)")
    db.execute("INSERT INTO child (sku) VALUES ('NEW-1'), ('OLD-2')")
    here = journal.Here(
        "local", 0.0, {"app": journal.Target.of("local", "app", db.endpoint)}, frozenset({"app"})
    )
    said: list[str] = []

    def beyond(name: str, table: str, spec: Any) -> int:
        return probed_rows.delete_beyond(db, table, spec)

    left = journal.sweep(tmp_path, here, lambda *a: 0, said.append, beyond)
    assert left == [], left
    assert said == [
        "swept 3 row(s) left behind by a run that ended without cleaning up (pid 999999999)"
    ]
    assert [r["sku"] for r in db.query("SELECT sku FROM parent ORDER BY sku")] == ["OLD-1", "OLD-2"]
    assert [r["sku"] for r in db.query("SELECT sku FROM child")] == ["OLD-1"]
    assert not db.journal.path.exists()  # swept: nothing kept
