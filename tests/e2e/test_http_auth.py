"""Credentials that are fetched: a login call and an OAuth2 client-credentials grant,
against real token servers on 127.0.0.1. A token is fetched once per run, reused by
every later scenario, and never shown."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from interlock import auth
from interlock.config import Credentials, HttpSettings, LoginSpec, OAuth2Spec
from interlock.errors import Reason, ScenarioInputError, UnreachableFailure
from interlock.http import HttpClient, ServiceTarget
from interlock.masking import MASK, Masker
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e

SETTINGS = HttpSettings(connect_timeout=2, read_timeout=2, poll_interval=0.05, poll_timeout=2)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    auth.forget_tokens()
    yield
    auth.forget_tokens()


def scenario(
    api: str, credentials: Credentials, accounts: str = "", masker: Masker | None = None
) -> HttpClient:
    """A new scenario's client, as the hooks make one, for the service "api"."""
    targets = {"api": ServiceTarget("api", api, {}, credentials)}
    if accounts:
        targets["accounts"] = ServiceTarget("accounts", accounts, {}, None)
    http = HttpClient(SETTINGS, targets, masker or Masker())
    http.select("api")
    return http


def api_answer(seen: Seen) -> Reply:
    return Reply(200, {"auth": seen.headers.get("Authorization")})


def login_answer(seen: Seen) -> Reply:
    if seen.json() == {"user": "admin", "password": "pw-admin-1"}:
        return Reply(200, {"data": {"token": f"login-token-{len(seen.path)}"}})
    return Reply(401, {"error": "bad password"})


LOGIN = LoginSpec(
    service="accounts",
    path="/login",
    json={"user": "admin", "password": "pw-admin-1"},
    token_field="data.token",
)


def test_a_login_token_is_fetched_once_and_sent_as_bearer() -> None:
    admin = Credentials(name="admin", login=LOGIN)
    with serve(login_answer) as accounts, serve(api_answer) as api:
        masker = Masker()
        for _ in range(3):  # three scenarios
            http = scenario(api.url, admin, accounts.url, masker)
            exchange = http.send("GET", "/orders")
            assert exchange.json() == {"auth": "Bearer login-token-6"}
    assert len(accounts.seen) == 1
    assert accounts.seen[0].method == "POST"
    assert f"Authorization: Bearer {MASK}" in exchange.evidence(1000)
    assert "login-token-6" not in exchange.describe() + exchange.evidence(1000)
    assert "login-token-6" not in masker.mask("the token login-token-6")


def test_a_failed_login_names_the_profile_and_the_config_key() -> None:
    wrong = Credentials(
        name="admin", login=LoginSpec(service="accounts", path="/login", json={"user": "x"})
    )
    with serve(login_answer) as accounts, serve(api_answer) as api:
        with pytest.raises(ScenarioInputError) as error:
            scenario(api.url, wrong, accounts.url).send("GET", "/orders")
        assert len(api.seen) == 0
    text = str(error.value)
    assert f"credentials 'admin': the login call POST {accounts.url}/login answered 401" in text
    assert "check credentials.admin.login in the config" in text


def test_a_login_answer_without_the_token_says_what_it_has() -> None:
    admin = Credentials(
        name="admin", login=LoginSpec(service="accounts", path="/login", token_field="token")
    )
    with (
        serve(lambda _: Reply(200, {"jwt": "x"})) as accounts,
        serve(api_answer) as api,
        pytest.raises(ScenarioInputError) as error,
    ):
        scenario(api.url, admin, accounts.url).send("GET", "/orders")
    assert "no token at token_field 'token'" in str(error.value)
    assert "it has: jwt" in str(error.value)


def oauth2_server(expires_in: float | None = None):
    issued = iter(range(1, 100))

    def answer(seen: Seen) -> Reply:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        basic = seen.headers.get("Authorization", "")
        client = base64.b64decode(basic.split(" ", 1)[1]).decode() if basic else ""
        if form.get("client_secret") == "robot-secret-1" or client == "robot:robot-secret-1":
            body = {"access_token": f"oauth-{next(issued)}", "token_type": "Bearer", "form": form}
            if expires_in is not None:
                body["expires_in"] = expires_in
            return Reply(200, body)
        return Reply(401, {"error": "invalid_client"})

    return serve(answer)


def robot(token_url: str, client_auth: str = "basic") -> Credentials:
    spec = OAuth2Spec(
        token_url=token_url,
        client_id="robot",
        client_secret="robot-secret-1",
        scope="orders:write",
        client_auth=client_auth,
    )
    return Credentials(name="robot", oauth2=spec)


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_an_oauth2_token_is_fetched_once_per_run(client_auth: str) -> None:
    with oauth2_server() as tokens, serve(api_answer) as api:
        credentials = robot(f"{tokens.url}/oauth/token", client_auth)
        for _ in range(2):
            assert scenario(api.url, credentials).send("GET", "/x").json() == {
                "auth": "Bearer oauth-1"
            }
    assert len(tokens.seen) == 1
    form = {k: v[0] for k, v in parse_qs(tokens.seen[0].body.decode()).items()}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "orders:write"
    if client_auth == "basic":
        assert "client_secret" not in form
        assert tokens.seen[0].headers["Authorization"].startswith("Basic ")
    else:
        assert form["client_id"] == "robot" and form["client_secret"] == "robot-secret-1"


def test_an_oauth2_token_about_to_expire_is_fetched_again() -> None:
    with oauth2_server(expires_in=auth.EXPIRY_MARGIN - 1) as tokens, serve(api_answer) as api:
        credentials = robot(f"{tokens.url}/oauth/token")
        first = scenario(api.url, credentials).send("GET", "/x").json()
        second = scenario(api.url, credentials).send("GET", "/x").json()
    assert (first["auth"], second["auth"]) == ("Bearer oauth-1", "Bearer oauth-2")


def test_a_refused_client_is_named_and_its_secret_not_shown() -> None:
    with oauth2_server() as tokens, serve(api_answer) as api:
        bad = Credentials(
            name="robot",
            oauth2=OAuth2Spec(
                token_url=f"{tokens.url}/t", client_id="robot", client_secret="wrong-secret-9"
            ),
        )
        masker = Masker(["wrong-secret-9"])
        with pytest.raises(ScenarioInputError) as error:
            scenario(api.url, bad, masker=masker).send("GET", "/x")
    text = str(error.value)
    assert f"credentials 'robot': the oauth2 call POST {tokens.url}/t answered 401" in text
    assert "wrong-secret-9" not in text


def test_a_token_server_that_is_down_is_a_clear_error() -> None:
    with serve(api_answer) as down:
        url = down.url
    refused = r"credentials 'robot': the oauth2 call POST .* failed"
    with serve(api_answer) as api, pytest.raises(UnreachableFailure, match=refused) as error:
        scenario(api.url, robot(f"{url}/t")).send("GET", "/x")
    assert error.value.unreachable.reason is Reason.REFUSED  # filed as unreachable, by type
    assert "its address: credentials.robot.oauth2.token_url" in str(error.value)


# -- the curl line of a request with a fetched token can be replayed by hand ---------------


def replayed(text: str, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a failure's fetch command, then its curl line, in bash with ``variables`` set."""
    lines = text.splitlines()
    fetch = next(line for line in lines if line.startswith("token:     ")).split(None, 1)[1]
    call = next(line for line in lines if line.startswith("reproduce: ")).split(None, 1)[1]
    environ = {"PATH": os.environ["PATH"], **variables}
    return subprocess.run(
        ["bash", "-c", f"set -eo pipefail; {fetch}; {call}"],
        env=environ, capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_an_oauth2_curl_line_replays_with_the_fetch_command(client_auth: str) -> None:
    masker = Masker(["robot-secret-1"], variables={"robot-secret-1": "ROBOT_SECRET"})
    with oauth2_server() as tokens, serve(api_answer) as api:
        credentials = robot(f"{tokens.url}/oauth/token", client_auth)
        text = scenario(api.url, credentials, masker=masker).send("GET", "/x").describe()
        assert '-H "Authorization: Bearer $ROBOT_TOKEN"' in text
        assert "oauth-1" not in text and "robot-secret-1" not in text
        result = replayed(text, {"ROBOT_SECRET": "robot-secret-1"})
        assert result.returncode == 0, result.stderr
        # The replay fetched a token of its own, and the API saw it.
        assert len(tokens.seen) == 2 and api.seen[-1].headers["Authorization"] == "Bearer oauth-2"
    assert '{"auth": "Bearer oauth-2"}' in result.stdout
