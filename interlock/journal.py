"""A durable record of the rows a scenario writes, so a run killed with no chance to
clean up (``kill -9``, a second Ctrl-C) is cleaned up by whoever comes next.

Each behave process appends to its own file (``<state>/journal/<pid>.jsonl``): a
row is recorded, and flushed to disk, *before* it is inserted (or, for rows the
system under test makes, when their removal is registered); its removal marks it
done. Before a service is probed, each table's keys are recorded the same way (its
highest key, or the keys it holds: ``beyond``), and a sweep deletes the rows beyond
them (:mod:`interlock.probed_rows`). Each entry names where its rows are: the
environment, the database's name, server (host, port), schema, the embedded server's
data folder, and the environment's run folder.

A journal whose process is gone and that still has open entries is swept, but
only where it was written: an entry is deleted only when its environment and
database match the sweeping run's and that database is disposable. Entries of an
embedded server that is gone are closed (their rows went with it). Any other entry
is kept, in a ``kept-<pid>-<tag>.jsonl`` file no live process writes to, and the
sweep says once what it kept, where those rows are and how to sweep them.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.environment.processes import pid_alive
from interlock.environment.runtime import DatabaseEndpoint, Runtime

FOLDER = "journal"
KEPT = "kept-"  # the prefix of a file of entries kept for another run to sweep
SHOWN = 3  # rows named in a note about kept entries; the rest are counted


@dataclass(frozen=True)
class Target:
    """Where an entry's rows were written: which environment's which database, on
    which server; ``instance`` is an embedded server's data folder (one per start, so a
    later server on the same port is not taken for it)."""

    env: str
    database: str
    host: str
    port: int
    schema: str
    instance: str | None = None

    @classmethod
    def of(cls, env: str, database: str, endpoint: DatabaseEndpoint) -> Target:
        return cls(env, database, endpoint.host, endpoint.port, endpoint.database, endpoint.datadir)

    @classmethod
    def of_entry(cls, item: Mapping[str, Any]) -> Target | None:
        """The target an entry names; None for an entry written before entries named one."""
        try:
            return cls(
                str(item["env"]),
                str(item["db"]),
                str(item["host"]),
                int(item["port"]),
                str(item["schema"]),
                None if item.get("instance") is None else str(item["instance"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def fields(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "db": self.database,
            "host": self.host,
            "port": self.port,
            "schema": self.schema,
            "instance": self.instance,
        }

    def describe(self) -> str:
        where = f"database {self.database} at {self.host}:{self.port}/{self.schema}"
        return where + (f", embedded, data folder {self.instance}" if self.instance else "")


@dataclass(frozen=True)
class Here:
    """The environment a sweep runs in: its name, when it started, and its databases
    (where each one is, and whether it is disposable)."""

    env: str
    started_at: float
    databases: Mapping[str, Target]
    disposable: frozenset[str]

    @classmethod
    def of(cls, env: str, runtime: Runtime, disposable: Iterable[str]) -> Here:
        return cls(
            env,
            runtime.started_at,
            {name: Target.of(env, name, db) for name, db in runtime.databases.items()},
            frozenset(disposable),
        )


@dataclass
class Journal:
    path: Path
    env: str  # the environment this process writes in
    run: str | None = None  # that environment's run folder
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def for_this_process(cls, state_dir: Path, env: str, run: str | None = None) -> Journal:
        folder = state_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / f"{os.getpid()}.jsonl", env, run)

    def record(
        self,
        database: str,
        endpoint: DatabaseEndpoint,
        table: str,
        where: Mapping[str, Any],
        every: bool = False,
    ) -> int:
        """Note a row about to exist in ``database`` (reached at ``endpoint``); ``every``:
        all rows matching ``where``. Returns the entry's id for :meth:`done`."""
        entry = next(self._ids)
        values = {k: None if v is None else str(v) for k, v in where.items()}
        item = {
            "id": entry,
            **Target.of(self.env, database, endpoint).fields(),
            "run": self.run,
            "table": table,
            "where": values,
            "every": every,
        }
        self._append(item)
        return entry

    def record_snapshot(
        self, database: str, endpoint: DatabaseEndpoint, table: str, noted: Mapping[str, Any]
    ) -> int:
        """Note the keys ``table`` holds before a service is probed (``noted``: its key
        ``columns`` and their ``highest`` value, or every one of its ``keys``): the rows
        beyond them are the probe's. Returns the entry's id for :meth:`done`."""
        entry = next(self._ids)
        item = {
            "id": entry,
            **Target.of(self.env, database, endpoint).fields(),
            "run": self.run,
            "table": table,
            "where": {},
            "every": True,
            "beyond": dict(noted),
        }
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


# What the sweep does with one entry: delete its rows, close it (its rows are gone
# with their server), or keep it for the run that can sweep it, saying why.
SWEEP, CLOSE, KEEP = "sweep", "close", "keep"


@dataclass(frozen=True)
class Decision:
    action: str
    why: str = ""  # for CLOSE and KEEP: the note, less the entries' count and rows


def decide(item: Mapping[str, Any], here: Here, written_at: float) -> Decision:
    """What the sweep in ``here`` may do with an open entry last written at ``written_at``."""
    name = str(item.get("db", "?"))
    target = Target.of_entry(item)
    if target is None:
        return _decide_unnamed(name, here, written_at)
    current = here.databases.get(name)
    if current != target:
        if target.instance and not Path(target.instance).exists():
            return Decision(
                CLOSE,
                f"for environment {target.env} ({target.describe()}): that embedded server"
                " and its data are gone, and the rows with them",
            )
        if target.env != here.env:
            return Decision(
                KEEP,
                f"for environment {target.env} ({target.describe()}): not this run's"
                f" environment ({here.env}); run interlock with --env {target.env} to sweep"
                " them",
            )
        if current is None:
            return Decision(
                KEEP,
                f"for environment {target.env} ({target.describe()}): this environment has no"
                f" database {name} any more; configure databases.{name} as it was and run"
                " again to sweep them",
            )
        if target.instance:
            return Decision(
                KEEP,
                f"for environment {target.env} ({target.describe()}): this run's {name} is"
                f" another server ({current.describe()}); they are swept by a run of the"
                " environment that server belongs to",
            )
        return Decision(
            KEEP,
            f"for environment {target.env} ({target.describe()}): this environment's {name}"
            f" is now at {current.host}:{current.port}/{current.schema}; point"
            f" databases.{name} at {target.host}:{target.port}/{target.schema} again and run"
            " to sweep them",
        )
    if name not in here.disposable:
        return Decision(
            KEEP,
            f"for environment {target.env} ({target.describe()}): it is not marked"
            " disposable, so interlock deletes nothing in it; remove those rows yourself and"
            f" delete the file, or set databases.{name}.disposable: true if its data is yours"
            " to change",
        )
    return Decision(SWEEP)


def _decide_unnamed(name: str, here: Here, written_at: float) -> Decision:
    """An entry written before entries named their environment and server. Only an
    embedded, disposable server of this checkout that was already running when the
    entry was written can hold its rows (no other environment can have been acquired in
    this state folder meanwhile); anywhere else it is kept."""
    current = here.databases.get(name)
    if (
        current is not None
        and current.instance
        and name in here.disposable
        and here.started_at <= written_at
    ):
        return Decision(SWEEP)
    return Decision(
        KEEP,
        f"for database {name}, written by an older interlock that did not record which"
        " environment and server they were for, so interlock cannot tell where their rows"
        f" are and deletes nothing for them ({here.env}'s {name} is not an embedded,"
        " disposable server that was running when they were written); remove those rows"
        " where that run wrote them, then delete the file",
    )


Deleter = Callable[[str, str, Mapping[str, Any], int | None], int]
BeyondDeleter = Callable[[str, str, Mapping[str, Any]], int]


def sweep(
    state_dir: Path,
    here: Here,
    delete: Deleter,
    report: Callable[[str], None],
    beyond: BeyondDeleter | None = None,
) -> list[str]:
    """Delete the open rows of every journal whose process is gone, where ``here`` may
    (:func:`decide`); keep the others and say so. Returns a line per row it could not
    remove. ``delete(database, table, where, limit)`` removes them; ``beyond(database,
    table, noted)`` the rows a probe made, beyond the keys noted before it."""
    folder = state_dir / FOLDER
    left: list[str] = []
    if not folder.is_dir():
        return left
    notes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    files: dict[tuple[str, str], set[Path]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        if path.stem.isdigit() and pid_alive(int(path.stem)):
            continue
        try:
            written_at = path.stat().st_mtime
            entries = open_entries(path)
        except FileNotFoundError:
            continue  # another sweep took it meanwhile
        except (OSError, ValueError, KeyError, TypeError) as exc:
            left.append(f"the journal {path} could not be read: {exc}")
            continue
        removed = 0
        kept: list[tuple[Decision, dict[str, Any]]] = []
        closed: list[tuple[Decision, dict[str, Any]]] = []
        for item in reversed(entries):  # newest first, as the cleanup would have
            decision = decide(item, here, written_at)
            if decision.action != SWEEP:
                (kept if decision.action == KEEP else closed).append((decision, item))
                continue
            try:
                if "beyond" in item:
                    if beyond is None:
                        raise RuntimeError("this sweep cannot delete the rows a probe made")
                    removed += beyond(item["db"], item["table"], item["beyond"])
                    continue
                limit = None if item.get("every") else 1
                removed += delete(item["db"], item["table"], item["where"], limit)
            except Exception as exc:  # keep sweeping; say what stayed
                left.append(f"{item.get('table')} ({_where(item)}): {exc}")
        origin = _origin(path)
        if removed:  # entries for rows never written, or removed already, need no word
            report(
                f"swept {removed} row(s) left behind by a run that ended without cleaning"
                f" up (pid {origin})"
            )
        changed = len(kept) != len(entries)
        kept_in = _keep(path, origin, [item for _, item in reversed(kept)], changed, written_at)
        for decision, item in closed:
            notes.setdefault(("closed", decision.why), []).append(item)
        for decision, item in kept:
            key = ("kept", decision.why)
            notes.setdefault(key, []).append(item)
            if kept_in is not None:
                files.setdefault(key, set()).add(kept_in)
    for (verb, why), items in notes.items():
        where = sorted(str(p) for p in files.get((verb, why), ()))
        shown = f"; they are in {', '.join(where)}" if where else ""
        report(f"{verb} {_count(items)} ({_rows(items)}) {why}{shown}")
    return left


def _keep(
    path: Path, origin: str, kept: list[dict[str, Any]], changed: bool, written_at: float
) -> Path | None:
    """Leave ``kept`` in a file of kept entries (a dead process's file is renamed away
    from its pid, which a new process may be given), last written when they were; None
    when nothing is kept."""
    if not kept:
        path.unlink(missing_ok=True)
        return None
    if not changed and path.name.startswith(KEPT):
        return path
    target = (
        path
        if path.name.startswith(KEPT)
        else path.with_name(f"{KEPT}{origin}-{secrets.token_hex(3)}.jsonl")
    )
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(item) + "\n" for item in kept)
        out.flush()
        os.fsync(out.fileno())
    os.utime(tmp, (written_at, written_at))  # when they were written is what it was
    os.replace(tmp, target)
    if target != path:
        path.unlink(missing_ok=True)
    return target


def _origin(path: Path) -> str:
    """The pid of the process that wrote a journal file (kept ones carry it too)."""
    return path.stem.removeprefix(KEPT).split("-", 1)[0]


def _where(item: Mapping[str, Any]) -> str:
    where = item.get("where")
    return ", ".join(f"{k}={v!r}" for k, v in where.items()) if isinstance(where, dict) else "?"


def _count(items: list[dict[str, Any]]) -> str:
    return f"{len(items)} journal {'entry' if len(items) == 1 else 'entries'}"


def _rows(items: list[dict[str, Any]]) -> str:
    shown = [
        f"the rows of {item.get('table')} a probe added"
        if "beyond" in item
        else f"{'rows' if item.get('every') else 'a row'} of {item.get('table')} where"
        f" {_where(item)}"
        for item in items[:SHOWN]
    ]
    more = len(items) - SHOWN
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
