"""Checking a response against a contract: the service's OpenAPI document (with
openapi-core) or a JSON schema (with jsonschema).

A scenario's own calls have only their response checked, never the request, so
scenarios that send invalid requests on purpose can still check the documented error
answer. The requests a stand-in receives from the system under test are checked in
full (:func:`check_request`): there the caller is what is being tested.

An operation or a status the document does not describe is a violation, not
a pass. Each OpenAPI document is loaded once per process; both libraries are imported
on first use only (openapi-core takes most of a second to import).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from interlock.errors import ScenarioInputError, excerpt
from interlock.exchange import Exchange
from interlock.payloads import shown

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from openapi_core import OpenAPI

_MESSAGE_LIMIT = 300  # characters of one violation's text
_documents: dict[Path, OpenAPI] = {}


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one response against an OpenAPI document."""

    document: str
    operation: str
    status: int
    violations: list[str]

    def message(self) -> str:
        return describe(
            f"the response breaks the API contract {self.document}: operation"
            f" {self.operation}, status {self.status}",
            self.violations,
        )


def describe(title: str, violations: list[str]) -> str:
    count = len(violations)
    lines = [f"{title}: {count} violation{'s' if count != 1 else ''}"]
    return "\n".join(lines + [f"  - {v}" for v in violations])


def no_contract(service: str) -> ScenarioInputError:
    return ScenarioInputError(
        f"service {service!r} has no API contract to check against",
        hint=f"set services.{service}.openapi in the config to its OpenAPI document",
    )


# -- OpenAPI ------------------------------------------------------------------------------


def check_response(document: Path, base_url: str, exchange: Exchange) -> Verdict:
    """Check ``exchange``'s response against the operation it called in ``document``."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    api = load_openapi(document)
    found = _locate(api, exchange.method, _candidate_urls(exchange.url, base_url))
    if found is None:
        raise AssertionError(
            f"{_no_operation(api, document, exchange.method, exchange.url)}\n{exchange.describe()}"
        )
    url, operation = found
    status = exchange.status
    if exchange.prepared is None:
        raise ValueError("an exchange without its prepared request cannot be checked")
    request = exchange.prepared.copy()
    query = urlsplit(exchange.url).query
    request.url = f"{url}?{query}" if query else url
    errors = api.iter_response_errors(
        RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(exchange.response)
    )
    try:
        violations = _violations(errors, status)
    except RecursionError:  # the engine recurses per level of the body
        exchange.json()  # JSON nested too deep: that failure, with the request
        raise AssertionError(
            f"the response is nested too deep to check against {shown(document)}\n"
            f"{exchange.describe()}"
        ) from None
    return Verdict(shown(document), operation, status, violations)


def load_openapi(document: Path) -> OpenAPI:
    """The OpenAPI document at ``document``, loaded once per process."""
    if document not in _documents:
        from openapi_core import OpenAPI

        if not document.is_file():
            raise ScenarioInputError(
                f"the OpenAPI document {shown(document)} does not exist",
                hint="check services.NAME.openapi in the config (relative to the project root)",
            )
        try:
            _documents[document] = OpenAPI.from_file_path(str(document))
        except Exception as exc:  # the libraries raise many kinds for a broken document
            raise ScenarioInputError(
                f"the OpenAPI document {shown(document)} is not valid: "
                f"{excerpt(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}",
                hint="fix the document; any OpenAPI 3.0/3.1 validator points at the problem",
            ) from None
    return _documents[document]


def check_answer(
    document: Path,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> Verdict:
    """Check an answer a stand-in is asked to give against ``document``: the operation
    ``method path`` must be described, with ``status``, headers and body as documented.

    The same engine as :func:`check_response`; the answer is never sent anywhere.
    """
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    api = load_openapi(document)
    url = f"http://stand-in{path if path.startswith('/') else '/' + path}"
    found = _locate(api, method, _candidate_urls(url, ""))
    if found is None:
        operation = f"{method.upper()} {urlsplit(url).path}"
        return Verdict(
            shown(document), operation, status, [_no_operation(api, document, method, url)]
        )
    located, operation = found
    request = requests.Request(method.upper(), located).prepare()
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = body
    errors = api.iter_response_errors(
        RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response)
    )
    return Verdict(shown(document), operation, status, _violations(errors, status))


def check_request(
    document: Path, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> Verdict:
    """Check a request a stand-in received against ``document``: the operation
    ``method target`` must be described, with its parameters, credentials (security)
    and body as documented. The verdict's status is 0: no answer is judged here.
    """
    api = load_openapi(document)
    url = f"http://stand-in{target if target.startswith('/') else '/' + target}"
    found = _locate(api, method, _candidate_urls(url, ""))
    if found is None:
        operation = f"{method.upper()} {urlsplit(url).path}"
        return Verdict(shown(document), operation, 0, [_no_operation(api, document, method, url)])
    located, operation = found
    request = _received_request(method, located, urlsplit(url).query, headers, body)
    errors = _request_errors(api, request)
    return Verdict(shown(document), operation, 0, _violations(errors, 0))


def _received_request(
    method: str, url: str, query: str, headers: Mapping[str, str], body: bytes
) -> Any:
    """The request as openapi-core reads one: the path percent-decoded, blank query
    values kept, cookies from the Cookie header, and the body's own Content-Type
    (none when it sent none)."""
    from http.cookies import CookieError, SimpleCookie
    from types import SimpleNamespace
    from urllib.parse import parse_qs, unquote

    from openapi_core.datatypes import RequestParameters
    from werkzeug.datastructures import Headers, ImmutableMultiDict

    cookies: dict[str, str] = {}
    for key, value in headers.items():
        if key.lower() == "cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value)
            except CookieError:
                continue
            cookies.update({name: morsel.value for name, morsel in jar.items()})
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    parts = urlsplit(url)
    return SimpleNamespace(
        host_url=f"{parts.scheme}://{parts.netloc}",
        path=unquote(parts.path),
        method=method.lower(),
        body=body or None,
        content_type=content_type,
        parameters=RequestParameters(
            query=ImmutableMultiDict(parse_qs(query, keep_blank_values=True)),
            header=Headers(dict(headers)),
            cookie=ImmutableMultiDict(cookies),
        ),
    )


def _request_errors(api: OpenAPI, request: Any) -> list[Exception]:
    """Every way the request breaks the document: credentials, parameters and body
    each checked on their own (openapi-core's whole-request check stops at the first
    part that fails)."""
    from openapi_core.validation.request import validators

    whole = type(api.request_validator).__name__  # V30RequestValidator, V31...
    names = [
        whole.replace("Request", f"Request{part}") for part in ("Security", "Parameters", "Body")
    ]
    if not all(hasattr(validators, name) for name in names):
        return list(api.iter_request_errors(request))
    return [
        error
        for name in names
        for error in getattr(validators, name)(api.spec).iter_errors(request)
    ]


def _locate(api: OpenAPI, method: str, urls: list[str]) -> tuple[str, str] | None:
    """The URL under which the document describes the call, and the operation's name;
    None when it describes no such operation."""
    from openapi_core.templating.paths.exceptions import PathError
    from openapi_core.templating.paths.finders import APICallPathFinder

    finder = APICallPathFinder(api.spec, base_url=None)
    for url in urls:
        try:
            found = finder.find(method.lower(), url)
        except PathError:
            continue
        template = found.path.parts[-1]
        operation_id = found.operation.get("operationId")
        name = f"{method.upper()} {template}"
        return url, f"{operation_id} ({name})" if operation_id else name
    return None


def _no_operation(api: OpenAPI, document: Path, method: str, url: str) -> str:
    return (
        f"the API contract {shown(document)} describes no operation"
        f" {method.upper()} {urlsplit(url).path}; it describes:"
        f" {', '.join(_operations(api)) or 'none'}"
    )


def _candidate_urls(url: str, base_url: str) -> list[str]:
    """The call's URL without its query, and without the service's base path if it has one.

    The document's server may be ``/`` while the service lives under a base path
    (``https://host/api``): then the call is looked up without that base path too.
    """
    parts = urlsplit(url)._replace(query="", fragment="")
    base_path = urlsplit(base_url).path.rstrip("/")
    urls = [urlunsplit(parts)]
    if base_path and parts.path.startswith(base_path + "/"):
        urls.append(urlunsplit(parts._replace(path=parts.path[len(base_path) :])))
    return urls


def operations(api: OpenAPI) -> list[str]:
    """Every operation the document describes, as ``METHOD /path``."""
    return _operations(api)


def _operations(api: OpenAPI) -> list[str]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    paths = api.spec / "paths"
    return [
        f"{method.upper()} {template}"
        for template in paths.str_keys()
        for method in (paths / template).str_keys()
        if method in methods
    ]


def _violations(errors: Iterable[Exception], status: int) -> list[str]:
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.validation.request.exceptions import (
        MissingRequiredParameter,
        MissingRequiredRequestBody,
        ParameterValidationError,
        SecurityValidationError,
    )
    from openapi_core.validation.response.exceptions import (
        HeaderValidationError,
        MissingData,
        MissingRequiredHeader,
    )
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    found: list[str] = []
    for error in errors:
        cause = error.__cause__
        if isinstance(error, SecurityValidationError):
            schemes = getattr(cause, "schemes", None)
            accepted = (
                " or ".join(" with ".join(names) for names in schemes)
                if schemes
                else _cut(str(cause or error))
            )
            found.append(f"credentials: none that the operation accepts (it accepts {accepted})")
        elif isinstance(error, MissingRequiredRequestBody):
            found.append("body: missing, but the operation requires one")
        elif isinstance(error, MissingRequiredParameter):
            found.append(f"{error.location} parameter {error.name}: required, but missing")
        elif isinstance(error, ParameterValidationError):
            whys = (
                [why for _, why in _schema_errors(cause.schema_errors)]
                if isinstance(cause, InvalidSchemaValue)
                else [_cut(str(cause or error))]
            )
            found += [f"{error.location} parameter {error.name}: {why}" for why in whys]
        elif isinstance(error, ResponseNotFound):
            documented = ", ".join(error.availableresponses) or "none"
            found.append(f"status {status} is not documented for it (documented: {documented})")
        elif isinstance(error, MissingData):
            found.append("body: empty, but the contract documents one")
        elif isinstance(cause, MediaTypeNotFound):
            found.append(
                f"body: Content-Type {cause.mimetype!r} is not documented (documented:"
                f" {', '.join(cause.availableMimetypes)})"
            )
        elif isinstance(error, MissingRequiredHeader):
            found.append(f"header {error.name}: required, but missing")
        elif isinstance(error, HeaderValidationError) and isinstance(cause, InvalidSchemaValue):
            found += [
                f"header {error.name}: {why}" for _, why in _schema_errors(cause.schema_errors)
            ]
        elif isinstance(cause, InvalidSchemaValue):
            found += [f"body{path}: {why}" for path, why in _schema_errors(cause.schema_errors)]
        else:
            found.append(_cut(f"{type(error).__name__}: {cause or error}"))
    return found


# -- JSON schema ---------------------------------------------------------------------------


def schema_violations(schema: Any, instance: Any, source: str) -> list[str]:
    """Every way ``instance`` breaks ``schema`` (from the user's file ``source``)."""
    validator = _validator(json.dumps(schema, sort_keys=True), source)
    return [f"${path}: {why}" for path, why in _schema_errors(validator.iter_errors(instance))]


@functools.lru_cache(maxsize=64)
def _validator(schema_text: str, source: str) -> Validator:
    import jsonschema

    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise ScenarioInputError(
            f"{source} is not a valid JSON schema: {excerpt(exc.message)} (at {where})",
            hint="check the schema against its $schema draft (default: the latest)",
        ) from None
    validator: Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


def _schema_errors(errors: Iterable[Any]) -> list[tuple[str, str]]:
    """jsonschema errors in document order, as (``.items[0].id``, ``message (rule: ...)``)."""
    found = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        rule = ".".join(str(p) for p in error.absolute_schema_path)
        found.append((path, f"{_cut(error.message)} (rule: {rule})"))
    return found


def _cut(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."
