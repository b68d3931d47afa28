"""Credentials profiles (config ``credentials.NAME``) turned into request headers.

``bearer``, ``basic`` and ``header`` profiles give their header directly. ``login``
(a call to a configured service) and ``oauth2`` (a client-credentials grant) fetch a
token the first time a request needs it, then keep it for the rest of the run in a
cache keyed by the profile; an OAuth2 token that says when it expires is fetched again
shortly before it does. Every token fetched is added to the masker at once, so it never
shows in a message, log or attachment; a curl line shows it as ``$<PROFILE>_TOKEN``,
followed by the command that fetches it again (:mod:`interlock.replay`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from interlock import bodies, fields, replay
from interlock.config import Credentials, HttpSettings, LoginSpec, OAuth2Spec
from interlock.environment import health
from interlock.errors import ScenarioInputError, Unreachable, UnreachableFailure
from interlock.evidence import attach_text
from interlock.masking import Masker

EXPIRY_MARGIN = 30.0  # seconds before an OAuth2 token's end when a new one is fetched
_ANSWER_LIMIT = 300  # characters of a failed token call's answer shown in the error


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float | None  # time.monotonic() deadline; None: valid for the run


_cache: dict[tuple[str, str], _Token] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class TokenContext:
    """What fetching a token needs: timeouts and TLS settings, where services are, and
    the masker that must learn each new token."""

    settings: HttpSettings
    service_url: Callable[[str], str]
    masker: Masker


def forget_tokens() -> None:
    """Empty the run-wide token cache (tests, or a run that changes identity)."""
    with _lock:
        _cache.clear()


def auth_headers(credentials: Credentials | None, ctx: TokenContext) -> dict[str, str]:
    """The headers that carry ``credentials``; fetches (or reuses) a token if needed."""
    if credentials is None:
        return {}
    if credentials.bearer:
        return {"Authorization": f"Bearer {credentials.bearer}"}
    if credentials.basic:
        basic = credentials.basic
        return {"Authorization": requests.auth._basic_auth_str(basic.username, basic.password)}
    if credentials.header:
        return {credentials.header.name: credentials.header.value}
    if credentials.login or credentials.oauth2:
        return {"Authorization": f"Bearer {_token(credentials, ctx)}"}
    return {}


def _token(credentials: Credentials, ctx: TokenContext) -> str:
    name, login, oauth2 = credentials.name, credentials.login, credentials.oauth2
    fetch: Callable[[], _Token]
    variables = ctx.masker.variables
    if login is not None:
        url = ctx.service_url(login.service) + login.path
        fetch = lambda: _login(name, login, url, ctx)  # noqa: E731
        command = replay.login_command(login, url, variables)
    elif oauth2 is not None:
        url = oauth2.token_url
        fetch = lambda: _client_credentials(name, oauth2, ctx)  # noqa: E731
        command = replay.oauth2_command(oauth2, variables)
    else:
        raise ValueError(f"credentials {name!r} fetch no token")
    with _lock:
        token = _cache.get((name, url))
        if token is None or (token.expires_at is not None and time.monotonic() > token.expires_at):
            token = _cache[(name, url)] = fetch()
    # The cache outlives a masker (tests, several runs): each learns the token, and the
    # name a curl line shows it by, with the command that fetches it again.
    variable = replay.token_variable(name, variables.values())
    ctx.masker.name_token(token.value, variable, command)
    return token.value


def _login(name: str, spec: LoginSpec, url: str, ctx: TokenContext) -> _Token:
    response = _call(name, "login", ctx, spec.method, url, json=dict(spec.json) or None)
    body = _json_answer(name, "login", spec.method, url, response)
    try:
        value = fields.find(body, spec.token_field)
    except fields.FieldNotFound as exc:
        raise ScenarioInputError(
            f"credentials {name!r}: the login answer has no token at token_field"
            f" {spec.token_field!r}: {exc}",
            hint=f"set credentials.{name}.login.token_field to the token's path in the answer",
        ) from None
    token = _Token(_text_token(name, "login", value), None)
    _note(name, ctx, f"{spec.method} {url} -> {response.status_code}")
    return token


def _client_credentials(name: str, spec: OAuth2Spec, ctx: TokenContext) -> _Token:
    form = {"grant_type": "client_credentials"}
    if spec.scope:
        form["scope"] = spec.scope
    auth: tuple[str, str] | None = None
    if spec.client_auth == "body":
        form |= {"client_id": spec.client_id, "client_secret": spec.client_secret}
    else:
        auth = (spec.client_id, spec.client_secret)
    headers = {"Accept": "application/json"}
    response = _call(
        name, "oauth2", ctx, "POST", spec.token_url, data=form, auth=auth, headers=headers
    )
    body = _json_answer(name, "oauth2", "POST", spec.token_url, response)
    value = body.get("access_token") if isinstance(body, dict) else None
    token = _text_token(name, "oauth2", value)
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    expires_at = (
        time.monotonic() + float(expires_in) - EXPIRY_MARGIN
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        else None
    )
    _note(name, ctx, f"POST {spec.token_url} -> {response.status_code}")
    return _Token(token, expires_at)


def _call(
    name: str, kind: str, ctx: TokenContext, method: str, url: str, **kwargs: Any
) -> requests.Response:
    try:
        options = ctx.settings.request_options()
        timeout = options.pop("timeout")  # spelled out: ruff's S113 checks every call has one
        response = requests.request(method, url, timeout=timeout, stream=True, **options, **kwargs)
        bodies.read(response, ctx.settings.max_body_bytes)
    except (bodies.BodyTooLarge, bodies.ProtocolBroken) as exc:
        broke = isinstance(exc, bodies.ProtocolBroken)
        raise ScenarioInputError(
            ctx.masker.mask(
                f"credentials {name!r}: the answer to the {kind} call {method} {url}"
                + (f" broke the HTTP protocol: {exc}" if broke else f" was {exc}")
            ),
            hint=f"check credentials.{name}.{kind}: does it name the token endpoint?"
            + ("" if broke else f" (or raise {bodies.LIMIT_KEY})"),
        ) from None
    except requests.RequestException as exc:
        # Typed: the report files it under "Environment unreachable" (a token server down).
        reason, why = health.explain(exc, url, ctx.settings)
        detail = ctx.masker.mask(
            f"credentials {name!r}: the {kind} call {method} {url} failed: {why}"
        )
        key = f"credentials.{name}.{'oauth2.token_url' if kind == 'oauth2' else 'login.service'}"
        raise UnreachableFailure(
            f"{detail}\n  its address: {key} (check it, and that the server is up)",
            Unreachable(f"credentials {name}", url, reason, detail, key),
        ) from None
    if not response.ok:
        raise ScenarioInputError(
            ctx.masker.mask(
                f"credentials {name!r}: the {kind} call {method} {url} answered"
                f" {response.status_code}: {ctx.masker.mask(response.text)[:_ANSWER_LIMIT]}"
            ),
            hint=f"check credentials.{name}.{kind} in the config (client, user, secret)",
        )
    return response


def _json_answer(name: str, kind: str, method: str, url: str, response: requests.Response) -> Any:
    try:
        return bodies.parse_json(response.content)
    except bodies.TooDeep as exc:
        raise ScenarioInputError(
            f"credentials {name!r}: the {kind} call {method} {url} answered {exc}",
            hint=f"check credentials.{name}.{kind}: does it name the token endpoint?",
        ) from None
    except ValueError:
        raise ScenarioInputError(
            f"credentials {name!r}: the {kind} call {method} {url} did not answer JSON"
            f" (Content-Type: {response.headers.get('Content-Type', 'none')})",
            hint=f"check credentials.{name}.{kind}: does it name the token endpoint?",
        ) from None


def _text_token(name: str, kind: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        field = "token_field" if kind == "login" else "access_token"
        raise ScenarioInputError(
            f"credentials {name!r}: the {kind} answer's {field} is not a text token"
            f" (found {type(value).__name__})",
            hint=f"check credentials.{name}.{kind} in the config",
        )
    return value


def _note(name: str, ctx: TokenContext, what: str) -> None:
    attach_text(ctx.masker, f"credentials {name!r}: token fetched", what)
