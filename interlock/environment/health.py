"""The one health check of the environment, used by the run before its scenarios start
(``stack.acquire``), by ``interlock doctor``, and by the step that checks a service is
reachable; and the reasons a request could not reach a service, named alike by all.

A service is healthy when ``GET <url><health>`` answers 2xx (redirects followed), sent
as a scenario's requests are: with the service's default headers (``headers``, not its
credentials), the ``http.connect_timeout`` and ``http.read_timeout`` of the config (and
their sum for the whole exchange, so an answer that trickles in cannot hold it longer),
and TLS verified as ``http.verify`` says (true, false, or a CA bundle file). Only the
status is read; an unhealthy answer shows the start of its body (:func:`bodies.peek`).
A failure keeps its real reason (:class:`~interlock.errors.Reason`: the host name does
not resolve, nothing listens, TLS, timeout, status...) and names the config key that
set the address, with the file (or override) it was set in.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pymysql
import requests
import urllib3

from interlock import bodies
from interlock.config import Config, HttpSettings, ServiceConfig
from interlock.environment.processes import pid_alive
from interlock.environment.runtime import DatabaseEndpoint, Runtime
from interlock.errors import (
    EnvironmentUnreachable,
    Reason,
    Unreachable,
    describe_error,
    excerpt,
)
from interlock.exchange import cut
from interlock.masking import Masker

PEEK_BYTES = 4096  # of an unhealthy answer's body: read to be masked, then cut
BODY_SHOWN = 300  # characters of it a failure quotes
LOOPBACK = ("127.0.0.1", "localhost", "::1")
VERIFY_KEY = "http.verify"


class Overdue(Exception):
    """A health check's whole exchange took longer than both timeouts together."""


@dataclass(frozen=True)
class Health:
    """What one health check found: the status and time, or why it failed."""

    part: str  # "service orders"
    url: str  # the health URL
    status: int | None = None
    elapsed_ms: float = 0.0
    problem: Unreachable | None = None
    body: str = ""  # the start of an unhealthy answer's body (masked, cut with a note)

    @property
    def ok(self) -> bool:
        return self.problem is None


# -- where an address was configured -----------------------------------------------------


def origin(config: Config, key: str) -> str:
    """``services.orders.url in config/ci.yaml:12`` (with the ``${VAR}`` it came from),
    ``http.verify (set by override 'http.verify=false')``, or the key and "not set" when
    no file set it (its default applies)."""
    where = config.origins.get(key)
    if where is None:
        return f"{key} (not set: its default)"
    if where.startswith("override"):
        return f"{key} (set by {where})"
    return f"{key} in {where}"


def address_key(config: Config, service: ServiceConfig) -> str:
    """The config key that gave a service its address."""
    if service.embedded or service.per_worker:
        key = origin(config, f"services.{service.name}.command")
        return f"{key} (started by interlock on a free 127.0.0.1 port)"
    return origin(config, f"services.{service.name}.url")


def verify_advice(settings: HttpSettings, where: str) -> str:
    """What to check when TLS failed: ``http.verify`` and what it says now."""
    if settings.verify is False:
        return f"{where} is false (certificates are not checked), yet TLS failed: is it TLS?"
    if settings.verify is True:
        return (
            f"{where} is true: certificates are checked against the system's CA store; for"
            " a private CA, set it to the CA bundle file (inside the suite's folder)"
        )
    return (
        f"{where} names the CA bundle {settings.verify}: check it is the CA that signed"
        " this server's certificate, and that the certificate names this host"
    )


# -- the check ---------------------------------------------------------------------------


def probe(
    part: str,
    url: str,
    settings: HttpSettings,
    headers: Mapping[str, str],
    key: str,
    verify_key: str = VERIFY_KEY,
    health_key: str | None = None,
    masker: Masker | None = None,
) -> Health:
    """``GET url``: healthy on a 2xx answer. ``key`` names where the address was set,
    ``verify_key`` where ``http.verify`` was, ``health_key`` where the health path was."""
    masker = masker or Masker()
    started = time.monotonic()
    try:
        response = _get_within(url, headers, settings)
    except Exception as exc:  # every way a GET can fail, named below
        took = (time.monotonic() - started) * 1000
        reason, why = explain(exc, url, settings)
        advice = verify_advice(settings, verify_key) if reason is Reason.TLS else ""
        detail = masker.mask(f"GET {url} failed: {why}")
        return Health(part, url, None, took, Unreachable(part, url, reason, detail, key, advice))
    took = (time.monotonic() - started) * 1000
    if not response.ok:
        start = bodies.peek(response, PEEK_BYTES)
        detail = masker.mask(
            f"GET {url} answered {response.status_code} {response.reason}:"
            f" {excerpt(masker.mask(start), BODY_SHOWN) or '(empty body)'}"
        )
        advice = f"fix the service, or its health path {health_key}" if health_key else ""
        problem = Unreachable(part, url, Reason.STATUS, detail, key, advice)
        return Health(
            part, url, response.status_code, took, problem, cut(start, BODY_SHOWN, masker)
        )
    response.close()  # only the status counts: the body, however long, is not read
    return Health(part, url, response.status_code, took)


def probe_service(
    config: Config, runtime: Runtime, name: str, masker: Masker | None = None
) -> Health:
    """The health check of one service of the environment, as it runs (its process
    alive, for one interlock started)."""
    service = config.services[name]
    endpoint = runtime.services[name]
    masker = masker or Masker(config.secrets)
    part = f"service {name}"
    url = endpoint.url + service.health
    key = masker.mask(address_key(config, service))  # a ${VAR} default may hold a password
    if endpoint.pid and not pid_alive(endpoint.pid):
        detail = f"its process (pid {endpoint.pid}) is gone"
        log = f"; its log: {endpoint.log}" if endpoint.log else ""
        advice = f"it was started by interlock and has exited{log}"
        return Health(part, url, problem=Unreachable(part, url, Reason.GONE, detail, key, advice))
    return probe(
        part,
        url,
        config.http,
        service.headers,
        key,
        verify_key=origin(config, VERIFY_KEY),
        health_key=origin(config, f"services.{name}.health"),
        masker=masker,
    )


def database_problem(
    config: Config | None, name: str, endpoint: DatabaseEndpoint
) -> Unreachable | None:
    """Why a database cannot be used, or None when a connection succeeds."""
    try:
        pymysql.connect(
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            password=endpoint.password,
            database=endpoint.database,
            connect_timeout=3,
            read_timeout=5,
            write_timeout=5,
            ssl_disabled=endpoint.host in LOOPBACK,
        ).close()
    except pymysql.MySQLError as exc:
        part = f"database {name}"
        url = f"mysql://{endpoint.user}@{endpoint.host}:{endpoint.port}/{endpoint.database}"
        key = f"databases.{name}.{'embedded' if endpoint.pid else 'host'}"
        key = Masker(config.secrets).mask(origin(config, key)) if config is not None else key
        if endpoint.pid:
            key += " (started by interlock)"
        detail = f"cannot connect to {endpoint.host}:{endpoint.port}: {describe_error(exc)}"
        if config is not None:
            detail = Masker(config.secrets).mask(detail)
        return Unreachable(part, url, database_reason(exc), detail, key)
    return None


def check(config: Config, runtime: Runtime) -> list[Unreachable]:
    """Every part of the environment that cannot be used, each with its reason."""
    masker = Masker(config.secrets)
    problems = []
    for name in runtime.services:
        if name in config.services:
            found = probe_service(config, runtime, name, masker)
            if found.problem is not None:
                problems.append(found.problem)
    for name, endpoint in runtime.databases.items():
        problem = database_problem(config, name, endpoint)
        if problem is not None:
            problems.append(problem)
    return problems


def require_reachable(config: Config, runtime: Runtime, headline: str, hint: str) -> None:
    """Raise :class:`EnvironmentUnreachable` naming every part that cannot be used."""
    problems = check(config, runtime)
    if problems:
        raise EnvironmentUnreachable(headline, problems, hint=hint)


# -- why a request failed ------------------------------------------------------------------


def explain(exc: BaseException, url: str, settings: HttpSettings) -> tuple[Reason, str]:
    """Why a request to ``url`` failed with ``exc``: its reason, and a sentence that
    starts with the exception's name (``ReadTimeout: connected to ..., but ...``)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    where = parts.netloc or host
    name = type(exc).__name__
    if isinstance(exc, Overdue):
        whole = settings.connect_timeout + settings.read_timeout
        return Reason.TIMEOUT, (
            f"{name}: the answer did not finish within {whole:g} s"
            " (http.connect_timeout + http.read_timeout)"
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return Reason.TLS, f"{name}: TLS with {where} failed: {_tls_text(exc)}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Reason.TIMEOUT, (
            f"{name}: no connection to {where} within {settings.connect_timeout:g} s"
            " (http.connect_timeout)"
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Reason.TIMEOUT, (
            f"{name}: connected to {where}, but no answer within {settings.read_timeout:g} s"
            " (http.read_timeout)"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return Reason.TIMEOUT, f"{name}: {excerpt(str(exc))}"
    broken = bodies.protocol_error(exc)
    if broken is not None:
        return Reason.PROTOCOL, f"{name}: the answer broke the HTTP protocol: {broken}"
    chain = list(_chain(exc))
    resolving = next((e for e in chain if isinstance(e, socket.gaierror)), None)
    if resolving is not None or any(
        isinstance(e, urllib3.exceptions.NameResolutionError) for e in chain
    ):
        why = f" ({resolving.strerror})" if resolving is not None and resolving.strerror else ""
        return Reason.DNS, f"{name}: the host name {host!r} does not resolve{why}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return Reason.REFUSED, f"{name}: connection refused: nothing listens on {where}"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return Reason.TLS, f"{name}: TLS with {where} failed: {_tls_text(exc)}"
    if isinstance(exc, requests.RequestException):
        return Reason.CONNECTION, f"{name}: {_innermost_text(chain)}"
    if isinstance(exc, OSError) and "CA" in str(exc):  # requests: the CA bundle is missing
        return Reason.TLS, f"{name}: {excerpt(str(exc))}"
    return Reason.CONNECTION, f"{name}: {excerpt(str(exc))}"


def database_reason(exc: BaseException) -> Reason:
    """Why pymysql could not connect, from the exception it raised and what caused it."""
    chain = list(_chain(exc))
    if any(isinstance(e, socket.gaierror) for e in chain):
        return Reason.DNS
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return Reason.REFUSED
    if any(isinstance(e, TimeoutError) for e in chain):
        return Reason.TIMEOUT
    return Reason.DATABASE


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: requests and urllib3 keep them in ``args``
    and ``reason``, Python in ``__cause__`` and ``__context__``."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]


def _tls_text(exc: BaseException) -> str:
    """``certificate verify failed: self-signed certificate in certificate chain``."""
    for inner in _chain(exc):
        if isinstance(inner, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {inner.verify_message or inner.reason}"
    for inner in _chain(exc):
        if isinstance(inner, ssl.SSLError) and inner.reason:
            return f"{inner.reason} ({excerpt(inner.strerror or str(inner), 120)})"
    return excerpt(str(exc))


def _innermost_text(chain: list[BaseException]) -> str:
    """The most telling message of a wrapped exception: the last one with any text."""
    for inner in reversed(chain):
        text = str(inner).strip()
        if text:
            return excerpt(f"{type(inner).__name__}: {text}" if inner is not chain[0] else text)
    return type(chain[0]).__name__


def _get_within(url: str, headers: Mapping[str, str], settings: HttpSettings) -> requests.Response:
    """GET ``url`` streamed (the body is not read); :class:`Overdue` when the whole exchange
    takes longer than both timeouts together (requests' timeouts hold for each read, so
    a server sending a byte a second never trips them)."""
    outcome: list[requests.Response | BaseException] = []
    if settings.verify is False:  # the config says so: no warning per check
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def call() -> None:
        try:
            outcome.append(
                requests.get(
                    url,
                    headers=dict(headers),
                    timeout=(settings.connect_timeout, settings.read_timeout),
                    verify=settings.verify,
                    stream=True,
                )
            )
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(settings.connect_timeout + settings.read_timeout)
    if not outcome:
        raise Overdue(url)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]
