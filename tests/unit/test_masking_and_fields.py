"""Secret masking and JMESPath field lookup."""

from __future__ import annotations

import base64
import json
import tempfile
import traceback
import urllib.parse
from pathlib import Path

import pytest

from interlock import secret_scan
from interlock.config import load_config
from interlock.errors import ConfigError, ScenarioInputError
from interlock.exchange import cut
from interlock.fields import FieldNotFound, find
from interlock.learned_secrets import LearnedSecrets
from interlock.masking import MASK, Masker, without_password
from tests.unit.http_exchanges import exchange


def test_every_secret_is_masked_longest_first() -> None:
    masker = Masker(["abc123", "abc123-long", "xy"])
    assert masker.mask("t=abc123-long u=abc123") == f"t={MASK} u={MASK}"
    assert masker.mask("xy stays: too short to mask safely") == "xy stays: too short to mask safely"


def test_credentials_headers_are_masked_whatever_their_value() -> None:
    masker = Masker()
    assert masker.header("Authorization", "Bearer anything") == f"Bearer {MASK}"
    assert masker.header("Accept", "application/json") == "application/json"


def test_fields_are_found_by_jmespath() -> None:
    body = {"items": [{"sku": "A"}, {"sku": "B"}], "n": None}
    assert find(body, "items[1].sku") == "B"
    assert find(body, "n") is None
    assert find(body, "items[?sku=='A'] | [0].sku") == "A"


def test_a_broken_path_says_what_exists_where_it_stopped() -> None:
    body = {"customer": {"name": "Ana", "email": "a@x"}, "items": [1]}
    with pytest.raises(FieldNotFound, match="customer has no 'nmae'; it has: email, name"):
        find(body, "customer.nmae")
    with pytest.raises(FieldNotFound, match=r"items has 1 items"):
        find(body, "items[3]")


def test_an_invalid_expression_is_an_input_error() -> None:
    with pytest.raises(ScenarioInputError, match="not a valid JMESPath"):
        find({}, "items[?")


@pytest.mark.parametrize("name", ["X-Api-Key", "api-key", "Cookie", "Set-Cookie", "X-Auth-Token"])
def test_api_key_and_cookie_headers_are_masked_by_name(name: str) -> None:
    assert Masker().header(name, "k-123456") == MASK


def test_fetched_tokens_are_masked_once_added() -> None:
    masker = Masker(["configured-secret"])
    masker.add("fetched-token-42")
    assert masker.mask("a fetched-token-42 b configured-secret") == f"a {MASK} b {MASK}"


def test_a_jmespath_projection_is_a_field_too() -> None:
    body = {"items": [{"q": 2}, {"q": 1}]}
    assert find(body, "items[*].q") == [2, 1]
    assert find(body, "length(items)") == 2


# -- a secret in the other shapes it is echoed in ------------------------------------------

SECRET = "Tok-en_42xyz"
OTHER = "p@ss/w+rd 1"


@pytest.mark.parametrize(
    ("shape", "text"),
    [
        ("upper-case", f"echo: {SECRET.upper()}."),
        ("lower-case", f"echo: {SECRET.lower()}."),
        ("hex", f"echo: {SECRET.encode().hex()}."),
        ("hex, upper-case", f"echo: {SECRET.encode().hex().upper()}."),
        ("split over two lines", f"echo: {SECRET[:5]}\n{SECRET[5:]}."),
        ("split, indented", f"echo: {SECRET[:3]}\r\n        {SECRET[3:]}."),
        ("split, JSON-escaped", json.dumps({"echo": f"{SECRET[:7]}\n  {SECRET[7:]}"})),
        ("base64 of user:secret", "echo: " + base64.b64encode(f"ana:{SECRET}".encode()).decode()),
        ("url-encoded", "echo: " + urllib.parse.quote(OTHER, safe="")),
    ],
)
def test_a_secret_is_masked_in_every_shape_it_is_echoed_in(shape: str, text: str) -> None:
    masker = Masker([SECRET, OTHER])
    masked = masker.mask(text)
    assert MASK in masked, shape
    assert scan_texts(masked, SECRET) + scan_texts(masked, OTHER) == [], f"{shape}: {masked}"
    assert masked.startswith(text[:6]), "the text around the secret is kept"


def scan_texts(text: str, secret: str) -> list[str]:
    """Every shape the leak scan knows in which ``secret`` is still in ``text``."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "t.txt").write_text(text)
        return [f.form for f in secret_scan.scan(Path(folder), [secret])]


def test_a_masked_split_secret_keeps_the_lines_around_it() -> None:
    masker = Masker([SECRET])
    assert masker.mask(f"a\nb {SECRET[:4]}\n    {SECRET[4:]} c\nd") == f"a\nb {MASK} c\nd"


def test_evidence_is_masked_before_it_is_cut() -> None:
    """A secret across the evidence limit leaves no part of itself in the cut text."""
    masker = Masker([SECRET])
    body = "x" * (20_000 - 5) + SECRET + "y" * 100
    text = cut(body, 20_000, masker)
    assert SECRET[:5] not in text and SECRET[:3] not in text
    assert text.endswith("characters shown]")
    ex = exchange(raw=body.encode(), content_type="text/plain", masker=masker)
    for shown in (ex.evidence(body_limit=20_000), ex.describe()):
        assert SECRET[:3] not in shown


def test_a_learned_secret_reaches_every_masker_of_the_run(tmp_path: Path) -> None:
    """A token one worker fetched is masked by another process's masker (here a fresh
    store on the same file, as the parent has), and the file is private."""
    path = tmp_path / "state" / "secrets" / "learned-1.jsonl"
    worker = Masker(["configured"], LearnedSecrets(path))
    worker.add("fetched-token-1")
    worker.add("fetched-token-1")  # known: not written twice
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.read_text().splitlines() == ['"fetched-token-1"']
    parent = Masker(["configured"], LearnedSecrets(path))
    assert parent.mask("a fetched-token-1 b") == f"a {MASK} b"
    Masker([], LearnedSecrets(path)).add("line\nbreak-token")
    assert parent.secrets == {"configured", "fetched-token-1", "line\nbreak-token"}
    LearnedSecrets(path).delete()
    assert not path.exists()
    assert parent.mask("fetched-token-1") == MASK  # what was read stays known


def test_one_store_per_file_in_a_process(tmp_path: Path) -> None:
    """The hooks' masker and the Allure formatter's share what is learned, even once
    the file is gone (plain behave deletes it in after_all)."""
    path = tmp_path / "learned.jsonl"
    hooks = Masker([], LearnedSecrets.at(path))
    formatter = Masker([], LearnedSecrets.at(path))
    hooks.add("tok-in-process")
    LearnedSecrets.at(path).delete()
    assert formatter.mask("x tok-in-process") == f"x {MASK}"


def test_an_error_a_step_raises_is_masked_in_place() -> None:
    secret = "-".join(("hunter", "22"))  # not in this source, which a traceback shows
    masker = Masker([secret])
    try:
        try:
            raise KeyError(secret)
        except KeyError as cause:
            raise ScenarioInputError(f"got {secret}", hint=f"not {secret}") from cause
    except ScenarioInputError as error:
        masker.exception(error)
        assert "hunter-22" not in str(error) and error.message == f"got {MASK}"
        assert "hunter-22" not in repr(error.__cause__)
        assert "hunter-22" not in "".join(traceback.format_exception(error))


# -- config values that are secret ---------------------------------------------------------


def test_config_errors_never_show_a_secret_looking_value(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "databases:\n  shop: {user: shop, password: pw-file-1}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    for override in (
        "databases.shop.pasword=Typo-Pass-71",  # mistyped: not a known secret key
        "credentials.x.basic=12345678",  # text where a mapping is expected
        "databases.shop.passwrd=[Typo-Pass-71]",
        "credentials.x.header=Typo-Pass-71",
    ):
        with pytest.raises(ConfigError) as error:
            load_config(tmp_path, env="local", overrides=[override], environ={})
        text = str(error.value)
        assert "Typo-Pass-71" not in text and "12345678" not in text, text
        assert "databases" in text or "credentials" in text
    # A value given with --set is parsed by its key's type: digits are a password too.
    config = load_config(tmp_path, overrides=["databases.shop.password=12345678"], environ={})
    assert config.databases["shop"].password == "12345678"
    assert "12345678" in config.secrets
    with pytest.raises(ConfigError, match=r"did you mean 'databases\.shop\.password'") as error:
        load_config(tmp_path, env="local", overrides=["databases.shop.pasword=x1"], environ={})
    assert "x1" not in str(error.value)


def test_secret_looking_overrides_and_url_passwords_are_secrets(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "services:\n  api: {url: 'http://ana:p%40ss-Url-9@127.0.0.1:9', env: {A: b}}\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    config = load_config(
        tmp_path,
        env="local",
        overrides=["services.api.env.API_PASS=Env-Pass-123", "services.api.env.MODE=quick"],
        environ={},
    )
    assert {"Env-Pass-123", "p%40ss-Url-9", "p@ss-Url-9"} <= config.secrets
    assert "quick" not in config.secrets
    masker = Masker(config.secrets)
    assert masker.mask(str(config.services["api"].url)) == f"http://ana:{MASK}@127.0.0.1:9"
    assert without_password("see http://ana:x@h/p") == f"see http://ana:{MASK}@h/p"
