"""Checks of the last exchange: each failure says what was expected, then shows the
exchange (no network: the exchange is built in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock import http_checks
from interlock.config import HttpSettings
from interlock.errors import ScenarioInputError
from interlock.http import HttpClient, ServiceTarget
from interlock.masking import Masker
from tests.unit.http_exchanges import exchange

SETTINGS = HttpSettings(connect_timeout=1, read_timeout=1, poll_interval=0.1, poll_timeout=1)


def client_with(**kwargs) -> HttpClient:
    client = HttpClient(SETTINGS, {}, Masker())
    client.last = exchange(**kwargs)
    return client


def failure(check, *args) -> str:
    with pytest.raises(AssertionError) as error:
        check(*args)
    return str(error.value)


def test_every_check_needs_a_request_first() -> None:
    with pytest.raises(ScenarioInputError, match="no request has been sent yet"):
        http_checks.status_is(HttpClient(SETTINGS, {}, Masker()), 200)


def test_status() -> None:
    client = client_with(status=404, body={"error": "x"})
    http_checks.status_is(client, 404)
    text = failure(http_checks.status_is, client, 200)
    assert text.startswith(
        "expected status 200, got 404\nrequest:  GET http://127.0.0.1:9/orders/5"
    )
    assert "reproduce: curl" in text


def test_content_type_compares_media_types_only() -> None:
    client = client_with(body={}, content_type="application/json; charset=utf-8")
    http_checks.header_is(client, "content-type", "application/json")
    http_checks.header_is(client, "Content-Type", "Application/JSON; charset=latin-1")
    text = failure(http_checks.header_is, client, "Content-Type", "text/html")
    assert text.startswith(
        "response header 'Content-Type': expected the media type 'text/html',"
        " got 'application/json; charset=utf-8'"
    )


def test_other_headers_compare_whole_or_by_marker_or_by_part() -> None:
    client = client_with(body={}, headers={"Location": "/orders/5"})
    http_checks.header_is(client, "Location", "/orders/5")
    http_checks.header_is(client, "location", "#regex /orders/[0-9]+")
    http_checks.header_contains(client, "Location", "/orders/")
    assert failure(http_checks.header_is, client, "Location", "/orders/6").startswith(
        "response header 'Location': expected '/orders/6', got '/orders/5'"
    )
    assert failure(http_checks.header_is, client, "Location", "#regex /x").startswith(
        "response header 'Location': expected a string matching //x/, got \"/orders/5\""
    )
    assert failure(http_checks.header_contains, client, "Location", "/products/").startswith(
        "response header 'Location': expected it to contain '/products/', got '/orders/5'"
    )


def test_a_missing_header_lists_the_ones_there() -> None:
    client = client_with(body={}, headers={"Location": "/orders/5"})
    text = failure(http_checks.header_value, client, "Etag")
    assert text.startswith("the response has no header 'Etag'; it has: Content-Type, Location")


def test_fields_bodies_and_items() -> None:
    client = client_with(body={"items": [{"n": 1}, {"n": "2"}], "total": 3})
    http_checks.field_is(client, "total", 3.0)
    http_checks.body_contains(client, {"items": [{"n": 1}]})
    assert failure(http_checks.field_is, client, "totl", 3).startswith(
        "response field 'totl' not found: the body has no 'totl'; it has: items, total"
    )
    assert failure(http_checks.body_matches, client, {"total": 3}).startswith(
        "the response does not match: 1 mismatch\n  - $.items: unexpected key"
    )
    text = failure(http_checks.each_item_matches, client, "items", {"n": "#integer"})
    assert text.startswith(
        "the items of 'items' do not match: 1 mismatch\n"
        '  - items[1].n: expected a whole number, got "2"\n'
        "request:  GET"
    )


def test_response_time() -> None:
    client = client_with(body={})  # 12.3 ms
    http_checks.responded_within(client, 13)
    assert failure(http_checks.responded_within, client, 12).startswith(
        "the response took 12 ms, expected under 12 ms"
    )


def test_the_contract_is_the_one_of_the_service_the_request_went_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)
    orders = ServiceTarget(
        "orders", "http://127.0.0.1:9", {}, None, repo / "demo/openapi/orders.yaml"
    )
    bare = ServiceTarget("bare", "http://127.0.0.1:8", {}, None)
    client = client_with(status=404, body={"error": "unknown_order", "message": "no"})
    client.targets = {"orders": orders, "bare": bare}
    client.last_target = orders
    client.select("bare")  # selected after the request: the request's service still counts
    http_checks.conforms_to_contract(client)
    client.last_target = bare
    with pytest.raises(ScenarioInputError, match=r"set services\.bare\.openapi"):
        http_checks.conforms_to_contract(client)
    client.last_target = orders
    client.last = exchange(status=200, body={"id": 0})
    text = failure(http_checks.conforms_to_contract, client)
    assert text.startswith(
        "the response breaks the API contract demo/openapi/orders.yaml: operation"
        " getOrder (GET /orders/{id}), status 200: "
    )
    assert "- body.id: 0 is less than the minimum of 1 (rule: properties.id.minimum)" in text
