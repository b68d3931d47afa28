"""What bounds a body (interlock.bodies) says, without a network: the limit's config
key, sizes as people read them, JSON depth, and which errors mean broken HTTP."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
import requests
import urllib3

from interlock import bodies
from interlock.config import load_config
from interlock.errors import ConfigError


def _project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("project: {name: shop}\n")
    (tmp_path / "config" / "local.yaml").write_text("")
    return tmp_path


def test_the_limit_is_a_config_key_of_10_mb_by_default(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert load_config(root, environ={}).http.max_body_bytes == 10_000_000
    changed = load_config(root, overrides=["http.max_body_bytes=1000"], environ={})
    assert changed.http.max_body_bytes == 1000
    with pytest.raises(ConfigError, match=r"http\.max_body_bytes"):
        load_config(root, overrides=["http.max_body_bytes=lots"], environ={})


def test_the_repository_default_config_documents_the_key() -> None:
    default = Path(__file__).resolve().parents[2] / "config" / "default.yaml"
    assert "  max_body_bytes: 10000000 " in default.read_text()


@pytest.mark.parametrize(
    ("count", "shown"),
    [(10_000_000, "10 MB"), (1_500_000, "1.5 MB"), (1000, "1 KB"), (200, "200 bytes")],
)
def test_sizes_read_as_people_write_them(count: int, shown: str) -> None:
    assert bodies.size(count) == shown


def test_json_is_parsed_up_to_the_depth_limit_and_refused_past_it() -> None:
    at_limit = "[" * bodies.MAX_JSON_DEPTH + "]" * bodies.MAX_JSON_DEPTH
    assert bodies.depth(bodies.parse_json(at_limit)) == bodies.MAX_JSON_DEPTH
    assert bodies.parse_json(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for past in (bodies.MAX_JSON_DEPTH + 1, 100_000):
        with pytest.raises(bodies.TooDeep, match="JSON nested deeper than 200 levels"):
            bodies.parse_json(b"[" * past + b"]" * past)
    with pytest.raises(ValueError) as error:
        bodies.parse_json(b"{not json")
    assert not isinstance(error.value, bodies.TooDeep)


def test_many_brackets_side_by_side_are_not_depth() -> None:
    wide = "[" + ",".join(["[]"] * 10_000) + "]"
    assert len(bodies.parse_json(wide)) == 10_000


def test_which_errors_mean_broken_http() -> None:
    chunk = urllib3.exceptions.ProtocolError(
        "Connection broken: ...", http.client.IncompleteRead(b"abcd", 96)
    )
    assert bodies.protocol_error(requests.exceptions.ChunkedEncodingError(chunk)) == (
        "the body ended before its Content-Length: 4 bytes read, 96 more expected"
    )
    status = urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.BadStatusLine("HTTX/9")
    )
    assert bodies.protocol_error(requests.exceptions.ConnectionError(status)) == (
        "not an HTTP answer: BadStatusLine: HTTX/9"
    )
    # A service that closed or reset the connection is down, not garbled.
    hung_up = urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.RemoteDisconnected("closed")
    )
    assert bodies.protocol_error(requests.exceptions.ConnectionError(hung_up)) is None
    reset = urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError(104, "x"))
    assert bodies.protocol_error(requests.exceptions.ChunkedEncodingError(reset)) is None
    assert bodies.protocol_error(requests.exceptions.ConnectTimeout("timed out")) is None
