"""The rows a probed service creates: nothing says which they are, so before probing the
keys of every table of the databases the service writes to (``services.NAME.writes_to``)
are noted, and afterwards every row whose key is new is deleted.

The note is journalled before the first generated request (:mod:`interlock.journal`, one
entry per table), so that a worker killed while probing has its rows swept by the next
run, as seeded rows are. A table with a single integer key (an auto-increment id) is
journalled by its highest key, and swept above it; any other key (a product's SKU) by
the keys it held, and swept of the others. A table without a primary key, or with more
than :data:`SNAPSHOT_ROWS` rows, is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.db import Database, quote_name

SNAPSHOT_ROWS = 100_000  # keys of a table noted at most: a disposable database is small
_INTEGERS = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}


@dataclass(frozen=True)
class Snapshot:
    """A table's primary key values before probing, and its journal entry."""

    table: str
    columns: tuple[str, ...]
    keys: frozenset[tuple[object, ...]]
    entry: int | None = None

    def journalled(self, integer: bool) -> dict[str, Any]:
        """What the journal keeps of it: the highest key of a single integer key, else
        every key (as text, as the journal keeps values)."""
        if integer:
            values = [int(str(key[0])) for key in self.keys]
            return {"columns": list(self.columns), "highest": max(values, default=0)}
        keys = sorted([[str(v) for v in key] for key in self.keys])
        return {"columns": list(self.columns), "keys": keys}


def take(db: Database) -> tuple[list[Snapshot], list[str]]:
    """Note (and journal) the keys of every table of ``db``; returns the snapshots and the
    tables left as they are."""
    snapshots, skipped = [], []
    for table in db.tables():
        keys = _keys(db, table)
        if keys is None:
            skipped.append(table)
            continue
        columns = tuple(db.primary_key(table))
        snapshot = Snapshot(table, columns, keys)
        if db.journal is not None:
            integer = len(columns) == 1 and db.column_info(table)[columns[0]].data_type in _INTEGERS
            entry = db.journal.record_snapshot(
                db.name, db.endpoint, table, snapshot.journalled(integer)
            )
            snapshot = Snapshot(table, columns, keys, entry)
        snapshots.append(snapshot)
    return snapshots, skipped


def delete_new(db: Database, snapshots: Sequence[Snapshot]) -> None:
    """Delete the rows whose key is not in their table's snapshot, then close the journal
    entries. Foreign key checks are off in this one session, so that the order of the
    tables does not matter."""
    db.require_disposable("delete the rows probing created")
    db.execute("SET FOREIGN_KEY_CHECKS = 0")
    try:
        for snap in snapshots:
            new = sorted((_keys(db, snap.table) or frozenset()) - snap.keys, key=repr)
            _delete_keys(db, snap.table, snap.columns, new)
    finally:
        db.execute("SET FOREIGN_KEY_CHECKS = 1")
    if db.journal is not None:
        for snap in snapshots:
            if snap.entry is not None:
                db.journal.done(snap.entry)


def delete_beyond(db: Database, table: str, noted: Mapping[str, Any]) -> int:
    """The sweep of a journalled snapshot (a killed worker's probe): delete the rows of
    ``table`` above its highest key, or whose key it did not hold; returns how many."""
    db.require_disposable(f"sweep the rows probing created in {table!r}")
    columns = tuple(str(c) for c in noted["columns"])
    db.execute("SET FOREIGN_KEY_CHECKS = 0")
    try:
        if "highest" in noted:
            column = quote_name(columns[0])
            sql = f"DELETE FROM {quote_name(table)} WHERE {column} > %s"
            return db.execute(sql, [int(noted["highest"])])[0]
        held = {tuple(str(v) for v in key) for key in noted["keys"]}
        current = _keys(db, table) or frozenset()
        new = sorted((k for k in current if tuple(str(v) for v in k) not in held), key=repr)
        return _delete_keys(db, table, columns, new)
    finally:
        db.execute("SET FOREIGN_KEY_CHECKS = 1")


def _keys(db: Database, table: str) -> frozenset[tuple[object, ...]] | None:
    key = db.primary_key(table)
    if not key:
        return None
    columns = ", ".join(quote_name(c) for c in key)
    rows = db.query(
        f"SELECT {columns} FROM {quote_name(table)} LIMIT {SNAPSHOT_ROWS + 1}", evidence=False
    )
    if len(rows) > SNAPSHOT_ROWS:
        return None
    return frozenset(tuple(row[c] for c in key) for row in rows)


def _delete_keys(
    db: Database, table: str, columns: tuple[str, ...], keys: Sequence[tuple[object, ...]]
) -> int:
    removed = 0
    name = quote_name(table)
    if len(columns) == 1:  # in batches: one statement (and evidence) each
        for start in range(0, len(keys), 500):
            batch = [values[0] for values in keys[start : start + 500]]
            marks = ", ".join(["%s"] * len(batch))
            column = quote_name(columns[0])
            removed += db.execute(f"DELETE FROM {name} WHERE {column} IN ({marks})", batch)[0]
        return removed
    condition = " AND ".join(f"{quote_name(c)} <=> %s" for c in columns)
    for values in keys:
        removed += db.execute(f"DELETE FROM {name} WHERE {condition}", values)[0]
    return removed
