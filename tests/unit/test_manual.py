"""Manual checks: their fingerprint, records, listing, errors and verdict rule; and the
names reports give an Outline's rows. No service is started."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from behave.parser import parse_file

from interlock import manual, report, signoff
from interlock.config import Config, load_config
from interlock.masking import Masker
from interlock.report import Outcome, Summary
from interlock.selection import ScenarioRef, automated, discover, scenario_title
from interlock.verdict import MANUAL_RULE, Facts, judge, parse_rule
from tests.conftest import REPO

FEATURE = """@integration
Feature: Packing
  @REQ-10 @manual
  Scenario: A printed packing slip lists every ordered item
    Given Ana has ordered 2 desk lamps
    When the warehouse prints the packing slip
    Then the slip lists:
      | item      | quantity |
      | desk lamp | 2        |

  @REQ-10
  Scenario: An automated one
    Given the shop has 5 desk lamps in stock

  @REQ-30 @manual
  Scenario Outline: The e-mail reads well on a <device>
    Given Ana opens the e-mail on a <device>
    Then it reads well

    Examples:
      | device |
      | phone  |
      | tablet |
"""
WHEN = dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def suite(tmp_path: Path) -> Config:
    """A suite with this repository's config and one feature of manual checks."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "features" / "integration").mkdir(parents=True)
    (tmp_path / "features" / "integration" / "packing.feature").write_text(FEATURE)
    return load_config(root=tmp_path, env="local")


SLIP = "features/integration/packing.feature:4"


def test_only_the_automated_scenarios_go_to_behave(suite: Config) -> None:
    refs = discover(suite.root, (), suite.features_dir)
    assert [r.name for r in automated(refs)] == ["An automated one"]
    assert [r.manual for r in refs] == [True, False, True, True]


def test_pending_checks_are_listed_with_their_steps(suite: Config) -> None:
    checks = manual.find(suite)
    assert [c.ref.location for c in checks] == [
        SLIP, "features/integration/packing.feature:22", "features/integration/packing.feature:23"
    ]  # fmt: skip
    text = manual.listing(checks)
    assert "3 manual check(s): 0 recorded, 3 pending" in text
    assert f"PENDING  {SLIP}  A printed packing slip lists every ordered item" in text
    assert "    When the warehouse prints the packing slip" in text
    assert "        | desk lamp | 2        |" in text  # the table, aligned
    assert "The e-mail reads well on a phone — device=phone" in text


def test_a_record_holds_until_the_scenario_is_edited(suite: Config, tmp_path: Path) -> None:
    shot = tmp_path / "slip.png"
    shot.write_bytes(b"\x89PNG fake image")
    made = manual.record(suite, SLIP, "passed", "Ana Analyst", "all there", [str(shot)], now=WHEN)
    assert made.status == "passed" and made.current is not None
    (evidence,) = made.current.evidence
    assert (suite.root / "manual" / evidence).read_bytes() == shot.read_bytes()
    saved = (suite.root / "manual" / "results.yaml").read_text()
    assert "by: Ana Analyst" in saved and "2026-05-04T10:30:00+00:00" in saved
    (slip,) = [c for c in manual.find(suite) if c.ref.location == SLIP]
    assert slip.current is not None and slip.status == "passed"

    feature = suite.root / "features" / "integration" / "packing.feature"
    feature.write_text(FEATURE.replace("| desk lamp | 2        |", "| desk lamp | 3        |"))
    (slip,) = [c for c in manual.find(suite) if c.ref.location == SLIP]
    assert slip.current is None and slip.outdated and slip.status == "skipped"
    assert "made for an earlier version of this scenario" in slip.message()
    assert "(edited since its record)" in manual.listing([slip])


@pytest.mark.parametrize(
    "edit",
    [
        ("Given Ana has ordered 2 desk lamps", "Given Ana has ordered 2 desk lamp"),  # a step
        ("| item      | quantity |", "| item      | count    |"),  # a table
        ("Then the slip lists:", 'Then the slip lists:\n      """\n      a note\n      """'),
    ],
)
def test_the_fingerprint_covers_steps_tables_and_doc_strings(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    before = tmp_path / "before.feature"
    after = tmp_path / "after.feature"
    before.write_text(FEATURE)
    after.write_text(FEATURE.replace(*edit))
    first = [manual.fingerprint(s) for s in parse_file(str(before)).walk_scenarios()]
    second = [manual.fingerprint(s) for s in parse_file(str(after)).walk_scenarios()]
    assert first[0] != second[0] and first[1:] == second[1:]
    assert first[2] != first[3]  # an Outline's rows differ by their example values


def test_bad_records_are_named_errors(suite: Config) -> None:
    with pytest.raises(manual.ManualError, match=r"packing\.feature:12: 'An automated one' is not"):
        manual.record(suite, "features/integration/packing.feature:12", "passed", "Ana")
    with pytest.raises(manual.ManualError, match="no scenario starts on that line"):
        manual.record(suite, "features/integration/packing.feature:5", "passed", "Ana")
    with pytest.raises(manual.ManualError, match="an Outline with 2 rows; record each row"):
        manual.record(suite, "features/integration/packing.feature:16", "passed", "Ana")
    with pytest.raises(manual.ManualError, match="--by is empty"):
        manual.record(suite, SLIP, "passed", "  ")
    with pytest.raises(manual.ManualError, match=r"--evidence nope\.png: no such file"):
        manual.record(suite, SLIP, "passed", "Ana", evidence=["nope.png"])
    results = suite.root / "manual" / "results.yaml"
    results.parent.mkdir()
    results.write_text("records:\n- {scenario: 'x.feature:1', name: n, fingerprint: f,"
                       " status: done, by: Ana, at: '2026-01-01'}\n")  # fmt: skip
    with pytest.raises(manual.ManualError, match=r"results.yaml: records\[0\]: status 'done'"):
        manual.find(suite)


def test_a_record_for_a_scenario_the_suite_does_not_have_is_an_error(suite: Config) -> None:
    manual.record(suite, SLIP, "passed", "Ana", now=WHEN)
    feature = suite.root / "features" / "integration" / "packing.feature"
    feature.write_text(FEATURE.replace("A printed packing slip", "The packing slip"))
    with pytest.raises(manual.ManualError) as raised:
        manual.find(suite)
    message = str(raised.value)
    assert "manual/results.yaml: a record names a scenario the suite has no @manual" in message
    assert "packing.feature: 'A printed packing slip lists every ordered item'" in message
    with pytest.raises(manual.ManualError):
        manual.for_run(suite, [])  # a run stops on it before anything starts


def test_the_run_writes_allure_results_with_evidence_and_a_junit_entry(
    suite: Config, tmp_path: Path
) -> None:
    shot = tmp_path / "slip.png"
    shot.write_bytes(b"\x89PNG fake image")
    manual.record(suite, SLIP, "passed", "Ana", "fine", [str(shot)], now=WHEN)
    manual.record(suite, "features/integration/packing.feature:22", "blocked", "Ben", now=WHEN)
    selected = discover(suite.root, (), suite.features_dir)
    checks = manual.for_run(suite, selected)
    results, parts = tmp_path / "results", tmp_path / "parts"
    manual.write_results(suite, checks, results, parts, Masker().mask)
    written = {
        r["name"]: r for r in (json.loads(p.read_text()) for p in results.glob("*-result.json"))
    }
    slip = written["A printed packing slip lists every ordered item"]
    assert slip["status"] == "passed"
    assert {"name": "manual", "value": "true"} in slip["labels"]
    assert {"name": "location", "value": SLIP} in slip["labels"]
    assert {"name": "requirement", "value": "REQ-10"} in slip["labels"]
    (attachment,) = slip["attachments"]
    assert (results / attachment["source"]).read_bytes() == shot.read_bytes()
    assert attachment["type"] == "image/png"
    assert written["The e-mail reads well on a phone — device=phone"]["status"] == "broken"
    assert written["The e-mail reads well on a tablet — device=tablet"]["status"] == "skipped"
    (junit,) = parts.glob("*.xml")
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["A printed packing slip lists every ordered item"].get("status") == "passed"
    assert cases["The e-mail reads well on a phone — device=phone"].find("error") is not None
    assert cases["The e-mail reads well on a tablet — device=tablet"].find("skipped") is not None
    # The run's gap check: a manual check reported by its record is not missing.
    missing = report.record_missing(results, selected, False, Masker().mask, [])
    assert [m.name for m in missing] == ["An automated one"]


def test_pending_manual_checks_make_the_pack_not_accepted(suite: Config) -> None:
    done = Outcome("slip", "f.feature:4", "passed", "", frozenset({"manual", "REQ-10"}), stop=1)
    waiting = [
        Outcome(name, f"f.feature:{line}", "skipped", "manual check pending: nobody",
                frozenset({"manual", "REQ-30"}), stop=1)
        for name, line in (("phone", 21), ("tablet", 22))
    ]  # fmt: skip
    rule = parse_rule(MANUAL_RULE)
    assert judge([rule], Facts([done], [], [], [])) == [(rule, None)]
    ((_, why),) = judge([rule], Facts([done, *waiting], [], [], []))
    assert why == "2 manual checks pending: f.feature:21 (phone), f.feature:22 (tablet)"
    # Judged in every pack, whatever the configured rules say.
    assert [r.text for r in signoff.with_manual_rule(())] == [MANUAL_RULE]
    pack = signoff.build(suite, Summary((done, *waiting)), {})
    assert pack.data["verdict"] == "NOT ACCEPTED"
    assert "2 manual checks pending" in " ".join(pack.data["reasons"])
    assert [m["name"] for m in pack.data["manual_checks"]] == ["slip", "phone", "tablet"]
    page = signoff.render(pack.data)
    assert "<h2>Manual checks</h2>" in page and "pending" in page
    # With every check recorded, this rule holds (the suite's other scenarios did not run
    # here, so the scope rule is allowed in words for this check).
    rules = (*suite.report.verdict, parse_rule("partial runs allowed"))
    partial = suite.model_copy(
        update={"report": suite.report.model_copy(update={"verdict": rules})}
    )
    accepted = signoff.build(partial, Summary((done,)), {})
    assert accepted.data["verdict"] == "ACCEPTED", accepted.data["reasons"]


def test_each_requirement_row_links_to_its_scenarios_pages_in_the_report(suite: Config) -> None:
    passed = Outcome("slip", "f.feature:4", "passed", "", frozenset({"REQ-10"}), stop=1,
                     uuid="9f0c6d52-0000-4000-8000-000000000001")  # fmt: skip
    pack = signoff.build(suite, Summary((passed,)), {})
    (entry,) = pack.data["requirements"]["REQ-10"]["scenarios"]
    page_id = hashlib.md5(passed.uuid.encode()).hexdigest()  # Allure 3's test result id
    assert entry["report"] == f"../allure-report/index.html#{page_id}"
    assert f"<a href='../allure-report/index.html#{page_id}'>slip</a>" in signoff.render(pack.data)


def test_an_outline_row_is_named_by_its_example_values(tmp_path: Path) -> None:
    path = tmp_path / "lamps.feature"
    path.write_text(
        "Feature: Lamps\n"
        "  Scenario Outline: Ordering <quantity> of 3 desk lamps\n"
        "    When Ana orders <quantity> desk lamps\n"
        "    Examples:\n"
        "      | quantity |\n"
        "      | 4        |\n"
        "  Scenario: A plain one\n"
        "    When Ana orders 1 desk lamp\n"
    )
    row, plain = parse_file(str(path)).walk_scenarios()
    assert scenario_title(row) == "Ordering 4 of 3 desk lamps — quantity=4"
    assert scenario_title(plain) == "A plain one"
    # Selection names it alike, so history and the gap check match its result.
    refs = discover(tmp_path, [str(path)], tmp_path)
    assert [r.name for r in refs] == [scenario_title(row), "A plain one"]
    assert isinstance(refs[0], ScenarioRef)


def test_the_report_is_grouped_by_layer_feature_and_rule() -> None:
    assert report.TREE_GROUPS == ("epic", "feature", "story")
