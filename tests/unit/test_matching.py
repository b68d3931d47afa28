"""The matching engine: exact, contains, markers, numbers, every mismatch with its path."""

from __future__ import annotations

import pytest

from interlock.errors import ScenarioInputError
from interlock.matching import contains, describe, each_item, match, parse_json


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


# -- the messages, pinned: a user reads these, so they change only on purpose -----------


def messages(mismatches: list) -> list[str]:
    return [str(m) for m in mismatches]


@pytest.mark.parametrize(
    ("marker", "actual", "message"),
    [
        ("#string", 1, "$.v: expected a string, got 1"),
        ("#number", "1", '$.v: expected a number, got "1"'),
        ("#integer", 3.5, "$.v: expected a whole number, got 3.5"),
        ("#boolean", 0, "$.v: expected true or false, got 0"),
        ("#array", {}, "$.v: expected an array, got {}"),
        ("#object", [], "$.v: expected an object, got []"),
        ("#null", 0, "$.v: expected null, got 0"),
        ("#notnull", None, "$.v: expected any value but null, got null"),
        ("#uuid", "nope", '$.v: expected a UUID, got "nope"'),
        ("#date", "2026-13-01", '$.v: expected a date (YYYY-MM-DD), got "2026-13-01"'),
        ("#datetime", "2026-11-27", '$.v: expected a date and time (ISO 8601), got "2026-11-27"'),
        ("#email", "ana@", '$.v: expected an email address, got "ana@"'),
        (
            "#regex ORD-[0-9]{3}",
            "ORD-12",
            '$.v: expected a string matching /ORD-[0-9]{3}/, got "ORD-12"',
        ),
        ("#regex [a-z]+", 5, "$.v: expected a string matching /[a-z]+/, got 5"),
        ("##string", 1, "$.v: expected a string (or null, or absent), got 1"),
        (
            "##regex [a-z]+",
            "ABC",
            '$.v: expected a string matching /[a-z]+/ (or null, or absent), got "ABC"',
        ),
    ],
)
def test_each_marker_says_what_it_expected_and_what_came(
    marker: str, actual: object, message: str
) -> None:
    assert messages(match({"v": marker}, {"v": actual})) == [message]


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("#string", "$.v: expected a string, but it is absent"),
        ("#present", "$.v: expected present (any value), but it is absent"),
        ("#notnull", "$.v: expected any value but null, but it is absent"),
        ("#regex x+", "$.v: expected a string matching /x+/, but it is absent"),
    ],
)
def test_markers_on_an_absent_key_say_it_is_absent(marker: str, message: str) -> None:
    assert messages(match({"v": marker}, {})) == [message]


def test_optional_markers_accept_absent_and_null_and_check_anything_else() -> None:
    for marker in ("##string", "##integer", "##uuid", "##regex ^A", "##object"):
        assert match({"v": marker}, {}) == []
        assert match({"v": marker}, {"v": None}) == []
    assert match({"v": "##regex ^A.*"}, {"v": "Abc"}) == []
    assert match({"v": "##integer"}, {"v": 4}) == []


@pytest.mark.parametrize(
    ("expected", "actual", "lines"),
    [
        ({"a": 1}, {"a": 2}, ["$.a: expected 1, got 2"]),
        ({"a": "x"}, {"a": "y"}, ['$.a: expected "x", got "y"']),
        ({"a": True}, {"a": 1}, ["$.a: expected true, got 1"]),
        ({"a": 1}, {"a": "1"}, ['$.a: expected 1, got "1"']),
        ({"a": None}, {"a": 0}, ["$.a: expected null, got 0"]),
        ({"a": 1}, {}, ["$.a: expected 1, but it is absent"]),
        ({}, {"b": [1]}, ["$.b: unexpected key, with value [1]"]),
        ({"a": {"b": 1}}, {"a": 3}, ["$.a: expected an object, got 3"]),
        ({"a": [1]}, {"a": "x"}, ['$.a: expected an array, got "x"']),
        ([1, 2], [1], ["$: expected 2 items, got 1"]),
        ({"odd key": 1}, {"odd key": 2}, ['$["odd key"]: expected 1, got 2']),
        ({"a": "\\#tag"}, {"a": "tag"}, ['$.a: expected "#tag", got "tag"']),
    ],
)
def test_each_mismatch_kind_has_its_message(expected: object, actual: object, lines: list) -> None:
    assert messages(match(expected, actual)) == lines


def test_contains_names_the_item_it_could_not_find() -> None:
    found = contains({"items": [{"sku": "C"}]}, {"items": [{"sku": "A"}, {"sku": "B"}]})
    assert messages(found) == ['$.items[0]: no item matches {"sku": "C"} among 2 items']


def test_a_failure_lists_every_mismatch_under_one_title() -> None:
    text = describe(match({"a": 1, "b": 2}, {"a": 2, "b": 3}), "the response does not match")
    assert text == (
        "the response does not match: 2 mismatches\n"
        "  - $.a: expected 1, got 2\n"
        "  - $.b: expected 2, got 3"
    )
    one = describe(match({"a": 1}, {"a": 2}), "field 'a'")
    assert one.startswith("field 'a': 1 mismatch\n")


def test_each_item_is_matched_whole_and_every_mismatch_named_by_index() -> None:
    items = [{"sku": "A", "n": 1}, {"sku": 2, "n": 1}, {"sku": "C"}]
    found = each_item({"sku": "#string", "n": "#integer"}, items, "items")
    assert messages(found) == [
        "items[1].sku: expected a string, got 2",
        "items[2].n: expected a whole number, but it is absent",
    ]
    assert each_item({"sku": "#string"}, [{"sku": "A"}], "items") == []
    assert messages(each_item("#string", ["a", 1], "tags")) == ["tags[1]: expected a string, got 1"]


def test_each_item_needs_a_non_empty_array() -> None:
    assert messages(each_item({}, {"a": 1}, "items")) == ['items: expected an array, got {"a": 1}']
    assert messages(each_item({}, [], "items")) == [
        "items: expected items to check, got an empty array"
    ]


def test_unknown_markers_list_the_known_ones_and_the_escape() -> None:
    with pytest.raises(ScenarioInputError) as error:
        match({"a": "#strnig"}, {"a": "x"})
    text = str(error.value)
    assert "#string" in text and "#regex <pattern>" in text and "##marker" in text
    assert "\\#strnig for a literal text" in text


def test_a_regex_marker_needs_a_valid_pattern() -> None:
    with pytest.raises(ScenarioInputError, match="needs a pattern"):
        match({"a": "#regex"}, {"a": "x"})
    with pytest.raises(ScenarioInputError, match="bad regular expression"):
        match({"a": "#regex [a-"}, {"a": "x"})


def test_bad_json_in_a_users_file_is_shown_at_its_line_there() -> None:
    with pytest.raises(ScenarioInputError) as error:
        parse_json('{"a": 1,\n "b": }', "the JSON body", "features/x.feature", 12)
    text = str(error.value)
    assert "the JSON body is not valid JSON: Expecting value at features/x.feature:13:" in text
    assert '\n     "b": }\n          ^' in text
