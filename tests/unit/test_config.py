"""Config loading: environments, merging, ${VAR}, overrides, validation, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.config import load_config
from interlock.errors import ConfigError, ExitCode

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
        assert shared == ["inventory", "orders", "notifications", "storefront"]
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
        "STAGING_STOREFRONT_URL": "https://shop.example",
    }
    config = load_config(root, env="staging", environ=staging)
    assert not config.embedded
    assert config.databases["shop"].port == 3306
    assert not config.databases["shop"].disposable


def test_a_new_environment_of_this_repository_starts_from_nothing(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_bytes((root / "config" / "default.yaml").read_bytes())
    (tmp_path / "config" / "other.yaml").write_text("")
    config = load_config(tmp_path, env="other", environ={})
    assert (config.services, config.databases, config.credentials, config.standins) == ({}, {}, {}, {})
    assert not config.embedded


# -- composition: extends, and null to remove an inherited entry -----------------------------


def test_null_removes_an_inherited_service_database_or_profile(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        local="services: {orders: null}\ndatabases: {shop: null}\ncredentials: {clerk: null}\n",
    )
    config = load_config(root, environ={})
    assert (config.services, config.databases, config.credentials) == ({}, {}, {})
    assert "services.orders.url" not in config.origins


def test_null_removes_an_entry_only_a_later_file_may_give_again(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        local="databases: {shop: null, other: {embedded: true, disposable: true}}\n",
    )
    assert set(load_config(root, environ={}).databases) == {"other"}


def test_removing_a_profile_a_service_still_names_is_said(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="credentials:\n  clerk: null\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    assert "services.orders.credentials names the profile 'clerk', which is not defined" in str(
        error.value
    )


def test_an_environment_extends_another_which_extends_the_defaults(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        local="databases: {main: {embedded: true, disposable: true}}\nhttp: {read_timeout: 40}\n",
        ci="extends: local\nhttp: {poll_timeout: 20}\n",
        nightly="extends: ci\nservices: {orders: null}\n",
    )
    config = load_config(root, env="nightly", environ={})
    assert [p.name for p in config.files] == ["default.yaml", "local.yaml", "ci.yaml", "nightly.yaml"]
    assert (config.http.read_timeout, config.http.poll_timeout) == (40, 20)
    assert set(config.databases) == {"shop", "main"} and config.services == {}
    assert config.origins["http.read_timeout"] == "config/local.yaml:2"
    assert load_config(root, env="local", environ={}).http.poll_timeout == 10


def test_extends_names_a_missing_environment_or_a_circle_with_file_and_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="http: {}\nextends: prod\n", a="extends: b\n", b="extends: a\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    assert "config/local.yaml:2: extends names the environment 'prod', but config/ holds no prod.yaml" in str(error.value)
    with pytest.raises(ConfigError) as error:
        load_config(root, env="a", environ={})
    assert "config/b.yaml:1: extends goes round in a circle: a -> b -> a" in str(error.value)
    assert error.value.exit_code == ExitCode.COULD_NOT_RUN


def test_the_defaults_extend_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path, DEFAULT + "extends: local\n")
    with pytest.raises(ConfigError) as error:
        load_config(root, environ={})
    assert "config/default.yaml:12: extends belongs in an environment file" in str(error.value)


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


# -- one declaration per key: lines, types from ${VAR} and overrides, bad files ----------


def problems(root: Path, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(root, **{"environ": {}, **kwargs})  # type: ignore[arg-type]
    assert error.value.exit_code == ExitCode.COULD_NOT_RUN
    return str(error.value)


def test_a_problem_names_the_file_line_and_key(tmp_path: Path) -> None:
    local = (
        "# a comment\nhttp:\n  connect_timeout: 3\n  read_timout: 3\nrun:\n  flaky_retries: '2.5'\n"
    )
    message = problems(make_project(tmp_path, local=local))
    assert "config/local.yaml:4: unknown key 'http.read_timout'" in message
    assert (
        "config/local.yaml:6: run.flaky_retries must be a whole number, not text '2.5'" in message
    )


def test_a_text_in_a_number_key_is_named_not_a_crash(tmp_path: Path) -> None:
    # It passed the old check, then float()/int() raised a bare ValueError in every command.
    message = problems(make_project(tmp_path, local="run: {flaky_retries: '2.5'}\n"))
    assert "run.flaky_retries must be a whole number" in message


def test_a_variable_is_parsed_by_the_keys_type(tmp_path: Path) -> None:
    local = "databases:\n  shop:\n    port: ${DB_PORT:-3306}\n    embedded: ${EMBED:-false}\n"
    root = make_project(tmp_path, local=local)
    config = load_config(root, environ={"EMBED": "true"})
    assert config.databases["shop"].port == 3306
    assert config.databases["shop"].embedded is True
    assert load_config(root, environ={"DB_PORT": "3307"}).databases["shop"].port == 3307
    message = problems(root, environ={"DB_PORT": "three"})
    assert (
        "config/local.yaml:3: databases.shop.port must be a port, but ${DB_PORT:-3306} gives 'three'"
        in message
    )
    message = problems(root, environ={"DB_PORT": "0"})
    assert "config/local.yaml:3: databases.shop.port must be a port (1-65535), not 0" in message
    assert "(from ${DB_PORT:-3306})" in message


def test_a_quoted_number_written_in_yaml_is_text(tmp_path: Path) -> None:
    message = problems(make_project(tmp_path, local="databases: {shop: {port: '3306'}}\n"))
    assert "databases.shop.port must be a port, not text '3306'" in message


def test_an_override_is_parsed_by_the_keys_type(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = load_config(
        root, overrides=["project.name=123", "run.flaky_retries=3", "http.verify=false"], environ={}
    )
    assert config.project_name == "123"
    assert config.run.flaky_retries == 3
    assert config.http.verify is False
    message = problems(root, overrides=["run.flaky_retries=2.5", "http.read_timeout=-1"])
    assert "override 'run.flaky_retries=2.5': run.flaky_retries must be a whole number" in message
    assert "override 'http.read_timeout=-1': http.read_timeout must be more than 0" in message


@pytest.mark.parametrize(
    "local",
    [
        "http: {read_timeout: 0}",
        "http: {poll_timeout: -1}",
        "http: {evidence_body_limit: 0}",
        "http: {connect_timeout: .inf}",
        "run: {scenarios_per_process: 0}",
        "run: {flaky_retries: -1}",
        "mariadb: {startup_timeout: 0}",
        "databases: {shop: {read_timeout: 0}}",
        "services: {orders: {startup_timeout: -5}}",
    ],
)
def test_timeouts_and_limits_must_be_positive(tmp_path: Path, local: str) -> None:
    message = problems(make_project(tmp_path, local=local + "\n"))
    assert "config/local.yaml:1:" in message
    assert "must be more than 0" in message or "or more" in message or "finite" in message


def test_every_problem_of_every_kind_is_reported_at_once(tmp_path: Path) -> None:
    local = (
        "http:\n  read_timeout: soon\n"
        "services:\n  orders:\n    url: ${ORDERS_URL}\n    prot: 1\n"
        "databases:\n  shop:\n    port: ${PORT}\n"
    )
    message = problems(make_project(tmp_path, local=local), environ={"PORT": "x"})
    assert "4 problems" in message
    for line, text in [
        (2, "http.read_timeout must be a number of seconds, not text 'soon'"),
        (5, "services.orders.url uses ${ORDERS_URL}, but the environment variable"),
        (6, "unknown key 'services.orders.prot'; did you mean 'services.orders.port'?"),
        (9, "databases.shop.port must be a port, but ${PORT} gives 'x'"),
    ]:
        assert f"config/local.yaml:{line}: {text}" in message


def test_a_secret_looking_value_is_never_repeated(tmp_path: Path) -> None:
    local = (
        "databases: {shop: {password: 73519246}}\n"
        "credentials: {clerk: {bearer: 88127733}, k: {header: {name: X-Key, value: 55102938}}}\n"
        "services: {orders: {env: {DB_PASSWORD: 44710396}, headers: {Authorization: 66120457}}}\n"
    )
    message = problems(make_project(tmp_path, local=local))
    assert "5 problems" in message
    assert "databases.shop.password must be text, not the value given (a number)" in message
    for secret in ("73519246", "88127733", "55102938", "44710396", "66120457"):
        assert secret not in message


def test_a_secret_given_by_an_override_is_never_repeated(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="credentials: {clerk: {bearer: '${TOKEN}'}}\n")
    message = problems(
        root, environ={"TOKEN": "tok-1"}, overrides=["credentials.clerk.basic=s3cr3t-value"]
    )
    assert "override 'credentials.clerk.basic=*****': credentials.clerk.basic must be" in message
    assert "s3cr3t-value" not in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"http:\n  read_timeout: 3\n\x00\x01\x02", "config/local.yaml:3: a binary file"),
        (b"project:\n  name: caf\xe9\n", "config/local.yaml:2: not UTF-8 text (byte 0xe9)"),
        (b"http:\n  read_timeout: [5\n", "config/local.yaml:3: not valid YAML"),
        (b"http: {a: 1}\n---\nb: 2\n", "config/local.yaml:2: not valid YAML"),
        (b"- http\n", "config/local.yaml:1: the top level must be a mapping of keys, not a list"),
        (b"a: &x {b: *x}\n", "config/local.yaml:1: a.b refers to itself"),
        (b"http: !!python/object:os.system {}\n", "config/local.yaml:1: http: the tag"),
    ],
)
def test_a_file_that_is_not_yaml_text_is_named_with_its_line(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    root = make_project(tmp_path)
    (root / "config" / "local.yaml").write_bytes(content)
    assert problem in problems(root)


def test_an_empty_default_file_is_named_but_an_empty_environment_is_fine(tmp_path: Path) -> None:
    root = make_project(tmp_path, default="# nothing yet\n", local="")
    assert "config/default.yaml:1: the file is empty" in problems(root)
    (root / "config" / "default.yaml").write_text(DEFAULT)
    assert load_config(root, environ={}).env == "local"


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "config" / "local.yaml").write_bytes("\ufeffproject: {name: café}\n".encode())
    assert load_config(root, environ={}).project_name == "café"


def test_an_entry_cannot_rename_itself(tmp_path: Path) -> None:
    message = problems(make_project(tmp_path, local="databases: {shop: {name: other}}\n"))
    assert "unknown key 'databases.shop.name'" in message


def test_anchors_and_merge_keys_are_read_and_not_shared(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="services: {a: {env: {C: '3'}}}\n")
    (root / "config" / "default.yaml").write_text(
        "services:\n"
        "  a: {url: 'http://a', env: &env {A: '1'}}\n"
        "  b:\n    url: http://b\n    env:\n      <<: *env\n      B: '2'\n"
    )
    config = load_config(root, environ={})
    assert dict(config.services["a"].env) == {"A": "1", "C": "3"}
    assert dict(config.services["b"].env) == {"A": "1", "B": "2"}


def test_paths_are_under_the_project_root_whether_written_or_default(tmp_path: Path) -> None:
    root = make_project(tmp_path, local="paths: {reports: out}\nmariadb: {cache_dir: cache}\n")
    config = load_config(root, environ={})
    root = root.resolve()
    assert (config.features_dir, config.state_dir) == (root / "features", root / ".interlock")
    assert (config.reports_dir, config.mariadb.cache_dir) == (root / "out", root / "cache")
    assert config.mariadb.bin_dir is None
