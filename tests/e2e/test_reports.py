"""Reports as CI and acceptance read them: Allure files, sign-off, no leaked secret."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from interlock.secret_scan import scan
from interlock.selection import discover
from tests.conftest import REPO, interlock

pytestmark = pytest.mark.e2e

TOKEN = "tok-3f9a-very-secret"
DB_PASSWORD = "pw-71c2-very-secret"
SECRETS = {"SHOP_API_TOKEN": TOKEN, "SHOP_DB_PASSWORD": DB_PASSWORD}

FAILING = """@integration
Feature: A failing integration check
  @critical @REQ-1
  Scenario: The inventory is expected to be a teapot
    Given the "inventory" service
    When I send a GET request to "/products/NOPE"
    Then the response status should be 418
"""


def results(project: Path) -> list[dict]:
    folder = project / "reports" / "allure-results"
    return [json.loads(p.read_text()) for p in folder.glob("*-result.json")]


def test_a_full_run_leaves_every_artefact_and_no_secret(project: Path) -> None:
    """One whole run with its report (the demo suite, a token and a password): every
    artefact is there, the HTML report lists every scenario, no secret is written."""
    (project / "node_modules").symlink_to(REPO / "node_modules")
    run = interlock(project, "run", env=SECRETS)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = project / "reports"
    assert (reports / "allure-report" / "index.html").is_file()
    assert (reports / "allure-report" / "site" / "index.html").is_file()
    # The single-file report lists every scenario and opens from disk.
    report = reports / "allure-report" / "index.html"
    assert f"report: {report}" in run.stdout
    html = report.read_text()
    embedded = re.findall(r'd\("data/test-results/[0-9a-f]+\.json","([^"]+)"\)', html)
    names = {json.loads(base64.b64decode(item))["name"].strip() for item in embedded}
    expected = {ref.name for ref in discover(project, [], project / "features")}
    assert names == expected
    assert len(expected) >= 12
    assert (reports / "junit" / "junit.xml").is_file()
    summary = (reports / "summary.txt").read_text()
    assert summary.splitlines()[-1] == run.stdout.splitlines()[-1]  # scenarios: N passed...
    pack = json.loads((reports / "signoff" / "signoff.json").read_text())
    assert pack["verdict"] == "ACCEPTED"
    assert (reports / "signoff" / "index.html").is_file()
    assert "sign-off: ACCEPTED" in run.stdout
    for name in ("environment.properties", "executor.json", "categories.json"):
        assert (reports / "allure-results" / name).is_file()
    environment = (reports / "allure-results" / "environment.properties").read_text()
    assert (
        "Environment=local" in environment and "orders\\ service=http://127.0.0.1:" in environment
    )
    labels = {(lab["name"], lab["value"]) for r in results(project) for lab in r["labels"]}
    assert ("epic", "Interface") in labels and ("epic", "Integration") in labels
    title = "A confirmed order reserves its items in the inventory"  # from requirements.yaml
    assert ("requirement", f"REQ-10: {title}") in labels
    assert (
        "story",
        "Orders that cannot be fulfilled are refused and leave nothing behind",
    ) in labels
    # The requests carried the token and the services the password: neither was written.
    assert scan(reports, [TOKEN, DB_PASSWORD]) == []
    basic = base64.b64encode(f"shop:{DB_PASSWORD}".encode()).decode()
    assert all(basic not in p.read_text(errors="ignore") for p in reports.rglob("*") if p.is_file())


def test_a_failing_critical_scenario_is_not_accepted_and_shows_the_service_log(
    project: Path,
) -> None:
    (project / "features" / "integration" / "teapot.feature").write_text(FAILING)
    run = interlock(project, "run", "--no-report", "features/integration/teapot.feature")
    assert run.returncode == 1
    assert "sign-off: NOT ACCEPTED" in run.stdout
    signoff = interlock(project, "signoff")
    assert signoff.returncode == 1
    assert "NOT ACCEPTED" in signoff.stdout
    assert "features/integration/teapot.feature:4" in signoff.stdout
    (result,) = results(project)
    logs = [a for a in result.get("attachments", []) if a["name"].startswith("log of inventory")]
    assert logs, "the failing scenario has no service log attached"
    text = (project / "reports" / "allure-results" / logs[0]["source"]).read_text()
    assert "GET /products/NOPE -> 404" in text


def test_a_secret_written_anywhere_under_reports_fails_the_run(project: Path) -> None:
    (project / "steps" / "leaky_steps.py").write_text(
        "import base64\nfrom pathlib import Path\nfrom behave import step\n\n"
        '@step("a careless step writes the token")\n'
        "def step_leak(context):\n"
        "    token = context.interlock.config.credentials['clerk'].bearer\n"
        "    Path('reports/debug.txt').write_bytes(base64.b64encode(b'Bearer ' + token.encode()))\n"
    )
    (project / "features" / "interface" / "leak.feature").write_text(
        "Feature: Leak\n  Scenario: Careless\n    Given a careless step writes the token\n"
    )
    run = interlock(project, "run", "--no-report", "features/interface/leak.feature", env=SECRETS)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "SECRET LEAK" in run.stderr
    assert "debug.txt: a secret (to...) in Base64" in run.stderr
    assert TOKEN not in run.stdout + run.stderr


LAMPS = """@integration
Feature: Ordering desk lamps
  @REQ-7
  Scenario Outline: Ordering <quantity> of 3 desk lamps
    Given the shop has 3 desk lamps in stock
    When Ana orders <quantity> desk lamps
    Then Ana's order is refused because the shop does not have enough in stock

    Examples:
      | quantity |
      | 4        |
      | 5        |
"""
SLIP = "features/integration/order_fulfilment.feature:34"


def test_manual_checks_from_their_records_to_the_verdict(project: Path) -> None:
    """The demo's two @manual checks are recorded: the run writes them as Allure and
    JUnit results, evidence attached, counts them as reported, and is ACCEPTED; once
    one is edited it is pending again and the pack is NOT ACCEPTED, naming it."""
    (project / "node_modules").symlink_to(REPO / "node_modules")
    (project / "features" / "integration" / "lamps.feature").write_text(LAMPS)
    # Only the integration layer runs here: a partial run, which this suite allows.
    local = project / "config" / "local.yaml"
    local.write_text(
        local.read_text() + "report:\n  verdict: [no failures, all @critical scenarios pass,"
        " no expired quarantine, partial runs allowed]\n"
    )
    listed = interlock(project, "manual")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "2 manual check(s): 2 recorded, 0 pending" in listed.stdout

    run = interlock(project, "run", "features/integration/")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sign-off: ACCEPTED" in run.stdout and "MISSING" not in run.stdout
    written = {r["name"]: r for r in results(project)}
    slip = written["A printed packing slip lists every ordered item"]
    phone = written["The confirmation e-mail reads well on a phone"]
    for result in (slip, phone):
        assert result["status"] == "passed"
        assert {"name": "manual", "value": "true"} in result["labels"]
        assert "by Ana Analyst, QA" in result["statusDetails"]["message"]
    (evidence,) = phone["attachments"]
    folder = project / "reports" / "allure-results"
    assert (folder / evidence["source"]).read_bytes()[:4] == b"\x89PNG"
    # An Outline's rows are named by their example values, not "-- @1.1".
    assert written["Ordering 4 of 3 desk lamps — quantity=4"]["status"] == "passed"
    assert "Ordering 5 of 3 desk lamps — quantity=5" in written
    assert not [name for name in written if "-- @" in name]
    junit = (project / "reports" / "junit" / "junit.xml").read_text()
    assert 'name="A printed packing slip lists every ordered item" status="passed"' in junit
    # The report opens on layer / feature / rule, and the pack links into it.
    report = project / "reports" / "allure-report"
    page = (report / "index.html").read_text()
    assert '"groupBy":["epic","feature","story"]' in page
    tree = json.loads((report / "site" / "widgets" / "default" / "tree.json").read_text())
    layers = json.dumps(tree["root"]["groups"])  # opened when the report opens
    assert f"localStorage.getItem(k)||'[]');{layers}.forEach" in page
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    links = [s["report"] for s in pack["requirements"]["REQ-10"]["scenarios"]]
    # REQ-10: the manual packing slip, the API order and the storefront order
    assert len(links) == 3 and all(
        link.startswith("../allure-report/index.html#") for link in links
    )
    for link in links:
        page = link.split("#", 1)[1]
        assert (report / "site" / "data" / "test-results" / f"{page}.json").is_file(), page

    feature = project / "features" / "integration" / "order_fulfilment.feature"
    edited = feature.read_text().replace("2 desk lamps and 1 mug", "2 desk lamps and 2 mugs")
    feature.write_text(edited)
    listed = interlock(project, "manual")
    assert listed.returncode == 1
    assert f"PENDING  {SLIP}  A printed packing slip lists every ordered item (edited" in (
        listed.stdout
    )
    run = interlock(project, "run", "--no-report", "features/integration/order_fulfilment.feature")
    assert run.returncode == 0, run.stdout + run.stderr  # every automated check passed
    assert "sign-off: NOT ACCEPTED" in run.stdout
    signoff = interlock(project, "signoff")
    assert signoff.returncode == 1
    assert f"1 manual check pending: {SLIP} (A printed packing slip" in signoff.stdout
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    (pending,) = [m for m in pack["manual_checks"] if m["status"] == "skipped"]
    assert "made for an earlier version of this scenario" in pending["record"]

    recorded = interlock(
        project, "manual", "record", SLIP, "--failed", "--by", "Ben Buyer", "--note", "no mug"
    )
    assert recorded.returncode == 0, recorded.stderr
    run = interlock(project, "run", "--no-report", "features/integration/order_fulfilment.feature")
    assert run.returncode == 1  # a manual check that failed fails the run
    assert f"FAILED  {SLIP}" in run.stdout and "by Ben Buyer" in run.stdout
    unknown = interlock(project, "manual", "record", "features/integration/lamps.feature:4",
                        "--passed", "--by", "Ana")  # fmt: skip
    assert unknown.returncode == 2
    assert "is not tagged @manual" in unknown.stderr and "Traceback" not in unknown.stderr
