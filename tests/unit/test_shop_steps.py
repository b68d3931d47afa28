"""The demo's domain steps: a storefront phrase never falls into an API step."""

from __future__ import annotations

from pathlib import Path

import pytest
from behave.matchers import MatchWithError

from interlock.lint import StepLibrary

REPO = Path(__file__).resolve().parents[2]
API_ORDER = "{customer:Customer} orders {count:Int} {product:Product}"


@pytest.fixture(scope="module")
def matchers() -> list:
    return StepLibrary.load(REPO / "steps").matchers


def _matching(matchers: list, text: str) -> dict[str, object]:
    return {m.pattern: m.match(text) for m in matchers if m.match(text)}


def test_an_order_in_the_storefront_is_never_run_as_an_order_through_the_api(
    matchers: list,
) -> None:
    # The API step's product is matched lazily, so "desk lamps in the storefront" reaches
    # its converter: which refuses it (not a product of the catalogue), so lint names it and
    # the run breaks the step. It never passes through the API without a browser.
    found = _matching(matchers, "Ana orders 2 desk lamps in the storefront")
    assert list(found) == [API_ORDER]
    assert isinstance(found[API_ORDER], MatchWithError)
    assert "'desk lamps in the storefront' is not a product" in str(found[API_ORDER].stored_error)
    plain = _matching(matchers, "Ana orders 2 desk lamps")
    assert list(plain) == [API_ORDER] and not isinstance(plain[API_ORDER], MatchWithError)
    storefront = _matching(matchers, "Ana places an order for 2 desk lamps in the storefront")
    assert list(storefront) == [
        "{customer:Customer} places an order for {count:Int} {product:Product} in the storefront"
    ]
    assert not isinstance(next(iter(storefront.values())), MatchWithError)
