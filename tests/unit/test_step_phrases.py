"""Every documented phrase resolves to exactly one step definition."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from behave.step_registry import registry

REPO = Path(__file__).resolve().parents[2]

PHRASES = [
    'the variable "name" is "value"',
    'the "orders" service',
    'the request header "X-Trace" is "abc"',
    "the request has no credentials",
    'I send a GET request to "/orders"',
    'I send a POST request to "/orders" with JSON:',
    'I send a DELETE request to "/reservations/${id}"',
    "the response status should be 201",
    'the response field "items[0].sku" should be "LAMP-01"',
    'the response field "id" should be "#integer"',
    "the response should match:",
    "the response should contain:",
    'I save the response field "id" as "order_id"',
    'the "orders" service should be reachable',
    'the "shop" database',
    'the table "orders" should contain:',
    'the table "orders" should not contain:',
    'the table "orders" should have 3 rows',
    'the table "orders" should have 1 row',
    'the table "orders" should have 1 row where "status" is "PAID"',
    'the table "orders" should have 0 rows where "customer" is "ana"',
    'within 5 seconds the table "notifications" should contain:',
    'the query "SELECT id FROM orders WHERE ref = ${ref}" should return:',
    'the "shop" database should be reachable',
]


@pytest.fixture(scope="module")
def matchers() -> list:
    for path in sorted((REPO / "steps").glob("*.py")):
        runpy.run_path(str(path))
    return [m for group in registry.steps.values() for m in group]


@pytest.mark.parametrize("phrase", PHRASES)
def test_phrase_resolves_to_exactly_one_step(matchers: list, phrase: str) -> None:
    found = [m for m in matchers if m.match(phrase)]
    assert len(found) == 1, [m.pattern for m in found]
