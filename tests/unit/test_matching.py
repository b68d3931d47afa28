"""The matching engine: exact, contains, markers, numbers, every mismatch with its path."""

from __future__ import annotations

import pytest

from interlock.errors import ScenarioInputError
from interlock.matching import contains, match, parse_json


def paths(mismatches: list) -> list[str]:
    return [m.path for m in mismatches]


def test_equal_documents_match() -> None:
    assert match({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}) == []


def test_numbers_compare_by_value_but_types_are_strict() -> None:
    assert match({"n": 1}, {"n": 1.0}) == []
    assert paths(match({"n": True}, {"n": 1})) == ["$.n"]
    assert paths(match({"n": 1}, {"n": "1"})) == ["$.n"]


def test_every_mismatch_is_listed_with_path_expected_and_actual() -> None:
    found = match({"a": 1, "b": {"c": "x"}, "d": [1, 2]}, {"a": 2, "b": {"c": "y"}, "d": [1, 3]})
    assert paths(found) == ["$.a", "$.b.c", "$.d[1]"]
    assert found[1].expected == "x" and found[1].actual == "y"
    assert 'expected "x", got "y"' in str(found[1])


def test_unexpected_and_missing_keys_fail_a_match() -> None:
    found = match({"a": 1, "b": 2}, {"a": 1, "c": 3})
    assert sorted(str(m) for m in found) == [
        "$.b: expected 2, but it is absent",
        "$.c: unexpected key, with value 3",
    ]


def test_arrays_match_in_order_and_length() -> None:
    assert paths(match([1, 2], [2, 1])) == ["$[0]", "$[1]"]
    assert "expected 2 items, got 3" in str(match([1, 2], [1, 2, 3])[0])


def test_contains_accepts_extra_keys_at_any_depth_and_items_in_any_order() -> None:
    actual = {"a": 1, "items": [{"sku": "B", "n": 2}, {"sku": "A", "n": 1}], "x": {"y": 1, "z": 2}}
    assert contains({"items": [{"sku": "A"}, {"sku": "B"}], "x": {"z": 2}}, actual) == []
    assert paths(contains({"items": [{"sku": "C"}]}, actual)) == ["$.items[0]"]


def test_contains_does_not_use_one_actual_item_twice() -> None:
    assert paths(contains([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 2}])) == ["$[1]"]


@pytest.mark.parametrize(
    ("marker", "good", "bad"),
    [
        ("#string", "x", 1),
        ("#number", 1.5, "1"),
        ("#integer", 3, 3.5),
        ("#boolean", False, 0),
        ("#array", [], {}),
        ("#object", {}, []),
        ("#null", None, 0),
        ("#notnull", 0, None),
        ("#uuid", "7f9c24e8-3b12-4f6a-9d3e-1a2b3c4d5e6f", "nope"),
        ("#date", "2026-11-27", "2026-13-01"),
        ("#datetime", "2026-11-27T10:00:00Z", "2026-11-27"),
        ("#email", "ana@example.com", "ana@"),
        ("#regex ORD-[0-9]{3}", "ORD-123", "ORD-12"),
    ],
)
def test_markers(marker: str, good: object, bad: object) -> None:
    assert match({"v": marker}, {"v": good}) == []
    assert paths(match({"v": marker}, {"v": bad})) == ["$.v"]


def test_present_ignore_and_optional_markers_on_absent_keys() -> None:
    assert match({"a": "#ignore"}, {}) == []
    assert match({"a": "##string"}, {}) == []
    assert match({"a": "##string"}, {"a": None}) == []
    assert paths(match({"a": "##string"}, {"a": 1})) == ["$.a"]
    assert paths(match({"a": "#present"}, {})) == ["$.a"]
    assert match({"a": "#present"}, {"a": None}) == []


def test_escaped_hash_is_a_literal_string() -> None:
    assert match({"tag": "\\#hashtag"}, {"tag": "#hashtag"}) == []
    assert paths(match({"tag": "\\#hashtag"}, {"tag": "hashtag"})) == ["$.tag"]


def test_unknown_marker_is_an_input_error_with_the_known_ones() -> None:
    with pytest.raises(ScenarioInputError, match="unknown match marker '#strnig'"):
        match({"a": "#strnig"}, {"a": "x"})


def test_bad_json_shows_where_it_broke() -> None:
    with pytest.raises(ScenarioInputError) as error:
        parse_json('{"a": 1,\n "b": }', "the body")
    assert "line 2, column 7" in str(error.value)
