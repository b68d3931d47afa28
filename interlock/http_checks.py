"""Assertions on the last HTTP exchange of a scenario. Each failure ends with the
exchange itself (request, status, cut body, curl), so it can be reproduced."""

from __future__ import annotations

from typing import Any

import requests

from interlock import fields, matching
from interlock.http import HttpClient, ServiceTarget


def _fail(client: HttpClient, message: str) -> AssertionError:
    return AssertionError(f"{message}\n{client.describe()}")


def status_is(client: HttpClient, expected: int) -> None:
    actual = client.require_last().response.status_code
    if actual != expected:
        raise _fail(client, f"expected status {expected}, got {actual}")


def field_is(client: HttpClient, path: str, expected: Any) -> None:
    body = client.require_last().json()
    try:
        actual = fields.find(body, path)
    except fields.FieldNotFound as exc:
        raise _fail(client, str(exc)) from None
    mismatches = matching.match(expected, actual, path)
    if mismatches:
        raise _fail(client, matching.describe(mismatches, f"response field {path!r}"))


def body_matches(client: HttpClient, expected: Any) -> None:
    mismatches = matching.match(expected, client.require_last().json())
    if mismatches:
        raise _fail(client, matching.describe(mismatches, "the response does not match"))


def body_contains(client: HttpClient, expected: Any) -> None:
    mismatches = matching.contains(expected, client.require_last().json())
    if mismatches:
        raise _fail(client, matching.describe(mismatches, "the response does not contain"))


def field_value(client: HttpClient, path: str) -> Any:
    body = client.require_last().json()
    try:
        return fields.find(body, path)
    except fields.FieldNotFound as exc:
        raise _fail(client, str(exc)) from None


def reachable(client: HttpClient, target: ServiceTarget, health: str) -> None:
    """The service answers its health path with a 2xx status."""
    url = target.url + health
    settings = client.settings
    try:
        response = client.session.get(
            url, timeout=(settings.connect_timeout, settings.read_timeout)
        )
    except requests.RequestException as exc:
        raise AssertionError(
            f"service {target.name!r} is not reachable: GET {url} failed: {type(exc).__name__}"
        ) from None
    if not response.ok:
        raise AssertionError(
            f"service {target.name!r} is not healthy: GET {url} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
