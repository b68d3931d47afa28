"""interlock's HTTP client against real servers on 127.0.0.1: what a request carries,
timeouts, TLS verification, polling. (Not the demo: servers started by each test.)"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Mapping

import pytest

from interlock import http_checks
from interlock.config import BasicAuth, Credentials, HeaderAuth, HttpSettings
from interlock.http import HttpClient, ServiceTarget
from interlock.masking import MASK, Masker
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e

SETTINGS = HttpSettings(connect_timeout=2, read_timeout=2, poll_interval=0.05, poll_timeout=2)


def client(
    url: str,
    credentials: Credentials | None = None,
    settings: HttpSettings = SETTINGS,
    headers: Mapping[str, str] | None = None,
    masker: Masker | None = None,
) -> HttpClient:
    target = ServiceTarget("svc", url, headers or {"Accept": "application/json"}, credentials)
    return HttpClient(settings, {"svc": target}, masker or Masker())


def ok(_: Seen) -> Reply:
    return Reply(200, {"ok": True})


def test_a_request_carries_headers_query_and_a_json_body() -> None:
    with serve(ok) as server:
        http = client(server.url, Credentials(name="clerk", bearer="tok-1"))
        http.add_headers([("X-Trace", "t-1")])
        http.add_query([("tag", "a"), ("tag", "b b")])
        http.send("POST", "/orders?customer=ana", json_body={"q": "ä"})
        http.close()
    seen = server.seen[0]
    assert seen.path == "/orders?customer=ana&tag=a&tag=b+b"
    assert seen.headers["Authorization"] == "Bearer tok-1"
    assert seen.headers["X-Trace"] == "t-1"
    assert seen.headers["Accept"] == "application/json"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.json() == {"q": "ä"}


def test_form_data_is_sent_url_encoded() -> None:
    with serve(ok) as server:
        http = client(server.url)
        http.send("PUT", "/f", form=[("name", "Desk lamp"), ("n", "1"), ("n", "2")])
    assert server.seen[0].body == b"name=Desk+lamp&n=1&n=2"
    assert server.seen[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_null_json_body_is_sent_as_null() -> None:
    with serve(ok) as server:
        client(server.url).send("POST", "/n", json_body=None)
    assert server.seen[0].body == b"null"


def test_credentials_profiles_and_their_absence() -> None:
    basic = Credentials(name="b", basic=BasicAuth(username="ana", password="pw-123"))
    key = Credentials(name="k", header=HeaderAuth(name="X-Api-Key", value="key-123"))
    with serve(ok) as server:
        http = client(server.url, basic)
        http.send("GET", "/1")
        http.use_credentials("k", {"k": key})
        http.send("GET", "/2")
        http.drop_credentials()
        http.send("GET", "/3")
        http.use_credentials("k", {"k": key})
        http.add_headers([("X-Api-Key", "explicit")])
        http.send("GET", "/4")
    first, second, third, fourth = server.seen
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"ana:pw-123").decode()
    assert second.headers["X-Api-Key"] == "key-123" and "Authorization" not in second.headers
    assert "X-Api-Key" not in third.headers and "Authorization" not in third.headers
    assert fourth.headers["X-Api-Key"] == "explicit"  # a scenario's own header wins


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(Exception, match=r"unknown credentials profile 'clrek'") as error:
        client("http://127.0.0.1:9").use_credentials("clrek", {"clerk": Credentials(name="clerk")})
    assert "profiles in the config (credentials.NAME): clerk" in str(error.value)


def test_a_slow_answer_times_out_naming_the_config_keys() -> None:
    settings = SETTINGS.model_copy(update={"read_timeout": 0.2})
    with serve(lambda _: Reply(delay=1.0)) as server:
        http = client(
            server.url,
            Credentials(name="c", bearer="tok-slow"),
            settings,
            masker=Masker(["tok-slow"]),
        )
        with pytest.raises(AssertionError) as error:
            http.send("GET", "/slow")
    text = str(error.value)
    assert text.startswith(f"GET {server.url}/slow timed out (connect 2 s, read 0.2 s:")
    assert "http.connect_timeout / http.read_timeout" in text
    assert f"reproduce: curl -i -X GET {server.url}/slow" in text
    assert "tok-slow" not in text and f"Authorization: Bearer {MASK}" in text


def test_nothing_listening_is_a_clear_failure() -> None:
    with serve(ok) as server:
        url = server.url
    with pytest.raises(AssertionError, match="could not connect: Connection refused"):
        client(url).send("GET", "/gone")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def test_tls_is_verified_by_default(certificate: tuple[str, str]) -> None:
    with serve(ok, tls=certificate) as server:
        with pytest.raises(AssertionError, match=r"failed TLS verification: .*http\.verify"):
            client(server.url).send("GET", "/secure")
        trusting = client(
            server.url, settings=SETTINGS.model_copy(update={"verify": certificate[0]})
        )
        assert trusting.send("GET", "/secure").status == 200
        unverified = client(server.url, settings=SETTINGS.model_copy(update={"verify": False}))
        assert unverified.send("GET", "/secure").status == 200


def test_polling_repeats_the_request_until_the_field_matches() -> None:
    calls = iter(["PENDING", "PENDING", "DONE"])
    with serve(lambda _: Reply(200, {"status": next(calls)})) as server:
        http = client(server.url)
        last = http_checks.send_until(http, "GET", "/job", "status", "DONE", 2, 0.05)
    assert last.json() == {"status": "DONE"}
    assert len(server.seen) == 3


def test_polling_gives_up_at_the_limit_showing_the_last_response() -> None:
    with serve(lambda _: Reply(200, {"status": "PENDING"})) as server:
        http = client(server.url)
        with pytest.raises(AssertionError) as error:
            http_checks.send_until(http, "GET", "/job", "status", "#regex DONE|FAILED", 0.3, 0.1)
    text = str(error.value)
    assert text.startswith(
        "GET /job: the response field 'status' did not become \"#regex DONE|FAILED\" within 0.3 s ("
    )
    assert "every 0.1 s: http.poll_interval); the last try:\n" in text
    assert 'status: expected a string matching /DONE|FAILED/, got "PENDING"' in text
    assert 'body:     {"status": "PENDING"}' in text
    assert 3 <= len(server.seen) <= 6


def test_polling_waits_through_answers_without_the_field() -> None:
    replies = iter([Reply(503, b"<html>starting</html>", {"Content-Type": "text/html"}),
                    Reply(200, {"other": 1}), Reply(200, {"status": "DONE"})])  # fmt: skip
    with serve(lambda _: next(replies)) as server:
        http_checks.send_until(client(server.url), "GET", "/job", "status", "DONE", 2, 0.05)
    assert len(server.seen) == 3


def test_the_health_check_of_a_service() -> None:
    with serve(lambda seen: Reply(200 if seen.path == "/health" else 503)) as server:
        http = client(server.url)
        http_checks.reachable(http, http.select("svc"), "/health")
        with pytest.raises(AssertionError, match=r"'svc' is not healthy: GET .*/down answered 503"):
            http_checks.reachable(http, http.select("svc"), "/down")
