"""Stand-ins without a server: which answer serves a request, what a stand-in received
checked against expectations, unmatched requests and their closest answer, answers
checked against the replaced service's contract, the config that declares them and
the placeholder that points a per-worker service at one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock import contracts
from interlock.config import load_config
from interlock.environment.runtime import Runtime
from interlock.environment.stack import resolve_placeholders
from interlock.errors import ConfigError
from interlock.masking import MASK, Masker
from interlock.standin_checks import check_received, closest, contract_report, unmatched_report
from interlock.standins import Answer, Received, Traffic
from tests.unit.test_config import DEFAULT, make_project

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "demo" / "openapi" / "inventory.yaml"
JSON = {"Content-Type": "application/json"}
REFUSED = Answer("POST", "/reservations", 409, b'{"error": "insufficient_stock"}', JSON)


def received(
    method: str, target: str, body: object = None, answer: Answer | None = REFUSED
) -> Received:
    raw = json.dumps(body).encode() if body is not None else b""
    status = answer.status if answer else 501
    return Received(
        method, target, {"Content-Type": "application/json"}, raw, answer, status, "answered"
    )


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # documents are named relative to the working folder


# -- which answer serves a request ---------------------------------------------------------


def test_an_answer_serves_its_method_and_path_whatever_the_query() -> None:
    assert REFUSED.serves("POST", "/reservations")
    assert REFUSED.serves("POST", "/reservations?trace=1")
    assert not REFUSED.serves("GET", "/reservations")
    assert not REFUSED.serves("POST", "/reservations/7")


def test_an_answer_for_a_query_serves_only_that_query() -> None:
    answer = Answer("GET", "/products?sku=A", 200)
    assert answer.serves("GET", "/products?sku=A")
    assert not answer.serves("GET", "/products?sku=B")
    assert not answer.serves("GET", "/products")


def test_a_path_template_serves_any_one_segment() -> None:
    release = Answer("DELETE", "/reservations/{id}", 200)
    assert release.serves("DELETE", "/reservations/7")
    assert release.serves("DELETE", "/reservations/7?force=1")
    assert not release.serves("DELETE", "/reservations/7/items")
    assert not release.serves("DELETE", "/reservations/")
    assert not release.serves("DELETE", "/reservations")


def test_received_requests_are_counted_by_path_template() -> None:
    traffic = Traffic(
        [received("DELETE", "/reservations/7"), received("DELETE", "/reservations/8")], []
    )
    check_received("inventory", traffic, "DELETE", "/reservations/{id}", 2)
    check_received("inventory", traffic, "DELETE", "/reservations/7", 1)


# -- what it received ----------------------------------------------------------------------

ORDER_REF = {"sku": "LAMP-1", "quantity": 2, "order_ref": "#regex ORD-[0-9A-F]{10}"}


def test_received_requests_are_counted_by_method_and_path() -> None:
    traffic = Traffic([received("POST", "/reservations"), received("GET", "/health")], [REFUSED])
    check_received("inventory", traffic, "POST", "/reservations", 1)
    check_received("inventory", traffic, "DELETE", "/reservations", 0)
    with pytest.raises(AssertionError, match="to have received 2 POST requests to /reservations"):
        check_received("inventory", traffic, "POST", "/reservations", 2)


def test_request_bodies_are_matched_with_markers() -> None:
    body = {"sku": "LAMP-1", "quantity": 2, "order_ref": "ORD-0123456789"}
    traffic = Traffic([received("POST", "/reservations", body)], [REFUSED])
    check_received("inventory", traffic, "POST", "/reservations", 1, ORDER_REF)


def test_a_failed_expectation_lists_every_request_with_each_mismatch() -> None:
    wrong = {"sku": "LAMP-1", "quantity": 3, "order_ref": "nope", "extra": True}
    traffic = Traffic([received("POST", "/reservations", wrong), received("GET", "/health")], [])
    with pytest.raises(AssertionError) as failure:
        check_received("inventory", traffic, "POST", "/reservations", 1, ORDER_REF)
    message = str(failure.value)
    assert "with that JSON, but it received 0" in message
    assert "all it received in this scenario (2 requests)" in message
    assert '- POST /reservations {"sku": "LAMP-1", "quantity": 3' in message
    assert "$.quantity: expected 2, got 3" in message
    assert "$.order_ref: expected a string matching /ORD-[0-9A-F]{10}/" in message
    assert "$.extra: unexpected key" in message
    assert "- GET /health -> 409" in message


def test_a_request_without_a_json_body_does_not_match_expected_json() -> None:
    traffic = Traffic([received("POST", "/reservations")], [REFUSED])
    with pytest.raises(AssertionError, match=r'\$: expected \{"sku": "A"\}, but it is absent'):
        check_received("inventory", traffic, "POST", "/reservations", 1, {"sku": "A"})


# -- requests no answer matched ------------------------------------------------------------

LISTING = Answer("GET", "/products", 200, source="shop.feature:9")
RESERVING = Answer("POST", "/reservations", 201, source="shop.feature:12")


def test_the_closest_answer_is_the_most_alike_by_method_and_path() -> None:
    wrong_path = received("POST", "/reservation", answer=None)
    assert closest(wrong_path, [LISTING, RESERVING]) is RESERVING
    assert closest(received("GET", "/product", answer=None), [LISTING, RESERVING]) is LISTING
    assert closest(wrong_path, []) is None


def test_an_unmatched_request_is_reported_once_with_the_closest_answer() -> None:
    traffic = Traffic(
        [received("POST", "/reservation", {"sku": "A"}, answer=None)], [LISTING, RESERVING]
    )
    report = unmatched_report("inventory", traffic)
    assert "received 1 request that no configured answer matches (it answered 501)" in report
    assert (
        '- POST /reservation {"sku": "A"} -> 501; the closest configured answer:'
        " POST /reservations -> 201 (shop.feature:12)"
    ) in report
    assert unmatched_report("inventory", traffic) == ""


def test_an_unmatched_request_without_any_answer_says_so() -> None:
    traffic = Traffic([received("GET", "/x", answer=None)], [])
    assert "none: the stand-in has no answer configured" in unmatched_report("inventory", traffic)


def test_a_failed_check_names_unmatched_requests_so_they_are_not_reported_again() -> None:
    traffic = Traffic([received("POST", "/reservation", answer=None)], [RESERVING])
    with pytest.raises(AssertionError, match="closest configured answer: POST /reservations"):
        check_received("inventory", traffic, "POST", "/reservations", 1)
    assert unmatched_report("inventory", traffic) == ""


def test_no_unmatched_request_no_report() -> None:
    assert unmatched_report("inventory", Traffic([received("POST", "/reservations")], [])) == ""


# -- the evidence --------------------------------------------------------------------------


def test_evidence_shows_request_and_answer_with_credentials_masked() -> None:
    record = received("POST", "/reservations", {"sku": "s3cret-sku"})
    record.headers["Authorization"] = "Bearer tok-123"
    title, text = record.evidence("inventory", "http://127.0.0.1:1", Masker(["s3cret-sku"]))
    assert title == "stand-in inventory: POST /reservations -> 409"
    assert f"Authorization: Bearer {MASK}" in text
    assert "tok-123" not in text and "s3cret-sku" not in text
    assert "answer: POST /reservations -> 409" in text
    assert "outcome: answered" in text
    assert '{"error": "insufficient_stock"}' in text


# -- answers against the contract ----------------------------------------------------------


def check(
    status: int,
    body: object = None,
    headers: dict[str, str] | None = None,
    path: str = "/reservations",
) -> list[str]:
    raw = json.dumps(body).encode() if body is not None else b""
    given = {**(JSON if body is not None else {}), **(headers or {})}
    return contracts.check_answer(INVENTORY, "POST", path, status, given, raw).violations


def test_a_documented_answer_is_accepted() -> None:
    assert check(409, {"error": "insufficient_stock", "message": "only 1 left"}) == []


def test_a_body_the_contract_forbids_is_refused_with_the_rule() -> None:
    violations = check(409, {"error": "out_of_stock", "message": "only 1 left"})
    assert violations == [
        "body.error: 'out_of_stock' is not one of ['insufficient_stock']"
        " (rule: allOf.1.properties.error.enum)"
    ]


def test_an_undocumented_status_is_refused_naming_the_documented_ones() -> None:
    assert check(500, {"error": "internal_error", "message": "x"}) == [
        "status 500 is not documented for it (documented: 201, 400, 401, 404, 409, 503)"
    ]


def test_an_answer_without_the_body_the_contract_documents_is_refused() -> None:
    assert check(503) == ["body: empty, but the contract documents one"]


def test_a_required_header_must_be_given() -> None:
    reservation = {"id": 7, "sku": "A", "quantity": 1, "order_ref": "R", "status": "RESERVED"}
    assert check(201, reservation) == ["header Location: required, but missing"]
    assert check(201, reservation, {"Location": "/reservations/7"}) == []


def test_an_operation_the_contract_lacks_is_refused_listing_the_operations() -> None:
    [violation] = check(200, {}, path="/reservationz")
    assert "describes no operation POST /reservationz" in violation
    assert "POST /reservations" in violation


# -- requests the system under test sends, against the contract --------------------------

TOKEN = {"Authorization": "Bearer t", **JSON}
RESERVATION = {"sku": "A", "quantity": 2, "order_ref": "ORD-1"}


def check_request(
    method: str, target: str, body: object = None, headers: dict[str, str] | None = None
) -> list[str]:
    raw = json.dumps(body).encode() if body is not None else b""
    given = TOKEN if headers is None else headers
    return contracts.check_request(INVENTORY, method, target, given, raw).violations


def test_a_request_the_contract_allows_has_no_violation() -> None:
    assert check_request("POST", "/reservations", RESERVATION) == []
    assert check_request("DELETE", "/reservations/12", headers={"Authorization": "Bearer t"}) == []


def test_a_request_body_is_checked_rule_by_rule() -> None:
    assert check_request("POST", "/reservations", {"sku": "A", "quantity": "two"}) == [
        "body: 'order_ref' is a required property (rule: required)",
        "body.quantity: 'two' is not of type 'integer' (rule: properties.quantity.type)",
    ]


def test_missing_credentials_name_the_ones_the_operation_accepts() -> None:
    assert check_request("POST", "/reservations", RESERVATION, headers=JSON) == [
        "credentials: none that the operation accepts (it accepts bearerAuth)"
    ]


def test_a_missing_body_and_a_bad_path_parameter_are_violations() -> None:
    assert check_request("POST", "/reservations") == [
        "body: missing, but the operation requires one"
    ]
    [violation] = check_request("DELETE", "/reservations/abc")
    assert violation.startswith("path parameter id: ")


def test_a_request_to_an_operation_the_contract_lacks_lists_the_operations() -> None:
    [violation] = check_request("PUT", "/nowhere")
    assert "describes no operation PUT /nowhere" in violation
    assert "POST /reservations" in violation


SMALL_API = """
openapi: 3.0.3
info: {title: small, version: "1"}
paths:
  /items/{name}:
    get:
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: "^[a-z ]+$"}}
        - {name: q, in: query, required: true, allowEmptyValue: true, schema: {type: string}}
        - {name: sess, in: cookie, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
"""


@pytest.mark.filterwarnings("ignore:Use of allowEmptyValue:DeprecationWarning")
def test_a_request_is_read_as_a_server_reads_it(tmp_path: Path) -> None:
    document = tmp_path / "small.yaml"
    document.write_text(SMALL_API)

    def violations(target: str, headers: dict[str, str]) -> list[str]:
        return contracts.check_request(document, "GET", target, headers, b"").violations

    # The path decoded, a blank query value present, the cookie from its header.
    assert violations("/items/a%20b?q=", {"Cookie": "sess=abc; other=1"}) == []
    [missing] = violations("/items/ab?q=x", {})
    assert missing == "cookie parameter sess: required, but missing"
    [bad] = violations("/items/A1?q=x", {"Cookie": "sess=abc"})
    assert bad.startswith("path parameter name: ")


def test_answered_requests_outside_the_contract_fail_the_scenario_unless_allowed() -> None:
    bad = received("POST", "/reservations", {"sku": "A"})
    bad.violations = ["body: 'quantity' is a required property (rule: required)"]
    good = received("POST", "/reservations", RESERVATION)
    report = contract_report("inventory", Traffic([good, bad], [REFUSED]))
    assert report.splitlines() == [
        "the system under test sent the stand-in for 'inventory' 1 request its API contract"
        " does not allow (the real service could refuse or misread them):",
        '  - POST /reservations {"sku": "A"}',
        "      body: 'quantity' is a required property (rule: required)",
    ]
    bad.allowed = True
    assert contract_report("inventory", Traffic([good, bad], [REFUSED])) == ""


def test_an_unmatched_request_is_reported_as_unmatched_only() -> None:
    stray = received("PUT", "/nowhere", answer=None)
    stray.violations = ["the API contract describes no operation PUT /nowhere"]
    assert contract_report("inventory", Traffic([stray], [])) == ""
    assert unmatched_report("inventory", Traffic([stray], []))


# -- config --------------------------------------------------------------------------------

ISOLATED = (
    DEFAULT
    + """
  orders_isolated:
    per_worker: true
    command: ["{python}", "-m", "x", "--port", "{port}"]
    env: {ORDERS_URL: "{standins.orders.url}"}
standins:
  orders: {}
"""
)


def test_a_stand_in_checks_against_its_service_contract_by_default(tmp_path: Path) -> None:
    local = "services: {orders: {openapi: api/orders.yaml}}\n"
    root = make_project(tmp_path, ISOLATED, local=local)
    config = load_config(root, environ={})
    assert config.standins["orders"].contract == root / "api" / "orders.yaml"
    assert config.standins["orders"].unmatched_status == 501
    assert [s.name for s in config.shared_services] == ["orders"]
    assert config.services["orders_isolated"].standins_used() == ["orders"]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "standins: {billing: {}}",
            "standins.billing replaces a service, but no service 'billing'",
        ),
        ("standins: {orders: {unmatched_status: 99}}", "must be an HTTP status (100-599), not 99"),
        (
            "services: {orders: {env: {X: '{standins.orders.url}'}}}",
            "services.orders uses {standins.orders.url}, but stand-ins live inside each worker",
        ),
        (
            "services: {orders_isolated: {env: {Y: '{standins.billing.url}'}}}",
            "standins.billing is not configured; configured: orders",
        ),
        ("services: {orders_isolated: {command: []}}", "is per_worker but has no command"),
        ("services: {orders_isolated: {url: 'http://h'}}", "is per_worker, so each worker gets"),
    ],
)
def test_inconsistent_stand_in_config_is_named(tmp_path: Path, extra: str, problem: str) -> None:
    root = make_project(tmp_path, ISOLATED, local=extra + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    assert problem in str(error.value)


def test_the_stand_in_placeholder_is_filled_only_where_stand_ins_run(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path, ISOLATED), environ={})
    runtime = Runtime(env="local", owner_pid=1)
    text = "{standins.orders.url}/x"
    urls = {"orders": "http://127.0.0.1:5"}
    assert resolve_placeholders(text, config, runtime, "k", standins=urls) == "http://127.0.0.1:5/x"
    with pytest.raises(ConfigError, match="only a service with per_worker: true"):
        resolve_placeholders(text, config, runtime, "services.x.env.Y")
