"""A token fetched at run time (login, OAuth2) in a curl line: a named placeholder, and
the command that fetches it again, replayable without showing a secret."""

from __future__ import annotations

from pathlib import Path

from interlock import replay
from interlock.config import LoginSpec, OAuth2Spec, load_config
from interlock.masking import MASK, Masker
from tests.unit.http_exchanges import exchange

LOGIN_URL = "http://127.0.0.1:9/login"
EXTRACT_TOKEN = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])'"
EXTRACT_ACCESS = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"


def robot_login(password: str) -> LoginSpec:
    return LoginSpec(
        service="accounts", path="/login", json={"user": "robot", "password": password}
    )


def failing_call(masker: Masker, token: str):
    return exchange(
        "GET", "http://127.0.0.1:9/orders", 404, {}, masker=masker,
        request_headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def test_a_login_token_is_named_and_its_fetch_command_follows_once() -> None:
    masker = Masker(["pw-robot-1"], variables={"pw-robot-1": "ROBOT_PASSWORD"})
    command = replay.login_command(robot_login("pw-robot-1"), LOGIN_URL, masker.variables)
    masker.name_token("tok-robot-77", replay.token_variable("robot"), command)
    ex = failing_call(masker, "tok-robot-77")
    fetch = (
        "ROBOT_TOKEN=$(curl -s -X POST http://127.0.0.1:9/login"
        " -H 'Content-Type: application/json'"
        """ --data-raw '{"user": "robot", "password": "'"$ROBOT_PASSWORD"'"}'"""
        f" | {EXTRACT_TOKEN})"
    )
    assert ex.describe().splitlines()[-2:] == [
        "reproduce: curl -i -X GET http://127.0.0.1:9/orders"
        ' -H "Authorization: Bearer $ROBOT_TOKEN"',
        f"token:     {fetch}",
    ]
    evidence = ex.evidence(1000)
    assert evidence.count(fetch) == 1 and evidence.endswith(f"\ntoken:     {fetch}")
    assert f"Authorization: Bearer {MASK}" in evidence  # the headers block stays masked
    for text in (ex.describe(), evidence):
        assert "tok-robot-77" not in text and "pw-robot-1" not in text


def test_a_literal_login_secret_is_masked_in_the_fetch_command() -> None:
    masker = Masker(["pw-literal-1"])
    command = replay.login_command(robot_login("pw-literal-1"), LOGIN_URL, masker.variables)
    masker.name_token("tok-robot-78", "ROBOT_TOKEN", command)
    text = failing_call(masker, "tok-robot-78").describe()
    assert f'''--data-raw '{{"user": "robot", "password": "{MASK}"}}' ''' in text
    assert "pw-literal-1" not in text and "tok-robot-78" not in text


def test_a_login_answer_field_is_read_by_its_path() -> None:
    spec = LoginSpec(service="a", path="/login", token_field='data.items[0]."the-token"')
    assert replay.login_command(spec, LOGIN_URL, {}) == (
        "curl -s -X POST http://127.0.0.1:9/login | python3 -c 'import json,sys;"
        ' print(json.load(sys.stdin)["data"]["items"][0]["the-token"])\''
    )
    # Anything but a plain path is left to the jmespath package.
    spec = LoginSpec(service="a", path="/login", token_field="tokens[?kind=='api'].value | [0]")
    assert replay.login_command(spec, LOGIN_URL, {}).endswith(
        """| python3 -c 'import json,sys,jmespath; print(jmespath.search("tokens[?kind=='"'"'api'"'"'].value | [0]", json.load(sys.stdin)))'"""
    )


def test_an_oauth2_fetch_command_sends_the_client_as_configured() -> None:
    variables = {"cs-robot-1": "ROBOT_CLIENT_SECRET", "robot": "ROBOT_CLIENT_ID"}
    basic = OAuth2Spec(
        token_url="http://127.0.0.1:9/oauth/token", client_id="robot", client_secret="cs-robot-1",
        scope="orders:write",
    )  # fmt: skip
    assert replay.oauth2_command(basic, variables) == (
        'curl -s -X POST http://127.0.0.1:9/oauth/token -u "$ROBOT_CLIENT_ID:$ROBOT_CLIENT_SECRET"'
        " -H 'Accept: application/json' --data-urlencode grant_type=client_credentials"
        f' --data-urlencode "scope=orders:write" | {EXTRACT_ACCESS}'
    )
    body = basic.model_copy(update={"client_auth": "body", "client_id": "m2m", "scope": None})
    assert replay.oauth2_command(body, variables) == (
        "curl -s -X POST http://127.0.0.1:9/oauth/token -H 'Accept: application/json'"
        ' --data-urlencode grant_type=client_credentials --data-urlencode "client_id=m2m"'
        f' --data-urlencode "client_secret=$ROBOT_CLIENT_SECRET" | {EXTRACT_ACCESS}'
    )


def test_a_literal_client_secret_is_masked_where_the_command_is_shown() -> None:
    masker = Masker(["cs-literal-1"])
    spec = OAuth2Spec(token_url="http://h/t", client_id="robot", client_secret="cs-literal-1")
    masker.name_token("tok-oauth-1", "ROBOT_TOKEN", replay.oauth2_command(spec, {}))
    text = failing_call(masker, "tok-oauth-1").describe()
    assert f'-u "robot:{MASK}"' in text
    assert "cs-literal-1" not in text and "tok-oauth-1" not in text


def test_token_variables_come_from_the_profile_name() -> None:
    assert replay.token_variable("robot") == "ROBOT_TOKEN"
    assert replay.token_variable("shop-api.v2") == "SHOP_API_V2_TOKEN"
    assert replay.token_variable("2fa") == "_2FA_TOKEN"
    # Never the name of a variable a configured credential is read from.
    assert replay.token_variable("robot", ["ROBOT_TOKEN"]) == "ROBOT_FETCHED_TOKEN"


def test_a_token_not_named_stays_masked() -> None:
    masker = Masker(["tok-unnamed-1"])
    masker.add("tok-unnamed-1")
    text = failing_call(masker, "tok-unnamed-1").describe()
    assert text.splitlines()[-1].endswith(f"-H 'Authorization: Bearer {MASK}'")
    assert "token:" not in text


def test_the_config_names_the_variables_a_token_call_sends(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "services: {accounts: {url: 'http://127.0.0.1:9'}}\n"
        "credentials:\n"
        "  robot: {login: {service: accounts, path: /login,"
        "    json: {user: '${ROBOT_USER}', password: '${ROBOT_PASSWORD}', pin: 12}}}\n"
        "  m2m: {oauth2: {token_url: 'http://h/t', client_id: m2m-client,"
        "    client_secret: '${M2M_SECRET}'}}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    environ = {"ROBOT_USER": "robot-u", "ROBOT_PASSWORD": "pw-r-1", "M2M_SECRET": "cs-m-1"}
    config = load_config(tmp_path, environ=environ)
    assert config.secret_variables() == {
        "robot-u": "ROBOT_USER",
        "pw-r-1": "ROBOT_PASSWORD",
        "cs-m-1": "M2M_SECRET",
    }
