"""Test data with tracked ownership: rows a scenario inserts, or asks to have removed,
are deleted after it in reverse order, whatever its outcome.

Each inserted row is recorded by its primary key (a generated auto-increment id
included), or by the whole row where the table has none, and its removal is
registered the moment it exists. Every write is refused on a database that config
does not mark disposable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pymysql

from interlock.cells import NULL
from interlock.cleanup import CleanupRegistry
from interlock.db import Column, Database
from interlock.errors import ScenarioInputError, describe_error
from interlock.folders import inside
from interlock.interruption import shielded
from interlock.sql_script import run_script
from interlock.variables import Variables

_NUMERIC = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint",
    "decimal", "numeric", "float", "double", "real", "bit",
}  # fmt: skip
_CHILD_TABLE = re.compile(r"foreign key constraint fails \(`[^`]*`\.`([^`]+)`")


def cell_value(cell: str, column: Column) -> Any:
    """The value a table cell stands for when it is written to ``column``."""
    if cell == NULL:
        return None
    if cell.startswith("#"):
        raise ScenarioInputError(
            f"column {column.name!r}: {cell!r} is a match marker, which can check a value"
            " but not make one",
            hint="write the value itself (\\#text for a literal text starting with #)",
        )
    if cell.startswith("\\#"):
        return cell[1:]
    if column.data_type in _NUMERIC and cell.strip().lower() in ("true", "false"):
        return 1 if cell.strip().lower() == "true" else 0
    return cell


def seed_rows(
    db: Database,
    table: str,
    rows: Sequence[Mapping[str, str]],
    sources: Sequence[str],
    cleanup: CleanupRegistry,
) -> list[dict[str, Any]]:
    """Insert ``rows`` (``sources`` names each row's feature line) and register each
    one's removal; returns their identities. A failing row names its line; the rows
    before it are still removed after the scenario."""
    db.require_disposable(f"insert rows into {table!r}")
    if rows:
        db.check_columns(table, list(rows[0]))
    info = db.column_info(table)
    identities = []
    for row, source in zip(rows, sources, strict=True):
        values = {column: cell_value(cell, info[column]) for column, cell in row.items()}
        with shielded():  # a row is never written without its removal registered
            entry = db.journal.record(db.name, db.endpoint, table, values) if db.journal else None
            try:
                identity = db.insert(table, values)
            except pymysql.MySQLError as exc:
                _done(db, entry)
                raise AssertionError(
                    f"{source}: this row could not be inserted into {table!r}:"
                    f" {describe_error(exc)}"
                ) from None
            cleanup.add(
                f"remove the row {_show(identity)} seeded into {table!r} ({source})",
                functools.partial(_remove_and_note, db, entry, table, identity, _limit(db, table)),
            )
        identities.append(identity)
    return identities


def remove_after_scenario(
    db: Database, table: str, where: Mapping[str, str], cleanup: CleanupRegistry
) -> None:
    """Register the removal of rows the system under test will create (or has created)."""
    db.require_disposable(f"remove rows from {table!r} after the scenario")
    db.check_columns(table, list(where))
    info = db.column_info(table)
    values = {column: cell_value(cell, info[column]) for column, cell in where.items()}
    entry = (
        db.journal.record(db.name, db.endpoint, table, values, every=True) if db.journal else None
    )
    cleanup.add(
        f"remove the rows of {table!r} where {_show(values)}",
        functools.partial(_remove_and_note, db, entry, table, values, None),
    )


def remove(db: Database, table: str, where: Mapping[str, Any], limit: int | None = None) -> int:
    """Delete rows, explaining a delete that rows of another table block."""
    try:
        return db.delete(table, where, limit=limit)
    except pymysql.MySQLError as exc:
        child = _CHILD_TABLE.search(describe_error(exc))
        if child:
            raise AssertionError(
                f"could not remove {_show(where)} from {table!r}: rows of the table "
                f"{child.group(1)!r} still refer to it; register those for removal too,"
                f' e.g. Given rows of the table "{child.group(1)}" where "..." is "..." are'
                " removed after the scenario"
            ) from None
        raise AssertionError(
            f"could not remove {_show(where)} from {table!r}: {describe_error(exc)}"
        ) from None


def _remove_and_note(
    db: Database, entry: int | None, table: str, where: Mapping[str, Any], limit: int | None
) -> int:
    """Remove, then mark the journal entry done (a failed removal stays open for a sweep)."""
    removed = remove(db, table, where, limit=limit)
    _done(db, entry)
    return removed


def _done(db: Database, entry: int | None) -> None:
    if db.journal is not None and entry is not None:
        db.journal.done(entry)


def _limit(db: Database, table: str) -> int | None:
    """Rows identified by their whole content (no key) are removed one at a time."""
    return None if db.primary_key(table) else 1


def _show(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def run_data_script(
    db: Database,
    path: Path,
    display_name: str,
    variables: Variables,
    cleanup: CleanupRegistry,
    data_dir: Path | None = None,
) -> int:
    """Run a scenario's SQL script, ``${name}`` as bound parameters.

    What a script writes cannot be tracked row by row; a companion script
    ``<name>.cleanup.sql`` beside it, if present, is registered to run after the
    scenario (before the script runs, so a half-run script is undone too). Like the
    script, it must lie inside the data folder ``data_dir`` (default: the script's
    folder), symlinks resolved."""
    db.require_disposable(f"run the SQL script {display_name}")
    companion = path.with_name(path.name.removesuffix(".sql") + ".cleanup.sql")
    if companion.is_file():
        shown = display_name.removesuffix(".sql") + ".cleanup.sql"
        if inside(data_dir or path.parent, str(companion)) is None:
            raise ScenarioInputError(
                f"the cleanup script {shown} leads outside the data folder",
                hint="make it a file in the data folder, not a link to one elsewhere",
            )
        cleanup.add(
            f"run {shown}",
            functools.partial(run_script, companion, db.execute, shown, variables),
        )
    return run_script(path, db.execute, display_name, variables)
