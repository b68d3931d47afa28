"""Plumbing shared by the three shop services.

Everything the services have in common lives here so that each service module
only holds its own business logic:

* configuration from environment variables (``SHOP_DB_*``, ``SHOP_API_TOKEN``, ``PORT``);
* database access: a fresh PyMySQL connection per unit of work (:func:`transaction`);
* a tiny router on top of :class:`http.server.ThreadingHTTPServer` with JSON
  responses, JSON error bodies and bearer-token checks for writes;
* request-body validation that reports every bad field at once;
* :func:`serve` / :func:`run`: start a service on 127.0.0.1, log one line per
  request to stdout and stop cleanly on SIGTERM or SIGINT.

Error bodies always look like ``{"error": "<code>", "message": "<text>"}`` with an
optional ``"details"`` list of strings.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql
import pymysql.cursors

HOST = "127.0.0.1"
MAX_INT = 2_147_483_647
"""Largest value an ``INT`` column holds; the upper bound for stock and quantities."""
MAX_ID = 9_223_372_036_854_775_807
"""Largest id the contracts allow (``format: int64``); the ``BIGINT UNSIGNED`` columns
never reach it, and a larger number is refused as no id at all."""
MAX_BODY_BYTES = 1_048_576
POLL_BATCH = 100
"""How many rows a polling job handles per call at most."""
SKU_PATTERN = r"[A-Za-z0-9._-]{1,32}"
"""What a new product's SKU must look like."""

DB_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    pymysql.err.OperationalError,
    pymysql.err.InterfaceError,
)
"""PyMySQL errors that mean "the database is unreachable or gave up": answered with 503."""

Row = dict[str, Any]
Cursor: TypeAlias = Any
"""A ``pymysql.cursors.DictCursor`` (PyMySQL ships no type hints)."""

logger = logging.getLogger("demo.shop")
"""Where the services log: one line per record on stdout (set up by :func:`serve`)."""


def log(app: str, message: str) -> None:
    """Log the line ``<app> <message>``."""
    logger.info("%s %s", app, message)


def _log_to_stdout() -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)  # flushes after every record
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


# --------------------------------------------------------------------------- config


class ConfigError(Exception):
    """An environment variable holds a value the service cannot use."""


def env_str(name: str, default: str) -> str:
    """The environment variable ``name``, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 65_535) -> int:
    """An integer environment variable within ``[minimum, maximum]``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value < 86_400:
        raise ConfigError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


@dataclass(frozen=True)
class DbConfig:
    """Where the shop database is: read from ``SHOP_DB_*`` environment variables."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @classmethod
    def from_env(cls) -> DbConfig:
        return cls(
            host=env_str("SHOP_DB_HOST", "127.0.0.1"),
            port=env_int("SHOP_DB_PORT", 3306, minimum=1),
            user=env_str("SHOP_DB_USER", "root"),
            password=env_str("SHOP_DB_PASSWORD", ""),
            name=env_str("SHOP_DB_NAME", "shop"),
        )


# ------------------------------------------------------------------------- database


def connect() -> pymysql.connections.Connection:
    """A new connection to the shop database (autocommit off, rows as dicts)."""
    cfg = DbConfig.from_env()
    return pymysql.connect(
        host=cfg.host,
        port=cfg.port,
        user=cfg.user,
        password=cfg.password,
        database=cfg.name,
        charset="utf8mb4",
        autocommit=False,
        connect_timeout=5,
        read_timeout=30,
        write_timeout=30,
        cursorclass=pymysql.cursors.DictCursor,
        # PyMySQL otherwise builds a TLS context (loading the system CA store, ~60 ms)
        # for every connection, and this shop opens one per request and per poll.
        ssl_disabled=True,
    )


@contextmanager
def transaction() -> Iterator[Cursor]:
    """One unit of work on a fresh connection: commit on success, roll back on error.

    A fresh connection per unit keeps the services robust to database restarts.
    """
    conn = connect()
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except BaseException:
        with suppress(pymysql.err.MySQLError):
            conn.rollback()
        raise
    finally:
        # close() raises on a connection PyMySQL already dropped after a network error
        with suppress(pymysql.err.MySQLError):
            conn.close()


# ------------------------------------------------------------------ requests/replies


@dataclass(frozen=True)
class Response:
    """A reply: status code, body and extra headers. The body is sent as JSON (anything
    ``json.dumps`` takes), unless ``content_type`` is given: then it is text sent as is
    (the storefront's HTML pages)."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""


class ApiError(Exception):
    """Raised by handlers (and helpers) to answer with a JSON error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})

    def response(self) -> Response:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return Response(self.status, body, self.headers)


def invalid_request(message: str, details: Sequence[str] = ()) -> ApiError:
    """The 400 ``invalid_request`` error."""
    return ApiError(400, "invalid_request", message, details=details)


@dataclass(frozen=True)
class Request:
    """What a handler gets: the request line split up, headers and the raw body."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json_object(self) -> dict[str, Any]:
        """The body parsed as a JSON object, or a 400 ``invalid_request``."""
        if not self.body.strip():
            raise invalid_request("request body must be a JSON object")
        try:
            value = json.loads(self.body, parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise invalid_request("request body is not valid JSON", [str(exc)]) from None
        if not isinstance(value, dict):
            raise invalid_request("request body must be a JSON object")
        return value

    def query_value(self, name: str) -> str:
        """The first value of a required, non-empty query parameter, or a 400."""
        values = self.query.get(name) or [""]
        if not values[0]:
            raise invalid_request(f"query parameter {name!r} is required")
        return values[0]

    @property
    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
        scheme, _, token = self.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_id(text: str) -> int | None:
    """A database id (1 .. int64 max) from decimal digits, else ``None``."""
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


_MISSING = object()


class BodyValidator:
    """Checks the fields of one JSON request body and collects every problem.

    Each getter returns the checked value (or a placeholder when it is bad);
    :meth:`finish` then raises one 400 ``invalid_request`` listing all problems
    in ``details``. Fields not named in ``fields`` are reported as unknown.
    """

    def __init__(self, body: Mapping[str, Any], fields: Iterable[str]) -> None:
        self._body = body
        self.errors = [f"{name}: unknown field" for name in sorted(set(body) - set(fields))]

    def _get(self, name: str) -> Any:
        if name not in self._body:
            self.errors.append(f"{name}: is required")
            return _MISSING
        return self._body[name]

    def string(self, name: str, *, max_length: int, pattern: str | None = None) -> str:
        value = self._get(name)
        if value is _MISSING:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.errors.append(f"{name}: must be a non-empty string")
        elif len(value) > max_length:
            self.errors.append(f"{name}: must be at most {max_length} characters")
        elif pattern is not None and not re.fullmatch(pattern, value):
            self.errors.append(f"{name}: must match {pattern}")
        else:
            return value
        return ""

    def integer(self, name: str, *, minimum: int, maximum: int = MAX_INT) -> int:
        value = self._get(name)
        if value is _MISSING:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(f"{name}: must be an integer")
        elif not minimum <= value <= maximum:
            self.errors.append(f"{name}: must be between {minimum} and {maximum}")
        else:
            return value
        return 0

    def money(self, name: str, *, maximum: Decimal) -> Decimal:
        """A number >= 0 and <= ``maximum`` with at most two decimal places."""
        value = self._get(name)
        if value is _MISSING:
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.errors.append(f"{name}: must be a number")
            return Decimal(0)
        amount = Decimal(str(value))
        if not Decimal(0) <= amount <= maximum:
            self.errors.append(f"{name}: must be between 0 and {maximum}")
        else:
            try:
                if amount == amount.quantize(Decimal("0.01")):
                    return amount.quantize(Decimal("0.01"))
            except InvalidOperation:
                pass
            self.errors.append(f"{name}: must have at most 2 decimal places")
        return Decimal(0)

    def finish(self) -> None:
        if self.errors:
            raise invalid_request("request body is invalid", self.errors)


# -------------------------------------------------------------------------- routing

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One entry of a route table: method, compiled path regex, handler, auth flag."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = False


def route(method: str, path: str, handler: Handler, *, auth: bool = False) -> Route:
    """A route for ``path``, where ``{name}`` matches one path segment.

    ``route("GET", "/products/{sku}", h)`` matches ``^/products/(?P<sku>[^/]+)$``;
    captured segments reach the handler URL-decoded in ``request.params``.
    """
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return Route(method, re.compile(regex), handler, auth)


def check_auth(request: Request) -> None:
    """Let a write through only with ``Authorization: Bearer $SHOP_API_TOKEN``."""
    expected = os.environ.get("SHOP_API_TOKEN", "")
    token = request.bearer_token
    if not expected:
        message = "writes are disabled: SHOP_API_TOKEN is not set"
    elif token is None:
        message = "missing bearer token"
    elif not hmac.compare_digest(token.encode(), expected.encode()):
        message = "invalid bearer token"
    else:
        return
    raise ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def dispatch(
    routes: Sequence[Route], method: str, target: str, headers: Mapping[str, str], body: bytes
) -> Response:
    """Find the route for ``method target`` and run it; errors become JSON replies.

    Unknown paths get 404 ``not_found``, known paths with another method 405
    ``method_not_allowed``, an unreachable database 503 ``database_unavailable``.
    """
    url = urlsplit(target)
    allowed: list[str] = []
    for candidate in routes:
        match = candidate.pattern.fullmatch(url.path)
        if match is None:
            continue
        if candidate.method != method:
            allowed.append(candidate.method)
            continue
        request = Request(
            method=method,
            path=url.path,
            params={k: unquote(v) for k, v in match.groupdict().items()},
            query=parse_qs(url.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        try:
            if candidate.auth:
                check_auth(request)
            return candidate.handler(request)
        except ApiError as exc:
            return exc.response()
        except DB_UNAVAILABLE_ERRORS as exc:
            return ApiError(503, "database_unavailable", f"database unavailable: {exc}").response()
    if allowed:
        return ApiError(
            405,
            "method_not_allowed",
            f"{method} is not allowed on {url.path}",
            headers={"Allow": ", ".join(sorted(set(allowed)))},
        ).response()
    return ApiError(404, "not_found", f"no such path: {url.path}").response()


def health_route(app: str) -> Route:
    """``GET /health``: 200 when the database answers ``SELECT 1``, else 503."""

    def health(_: Request) -> Response:
        try:
            with transaction() as cur:
                cur.execute("SELECT 1")
        except pymysql.err.MySQLError as exc:
            body = {"status": "unavailable", "service": app, "message": f"database: {exc}"}
            return Response(503, body)
        return Response(200, {"status": "ok", "service": app})

    return route("GET", "/health", health)


# --------------------------------------------------------------------------- server


def _status_names(status: int) -> tuple[str, str]:
    """Error code and phrase of a status, e.g. ``request_uri_too_long`` for 414."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error", str(status)
    return re.sub(r"[^a-z]+", "_", phrase.lower()).strip("_"), phrase


def _handler_class(app: str, routes: Sequence[Route]) -> type[BaseHTTPRequestHandler]:
    class ShopHandler(BaseHTTPRequestHandler):
        server_version = f"demo-shop-{app}/1.0"
        timeout = 30  # seconds a client may take to send its request

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            started = time.monotonic()
            try:
                headers = {k.title(): v for k, v in self.headers.items()}
                response = dispatch(routes, self.command, self.path, headers, self._read_body())
            except ApiError as exc:
                response = exc.response()
            except Exception:
                logger.exception("%s unhandled error in %s %s", app, self.command, self.path)
                response = ApiError(500, "internal_error", "internal server error").response()
            self._send(response)
            elapsed = (time.monotonic() - started) * 1000
            log(app, f"{self.command} {self.path} -> {response.status} ({elapsed:.1f} ms)")

        def _read_body(self) -> bytes:
            raw = self.headers.get("Content-Length")
            if raw is None:
                return b""
            if not raw.strip().isdigit():
                raise invalid_request("invalid Content-Length header")
            length = int(raw)
            if length > MAX_BODY_BYTES:
                raise invalid_request(f"request body larger than {MAX_BODY_BYTES} bytes")
            return self.rfile.read(length)

        def _send(self, response: Response) -> None:
            if response.content_type:
                payload = str(response.body).encode()
            else:
                payload = json.dumps(response.body).encode()
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type or "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away; nothing left to tell it

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """Errors http.server raises itself (bad request line, HEAD, ...) as JSON too."""
            self.close_connection = True
            code_name, phrase = _status_names(code)
            self._send(ApiError(code, code_name, message or phrase).response())
            target = getattr(self, "path", "-")
            log(app, f"{self.command or '-'} {target} -> {code} ({message or phrase})")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # _handle logs one line per request itself

    return ShopHandler


Worker = Callable[[threading.Event], None]
"""A background job run in its own thread; it must return soon after the event is set."""


def polling_worker(app: str, interval: Callable[[], float], job: Callable[[], int]) -> Worker:
    """A worker that calls ``job`` every ``interval()`` seconds until shutdown.

    ``job`` returns how much it did; a full batch (>= ``POLL_BATCH``) is followed
    at once by the next call. Errors never stop the worker: a database error is
    logged once per outage, any other error with its traceback, and polling goes on.
    """

    def work(stop: threading.Event) -> None:
        seconds = interval()
        failing = False
        while not stop.is_set():
            done = 0
            try:
                done = job()
            except pymysql.err.MySQLError as exc:
                if not failing:
                    log(app, f"poll failed, retrying every {seconds}s: {exc!r}")
                failing = True
            except Exception:
                logger.exception("%s poll failed, retrying every %ss", app, seconds)
                failing = True
            else:
                if failing:
                    log(app, "poll works again")
                failing = False
            if done < POLL_BATCH:
                stop.wait(seconds)

    return work


def serve(app: str, routes: Sequence[Route], port: int, workers: Sequence[Worker] = ()) -> int:
    """Serve ``routes`` on 127.0.0.1:``port`` until SIGTERM or SIGINT; returns the exit code.

    Logs ``<app> listening on 127.0.0.1:<port>`` once the socket listens (with the
    real port when ``port`` is 0). ``workers`` run in background threads and get an
    event that is set on shutdown.
    """
    _log_to_stdout()
    try:
        server = ThreadingHTTPServer((HOST, port), _handler_class(app, routes))
    except OSError as exc:
        log(app, f"cannot listen on {HOST}:{port}: {exc}")
        return 1
    server.daemon_threads = True
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log(app, f"received {signal.Signals(signum).name}, shutting down")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    http_thread = threading.Thread(target=server.serve_forever, name=f"{app}-http", daemon=True)
    http_thread.start()
    threads = [
        threading.Thread(target=worker, args=(stop,), name=f"{app}-worker", daemon=True)
        for worker in workers
    ]
    for thread in threads:
        thread.start()
    log(app, f"listening on {HOST}:{server.server_address[1]}")
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    for thread in threads:
        thread.join(timeout=5)
    log(app, "stopped")
    return 0


def run(
    app: str,
    routes: Sequence[Route],
    default_port: int,
    argv: Sequence[str] | None = None,
    *,
    description: str = "",
    workers: Sequence[Worker] = (),
    settings: Sequence[Callable[[], object]] = (),
) -> int:
    """Command-line entry point shared by the services: ``--port N`` or ``$PORT``.

    ``settings`` are called once up front so that a bad environment variable stops
    the service at start (exit code 2) instead of failing later requests.
    """
    _log_to_stdout()
    parser = argparse.ArgumentParser(
        prog=f"python -m demo.shop.{app}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, help=f"port to listen on (default: $PORT or {default_port})"
    )
    args = parser.parse_args(argv)
    try:
        port = args.port if args.port is not None else env_int("PORT", default_port)
        DbConfig.from_env()
        for setting in settings:
            setting()
    except ConfigError as exc:
        log(app, f"configuration error: {exc}")
        return 2
    if not 0 <= port <= 65_535:
        log(app, f"configuration error: port must be between 0 and 65535, got {port}")
        return 2
    return serve(app, routes, port, workers)
