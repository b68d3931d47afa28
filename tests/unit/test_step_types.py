"""Parameter types that declare their values, and did-you-mean by shared words."""

from __future__ import annotations

import pytest

from interlock.lint import reads
from interlock.step_types import ParameterType, ParameterValueError
from interlock.suggest import closest

PRODUCTS = ["desk lamp", "mug", "oak desk"]


def product(text: str) -> str:
    if text.removesuffix("s") in PRODUCTS:
        return text.removesuffix("s")
    raise LookupError(text)


def declared(convert: object = product, values: object = lambda: PRODUCTS) -> ParameterType:
    return ParameterType(
        name="Product",
        pattern=r"[a-z ]+",
        kind="a product of the shop",
        noun="product",
        declared_in="steps/shop_steps.py",
        convert=convert,  # type: ignore[arg-type]
        _values=values,  # type: ignore[arg-type]
    )


def test_a_declared_type_converts_what_it_knows() -> None:
    assert declared()("desk lamps") == "desk lamp"


def test_a_refused_value_names_the_closest_and_all_known_values() -> None:
    with pytest.raises(ParameterValueError) as refused:
        declared()("desk lamsp")
    assert refused.value.message == (
        "'desk lamsp' is not a product; did you mean 'desk lamp'?"
        " Known products: desk lamp, mug, oak desk"
    )
    assert refused.value.hint == (
        "write one of them (the products are declared in steps/shop_steps.py)"
    )


def test_without_a_converter_a_value_must_be_one_of_the_values() -> None:
    reasons = declared(convert=None, values=["out of stock", "unknown product"])
    assert reasons("out of stock") == "out of stock"
    with pytest.raises(ParameterValueError, match=r"'sold out' is not a product\. Known products"):
        reasons("sold out")


def test_a_converter_defect_is_not_taken_for_a_refusal() -> None:
    """A TypeError is a bug of the step definition: lint names it as one."""

    def broken(text: str) -> str:
        return text + 1  # type: ignore[operator]

    with pytest.raises(TypeError):
        declared(convert=broken)("mug")


def test_a_long_list_of_values_is_cut_in_messages() -> None:
    many = [f"product {i:03}" for i in range(40)]
    with pytest.raises(ParameterValueError) as refused:
        declared(convert=None, values=many)("nothing alike")
    assert refused.value.message.endswith("product 011 ... (40 in all)")


def test_a_check_names_an_interface_lint_knows() -> None:
    @reads("API", "database")
    def check() -> None:
        """A check."""

    assert check._interlock_reads == ("API", "database")  # type: ignore[attr-defined]
    with pytest.raises(
        ValueError, match=r"'databse'\): not an interface .* did you mean 'database'"
    ):
        reads("databse")


PHRASES = [
    "the response status should be <status>",
    "<customer> orders <count> <product>",
    "the shop has <count> <product> left",
    "the shop has <count> <product> in stock",
    "<customer>'s order is confirmed",
    'the table "<table>" should have <count> rows',
]


@pytest.mark.parametrize(
    ("written", "first"),
    [
        ("the respons status should be 200", "the response status should be <status>"),
        ("Dora order 1 desk lamp", "<customer> orders <count> <product>"),
        ("Ana ordered 2 mugs", "<customer> orders <count> <product>"),
        ("the shop has 3 desk lamps remaining", "the shop has <count> <product> left"),
        ("the shop had 5 mugs in stok", "the shop has <count> <product> in stock"),
    ],
)
def test_phrases_are_ranked_by_the_words_they_share(written: str, first: str) -> None:
    assert closest(written, PHRASES)[0] == first


def test_nothing_alike_gets_no_suggestion() -> None:
    assert closest("the moon is made of cheese", PHRASES) == []
    assert closest("office chair", PRODUCTS) == []
