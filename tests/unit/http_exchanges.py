"""Exchanges built in memory (no network) for the unit tests of checks and contracts."""

from __future__ import annotations

import json
from typing import Any

import requests

from interlock.exchange import Exchange
from interlock.masking import Masker


def exchange(
    method: str = "GET",
    url: str = "http://127.0.0.1:9/orders/5",
    status: int = 200,
    body: Any = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    request_headers: dict[str, str] | None = None,
    request_json: Any = None,
    masker: Masker | None = None,
) -> Exchange:
    """An exchange as HttpClient.send records it, with the given response."""
    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 201: "Created", 404: "Not Found"}.get(status, "Status")
    response._content = raw if raw is not None else json.dumps(body).encode()
    response.headers.update({"Content-Type": content_type, **(headers or {})})
    data = json.dumps(request_json).encode() if request_json is not None else None
    prepared = requests.Request(method, url, headers=request_headers or {}, data=data).prepare()
    return Exchange(
        method,
        prepared.url or url,
        dict(prepared.headers),
        data,
        response,
        12.3,
        masker or Masker(),
        prepared,
    )
