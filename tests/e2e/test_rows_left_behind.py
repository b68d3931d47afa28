"""Rows left behind, end to end: an outline whose rows place orders through the API and
remove the orders and notifications, but forget the event the orders service writes
to the outbox. Every cleanup succeeds; the run names the table, the count and the
scenarios (their ``${unique}`` is in the event's payload)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e

FORGETFUL = """\
Feature: Orders that forget their events
  Scenario Outline: A customer orders <quantity> lamps
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "ana-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "ana-${unique}" are removed after the scenario
    And the "orders" service
    When I send a POST request to "/orders" with JSON:
      \"\"\"
      {"customer": "ana-${unique}", "sku": "LAMP-${unique}", "quantity": <quantity>}
      \"\"\"
    Then the response status should be 201
    And I save the response field "id" as "order_id"
    And the "notifications" service
    And I send a GET request to "/notifications?order_id=${order_id}" until the response field "length(items)" is 1 within 10 seconds

    Examples:
      | quantity |
      | 1        |
      | 2        |
"""

TIDY = """\
Feature: A scenario that writes nothing
  Scenario: The orders service is reachable
    Then the "orders" service should be reachable
"""


def write_features(project: Path) -> tuple[str, str]:
    folder = project / "features" / "interface"
    (folder / "forgetful.feature").write_text(FORGETFUL)
    (folder / "tidy.feature").write_text(TIDY)
    return "features/interface/forgetful.feature", "features/interface/tidy.feature"


def test_a_scenario_that_leaves_a_row_behind_is_named_as_a_warning(project: Path) -> None:
    forgetful, tidy = write_features(project)
    result = interlock(project, "run", forgetful, tidy)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr  # a warning by default
    assert "WARNING: rows left behind: 1 table holds more rows than before the run" in out
    line = next(x for x in out.splitlines() if "shop.outbox:" in x)
    # both outline rows (lines 20 and 21), by their own ${unique}; nothing else grew
    assert line.startswith("  - shop.outbox: 2 rows left behind, by scenarios "), line
    assert f"{forgetful}:20 A customer orders 1 lamps" in line, line
    assert f"{forgetful}:21 A customer orders 2 lamps" in line, line
    assert "tidy.feature" not in line
    assert "run.rows_left_behind: fail makes this an error" in out
    summary = (project / "reports" / "summary.txt").read_text()
    assert "shop.outbox: 2 rows left behind" in summary
    # the sign-off pack lists it, and no verdict rule counts it (a partial run is not
    # accepted anyway: "the whole suite ran")
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    assert not any("left behind" in reason for reason in pack["reasons"]), pack["reasons"]
    assert [r["rule"] for r in pack["rules"]].count("no rows left behind") == 0
    assert pack["rows_left_behind"] == [line.strip()[2:]]
    page = (project / "reports" / "signoff" / "index.html").read_text()
    assert "<h2>Rows left behind</h2>" in page
    # the Allure results carry it as a note on the whole run (a global attachment)
    results = project / "reports" / "allure-results"
    notes = [json.loads(f.read_text()) for f in results.glob("*-globals.json")]
    (note,) = [n for n in notes if any(a["name"] == "Rows left behind" for a in n["attachments"])]
    assert note["errors"] == []
    (attachment,) = note["attachments"]
    assert "shop.outbox: 2 rows left behind" in (results / attachment["source"]).read_text()
    properties = (results / "environment.properties").read_text()
    assert "Rows\\ left\\ behind=shop.outbox +2 (see Global Attachments)" in properties


def test_under_fail_rows_left_behind_fail_the_run_and_the_verdict(project: Path) -> None:
    forgetful, _ = write_features(project)
    result = interlock(
        project, "run", "--no-report", "--set", "run.rows_left_behind=fail", forgetful
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "ERROR: rows left behind: 1 table holds more rows" in out
    assert "1 table holds rows this run left behind (run.rows_left_behind: fail)" in out
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    assert pack["verdict"] == "NOT ACCEPTED"
    assert any(r.startswith("shop.outbox: 2 rows left behind") for r in pack["reasons"])
    (rule,) = [r for r in pack["rules"] if r["rule"] == "no rows left behind"]
    assert not rule["holds"]
    assert rule["reason"].startswith("shop.outbox: 2 rows left behind, by scenarios ")
    # the run passed otherwise: every scenario did
    assert "scenarios: 2 passed, 0 failed" in result.stdout


def test_a_run_that_leaves_nothing_says_nothing(project: Path) -> None:
    _, tidy = write_features(project)
    result = interlock(project, "run", "--no-report", "--set", "run.rows_left_behind=fail", tidy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left behind" not in result.stdout + result.stderr
    assert not (project / "reports" / "rows-left-behind.json").exists()
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    (rule,) = [r for r in pack["rules"] if r["rule"] == "no rows left behind"]
    assert rule["holds"]
