"""Assertions on the last HTTP exchange of a scenario, and the polling request.

Each failure lists every mismatch, then ends with the exchange itself (request,
status, cut body, curl line), so it can be reproduced from the message alone.
"""

from __future__ import annotations

from typing import Any

from interlock import contracts, fields, matching, polling
from interlock.environment.health import probe
from interlock.errors import Reason, UnreachableFailure
from interlock.exchange import Exchange
from interlock.http import HttpClient, ServiceTarget
from interlock.matching import Mismatch


def _fail(client: HttpClient, message: str) -> AssertionError:
    return AssertionError(f"{message}\n{client.describe()}")


def _check(client: HttpClient, mismatches: list[Mismatch], title: str) -> None:
    if mismatches:
        raise _fail(client, matching.describe(mismatches, title))


def status_is(client: HttpClient, expected: int) -> None:
    actual = client.require_last().status
    if actual != expected:
        raise _fail(client, f"expected status {expected}, got {actual}")


def _header(client: HttpClient, name: str) -> str:
    headers = client.require_last().response.headers
    if name not in headers:
        raise _fail(
            client,
            f"the response has no header {name!r}; it has: {', '.join(sorted(headers)) or 'none'}",
        )
    return str(headers[name])


def header_is(client: HttpClient, name: str, expected: str) -> None:
    """The header equals ``expected`` (a marker is allowed); for Content-Type only the
    media types are compared (``application/json; charset=utf-8`` is application/json)."""
    actual = _header(client, name)
    if matching.is_marker(expected):
        why = matching.check_marker(expected, actual)
        if why is not None:
            raise _fail(client, f"response header {name!r}: {why}")
        return
    expected = matching.unescape(expected)
    if name.lower() == "content-type":
        if _media_type(actual) != _media_type(expected):
            raise _fail(
                client,
                f"response header {name!r}: expected the media type {_media_type(expected)!r},"
                f" got {actual!r}",
            )
    elif actual != expected:
        raise _fail(client, f"response header {name!r}: expected {expected!r}, got {actual!r}")


def header_contains(client: HttpClient, name: str, part: str) -> None:
    actual = _header(client, name)
    if part not in actual:
        raise _fail(
            client, f"response header {name!r}: expected it to contain {part!r}, got {actual!r}"
        )


def header_value(client: HttpClient, name: str) -> str:
    return _header(client, name)


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _field(client: HttpClient, path: str) -> Any:
    try:
        return fields.find(client.require_last().json(), path)
    except fields.FieldNotFound as exc:
        raise _fail(client, str(exc)) from None


def field_value(client: HttpClient, path: str) -> Any:
    return _field(client, path)


def field_is(client: HttpClient, path: str, expected: Any) -> None:
    actual = _field(client, path)
    _check(client, matching.match(expected, actual, path), f"response field {path!r}")


def body_matches(client: HttpClient, expected: Any) -> None:
    actual = client.require_last().json()
    _check(client, matching.match(expected, actual), "the response does not match")


def body_contains(client: HttpClient, expected: Any) -> None:
    actual = client.require_last().json()
    _check(client, matching.contains(expected, actual), "the response does not contain")


def each_item_matches(client: HttpClient, path: str, expected: Any) -> None:
    items = _field(client, path)
    _check(client, matching.each_item(expected, items, path), f"the items of {path!r} do not match")


def matches_schema(client: HttpClient, schema: Any, source: str) -> None:
    body = client.require_last().json()
    violations = contracts.schema_violations(schema, body, source)
    if violations:
        raise _fail(
            client, contracts.describe(f"the response breaks the JSON schema {source}", violations)
        )


def conforms_to_contract(client: HttpClient) -> None:
    """The response is what the current service's OpenAPI document says this operation
    answers with this status: headers and body (the request itself is not checked)."""
    exchange = client.require_last()
    target = client.last_target or client.current()
    if target.openapi is None:
        raise contracts.no_contract(target.name)
    verdict = contracts.check_response(target.openapi, target.url, exchange)
    if verdict.violations:
        raise _fail(client, verdict.message())


def responded_within(client: HttpClient, limit_ms: int) -> None:
    elapsed = client.require_last().elapsed_ms
    if elapsed >= limit_ms:
        raise _fail(client, f"the response took {elapsed:.0f} ms, expected under {limit_ms} ms")


def send_until(
    client: HttpClient,
    method: str,
    path: str,
    field: str,
    expected: Any,
    timeout: float,
    interval: float,
) -> Exchange:
    """Send the request again every ``interval`` seconds until the response field
    ``field`` matches ``expected`` (markers allowed), for at most ``timeout`` seconds.
    Only the last exchange is attached as evidence."""
    tries = 0

    def attempt() -> str | None:
        nonlocal tries
        tries += 1
        exchange = client.send(method, path, evidence=False)
        try:
            actual = fields.find(exchange.json(), field)
        except AssertionError as exc:  # not JSON (yet), or the field not there (yet)
            return str(exc).split("\n", 1)[0]
        found = matching.match(expected, actual, field)
        return matching.describe(found, f"response field {field!r}") if found else None

    reason = polling.until(attempt, timeout, interval)
    last = client.require_last()
    client.attach(last, f" [try {tries}]")
    if reason is not None:
        raise _fail(
            client,
            f"{method} {path}: the response field {field!r} did not become"
            f" {matching.show(expected)} within {timeout:g} s ({tries} tries, every"
            f" {interval:g} s: http.poll_interval); the last try:\n{reason}",
        )
    return last


def reachable(client: HttpClient, target: ServiceTarget, health: str) -> None:
    """The service answers its health path with a 2xx status: checked as the run checks
    the environment before it starts (:func:`interlock.environment.health.probe`)."""
    found = probe(
        f"service {target.name}",
        target.url + health,
        client.settings,
        target.headers,
        target.address_key,
        masker=client.masker,
    )
    problem = found.problem
    if problem is None:
        return
    if problem.reason is Reason.STATUS:
        raise AssertionError(
            f"service {target.name!r} is not healthy: GET {found.url} answered"
            f" {found.status}: {found.body}"
        )
    lines = [f"service {target.name!r} is not reachable: {problem.detail}"]
    lines += [f"  its address: {problem.key}"] if problem.key else []
    lines += [f"  {problem.advice}"] if problem.advice else []
    raise UnreachableFailure("\n".join(lines), problem)
