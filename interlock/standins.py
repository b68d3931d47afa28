"""Stand-ins: HTTP servers that take the place of a configured service in a scenario.

A stand-in is a real HTTP server on 127.0.0.1 (a free port), served by a thread of
the behave worker process: one per replaced service per process. It is started the
first time a scenario replaces the service and kept until the process ends
(:meth:`StandIns.close`), so that a per-worker system under test can be pointed at
its address once. What it answers is set per scenario and forgotten when the
scenario ends, together with what it received.

Before a stand-in takes an answer, the answer is checked against the replaced
service's OpenAPI document (``standins.NAME.contract``, by default the service's
``openapi``) with the engine that checks real responses, so a double never answers
what the real service could not; a scenario may allow answers outside the contract
explicitly. Every request is recorded with the answer it got, and checked against
the same contract (``standins.NAME.check_requests``, on by default): a request the
real service's contract does not allow fails the scenario, unless it allows that.
A request no answer matches gets ``standins.NAME.unmatched_status`` (501) and fails
the scenario, naming the closest configured answer (see :mod:`interlock.standin_checks`).
A request whose body is larger than ``http.max_body_bytes`` (413) or breaks HTTP's
framing (400) is refused unread and fails the scenario too.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interlock import bodies, contracts
from interlock.config import StandInConfig
from interlock.environment.ports import free_port
from interlock.errors import EnvironmentStartError, ScenarioInputError
from interlock.evidence import attach_text
from interlock.exchange import cut
from interlock.masking import Masker
from interlock.matching import MISSING

BIND_ATTEMPTS = 5
SETTLE_SECONDS = 2.0  # how long the end of a scenario waits for requests still being answered
EVIDENCE_BODY_LIMIT = 20_000
UNMATCHED_ERROR = "no_stand_in_answer"
REFUSED_ERROR = "request_refused_by_stand_in"
_LINE_LIMIT = 1024  # bytes of a chunk-size or trailer line
_TRAILER_LIMIT = 100  # trailer lines after the last chunk
DRAIN_SECONDS = 2.0  # how long a refused request's body is read and dropped, at most
DRAIN_BYTES = 64_000_000  # how much of it, at most

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Answer:
    """What a stand-in answers to one method and path (with a query, the query too)."""

    method: str
    path: str
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    source: str = ""  # where the scenario set it: file:line
    contract: str = ""  # how it stands against the contract, for the report

    def serves(self, method: str, target: str) -> bool:
        return method == self.method and matches(self.path, target)

    @property
    def placeholders(self) -> int:
        """How many ``{name}`` segments its path has (0: an exact path)."""
        return len(re.findall(r"\{[^{}/]*\}", path_of(self.path)))

    def title(self) -> str:
        """``POST /reservations -> 409 after 2000 ms``."""
        delay = f" after {self.delay_ms} ms" if self.delay_ms else ""
        return f"{self.method} {self.path} -> {self.status}{delay}"

    def described(self) -> str:
        """The title and where the scenario set it."""
        return f"{self.title()} ({self.source})" if self.source else self.title()


@dataclass
class Received:
    """One request a stand-in received, and what became of it."""

    method: str
    target: str  # the path and query as sent
    headers: dict[str, str]
    body: bytes
    answer: Answer | None  # None: no configured answer matched
    status: int  # the status answered (or due, while a delayed answer waits)
    outcome: str = ""  # empty while a delayed answer is still due
    shown: bool = False  # attached to the report already
    reported: bool = False  # unmatched, and a check has failed naming it already
    contract: str = ""  # how the request stands against the contract, once checked
    violations: list[str] = field(default_factory=list)  # how it breaks the contract
    allowed: bool = False  # the scenario allows requests outside the contract
    refused: str = ""  # why the stand-in refused it unread (too large, broken framing)

    @property
    def path(self) -> str:
        return path_of(self.target)

    def json(self) -> Any:
        """The body as JSON; MISSING when there is none, the text when it is not JSON."""
        if not self.body:
            return MISSING
        try:
            return bodies.parse_json(self.body)
        except bodies.TooDeep as exc:
            raise AssertionError(
                f"the request {self.method} {self.target} has a body of {exc}, more than"
                f" interlock compares: {cut(self.body.decode('utf-8', 'replace'), 200)}"
            ) from None
        except ValueError:
            return self.body.decode("utf-8", "replace")

    def line(self, limit: int = 200) -> str:
        """``POST /reservations {"sku": ...}`` (the body cut to ``limit`` characters)."""
        text = self.body.decode("utf-8", "replace")
        return f"{self.method} {self.target}" + (f" {cut(text, limit)}" if text else "")

    def evidence(self, name: str, url: str, masker: Masker) -> tuple[str, str]:
        """The report's attachment: its name, and both messages in full."""
        outcome = self.outcome or "still due at the end of the step"
        title = f"stand-in {name}: {self.method} {self.path} -> {self.status}"
        if outcome.startswith("not answered"):
            title += " (not answered)"
        request = self.body.decode("utf-8", "replace")
        lines = [
            f"received by the stand-in for {name} at {url}:",
            f"{self.method} {self.target}",
            *(f"{key}: {masker.header(key, value)}" for key, value in self.headers.items()),
            "",
            cut(request, EVIDENCE_BODY_LIMIT, masker) if request else "(no body)",
            "",
        ]
        if self.contract:
            lines.append(f"request: {self.contract}")
        answer = self.answer
        if self.refused:
            lines.append(f"answer: {self.status}, since the stand-in refused it: {self.refused}")
        elif answer is None:
            lines.append(f"answer: {self.status}, since no configured answer matches")
        else:
            lines.append(f"answer: {answer.described()}")
            if answer.contract:
                lines.append(f"contract: {answer.contract}")
        lines.append(f"outcome: {outcome}")
        if answer is not None:
            lines += [
                f"{key}: {masker.header(key, value)}" for key, value in answer.headers.items()
            ]
            text = answer.body.decode("utf-8", "replace")
            lines += ["", cut(text, EVIDENCE_BODY_LIMIT, masker) if text else "(no body)"]
        return title, masker.mask("\n".join(lines))


@dataclass
class Traffic:
    """What a stand-in received in a scenario, and the answers the scenario gave it."""

    received: list[Received]
    answers: list[Answer]


def path_of(target: str) -> str:
    return target.split("?", 1)[0]


def matches(pattern: str, target: str) -> bool:
    """Whether a request to ``target`` (path and query) is one ``pattern`` speaks of:
    ``/reservations/{id}`` takes any one segment in place of ``{id}``; a pattern with a
    query compares the query too, one without ignores it."""
    path, _, query = pattern.partition("?")
    target_path, _, target_query = target.partition("?")
    if "?" in pattern and query != target_query:
        return False
    if "{" not in path:
        return path == target_path
    return _template(path).fullmatch(target_path) is not None


@functools.lru_cache(maxsize=256)
def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}/]*\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        self.server.standin.serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # every request is recorded and reported instead


class StandIn:
    """One stand-in server. Its answers and what it received belong to the current
    scenario: :meth:`end_scenario` hands them over and starts afresh."""

    def __init__(self, config: StandInConfig, max_body_bytes: int = 10_000_000) -> None:
        self.config = config
        self.name = config.name
        self.max_body_bytes = max_body_bytes  # http.max_body_bytes: larger requests are refused
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._answers: dict[tuple[str, str], Answer] = {}
        self._received: list[Received] = []
        self._ended = threading.Event()  # set when the scenario ends: due answers are dropped
        self._server = _bind(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"stand-in {self.name}",
            daemon=True,
        )
        self._thread.start()

    def set_answer(self, answer: Answer) -> None:
        """Answer ``answer.method answer.path`` so from now on (replacing an earlier one)."""
        with self._lock:
            self._answers.pop((answer.method, answer.path), None)
            self._answers[(answer.method, answer.path)] = answer

    def traffic(self) -> Traffic:
        """The scenario's answers and what the stand-in received so far."""
        with self._lock:
            return Traffic(list(self._received), list(self._answers.values()))

    def end_scenario(self) -> Traffic:
        """Drop answers still due, wait briefly for requests being answered, then forget
        the scenario's answers and requests, and hand them over."""
        self._ended.set()
        deadline = time.monotonic() + SETTLE_SECONDS
        with self._idle:
            while self._busy and time.monotonic() < deadline:
                self._idle.wait(0.05)
            traffic = Traffic(self._received, list(self._answers.values()))
            self._received = []
            self._answers = {}
            self._ended = threading.Event()
        return traffic

    def stop(self) -> None:
        self.end_scenario()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request (in the server's thread for it) and record it."""
        method, target = handler.command, handler.path
        try:
            body = _read_body(handler, self.max_body_bytes)
        except (bodies.BodyTooLarge, bodies.ProtocolBroken) as exc:
            self._refuse(handler, exc)
            return
        with self._lock:
            answer = self._find(method, target)
            ended = self._ended
            status = answer.status if answer else self.config.unmatched_status
            record = Received(method, target, dict(handler.headers), body, answer, status)
            self._received.append(record)
            self._busy += 1
        try:
            self._reply(handler, record, ended)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _refuse(self, handler: BaseHTTPRequestHandler, why: Exception) -> None:
        """Answer a request whose body was not read (413: too large, 400: broken framing),
        record it as refused, and close the connection: its body is still on the wire."""
        large = isinstance(why, bodies.BodyTooLarge)
        status = 413 if large else 400
        reason = f"its body was {why}" if large else f"it broke the HTTP protocol: {why}"
        record = Received(
            handler.command,
            handler.path,
            dict(handler.headers),
            b"",
            None,
            status,
            outcome=f"refused with {status}",
            refused=reason,
        )
        with self._lock:
            self._received.append(record)
        message = f"the stand-in for {self.name!r} refused {record.method} {record.path}: {reason}"
        body = json.dumps({"error": REFUSED_ERROR, "message": message}).encode()
        handler.close_connection = True
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()
        except OSError:
            record.outcome = "refused: the caller had hung up"
            return
        _drain(handler)

    def _find(self, method: str, target: str) -> Answer | None:
        # An answer for the exact query wins over one for the path alone, and an exact
        # path over a template (the one with fewer placeholders first).
        ranked = sorted(self._answers.values(), key=lambda a: ("?" not in a.path, a.placeholders))
        return next((a for a in ranked if a.serves(method, target)), None)

    def _reply(
        self, handler: BaseHTTPRequestHandler, record: Received, ended: threading.Event
    ) -> None:
        answer = record.answer
        if answer is None:
            message = (
                f"the stand-in for {self.name!r} has no answer for {record.method} {record.path}"
            )
            body = json.dumps({"error": UNMATCHED_ERROR, "message": message}).encode()
            headers: Mapping[str, str] = {"Content-Type": "application/json"}
            record.outcome = f"answered {record.status}"
        else:
            body, headers = answer.body, answer.headers
            if answer.delay_ms and ended.wait(answer.delay_ms / 1000):
                record.outcome = "not answered: the scenario ended during the delay"
                return
            if not answer.delay_ms:
                record.outcome = "answered"  # before sending: the caller may be quicker than us
        try:
            handler.send_response(record.status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if record.method != "HEAD":
                handler.wfile.write(body)
            handler.wfile.flush()
        except OSError:
            record.outcome = "not answered: the caller had hung up when the answer was due"
            return
        if answer is not None and answer.delay_ms:
            record.outcome = f"answered after {answer.delay_ms} ms"


def _read_body(handler: BaseHTTPRequestHandler, limit: int) -> bytes:
    """The request's body, sent with a Content-Length or in chunks, at most ``limit``
    bytes: :class:`~interlock.bodies.BodyTooLarge` past that (a Content-Length is
    judged before anything is read), :class:`~interlock.bodies.ProtocolBroken` when
    its framing is not HTTP's."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        parts: list[bytes] = []
        total = 0
        while True:
            line = handler.rfile.readline(_LINE_LIMIT)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            except ValueError:
                raise bodies.ProtocolBroken(
                    f"broken chunked encoding: a chunk size of {line[:40]!r}"
                ) from None
            if size < 0:
                raise bodies.ProtocolBroken(f"broken chunked encoding: a chunk size of {size}")
            if size == 0:
                for _ in range(_TRAILER_LIMIT):
                    if handler.rfile.readline(_LINE_LIMIT) in (b"\r\n", b"\n", b""):
                        break  # the end of the trailers
                return b"".join(parts)
            total += size
            if total > limit:
                raise bodies.BodyTooLarge(limit)
            chunk = handler.rfile.read(size)
            if len(chunk) < size:
                raise bodies.ProtocolBroken(
                    f"the body broke off: a chunk of {size} bytes ended after {len(chunk)}"
                )
            parts.append(chunk)
            handler.rfile.readline(_LINE_LIMIT)  # the CRLF after each chunk
    declared = handler.headers.get("Content-Length") or "0"
    try:
        length = int(declared)
    except ValueError:
        length = -1
    if length < 0:
        raise bodies.ProtocolBroken(f"a Content-Length of {declared[:40]!r}")
    if length > limit:
        raise bodies.BodyTooLarge(limit)
    body = handler.rfile.read(length) if length else b""
    if len(body) < length:
        raise bodies.ProtocolBroken(
            f"the body ended before its Content-Length: {len(body)} of {length} bytes"
        )
    return body


def _drain(handler: BaseHTTPRequestHandler) -> None:
    """After a refusal, read and drop what the caller still sends, for a while and up to
    an amount, so that it reads the refusal rather than a connection reset under it."""
    connection = handler.connection
    deadline = time.monotonic() + DRAIN_SECONDS
    dropped = 0
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(0.1)
        while time.monotonic() < deadline and dropped < DRAIN_BYTES:
            try:
                data = connection.recv(65536)
            except TimeoutError:
                continue
            if not data:
                return
            dropped += len(data)
    except OSError:
        pass  # the caller is gone: nothing left to drop


def _bind(standin: StandIn) -> _Server:
    """A server on a free port of 127.0.0.1 (another one if it is taken meanwhile)."""
    error: OSError | None = None
    for _ in range(BIND_ATTEMPTS):
        try:
            server = _Server(("127.0.0.1", free_port()), _Handler)
        except OSError as exc:
            error = exc
            continue
        server.standin = standin
        return server
    raise EnvironmentStartError(
        f"the stand-in for {standin.name!r} found no free port on 127.0.0.1: {error}",
        hint="free some ports on 127.0.0.1, or stop stale runs with `interlock down`",
    )


@dataclass
class _Scenario:
    """What the current scenario did with stand-ins."""

    replaced: set[str] = field(default_factory=set)
    outside_contract: set[str] = field(default_factory=set)
    requests_outside_contract: set[str] = field(default_factory=set)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


class StandIns:
    """The stand-ins of one worker process, and which of them the current scenario uses."""

    def __init__(
        self,
        configs: Mapping[str, StandInConfig],
        masker: Masker,
        say: Say = _quiet,
        max_body_bytes: int = 10_000_000,
    ) -> None:
        self.configs = configs
        self.masker = masker
        self._say = say
        self.max_body_bytes = max_body_bytes  # http.max_body_bytes
        self._running: dict[str, StandIn] = {}
        self._scenario = _Scenario()

    # -- the scenario's view -----------------------------------------------------------

    def replace(self, name: str) -> StandIn:
        """The stand-in for service ``name``, started if need be, in use from now on in
        this scenario."""
        if name not in self.configs:
            raise ScenarioInputError(
                f"the service {name!r} cannot be replaced by a stand-in: standins.{name} is"
                " not configured",
                hint="services that may be replaced (config standins.NAME):"
                f" {', '.join(sorted(self.configs)) or '(none)'}",
            )
        if name not in self._running:
            self._running[name] = StandIn(self.configs[name], self.max_body_bytes)
            self._say(f"stand-in for {name} listening at {self._running[name].url}")
        self._scenario.replaced.add(name)
        return self._running[name]

    def in_use(self, name: str) -> bool:
        return name in self._scenario.replaced

    def require(self, name: str) -> StandIn:
        """The stand-in for ``name``, which this scenario must have started."""
        if not self.in_use(name):
            started = ", ".join(sorted(self._scenario.replaced)) or "none"
            raise ScenarioInputError(
                f"the stand-in {name!r} was never started in this scenario (stand-ins in"
                f" this scenario: {started})",
                hint=f'replace the service first: Given the "{name}" service is replaced by'
                " a stand-in",
            )
        return self._running[name]

    def allow_outside_contract(self, name: str) -> None:
        self.require(name)
        self._scenario.outside_contract.add(name)

    def allow_requests_outside_contract(self, name: str) -> None:
        self.require(name)
        self._scenario.requests_outside_contract.add(name)

    def add_answer_header(self, name: str, header: str, value: str) -> None:
        self.require(name)
        self._scenario.headers.setdefault(name, {})[header] = value

    def answer(
        self,
        name: str,
        method: str,
        path: str,
        status: int,
        body: Any = MISSING,
        delay_ms: int = 0,
        source: str = "",
    ) -> Answer:
        """Make the stand-in answer ``method path`` with ``status`` (and the JSON ``body``),
        after checking that the replaced service's contract allows that answer."""
        standin = self.require(name)
        if not 100 <= status <= 599:
            raise ScenarioInputError(
                f"{status} is not an HTTP status", hint="use a status from 100 to 599"
            )
        if delay_ms < 0:
            raise ScenarioInputError(f"a delay of {delay_ms} ms", hint="use 0 or more ms")
        headers = dict(self._scenario.headers.get(name, {}))
        raw = b""
        if body is not MISSING:
            raw = json.dumps(body, ensure_ascii=False).encode()
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = "application/json"
        path = path if path.startswith("/") else "/" + path
        answer = Answer(method.upper(), path, status, raw, headers, delay_ms, source)
        answer = self._checked(self.configs[name], answer)
        standin.set_answer(answer)
        return answer

    def _checked(self, config: StandInConfig, answer: Answer) -> Answer:
        """The answer with a note of how it stands against the contract; refused when it
        breaks the contract and the scenario does not allow that."""
        if config.contract is None:
            note = f"not checked: no contract (standins.{config.name}.contract)"
            return replace(answer, contract=note)
        verdict = contracts.check_answer(
            config.contract,
            answer.method,
            answer.path,
            answer.status,
            answer.headers,
            answer.body,
        )
        where = f"{verdict.document}: operation {verdict.operation}, status {verdict.status}"
        if not verdict.violations:
            return replace(answer, contract=f"conforms to the contract {where}")
        if config.name in self._scenario.outside_contract:
            listed = "\n  - ".join(verdict.violations)
            note = f"outside the contract {where}, as the scenario allows:\n  - {listed}"
            return replace(answer, contract=note)
        raise ScenarioInputError(
            contracts.describe(
                f"the stand-in for {config.name!r} cannot answer {answer.title()}: the real"
                f" service could not, by its contract {where}",
                verdict.violations,
            ),
            hint="answer as the contract documents; to test answers outside it on purpose,"
            f' first: Given the stand-in "{config.name}" may answer outside its API contract',
        )

    # -- the run's view ----------------------------------------------------------------

    def url(self, name: str) -> str:
        return self.require(name).url

    def running(self) -> dict[str, StandIn]:
        return dict(self._running)

    def attach_new(self) -> None:
        """Attach to the current report step every finished exchange not shown yet."""
        for name, standin in self._running.items():
            for record in standin.traffic().received:
                if record.outcome and not record.shown:
                    self._attach(name, standin.url, record)

    def end_scenario(self) -> dict[str, Traffic]:
        """Attach what is left to the report, and forget the scenario: its answers, its
        requests and which stand-ins it used. Returns each stand-in's traffic."""
        ended = {name: standin.end_scenario() for name, standin in self._running.items()}
        try:
            for name, traffic in ended.items():
                for record in traffic.received:
                    if not record.shown:
                        self._attach(name, self._running[name].url, record)
        finally:
            replaced, self._scenario = self._scenario.replaced, _Scenario()
        return {
            name: traffic for name, traffic in ended.items() if traffic.received or name in replaced
        }

    def close(self) -> None:
        for standin in self._running.values():
            standin.stop()
        self._running.clear()

    def _attach(self, name: str, url: str, record: Received) -> None:
        record.shown = True
        self._check_request(self.configs[name], record)
        title, text = record.evidence(name, url, self.masker)
        attach_text(self.masker, title, text)

    def _check_request(self, config: StandInConfig, record: Received) -> None:
        """Note how the request the system under test sent stands against the replaced
        service's contract (checked here, not in the server thread, so that the check
        never delays the answer)."""
        if record.refused:
            record.contract = "not checked: the stand-in refused it unread"
            return
        if config.contract is None or not config.check_requests:
            why = "no contract" if config.contract is None else "check_requests is off"
            record.contract = f"not checked: {why} (standins.{config.name})"
            return
        try:
            verdict = contracts.check_request(
                config.contract, record.method, record.target, record.headers, record.body
            )
        except Exception as exc:  # a request the checker cannot read is reported, not fatal
            record.contract = f"not checked: {type(exc).__name__}: {cut(str(exc), 200)}"
            return
        where = f"{verdict.document}: operation {verdict.operation}"
        record.violations = verdict.violations
        record.allowed = config.name in self._scenario.requests_outside_contract
        if not verdict.violations:
            record.contract = f"conforms to the contract {where}"
            return
        listed = "\n  - ".join(verdict.violations)
        allowed = ", as the scenario allows" if record.allowed else ""
        record.contract = f"breaks the contract {where}{allowed}:\n  - {listed}"
