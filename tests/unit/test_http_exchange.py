"""How an exchange is shown: failure text, report evidence, curl line, cut bodies, masking."""

from __future__ import annotations

import pytest

from interlock.exchange import FAILURE_BODY_LIMIT, curl, cut, path_of
from interlock.masking import MASK, Masker
from tests.unit.http_exchanges import exchange


def test_a_failure_shows_request_status_cut_body_and_curl() -> None:
    ex = exchange("POST", "http://127.0.0.1:9/orders", 201, {"id": 5}, request_json={"q": 1})
    assert ex.describe().splitlines() == [
        "request:  POST http://127.0.0.1:9/orders",
        "response: 201 Created in 12 ms, Content-Type: application/json",
        'body:     {"id": 5}',
        "reproduce: curl -i -X POST http://127.0.0.1:9/orders --data-raw '{\"q\": 1}'",
    ]


def test_a_redirect_shows_where_it_points() -> None:
    ex = exchange("GET", "http://127.0.0.1:9/old", 302, {}, headers={"Location": "/new"})
    assert ex.describe().splitlines()[2] == (
        "location: /new  (a redirect, not followed: see http.follow_redirects)"
    )
    assert "location:" not in exchange("GET", "http://127.0.0.1:9/x", 200, {}).describe()


def test_long_bodies_are_cut_and_the_cut_is_said() -> None:
    assert cut("abcdef", 10) == "abcdef"
    assert cut("abcdef", 3) == "abc... [cut: 3 of 6 characters shown]"
    ex = exchange(raw=b"x" * (FAILURE_BODY_LIMIT + 500), content_type="text/plain")
    assert f"[cut: {FAILURE_BODY_LIMIT} of {FAILURE_BODY_LIMIT + 500} characters shown]" in (
        ex.describe()
    )
    assert "[cut: 100 of" in ex.evidence(body_limit=100)


def test_evidence_has_both_messages_headers_timing_and_curl() -> None:
    ex = exchange(
        "POST",
        "http://127.0.0.1:9/orders?customer=ana",
        201,
        {"id": 5},
        headers={"Location": "/orders/5"},
        request_headers={"X-Trace": "t-1"},
        request_json={"sku": "A"},
    )
    text = ex.evidence(body_limit=1000)
    assert text.startswith("POST http://127.0.0.1:9/orders?customer=ana\nX-Trace: t-1\n")
    assert '\n{"sku": "A"}\n' in text
    assert (
        "\nHTTP 201 Created in 12.3 ms\nContent-Type: application/json\nLocation: /orders/5\n"
        in text
    )
    assert '\n{"id": 5}\n' in text
    assert text.splitlines()[-1].startswith("reproduce: curl -i -X POST ")
    assert ex.title() == "POST /orders?customer=ana -> 201 (12 ms)"


def test_secrets_and_credentials_headers_never_show() -> None:
    masker = Masker(["s3cr3t-key", "hunter22"])
    ex = exchange(
        "POST",
        "http://127.0.0.1:9/login",
        200,
        {"echo": "hunter22"},
        headers={"Set-Cookie": "session=abcdef"},
        request_headers={"Authorization": "Bearer tok-xyz", "X-Api-Key": "s3cr3t-key"},
        request_json={"password": "hunter22"},
        masker=masker,
    )
    for text in (ex.describe(), ex.evidence(1000)):
        assert "hunter22" not in text and "s3cr3t-key" not in text and "tok-xyz" not in text
        assert "abcdef" not in ex.evidence(1000)
    assert f"Authorization: Bearer {MASK}" in ex.evidence(1000)
    assert f"X-Api-Key: {MASK}" in ex.evidence(1000)
    assert f"Set-Cookie: {MASK}" in ex.evidence(1000)


def test_curl_quotes_what_the_shell_would_break() -> None:
    line = curl("GET", "http://h/a?x=1&y=2", {"X-Q": "it's"}, b"{}", Masker())
    assert line == ("curl -i -X GET 'http://h/a?x=1&y=2' -H 'X-Q: it'\"'\"'s' --data-raw '{}'")


def test_a_body_that_is_not_json_fails_with_content_type_and_body() -> None:
    ex = exchange(raw=b"<html>oops</html>", content_type="text/html")
    with pytest.raises(AssertionError) as error:
        ex.json()
    text = str(error.value)
    assert text.startswith("the response body is not JSON (Content-Type: text/html)\n")
    assert "body:     <html>oops</html>" in text
    assert "reproduce: curl" in text


def test_an_empty_body_where_json_is_expected_says_so() -> None:
    with pytest.raises(AssertionError, match="the response body is empty where JSON is expected"):
        exchange(raw=b"").json()


def test_json_is_parsed_once() -> None:
    ex = exchange(body={"a": [1]})
    assert ex.json() is ex.json()


def test_paths_of_urls() -> None:
    assert path_of("http://h:1/a/b?c=d") == "/a/b?c=d"
    assert path_of("http://h:1") == "/"


def test_a_curl_line_names_the_variable_a_credential_came_from() -> None:
    import base64 as b64


    masker = Masker(
        ["pw-ana-1", "tok-clerk-1", "key-partner-1"],
        variables={"pw-ana-1": "ANA_PASSWORD", "tok-clerk-1": "CLERK_TOKEN", "key-partner-1": "PARTNER_KEY"},
    )
    basic = "Basic " + b64.b64encode(b"ana:pw-ana-1").decode()
    line = curl("GET", "http://127.0.0.1:9/a", {"Authorization": basic}, None, masker)
    assert line == 'curl -i -X GET http://127.0.0.1:9/a -u "ana:$ANA_PASSWORD"'
    line = curl("GET", "http://127.0.0.1:9/a", {"Authorization": "Bearer tok-clerk-1"}, None, masker)
    assert line == 'curl -i -X GET http://127.0.0.1:9/a -H "Authorization: Bearer $CLERK_TOKEN"'
    line = curl("GET", "http://127.0.0.1:9/a", {"X-Api-Key": "key-partner-1"}, None, masker)
    assert line == 'curl -i -X GET http://127.0.0.1:9/a -H "X-Api-Key: $PARTNER_KEY"'
    # A credential not read from a variable stays masked.
    line = curl("GET", "http://127.0.0.1:9/a", {"Authorization": "Bearer other-tok"}, None, masker)
    assert line.endswith(f"-H 'Authorization: Bearer {MASK}'")


def test_the_config_knows_which_variable_each_credential_came_from(tmp_path) -> None:
    from interlock.config import load_config

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "credentials:\n"
        "  ana: {basic: {username: ana, password: '${ANA_PASSWORD}'}}\n"
        "  clerk: {bearer: '${CLERK_TOKEN:-tok-default-1}'}\n"
        "  fixed: {bearer: written-here-1}\n"
        "  mixed: {bearer: 'pre-${ANA_PASSWORD}'}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    config = load_config(tmp_path, environ={"ANA_PASSWORD": "pw-ana-1"})
    assert config.secret_variables() == {"pw-ana-1": "ANA_PASSWORD", "tok-default-1": "CLERK_TOKEN"}
