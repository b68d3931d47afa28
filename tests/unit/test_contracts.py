"""Responses checked against OpenAPI documents and JSON schemas (no network: the
exchanges are built in memory; the documents are the demo's and small ones written here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock import contracts
from interlock.errors import ScenarioInputError
from tests.unit.http_exchanges import exchange

REPO = Path(__file__).resolve().parents[2]
ORDERS = REPO / "demo" / "openapi" / "orders.yaml"
BASE = "http://127.0.0.1:9"
ORDER = {"id": 5, "ref": "ORD-0123456789", "customer": "ana", "sku": "A", "quantity": 2,
         "status": "CONFIRMED"}  # fmt: skip


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # documents are named relative to the working folder


def check(ex, document: Path = ORDERS, base: str = BASE) -> contracts.Verdict:
    return contracts.check_response(document, base, ex)


def test_a_documented_answer_conforms() -> None:
    ex = exchange("POST", f"{BASE}/orders", 201, ORDER, headers={"Location": "/orders/5"})
    verdict = check(ex)
    assert verdict.violations == []
    assert verdict.operation == "createOrder (POST /orders)"


def test_the_request_itself_is_not_checked() -> None:
    ex = exchange(
        "POST",
        f"{BASE}/orders",
        400,
        {"error": "invalid_request", "message": "bad"},
        request_json={"quantity": "lots", "unknown": True},
    )
    assert check(ex).violations == []


def test_every_body_violation_is_named_with_its_path_and_rule() -> None:
    body = {**ORDER, "id": 0, "quantity": "2", "status": "SHIPPED", "extra": 1}
    verdict = check(exchange("GET", f"{BASE}/orders/5", 200, body))
    assert verdict.violations == [
        "body: Additional properties are not allowed ('extra' was unexpected)"
        " (rule: additionalProperties)",
        "body.id: 0 is less than the minimum of 1 (rule: properties.id.minimum)",
        "body.quantity: '2' is not of type 'integer' (rule: properties.quantity.type)",
        "body.status: 'SHIPPED' is not one of ['CONFIRMED'] (rule: properties.status.enum)",
    ]
    message = verdict.message()
    assert message.startswith(
        "the response breaks the API contract demo/openapi/orders.yaml: operation"
        " getOrder (GET /orders/{id}), status 200: 4 violations\n  - body: "
    )


def test_headers_are_checked_too() -> None:
    missing = check(exchange("POST", f"{BASE}/orders", 201, ORDER))
    assert missing.violations == ["header Location: required, but missing"]
    wrong = check(exchange("POST", f"{BASE}/orders", 201, ORDER, headers={"Location": "/x"}))
    assert wrong.violations == [
        "header Location: '/x' does not match '^/orders/[1-9][0-9]*$' (rule: pattern)"
    ]


def test_an_undocumented_status_is_a_violation_not_a_pass() -> None:
    verdict = check(exchange("GET", f"{BASE}/orders/5", 418, {"error": "teapot"}))
    assert verdict.violations == ["status 418 is not documented for it (documented: 200, 404, 503)"]


def test_an_undocumented_content_type_is_a_violation() -> None:
    verdict = check(exchange("GET", f"{BASE}/orders/5", 200, raw=b"<p>", content_type="text/html"))
    assert verdict.violations == [
        "body: Content-Type 'text/html' is not documented (documented: application/json)"
    ]


def test_an_empty_body_where_one_is_documented_is_a_violation() -> None:
    verdict = check(exchange("GET", f"{BASE}/orders/5", 200, raw=b""))
    assert verdict.violations == ["body: empty, but the contract documents one"]


def test_an_undocumented_operation_fails_listing_the_documented_ones() -> None:
    with pytest.raises(AssertionError) as error:
        check(exchange("DELETE", f"{BASE}/orders/5", 200, {}))
    text = str(error.value)
    assert text.startswith(
        "the API contract demo/openapi/orders.yaml describes no operation DELETE /orders/5;"
        " it describes: GET /health, POST /orders, GET /orders, GET /orders/{id}\n"
    )
    assert "reproduce: curl -i -X DELETE" in text


def test_query_strings_and_a_base_path_do_not_hide_the_operation() -> None:
    ex = exchange("GET", f"{BASE}/api/orders?customer=ana", 200, {"items": [ORDER]})
    verdict = check(ex, base=f"{BASE}/api")
    assert verdict.violations == []
    assert verdict.operation == "listOrders (GET /orders)"


def test_a_missing_or_broken_document_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioInputError, match="does not exist"):
        check(exchange(), tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n")
    with pytest.raises(ScenarioInputError, match=r"broken\.yaml is not valid"):
        check(exchange(), broken)


def test_a_service_without_a_document_names_the_config_key() -> None:
    error = contracts.no_contract("orders")
    assert "services.orders.openapi" in str(error)


SCHEMA = {
    "type": "object",
    "required": ["id", "tags"],
    "properties": {
        "id": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "email": {"type": "string", "format": "email"},
    },
}


def test_json_schema_violations_name_path_and_rule() -> None:
    assert contracts.schema_violations(SCHEMA, {"id": 1, "tags": []}, "s.json") == []
    found = contracts.schema_violations(SCHEMA, {"id": "1", "tags": ["a", 2]}, "s.json")
    assert found == [
        "$.id: '1' is not of type 'integer' (rule: properties.id.type)",
        "$.tags[1]: 2 is not of type 'string' (rule: properties.tags.items.type)",
    ]
    assert contracts.schema_violations(SCHEMA, {"tags": []}, "s.json") == [
        "$: 'id' is a required property (rule: required)"
    ]


def test_an_invalid_schema_is_an_input_error_naming_the_file() -> None:
    with pytest.raises(ScenarioInputError, match=r"schemas/x\.json is not a valid JSON schema"):
        contracts.schema_violations({"type": "integr"}, 1, "schemas/x.json")


def test_violations_are_described_together() -> None:
    text = contracts.describe("the response breaks the JSON schema s.json", ["$.a: x", "$.b: y"])
    assert (
        text == "the response breaks the JSON schema s.json: 2 violations\n  - $.a: x\n  - $.b: y"
    )
