"""The exit code of a run's outcome (``interlock.run.exit_code``): every class, and
which one wins when several hold."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from interlock.errors import ExitCode
from interlock.report import Outcome as Result
from interlock.report import Summary
from interlock.run import NOTHING_REPORTED, Outcome, closing_message, exit_code, with_leaks
from interlock.secret_scan import Finding

TODAY = dt.date(2026, 3, 10)
LOGS = Path("reports/logs/workers")


def result(status: str, *tags: str, line: int = 3, missing: bool = False) -> Result:
    message = "" if status == "passed" else "AssertionError: boom"
    return Result("s", f"features/a.feature:{line}", status, message, frozenset(tags),
                  stop=line, missing=missing)  # fmt: skip


def summary(*results: Result) -> Summary:
    return Summary(results, today=TODAY)


PASSED = summary(result("passed"))
FAILED = summary(result("passed"), result("failed", line=9))
LEAK = (Finding(Path("reports/allure-results/x-result.json"), "raw", "s3cr"),)


def outcome(**changes: Any) -> Outcome:
    changes.setdefault("summary", PASSED)
    changes.setdefault("logs", LOGS)
    return Outcome(**changes)


# -- each class alone -----------------------------------------------------------------------


def test_every_scenario_passed_is_0() -> None:
    assert exit_code(outcome()) == ExitCode.PASSED == 0
    assert closing_message(outcome()) is None


@pytest.mark.parametrize("status", ["failed", "broken"])
def test_a_failed_or_broken_scenario_is_1(status: str) -> None:
    assert exit_code(outcome(summary=summary(result("passed"), result(status, line=9)))) == 1


def test_the_last_try_decides_a_retried_scenario() -> None:
    first = Result("s", "features/a.feature:3", "failed", "boom", frozenset({"flaky"}), stop=1)
    retry = Result("s", "features/a.feature:3", "passed", "", frozenset({"flaky"}), stop=2)
    assert exit_code(outcome(summary=summary(first, retry))) == 0
    assert exit_code(outcome(summary=summary(retry, first))) == 0  # order of files: no matter
    failed_again = Result("s", "features/a.feature:3", "failed", "x", frozenset({"flaky"}), stop=3)
    assert exit_code(outcome(summary=summary(first, retry, failed_again))) == 1


def test_a_selected_scenario_without_a_result_is_1() -> None:
    missing = summary(result("passed"), result("broken", line=9, missing=True))
    assert exit_code(outcome(summary=missing)) == 1
    assert [o.location for o in outcome(summary=missing).missing] == ["features/a.feature:9"]


def test_could_not_run_is_2_and_says_why() -> None:
    nothing = outcome(summary=summary(), could_not_run=NOTHING_REPORTED)
    assert exit_code(nothing) == ExitCode.COULD_NOT_RUN == 2
    assert closing_message(nothing) == NOTHING_REPORTED


def test_cleanup_incomplete_is_3() -> None:
    left = outcome(leftovers=("db app: DELETE FROM users WHERE id = 7 failed",))
    assert left.cleanup_incomplete
    assert exit_code(left) == ExitCode.CLEANUP_INCOMPLETE == 3


def test_interrupted_is_130() -> None:
    assert exit_code(outcome(interrupted=True)) == ExitCode.INTERRUPTED == 130


def test_a_leak_turns_a_pass_into_1() -> None:
    leaked = outcome(leaks=LEAK)
    assert leaked.leaked
    assert exit_code(leaked) == 1
    assert closing_message(leaked) is None  # the leak scan said it already


def test_a_crashed_worker_is_1_and_named() -> None:
    crashed = outcome(worker_exits=(0, 1, -9))
    assert crashed.crashed == [-9]
    assert exit_code(crashed) == 1
    assert closing_message(crashed) == f"a worker exited abnormally (exit codes [-9]); see {LOGS}/"
    assert exit_code(outcome(worker_exits=(0, 1, 0))) == 0  # 1: a scenario failed, not a crash


ROWS_LEFT = ("shop.outbox: 1 row left behind, by scenario features/a.feature:3 s",)


def test_rows_left_behind_are_1_only_when_the_config_says_fail() -> None:
    warned = outcome(rows_left=ROWS_LEFT)
    assert not warned.rows_left_failing
    assert exit_code(warned) == 0  # run.rows_left_behind: warn (the default) only says so
    failing = outcome(rows_left=ROWS_LEFT, rows_left_fail=True)
    assert failing.rows_left_failing
    assert exit_code(failing) == 1
    assert closing_message(failing) == (
        "1 table holds rows this run left behind (run.rows_left_behind: fail)"
    )
    assert exit_code(outcome(rows_left_fail=True)) == 0  # the switch alone changes nothing


def test_nothing_to_rerun_is_0() -> None:
    assert exit_code(Outcome(nothing_to_rerun=True)) == 0


# -- quarantine -----------------------------------------------------------------------------


def test_a_failure_under_an_active_quarantine_does_not_count() -> None:
    muted = summary(result("passed"), result("failed", "quarantine(until=2026-03-10)", line=9))
    assert exit_code(outcome(summary=muted)) == 0  # until is inclusive
    assert not outcome(summary=muted).expired_quarantines


def test_an_expired_quarantine_counts_again() -> None:
    expired = summary(result("passed"), result("failed", "quarantine(until=2026-03-09)", line=9))
    assert exit_code(outcome(summary=expired)) == 1
    assert len(outcome(summary=expired).expired_quarantines) == 1


def test_an_expired_quarantine_on_a_passing_scenario_changes_nothing() -> None:
    passing = summary(result("passed", "quarantine(until=2026-01-01)"))
    assert outcome(summary=passing).expired_quarantines
    assert exit_code(outcome(summary=passing)) == 0


def test_a_quarantine_never_mutes_a_missing_result() -> None:
    gap = summary(result("broken", "quarantine(until=2099-01-01)", missing=True))
    assert exit_code(outcome(summary=gap)) == 1


# -- precedence -----------------------------------------------------------------------------

# Each class, as the changes to a passing outcome that make it hold.
CLASSES: dict[str, dict[str, Any]] = {
    "interrupted": {"interrupted": True},
    "could_not_run": {"could_not_run": NOTHING_REPORTED},
    "cleanup_incomplete": {"leftovers": ("a row of users",)},
    "leak": {"leaks": LEAK},
    "rows_left": {"rows_left": ROWS_LEFT, "rows_left_fail": True},
    "crashed": {"worker_exits": (0, 2)},
    "failed": {"summary": FAILED},
}
# Highest first: the documented precedence of exit_code.
PRECEDENCE = [
    ("interrupted", 130),
    ("could_not_run", 2),
    ("cleanup_incomplete", 3),
    ("leak", 1),
    ("rows_left", 1),
    ("crashed", 1),
    ("failed", 1),
]


def combined(names: tuple[str, ...]) -> Outcome:
    changes: dict[str, Any] = {}
    for name in names:
        changes.update(CLASSES[name])
    return outcome(**changes)


@pytest.mark.parametrize(
    "names",
    [c for n in range(1, len(CLASSES) + 1) for c in itertools.combinations(CLASSES, n)],
    ids=lambda names: "+".join(names),
)
def test_the_highest_class_that_holds_wins(names: tuple[str, ...]) -> None:
    expected = next(code for name, code in PRECEDENCE if name in names)
    assert exit_code(combined(names)) == expected


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (("interrupted", "cleanup_incomplete"), 130),  # 130 wins over 3
        (("interrupted", "could_not_run"), 130),
        (("interrupted", "failed", "leak"), 130),
        (("could_not_run", "cleanup_incomplete"), 2),  # 2 wins over 3
        (("cleanup_incomplete", "failed"), 3),  # 3 wins over 1
        (("cleanup_incomplete", "leak"), 3),
        (("cleanup_incomplete", "crashed"), 3),
        (("cleanup_incomplete", "rows_left"), 3),  # a failed cleanup says more
    ],
)
def test_precedence_spelled_out(names: tuple[str, ...], code: int) -> None:
    assert exit_code(combined(names)) == code


def test_only_the_deciding_class_explains_itself() -> None:
    # a crash is named only when it decides the code (as the run said it before)
    assert closing_message(combined(("crashed", "leak"))) is None
    assert closing_message(combined(("crashed", "cleanup_incomplete"))) is None
    assert closing_message(combined(("crashed", "failed"))) is not None
    assert closing_message(combined(("rows_left", "crashed"))) == closing_message(
        combined(("rows_left",))
    )
    # "behave stopped before any scenario ran" is not said of an interrupted run
    assert closing_message(combined(("could_not_run", "interrupted"))) is None


# -- a leak after any other command ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "leaked", "expected"),
    [(0, False, 0), (0, True, 1), (1, True, 1), (2, True, 2), (3, True, 3), (130, True, 130)],
)
def test_a_leak_turns_only_0_into_1(code: int, leaked: bool, expected: int) -> None:
    assert with_leaks(code, leaked) == expected
