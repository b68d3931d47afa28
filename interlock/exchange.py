"""One HTTP request and its response, and the three ways it is shown: the text a failure
ends with (request, status, cut body, curl), the Allure evidence of the step (both
messages in full, with timing), and a curl line that reproduces the call. Everything
shown passes through the masker: configured secrets, fetched tokens and credentials
headers never appear.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from interlock import bodies
from interlock.masking import Masker

FAILURE_BODY_LIMIT = 1500  # characters of the response body a failure message shows
_CURL_SKIPS = frozenset({"content-length", "accept-encoding", "connection", "user-agent"})
_UNPARSED = object()


@dataclass
class Exchange:
    """One request as sent and the response as received."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    response: requests.Response
    elapsed_ms: float
    masker: Masker
    prepared: requests.PreparedRequest | None = None
    _json: Any = field(default=_UNPARSED, repr=False)

    @property
    def status(self) -> int:
        return int(self.response.status_code)

    @property
    def text(self) -> str:
        """The response body as text (UTF-8 unless the response names a charset)."""
        return _decode(self.response.content, self.response.encoding)

    def json(self) -> Any:
        """The response body as JSON (parsed once), or a failure showing what came instead."""
        if self._json is _UNPARSED:
            content_type = self.response.headers.get("Content-Type", "none")
            if not self.response.content:
                raise AssertionError(
                    f"the response body is empty where JSON is expected (Content-Type:"
                    f" {content_type})\n{self.describe()}"
                )
            try:
                self._json = bodies.parse_json(self.response.content)
            except bodies.TooDeep as exc:
                raise AssertionError(
                    f"the response body is {exc}, more than interlock compares (Content-Type:"
                    f" {content_type})\n{self.describe()}"
                ) from None
            except (ValueError, UnicodeDecodeError):
                raise AssertionError(
                    f"the response body is not JSON (Content-Type: {content_type})\n"
                    f"{self.describe()}"
                ) from None
        return self._json

    def describe(self) -> str:
        """What a failure message ends with: request, status, cut body, curl line."""
        response = self.response
        lines = [
            f"request:  {self.method} {self.url}",
            f"response: {response.status_code} {response.reason} in {self.elapsed_ms:.0f} ms,"
            f" Content-Type: {response.headers.get('Content-Type', '(none)')}",
        ]
        if 300 <= response.status_code < 400 and "Location" in response.headers:
            lines.append(
                f"location: {response.headers['Location']}  (a redirect, not followed: see"
                " http.follow_redirects)"
            )
        lines += [
            f"body:     {cut(self.text, FAILURE_BODY_LIMIT, self.masker) or '(empty)'}",
            f"reproduce: {curl(self.method, self.url, self.headers, self.body, self.masker)}",
            *(f"token:     {command}" for command in token_commands(self.headers, self.masker)),
        ]
        return self.masker.mask("\n".join(lines))

    def evidence(self, body_limit: int) -> str:
        """The whole exchange for the report: both messages with headers, timing, curl."""
        response = self.response
        request_body = _decode(self.body, None) if self.body else ""
        parts = [
            f"{self.method} {self.url}",
            _header_lines(self.headers, self.masker),
            "",
            cut(request_body, body_limit, self.masker) if request_body else "(no body)",
            "",
            f"HTTP {response.status_code} {response.reason} in {self.elapsed_ms:.1f} ms",
            _header_lines(response.headers, self.masker),
            "",
            cut(self.text, body_limit, self.masker) if response.content else "(no body)",
            "",
            f"reproduce: {curl(self.method, self.url, self.headers, self.body, self.masker)}",
            *(f"token:     {command}" for command in token_commands(self.headers, self.masker)),
        ]
        return self.masker.mask("\n".join(parts))

    def title(self) -> str:
        """The evidence's name: ``POST /orders -> 201 (12 ms)``."""
        return f"{self.method} {path_of(self.url)} -> {self.status} ({self.elapsed_ms:.0f} ms)"


def curl(
    method: str, url: str, headers: Mapping[str, str], body: bytes | str | None, masker: Masker
) -> str:
    """A curl command that sends the same request: a credential read from ``${VAR}`` is
    written ``$VAR`` (``-u "ana:$ANA_PASSWORD"``), a token fetched at run time by its
    variable (``$ROBOT_TOKEN``, set by :func:`token_commands`), so that the line can be
    replayed where the variables are set; any other credentials header is masked."""
    parts = ["curl", "-i", "-X", method, shlex.quote(url)]
    for name, value in headers.items():
        if name.lower() in _CURL_SKIPS:
            continue
        replay = masker.replayable(name, value)
        if replay is not None:
            parts += [replay[0], f'"{replay[1]}"']
        else:
            parts += ["-H", shlex.quote(f"{name}: {masker.header(name, value)}")]
    if body:
        text = _decode(body, None) if isinstance(body, bytes) else str(body)
        parts += ["--data-raw", shlex.quote(text)]
    return masker.mask(" ".join(parts))


def token_commands(headers: Mapping[str, str], masker: Masker) -> list[str]:
    """For each token fetched at run time that a curl line names (``$ROBOT_TOKEN``), the
    command that sets it: ``ROBOT_TOKEN=$(curl … | python3 -c …)``, once each (masked)."""
    commands = (masker.token_command(name, value) for name, value in headers.items())
    return [masker.mask(c) for c in dict.fromkeys(c for c in commands if c is not None)]


def cut(text: str, limit: int, masker: Masker | None = None) -> str:
    """``text``, or its first ``limit`` characters and a note saying it was cut. With a
    ``masker`` the text is masked first, so that a cut never leaves part of a secret."""
    if masker is not None:
        text = masker.mask(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {limit} of {len(text)} characters shown]"


def path_of(url: str) -> str:
    """The path and query of a URL (``/orders?customer=ana``)."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def _header_lines(headers: Mapping[str, str], masker: Masker) -> str:
    return "\n".join(f"{name}: {masker.header(name, value)}" for name, value in headers.items())


def _decode(data: bytes | None, encoding: str | None) -> str:
    if not data:
        return ""
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")
