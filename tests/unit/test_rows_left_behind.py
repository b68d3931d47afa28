"""Rows left behind (``interlock.rows_left_behind``): which tables grew, whose rows they
are, and the lines that say so. The counting itself runs against MariaDB in
tests/e2e/test_rows_left_behind.py."""

from __future__ import annotations

from pathlib import Path

from interlock.config import load_config
from interlock.rows_left_behind import (
    Growth,
    TableCount,
    attribute,
    clear_tokens,
    features_of,
    forget,
    grown_tables,
    load,
    read_tokens,
    record_token,
    save,
    summary_lines,
    tokens_wanted,
)

TOKENS = {
    "w1a1b2c3d4": "features/x.feature:12 Ana orders a lamp",
    "w1a1b2c3d": "features/x.feature:20 a token that begins the first one",
    "w2ffee0011": "features/y.feature:5 Ben orders a desk",
}


def test_only_tables_with_more_rows_than_before_grew() -> None:
    before = {
        ("shop", "orders"): TableCount(3, "id", 40),
        ("shop", "outbox"): TableCount(0, "id", 0),
        ("shop", "products"): TableCount(5),
    }
    after = {
        ("shop", "orders"): TableCount(3, "id", 44),  # rows came and went: not grown
        ("shop", "outbox"): TableCount(2, "id", 2),
        ("shop", "products"): TableCount(4),  # fewer rows: a scenario removed one of old
        ("shop", "made_by_a_scenario"): TableCount(1),  # a new table counts from zero
    }
    assert grown_tables(before, after) == [
        ("shop", "made_by_a_scenario", 1),
        ("shop", "outbox", 2),
    ]


def test_rows_are_attributed_by_the_tokens_in_their_text_cells() -> None:
    rows = [
        {"id": 7, "payload": '{"customer": "ana-w1a1b2c3d4", "sku": "LAMP-w1a1b2c3d4"}'},
        {"id": 8, "payload": b"ben-w2ffee0011", "order_id": 12},  # bytes are text too
        {"id": 9, "payload": "nobody's", "created_at": None},
        {"id": 10, "payload": "ana-w1a1b2c3d4 again"},  # named once
    ]
    assert attribute(rows, TOKENS) == [
        "features/x.feature:12 Ana orders a lamp",
        "features/y.feature:5 Ben orders a desk",
    ]


def test_a_token_that_begins_a_longer_one_does_not_shadow_it() -> None:
    assert attribute([{"c": "x-w1a1b2c3d4"}], TOKENS) == [TOKENS["w1a1b2c3d4"]]
    assert attribute([{"c": "x-w1a1b2c3dZ"}], TOKENS) == [TOKENS["w1a1b2c3d"]]


def test_without_tokens_or_text_nobody_is_named() -> None:
    assert attribute([{"c": "w1a1b2c3d4"}], {}) == []
    assert attribute([{"id": 1, "n": 2.5}], TOKENS) == []


def test_the_feature_files_that_ran_each_once() -> None:
    ran = ["features/b.feature:3", "features/a.feature:9", "features/b.feature:12"]
    assert features_of(ran) == ("features/a.feature", "features/b.feature")


def test_a_growth_names_the_table_the_count_and_who() -> None:
    one = Growth("shop", "outbox", 1, features=("features/x.feature",))
    assert one.text() == "shop.outbox: 1 row left behind, by scenarios of features/x.feature"
    named = Growth("shop", "outbox", 2, scenarios=("features/x.feature:12 Ana",))
    assert named.text() == "shop.outbox: 2 rows left behind, by scenario features/x.feature:12 Ana"
    two = Growth("shop", "outbox", 2, scenarios=("a.feature:1 A", "b.feature:2 B"))
    assert two.text().endswith("by scenarios a.feature:1 A; b.feature:2 B")
    many = Growth("shop", "t", 3, features=tuple(f"f{i}.feature" for i in range(8)))
    assert many.text().endswith("f3.feature, f4.feature and 3 more")


def test_the_summary_says_warning_or_error_and_how_to_switch() -> None:
    found = [Growth("shop", "outbox", 1, features=("features/x.feature",))]
    warned = summary_lines(found, fail=False)
    assert warned[0].startswith("WARNING: rows left behind: 1 table holds more rows")
    assert warned[1] == "  - shop.outbox: 1 row left behind, by scenarios of features/x.feature"
    assert "run.rows_left_behind: fail" in warned[-1]
    failed = summary_lines(found, fail=True)
    assert failed[0].startswith("ERROR: ") and "run.rows_left_behind" not in failed[-1]
    assert summary_lines([], fail=True) == []


def test_tokens_recorded_by_processes_are_read_back_and_cleared(tmp_path: Path) -> None:
    record_token(tmp_path, "w1aa", "features/x.feature:3 A")
    record_token(tmp_path, "w1bb", "features/x.feature:9 B")
    (tmp_path / "scenario_tokens" / "99.jsonl").write_text('{"token": "w2cc", "scen')  # killed
    assert read_tokens(tmp_path) == {
        "w1aa": "features/x.feature:3 A",
        "w1bb": "features/x.feature:9 B",
    }
    clear_tokens(tmp_path)
    assert read_tokens(tmp_path) == {}
    assert read_tokens(tmp_path / "nothing here") == {}


def test_tokens_are_recorded_only_where_a_disposable_database_is_counted(
    tmp_path: Path,
) -> None:
    """Only a disposable database's rows are counted, so without one the workers record
    no token per scenario (nothing would read it)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "databases:\n  shop: {embedded: false}\n  audit: {embedded: false}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("databases: {audit: {disposable: true}}\n")
    (tmp_path / "config" / "shared.yaml").write_text("")
    (tmp_path / "config" / "nodb.yaml").write_text("databases: {shop: null, audit: null}\n")
    assert tokens_wanted(load_config(tmp_path, env="local", environ={}))
    assert not tokens_wanted(load_config(tmp_path, env="shared", environ={}))
    assert not tokens_wanted(load_config(tmp_path, env="nodb", environ={}))


def test_what_a_run_found_is_saved_for_the_sign_off(tmp_path: Path) -> None:
    found = [Growth("shop", "outbox", 1, scenarios=("features/x.feature:12 Ana",))]
    save(tmp_path, found, fail=True)
    assert load(tmp_path) == [found[0].text()]
    forget(tmp_path)
    assert load(tmp_path) == []
    (tmp_path / "rows-left-behind.json").write_text("{not json")
    assert load(tmp_path) == []
