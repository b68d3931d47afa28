"""Property-based probing of a service's operations: requests generated from its OpenAPI
document, each answer checked against the document.

The generator is schemathesis (on hypothesis): for each operation it generates requests
that follow the document (positive) and, when ``negative`` is on, requests that break it
(a documented-invalid request must be refused with a 4xx). Each answer is checked for
the rules below; on a failure hypothesis shrinks the request to the smallest one that
still fails, and that request is reported (as a curl line, masked) with the answer and
the rules it broke:

- ``5xx``: the service failed (a server error);
- ``undocumented status``: the operation does not document the status it answered;
- ``schema mismatch``: the body, its Content-Type or a required header is not what the
  document says for that status;
- ``invalid request accepted``: a request the document calls invalid was answered 2xx.

Bounded: at most ``examples`` requests per operation (and per mode), at most
``seconds`` for the whole probe (an operation started then ends at its next example);
reproducible: every operation is generated from the one ``seed``, printed with the
result. Requests go only to the service's configured address, with its headers and
credentials; redirects are not followed. Each exchange is handed to ``on_exchange``
(contract coverage counts it).

schemathesis and hypothesis are imported on first use only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from interlock import bodies
from interlock.config import HttpSettings
from interlock.errors import ScenarioInputError, excerpt
from interlock.exchange import Exchange, curl
from interlock.masking import Masker
from interlock.payloads import shown

RULES = {  # schemathesis' failure kinds, in interlock's words
    "ServerError": "5xx",
    "ContentTypeServerError": "5xx",
    "UndefinedStatusCode": "undocumented status",
    "JsonSchemaError": "schema mismatch",
    "MalformedJson": "schema mismatch",
    "MissingContentType": "schema mismatch",
    "UndefinedContentType": "schema mismatch",
    "MalformedMediaType": "schema mismatch",
    "MissingHeaders": "schema mismatch",
    "ContentDeserializationError": "schema mismatch",
    "AcceptedNegativeData": "invalid request accepted",
}


@dataclass(frozen=True)
class Limits:
    """How much to generate: ``examples`` per operation and mode, ``seconds`` in all."""

    examples: int
    seconds: float
    seed: int
    negative: bool = True


@dataclass(frozen=True)
class Finding:
    """One operation's contract broken: the smallest request found, the answer, the rules."""

    operation: str
    mode: str  # "positive" (requests the document allows) or "negative" (it forbids)
    rules: tuple[str, ...]
    broken: str  # what the contract says, rule by rule
    exchange: str  # the request and answer, as a failure shows them (curl line included)
    curl: str

    def text(self) -> str:
        return (
            f"{self.operation} ({self.mode} requests) broke its contract:"
            f" {', '.join(self.rules)}\n{self.broken}\n{self.exchange}"
        )


@dataclass
class OperationRun:
    """What probing one operation did."""

    operation: str
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    finding: Finding | None = None

    def line(self) -> str:
        answers = ", ".join(f"{n}x {s}" for s, n in sorted(self.statuses.items())) or "none"
        notes = f"; {'; '.join(self.notes)}" if self.notes else ""
        verdict = "BROKEN" if self.finding else "kept"
        return f"{self.operation}: {verdict}, {self.sent} requests (answers: {answers}){notes}"


@dataclass
class Probe:
    """The whole probe: per operation what was sent, what broke; the seed that repeats it."""

    service: str
    seed: int
    limits: Limits
    runs: list[OperationRun] = field(default_factory=list)
    elapsed: float = 0.0
    timed_out: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [run.finding for run in self.runs if run.finding is not None]

    @property
    def sent(self) -> int:
        return sum(run.sent for run in self.runs)

    def summary(self) -> str:
        rate = self.sent / self.elapsed if self.elapsed else 0.0
        head = (
            f"probed {self.service}: {len(self.runs)} operation(s), {self.sent} generated"
            f" requests in {self.elapsed:.1f} s ({rate:.0f}/s), seed {self.seed}"
            f" (at most {self.limits.examples} per operation and mode,"
            f" {self.limits.seconds:g} s in all)"
        )
        if self.timed_out:
            head += "; the time limit ended it early"
        return "\n".join([head] + [f"  {run.line()}" for run in self.runs])

    def failure(self) -> str:
        findings = self.findings
        parts = [
            f"{len(findings)} operation(s) of {self.service} broke the contract for generated"
            f" requests (seed {self.seed}: repeat with --set probing.seed={self.seed})"
        ]
        parts += [f.text() for f in findings]
        parts.append(self.summary())
        return "\n\n".join(parts)


class _NoAnswer(AssertionError):
    """The request got no answer (refused, reset, timed out)."""


class _Broken(AssertionError):
    """An answer broke the contract (the failures are kept beside it)."""


def probe(
    service: str,
    document: Path,
    base_url: str,
    headers: Mapping[str, str],
    limits: Limits,
    http: HttpSettings,
    masker: Masker,
    operations: Sequence[str] = (),
    on_exchange: Callable[[Exchange], None] | None = None,
) -> Probe:
    """Probe ``operations`` (labels such as ``POST /orders``; all when empty) of the
    service at ``base_url`` with generated requests carrying ``headers``."""
    schema = _load(document)
    chosen = _operations(schema, document, operations)
    result = Probe(service, limits.seed, limits)
    started = time.monotonic()
    deadline = started + limits.seconds
    session = requests.Session()
    try:
        for operation in chosen:
            run = OperationRun(operation.label)
            result.runs.append(run)
            modes = ["positive", "negative"] if limits.negative else ["positive"]
            for mode in modes:
                if time.monotonic() >= deadline:
                    result.timed_out = True
                    run.notes.append(f"{mode}: not probed, the time limit was reached")
                    continue
                finding = _probe_operation(
                    operation, mode, base_url, headers, limits, deadline, http, masker,
                    session, run, on_exchange,
                )  # fmt: skip
                if finding is not None:
                    run.finding = finding
                    break
            if time.monotonic() >= deadline:
                result.timed_out = True
    finally:
        session.close()
        result.elapsed = time.monotonic() - started
    return result


def _load(document: Path) -> Any:
    import schemathesis

    if not document.is_file():
        raise ScenarioInputError(
            f"the OpenAPI document {shown(document)} does not exist",
            hint="check services.NAME.openapi in the config (relative to the project root)",
        )
    try:
        return schemathesis.openapi.from_path(str(document))
    except Exception as exc:  # schemathesis raises several kinds for a broken document
        raise ScenarioInputError(
            f"the OpenAPI document {shown(document)} cannot be used to generate requests:"
            f" {excerpt(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}",
            hint="fix the document; any OpenAPI 3.0/3.1 validator points at the problem",
        ) from None


def _operations(schema: Any, document: Path, wanted: Sequence[str]) -> list[Any]:
    found: list[Any] = []
    for result in schema.get_all_operations():
        try:
            found.append(result.ok())
        except Exception as exc:  # an operation the generator cannot read ($ref unresolved)
            raise ScenarioInputError(
                f"the OpenAPI document {shown(document)} has an operation that cannot be"
                f" read: {excerpt(str(exc))}",
                hint="fix the document (each $ref must resolve inside it)",
            ) from None
    if not wanted:
        return found
    by_label = {op.label: op for op in found}
    chosen = []
    for label in wanted:
        method, _, path = " ".join(label.split()).partition(" ")
        key = f"{method.upper()} {path}"
        if key not in by_label:
            raise ScenarioInputError(
                f"the API contract {shown(document)} describes no operation {label!r}",
                hint=f"it describes: {', '.join(by_label) or 'none'}",
            )
        chosen.append(by_label[key])
    return chosen


def _probe_operation(
    operation: Any,
    mode: str,
    base_url: str,
    headers: Mapping[str, str],
    limits: Limits,
    deadline: float,
    http: HttpSettings,
    masker: Masker,
    session: requests.Session,
    run: OperationRun,
    on_exchange: Callable[[Exchange], None] | None,
) -> Finding | None:
    """Generate and send up to ``limits.examples`` requests for one operation in one mode;
    the smallest failing one, or None."""
    from hypothesis import HealthCheck, Phase, given, reject, seed, settings
    from hypothesis.errors import Flaky, Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.core.failures import Failure, FailureGroup

    checks = _checks(mode)
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    sent_headers = dict(headers)
    failing: list[tuple[Exchange, list[Any]]] = []

    @seed(limits.seed)
    @settings(
        max_examples=limits.examples,
        deadline=None,
        database=None,  # nothing kept between runs: the seed alone repeats a probe
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
    )
    @given(operation.as_strategy(generation))
    def check(case: Any) -> None:
        if time.monotonic() >= deadline:
            reject()  # out of time: no request, and shrinking stops where it is
        kwargs = case.as_transport_kwargs(base_url=base_url, headers=sent_headers)
        exchange = _send(session, kwargs, http, masker)
        run.sent += 1
        run.statuses[exchange.status] += 1
        if on_exchange is not None:
            on_exchange(exchange)
        try:
            case.validate_response(exchange.response, checks=checks, headers=sent_headers)
        except FailureGroup as group:
            # a BaseExceptionGroup: hypothesis would pass it on without shrinking
            failing.append((exchange, list(group.exceptions)))
            raise _Broken(str(group)) from None
        except Failure as one:
            failing.append((exchange, [one]))
            raise _Broken(str(one)) from None

    try:
        check()
    except (_Broken, Flaky, _NoAnswer) as exc:
        if isinstance(exc, _NoAnswer) and not failing:
            return Finding(run.operation, mode, ("no answer",), f"  - {exc}", str(exc), "")
        if isinstance(exc, Flaky):
            run.notes.append(f"{mode}: the smallest failing request passed when sent again")
        if failing:
            return _finding(run.operation, mode, *failing[-1], masker)
        raise
    except Unsatisfiable:
        run.notes.append(f"{mode}: the document allows no such request")
    return None


def _checks(mode: str) -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    return [*checks, negative_data_rejection] if mode == "negative" else checks


def _send(
    session: requests.Session, kwargs: dict[str, Any], http: HttpSettings, masker: Masker
) -> Exchange:
    kwargs = {key: value for key, value in kwargs.items() if key != "session"}
    # schemathesis tags each request with an id of its own: noise in a curl line
    headers = {
        name: value
        for name, value in (kwargs.pop("headers", None) or {}).items()
        if name.lower() != "x-schemathesis-testcaseid"
    }
    request = requests.Request(
        method=kwargs.pop("method"),
        url=kwargs.pop("url"),
        headers=headers,
        params=kwargs.pop("params", None),
        cookies=kwargs.pop("cookies", None),
        json=kwargs.pop("json", None),
        data=kwargs.pop("data", None),
        files=kwargs.pop("files", None),
    )
    prepared = session.prepare_request(request)
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    started = time.perf_counter()
    try:
        response = session.send(prepared, stream=True, **http.request_options())
        bodies.read(response, http.max_body_bytes)
    except (requests.RequestException, bodies.BodyTooLarge, bodies.ProtocolBroken) as exc:
        line = curl(prepared.method or "GET", prepared.url or "", prepared.headers, body, masker)
        raise _NoAnswer(
            masker.mask(
                f"{prepared.method} {prepared.url}: {excerpt(str(exc))}\n  reproduce: {line}"
            )
        ) from None
    elapsed = (time.perf_counter() - started) * 1000
    return Exchange(
        prepared.method or "GET",
        prepared.url or "",
        dict(prepared.headers),
        body,
        response,
        elapsed,
        masker,
        prepared,
    )


def _finding(
    operation: str, mode: str, exchange: Exchange, failures: list[Any], masker: Masker
) -> Finding:
    rules: dict[str, None] = {}
    lines = []
    order = list(dict.fromkeys(RULES.values()))
    failures = sorted(
        failures,
        key=lambda f: (
            order.index(RULES[type(f).__name__]) if type(f).__name__ in RULES else len(order)
        ),
    )
    for failure in failures:
        rule = RULES.get(type(failure).__name__, str(getattr(failure, "title", "check failed")))
        rules[rule] = None
        message = " ".join(str(getattr(failure, "message", "") or "").split())
        title = str(getattr(failure, "title", type(failure).__name__))
        lines.append(f"  - {rule}: {title}{': ' + excerpt(message) if message else ''}")
    line = curl(exchange.method, exchange.url, exchange.headers, exchange.body, masker)
    return Finding(
        operation,
        mode,
        tuple(rules),
        masker.mask("\n".join(lines)),
        exchange.describe(),
        line,
    )
