"""Selecting scenarios, stable shards, balanced batches, merged JUnit, quarantine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from interlock import junit
from interlock.errors import InterlockError
from interlock.quarantine import from_tags
from interlock.report import Outcome, Summary
from interlock.selection import (
    ScenarioRef,
    SelectionError,
    discover,
    parse_shard,
    partition,
    shard,
)
from interlock.workers import Batch, chunks

FEATURE = """Feature: F
  @smoke
  Scenario: one
    Given x

  Rule: R
    @serial
    Scenario: two
      Given x

  Scenario Outline: three <n>
    Given x
    Examples:
      | n |
      | 1 |
      | 2 |
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "features" / "sub").mkdir(parents=True)
    (tmp_path / "features" / "a.feature").write_text(FEATURE)
    (tmp_path / "features" / "sub" / "b.feature").write_text(FEATURE.replace("F\n", "G\n", 1))
    return tmp_path


def test_discovery_finds_rules_and_outline_rows_with_their_locations(root: Path) -> None:
    found = discover(root, ["features/a.feature"], root / "features")
    assert [s.location for s in found] == [
        "features/a.feature:3",
        "features/a.feature:8",
        "features/a.feature:15",
        "features/a.feature:16",
    ]
    assert found[1].serial


def test_paths_lines_and_tags_select_like_behave(root: Path) -> None:
    assert len(discover(root, [], root / "features")) == 8
    outline = discover(root, ["features/a.feature:11"], root / "features")
    assert [s.line for s in outline] == [15, 16]
    assert [s.location for s in discover(root, [], root / "features", ["@smoke"])] == [
        "features/a.feature:3",
        "features/sub/b.feature:3",
    ]
    assert len(discover(root, [], root / "features", ["not @serial", "not @smoke"])) == 4


def test_a_missing_path_is_an_error(root: Path) -> None:
    with pytest.raises(SelectionError, match="no such feature file"):
        discover(root, ["features/nope.feature"], root / "features")


def test_invalid_gherkin_names_the_file(root: Path) -> None:
    (root / "features" / "bad.feature").write_text(
        "Feature: X\n  Scenario: a\n    Given x\n      | a |\n      | 1 | 2 |\n"
    )
    with pytest.raises(
        SelectionError, match=r"features/bad\.feature:5: error: not valid Gherkin: Malformed table"
    ):
        discover(root, [], root / "features")


def refs(n: int) -> list[ScenarioRef]:
    return [ScenarioRef(f"f{i % 3}.feature", i, f"s{i}", frozenset()) for i in range(n)]


def test_shards_are_stable_disjoint_and_complete() -> None:
    scenarios = refs(23)
    parts = [shard(scenarios, k, 4) for k in range(1, 5)]
    assert sorted(s.location for p in parts for s in p) == sorted(s.location for s in scenarios)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert [s.location for s in shard(list(reversed(scenarios)), 2, 4)] == [
        s.location for s in parts[1]
    ]


@pytest.mark.parametrize("text", ["5/4", "0/4", "1/0", "x", "1-4"])
def test_malformed_shards_are_refused(text: str) -> None:
    with pytest.raises(SelectionError, match="not K/N"):
        parse_shard(text)


def test_partition_balances_by_last_durations() -> None:
    scenarios = refs(6)
    durations = {scenarios[0].key: 10.0, **{s.key: 1.0 for s in scenarios[1:]}}
    batches = partition(scenarios, 2, durations)
    loads = sorted(sum(durations[s.key] for s in b) for b in batches)
    assert loads == [5.0, 10.0]
    assert partition(scenarios, 8, {}) and len(partition(scenarios, 8, {})) == 6


def suite(*sizes: int) -> list[ScenarioRef]:
    """Files of the given numbers of scenarios, in file order."""
    return [
        ScenarioRef(f"f{f:02}.feature", line, f"s{line}", frozenset())
        for f, size in enumerate(sizes)
        for line in range(1, size + 1)
    ]


def test_partition_gives_each_worker_whole_files_when_they_divide_evenly() -> None:
    batches = partition(suite(*[25] * 20), 4, {})
    assert [len(b) for b in batches] == [125] * 4
    files = [{s.file for s in b} for b in batches]
    assert [len(f) for f in files] == [5] * 4
    assert not set.intersection(*files)  # no file is shared


def test_partition_cuts_a_large_file_into_contiguous_slices() -> None:
    scenarios = suite(250, *[25] * 10)
    batches = partition(scenarios, 4, {})
    assert [len(b) for b in batches] == [125] * 4
    assert [s.line for s in batches[1]] == list(range(126, 251))  # the big file's 2nd half
    assert [s for b in batches for s in b] == scenarios  # contiguous, in suite order


def test_partition_splits_at_most_workers_minus_one_files() -> None:
    scenarios = suite(7, 3, 11, 5, 9, 2, 13)
    batches = partition(scenarios, 3, {})
    shared = set.intersection(*[{s.file for s in b} for b in batches[:2]]) | set.intersection(
        *[{s.file for s in b} for b in batches[1:]]
    )
    assert len(shared) <= 2
    assert max(map(len, batches)) - min(map(len, batches)) <= 1


def test_a_worker_share_runs_in_equal_processes_of_at_most_the_cap() -> None:
    share = Batch("w1", suite(1001))
    parts = chunks(share, 500)
    assert [(p.worker, len(p.scenarios)) for p in parts] == [
        ("w1", 334), ("w1.2", 334), ("w1.3", 333)
    ]  # fmt: skip
    assert [s for p in parts for s in p.scenarios] == share.scenarios
    assert [p.worker for p in chunks(Batch("w2", suite(500)), 500)] == ["w2"]


def test_partition_ignores_durations_it_cannot_plan_with() -> None:
    scenarios = suite(4)
    odd = [float("nan"), float("inf"), None, "slow"]
    durations: dict[str, object] = {s.key: d for s, d in zip(scenarios, odd, strict=True)}
    batches = partition(scenarios, 2, durations)  # type: ignore[arg-type]
    assert [len(b) for b in batches] == [2, 2]
    assert chunks(Batch("w1", []), 500) == []


def test_junit_files_of_one_feature_from_several_workers_merge(tmp_path: Path) -> None:
    for worker, (name, failed) in {"w1": ("a", False), "w2": ("b", True)}.items():
        folder = tmp_path / "parts" / worker
        folder.mkdir(parents=True)
        failure = "<failure message='x'/>" if failed else ""
        (folder / "TESTS-f.xml").write_text(
            f"<testsuite name='F' tests='1'><testcase name='{name}' time='1.5'>{failure}"
            "</testcase></testsuite>"
        )
    target = tmp_path / "junit.xml"
    assert junit.merge_parts(tmp_path / "parts", target) == 2
    text = target.read_text()
    assert text.count("<testsuite ") == 1
    assert 'tests="2"' in text and 'failures="1"' in text and 'time="3.000"' in text
    assert not (tmp_path / "parts").exists()


def test_quarantine_tags() -> None:
    q = from_tags({"quarantine(until=2026-12-31)", "smoke"}, "f:1")
    assert q is not None and q.active(dt.date(2026, 12, 31)) and not q.active(dt.date(2027, 1, 1))
    assert from_tags({"smoke"}, "f:1") is None
    for bad in ("quarantine", "quarantine(2026-12-31)", "quarantine(until=2026-13-01)"):
        with pytest.raises(InterlockError, match="f:1: @quarantine"):
            from_tags({bad}, "f:1")


def test_the_summary_counts_the_last_try_and_mutes_quarantined_failures() -> None:
    summary = Summary(
        [
            Outcome("a", "f:1", "failed", "boom", stop=1),
            Outcome("a", "f:1", "passed", "", stop=2, flaky=True),
            Outcome("b", "f:5", "failed", "x", frozenset({"quarantine(until=2999-01-01)"}), stop=3),
            Outcome("c", "f:9", "broken", "y", stop=4),
        ],
        today=dt.date(2026, 11, 27),
    )
    assert summary.headline() == "scenarios: 1 passed, 1 failed"
    assert [o.name for o in summary.verdict_failures] == ["c"]
    assert [o.name for o in summary.muted] == ["b"]
    assert "1 flaky (passed on a retry)" in summary.text()
