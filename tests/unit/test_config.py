"""Config loading: environments, merging, ${VAR}, overrides, validation, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.config import load_config
from interlock.errors import ConfigError

DEFAULT = """
project: {name: shop}
http: {read_timeout: 30}
credentials:
  clerk: {bearer: "${TOKEN:-tok-default}"}
databases:
  shop: {user: shop, password: "${DB_PASSWORD:-pw-default}", embedded: false}
services:
  orders:
    url: http://127.0.0.1:9000
    credentials: clerk
"""


def make_project(tmp_path: Path, default: str = DEFAULT, **envs: str) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    (config / "default.yaml").write_text(default)
    for name, text in (envs or {"local": ""}).items():
        (config / f"{name}.yaml").write_text(text)
    return tmp_path


def test_environment_file_is_merged_over_the_defaults(tmp_path: Path) -> None:
    root = make_project(tmp_path, ci="http: {read_timeout: 60}\n")
    config = load_config(root, env="ci", environ={})
    assert config.env == "ci"
    assert config.http.read_timeout == 60
    assert config.http.connect_timeout == 5  # built-in default
    assert config.services["orders"].url == "http://127.0.0.1:9000"


def test_environment_is_chosen_by_name_then_variable_then_local(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="", ci="")
    assert load_config(root, environ={}).env == "local"
    assert load_config(root, environ={"INTERLOCK_ENV": "ci"}).env == "ci"
    assert load_config(root, env="local", environ={"INTERLOCK_ENV": "ci"}).env == "local"


def test_unknown_environment_lists_the_existing_ones(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="", ci="", staging="")
    with pytest.raises(ConfigError) as error:
        load_config(root, env="prod", environ={})
    assert "unknown environment 'prod'" in str(error.value)
    assert "ci, local, staging" in str(error.value)


def test_missing_variable_names_the_variable_and_the_file(tmp_path: Path) -> None:
    root = make_project(tmp_path, staging="services:\n  orders: {url: '${STAGING_URL}'}\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, env="staging", environ={})
    message = str(error.value)
    assert "STAGING_URL" in message
    assert "config/staging.yaml" in message
    assert "services.orders.url" in message


def test_variables_and_defaults_are_read_from_the_environment(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="services:\n  orders: {url: '${URL}/api'}\n")
    config = load_config(root, environ={"URL": "http://h:1", "TOKEN": "t0ken-x"})
    assert config.services["orders"].url == "http://h:1/api"
    assert config.credentials["clerk"].bearer == "t0ken-x"
    assert config.databases["shop"].password == "pw-default"


def test_escaped_variable_stays_literal(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="project: {name: 'cost \\${X}'}\n")
    assert load_config(root, environ={}).project_name == "cost ${X}"


def test_unknown_key_names_key_file_and_nearest_valid_key(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="http: {read_timout: 3}\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    message = str(error.value)
    assert "config/local.yaml" in message
    assert "'http.read_timout'" in message
    assert "did you mean 'http.read_timeout'" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="http: {read_timeout: soon}\nreprot: {}\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    message = str(error.value)
    assert "2 problems" in message
    assert "http.read_timeout must be a number" in message
    assert "did you mean 'report'" in message


def test_wrong_type_names_the_key_and_the_expected_type(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="databases:\n  shop: {embedded: 'yes please'}\n")
    with pytest.raises(ConfigError, match=r"databases\.shop\.embedded must be true or false"):
        load_config(root, environ={})


def test_overrides_set_single_values_with_yaml_types(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = load_config(root, overrides=["http.read_timeout=90", "project.name=x y"], environ={})
    assert config.http.read_timeout == 90
    assert config.project_name == "x y"


def test_unknown_override_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with pytest.raises(ConfigError) as error:
        load_config(root, overrides=["http.read_timeot=1"], environ={})
    assert "override 'http.read_timeot=1'" in str(error.value)
    assert "did you mean 'http.read_timeout'" in str(error.value)


def test_malformed_override_says_how_to_write_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with pytest.raises(ConfigError, match=r"dotted\.key=value"):
        load_config(root, overrides=["http.read_timeout"], environ={})


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="http:\n  read_timeout: [1\n")
    with pytest.raises(ConfigError, match=r"config/local\.yaml:\d+: not valid YAML"):
        load_config(root, environ={})


def test_credentials_profile_must_exist(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="services:\n  orders: {credentials: admin}\n")
    with pytest.raises(ConfigError, match="profile 'admin', which is not defined; defined: clerk"):
        load_config(root, environ={})


def test_secrets_are_remembered_for_masking(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = load_config(root, environ={"TOKEN": "s3cr3t-token", "DB_PASSWORD": "hunter22"})
    assert {"s3cr3t-token", "hunter22"} <= config.secrets
    assert "shop" not in config.secrets  # user names are not secret


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path), environ={})
    with pytest.raises(AttributeError):
        config.env = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.services["x"] = config.services["orders"]  # type: ignore[index]


def test_the_repository_configs_all_load() -> None:
    root = Path(__file__).resolve().parents[2]
    for env in ("local", "ci"):
        config = load_config(root, env=env, environ={})
        assert config.embedded
        shared = [s.name for s in config.shared_services]
        assert shared == ["inventory", "orders", "notifications"]
        assert config.services["orders_isolated"].per_worker
        assert config.services["orders_isolated"].standins_used() == ["inventory"]
        assert set(config.standins) == {"inventory"}
    staging = {
        "STAGING_DB_HOST": "db.example",
        "STAGING_DB_USER": "u",
        "STAGING_DB_PASSWORD": "p4ss",
        "STAGING_API_TOKEN": "tok",
        "STAGING_INVENTORY_URL": "https://inv.example",
        "STAGING_ORDERS_URL": "https://ord.example",
        "STAGING_NOTIFICATIONS_URL": "https://not.example",
    }
    config = load_config(root, env="staging", environ=staging)
    assert not config.embedded
    assert config.databases["shop"].port == 3306
    assert not config.databases["shop"].disposable


# -- HTTP settings and credentials profiles (login, OAuth2) --------------------------------

PROFILES = """
credentials:
  admin:
    login:
      service: orders
      path: /login
      json: {user: admin, password: "${ADMIN_PASSWORD:-pw-admin-1}"}
  robot:
    oauth2:
      token_url: https://auth.example/oauth/token
      client_id: robot
      client_secret: "${ROBOT_SECRET:-robot-secret-1}"
      scope: orders:write
"""


def test_http_verifies_tls_by_default_and_takes_a_ca_bundle(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = load_config(root, environ={})
    assert config.http.verify is True
    assert config.http.evidence_body_limit == 20_000
    assert load_config(root, overrides=["http.verify=false"], environ={}).http.verify is False
    bundle = load_config(root, overrides=["http.verify=certs/ca.pem"], environ={}).http.verify
    assert bundle == str(root.resolve() / "certs" / "ca.pem")


def test_login_and_oauth2_profiles_are_read_with_their_defaults(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path, local=PROFILES), environ={})
    login = config.credentials["admin"].login
    assert login is not None
    assert (login.service, login.method, login.path, login.token_field) == (
        "orders",
        "POST",
        "/login",
        "token",
    )
    assert dict(login.json) == {"user": "admin", "password": "pw-admin-1"}
    oauth2 = config.credentials["robot"].oauth2
    assert oauth2 is not None
    assert (oauth2.client_id, oauth2.scope, oauth2.client_auth) == (
        "robot",
        "orders:write",
        "basic",
    )
    assert config.credentials["robot"].kind == "oauth2"


def test_login_passwords_and_client_secrets_are_masked_but_not_field_names(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path, local=PROFILES), environ={})
    assert {"pw-admin-1", "robot-secret-1"} <= config.secrets
    assert "https://auth.example/oauth/token" not in config.secrets  # token_url: an address
    assert "admin" not in config.secrets


def test_a_login_secret_is_masked_whatever_the_body_calls_it(tmp_path: Path) -> None:
    local = PROFILES.replace("password:", "pin:").replace(
        "path: /login", "path: /login\n      token_field: data.token"
    )
    config = load_config(make_project(tmp_path, local=local), environ={})
    assert "pw-admin-1" in config.secrets
    assert "data.token" not in config.secrets  # token_field: a field name


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        (
            "{bearer: a, basic: {username: u, password: p}}",
            "must set exactly one of bearer, basic, header, login, oauth2 (it sets bearer, basic)",
        ),
        ("{}", "(it sets none)"),
        ("{login: {service: orders}}", "credentials.p.login needs 'path'"),
        (
            "{login: {service: billing, path: /l}}",
            "credentials.p.login.service names 'billing', which is not a configured service;"
            " configured: orders",
        ),
        (
            "{oauth2: {token_url: 'https://a/t', client_id: c}}",
            "credentials.p.oauth2 needs 'client_secret'",
        ),
        (
            "{oauth2: {token_url: 'https://a/t', client_id: c, client_secret: s,"
            " client_auth: post}}",
            "client_auth must be one of basic, body, not 'post'",
        ),
        (
            "{oauth2: {token_uri: x}}",
            "unknown key 'credentials.p.oauth2.token_uri';"
            " did you mean 'credentials.p.oauth2.token_url'?",
        ),
    ],
)
def test_a_broken_profile_is_named_with_what_is_wrong(
    tmp_path: Path, profile: str, problem: str
) -> None:
    root = make_project(tmp_path, local=f"credentials:\n  p: {profile}\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    assert problem in str(error.value)
    assert "config/local.yaml" in str(error.value)
