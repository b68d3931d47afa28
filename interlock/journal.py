"""A durable record of the rows a scenario writes, so a run killed with no chance to
clean up (``kill -9``, a second Ctrl-C) is cleaned up by whoever comes next.

Each behave process appends to its own file (``<state>/journal/<pid>.jsonl``): a
row is recorded, and flushed to disk, *before* it is inserted (or, for rows the
system under test makes, when their removal is registered); its removal marks it
done. A journal whose process is gone and that still has open entries is swept:
each open row is deleted, and the sweep says what it removed.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.processes import pid_alive

FOLDER = "journal"


@dataclass
class Journal:
    path: Path
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def for_this_process(cls, state_dir: Path) -> Journal:
        folder = state_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / f"{os.getpid()}.jsonl")

    def record(
        self, database: str, table: str, where: Mapping[str, Any], every: bool = False
    ) -> int:
        """Note a row about to exist (``every``: all rows matching ``where``); returns
        the entry's id for :meth:`done`."""
        entry = next(self._ids)
        values = {k: None if v is None else str(v) for k, v in where.items()}
        item = {"id": entry, "db": database, "table": table, "where": values, "every": every}
        self._append(item)
        return entry

    def done(self, entry: int) -> None:
        self._append({"done": entry})

    def _append(self, item: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(item) + "\n")
            out.flush()
            os.fsync(out.fileno())


def open_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of a journal file not marked done (a torn last line is ignored)."""
    entries: dict[int, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if "done" in item:
            entries.pop(int(item["done"]), None)
        else:
            entries[int(item["id"])] = item
    return list(entries.values())


Deleter = Callable[[str, str, Mapping[str, Any], int | None], int]


def sweep(state_dir: Path, delete: Deleter, report: Callable[[str], None]) -> list[str]:
    """Delete the open rows of every journal whose process is gone; returns a line per
    row it could not remove. ``delete(database, table, where, limit)`` removes them."""
    folder = state_dir / FOLDER
    left: list[str] = []
    if not folder.is_dir():
        return left
    for path in sorted(folder.glob("*.jsonl")):
        if path.stem.isdigit() and pid_alive(int(path.stem)):
            continue
        entries = open_entries(path)
        removed = 0
        for item in reversed(entries):  # newest first, as the cleanup would have
            shown = ", ".join(f"{k}={v!r}" for k, v in item["where"].items())
            try:
                limit = None if item.get("every") else 1
                removed += delete(item["db"], item["table"], item["where"], limit)
            except Exception as exc:  # keep sweeping; say what stayed
                left.append(f"{item['table']} ({shown}): {exc}")
        if removed:  # entries for rows never written, or removed already, need no word
            report(
                f"swept {removed} row(s) left behind by a run that ended without cleaning"
                f" up (pid {path.stem})"
            )
        path.unlink(missing_ok=True)
    return left
