"""Rows left behind: tables of a disposable database that hold more rows after a run
(every cleanup and the final sweep done) than before its first scenario.

Not to be confused with :mod:`interlock.leftovers` (cleanups that *failed*, exit 3):
here every cleanup succeeded, yet a scenario wrote a row nobody removes (an event a
service wrote, a row inserted without a cleanup). The run counts the rows of every
table before the workers start and after the final sweep (:func:`count_tables`); a
table that grew is named (:func:`grown`), with the scenarios whose ``${unique}`` token
its new rows carry (each behave process records its scenarios' tokens:
:func:`record_token`), or else the feature files that ran. ``run.rows_left_behind``
says whether that is a warning (``warn``) or fails the run (``fail``: exit 1 and a
verdict rule, :data:`RULE`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.config import Config
from interlock.db import Database, Databases, quote_name

TOKENS_FOLDER = "scenario_tokens"  # under the state folder: one file per behave process
FILE = "rows-left-behind.json"  # under the reports folder: what the last run found
RULE = "no rows left behind"
SCANNED_ROWS = 5000  # the most new rows of one table read to find whose they are
NAMED_FILES = 5  # feature files named when no row says whose it is


@dataclass(frozen=True)
class TableCount:
    """One table's rows, and the largest value of its auto-increment key (new rows are
    above it), when it has one."""

    rows: int
    key: str | None = None
    top: int | None = None


Counts = dict[tuple[str, str], TableCount]  # (database, table) -> its count


@dataclass(frozen=True)
class Growth:
    """One table that grew during the run, and who grew it."""

    database: str
    table: str
    rows: int  # how many more rows than before the run
    scenarios: tuple[str, ...] = ()  # "file:line name" of scenarios its new rows name
    features: tuple[str, ...] = ()  # else: the feature files that ran

    def text(self) -> str:
        """``outbox: 1 row left behind, by scenarios of features/x.feature``."""
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        where = f"{self.database}.{self.table}"
        if self.scenarios:
            many = len(self.scenarios) != 1
            by = f"by scenario{'s' if many else ''} " + "; ".join(self.scenarios)
        elif self.features:
            shown = list(self.features[:NAMED_FILES])
            more = len(self.features) - len(shown)
            by = "by scenarios of " + ", ".join(shown) + (f" and {more} more" if more else "")
        else:
            by = "by this run"
        return f"{where}: {rows} left behind, {by}"

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "table": self.table,
            "rows": self.rows,
            "scenarios": list(self.scenarios),
            "features": list(self.features),
            "text": self.text(),
        }


# -- counting (the database) ----------------------------------------------------------------


def disposable(databases: Databases) -> list[Database]:
    """The databases a run may count: only disposable ones (a shared one is never read)."""
    return [db for db in databases.items.values() if db.settings.disposable]


def count_tables(databases: Databases) -> Counts:
    """Rows of every base table of every disposable database, with its auto-increment key's
    top value (information_schema for the names, ``SELECT COUNT(*)`` per table)."""
    counts: Counts = {}
    for db in disposable(databases):
        tables = db.query(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            " ORDER BY table_name",
            evidence=False,
        )
        for row in tables:
            table = str(row["name"])
            key = _auto_increment_key(db, table)
            selected = f"COUNT(*) AS n{f', MAX({quote_name(key)}) AS top' if key else ''}"
            found = db.query(f"SELECT {selected} FROM {quote_name(table)}", evidence=False)[0]
            top = found.get("top")
            counts[(db.name, table)] = TableCount(
                int(found["n"]), key, int(top) if top is not None else (0 if key else None)
            )
    return counts


def _auto_increment_key(db: Database, table: str) -> str | None:
    keys = [c for c in db.column_info(table).values() if c.primary]
    if len(keys) == 1 and keys[0].auto_increment:
        return keys[0].name
    return None


def new_rows(db: Database, table: str, before: TableCount) -> list[dict[str, Any]]:
    """The table's rows written since ``before`` when its auto-increment key says which;
    else all its rows (at most :data:`SCANNED_ROWS`; a row older than the run carries no
    token of this run, so it is attributed to nobody)."""
    name = quote_name(table)
    if before.key is not None and before.top is not None:
        key = quote_name(before.key)
        return db.query(
            f"SELECT * FROM {name} WHERE {key} > %s ORDER BY {key} LIMIT {SCANNED_ROWS}",
            (before.top,),
            evidence=False,
        )
    return db.query(f"SELECT * FROM {name} LIMIT {SCANNED_ROWS}", evidence=False)


# -- what grew, and whose it is (pure) ------------------------------------------------------


def grown_tables(before: Counts, after: Counts) -> list[tuple[str, str, int]]:
    """(database, table, how many more rows) of each table that holds more rows after
    than before; a table made during the run counts from zero."""
    found = []
    for where, now in sorted(after.items()):
        was = before.get(where)
        more = now.rows - (was.rows if was is not None else 0)
        if more > 0:
            found.append((where[0], where[1], more))
    return found


def attribute(rows: Iterable[Mapping[str, Any]], tokens: Mapping[str, str]) -> list[str]:
    """The scenarios (``tokens``: ``${unique}`` value -> scenario) whose token appears in a
    text cell of ``rows``, in the order first seen."""
    if not tokens:
        return []
    # Longest first, so that a token that begins another one never shadows it.
    pattern = re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))
    found: dict[str, None] = {}
    for row in rows:
        for value in row.values():
            if isinstance(value, bytes | bytearray):
                value = bytes(value).decode("utf-8", "replace")
            if isinstance(value, str):
                for match in pattern.finditer(value):
                    found.setdefault(tokens[match.group(0)], None)
    return list(found)


def features_of(locations: Iterable[str]) -> tuple[str, ...]:
    """The feature files of ``file:line`` locations, sorted, each once."""
    return tuple(sorted({location.rsplit(":", 1)[0] for location in locations}))


# -- the scenarios' tokens (each behave process writes, the run reads) ----------------------


def tokens_wanted(config: Config) -> bool:
    """Whether this run's scenarios need their tokens recorded: only a disposable database
    is counted (:func:`disposable`), so without one no token is ever read."""
    return any(db.disposable for db in config.databases.values())


def record_token(state_dir: Path, token: str, scenario: str) -> None:
    """Note that ``token`` is the ``${unique}`` of ``scenario`` ("file:line name")."""
    folder = state_dir / TOKENS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"token": token, "scenario": scenario})
    with open(folder / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def read_tokens(state_dir: Path) -> dict[str, str]:
    """Every token recorded since :func:`clear_tokens`: token -> scenario."""
    tokens: dict[str, str] = {}
    folder = state_dir / TOKENS_FOLDER
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                tokens[str(entry["token"])] = str(entry["scenario"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a killed process
    return tokens


def clear_tokens(state_dir: Path) -> None:
    folder = state_dir / TOKENS_FOLDER
    if folder.is_dir():
        for path in folder.glob("*.jsonl"):
            path.unlink(missing_ok=True)


# -- one run's check ------------------------------------------------------------------------


def find(
    databases: Databases, before: Counts, tokens: Mapping[str, str], ran: Sequence[str]
) -> list[Growth]:
    """The tables that grew since ``before``, each with who grew it: the scenarios whose
    token its new rows carry, else the feature files of ``ran`` (``file:line`` each)."""
    after = count_tables(databases)
    found = []
    for name, table, more in grown_tables(before, after):
        was = before.get((name, table), TableCount(0))
        rows = new_rows(databases.items[name], table, was)
        scenarios = tuple(attribute(rows, tokens))
        found.append(Growth(name, table, more, scenarios, () if scenarios else features_of(ran)))
    return found


def save(reports_dir: Path, found: Sequence[Growth], fail: bool) -> None:
    """What the run found, for the sign-off pack (``interlock signoff`` rebuilds it)."""
    data = {"fail": fail, "tables": [g.as_json() for g in found]}
    (reports_dir / FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def forget(reports_dir: Path) -> None:
    (reports_dir / FILE).unlink(missing_ok=True)


def load(reports_dir: Path) -> list[str]:
    """The lines the last run saved (:func:`save`); none when it counted nothing."""
    try:
        data = json.loads((reports_dir / FILE).read_text(encoding="utf-8"))
        return [str(t["text"]) for t in data["tables"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def summary_lines(found: Sequence[Growth], fail: bool) -> list[str]:
    """The lines the summary shows (none when nothing grew)."""
    if not found:
        return []
    word = "ERROR" if fail else "WARNING"
    tables = f"{len(found)} table{'s hold' if len(found) != 1 else ' holds'}"
    head = (
        f"{word}: rows left behind: {tables} more rows than before the run,"
        " though every cleanup ran"
    )
    hint = (
        "  remove them with a cleanup step (rows of the table ... are removed after the"
        " scenario)" + ("" if fail else "; run.rows_left_behind: fail makes this an error")
    )
    return [head, *(f"  - {g.text()}" for g in found), hint]
