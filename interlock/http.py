"""The HTTP side of a scenario: the selected service, the request being built, the last
response, and failure messages that reproduce the call (with a curl line, secrets
masked)."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from interlock.config import Config, Credentials, HttpSettings
from interlock.errors import ScenarioInputError
from interlock.evidence import attach_text
from interlock.masking import Masker
from interlock.runtime import Runtime

BODY_LIMIT = 1500
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class ServiceTarget:
    """Where a service lives in this run, and what every request to it carries."""

    name: str
    url: str
    headers: Mapping[str, str]
    credentials: Credentials | None


def service_targets(config: Config, runtime: Runtime) -> dict[str, ServiceTarget]:
    targets = {}
    for name, service in config.services.items():
        endpoint = runtime.services.get(name)
        url = endpoint.url if endpoint else str(service.url)
        credentials = config.credentials.get(service.credentials) if service.credentials else None
        targets[name] = ServiceTarget(name, url.rstrip("/"), service.headers, credentials)
    return targets


@dataclass
class Exchange:
    """One request and its response, as sent and received."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    response: requests.Response
    elapsed_ms: float

    def json(self) -> Any:
        """The response body as JSON, or a clear error showing what came instead."""
        try:
            return self.response.json()
        except ValueError:
            raise AssertionError(
                f"the response body is not JSON (Content-Type: "
                f"{self.response.headers.get('Content-Type', 'none')})"
            ) from None


@dataclass
class HttpClient:
    """The HTTP state of one scenario. Create one per scenario; close it after."""

    settings: HttpSettings
    targets: Mapping[str, ServiceTarget]
    masker: Masker
    service: ServiceTarget | None = None
    headers: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False  # "the request has no credentials"
    last: Exchange | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def select(self, name: str) -> ServiceTarget:
        if name not in self.targets:
            raise ScenarioInputError(
                f"unknown service {name!r}",
                hint=f"services in the config: {', '.join(sorted(self.targets)) or '(none)'}",
            )
        self.service = self.targets[name]
        return self.service

    def current(self) -> ServiceTarget:
        if self.service is None:
            if len(self.targets) == 1:
                return self.select(next(iter(self.targets)))
            raise ScenarioInputError(
                "no service selected for this request",
                hint='start the scenario with a step such as: Given the "orders" service',
            )
        return self.service

    def send(self, method: str, path: str, json_body: Any = None) -> Exchange:
        method = method.upper()
        if method not in METHODS:
            raise ScenarioInputError(
                f"unknown HTTP method {method!r}", hint=f"use one of {', '.join(METHODS)}"
            )
        target = self.current()
        url = path if path.startswith(("http://", "https://")) else target.url + _slash(path)
        headers = {**target.headers, **self.headers}
        auth = {} if self.anonymous else _auth_headers(target.credentials)
        headers = {**auth, **headers}
        if json_body is not None:
            headers.setdefault("Content-Type", "application/json")
        request = requests.Request(
            method,
            url,
            headers=headers,
            data=json.dumps(json_body).encode() if json_body is not None else None,
        )
        prepared = self.session.prepare_request(request)
        started = time.perf_counter()
        try:
            response = self.session.send(
                prepared,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise AssertionError(
                self.masker.mask(
                    f"{method} {url} timed out (connect {self.settings.connect_timeout:g} s, "
                    f"read {self.settings.read_timeout:g} s: http.connect_timeout / "
                    f"http.read_timeout)\n"
                    f"  reproduce: {self._curl(method, url, headers, prepared.body)}"
                )
            ) from None
        except requests.ConnectionError as exc:
            raise AssertionError(
                self.masker.mask(
                    f"{method} {url} could not connect: {_reason(exc)}\n"
                    f"  reproduce: {self._curl(method, url, headers, prepared.body)}"
                )
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        body = prepared.body if isinstance(prepared.body, bytes) else None
        self.last = Exchange(method, url, dict(prepared.headers), body, response, elapsed)
        attach_text(
            self.masker, f"{method} {_path_of(url)} -> {response.status_code}", self.describe()
        )
        return self.last

    def require_last(self) -> Exchange:
        if self.last is None:
            raise ScenarioInputError(
                "no request has been sent yet in this scenario",
                hint='send one first, e.g.: When I send a GET request to "/health"',
            )
        return self.last

    def describe(self) -> str:
        """The last exchange as a failure message needs it: request, status, cut body, curl."""
        ex = self.require_last()
        body = ex.response.text
        cut = body if len(body) <= BODY_LIMIT else body[:BODY_LIMIT] + f"... ({len(body)} bytes)"
        lines = [
            f"request:  {ex.method} {ex.url}",
            f"response: {ex.response.status_code} {ex.response.reason} "
            f"in {ex.elapsed_ms:.0f} ms, Content-Type: "
            f"{ex.response.headers.get('Content-Type', '(none)')}",
            f"body:     {cut or '(empty)'}",
            f"reproduce: {self._curl(ex.method, ex.url, ex.headers, ex.body)}",
        ]
        return self.masker.mask("\n".join(lines))

    def _curl(self, method: str, url: str, headers: Mapping[str, str], body: Any) -> str:
        parts = ["curl", "-i", "-X", method, shlex.quote(url)]
        for name, value in headers.items():
            if name.lower() in ("content-length", "accept-encoding", "connection", "user-agent"):
                continue
            parts += ["-H", shlex.quote(f"{name}: {self.masker.header(name, value)}")]
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
            parts += ["--data-raw", shlex.quote(text)]
        return self.masker.mask(" ".join(parts))

    def close(self) -> None:
        self.session.close()


def _auth_headers(credentials: Credentials | None) -> dict[str, str]:
    if credentials is None:
        return {}
    if credentials.bearer:
        return {"Authorization": f"Bearer {credentials.bearer}"}
    if credentials.basic:
        auth = requests.auth._basic_auth_str(*credentials.basic)
        return {"Authorization": auth}
    if credentials.header:
        return {credentials.header[0]: credentials.header[1]}
    return {}


def _slash(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _path_of(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return text[:200]
