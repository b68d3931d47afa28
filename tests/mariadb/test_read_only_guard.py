"""The guard of a database not marked disposable, against a real MariaDB, in its three
layers: the steps refuse (the query step runs one read-only statement, the script step
nothing), interlock's own connection is read-only on the server (error 1792, kept across
reconnects), and a SELECT-only user cannot write even once the session lifts that."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from interlock import db_checks, doctor, seeding
from interlock.cleanup import CleanupRegistry
from interlock.db import Database
from interlock.environment import mariadb
from interlock.environment.runtime import DatabaseEndpoint
from interlock.errors import ScenarioInputError
from interlock.masking import Masker
from interlock.variables import Variables
from tests.mariadb.app_db import add_reader, app_server, settings

pytestmark = pytest.mark.mariadb

SCHEMA = """
CREATE TABLE products (sku VARCHAR(32) PRIMARY KEY, stock INT NOT NULL);
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(32) NOT NULL);
INSERT INTO products VALUES ('A', 5), ('B', 7);
INSERT INTO orders (sku) VALUES ('A'), ('B');
CREATE PROCEDURE empty_products() MODIFIES SQL DATA DELETE FROM products;
"""
TABLES = ("orders", "products")

# Every kind of statement the query step must refuse; WRITES also go to the server raw.
WRITES = {
    "INSERT": "INSERT INTO products (sku, stock) VALUES ('NEW', 1)",
    "lower-case update": "update products set stock = 0",
    "DELETE behind a comment": "/* c */ DELETE FROM products",
    "REPLACE": "REPLACE INTO products (sku, stock) VALUES ('A', 99)",
    "INSERT fed by a CTE": "INSERT INTO products (sku, stock)"
    " WITH c AS (SELECT 'CTE' AS sku, 1 AS stock) SELECT * FROM c",
    "DROP TABLE": "DROP TABLE orders",
    "TRUNCATE": "TRUNCATE orders",
    "CREATE TABLE": "CREATE TABLE intruder (a INT)",
    "ALTER TABLE": "ALTER TABLE products ADD COLUMN intruder INT",
    "executable comment": "/*! DELETE FROM products */",
    "MariaDB executable comment": "/*M! DELETE FROM orders */",
    "CALL of a writing procedure": "CALL empty_products()",
}
OTHERS = {
    "WITH ... DELETE": "WITH c AS (SELECT 'A' AS sku) DELETE FROM products"
    " WHERE sku IN (SELECT sku FROM c)",
    "SET": "SET @stock = 1",
    "SET GLOBAL": "SET GLOBAL max_connections = 501",
    "lifting read-only": "SET SESSION TRANSACTION READ WRITE",
    "INTO OUTFILE": "SELECT * FROM products INTO OUTFILE '{tmp}/out.txt'",
    "INTO DUMPFILE": "SELECT sku FROM products LIMIT 1 INTO DUMPFILE '{tmp}/dump.bin'",
    "INTO @var": "SELECT stock INTO @stock FROM products LIMIT 1",
    "FOR UPDATE": "SELECT * FROM products FOR UPDATE",
    "LOCK IN SHARE MODE": "SELECT * FROM products LOCK IN SHARE MODE",
    "LOCK TABLES": "LOCK TABLES products WRITE",
    "two statements": "SELECT 1; DELETE FROM products",
    "executable comment in a SELECT": "SELECT 1 /*!, (SELECT 1 FROM products FOR UPDATE) */",
}
EVERY_KIND = {**WRITES, **OTHERS}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, template_cache: Path
) -> Iterator[mariadb.RunningServer]:
    with app_server(tmp_path_factory.mktemp("guard"), template_cache, SCHEMA) as running:
        add_reader(running.port, "reader", "pw-reader")
        yield running


def shared(server: mariadb.RunningServer, user: str = "app", disposable: bool = False) -> Database:
    endpoint = DatabaseEndpoint("127.0.0.1", server.port, user, f"pw-{user}", "app")
    return Database("app", endpoint, settings(disposable), Masker([f"pw-{user}"]))


def fingerprint(server: mariadb.RunningServer) -> object:
    """What the tables hold, seen by root: their names, checksums and columns."""
    admin = mariadb.connect_admin("127.0.0.1", server.port)
    try:
        with admin.cursor() as cursor:
            cursor.execute("SHOW TABLES FROM app")
            tables = sorted(row[0] for row in cursor.fetchall())
            cursor.execute(f"CHECKSUM TABLE {', '.join(f'app.{t}' for t in TABLES)}")
            sums = cursor.fetchall()
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'app' ORDER BY 1, 2"
            )
            columns = cursor.fetchall()
            cursor.execute("SELECT COUNT(*) FROM app.products")
            count = cursor.fetchone()
        return tables, sums, columns, count
    finally:
        admin.close()


def every_kind(tmp_path: Path) -> dict[str, str]:
    return {kind: sql.replace("{tmp}", str(tmp_path)) for kind, sql in EVERY_KIND.items()}


@pytest.mark.parametrize("user", ["app", "reader"])
def test_every_kind_is_refused_by_the_query_step_and_the_script_step(
    server: mariadb.RunningServer, tmp_path: Path, user: str
) -> None:
    before = fingerprint(server)
    assert before[3] == (2,)  # type: ignore[index]
    db = shared(server, user)
    for kind, sql in every_kind(tmp_path).items():
        with pytest.raises(ScenarioInputError, match="refusing to run") as refused:
            db_checks.query_returns(db, sql, [], [])  # a header-only expected table
        assert "I run the SQL script" in str(refused.value), kind
        script = tmp_path / "script.sql"
        script.write_text(sql + ";\n")
        (tmp_path / "script.cleanup.sql").write_text(sql + ";\n")
        cleanup = CleanupRegistry()
        with pytest.raises(ScenarioInputError, match="not marked disposable"):
            seeding.run_data_script(db, script, "script.sql", Variables(), cleanup)
        assert cleanup.run_all() == [], kind  # nothing registered to run later either
    db.close()
    assert fingerprint(server) == before
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "dump.bin").exists()


def test_reading_statements_still_run_on_a_shared_database(
    server: mariadb.RunningServer,
) -> None:
    db = shared(server)
    rows = [{"sku": "A", "stock": "5"}, {"sku": "B", "stock": "7"}]
    db_checks.query_returns(db, "SELECT sku, stock FROM products ORDER BY sku", [], rows)
    db_checks.query_returns(
        db, "WITH c AS (SELECT * FROM products) SELECT sku, stock FROM c ORDER BY sku", [], rows
    )
    db_checks.query_returns(
        db, "SELECT stock FROM products WHERE sku = %s;", ["B"], [{"stock": "7"}]
    )
    db_checks.query_returns(db, "SHOW TABLES LIKE 'products'", [], [{}])
    db_checks.query_returns(db, "DESCRIBE products", [], [{"Field": "sku"}, {"Field": "stock"}])
    db_checks.query_returns(db, "EXPLAIN SELECT * FROM products", [], [{"table": "products"}])
    db.close()


def test_a_bound_value_cannot_change_how_the_query_reads(server: mariadb.RunningServer) -> None:
    """A ${variable} inside a comment: its value closes the comment and locks the rows."""
    for disposable in (True, False):
        db = shared(server, disposable=disposable)
        sql, values = "SELECT sku FROM products WHERE sku = 'A' /* %s */", ["*/ FOR UPDATE /*"]
        with pytest.raises(ScenarioInputError) as refused:
            db_checks.query_returns(db, sql, values, [{"sku": "A"}])
        assert "refusing to run SELECT ... FOR UPDATE" in str(refused.value)
        assert "with its values bound" in str(refused.value)
        db_checks.query_returns(db, sql, ["a harmless note"], [{"sku": "A"}])
        db_checks.query_returns(
            db, "SELECT sku FROM products WHERE sku LIKE %s AND 'x%%' = 'x%%'", ["A%"],
            [{"sku": "A"}],
        )  # fmt: skip
        db.close()


def test_the_server_refuses_raw_writes_on_interlocks_connection_even_after_a_reconnect(
    server: mariadb.RunningServer,
) -> None:
    before = fingerprint(server)
    db = shared(server)

    def refused_by_the_server() -> None:
        for kind, sql in WRITES.items():
            with pytest.raises(pymysql.MySQLError) as error, db.connection.cursor() as cursor:
                cursor.execute(sql)
            assert error.value.args[0] == 1792, (kind, error.value.args)  # READ ONLY

    refused_by_the_server()
    db.close()  # interlock's own reconnect (a lost or cut-short connection)
    refused_by_the_server()
    killed = db.connection.thread_id()
    admin = mariadb.connect_admin("127.0.0.1", server.port)
    with admin.cursor() as cursor:
        cursor.execute(f"KILL {killed}")
    admin.close()
    with warnings.catch_warnings():  # pymysql deprecates it, yet code out there uses it
        warnings.simplefilter("ignore", DeprecationWarning)
        db.connection.ping(reconnect=True)  # pymysql's own reconnect
    assert db.connection.thread_id() != killed
    refused_by_the_server()
    with pytest.raises(ScenarioInputError, match="refusing to run a writing statement"):
        db.execute("DELETE FROM products")  # the library's write path refuses before the server
    with pytest.raises(ScenarioInputError, match="not marked disposable"):
        db.delete("products", {"sku": "A"})  # as the sweep of a killed run's journal would
    db.close()
    assert fingerprint(server) == before


def test_only_a_select_only_user_cannot_lift_read_only(server: mariadb.RunningServer) -> None:
    """The session can lift read-only mode: for the configured user that has write grants
    it then writes; a user granted SELECT alone still cannot (a permission error)."""
    before = fingerprint(server)
    reader = shared(server, "reader")
    with reader.connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ WRITE")  # lifted...
        for kind, sql in WRITES.items():
            with pytest.raises(pymysql.MySQLError) as error:
                cursor.execute(sql)
            # ...and still refused: no privilege (1142 table, 1044 database, 1370 routine)
            assert error.value.args[0] in (1142, 1044, 1370), (kind, error.value.args)
        for sql in ("SET GLOBAL read_only = 0", "SELECT 1 INTO OUTFILE '/tmp/interlock-x'"):
            with pytest.raises(pymysql.MySQLError) as error:
                cursor.execute(sql)
            assert error.value.args[0] == 1227, error.value.args  # SUPER / FILE
    reader.close()
    assert fingerprint(server) == before

    writer = shared(server)  # granted ALL on the schema, as the embedded user is
    with writer.connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ WRITE")
        cursor.execute("UPDATE products SET stock = stock WHERE sku = 'A'")  # it can write
    writer.close()
    assert fingerprint(server) == before


def test_doctor_names_the_grants_and_whether_they_allow_writing(
    server: mariadb.RunningServer,
) -> None:
    for user, writes in (("app", ["ALL PRIVILEGES on `app`.*"]), ("reader", [])):
        connection = pymysql.connect(
            host="127.0.0.1", port=server.port, user=user, password=f"pw-{user}",
            database="app", ssl_disabled=True,
        )  # fmt: skip
        try:
            grants = doctor.grants(connection)
        finally:
            connection.close()
        assert not any("PASSWORD" in g or "pw-" in g for g in grants)
        assert doctor.writing_grants(grants, "app") == writes
