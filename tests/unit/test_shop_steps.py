"""The demo's domain steps: a storefront phrase never falls into an API step."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.lint import StepLibrary

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matchers() -> list:
    return StepLibrary.load(REPO / "steps").matchers


def _matching(matchers: list, text: str) -> list[str]:
    return [m.pattern for m in matchers if m.match(text)]


def test_an_order_in_the_storefront_is_not_read_as_an_order_through_the_api(
    matchers: list,
) -> None:
    # The API step's product once matched lazily: "desk lamps in the storefront" was read
    # as a product, so a storefront scenario could run through the API without a browser.
    assert _matching(matchers, "Ana orders 2 desk lamps in the storefront") == []
    assert _matching(matchers, "Ana orders 2 desk lamps") == [
        "{customer:Customer} orders {count:Int} {product:Product}"
    ]
    assert _matching(matchers, "Ana places an order for 2 desk lamps in the storefront") == [
        "{customer:Customer} places an order for {count:Int} {product:Product} in the storefront"
    ]
