"""The same phrases, written by hand the way a team without interlock would: requests
called directly, plain asserts that show the body."""

import json
import os

from behave import given, then, when

URLS = {"inventory": os.environ["BENCH_INVENTORY_URL"]}
TOKEN = os.environ["BENCH_TOKEN"]
TIMEOUT = (5, 30)


def fill(context, text):
    text = text.replace("${unique}", context.unique)
    for name, value in context.saved.items():
        text = text.replace("${" + name + "}", str(value))
    return text


@given('the "{name}" service')
def step_the_service(context, name):
    context.base = URLS[name]


@when('I send a POST request to "{path}" with JSON:')
def step_post_json(context, path):
    body = json.loads(fill(context, context.text))
    context.response = context.session.post(
        context.base + fill(context, path),
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )


@then('I send a GET request to "{path}"')
def step_get(context, path):
    context.response = context.session.get(
        context.base + fill(context, path),
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )


@then("the response status should be {status:d}")
def step_status(context, status):
    assert context.response.status_code == status, (
        f"expected {status}, got {context.response.status_code}: {context.response.text}"
    )


@then("the response should match:")
def step_match(context):
    expected = json.loads(fill(context, context.text))
    actual = context.response.json()
    assert set(actual) == set(expected), f"keys differ: {actual}"
    for key, value in expected.items():
        if value == "#number":
            assert isinstance(actual[key], int | float), f"{key}: {actual[key]!r}"
        else:
            assert actual[key] == value, f"{key}: expected {value!r}, got {actual[key]!r}"


@then('the response field "{field}" should be {value}')
def step_field(context, field, value):
    actual = context.response.json()[field]
    assert actual == json.loads(value), f"{field}: expected {value}, got {actual!r}"


@then('I save the response field "{field}" as "{name}"')
def step_save(context, field, name):
    context.saved[name] = context.response.json()[field]


@then("the response should contain:")
def step_contain(context):
    expected = json.loads(fill(context, context.text))
    actual = context.response.json()
    for key, value in expected.items():
        assert actual.get(key) == value, f"{key}: expected {value!r}, got {actual.get(key)!r}"
