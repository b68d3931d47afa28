"""A database that must not be written, end to end: a scenario whose query step writes
fails and writes nothing; `interlock doctor` warns when the database's user could."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import connect_shop, interlock

pytestmark = pytest.mark.e2e

# What the query step used to run, each then passing with a header-only expected table.
WRITING_QUERIES = {
    "INSERT": "INSERT INTO products (sku, name, price, stock) VALUES ('GUARD', 'G', 1, 1)",
    "UPDATE": "update products set stock = 0",
    "DELETE": "/* c */ DELETE FROM products",
    "REPLACE": "REPLACE INTO products (sku, name, price, stock) VALUES ('GUARD', 'G', 1, 1)",
    "INSERT fed by a CTE": "INSERT INTO products (sku, name, price, stock) WITH c AS"
    " (SELECT 'GUARD' AS sku, 'G' AS name, 1 AS price, 1 AS stock) SELECT * FROM c",
    "DROP": "DROP TABLE notifications",
    "an executable comment": "/*! DELETE FROM products */ SELECT 1 AS sku",
}


def checksums(project: Path) -> object:
    connection = connect_shop(project)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            tables = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"CHECKSUM TABLE {', '.join(f'`{t}`' for t in tables)}")
            return cursor.fetchall()
    finally:
        connection.close()


def test_a_writing_query_fails_its_scenario_and_writes_nothing(running: Path) -> None:
    before = checksums(running)
    scenarios = "".join(
        f'  Scenario: {kind}\n    Then the query "{sql}" should return:\n      | sku |\n'
        for kind, sql in WRITING_QUERIES.items()
    )
    path = running / "features" / "interface" / "writing_query.feature"
    path.write_text("Feature: A query that writes\n" + scenarios)
    feature = str(path.relative_to(running))
    for disposable in ("false", "true"):  # refused on every database; never written
        result = interlock(
            running, "run", "--no-report",
            "--set", f"databases.shop.disposable={disposable}", feature,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        for kind in ("INSERT", "UPDATE", "DELETE", "REPLACE", "DROP", "an executable comment"):
            assert f"refusing to run {kind} on database 'shop'" in output, (kind, output)
        assert output.count("I run the SQL script") >= len(WRITING_QUERIES), output
        assert checksums(running) == before


def test_doctor_warns_when_a_shared_databases_user_may_write(project: Path) -> None:
    result = interlock(project, "doctor", "--set", "databases.shop.disposable=false")
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, no failure
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "ok grants shop USAGE ON *.*; ALL PRIVILEGES ON `shop`.*" in lines
    assert any(
        line.startswith(
            "warn grants shop shop may write to this database, which is not disposable"
            " (ALL PRIVILEGES on `shop`.*)"
        )
        for line in lines
    ), result.stdout
    assert "IDENTIFIED" not in result.stdout and "PASSWORD" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("doctor: 9 ok, 0 failing, 1 warning")
