"""The HTTP side of a scenario: the selected service, what later requests carry
(headers, query parameters, credentials), sending, and the last exchange.

Every request has the connect and read timeouts of the config (``http.*``) and
verifies TLS unless ``http.verify`` is false; its response is read within
``http.max_body_bytes`` and an answer that breaks HTTP is a failure of its own (see
:mod:`interlock.bodies`); each exchange is attached to the current Allure step as
evidence (see :mod:`interlock.exchange`), secrets masked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import requests
import urllib3

from interlock import bodies
from interlock.auth import TokenContext, auth_headers
from interlock.config import Config, Credentials, HttpSettings, ServiceConfig
from interlock.environment import health
from interlock.environment.runtime import Runtime
from interlock.errors import ScenarioInputError, Unreachable, UnreachableFailure
from interlock.evidence import attach_text
from interlock.exchange import Exchange, curl, token_commands
from interlock.masking import Masker

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class _NoBody:
    def __repr__(self) -> str:
        return "(no body)"


NO_BODY: Final = _NoBody()  # a JSON body may be null, so "no body" needs its own value


@dataclass(frozen=True)
class ServiceTarget:
    """Where a service lives in this run, and what every request to it carries."""

    name: str
    url: str
    headers: Mapping[str, str]
    credentials: Credentials | None
    openapi: Path | None = None  # its OpenAPI document (config services.NAME.openapi)
    address_key: str = ""  # the config key that set its URL, named when it cannot be reached
    follow_redirects: bool | None = None  # services.NAME.follow_redirects; None: http's


def service_targets(config: Config, runtime: Runtime) -> dict[str, ServiceTarget]:
    """The services of the environment (per-worker ones are started on first use)."""
    targets = {}
    for service in config.shared_services:
        endpoint = runtime.services.get(service.name)
        targets[service.name] = target_for(
            config, service, endpoint.url if endpoint else str(service.url)
        )
    return targets


def target_for(config: Config, service: ServiceConfig, url: str) -> ServiceTarget:
    """A configured service reached at ``url``."""
    credentials = config.credentials.get(service.credentials) if service.credentials else None
    return ServiceTarget(
        service.name,
        url.rstrip("/"),
        service.headers,
        credentials,
        service.openapi,
        health.address_key(config, service),
        service.follow_redirects,
    )


@dataclass
class HttpClient:
    """The HTTP state of one scenario. Create one per scenario; close it after."""

    settings: HttpSettings
    targets: Mapping[str, ServiceTarget]
    masker: Masker
    service: ServiceTarget | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    credentials: Credentials | None = None  # "the request uses the ... credentials"
    anonymous: bool = False  # "the request has no credentials"
    follow_redirects: bool | None = None  # "redirects are followed"; None: the service's
    last: Exchange | None = None
    last_target: ServiceTarget | None = None  # the service the last request went to
    session: requests.Session = field(default_factory=requests.Session)
    # Services started the first time a scenario selects them: name -> start, or find.
    on_demand: Mapping[str, Callable[[], ServiceTarget]] = field(default_factory=dict)
    # Called after every exchange, in the step that sent it (to attach more evidence).
    after_send: list[Callable[[], None]] = field(default_factory=list)

    def select(self, name: str) -> ServiceTarget:
        self.service = self._target(name)
        return self.service

    def redirect(self, name: str, url: str) -> None:
        """This scenario's requests to service ``name`` go to ``url`` instead (a stand-in),
        with the service's headers, credentials and contract."""
        target = replace(
            self._target(name), url=url.rstrip("/"), address_key=f"the stand-in for {name!r}"
        )
        self.targets = {**self.targets, name: target}
        if self.service is not None and self.service.name == name:
            self.service = target

    def target(self, name: str) -> ServiceTarget:
        """Where the service ``name`` answers in this scenario, without selecting it."""
        return self._target(name)

    def _target(self, name: str) -> ServiceTarget:
        if name not in self.targets and name in self.on_demand:
            self.targets = {**self.targets, name: self.on_demand[name]()}
        if name not in self.targets:
            known = sorted({*self.targets, *self.on_demand})
            raise ScenarioInputError(
                f"unknown service {name!r}",
                hint=f"services in the config: {', '.join(known) or '(none)'}",
            )
        return self.targets[name]

    def current(self) -> ServiceTarget:
        if self.service is None:
            if len(self.targets) == 1:
                return self.select(next(iter(self.targets)))
            raise ScenarioInputError(
                "no service selected for this request",
                hint='start the scenario with a step such as: Given the "orders" service',
            )
        return self.service

    def add_headers(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Headers for every later request of the scenario (a name set again replaces)."""
        self.headers.update(pairs)

    def add_query(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Query parameters for every later request of the scenario (names may repeat)."""
        self.query.extend(pairs)

    def use_credentials(self, name: str, profiles: Mapping[str, Credentials]) -> None:
        """Later requests carry the credentials profile ``name`` instead of the service's."""
        if name not in profiles:
            raise ScenarioInputError(
                f"unknown credentials profile {name!r}",
                hint=f"profiles in the config (credentials.NAME):"
                f" {', '.join(sorted(profiles)) or '(none)'}",
            )
        self.credentials = profiles[name]
        self.anonymous = False

    def drop_credentials(self) -> None:
        self.credentials = None
        self.anonymous = True

    def follow(self, redirects: bool) -> None:
        """Later requests follow 3xx answers (or not), whatever the config says."""
        self.follow_redirects = redirects

    def send(
        self,
        method: str,
        path: str,
        json_body: Any = NO_BODY,
        form: list[tuple[str, str]] | None = None,
        evidence: bool = True,
    ) -> Exchange:
        """Send a request to the current service (``path`` may also be a whole URL)."""
        method = method.upper()
        if method not in METHODS:
            raise ScenarioInputError(
                f"unknown HTTP method {method!r}", hint=f"use one of {', '.join(METHODS)}"
            )
        target = self.current()
        url = path if path.startswith(("http://", "https://")) else target.url + _slash(path)
        headers = {**self._auth(target), **target.headers, **self.headers}
        data: bytes | list[tuple[str, str]] | None = form
        if json_body is not NO_BODY:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        request = requests.Request(method, url, headers=headers, params=self.query, data=data)
        prepared = self.session.prepare_request(request)
        sent_url = prepared.url or url
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        if self.settings.verify is False:  # the config says so: no warning per request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        started = time.perf_counter()
        reproduce = f"  reproduce: {curl(method, sent_url, prepared.headers, body, self.masker)}"
        for command in token_commands(prepared.headers, self.masker):
            reproduce += f"\n  token:     {command}"
        response: requests.Response | None = None
        try:
            response = self.session.send(
                prepared,
                proxies=_proxies(self.session, prepared),
                stream=True,  # read below, within http.max_body_bytes
                **self.settings.request_options(
                    _first(self.follow_redirects, target.follow_redirects)
                ),
            )
            bodies.read(response, self.settings.max_body_bytes)
        except bodies.BodyTooLarge as exc:
            raise AssertionError(
                self.masker.mask(
                    f"the response to {method} {sent_url} was {exc}; raise the limit if this"
                    f" is expected\n{_status_line(response, started)}{reproduce}"
                )
            ) from None
        except bodies.ProtocolBroken as exc:
            raise AssertionError(
                self.masker.mask(_broken(method, sent_url, str(exc), response, started, reproduce))
            ) from None
        except requests.RequestException as exc:
            broken = bodies.protocol_error(exc)
            if broken is not None:  # a status line or headers that are not HTTP
                raise AssertionError(
                    self.masker.mask(_broken(method, sent_url, broken, None, started, reproduce))
                ) from None
            raise self._unreachable(exc, method, sent_url, target, reproduce) from None
        elapsed = (time.perf_counter() - started) * 1000
        self.last = Exchange(
            method, sent_url, dict(prepared.headers), body, response, elapsed, self.masker, prepared
        )
        self.last_target = target
        if evidence:
            self.attach(self.last)
        for observer in self.after_send:
            observer()
        return self.last

    def _unreachable(
        self,
        exc: requests.RequestException,
        method: str,
        url: str,
        target: ServiceTarget,
        reproduce: str,
    ) -> UnreachableFailure:
        """The failure of a request that did not reach the service: typed, so the report
        files it under "Environment unreachable" whatever its text says."""
        reason, _ = health.explain(exc, url, self.settings)
        first = self.masker.mask(f"{method} {url} {_failure(exc, self.settings)}")
        where = f"\n  its address: {target.address_key}" if target.address_key else ""
        unreachable = Unreachable(f"service {target.name}", url, reason, first, target.address_key)
        return UnreachableFailure(f"{first}\n{self.masker.mask(reproduce)}{where}", unreachable)

    def attach(self, exchange: Exchange, note: str = "") -> None:
        """Attach an exchange to the current Allure step (masked, long bodies cut)."""
        attach_text(
            self.masker,
            exchange.title() + note,
            exchange.evidence(self.settings.evidence_body_limit),
        )

    def require_last(self) -> Exchange:
        if self.last is None:
            raise ScenarioInputError(
                "no request has been sent yet in this scenario",
                hint='send one first, e.g.: When I send a GET request to "/health"',
            )
        return self.last

    def describe(self) -> str:
        """The last exchange as a failure message needs it: request, status, cut body, curl."""
        return self.require_last().describe()

    def close(self) -> None:
        self.session.close()

    def _auth(self, target: ServiceTarget) -> dict[str, str]:
        if self.anonymous:
            return {}
        return auth_headers(
            self.credentials or target.credentials,
            TokenContext(self.settings, self._service_url, self.masker),
        )

    def _service_url(self, name: str) -> str:
        if name not in self.targets:
            raise ScenarioInputError(
                f"unknown service {name!r} in a credentials login",
                hint=f"services in the config: {', '.join(sorted(self.targets)) or '(none)'}",
            )
        return self.targets[name].url


_proxy_cache: dict[tuple[str, str], dict[str, str]] = {}


def _proxies(session: requests.Session, prepared: requests.PreparedRequest) -> dict[str, str]:
    """The proxies for a request, as requests resolves them from the environment
    (HTTP(S)_PROXY, NO_PROXY), worked out once per host: reading the environment
    costs more than a request to a local service."""
    parts = urlsplit(prepared.url or "")
    key = (parts.scheme, parts.netloc)
    if key not in _proxy_cache:
        _proxy_cache[key] = requests.utils.resolve_proxies(
            prepared, dict(session.proxies), session.trust_env
        )
    return _proxy_cache[key]


def _first(*choices: bool | None) -> bool | None:
    return next((choice for choice in choices if choice is not None), None)


def _slash(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _status_line(response: requests.Response | None, started: float) -> str:
    """``  response: 200 OK after 120 ms, Content-Type: ...`` (the headers had come)."""
    if response is None:
        return ""
    took = (time.perf_counter() - started) * 1000
    kind = response.headers.get("Content-Type", "(none)")
    return (
        f"  response: {response.status_code} {response.reason} after {took:.0f} ms,"
        f" Content-Type: {kind}\n"
    )


def _broken(
    method: str,
    url: str,
    how: str,
    response: requests.Response | None,
    started: float,
    reproduce: str,
) -> str:
    return (
        f"the service broke the HTTP protocol while answering {method} {url}: {how}\n"
        f"{_status_line(response, started)}{reproduce}"
    )


def _failure(exc: requests.RequestException, settings: HttpSettings) -> str:
    if isinstance(exc, requests.Timeout):
        return (
            f"timed out (connect {settings.connect_timeout:g} s, read {settings.read_timeout:g} s:"
            f" http.connect_timeout / http.read_timeout)"
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"failed TLS verification: {str(exc)[:200]} (http.verify: true, false, or the"
            f" path of a CA bundle)"
        )
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return f"could not connect: {marker}"
    return f"could not connect: {type(exc).__name__}: {text[:200]}"
