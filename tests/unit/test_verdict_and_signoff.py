"""Verdict rules, the sign-off pack, and the run-level Allure files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from interlock import report, signoff
from interlock.allure_files import CATEGORIES, executor
from interlock.config import load_config
from interlock.errors import ConfigError
from interlock.masking import Masker
from interlock.report import Outcome, Summary
from interlock.selection import ScenarioRef
from interlock.verdict import Facts, judge, parse_rule


def outcome(location: str, status: str, *tags: str, name: str = "s") -> Outcome:
    return Outcome(name, location, status, "AssertionError: boom" if status == "failed" else "",
                   frozenset(tags), stop=1)  # fmt: skip


PASSED = outcome("features/interface/a.feature:3", "passed", "critical", "REQ-1")
FAILED_INTERFACE = outcome("features/interface/a.feature:9", "failed", "REQ-2", name="bad one")
FAILED_CRITICAL = outcome("features/integration/b.feature:4", "failed", "critical", "REQ-3")


def facts(
    *results: Outcome, expired: tuple[Outcome, ...] = (), untested: tuple[str, ...] = ()
) -> Facts:
    failing = [r for r in results if r.failing]
    return Facts(list(results), failing, list(expired), list(untested))


@pytest.mark.parametrize(
    ("rule", "holds_for", "broken_by", "reason"),
    [
        ("no failures", [PASSED], [PASSED, FAILED_INTERFACE], "1 scenario(s) failed"),
        ("no failures in features/integration/", [PASSED, FAILED_INTERFACE],
         [FAILED_CRITICAL], "in features/integration/ failed"),
        ("all @critical scenarios pass", [PASSED, FAILED_INTERFACE], [PASSED, FAILED_CRITICAL],
         "@critical scenario(s) did not pass: features/integration/b.feature:4"),
        ("pass rate at least 50%", [PASSED, FAILED_INTERFACE], [PASSED, FAILED_INTERFACE,
         FAILED_CRITICAL], "pass rate 33.3% is below 50%"),
        ("at least 2 scenarios", [PASSED, PASSED], [PASSED], "only 1 scenario(s) ran"),
    ],
)  # fmt: skip
def test_each_rule_holds_or_names_what_broke_it(
    rule: str, holds_for: list[Outcome], broken_by: list[Outcome], reason: str
) -> None:
    parsed = parse_rule(rule)
    assert judge([parsed], facts(*holds_for)) == [(parsed, None)]
    ((_, why),) = judge([parsed], facts(*broken_by))
    assert why is not None and reason in why


def test_expired_quarantine_and_untested_requirements() -> None:
    expired, untested = parse_rule("no expired quarantine"), parse_rule("every requirement tested")
    assert expired.check(facts(PASSED)) is None
    assert "quarantine expired for features" in str(expired.check(facts(PASSED, expired=(PASSED,))))
    assert (
        untested.check(facts(PASSED, untested=("REQ-9",)))
        == "requirements without a scenario: REQ-9"
    )


def test_a_malformed_rule_names_the_rule_and_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("report: {verdict: [no failures]}\n")
    (tmp_path / "config" / "local.yaml").write_text("report: {verdict: [most things pass]}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, environ={})
    assert "config/local.yaml:1: report.verdict: the rule 'most things pass'" in str(error.value)
    assert "all @<tag> scenarios pass" in str(error.value)


@pytest.fixture
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "report:\n  verdict: [no failures, all @critical scenarios pass]\n"
    )
    (tmp_path / "requirements.yaml").write_text(
        "".join(f"- {{id: REQ-{n}, title: Requirement {n}}}\n" for n in range(1, 5))
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    return load_config(tmp_path, environ={})


def test_the_pack_names_failures_untested_and_unknown_requirements(config) -> None:  # type: ignore[no-untyped-def]
    stray = outcome("features/interface/a.feature:20", "passed", "REQ-77")
    summary = Summary([PASSED, FAILED_INTERFACE, stray], today=dt.date(2026, 11, 27))
    pack = signoff.build(config, summary, {})
    assert not pack.accepted
    assert pack.data["verdict"] == "NOT ACCEPTED"
    assert any("features/interface/a.feature:9 (bad one)" in r for r in pack.data["reasons"])
    assert pack.data["untested_requirements"] == ["REQ-3", "REQ-4"]
    assert pack.data["unknown_requirements"] == ["REQ-77"]
    assert pack.data["requirements"]["REQ-2"]["status"] == "failed"
    page = signoff.render(pack.data)
    assert "NOT ACCEPTED" in page and "bad one" in page


def test_an_all_passing_run_is_accepted_and_an_empty_one_is_not(config) -> None:  # type: ignore[no-untyped-def]
    assert signoff.build(config, Summary([PASSED]), {}).accepted
    empty = signoff.build(config, Summary([]), {})
    assert not empty.accepted and empty.data["reasons"][0] == "no scenario ran"


def test_the_executor_names_the_ci_build() -> None:
    github = executor({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7",
                       "GITHUB_WORKFLOW": "acceptance", "GITHUB_RUN_NUMBER": "12"})  # fmt: skip
    assert github["buildUrl"] == "https://github.com/o/r/actions/runs/7"
    assert github["buildName"] == "acceptance #12"
    jenkins = executor(
        {"JENKINS_URL": "x", "BUILD_URL": "http://j/1", "JOB_NAME": "a", "BUILD_NUMBER": "1"}
    )
    assert jenkins["buildUrl"] == "http://j/1"
    assert executor({"CI": "true"})["name"] == "CI"


# -- scenarios selected that reported no result ---------------------------------------------


def result_file(folder: Path, location: str, status: str) -> None:
    """A result as the formatter writes it (only what the summary reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": "ran", "status": status, "stop": 2,
            "labels": [{"name": "location", "value": location}]}  # fmt: skip
    (folder / f"{abs(hash(location))}-result.json").write_text(json.dumps(data))


def test_a_selected_scenario_without_a_result_fails_whatever_the_rules_say(
    tmp_path: Path,
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "report:\n  verdict: [all @critical scenarios pass]\n"  # a gap breaks no rule here
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    config = load_config(tmp_path, environ={})
    results = tmp_path / "results"
    result_file(results, "features/interface/a.feature:3", "passed")
    ran = ScenarioRef("features/interface/a.feature", 3, "ran", frozenset())
    lost = ScenarioRef("features/interface/a.feature", 12, "lost", frozenset(
        {"REQ-2", "quarantine(until=2999-12-31)"}))  # fmt: skip

    mask = Masker(frozenset({"lost"})).mask
    assert report.record_missing(results, [ran, lost], False, mask) == [lost]
    summary = report.read_results(results)
    assert [o.location for o in summary.missing] == ["features/interface/a.feature:12"]
    assert summary.verdict_failures == summary.missing  # a quarantine does not mute a gap
    assert summary.reported and all(not o.missing for o in summary.reported)
    assert "MISSING features/interface/a.feature:12  *****" in summary.text()  # masked
    assert "its behave worker ended before reporting it" in summary.missing[0].message
    assert summary.headline() == "scenarios: 1 passed, 1 failed"

    pack = signoff.build(config, summary, {})
    assert not pack.accepted
    assert pack.data["rules"][0]["holds"]
    assert pack.data["reasons"] == [
        "1 selected scenario(s) reported no result: features/interface/a.feature:12 (*****)"
    ]
    assert pack.data["requirements"]["REQ-2"]["status"] == "failed"


def test_an_interrupted_run_s_gap_says_so_and_a_recorded_scenario_is_no_gap(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    refs = [ScenarioRef("features/x.feature", line, f"s{line}", frozenset()) for line in (2, 5)]
    # The seam for manual scenarios: a location recorded some other way has reported.
    assert report.record_missing(results, refs, True, str, recorded=["features/x.feature:2"]) == [
        refs[1]
    ]
    (missing,) = report.read_results(results).missing
    assert missing.message.startswith(
        "no result: selected for this run, but the run was interrupted"
    )
    assert re.match(CATEGORIES[1]["messageRegex"], missing.message)
    assert CATEGORIES[1]["name"] == "No result"


def test_the_gap_check_uses_the_results_its_caller_has_read(tmp_path: Path) -> None:
    """The run reads the results folder once for the summary and the gap check; only
    when a gap was written does it read the folder again."""
    results = tmp_path / "results"
    result_file(results, "features/x.feature:2", "passed")
    refs = [ScenarioRef("features/x.feature", line, f"s{line}", frozenset()) for line in (2, 5)]
    read = report.read_results(results)
    (results / next(results.glob("*-result.json")).name).unlink()  # read before it went
    assert report.record_missing(results, refs, False, str, read=read) == [refs[1]]
    (missing,) = report.read_results(results).outcomes
    assert missing.location == "features/x.feature:5" and missing.missing
    # Without ``read`` the folder is read here: now both are gaps.
    (tmp_path / "empty").mkdir()
    assert report.record_missing(tmp_path / "empty", refs, False, str) == refs


def test_the_contract_coverage_rule_judges_the_percent_seen_of_a_named_service() -> None:
    for words in ("contract coverage of orders at least 90%", "contract coverage of orders ≥ 90%"):
        rule = parse_rule(words)
        base = facts(PASSED)
        holds = Facts(base.results, base.failing, [], [], contract_coverage={"orders": 92.9})
        below = Facts(base.results, base.failing, [], [], contract_coverage={"orders": 85.7})
        absent = Facts(base.results, base.failing, [], [], contract_coverage={"inventory": 100})
        assert rule.check(holds) is None
        assert "contract coverage of orders is 85.7%, below 90%" in str(rule.check(below))
        reason = str(rule.check(absent))
        assert "services.orders.openapi" in reason and "services with one: inventory" in reason


def test_the_pack_holds_each_documented_services_coverage_table(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "orders.yaml").write_text(
        json.dumps({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/orders": {"get": {"responses": {"200": {"description": "ok"},
                                                        "404": {"description": "no"}}}}},
        })
    )  # fmt: skip
    (tmp_path / "config" / "default.yaml").write_text(
        "report:\n  verdict: [no failures, contract coverage of orders at least 60%]\n"
        "services:\n  orders: {url: 'http://127.0.0.1:9', openapi: orders.yaml}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    config = load_config(tmp_path, environ={})
    results = config.reports_dir / "allure-results"
    results.mkdir(parents=True)
    (results / "interlock-coverage-7.jsonl").write_text(
        json.dumps({"service": "orders", "operation": "GET /orders", "call": "GET /orders",
                    "status": 200, "scenario": "a.feature:3 A"}) + "\n"
        + json.dumps({"service": "orders", "operation": "GET /orders", "call": "GET /orders",
                      "status": 418, "scenario": "a.feature:3 A"}) + "\n"
    )  # fmt: skip
    pack = signoff.build(config, Summary([PASSED]), {})
    (cov,) = pack.data["contract_coverage"]
    assert cov["percent"] == 50.0 and cov["seen"] == 1 and cov["documented"] == 2
    assert cov["rows"][0] == {"operation": "GET /orders", "status": "200", "seen": True,
                              "scenarios": ["a.feature:3 A"]}  # fmt: skip
    assert cov["gaps"] == ["GET /orders answered 418 (documented: 200, 404)"]
    assert not pack.accepted
    assert "contract coverage of orders is 50%, below 60%" in " ".join(pack.data["reasons"])
    page = signoff.render(pack.data)
    assert "<h2>Contract coverage</h2>" in page and "NOT SEEN" in page and "418" in page

    # the Allure report gets the same table, as a global attachment of the results
    from interlock import allure_files

    allure_files.write(results, config, None, Masker(()))
    named = json.loads((results / "interlock-contract-coverage-globals.json").read_text())
    assert named["attachments"] == [{"name": "Contract coverage", "type": "text/html",
                                     "source": "interlock-contract-coverage-attachment.html"}]  # fmt: skip
    assert "a.feature:3 A" in (results / named["attachments"][0]["source"]).read_text()
