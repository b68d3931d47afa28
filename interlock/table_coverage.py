"""Database coverage, the cheap kind: which tables of each disposable database no
scenario's SQL touched.

Only SQL interlock itself ran is counted: the statements a scenario's steps made
(seeding, checks, queries, scripts, removals: the ones that leave evidence in the
report), never the services' own SQL. Each behave process appends, per database, the
tables it has and, once each, the tables a statement named, to
``interlock-tables-<pid>.jsonl`` in the results folder; the run's summary reads every
process's part (and every shard's, once merged) and lists the tables nobody touched.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from interlock.folders import json_lines

PART_PREFIX = "interlock-tables-"
_NAMED = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+`?(\w+)`?(?:\s*\.\s*`?(\w+)`?)?", re.IGNORECASE
)


class _Database(Protocol):
    @property
    def name(self) -> str: ...
    def tables(self) -> list[str]: ...


@dataclass
class Recorder:
    """This process's part: each database's tables once, then each table touched once."""

    folder: Path
    _tables: dict[str, frozenset[str]] = field(default_factory=dict)
    _touched: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / f"{PART_PREFIX}{os.getpid()}.jsonl"

    def note(self, db: _Database, sql: str) -> None:
        """Record the tables of ``db`` that ``sql`` names (nothing it cannot tell)."""
        lines = []
        if db.name not in self._tables:
            try:
                self._tables[db.name] = frozenset(db.tables())
            except Exception:  # unreachable now: the step's own failure says so
                return
            lines.append({"db": db.name, "tables": sorted(self._tables[db.name])})
        known = self._tables[db.name]
        for first, second in _NAMED.findall(sql):
            table = second or first
            if table in known and (db.name, table) not in self._touched:
                self._touched.add((db.name, table))
                lines.append({"db": db.name, "touched": table})
        if lines:
            with self._lock:
                self.folder.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as out:
                    out.writelines(json.dumps(line) + "\n" for line in lines)


def untouched(folder: Path, databases: list[str]) -> dict[str, list[str] | None]:
    """Per database (of ``databases``, the disposable ones): the tables no scenario's SQL
    touched; None when no scenario ran SQL on it at all."""
    tables: dict[str, set[str]] = {}
    touched: dict[str, set[str]] = {}
    for item in json_lines(folder, PART_PREFIX):
        try:
            name = str(item["db"])
            if "tables" in item:
                tables.setdefault(name, set()).update(map(str, item["tables"]))
            else:
                touched.setdefault(name, set()).add(str(item["touched"]))
        except (ValueError, KeyError, TypeError):
            continue
    return {
        name: sorted(tables[name] - touched.get(name, set())) if name in tables else None
        for name in databases
    }


def summary(folder: Path, databases: list[str]) -> str:
    """The summary's lines: per disposable database, the tables nobody touched."""
    lines = []
    for name, left in untouched(folder, databases).items():
        if left is None:
            lines.append(f"database coverage of {name}: no scenario ran SQL on it")
        elif left:
            lines.append(
                f"database coverage of {name}: {len(left)} table(s) no scenario touched:"
                f" {', '.join(left)}"
            )
        else:
            lines.append(f"database coverage of {name}: every table touched by some scenario")
    return "\n".join(lines)
