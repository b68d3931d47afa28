"""The database side of a scenario: connections from config, checked table and column
names, parameterised queries, and the evidence each query leaves in the report.

Values always travel as query parameters. Table and column names cannot be
parameters, so they are checked against the live schema first and then quoted.
"""

from __future__ import annotations

import contextlib
import difflib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
import pymysql.cursors

from interlock.cells import closest_rows, display, format_row, row_mismatches
from interlock.config import Config, DatabaseConfig
from interlock.environment.health import database_reason
from interlock.environment.runtime import DatabaseEndpoint, Runtime
from interlock.errors import ScenarioInputError, Unreachable, UnreachableFailure, describe_error
from interlock.evidence import attach_text, recording
from interlock.journal import Journal
from interlock.masking import Masker
from interlock.sql_guard import require_read_only

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Run on every connect (a reconnect included) to a database not marked disposable: the
# server then refuses writes and DDL (error 1792) whatever statement reaches it.
READ_ONLY_SESSION = "SET SESSION TRANSACTION READ ONLY"
EVIDENCE_ROWS = 200
# MySQL client errors of a connection that broke: the server has gone away (2006), the
# connection was lost during a query (2013, a read timeout included).
CONNECTION_LOST = (2006, 2013)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # int, varchar, decimal...
    column_type: str  # int(11), varchar(32), bigint(20) unsigned...
    nullable: bool
    primary: bool
    auto_increment: bool
    charset: str | None = None  # of a text column: utf8mb4, latin1...
    scale: int | None = None  # digits after the point: DECIMAL(10,2), FLOAT(7,2)


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass
class Database:
    """One configured database, connected lazily, in autocommit mode so every read
    sees the latest committed data (no stale REPEATABLE-READ snapshot). A database not
    marked disposable is connected read-only."""

    name: str
    endpoint: DatabaseEndpoint
    settings: DatabaseConfig
    masker: Masker
    journal: Journal | None = None  # rows written here are recorded durably first
    on_statement: Callable[[Database, str], None] | None = None  # a step's SQL (coverage)
    _connection: Any = None
    _columns: dict[str, dict[str, Column]] = field(default_factory=dict)
    _indexes: dict[str, list[Index]] = field(default_factory=dict)

    @property
    def connection(self) -> pymysql.connections.Connection:
        if self._connection is not None and not self._connection.open:
            self._connection = None  # lost, or closed by pymysql when a call was cut short
        if self._connection is None:
            ep = self.endpoint
            started = time.monotonic()
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
                    init_command=None if self.settings.disposable else READ_ONLY_SESSION,
                )
            except pymysql.MySQLError as exc:
                waited = time.monotonic() - started
                first = self.masker.mask(
                    f"database {self.name!r} ({ep.user}@{ep.host}:{ep.port}/{ep.database})"
                    f" is not reachable after {waited:.1f} s: {describe_error(exc)}"
                )
                raise UnreachableFailure(
                    first + f"\n  (timeouts: databases.{self.name}.connect_timeout"
                    f" {self.settings.connect_timeout:g} s, read_timeout"
                    f" {self.settings.read_timeout:g} s)",
                    self._unreachable(exc, first),
                ) from None
        return self._connection

    def _unreachable(self, exc: pymysql.MySQLError, detail: str) -> Unreachable:
        ep = self.endpoint
        key = f"databases.{self.name}.{'embedded' if ep.pid else 'host'}"
        url = f"mysql://{ep.user}@{ep.host}:{ep.port}/{ep.database}"
        reason = database_reason(exc)
        return Unreachable(f"database {self.name}", url, reason, detail, key)

    def query(
        self, sql: str, params: Sequence[Any] | None = (), evidence: bool = True
    ) -> list[dict[str, Any]]:
        """Run one statement with bound parameters; returns its rows as dicts.

        ``params=None`` runs ``sql`` as it is (no ``%`` formatting). ``evidence``
        attaches the statement, its parameters and its rows to the report; interlock's
        own schema look-ups leave it off.
        """
        try:
            with self._cursor() as cursor:
                cursor.execute(sql, None if params is None else tuple(params))
                rows = list(cursor.fetchall())
        except pymysql.MySQLError as exc:
            message = self.masker.mask(
                f"query failed on {self.name!r}: {describe_error(exc)}\n  {sql}\n"
                f"  parameters: {list(params or ())}"
            )
            if exc.args and exc.args[0] in CONNECTION_LOST:
                first = message.split("\n", 1)[0]
                raise UnreachableFailure(message, self._unreachable(exc, first)) from None
            raise AssertionError(message) from None
        if evidence:
            self._evidence(sql, params or (), rows)
        return rows

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a statement a scenario wrote, refused unless it is one read-only statement
        (:mod:`interlock.sql_guard`), on any database.

        It is checked as written, then as the server will read it with its values bound
        (a value placed inside a comment or quotes could change that reading); what
        runs is exactly the text checked last.
        """
        require_read_only(sql, self.name)
        bound = self.connection.cursor().mogrify(sql, tuple(params))
        try:
            require_read_only(bound, self.name)
        except ScenarioInputError as exc:
            raise ScenarioInputError(
                self.masker.mask(
                    f"{exc.message}\n  (with its values bound: a value inside a comment or"
                    " quoted text changed how the server reads the query)"
                ),
                exc.hint,
            ) from None
        return self.query(bound, None)

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> tuple[int, int]:
        """Run one writing statement; returns (rows affected, last insert id).

        pymysql errors propagate: callers turn them into messages that name the
        user's own input (the table row, the script line). Callers refuse a database
        not marked disposable first, with words of their own; this is the backstop.
        """
        self.require_disposable("run a writing statement")
        with self._cursor() as cursor:
            affected = cursor.execute(sql, None if params is None else tuple(params))
            last_id = int(cursor.lastrowid or 0)
        self._evidence(sql, params or (), [], affected)
        return int(affected), last_id

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor on the connection; a statement cut short by anything but the
        database (Ctrl-C, the scenario's time limit) leaves the connection's exchange
        half-done, so it is dropped and the next statement connects afresh: the
        cleanups after an interrupted step still reach the database."""
        try:
            with self.connection.cursor() as cursor:
                yield cursor
        except pymysql.MySQLError:
            raise
        except BaseException:
            self.close()
            raise

    def _evidence(
        self,
        sql: str,
        params: Sequence[Any],
        rows: list[dict[str, Any]],
        affected: int | None = None,
    ) -> None:
        if not recording():
            return
        lines = [sql, f"parameters: {list(params)}", ""]
        if affected is not None:
            lines.append(f"({affected} row{'s' if affected != 1 else ''} affected)")
        elif rows:
            columns = list(rows[0])
            lines.append("| " + " | ".join(columns) + " |")
            lines += [format_row(row, columns) for row in rows[:EVIDENCE_ROWS]]
            if len(rows) > EVIDENCE_ROWS:
                lines.append(f"... {len(rows) - EVIDENCE_ROWS} more rows")
        else:
            lines.append("(no rows)")
        attach_text(self.masker, f"SQL on {self.name}", "\n".join(lines))
        if self.on_statement is not None:
            self.on_statement(self, sql)

    def require_disposable(self, action: str) -> None:
        """Refuse to write to a database that is not marked disposable in config."""
        if not self.settings.disposable:
            raise ScenarioInputError(
                f"refusing to {action}: database {self.name!r} is not marked disposable, so"
                " interlock only reads from it",
                hint=f"if its data is yours to change, set databases.{self.name}.disposable:"
                " true in this environment's config file",
            )

    # -- schema ----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        rows = self.query(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() ORDER BY table_name",
            evidence=False,
        )
        return [str(r["name"]) for r in rows]

    def column_info(self, table: str) -> dict[str, Column]:
        """The table's columns in order; an unknown table names the nearest ones."""
        if table not in self._columns:
            rows = self.query(
                "SELECT column_name AS name, data_type, column_type, is_nullable,"
                " column_key, extra, character_set_name AS charset, numeric_scale AS scale"
                " FROM information_schema.columns"
                " WHERE table_schema = DATABASE() AND table_name = %s"
                " ORDER BY ordinal_position",
                (table,),
                evidence=False,
            )
            if not rows:
                tables = self.tables()
                near = difflib.get_close_matches(table, tables, n=3, cutoff=0.5)
                raise ScenarioInputError(
                    f"database {self.name!r} has no table {table!r}",
                    hint=(f"did you mean {', '.join(near)}? " if near else "")
                    + f"tables: {', '.join(tables) or '(none)'}",
                )
            self._columns[table] = {
                str(r["name"]): Column(
                    name=str(r["name"]),
                    data_type=str(r["data_type"]).lower(),
                    column_type=str(r["column_type"]).lower(),
                    nullable=str(r["is_nullable"]).upper() == "YES",
                    primary=str(r["column_key"]).upper() == "PRI",
                    auto_increment="auto_increment" in str(r["extra"]).lower(),
                    charset=str(r["charset"]).lower() if r["charset"] is not None else None,
                    scale=int(r["scale"]) if r["scale"] is not None else None,
                )
                for r in rows
            }
        return self._columns[table]

    def indexes(self, table: str) -> list[Index]:
        """The table's indexes, each with its columns in order (looked up once)."""
        if table not in self._indexes:
            rows = self.query(
                "SELECT index_name AS name, column_name AS col, non_unique"
                " FROM information_schema.statistics"
                " WHERE table_schema = DATABASE() AND table_name = %s"
                " ORDER BY index_name, seq_in_index",
                (table,),
                evidence=False,
            )
            found: dict[str, Index] = {}
            for r in rows:
                name = str(r["name"])
                known = found.get(name)
                columns = (*known.columns, str(r["col"])) if known else (str(r["col"]),)
                found[name] = Index(name, columns, int(r["non_unique"]) == 0)
            self._indexes[table] = list(found.values())
        return self._indexes[table]

    def columns(self, table: str) -> list[str]:
        return list(self.column_info(table))

    def primary_key(self, table: str) -> list[str]:
        return [c.name for c in self.column_info(table).values() if c.primary]

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

    # -- writes (callers check require_disposable first) ---------------------------------

    def insert(self, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Insert one row; returns its identity: the primary key values (the generated
        auto-increment id included), or the whole row where the table has no key."""
        self.check_columns(table, list(row))
        names = ", ".join(quote_name(c) for c in row)
        marks = ", ".join(["%s"] * len(row))
        _, last_id = self.execute(
            f"INSERT INTO {quote_name(table)} ({names}) VALUES ({marks})", list(row.values())
        )
        key = self.primary_key(table)
        if not key:
            return dict(row)
        identity = {}
        for column in key:
            if column in row:
                identity[column] = row[column]
            elif self.column_info(table)[column].auto_increment:
                identity[column] = last_id
            else:
                return dict(row)  # a key filled by a default we cannot know: use the row
        return identity

    def delete(self, table: str, where: Mapping[str, Any], limit: int | None = None) -> int:
        """Delete the rows matching ``where`` (NULL-safe); returns how many went."""
        self.check_columns(table, list(where))
        conditions = " AND ".join(f"{quote_name(c)} <=> %s" for c in where)
        sql = f"DELETE FROM {quote_name(table)} WHERE {conditions}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        affected, _ = self.execute(sql, list(where.values()))
        return affected

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
    """A failure message for expected rows absent from ``actual``, showing the closest rows.

    This compares in memory with every row given; :mod:`interlock.db_checks` asks the
    database for the candidates first and builds the same message with
    :func:`describe_missing`."""
    if not expected:
        return None
    absent = [
        (row, actual)
        for row in expected
        if not any(not row_mismatches(row, candidate) for candidate in actual)
    ]
    return describe_missing(table, expected, absent)


def describe_missing(
    table: str,
    expected: Sequence[Mapping[str, str]],
    absent: Sequence[tuple[Mapping[str, str], Sequence[Mapping[str, Any]]]],
    note: str | None = None,
) -> str | None:
    """The failure message for the ``absent`` expected rows, each with the rows it was
    compared with (the closest of them are shown); ``note`` follows each row's closest
    rows (to say the table was not read whole)."""
    if not absent:
        return None
    columns = list(expected[0])
    problems = []
    for row, seen in absent:
        lines = [f"  missing: | {' | '.join(row[c] for c in columns)} |"]
        for candidate, why in closest_rows(row, seen):
            lines.append(f"    closest: {format_row(candidate, columns)}  ({'; '.join(why)})")
        if not seen:
            lines.append("    (the table has no rows)")
        elif note:
            lines.append(f"    ({note})")
        problems.append("\n".join(lines))
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
        run = Path(runtime.run_dir).name if runtime.run_dir else None
        journal = Journal.for_this_process(config.state_dir, config.env, run)
        items = {
            name: Database(name, runtime.databases[name], settings, masker, journal)
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


__all__ = [
    "Column",
    "Database",
    "Databases",
    "Index",
    "describe_missing",
    "display",
    "missing_rows",
    "quote_name",
    "unexpected_rows",
]
