"""HTTP scenarios as a user runs them (interlock run, real demo services): mistakes in a
scenario fail that scenario alone with a message that names the mistake; contract
breaches name operation, status and rule; every exchange is in the report, masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e

# A service that answers HTML, for "JSON expected": python's own file server (added to
# the services of config/local.yaml, its last section).
STATIC_SERVICE = """
  static:
    embedded: true
    command: ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
    health: /
"""

BAD_INPUT = '''@REQ-900
Feature: Mistakes in scenarios
  Scenario: Invalid JSON in a doc string
    Given the "inventory" service
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "X",
       "name": }
      """

  Scenario: Invalid JSON in a payload file
    Given the "inventory" service
    When I send a POST request to "/products" with the JSON file "payloads/broken.json"

  Scenario: A payload file that does not exist
    Given the "inventory" service
    When I send a POST request to "/products" with the JSON file "payloads/nope.json"

  Scenario: A misspelt service
    Given the "inventroy" service

  Scenario: A variable never set
    Given the "inventory" service
    When I send a GET request to "/products/${sku_of_the_day}"

  Scenario: A misspelt marker
    Given the "inventory" service
    When I send a GET request to "/health"
    Then the response field "status" should be "#strnig"

  Scenario: A credentials profile nobody configured
    Given the request uses the "admin" credentials

  Scenario: An answer that is not JSON
    Given the "static" service
    When I send a GET request to "/"
    Then the response field "status" should be "ok"

  Scenario: An operation the contract does not describe
    Given the "inventory" service
    When I send a GET request to "/products/X/reviews"
    Then the response should conform to the API contract

  Scenario: Waiting in vain for a notification
    Given the "notifications" service
    When I send a GET request to "/notifications?order_id=999999999" until the response field \
"length(items)" is 1 within 1 second

  Scenario: The run goes on after all of these
    Given the "inventory" service
    When I send a GET request to "/health"
    Then the response status should be 200
'''


# Each failing scenario's title, and what its failure must say.
EXPECTED_FAILURES = {
    "Invalid JSON in a doc string": [
        "the JSON body is not valid JSON: Expecting value at"
        " features/interface/bad_input.feature:8",
        '"name": }',
    ],
    "Invalid JSON in a payload file": [
        "features/data/payloads/broken.json is not valid JSON",
        "at features/data/payloads/broken.json:3",
    ],
    "A payload file that does not exist": ["file 'payloads/nope.json' not found"],
    "A misspelt service": [
        "unknown service 'inventroy'",
        "services in the config: inventory, notifications, orders, orders_isolated, static",
    ],
    "A variable never set": [
        "unknown variable ${sku_of_the_day}",
        "built in: uuid, unique, now, today",
    ],
    "A misspelt marker": ["unknown match marker '#strnig'", "#string"],
    "A credentials profile nobody configured": [
        "unknown credentials profile 'admin'",
        "(credentials.NAME): clerk, intruder",
    ],
    "An answer that is not JSON": [
        "the response body is not JSON (Content-Type: text/html",
        "body:     <!DOCTYPE HTML>",
    ],
    "An operation the contract does not describe": [
        "demo/openapi/inventory.yaml describes no operation GET /products/X/reviews",
        "it describes: GET /health, GET /products, POST /products",
    ],
    "Waiting in vain for a notification": [
        "the response field 'length(items)' did not become 1 within 1 s",
        "http.poll_interval); the last try:",
        'body:     {"items": []}',
    ],
}


def run(project: Path, feature: str, *args: str, env: dict[str, str] | None = None):
    result = interlock(project, "run", "--no-report", *args, feature, env=env)
    return result, result.stdout + result.stderr


def failure_of(output: str, title: str) -> str:
    """The summary's lines about one failed scenario."""
    lines = output.splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.lstrip().startswith(("FAILED", "BROKEN")) and line.endswith(title)
    )
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].lstrip().startswith(("FAILED", "BROKEN", "results:"))
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def test_each_mistake_fails_its_scenario_alone_and_says_what_to_fix(project: Path) -> None:
    local = project / "config" / "local.yaml"
    assert "\nservices:\n" in local.read_text()
    local.write_text(local.read_text().replace("\nservices:\n", "\nservices:" + STATIC_SERVICE, 1))
    payload = project / "features" / "data" / "payloads" / "broken.json"
    payload.write_text('{\n  "sku": "X",\n  "stock": 1,,\n}\n')
    feature = project / "features" / "interface" / "bad_input.feature"
    feature.write_text(BAD_INPUT)
    # `interlock lint` would refuse the unknown variable before the run: this checks
    # what the run itself does with each mistake.
    help_text = interlock(project, "run", "--help").stdout
    no_lint = ["--no-lint"] if "--no-lint" in help_text else []
    result, output = run(project, "features/interface/bad_input.feature", *no_lint)
    assert result.returncode == 1, output
    assert "11 scenarios: 1 passed" in output

    for title, fragments in EXPECTED_FAILURES.items():
        failure = failure_of(output, title)
        for fragment in fragments:
            assert fragment in failure, f"{title}: {fragment!r} not in:\n{failure}"
    assert "Traceback" not in output


BREACH = '''@REQ-900
Feature: Breach
  Scenario: The stock is more than the contract allows
    Given the "inventory" service
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "BIG-${unique}", "name": "Big lamp", "price": 1.00, "stock": 5}
      """
    Then the response should conform to the API contract
'''


def test_a_contract_breach_names_operation_status_and_each_rule(project: Path) -> None:
    document = project / "demo" / "openapi" / "inventory.yaml"
    stock = "          description: Units left (reservations take stock away).\n"
    assert stock in document.read_text()
    document.write_text(document.read_text().replace(stock, stock + "          maximum: 2\n"))
    (project / "features" / "interface" / "breach.feature").write_text(BREACH)
    result, output = run(project, "features/interface/breach.feature")
    assert result.returncode == 1, output
    assert (
        "the response breaks the API contract demo/openapi/inventory.yaml: operation"
        " createProduct (POST /products), status 201: 1 violation" in output
    )
    assert (
        "- body.stock: 5 is greater than the maximum of 2 (rule: properties.stock.maximum)"
        in output
    )
    assert "reproduce: curl -i -X POST" in output


EVIDENCE = '''@REQ-900
Feature: Evidence
  Scenario: A product is added
    Given the "inventory" service
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "EV-${unique}", "name": "A lamp with a rather long name", "price": 1.00, "stock": 1}
      """
    Then the response status should be 201
'''


def test_every_exchange_is_attached_to_its_step_with_secrets_masked(project: Path) -> None:
    token = "evidence-token-4711"
    (project / "features" / "interface" / "evidence.feature").write_text(EVIDENCE)
    result, output = run(
        project,
        "features/interface/evidence.feature",
        "--set",
        "http.evidence_body_limit=40",
        env={"SHOP_API_TOKEN": token},
    )
    assert result.returncode == 0, output
    results = project / "reports" / "allure-results"
    (scenario,) = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    step = scenario["steps"][1]
    (attachment,) = [
        a for a in step["attachments"] if a["name"].startswith("POST /products -> 201")
    ]
    text = (results / attachment["source"]).read_text()
    assert text.startswith("POST http://127.0.0.1:")
    assert "Authorization: Bearer *****" in text
    assert "\nHTTP 201 Created in " in text and " ms\n" in text
    assert "Location: /products/EV-" in text
    assert "[cut: 40 of " in text
    assert "reproduce: curl -i -X POST http://127.0.0.1:" in text
    written = "".join(p.read_text(errors="replace") for p in results.iterdir())
    assert token not in written + output
