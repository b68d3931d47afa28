"""The durable record of written rows, and its sweep."""

from __future__ import annotations

from pathlib import Path

from interlock.journal import Journal, open_entries, sweep


def test_open_entries_are_those_not_done_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal.for_this_process(tmp_path)
    first = journal.record("shop", "products", {"sku": "A", "stock": 1})
    journal.record("shop", "orders", {"customer": "ana"}, every=True)
    journal.done(first)
    with open(journal.path, "a") as out:
        out.write('{"id": 9, "db": "sh')  # killed mid-write
    (entry,) = open_entries(journal.path)
    assert entry["table"] == "orders" and entry["every"] is True


def test_a_dead_processs_journal_is_swept_newest_first_and_removed(tmp_path: Path) -> None:
    dead = tmp_path / "journal" / "999999999.jsonl"
    dead.parent.mkdir(parents=True)
    journal = Journal(dead)
    journal.record("shop", "products", {"sku": "A"})
    journal.record("shop", "orders", {"customer": "ana"}, every=True)
    deleted: list[tuple[str, int | None]] = []
    said: list[str] = []
    left = sweep(
        tmp_path, lambda db, table, where, limit: deleted.append((table, limit)) or 1, said.append
    )
    assert left == []
    assert deleted == [("orders", None), ("products", 1)]
    assert said == [
        "swept 2 row(s) left behind by a run that ended without cleaning up (pid 999999999)"
    ]
    assert not dead.exists()


def test_a_live_processs_journal_is_left_alone(tmp_path: Path) -> None:
    journal = Journal.for_this_process(tmp_path)
    journal.record("shop", "products", {"sku": "A"})
    assert sweep(tmp_path, lambda *args: 1, lambda _: None) == []
    assert journal.path.exists()


def test_entries_whose_rows_are_gone_already_are_closed_without_a_word(tmp_path: Path) -> None:
    dead = tmp_path / "journal" / "999999998.jsonl"
    dead.parent.mkdir(parents=True)
    Journal(dead).record("shop", "products", {"sku": "A"})  # cut short before it was written
    said: list[str] = []
    assert sweep(tmp_path, lambda *args: 0, said.append) == []
    assert said == []
    assert not dead.exists()
