"""HTTP bodies read within bounds, and what to call it when a peer breaks them.

Every body interlock reads from the outside (the responses a scenario gets, a token
call's answer, a health check's, the requests a stand-in receives) is read in chunks
and counted as it is decoded, so an endless body or a decompression bomb stops at the
limit (config ``http.max_body_bytes``) instead of filling memory: urllib3 inflates a
compressed body only as far as each read asks for. A body the peer breaks off or
garbles (bad chunked framing, fewer bytes than its Content-Length, a corrupt gzip
stream, a status line that is not HTTP) is a protocol error, told apart from a service
that cannot be reached. JSON nested deeper than :data:`MAX_JSON_DEPTH` levels is
refused when parsed: Python's parser and interlock's comparisons recurse per level.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import requests
import urllib3

CHUNK_BYTES = 64 * 1024
MAX_JSON_DEPTH = 200  # levels of nested arrays and objects a body may have
LIMIT_KEY = "http.max_body_bytes"


class BodyTooLarge(Exception):
    """A body went past the size limit; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {LIMIT_KEY} ({size(limit)})")
        self.limit = limit


class ProtocolBroken(Exception):
    """The peer broke HTTP while sending: the text says how."""


class TooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH` levels."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def size(count: int) -> str:
    """``10 MB``, ``512 KB``, ``100 bytes``."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def read(response: requests.Response, limit: int) -> bytes:
    """The whole (decoded) body of a response sent with ``stream=True``, at most
    ``limit`` bytes of it: :class:`BodyTooLarge` past that, :class:`ProtocolBroken` if
    the peer breaks the body; the connection is closed either way. Afterwards the
    response's ``content``, ``text`` and ``json()`` give the body as usual."""
    parts: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(limit)
            parts.append(chunk)
    except requests.RequestException as exc:
        response.close()
        broken = protocol_error(exc)
        if broken is None:
            raise
        raise ProtocolBroken(broken) from None
    except BaseException:
        response.close()
        raise
    content = b"".join(parts)
    response._content = content
    response.close()  # all was read: the connection goes back to the pool
    return content


def peek(response: requests.Response, count: int = 300) -> str:
    """At most ``count`` bytes of a streamed response's (decoded) body, as text for a
    message; the connection is closed after. What breaks while reading is left out."""
    try:
        data = response.raw.read(count, decode_content=True) or b""
    except (urllib3.exceptions.HTTPError, OSError):
        data = b""
    finally:
        response.close()
    return bytes(data).decode(response.encoding or "utf-8", "replace")


def protocol_error(exc: BaseException) -> str | None:
    """How ``exc`` (from requests, urllib3 or http.client) says the peer broke HTTP;
    None when it says something else (refused, timed out, TLS)."""
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        decoding = exc.args[0] if exc.args else exc
        why = _innermost(decoding)
        return f"its body could not be decoded as its Content-Encoding says: {why}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError):
        inner = _innermost(exc)
        if isinstance(inner, urllib3.exceptions.InvalidChunkLength):
            return f"broken chunked encoding: {_unwrapped(inner)}"
        if isinstance(inner, http.client.IncompleteRead):
            return f"the body ended before its Content-Length: {_unwrapped(inner)}"
        if isinstance(inner, http.client.RemoteDisconnected):
            return None  # closed before answering: a crash or a refusal, not garbled HTTP
        if isinstance(inner, http.client.HTTPException):
            return f"not an HTTP answer: {_described(inner)}"
        return None  # the connection dropped (reset, closed early): as a killed service does
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        cause = exc.args[0]
        if isinstance(cause, urllib3.exceptions.ProtocolError):
            return protocol_error(cause)
    return None


def parse_json(data: bytes | str) -> Any:
    """``data`` as JSON: ValueError when it is not JSON, :class:`TooDeep` (a
    ValueError too) when it nests deeper than :data:`MAX_JSON_DEPTH` levels."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep() from None
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
    opening = raw.count(b"[") + raw.count(b"{")  # fewer than the limit: no need to walk
    if opening > MAX_JSON_DEPTH and depth(value) > MAX_JSON_DEPTH:
        raise TooDeep()
    return value


def depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` nests (0 for a scalar); walked
    without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest


def _innermost(exc: BaseException) -> BaseException:
    """The exception a chain of wrappers (each holding the next in its args) ends with."""
    seen = exc
    while seen.args and isinstance(seen.args[-1], BaseException):
        seen = seen.args[-1]
    return seen


def _unwrapped(exc: BaseException) -> str:
    """``4 bytes read, 96 more expected`` from ``IncompleteRead(4 bytes read, ...)``."""
    text = str(exc)
    name = type(exc).__name__
    if text.startswith(f"{name}(") and text.endswith(")"):
        return text[len(name) + 1 : -1]
    return text


def _described(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
