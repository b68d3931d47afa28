"""Secret masking and JMESPath field lookup."""

from __future__ import annotations

import pytest

from interlock.errors import ScenarioInputError
from interlock.fields import FieldNotFound, find
from interlock.masking import MASK, Masker


def test_every_secret_is_masked_longest_first() -> None:
    masker = Masker(["abc123", "abc123-long", "xy"])
    assert masker.mask("t=abc123-long u=abc123") == f"t={MASK} u={MASK}"
    assert masker.mask("xy stays: too short to mask safely") == "xy stays: too short to mask safely"


def test_credentials_headers_are_masked_whatever_their_value() -> None:
    masker = Masker()
    assert masker.header("Authorization", "Bearer anything") == f"Bearer {MASK}"
    assert masker.header("Accept", "application/json") == "application/json"


def test_fields_are_found_by_jmespath() -> None:
    body = {"items": [{"sku": "A"}, {"sku": "B"}], "n": None}
    assert find(body, "items[1].sku") == "B"
    assert find(body, "n") is None
    assert find(body, "items[?sku=='A'] | [0].sku") == "A"


def test_a_broken_path_says_what_exists_where_it_stopped() -> None:
    body = {"customer": {"name": "Ana", "email": "a@x"}, "items": [1]}
    with pytest.raises(FieldNotFound, match="customer has no 'nmae'; it has: email, name"):
        find(body, "customer.nmae")
    with pytest.raises(FieldNotFound, match=r"items has 1 items"):
        find(body, "items[3]")


def test_an_invalid_expression_is_an_input_error() -> None:
    with pytest.raises(ScenarioInputError, match="not a valid JMESPath"):
        find({}, "items[?")


@pytest.mark.parametrize("name", ["X-Api-Key", "api-key", "Cookie", "Set-Cookie", "X-Auth-Token"])
def test_api_key_and_cookie_headers_are_masked_by_name(name: str) -> None:
    assert Masker().header(name, "k-123456") == MASK


def test_fetched_tokens_are_masked_once_added() -> None:
    masker = Masker(["configured-secret"])
    masker.add("fetched-token-42")
    assert masker.mask("a fetched-token-42 b configured-secret") == f"a {MASK} b {MASK}"


def test_a_jmespath_projection_is_a_field_too() -> None:
    body = {"items": [{"q": 2}, {"q": 1}]}
    assert find(body, "items[*].q") == [2, 1]
    assert find(body, "length(items)") == 2
