"""The database side of a scenario: connections from config, checked table and column
names, parameterised queries, and the evidence each query leaves in the report.

Values always travel as query parameters. Table and column names cannot be
parameters, so they are checked against the live schema first and then quoted.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pymysql
import pymysql.cursors

from interlock.cells import closest_rows, display, format_row, row_mismatches
from interlock.config import Config, DatabaseConfig
from interlock.errors import ScenarioInputError
from interlock.evidence import attach_text
from interlock.masking import Masker
from interlock.runtime import DatabaseEndpoint, Runtime

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass
class Database:
    """One configured database, connected lazily, in autocommit mode so every read
    sees the latest committed data (no stale REPEATABLE-READ snapshot)."""

    name: str
    endpoint: DatabaseEndpoint
    settings: DatabaseConfig
    masker: Masker
    _connection: Any = None
    _columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def connection(self) -> pymysql.connections.Connection:
        if self._connection is None:
            ep = self.endpoint
            try:
                self._connection = pymysql.connect(
                    host=ep.host,
                    port=ep.port,
                    user=ep.user,
                    password=ep.password,
                    database=ep.database,
                    connect_timeout=self.settings.connect_timeout,
                    read_timeout=self.settings.read_timeout,
                    write_timeout=self.settings.read_timeout,
                    autocommit=True,
                    charset="utf8mb4",
                    cursorclass=pymysql.cursors.DictCursor,
                    ssl_disabled=ep.host in LOOPBACK,
                )
            except pymysql.MySQLError as exc:
                raise AssertionError(
                    self.masker.mask(
                        f"database {self.name!r} ({ep.user}@{ep.host}:{ep.port}/{ep.database})"
                        f" is not reachable: {exc}"
                    )
                ) from None
        return self._connection

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one statement with bound parameters; returns its rows as dicts."""
        with self.connection.cursor() as cursor:
            try:
                cursor.execute(sql, tuple(params))
            except pymysql.MySQLError as exc:
                raise AssertionError(
                    self.masker.mask(f"query failed: {exc}\n  {sql}\n  parameters: {list(params)}")
                ) from None
            rows = list(cursor.fetchall())
        self._evidence(sql, params, rows)
        return rows

    def _evidence(self, sql: str, params: Sequence[Any], rows: list[dict[str, Any]]) -> None:
        lines = [sql, f"parameters: {list(params)}", ""]
        if rows:
            columns = list(rows[0])
            lines.append("| " + " | ".join(columns) + " |")
            lines += [format_row(row, columns) for row in rows[:200]]
            if len(rows) > 200:
                lines.append(f"... {len(rows) - 200} more rows")
        else:
            lines.append("(no rows)")
        attach_text(self.masker, f"SQL on {self.name}", "\n".join(lines))

    # -- schema checks -------------------------------------------------------------------

    def tables(self) -> list[str]:
        rows = self.query(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() ORDER BY table_name"
        )
        return [str(r["name"]) for r in rows]

    def columns(self, table: str) -> list[str]:
        """The table's columns in order; an unknown table names the nearest ones."""
        if table not in self._columns:
            rows = self.query(
                "SELECT column_name AS name FROM information_schema.columns"
                " WHERE table_schema = DATABASE() AND table_name = %s"
                " ORDER BY ordinal_position",
                (table,),
            )
            if not rows:
                tables = self.tables()
                near = difflib.get_close_matches(table, tables, n=3, cutoff=0.5)
                raise ScenarioInputError(
                    f"database {self.name!r} has no table {table!r}",
                    hint=(f"did you mean {', '.join(near)}? " if near else "")
                    + f"tables: {', '.join(tables) or '(none)'}",
                )
            self._columns[table] = [str(r["name"]) for r in rows]
        return self._columns[table]

    def check_columns(self, table: str, columns: Sequence[str]) -> None:
        existing = self.columns(table)
        for column in columns:
            if column not in existing:
                near = difflib.get_close_matches(column, existing, n=3, cutoff=0.5)
                raise ScenarioInputError(
                    f"table {table!r} has no column {column!r}",
                    hint=(f"did you mean {', '.join(near)}? " if near else "")
                    + f"columns: {', '.join(existing)}",
                )

    # -- reads ---------------------------------------------------------------------------

    def select(
        self, table: str, columns: Sequence[str], where: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        where = where or {}
        self.check_columns(table, [*columns, *where])
        sql = f"SELECT {', '.join(quote_name(c) for c in columns)} FROM {quote_name(table)}"
        sql += _where(where)
        return self.query(sql, list(where.values()))

    def count(self, table: str, where: Mapping[str, Any] | None = None) -> int:
        where = where or {}
        self.check_columns(table, list(where))
        sql = f"SELECT COUNT(*) AS n FROM {quote_name(table)}{_where(where)}"
        return int(self.query(sql, list(where.values()))[0]["n"])

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(pymysql.MySQLError):
                self._connection.close()
            self._connection = None


def _where(where: Mapping[str, Any]) -> str:
    if not where:
        return ""
    return " WHERE " + " AND ".join(
        f"{quote_name(c)} IS NULL" if v is None else f"{quote_name(c)} = %s"
        for c, v in where.items()
    )


def missing_rows(
    expected: Sequence[Mapping[str, str]], actual: Sequence[Mapping[str, Any]], table: str
) -> str | None:
    """A failure message for expected rows absent from ``actual``, showing the closest rows."""
    if not expected:
        return None
    columns = list(expected[0])
    problems = []
    for row in expected:
        if any(not row_mismatches(row, candidate) for candidate in actual):
            continue
        lines = [f"  missing: | {' | '.join(row[c] for c in columns)} |"]
        for candidate, why in closest_rows(row, actual):
            lines.append(f"    closest: {format_row(candidate, columns)}  ({'; '.join(why)})")
        if not actual:
            lines.append("    (the table has no rows)")
        problems.append("\n".join(lines))
    if not problems:
        return None
    header = "| " + " | ".join(columns) + " |"
    return (
        f"table {table!r}: {len(problems)} of {len(expected)} expected rows not found\n"
        f"  columns: {header}\n" + "\n".join(problems)
    )


def unexpected_rows(
    forbidden: Sequence[Mapping[str, str]], actual: Sequence[Mapping[str, Any]], table: str
) -> str | None:
    """A failure message for rows that should not be in ``actual`` but are."""
    if not forbidden:
        return None
    columns = list(forbidden[0])
    found = [
        format_row(candidate, columns)
        for row in forbidden
        for candidate in actual
        if not row_mismatches(row, candidate)
    ]
    if not found:
        return None
    return f"table {table!r} contains rows it should not:\n" + "\n".join(f"  {f}" for f in found)


@dataclass
class Databases:
    """The databases of one scenario, by configured name; one is the current one."""

    items: dict[str, Database]
    current_name: str | None = None

    @classmethod
    def from_config(cls, config: Config, runtime: Runtime, masker: Masker) -> Databases:
        items = {
            name: Database(name, runtime.databases[name], settings, masker)
            for name, settings in config.databases.items()
            if name in runtime.databases
        }
        return cls(items, next(iter(items)) if len(items) == 1 else None)

    def select(self, name: str) -> Database:
        if name not in self.items:
            raise ScenarioInputError(
                f"unknown database {name!r}",
                hint=f"databases in the config: {', '.join(sorted(self.items)) or '(none)'}",
            )
        self.current_name = name
        return self.items[name]

    def current(self) -> Database:
        if self.current_name is None:
            raise ScenarioInputError(
                "no database selected",
                hint="several databases are configured: add a step such as"
                ' Given the "shop" database',
            )
        return self.items[self.current_name]

    def close(self) -> None:
        for db in self.items.values():
            db.close()


__all__ = ["Database", "Databases", "display", "missing_rows", "quote_name", "unexpected_rows"]
