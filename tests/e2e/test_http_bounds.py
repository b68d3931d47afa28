"""Bodies interlock reads stay bounded, against real servers on 127.0.0.1: an endless
answer and a gzip bomb stop at http.max_body_bytes in bounded memory, JSON nested too
deep is a named failure showing the request, a garbled answer is a protocol error
(not "Environment unreachable"), and a stand-in refuses what the system under test
sends past the same limit."""

from __future__ import annotations

import json
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import requests

from interlock import auth, http_checks, standin_checks
from interlock.config import Credentials, HttpSettings, LoginSpec, StandInConfig
from interlock.environment import health
from interlock.errors import ScenarioInputError
from interlock.http import HttpClient, ServiceTarget
from interlock.masking import Masker
from interlock.standins import StandIns
from tests.conftest import allure_category, interlock
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e

SETTINGS = HttpSettings(connect_timeout=2, read_timeout=5, poll_interval=0.05, poll_timeout=2)
MEMORY_BOUND = 100_000_000  # bytes the process may grow by while reading a hostile answer
TIME_BOUND = 5.0  # seconds to fail at the size limit (not the 300 s scenario limit)
# The endless answer ends after this much, only so that code that reads it all (the
# defect these tests catch) fails the memory bound instead of exhausting the machine.
ENDLESS_CAP = 300_000_000


def client(url: str, settings: HttpSettings = SETTINGS) -> HttpClient:
    return HttpClient(settings, {"svc": ServiceTarget("svc", url, {}, None)}, Masker())


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {name} in /proc/self/status")


@contextmanager
def peak_growth() -> Iterator[list[int]]:
    """Yields a list that holds, after the block, how many bytes the process's resident
    memory peaked above where it started."""
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) restarts from now
    before = _status_kb("VmRSS")
    grown: list[int] = []
    yield grown
    grown.append((_status_kb("VmHWM") - before) * 1024)


def endless(wfile: BinaryIO) -> None:
    """A chunked answer that does not end (until ENDLESS_CAP, or the client hangs up)."""
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    wfile.write(b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
    for _ in range(ENDLESS_CAP // 0x10000):
        wfile.write(chunk)
    wfile.write(b"0\r\n\r\n")


def gzip_bomb(inflated: int) -> bytes:
    """``inflated`` zero bytes, gzipped (about 1 KB per MB), made without holding them."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip format
    block = bytes(1_000_000)
    parts = [squeeze.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + squeeze.flush()


def raw(answer: bytes) -> Reply:
    def write(wfile: BinaryIO) -> None:
        wfile.write(answer)

    return Reply(raw=write)


def _timed(action: Callable[[], Any]) -> tuple[BaseException | None, float, int]:
    """What ``action`` raised (None if nothing), how long it took, and by how much the
    process's memory peaked."""
    started = time.monotonic()
    error: BaseException | None = None
    with peak_growth() as grown:
        try:
            action()
        except Exception as exc:
            error = exc
    return error, time.monotonic() - started, grown[0]


# -- the size limit -----------------------------------------------------------------------


def test_an_endless_answer_fails_at_the_size_limit_fast_and_in_bounded_memory() -> None:
    with serve(lambda _: Reply(raw=endless)) as server:
        http = client(server.url)
        error, took, grown = _timed(lambda: http.send("GET", "/endless"))
        http.close()
    assert isinstance(error, AssertionError), error
    text = str(error)
    assert text.startswith(
        f"the response to GET {server.url}/endless was larger than http.max_body_bytes"
        " (10 MB); raise the limit if this is expected\n"
    ), text
    assert "  response: 200 OK after " in text and "Content-Type: application/json" in text
    assert f"  reproduce: curl -i -X GET {server.url}/endless" in text
    assert took < TIME_BOUND, f"took {took:.1f} s"
    assert grown < MEMORY_BOUND, f"memory grew by {grown / 1e6:.0f} MB"
    assert allure_category(text) == "Product defects"


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_fully() -> None:
    bomb = gzip_bomb(200_000_000)
    assert len(bomb) < 250_000  # a 200 KB answer that inflates to 200 MB
    with serve(lambda _: Reply(body=bomb, headers={"Content-Encoding": "gzip"})) as server:
        http = client(server.url)
        error, took, grown = _timed(lambda: http.send("GET", "/bomb"))
    assert isinstance(error, AssertionError), error
    assert str(error).startswith(
        f"the response to GET {server.url}/bomb was larger than http.max_body_bytes (10 MB)"
    ), error
    assert took < TIME_BOUND, f"took {took:.1f} s"
    assert grown < MEMORY_BOUND, f"memory grew by {grown / 1e6:.0f} MB"


def test_the_limit_is_configurable_and_counts_decoded_bytes() -> None:
    small = SETTINGS.model_copy(update={"max_body_bytes": 1000})
    body = b'"' + b"y" * 998 + b'"'  # exactly 1000 bytes of JSON

    def answer(seen: Seen) -> Reply:
        if seen.path == "/deflate":
            return Reply(body=zlib.compress(b"z" * 1001), headers={"Content-Encoding": "deflate"})
        return Reply(body=body + (b" " if seen.path == "/over" else b""))

    with serve(answer) as server:
        http = client(server.url, small)
        assert http.send("GET", "/exact").json() == "y" * 998
        with pytest.raises(AssertionError, match=r"larger than http.max_body_bytes \(1 KB\)"):
            http.send("GET", "/over")
        with pytest.raises(AssertionError, match=r"larger than http.max_body_bytes \(1 KB\)"):
            http.send("GET", "/deflate")  # 30 bytes on the wire, 1001 decoded
        http.close()


def test_a_token_call_that_answers_without_end_is_a_named_error() -> None:
    with serve(lambda _: Reply(raw=endless)) as accounts, serve(lambda _: Reply()) as api:
        credentials = Credentials(name="admin", login=LoginSpec(service="accounts", path="/login"))
        targets = {
            "api": ServiceTarget("api", api.url, {}, credentials),
            "accounts": ServiceTarget("accounts", accounts.url, {}, None),
        }
        http = HttpClient(SETTINGS, targets, Masker())
        http.select("api")
        auth.forget_tokens()
        error, took, grown = _timed(lambda: http.send("GET", "/me"))
        auth.forget_tokens()
    assert isinstance(error, ScenarioInputError), error
    assert error.message == (
        f"credentials 'admin': the answer to the login call POST {accounts.url}/login was"
        " larger than http.max_body_bytes (10 MB)"
    )
    assert took < TIME_BOUND and grown < MEMORY_BOUND, (took, grown)


def test_health_checks_read_no_body_they_do_not_need() -> None:
    with serve(lambda _: Reply(raw=endless)) as server:
        target = ServiceTarget("svc", server.url, {}, None)
        http = client(server.url)
        error, took, grown = _timed(lambda: http_checks.reachable(http, target, "/health"))
        assert error is None and took < TIME_BOUND and grown < MEMORY_BOUND, (error, took, grown)
        error, took, grown = _timed(
            lambda: health.probe("service svc", f"{server.url}/health", SETTINGS, {}, "test")
        )
        assert error is None and took < TIME_BOUND and grown < MEMORY_BOUND, (error, took, grown)


def test_an_unhealthy_answer_shows_only_the_start_of_its_body() -> None:
    def failing(wfile: BinaryIO) -> None:
        wfile.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n")
        wfile.write(b"Content-Length: 50000000\r\n\r\n" + b"down " * 1000)

    with serve(lambda _: Reply(raw=failing)) as server:
        target = ServiceTarget("svc", server.url, {}, None)
        with pytest.raises(AssertionError) as error:
            http_checks.reachable(client(server.url), target, "/health")
    shown = f"service 'svc' is not healthy: GET {server.url}/health answered 503: " + "down " * 60
    assert str(error.value).startswith(shown + "... [cut: 300 of ")


# -- JSON nested too deep -------------------------------------------------------------------


def test_json_nested_100000_levels_deep_is_a_named_failure_showing_the_request() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with serve(lambda _: Reply(body=deep)) as server:
        http = client(server.url)
        exchange = http.send("GET", "/deep")
        checks: list[Callable[[], Any]] = [
            exchange.json,
            lambda: http_checks.body_matches(http, {"a": 1}),
            lambda: http_checks.field_is(http, "[0][0]", []),
        ]
        for check in checks:
            with pytest.raises(AssertionError) as error:
                check()
            text = str(error.value)
            assert text.startswith(
                "the response body is JSON nested deeper than 200 levels, more than interlock"
                " compares (Content-Type: application/json)\n"
            ), text
            assert f"request:  GET {server.url}/deep" in text
            assert f"reproduce: curl -i -X GET {server.url}/deep" in text
            assert allure_category(text) == "Product defects"


def test_json_at_the_depth_limit_is_compared_as_usual() -> None:
    deep = b"[" * 200 + b"1" + b"]" * 200
    with serve(lambda _: Reply(body=deep)) as server:
        http = client(server.url)
        http.send("GET", "/deep")
        value = http_checks.field_value(http, "[0][0][0]")
        assert json.dumps(value, separators=(",", ":")) == "[" * 197 + "1" + "]" * 197
        with pytest.raises(AssertionError, match=r"the response does not match"):
            http_checks.body_matches(http, {"a": 1})
        with pytest.raises(AssertionError, match=r"the response does not contain"):
            http_checks.body_contains(http, [[[2]]])
        http_checks.body_contains(http, [[[]]])


# -- answers that break HTTP ---------------------------------------------------------------

BROKEN = {
    "chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n5\r\n[1,2]\r\nzz\r\n",
        "broken chunked encoding: got length b'zz\\r\\n', 0 bytes read",
    ),
    "short": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1,2",
        "the body ended before its Content-Length: 4 bytes read, 96 more expected",
    ),
    "gzip": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n\x1f\x8b"
        + b"x" * 18,
        "its body could not be decoded as its Content-Encoding says: Error -3 while"
        " decompressing data: unknown compression method",
    ),
    "status": (b"HTTX/9 abc\r\n\r\n", "not an HTTP answer: BadStatusLine: HTTX/9 abc"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_an_answer_that_breaks_http_is_a_protocol_error_not_unreachable(kind: str) -> None:
    answer, how = BROKEN[kind]
    with serve(lambda _: raw(answer)) as server:
        http = client(server.url)
        with pytest.raises(AssertionError) as error:
            http.send("GET", f"/{kind}")
    text = str(error.value)
    first = text.splitlines()[0]
    assert first == (
        f"the service broke the HTTP protocol while answering GET {server.url}/{kind}: {how}"
    ), first
    assert f"  reproduce: curl -i -X GET {server.url}/{kind}" in text
    assert allure_category(text) == "Product defects"


def test_a_service_that_is_down_or_hangs_up_mid_answer_is_still_unreachable() -> None:
    cut_off = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[1,2]\r\n"
    with serve(lambda _: raw(cut_off)) as server:  # then closes, as a killed service does
        with pytest.raises(AssertionError) as error:
            client(server.url).send("GET", "/cut")
        assert "could not connect: ChunkedEncodingError: Response ended prematurely" in str(
            error.value
        )
        assert allure_category(error.value) == "Environment unreachable"
        url = server.url
    with pytest.raises(AssertionError) as error:
        client(url).send("GET", "/gone")
    assert allure_category(error.value) == "Environment unreachable"


# -- what a stand-in receives ------------------------------------------------------------


@pytest.fixture
def standins() -> Iterator[StandIns]:
    doubles = StandIns({"loose": StandInConfig(name="loose")}, Masker())
    doubles.max_body_bytes = 1000  # what the hooks pass from http.max_body_bytes
    yield doubles
    doubles.close()


def _post_raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_a_stand_in_refuses_a_request_body_past_the_limit(standins: StandIns) -> None:
    url = standins.replace("loose").url
    standins.answer("loose", "POST", "/items", 201, {"ok": True})
    reply = requests.post(f"{url}/items", data=b"x" * 1000, timeout=5)
    assert reply.status_code == 201  # at the limit: taken
    reply = requests.post(f"{url}/items", data=b"x" * 5_000_000, timeout=5)
    assert reply.status_code == 413  # the caller reads the refusal, not a reset
    assert reply.json()["message"] == (
        "the stand-in for 'loose' refused POST /items: its body was larger than"
        " http.max_body_bytes (1 KB)"
    )

    def endless_chunks() -> Iterator[bytes]:
        for _ in range(ENDLESS_CAP // 65536):
            yield b"x" * 65536

    error, took, grown = _timed(
        lambda: requests.post(f"{url}/items", data=endless_chunks(), timeout=5)
    )
    assert took < TIME_BOUND and grown < MEMORY_BOUND, (error, took, grown)
    traffic = standins.end_scenario()["loose"]
    assert [r.status for r in traffic.received] == [201, 413, 413]
    refused = traffic.received[1]
    assert refused.refused == "its body was larger than http.max_body_bytes (1 KB)"
    assert standin_checks.unmatched_report("loose", traffic) == ""
    assert standin_checks.refused_report("loose", traffic) == (
        "the stand-in for 'loose' refused 2 requests of the system under test unread (raise"
        " http.max_body_bytes if such a body is expected):\n"
        "  - POST /items -> 413: its body was larger than http.max_body_bytes (1 KB)\n"
        "  - POST /items -> 413: its body was larger than http.max_body_bytes (1 KB)"
    )


def test_a_stand_in_refuses_broken_chunked_framing(standins: StandIns) -> None:
    url = standins.replace("loose").url
    answer = _post_raw(
        url, b"POST /items HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"
    )
    assert answer.startswith(b"HTTP/1.0 400 "), answer[:100]
    traffic = standins.end_scenario()["loose"]
    [record] = traffic.received
    assert record.refused == (
        "it broke the HTTP protocol: broken chunked encoding: a chunk size of b'zz\\r\\n'"
    )
    assert standin_checks.refused_report("loose", traffic) == (
        "the stand-in for 'loose' refused 1 request of the system under test unread:\n"
        f"  - POST /items -> 400: {record.refused}"
    )


def test_a_request_body_nested_too_deep_is_named(standins: StandIns) -> None:
    standins.max_body_bytes = 1_000_000
    url = standins.replace("loose").url  # started with the limit above
    standins.answer("loose", "POST", "/items", 201)
    deep = b"[" * 100_000 + b"]" * 100_000
    requests.post(f"{url}/items", data=deep, timeout=5)
    traffic = standins.require("loose").traffic()
    with pytest.raises(AssertionError) as error:
        standin_checks.check_received("loose", traffic, "POST", "/items", 1, {"a": 1})
    assert str(error.value).startswith(
        "the request POST /items has a body of JSON nested deeper than 200 levels, more than"
        " interlock compares: [[["
    )


def test_json_nested_too_deep_is_named_by_the_contract_check(tmp_path: Path) -> None:
    document = tmp_path / "api.yaml"
    document.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /deep:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n              schema: {type: array}\n"
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    with serve(lambda _: Reply(body=deep)) as server:
        target = ServiceTarget("svc", server.url, {}, None, document)
        http = HttpClient(SETTINGS, {"svc": target}, Masker())
        http.send("GET", "/deep")
        with pytest.raises(AssertionError) as error:
            http_checks.conforms_to_contract(http)
    text = str(error.value)
    assert text.startswith("the response body is JSON nested deeper than 200 levels"), text
    assert f"request:  GET {server.url}/deep" in text


# -- as a user runs it ------------------------------------------------------------------

BOUNDS_FEATURE = '''@REQ-900
Feature: Bodies past their bounds
  Scenario: An answer that breaks HTTP
    Given the "inventory" service
    When I send a GET request to "{url}/chunked"

  Scenario: An answer past the size limit
    Given the "inventory" service
    When I send a GET request to "{url}/large"

  Scenario: A stand-in sent a body past the size limit
    Given the "inventory" service is replaced by a stand-in
    And the "inventory" service
    When I send a POST request to "/reservations" with JSON:
      """
      {{"sku": "{sku}"}}
      """
    Then the response status should be 413
'''


def test_a_run_names_each_bound_and_files_none_as_unreachable(project: Path) -> None:
    def answer(seen: Seen) -> Reply:
        if seen.path == "/chunked":
            return raw(BROKEN["chunked"][0])
        return Reply(body=[{"sku": "S-1", "name": "x" * 200}])

    with serve(answer) as server:
        feature = project / "features" / "interface" / "bounds.feature"
        feature.write_text(BOUNDS_FEATURE.format(url=server.url, sku="A" * 300))
        result = interlock(
            project, "run", "--no-report", str(feature.relative_to(project)),
            "--set", "http.max_body_bytes=200",
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    messages = {
        found["name"]: found["statusDetails"]["message"].removeprefix("AssertionError: ")
        for found in (
            json.loads(path.read_text())
            for path in (project / "reports" / "allure-results").glob("*-result.json")
        )
    }
    assert messages["An answer that breaks HTTP"].startswith(
        f"the service broke the HTTP protocol while answering GET {server.url}/chunked:"
        " broken chunked encoding:"
    )
    assert messages["An answer past the size limit"].startswith(
        f"the response to GET {server.url}/large was larger than http.max_body_bytes"
        " (200 bytes); raise the limit if this is expected\n"
    )
    assert messages["A stand-in sent a body past the size limit"].startswith(
        "the stand-in for 'inventory' refused 1 request of the system under test unread"
        " (raise http.max_body_bytes if such a body is expected):\n"
        "  - POST /reservations -> 413: its body was larger than http.max_body_bytes"
        " (200 bytes)"
    )
    for title, message in messages.items():
        assert allure_category(message) == "Product defects", (title, message)
