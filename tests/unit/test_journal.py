"""The durable record of written rows, and its sweep: only where the rows were written."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from interlock.environment.runtime import DatabaseEndpoint
from interlock.journal import Here, Journal, Target, decide, open_entries, sweep

SHOP = DatabaseEndpoint("db.example", 3306, "shop", "pw", "shop")
DEAD = 999999999  # a pid no process has


def here(
    env: str = "staging",
    endpoint: DatabaseEndpoint = SHOP,
    disposable: bool = True,
    started_at: float = 0.0,
) -> Here:
    return Here(
        env,
        started_at,
        {"shop": Target.of(env, "shop", endpoint)},
        frozenset({"shop"} if disposable else ()),
    )


def dead_journal(state: Path, env: str = "staging", endpoint: DatabaseEndpoint = SHOP) -> Journal:
    path = state / "journal" / f"{DEAD}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return Journal(path, env, "20260101-120000-ab12-4242")


class Sweep:
    """A sweep that records what it deleted and said."""

    def __init__(self) -> None:
        self.deleted: list[tuple[str, str, dict[str, Any], int | None]] = []
        self.said: list[str] = []

    def __call__(self, state: Path, where: Here) -> list[str]:
        return sweep(state, where, self.delete, self.said.append)

    def delete(self, db: str, table: str, where: Any, limit: int | None) -> int:
        self.deleted.append((db, table, dict(where), limit))
        return 1


def journal_files(state: Path) -> list[str]:
    return sorted(p.name for p in (state / "journal").glob("*.jsonl"))


def test_open_entries_are_those_not_done_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal.for_this_process(tmp_path, "local")
    first = journal.record("shop", SHOP, "products", {"sku": "A", "stock": 1})
    journal.record("shop", SHOP, "orders", {"customer": "ana"}, every=True)
    journal.done(first)
    with open(journal.path, "a") as out:
        out.write('{"id": 9, "db": "sh')  # killed mid-write
    (entry,) = open_entries(journal.path)
    assert entry["table"] == "orders" and entry["every"] is True


def test_an_entry_names_its_environment_server_schema_instance_and_run(tmp_path: Path) -> None:
    embedded = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 123, "/s/run/x/mariadb")
    journal = Journal.for_this_process(tmp_path, "local", "20260101-120000-ab12-4242")
    journal.record("shop", embedded, "orders", {"customer": "alice"}, every=True)
    (entry,) = open_entries(journal.path)
    assert {k: entry[k] for k in ("env", "db", "host", "port", "schema", "instance", "run")} == {
        "env": "local", "db": "shop", "host": "127.0.0.1", "port": 40001, "schema": "shop",
        "instance": "/s/run/x/mariadb", "run": "20260101-120000-ab12-4242",
    }  # fmt: skip


def test_a_dead_processs_journal_is_swept_newest_first_and_removed(tmp_path: Path) -> None:
    journal = dead_journal(tmp_path)
    journal.record("shop", SHOP, "products", {"sku": "A"})
    journal.record("shop", SHOP, "orders", {"customer": "ana"}, every=True)
    run = Sweep()
    assert run(tmp_path, here()) == []
    assert [(table, limit) for _, table, _, limit in run.deleted] == [
        ("orders", None),
        ("products", 1),
    ]
    assert run.said == [
        f"swept 2 row(s) left behind by a run that ended without cleaning up (pid {DEAD})"
    ]
    assert journal_files(tmp_path) == []


def test_a_live_processs_journal_is_left_alone(tmp_path: Path) -> None:
    journal = Journal.for_this_process(tmp_path, "staging")
    journal.record("shop", SHOP, "products", {"sku": "A"})
    assert sweep(tmp_path, here(), lambda *args: 1, lambda _: None) == []
    assert journal.path.exists()


def test_entries_whose_rows_are_gone_already_are_closed_without_a_word(tmp_path: Path) -> None:
    dead_journal(tmp_path).record("shop", SHOP, "products", {"sku": "A"})  # never written
    said: list[str] = []
    assert sweep(tmp_path, here(), lambda *args: 0, said.append) == []
    assert said == []
    assert journal_files(tmp_path) == []


def test_another_environments_entries_are_kept_and_said_once_with_how_to_sweep_them(
    tmp_path: Path,
) -> None:
    """The issue's case: a database of the same name, in the next run's environment."""
    journal = dead_journal(tmp_path, env="staging")
    journal.record("shop", SHOP, "orders", {"customer": "alice"}, every=True)
    journal.record("shop", SHOP, "orders", {"customer": "bob"}, every=True)
    run = Sweep()
    assert run(tmp_path, here(env="mine")) == []
    assert run.deleted == []
    (kept,) = journal_files(tmp_path)
    assert kept.startswith(f"kept-{DEAD}-")
    assert run.said == [
        "kept 2 journal entries (rows of orders where customer='bob'; rows of orders where"
        " customer='alice') for environment staging (database shop at db.example:3306/shop):"
        " not this run's environment (mine); run interlock with --env staging to sweep them;"
        f" they are in {tmp_path / 'journal' / kept}"
    ]
    # Kept as they were, and the run they belong to sweeps them.
    again = Sweep()
    again(tmp_path, here(env="mine"))
    assert again.deleted == [] and journal_files(tmp_path) == [kept]
    home = Sweep()
    home(tmp_path, here(env="staging"))
    assert [w for _, _, w, _ in home.deleted] == [{"customer": "bob"}, {"customer": "alice"}]
    assert home.said == [
        f"swept 2 row(s) left behind by a run that ended without cleaning up (pid {DEAD})"
    ]
    assert journal_files(tmp_path) == []


def test_a_database_not_marked_disposable_is_never_swept(tmp_path: Path) -> None:
    dead_journal(tmp_path).record("shop", SHOP, "orders", {"customer": "alice"}, every=True)
    run = Sweep()
    run(tmp_path, here(disposable=False))
    assert run.deleted == []
    (line,) = run.said
    assert line.startswith(
        "kept 1 journal entry (rows of orders where customer='alice') for environment staging"
        " (database shop at db.example:3306/shop): it is not marked disposable"
    )
    assert "databases.shop.disposable: true" in line
    assert len(journal_files(tmp_path)) == 1


@pytest.mark.parametrize(
    "moved",
    [
        DatabaseEndpoint("db2.example", 3306, "shop", "pw", "shop"),
        DatabaseEndpoint("db.example", 3307, "shop", "pw", "shop"),
        DatabaseEndpoint("db.example", 3306, "shop", "pw", "shop_copy"),
    ],
    ids=["host", "port", "schema"],
)
def test_the_same_environment_pointed_at_another_server_or_schema_keeps_them(
    tmp_path: Path, moved: DatabaseEndpoint
) -> None:
    dead_journal(tmp_path).record("shop", SHOP, "orders", {"customer": "alice"}, every=True)
    run = Sweep()
    run(tmp_path, here(endpoint=moved))
    assert run.deleted == []
    (line,) = run.said
    assert f"this environment's shop is now at {moved.host}:{moved.port}/{moved.database}" in line
    assert "point databases.shop at db.example:3306/shop again" in line


def test_a_fresh_embedded_server_on_the_same_port_is_not_taken_for_the_old_one(
    tmp_path: Path,
) -> None:
    old_data, new_data = tmp_path / "run" / "old" / "mariadb", tmp_path / "run" / "new" / "mariadb"
    new_data.mkdir(parents=True)
    old = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 1, str(old_data))
    new = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 2, str(new_data))
    dead_journal(tmp_path, "local", old).record(
        "shop", old, "orders", {"customer": "alice"}, every=True
    )
    run = Sweep()
    run(tmp_path, here(env="local", endpoint=new))
    assert run.deleted == []
    # The old server's data folder is gone, and its rows with it: nothing is left to keep.
    assert run.said == [
        "closed 1 journal entry (rows of orders where customer='alice') for environment local"
        f" (database shop at 127.0.0.1:40001/shop, embedded, data folder {old_data}): that"
        " embedded server and its data are gone, and the rows with them"
    ]
    assert journal_files(tmp_path) == []


def test_an_embedded_server_still_there_but_not_this_runs_is_kept(tmp_path: Path) -> None:
    old_data, new_data = tmp_path / "old", tmp_path / "new"
    old_data.mkdir(), new_data.mkdir()
    old = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 1, str(old_data))
    new = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 2, str(new_data))
    dead_journal(tmp_path, "local", old).record("shop", old, "orders", {"customer": "alice"})
    assert (
        decide(
            open_entries(next((tmp_path / "journal").glob("*.jsonl")))[0],
            here(env="local", endpoint=new),
            written_at=1.0,
        ).action
        == "keep"
    )


def test_entries_are_swept_where_they_match_and_the_rest_kept_apart(tmp_path: Path) -> None:
    """One file, two databases: the matching one is swept, the other kept in a file no
    new process with the same pid would append to."""
    other = DatabaseEndpoint("legacy.example", 3306, "ro", "pw", "legacy")
    journal = dead_journal(tmp_path)
    journal.record("shop", SHOP, "orders", {"customer": "alice"}, every=True)
    journal.record("legacy", other, "accounts", {"id": "7"})
    run = Sweep()
    run(tmp_path, here())  # legacy is not in this environment
    assert [(db, table) for db, table, _, _ in run.deleted] == [("shop", "orders")]
    (kept,) = journal_files(tmp_path)
    assert kept.startswith("kept-")
    (entry,) = open_entries(tmp_path / "journal" / kept)
    assert entry["db"] == "legacy"
    assert "this environment has no database legacy any more" in run.said[1]
    # A new process given the dead one's pid starts its own file, ids from 1 again.
    fresh = dead_journal(tmp_path)
    fresh.done(fresh.record("shop", SHOP, "products", {"sku": "B"}))
    assert len(open_entries(tmp_path / "journal" / kept)) == 1


def old_format_journal(state: Path) -> Path:
    """A journal as interlock wrote it before entries named where they were written."""
    path = state / "journal" / f"{DEAD}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"id": 1, "db": "shop", "table": "orders", "where": {"customer": "alice"},
             "every": True}
        ) + "\n"
    )  # fmt: skip
    return path


def test_old_entries_are_kept_and_said_where_the_database_could_be_anyones(
    tmp_path: Path,
) -> None:
    old_format_journal(tmp_path)
    run = Sweep()
    run(tmp_path, here(env="mine"))  # an external database, disposable or not
    assert run.deleted == []
    (line,) = run.said
    assert "written by an older interlock" in line and "then delete the file" in line
    assert len(journal_files(tmp_path)) == 1


def test_old_entries_are_swept_only_by_the_embedded_server_they_were_written_to(
    tmp_path: Path,
) -> None:
    data = tmp_path / "run" / "x" / "mariadb"
    data.mkdir(parents=True)
    embedded = DatabaseEndpoint("127.0.0.1", 40001, "shop", "pw", "shop", 1, str(data))
    written_at = time.time() - 3600
    os.utime(old_format_journal(tmp_path), (written_at, written_at))
    for _ in range(2):  # a server started after they were written cannot hold their rows
        later = Sweep()  # (keeping them in another file does not make them newer)
        later(tmp_path, here(env="local", endpoint=embedded, started_at=written_at + 60))
        assert later.deleted == []
    kept = next((tmp_path / "journal").glob("*.jsonl"))
    (item,) = open_entries(kept)
    assert decide(item, here("local", embedded, disposable=False), written_at).action == "keep"
    running = Sweep()  # one already running (`interlock up`) when they were written
    running(tmp_path, here(env="local", endpoint=embedded, started_at=written_at - 60))
    assert [w for _, _, w, _ in running.deleted] == [{"customer": "alice"}]
    assert journal_files(tmp_path) == []
