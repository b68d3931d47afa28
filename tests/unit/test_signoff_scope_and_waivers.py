"""What a sign-off covers (the whole suite, committed files) and the waivers it accepts."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from interlock import signoff
from interlock.config import load_config
from interlock.report import Outcome, Summary
from interlock.scope import Scope
from interlock.waivers import WaiverError, load

FEATURE = """Feature: Shop
  Scenario: One
    Given the "orders" service
  Scenario: Two
    Given the "orders" service
  Scenario: Three
    Given the "orders" service
  @manual
  Scenario: Done by hand
    Given the "orders" service
"""
LOCATIONS = ("features/shop.feature:2", "features/shop.feature:4", "features/shop.feature:6")
TODAY = dt.date(2026, 3, 1)


def suite(root: Path, verdict: str = "[no failures]") -> Path:
    (root / "config").mkdir()
    (root / "config" / "default.yaml").write_text(f"report:\n  verdict: {verdict}\n")
    (root / "config" / "local.yaml").write_text("")
    (root / "features").mkdir()
    (root / "features" / "shop.feature").write_text(FEATURE)
    return root


def outcomes(*locations: str, failed: str = "") -> list[Outcome]:
    return [
        Outcome(f"s{n}" if loc != failed else "Two", loc, "failed" if loc == failed else "passed",
                "AssertionError: boom" if loc == failed else "", stop=1)
        for n, loc in enumerate(locations)
    ]  # fmt: skip


def build(root: Path, results: list[Outcome], scope: Scope | None = None, **environ: str):  # type: ignore[no-untyped-def]
    config = load_config(root, environ={})
    return signoff.build(config, Summary(results, today=TODAY), dict(environ), scope)


# -- the whole suite ----------------------------------------------------------------------


def test_a_partial_run_is_not_accepted_and_the_pack_records_its_selection(
    tmp_path: Path,
) -> None:
    root = suite(tmp_path)
    scope = Scope("run", paths=("features/shop.feature:2",), tags=("@smoke",), shard="1/3")
    pack = build(root, outcomes(LOCATIONS[0]), scope)
    assert pack.data["verdict"] == "NOT ACCEPTED"
    (reason,) = pack.data["reasons"]
    assert reason.startswith(
        "partial run: 1 of 3 scenarios (not run: features/shop.feature:4,"
        " features/shop.feature:6); run the whole suite, or merge its shards"
    )
    assert pack.data["scope"]["selection"] == {
        "paths": ["features/shop.feature:2"], "tags": ["@smoke"], "shard": "1/3",
        "rerun_failed": False, "merged": [],
    }  # fmt: skip
    assert pack.data["scope"]["suite_scenarios"] == 3  # the @manual one is no part of a run
    assert "features/shop.feature:2; tags @smoke; shard 1/3" in signoff.render(pack.data)


def test_the_whole_suite_or_its_merged_shards_is_accepted(tmp_path: Path) -> None:
    root = suite(tmp_path)
    assert build(root, outcomes(*LOCATIONS)).accepted
    merged = Scope("merge", merged=("shard1/reports", "shard2/reports"))
    pack = build(root, outcomes(*LOCATIONS), merged)
    assert pack.accepted and pack.data["scope"]["whole"]
    assert "merged from 2 reports folders" in pack.data["scope"]["described"]


def test_partial_runs_can_be_allowed_in_words(tmp_path: Path) -> None:
    root = suite(tmp_path, "[no failures, partial runs allowed]")
    pack = build(root, outcomes(LOCATIONS[0]))
    assert pack.accepted
    assert [r["rule"] for r in pack.data["rules"]] == [
        "no failures", "partial runs allowed", "no uncommitted changes", "no pending manual checks"
    ]  # fmt: skip


# -- uncommitted changes ------------------------------------------------------------------


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip


def test_uncommitted_changes_break_the_sign_off_and_ci_runs_but_not_a_desk_run(
    tmp_path: Path,
) -> None:
    root = suite(tmp_path)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "suite")
    assert build(root, outcomes(*LOCATIONS), Scope("signoff")).accepted
    with (root / "features" / "shop.feature").open("a") as feature:
        feature.write("  # an edit\n")
    (root / "notes.txt").write_text("not part of the suite")

    signing = build(root, outcomes(*LOCATIONS), Scope("signoff"))
    assert signing.data["reasons"] == [
        "uncommitted changes to the suite: features/shop.feature; what ran is not what the"
        " commit holds: commit them and run again"
    ]
    assert not build(root, outcomes(*LOCATIONS), Scope("run"), CI="true").accepted
    desk = build(root, outcomes(*LOCATIONS), Scope("run"))
    assert desk.accepted
    (rule,) = [r for r in desk.data["rules"] if r["rule"] == "no uncommitted changes"]
    assert rule["note"].startswith("not checked: interlock run checks them only when CI is set")


def test_without_git_the_pack_says_changes_were_not_checked(tmp_path: Path) -> None:
    root = suite(tmp_path)
    pack = build(root, outcomes(*LOCATIONS), Scope("signoff"))
    assert pack.accepted
    assert pack.data["changes"] == {
        "checked": False, "files": [], "note": "not checked: the suite is not a git checkout"
    }  # fmt: skip
    assert "not checked: the suite is not a git checkout" in signoff.render(pack.data)


# -- waivers ------------------------------------------------------------------------------


def waiver(until: str, scenario: str = "features/shop.feature:4") -> str:
    return (
        f"- scenario: {scenario}\n  by: Dana Reyes, product owner\n"
        f"  reason: rounding fixed in 2.4 (SHOP-812)\n  until: {until}\n"
    )


def test_a_waived_failure_is_accepted_with_the_waiver_named(tmp_path: Path) -> None:
    root = suite(tmp_path)
    (root / "waivers.yaml").write_text(waiver("2026-03-01"))  # its last day is today
    pack = build(root, outcomes(*LOCATIONS, failed=LOCATIONS[1]))
    assert pack.accepted and pack.data["headline"] == "ACCEPTED with 1 waiver"
    (listed,) = pack.data["waivers"]
    assert listed["status"] == "applied" and listed["by"] == "Dana Reyes, product owner"
    page = signoff.render(pack.data)
    assert "ACCEPTED with 1 waiver" in page and "rounding fixed in 2.4 (SHOP-812)" in page
    # by name too
    (root / "waivers.yaml").write_text(waiver("2026-03-01", scenario="Two"))
    assert build(root, outcomes(*LOCATIONS, failed=LOCATIONS[1])).accepted


def test_an_expired_waiver_counts_as_a_failure(tmp_path: Path) -> None:
    root = suite(tmp_path)
    (root / "waivers.yaml").write_text(waiver("2026-02-28"))
    pack = build(root, outcomes(*LOCATIONS, failed=LOCATIONS[1]))
    assert pack.data["headline"] == "NOT ACCEPTED"
    assert pack.data["reasons"] == [
        "1 scenario(s) failed: features/shop.feature:4 (Two)",
        "expired waivers (their failures count): features/shop.feature:4 (Two): waived by"
        " Dana Reyes, product owner until 2026-02-28",
    ]
    assert pack.data["waivers"][0]["status"] == "expired"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- {scenario: Two, reason: r, until: 2026-05-01}\n",
         "waivers.yaml:1: the waiver of 'Two' lacks who accepts it (by: 'Name, role')"),
        ("- {scenario: Two, by: Dana, reason: r}\n",
         "waivers.yaml:1: the waiver of 'Two' lacks an expiry date (until: YYYY-MM-DD)"),
        ("- {scenario: Two, by: Dana, reason: r, until: soon}\n",
         "waivers.yaml:1: until 'soon' is not a date (YYYY-MM-DD)"),
        ("- {scenario: Two, by: Dana, reason: r, until: 2026-05-01, untill: x}\n",
         "waivers.yaml:1: unknown field 'untill'; did you mean 'until'?"),
        ("scenario: Two\n", "waivers.yaml: must be a list of waivers"),
    ],
)  # fmt: skip
def test_a_waiver_without_a_name_or_expiry_is_a_named_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "waivers.yaml").write_text(text)
    with pytest.raises(WaiverError) as error:
        load(tmp_path)
    assert expected in str(error.value)
