"""Contract steps as a user runs them (interlock run): probing the real demo services
keeps green, probing a local server with a deliberate defect fails with the smallest
failing request as a curl line that reproduces it by hand, and the coverage step lists
the documented responses no scenario saw."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import connect_shop, interlock
from tests.e2e.local_server import Reply, Seen, serve
from tests.e2e.test_http_scenarios import failure_of

pytestmark = pytest.mark.e2e

# The broken service's contract: an item's id is a number, and so is its stock.
BROKEN_CONTRACT = """\
openapi: 3.0.3
info: {title: broken, version: '1'}
paths:
  /health:
    get:
      responses:
        '200': {description: up}
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        '200':
          description: the item
          content:
            application/json:
              schema:
                type: object
                required: [id, stock]
                properties:
                  id: {type: integer}
                  stock: {type: integer}
        '404':
          description: no such item
          content:
            application/json:
              schema: {type: object}
"""


def broken_answer(request: Seen) -> Reply:
    """Items 1..100 exist; from 1000 on the service fails (the deliberate defect)."""
    if request.path == "/health":
        return Reply(200, {"status": "ok"})
    match = re.fullmatch(r"/items/(-?[0-9]+)", request.path)
    if match is None:
        return Reply(404, {"error": "unknown"})
    item = int(match.group(1))
    if item >= 1000:
        return Reply(500, {"error": "overflow"})
    if 1 <= item <= 100:
        return Reply(200, {"id": item, "stock": 3})
    return Reply(404, {"error": "unknown"})


PROBES = """\
@REQ-900
Feature: Probing
  @serial
  Scenario: The broken service is probed
    Then the operation "GET /items/{id}" of the "broken" API should keep its contract for 40 generated requests

  @serial
  Scenario: Only the health of the notifications was asked for
    Given the "notifications" service
    When I send a GET request to "/health"
    Then every documented response of the "notifications" API should have been seen
"""


def test_probing_fails_on_the_defect_with_a_curl_line_that_reproduces_it(project: Path) -> None:
    with serve(broken_answer) as server:
        (project / "broken.yaml").write_text(BROKEN_CONTRACT)
        local = project / "config" / "local.yaml"
        local.write_text(
            local.read_text().replace(
                "\nservices:\n",
                f"\nservices:\n  broken:\n    url: {server.url}\n    openapi: broken.yaml\n"
                "    writes_to: []\n",
                1,
            )
        )
        (project / "features" / "interface" / "probing.feature").write_text(PROBES)
        result = interlock(
            project, "run", "--no-report", "--set", "probing.seed=4711",
            "features/interface/probing.feature",
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 1, output

        probe = failure_of(output, "The broken service is probed")
        assert "seed 4711: repeat with --set probing.seed=4711" in probe, probe
        assert "GET /items/{id} (positive requests) broke its contract: 5xx" in probe, probe
        # hypothesis shrinks to the smallest id that fails: the defect's boundary
        line = next(x for x in probe.splitlines() if "reproduce: curl" in x)
        command = line.split("reproduce: ", 1)[1].strip()
        assert shlex.split(command)[4] == f"{server.url}/items/1000", command
        assert "schemathesis" not in command.lower()
        assert "Traceback" not in output

        by_hand = subprocess.run(
            [*shlex.split(command), "-s", "-o", "/dev/null", "-w", "%{http_code}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert by_hand.stdout.strip() == "500", by_hand

    coverage = failure_of(output, "Only the health of the notifications was asked for")
    assert "contract coverage of notifications" in coverage, coverage
    assert "never seen in this run" in coverage
    assert "- GET /notifications 200" in coverage
    assert "- GET /health 503" in coverage
    assert "- GET /health 200" not in coverage


def test_the_demo_services_keep_their_contracts_and_leave_no_rows(running: Path) -> None:
    tables = ("products", "reservations", "orders", "outbox", "notifications")

    def counts() -> dict[str, int]:
        connection = connect_shop(running)
        try:
            with connection.cursor() as cursor:
                found = {}
                for table in tables:
                    cursor.execute(f"SELECT COUNT(*) FROM {table}")
                    found[table] = cursor.fetchone()[0]
                return found
        finally:
            connection.close()

    before = counts()
    result = interlock(
        running, "run", "--no-report", "--set", "probing.examples=5",
        "features/interface/contracts.feature",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 scenarios: 4 passed" in output
    assert "contract coverage of notifications" in output
    # probing created products (201 answers): the cleanup removed each of them
    assert counts() == before
    summary = (running / "reports" / "summary.txt").read_text()
    assert "GET /notifications                   400     seen" in summary


SHARDED = """\
@REQ-61
Feature: Coverage of the notifications, in two parts
  Scenario: The notifications' health is asked for
    Given the "notifications" service
    When I send a GET request to "/health"
    Then the response status should be 200

  Scenario: The notifications of no order are asked for
    Given the "notifications" service
    When I send a GET request to "/notifications"
    Then the response status should be 400

  @serial
  Scenario: Every answer the notifications document has been seen
    Then every documented response of the "notifications" API should have been seen, except:
      | operation | status |
      | *         | 503    |
"""


def test_coverage_is_judged_on_the_merged_shards_by_the_verdict_rule(project: Path) -> None:
    for feature in (project / "features").rglob("*.feature"):
        feature.unlink()
    shutil.rmtree(project / "manual")  # the demo's manual records name removed scenarios
    (project / "features" / "interface" / "coverage.feature").write_text(SHARDED)
    rule = ["--set", "report.verdict=[no failures in features/integration/,"
            " contract coverage of notifications at least 60%]"]  # fmt: skip
    pointed = []
    for k in (1, 2):
        run = interlock(project, "run", "--no-report", "--shard", f"{k}/2",
                        "--set", f"paths.reports=shard{k}", *rule)  # fmt: skip
        output = run.stdout + run.stderr
        if "this run is shard" in output:
            # the coverage step cannot judge a shard: it points at the verdict rule
            assert run.returncode == 1, output
            assert "'contract coverage of notifications at least <n>%'" in output, output
            pointed.append(k)
    assert len(pointed) == 1, pointed  # the shard that held the coverage scenario
    merge = interlock(project, "merge", "--no-report", "shard1", "shard2", *rule)
    assert merge.returncode == 1, merge.stdout + merge.stderr  # the step failed in its shard
    results = project / "reports" / "allure-results"
    parts = sorted(p.name for p in results.glob("interlock-coverage-*.jsonl"))
    assert [p.split("-")[2] for p in parts] == ["s1", "s2"], parts  # both kept, pids or not
    data = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    notifications = next(c for c in data["contract_coverage"] if c["service"] == "notifications")
    seen = {(r["operation"], r["status"]) for r in notifications["rows"] if r["seen"]}
    assert seen == {("GET /health", "200"), ("GET /notifications", "400")}, seen
    assert notifications["percent"] == 40.0
    rule_row = next(r for r in data["rules"] if r["rule"].startswith("contract coverage"))
    assert not rule_row["holds"]
    assert "contract coverage of notifications is 40%, below 60%" in rule_row["reason"]
    # the report's copy of the table: a global attachment Allure 3 shows beside the results
    globals_file = json.loads((results / "interlock-contract-coverage-globals.json").read_text())
    assert globals_file["attachments"][0]["name"] == "Contract coverage"
    page = (results / globals_file["attachments"][0]["source"]).read_text()
    assert "GET /notifications" in page and "NOT SEEN" in page


def test_scaffolded_features_pass_lint_run_green_and_are_never_overwritten(project: Path) -> None:
    interface = project / "features" / "interface"
    for service in ("inventory", "orders", "notifications"):
        made = interlock(project, "contract", "scaffold", service, "--requirement", "REQ-60")
        assert made.returncode == 0, made.stdout + made.stderr
        text = (interface / f"{service}_contract.feature").read_text()
        assert text.count("Scenario:") >= 3
        assert "# TODO" in text and "503" in text  # what no request can provoke
    inventory = (interface / "inventory_contract.feature").read_text()
    # a created row is registered for removal, and the feature says how it knows the table
    assert 'Given rows of the table "products" where "sku" is "sku-${unique}" are removed' in (
        inventory
    )
    assert "creates a row of the table products (database shop" in inventory
    features = [f"features/interface/{s}_contract.feature" for s in
                ("inventory", "orders", "notifications")]  # fmt: skip
    linted = interlock(project, "lint", *features)
    assert linted.returncode == 0 and "0 error(s), 0 warning(s)" in linted.stdout, linted.stdout
    ran = interlock(project, "run", "--no-report", *features)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    assert re.search(r"(\d+) scenarios: \1 passed", output), output

    # the contract changes, the tester has edited the feature: nothing is overwritten
    orders = interface / "orders_contract.feature"
    edited = orders.read_text().replace("Feature:", "# edited by hand\nFeature:")
    orders.write_text(edited)
    document = project / "demo" / "openapi" / "orders.yaml"
    document.write_text(
        document.read_text().replace(
            "paths:\n",
            "paths:\n  /version:\n    get:\n      responses:\n"
            "        '200': {description: The version}\n",
            1,
        )
    )
    again = interlock(project, "contract", "scaffold", "orders", "--requirement", "REQ-60")
    assert again.returncode == 0, again.stdout + again.stderr
    assert orders.read_text() == edited
    assert "new in the contract" in again.stdout
    assert "  + orders: GET /version answers 200: The version" in again.stdout
    assert "+  Scenario: orders: GET /version answers 200: The version" in again.stdout  # diff
    fresh = orders.with_name("orders_contract.feature.new").read_text()
    assert "GET /version" in fresh and "# edited by hand" not in fresh
