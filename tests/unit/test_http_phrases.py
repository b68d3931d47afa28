"""How HTTP step texts are read: which step a text resolves to, with which arguments,
and number slots that take a ${variable}."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.errors import ScenarioInputError
from interlock.lint import StepLibrary
from interlock.variables import Variables

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matchers() -> list:
    return StepLibrary.load(REPO / "steps").matchers


def resolve(matchers: list, text: str) -> tuple[str, dict]:
    found = [(m, m.match(text)) for m in matchers if m.match(text)]
    assert len(found) == 1, f"{text!r} matches {[m.pattern for m, _ in found]}"
    matcher, match = found[0]
    return matcher.func.__name__, {a.name: a.value for a in match.arguments}


def test_a_polling_step_with_a_limit_is_not_swallowed_by_the_shorter_one(matchers) -> None:
    name, args = resolve(
        matchers,
        'I send a GET request to "/x" until the response field "s" is "DONE" within 5 seconds',
    )
    assert name == "step_i_send_a_request_until"
    assert (args["expected"], args["seconds"]) == ('"DONE"', "5")
    _, args = resolve(matchers, 'I send a GET request to "/x" until the response field "s" is 1')
    assert args["expected"] == "1" and "seconds" not in args


def test_a_json_value_may_itself_mention_seconds(matchers) -> None:
    _, args = resolve(
        matchers,
        'I send a GET request to "/x" until the response field "s" is "done within 5 seconds"',
    )
    assert args["expected"] == '"done within 5 seconds"'
    _, args = resolve(
        matchers,
        'I send a GET request to "/x" until the response field "s" is {"a": [1, 2]}'
        " within 1 second",
    )
    assert (args["expected"], args["seconds"]) == ('{"a": [1, 2]}', "1")


@pytest.mark.parametrize(
    "text",
    [
        "the response status should be ${status}",
        "the response time should be under ${limit} ms",
        'I send a GET request to "/x" until the response field "s" is 1 within ${wait} seconds',
    ],
)
def test_number_slots_take_a_variable(matchers, text: str) -> None:
    resolve(matchers, text)


def test_variables_in_number_slots_must_hold_whole_numbers() -> None:
    variables = Variables()
    variables.set("status", 201)
    variables.set("word", "many")
    assert variables.whole_number("${status}", "the status") == 201
    assert variables.whole_number("404", "the status") == 404
    with pytest.raises(ScenarioInputError, match="the status must be a whole number, but"):
        variables.whole_number("${word}", "the status")


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("the response body should match:", "step_the_response_should_match"),
        ("the response should match", "step_the_response_should_match"),
        (
            'the response should match the JSON schema "s.json"',
            "step_the_response_should_match_the_json_schema",
        ),
        (
            'every item of the response field "items" should match:',
            "step_each_item_of_the_response_field_should_match",
        ),
        ("the request uses no credentials", "step_the_request_has_no_credentials"),
        ('the request query parameter "a" is "b"', "step_the_request_query_parameter_is"),
        (
            "the response time should be under 5 milliseconds",
            "step_the_response_time_should_be_under",
        ),
        ('the "orders" service should be reachable', "step_the_service_should_be_reachable"),
        ('the "orders" service', "step_the_service"),
    ],
)
def test_aliases_resolve_to_their_step(matchers, text: str, step: str) -> None:
    assert resolve(matchers, text)[0] == step
