"""Configuration: load ``config/default.yaml`` and one environment file, validate, freeze.

The environment is chosen by an explicit name (``interlock run --env``, ``behave -D
env=``), else ``INTERLOCK_ENV``, else ``local``. Its file is merged over the
defaults, then ``dotted.key=value`` overrides are applied. ``${VAR}`` and
``${VAR:-default}`` in string values are read from the process environment;
``\\${`` stays a literal ``${``.

Everything is checked in one pass and every problem is reported at once, each
with the key, the file it came from, and for a mistyped key the nearest valid one.
Values of secret-looking keys (passwords, tokens) are collected in
``Config.secrets`` so that reports and logs can mask them.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from interlock import masking
from interlock.errors import ConfigError, excerpt
from interlock.folders import inside
from interlock.verdict import DEFAULT_VERDICT, RULE_FORMS, Rule, parse_rule

DEFAULT_ENV = "local"
ENV_VARIABLE = "INTERLOCK_ENV"
CONFIG_DIR = "config"
DEFAULT_FILE = "default.yaml"

_VAR = re.compile(r"(\\?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_PLACEHOLDER = re.compile(r"^\{[\w.]+\}$")  # filled in at start, see interlock.stack
_SECRET_KEY = re.compile(r"password|secret|token|bearer|api_?key", re.IGNORECASE)
_LOGIN_SECRET_KEY = re.compile(r"pass|secret|token|(^|_)key$|^pin$|^otp$", re.IGNORECASE)

# -- the schema -------------------------------------------------------------------------
# A spec is a dict of key -> spec, a ``MapOf`` (user-chosen names), or a tuple of
# accepted Python types for a leaf.

_NUMBER = (int, float)
_TEXT = (str,)
_OPT_TEXT = (str, type(None))
_BOOL = (bool,)
_LIST = (list,)
_DICT = (dict,)


@dataclass(frozen=True)
class MapOf:
    """A mapping whose keys the user names (services, databases...), each following ``spec``."""

    spec: dict[str, Any]


_SERVICE_SPEC: dict[str, Any] = {
    "url": _OPT_TEXT,
    "health": _TEXT,
    "openapi": _OPT_TEXT,
    "headers": _DICT,
    "credentials": _OPT_TEXT,
    "embedded": _BOOL,
    "command": _LIST,
    "env": _DICT,
    "port": (int, type(None)),
    "startup_timeout": _NUMBER,
    "per_worker": _BOOL,
}

_STANDIN_SPEC: dict[str, Any] = {
    "contract": _OPT_TEXT,
    "unmatched_status": (int,),
    "check_requests": _BOOL,
}

_DATABASE_SPEC: dict[str, Any] = {
    "host": _TEXT,
    "port": (int,),
    "user": _TEXT,
    "password": _TEXT,
    "database": _TEXT,
    "embedded": _BOOL,
    "disposable": _BOOL,
    "schema": _LIST,
    "connect_timeout": _NUMBER,
    "read_timeout": _NUMBER,
}

_CREDENTIALS_SPEC: dict[str, Any] = {
    "bearer": _TEXT,
    "basic": {"username": _TEXT, "password": _TEXT},
    "header": {"name": _TEXT, "value": _TEXT},
    "login": {
        "service": _TEXT,
        "method": _TEXT,
        "path": _TEXT,
        "json": _DICT,
        "token_field": _TEXT,
    },
    "oauth2": {
        "token_url": _TEXT,
        "client_id": _TEXT,
        "client_secret": _TEXT,
        "scope": _OPT_TEXT,
        "client_auth": _TEXT,
    },
}
CREDENTIAL_KINDS = ("bearer", "basic", "header", "login", "oauth2")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "login": ("service", "path"),
    "oauth2": ("token_url", "client_id", "client_secret"),
}
_CLIENT_AUTH = ("basic", "body")
# Keys that contain "token" or "secret" but name no secret (a field name, an address).
_NOT_SECRET_KEYS = frozenset({"token_field", "token_url"})

SCHEMA: dict[str, Any] = {
    "project": {"name": _TEXT},
    "paths": {"features": _TEXT, "data": _TEXT, "reports": _TEXT, "state": _TEXT},
    "http": {
        "connect_timeout": _NUMBER,
        "read_timeout": _NUMBER,
        "poll_interval": _NUMBER,
        "poll_timeout": _NUMBER,
        "verify": (bool, str),
        "evidence_body_limit": (int,),
        "max_body_bytes": (int,),
    },
    "report": {
        "name": _TEXT,
        "requirement_tag": _TEXT,
        "require_requirement_tag": _BOOL,
        "verdict": _LIST,
    },
    "run": {"scenario_timeout": _NUMBER, "flaky_retries": (int,), "scenarios_per_process": (int,)},
    "mariadb": {
        "bin_dir": _OPT_TEXT,
        "cache_dir": _OPT_TEXT,
        "startup_timeout": _NUMBER,
        "buffer_pool_size": _TEXT,
    },
    "services": MapOf(_SERVICE_SPEC),
    "standins": MapOf(_STANDIN_SPEC),
    "credentials": MapOf(_CREDENTIALS_SPEC),
    "databases": MapOf(_DATABASE_SPEC),
}
# Keys that were moved out of config: each refused with where its facts live now.
RETIRED_KEYS = {
    "report.requirements": "the requirements now live in the suite's catalog,"
    " requirements.yaml (id, title, owner, priority, link): list them there",
    "report.requirement_url": "each requirement's link now lives in requirements.yaml"
    " (`link:` per requirement, or a top-level `link: https://tracker/browse/{id}`)",
}
# ``{standins.NAME.url}`` in a service's command or env: the address of a stand-in,
# which exists only inside a worker process (see interlock.standins).
STANDIN_PLACEHOLDER = re.compile(r"\{standins\.([^.{}]+)\.url\}")


# -- the frozen result -------------------------------------------------------------------


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout: float
    read_timeout: float
    poll_interval: float
    poll_timeout: float
    verify: bool | str = True  # TLS verification; a text is a CA bundle file
    evidence_body_limit: int = 20_000  # characters of a body kept in the report
    max_body_bytes: int = 10_000_000  # the largest body read (decoded): past it, a failure

    def request_options(self) -> dict[str, Any]:
        """What every request is sent with: both timeouts, TLS verification, and no
        redirect followed (a scenario checks the answer it got)."""
        return {
            "timeout": (self.connect_timeout, self.read_timeout),
            "verify": self.verify,
            "allow_redirects": False,
        }


@dataclass(frozen=True)
class LoginSpec:
    """Credentials obtained by calling a login endpoint of a configured service."""

    service: str
    path: str
    method: str = "POST"
    json: Mapping[str, Any] = field(default_factory=dict)
    token_field: str = "token"  # JMESPath of the token in the login's answer


@dataclass(frozen=True)
class OAuth2Spec:
    """An OAuth2 client-credentials grant at ``token_url``."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    client_auth: str = "basic"  # "basic": HTTP Basic; "body": id and secret in the form


@dataclass(frozen=True)
class Credentials:
    """A credentials profile: exactly one of bearer, basic, header, login or oauth2 is set."""

    name: str
    bearer: str | None = None
    basic: tuple[str, str] | None = None
    header: tuple[str, str] | None = None
    login: LoginSpec | None = None
    oauth2: OAuth2Spec | None = None

    @property
    def kind(self) -> str:
        return next((k for k in CREDENTIAL_KINDS if getattr(self, k)), "none")


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    url: str | None
    health: str
    openapi: Path | None
    headers: Mapping[str, str]
    credentials: str | None
    embedded: bool
    command: tuple[str, ...]
    env: Mapping[str, str]
    port: int | None
    startup_timeout: float
    # Started by each worker process the first time a scenario selects it (pointed at
    # that worker's stand-ins) and stopped when the worker ends; never shared.
    per_worker: bool = False

    def standins_used(self) -> list[str]:
        """The stand-ins whose address its command or environment asks for, in order."""
        found: list[str] = []
        for text in (*self.command, *self.env.values()):
            found += [n for n in STANDIN_PLACEHOLDER.findall(text) if n not in found]
        return found


@dataclass(frozen=True)
class StandInConfig:
    """A service that scenarios may replace by a stand-in (config ``standins.NAME``)."""

    name: str
    contract: Path | None  # the OpenAPI document answers are checked against
    unmatched_status: int = 501  # the answer to a request no configured answer matches
    check_requests: bool = True  # requests received are checked against the contract


@dataclass(frozen=True)
class DatabaseConfig:
    name: str
    host: str
    port: int
    user: str
    password: str
    database: str
    embedded: bool
    disposable: bool
    schema: tuple[Path, ...]
    connect_timeout: float
    read_timeout: float


@dataclass(frozen=True)
class RunSettings:
    scenario_timeout: float  # seconds a scenario may take (0: no limit)
    flaky_retries: int  # how often a failed @flaky scenario is tried again
    scenarios_per_process: int = 500  # a worker's batch runs in behave processes of this many


@dataclass(frozen=True)
class MariaDBSettings:
    bin_dir: Path | None
    cache_dir: Path | None  # where the template data directory is kept (default: state/cache)
    startup_timeout: float
    buffer_pool_size: str


@dataclass(frozen=True)
class ReportSettings:
    name: str
    requirement_tag: re.Pattern[str]  # a tag that names a requirement, e.g. REQ-12
    require_requirement_tag: bool  # lint: every scenario must name a requirement
    verdict: tuple[Rule, ...]  # what ACCEPTED requires


@dataclass(frozen=True)
class Config:
    """The validated, frozen configuration of one environment."""

    env: str
    root: Path
    files: tuple[Path, ...]
    project_name: str
    features_dir: Path
    data_dir: Path
    reports_dir: Path
    state_dir: Path
    report: ReportSettings
    http: HttpSettings
    run: RunSettings
    mariadb: MariaDBSettings
    services: Mapping[str, ServiceConfig]
    credentials: Mapping[str, Credentials]
    databases: Mapping[str, DatabaseConfig]
    secrets: frozenset[str] = field(repr=False)
    standins: Mapping[str, StandInConfig] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def report_name(self) -> str:
        return self.report.name

    @property
    def embedded(self) -> bool:
        """True when anything (a database or a service) is started by interlock."""
        return any(d.embedded for d in self.databases.values()) or any(
            s.embedded for s in self.services.values()
        )

    @property
    def shared_services(self) -> list[ServiceConfig]:
        """The services of the environment itself (started or reached once per run), in
        config order; per-worker services are started by each worker instead."""
        return [s for s in self.services.values() if not s.per_worker]


# -- loading -------------------------------------------------------------------------------


def find_root(start: Path | None = None) -> Path:
    """The project root: the nearest folder upwards holding ``config/default.yaml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_DIR / DEFAULT_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_DIR}/{DEFAULT_FILE} found in {here} or any folder above it",
        hint="run interlock from your project's root, or create it with `interlock init`",
    )


def available_envs(root: Path) -> list[str]:
    """Environment names: every ``config/*.yaml`` except the defaults."""
    return sorted(p.stem for p in (root / CONFIG_DIR).glob("*.yaml") if p.name != DEFAULT_FILE)


def choose_env(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return explicit or environ.get(ENV_VARIABLE) or DEFAULT_ENV


def load_config(
    root: Path | None = None,
    env: str | None = None,
    overrides: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load, validate and freeze the configuration of one environment.

    ``overrides`` are ``dotted.key=value`` strings; values are read as YAML scalars
    (``--set http.read_timeout=60`` gives a number).
    """
    environ = os.environ if environ is None else environ
    root = (root or find_root()).resolve()
    env = choose_env(env, environ)
    config_dir = root / CONFIG_DIR
    known = available_envs(root)
    if env not in known:
        raise ConfigError(
            f"unknown environment {env!r}: {config_dir} holds no {env}.yaml",
            hint=f"choose one of: {', '.join(known) or '(none)'}",
        )

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    files = (config_dir / DEFAULT_FILE, config_dir / f"{env}.yaml")
    for path in files:
        data = _interpolate(_read_yaml(path), environ, str(path.relative_to(root)), ())
        _merge(merged, data, origins, str(path.relative_to(root)), ())
    given: list[str] = []  # values of secret-looking keys given with --set
    for item in overrides:
        key, value = _parse_override(item)
        _set_dotted(merged, key, value)
        origins[key] = f"override {masking.shown_override(item)}"
        if masking.hides_value(key) and str(value):
            given.append(str(value))

    # No error shows a secret-looking value (a mistyped key's included).
    hidden = masking.Masker([*given, *_secrets(merged)])
    problems: list[str] = []
    _validate(merged, SCHEMA, (), origins, problems)
    if problems:
        raise ConfigError(
            hidden.mask(
                "the configuration has "
                + (f"{len(problems)} problems" if len(problems) > 1 else "a problem")
                + ":\n  - "
                + "\n  - ".join(problems)
            ),
            hint="fix the keys above; config/default.yaml lists every valid key",
        )
    try:
        config = _freeze(merged, root, env, files, origins)
    except ConfigError as exc:
        raise ConfigError(hidden.mask(exc.message), hint=exc.hint) from None
    secret = [str(v) for k, v in map(_parse_override, overrides) if masking.secret_key(k)]
    return replace(config, secrets=config.secrets | {s for s in secret if s})


def config_from_userdata(userdata: Mapping[str, Any]) -> Config:
    """The config behave's ``-D env=NAME`` and ``-D dotted.key=value`` select."""
    env = userdata.get("env") or None
    overrides = [
        f"{key}={value}"
        for key, value in userdata.items()
        if "." in key and not key.startswith("interlock.")  # interlock's own run flags
    ]
    return load_config(env=env, overrides=overrides)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {excerpt(problem)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, not {_kind(data)}")
    return data


def _interpolate(value: Any, environ: Mapping[str, str], file: str, path: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, environ, file, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, environ, file, path) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{file}: {'.'.join(path)} uses ${{{name}}}, but the environment variable "
            f"{name} is not set",
            hint=f"export {name}=... before the run, or write ${{{name}:-default}} in {file}",
        )

    return _VAR.sub(replace, value)


def _merge(
    into: dict[str, Any],
    data: dict[str, Any],
    origins: dict[str, str],
    file: str,
    path: tuple[str, ...],
) -> None:
    for key, value in data.items():
        key = str(key)
        dotted = ".".join((*path, key))
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origins, file, (*path, key))
        else:
            into[key] = value
            for sub in _leaf_keys(value, dotted):
                origins[sub] = file
        origins.setdefault(dotted, file)


def _leaf_keys(value: Any, dotted: str) -> list[str]:
    if isinstance(value, dict):
        keys = [dotted]
        for k, v in value.items():
            keys.extend(_leaf_keys(v, f"{dotted}.{k}"))
        return keys
    return [dotted]


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(
            f"override {item!r} is not of the form dotted.key=value",
            hint="for example: --set http.read_timeout=60",
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def _set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _validate(
    value: Any,
    spec: Any,
    path: tuple[str, ...],
    origins: Mapping[str, str],
    problems: list[str],
) -> None:
    dotted = ".".join(path)
    where = origins.get(dotted, "config")
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            problems.append(f"{where}: {dotted} must be a mapping of names, not {_kind(value)}")
            return
        for name, item in value.items():
            _validate(item, spec.spec, (*path, str(name)), origins, problems)
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            problems.append(f"{where}: {dotted} must be a mapping, not {_kind(value)}")
            return
        for key, item in value.items():
            key = str(key)
            if key not in spec:
                full = ".".join((*path, key))
                if full in RETIRED_KEYS:
                    problems.append(f"{origins.get(full, where)}: {full} is no longer a"
                                    f" config key: {RETIRED_KEYS[full]}")  # fmt: skip
                    continue
                near = difflib.get_close_matches(key, list(spec), n=1, cutoff=0.6)
                suggestion = f"; did you mean {'.'.join((*path, near[0]))!r}?" if near else ""
                valid = ", ".join(sorted(spec))
                problems.append(
                    f"{origins.get(full, where)}: unknown key {full!r}{suggestion}"
                    f" (valid here: {valid})"
                )
                continue
            _validate(item, spec[key], (*path, key), origins, problems)
        return
    if (int in spec or float in spec) and isinstance(value, str):
        try:
            float(value)
            return
        except ValueError:
            pass
    if isinstance(value, bool) and bool not in spec:
        problems.append(f"{where}: {dotted} must be {_type_names(spec)}, not a boolean")
    elif not isinstance(value, spec):
        problems.append(f"{where}: {dotted} must be {_type_names(spec)}, not {_kind(value)}")


def _type_names(types: tuple[type, ...]) -> str:
    names = {
        int: "a whole number",
        float: "a number",
        str: "text",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }
    if types == _NUMBER:
        return "a number"
    return " or ".join(names.get(t, t.__name__) for t in types)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


# -- freezing ---------------------------------------------------------------------------------


def _freeze(
    tree: dict[str, Any],
    root: Path,
    env: str,
    files: tuple[Path, ...],
    origins: Mapping[str, str],
) -> Config:
    def section(name: str) -> dict[str, Any]:
        value = tree.get(name)
        return value if isinstance(value, dict) else {}

    paths = section("paths")
    http = section("http")
    report = section("report")
    mariadb = section("mariadb")

    credentials = {name: _credentials(name, spec) for name, spec in section("credentials").items()}
    services = {name: _service(name, spec, root) for name, spec in section("services").items()}
    databases = {name: _database(name, spec, root) for name, spec in section("databases").items()}
    standins = {
        name: _standin(name, spec, services, root) for name, spec in section("standins").items()
    }

    problems: list[str] = []
    for service in services.values():
        where = origins.get(f"services.{service.name}", "config")
        if service.credentials and service.credentials not in credentials:
            problems.append(
                f"{where}: services.{service.name}.credentials names the profile "
                f"{service.credentials!r}, which is not defined; defined: "
                f"{', '.join(sorted(credentials)) or '(none)'}"
            )
        problems += _service_problems(service, standins, where)
    for name, standin in standins.items():
        where = origins.get(f"standins.{name}", "config")
        if name not in services:
            problems.append(
                f"{where}: standins.{name} replaces a service, but no service {name!r} is"
                f" configured; configured: {', '.join(sorted(services)) or '(none)'}"
            )
        if not 100 <= standin.unmatched_status <= 599:
            problems.append(
                f"{where}: standins.{name}.unmatched_status must be an HTTP status (100-599),"
                f" not {standin.unmatched_status}"
            )
    per_process = section("run").get("scenarios_per_process", 500)
    if isinstance(per_process, int) and per_process < 1:
        problems.append(
            f"{origins.get('run.scenarios_per_process', 'config')}: run.scenarios_per_process"
            f" must be 1 or more, not {per_process}"
        )
    for name, cred in credentials.items():
        problems += _credentials_problems(
            cred,
            section("credentials")[name],
            services,
            origins.get(f"credentials.{name}", "config"),
        )
    problems += _outside_root(root, services, standins, databases, http.get("verify"), origins)
    if problems:
        raise ConfigError("the configuration is inconsistent:\n  - " + "\n  - ".join(problems))

    return Config(
        env=env,
        root=root,
        files=files,
        project_name=str(section("project").get("name", root.name)),
        features_dir=root / paths.get("features", "features"),
        data_dir=root / paths.get("data", "features/data"),
        reports_dir=root / paths.get("reports", "reports"),
        state_dir=root / paths.get("state", ".interlock"),
        report=_report(report, origins),
        run=RunSettings(
            scenario_timeout=float(section("run").get("scenario_timeout", 300)),
            flaky_retries=int(section("run").get("flaky_retries", 2)),
            scenarios_per_process=int(section("run").get("scenarios_per_process", 500)),
        ),
        http=HttpSettings(
            connect_timeout=float(http.get("connect_timeout", 5)),
            read_timeout=float(http.get("read_timeout", 30)),
            poll_interval=float(http.get("poll_interval", 0.5)),
            poll_timeout=float(http.get("poll_timeout", 10)),
            verify=_verify(http.get("verify", True), root),
            evidence_body_limit=int(http.get("evidence_body_limit", 20_000)),
            max_body_bytes=int(http.get("max_body_bytes", 10_000_000)),
        ),
        mariadb=MariaDBSettings(
            bin_dir=Path(mariadb["bin_dir"]) if mariadb.get("bin_dir") else None,
            cache_dir=root / mariadb["cache_dir"] if mariadb.get("cache_dir") else None,
            startup_timeout=float(mariadb.get("startup_timeout", 30)),
            buffer_pool_size=str(mariadb.get("buffer_pool_size", "16M")),
        ),
        services=MappingProxyType(services),
        credentials=MappingProxyType(credentials),
        databases=MappingProxyType(databases),
        secrets=frozenset(
            _secrets(tree) + _credential_secrets(credentials.values()) + masking.url_secrets(tree)
        ),
        standins=MappingProxyType(standins),
    )


def _service_problems(
    service: ServiceConfig, standins: Mapping[str, StandInConfig], where: str
) -> list[str]:
    """How a service's way of being started or reached is inconsistent."""
    key = f"services.{service.name}"
    problems: list[str] = []
    if service.per_worker:
        if not service.command:
            problems.append(f"{where}: {key} is per_worker but has no command to start it")
        if service.url:
            problems.append(
                f"{where}: {key} is per_worker, so each worker gets its own address when it"
                " starts it; remove its url"
            )
    elif service.embedded and not service.command:
        problems.append(f"{where}: {key} is embedded but has no command to start it")
    elif not service.embedded and not service.url:
        problems.append(f"{where}: {key} is not embedded, so it needs a url")
    for name in service.standins_used():
        if name not in standins:
            problems.append(
                f"{where}: {key} uses {{standins.{name}.url}}, but standins.{name} is not"
                f" configured; configured: {', '.join(sorted(standins)) or '(none)'}"
            )
        elif not service.per_worker:
            problems.append(
                f"{where}: {key} uses {{standins.{name}.url}}, but stand-ins live inside each"
                f" worker process: only a service with per_worker: true can be pointed at one"
            )
    return problems


def _report(spec: dict[str, Any], origins: Mapping[str, str]) -> ReportSettings:
    where = origins.get("report.verdict", "config")
    pattern = str(spec.get("requirement_tag", r"REQ-\d+"))
    try:
        tag = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"{origins.get('report.requirement_tag', 'config')}: report.requirement_tag"
            f" {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    rules = []
    for text in spec.get("verdict") or DEFAULT_VERDICT:
        try:
            rules.append(parse_rule(str(text)))
        except ValueError as exc:
            raise ConfigError(f"{where}: report.verdict: {exc}", hint=RULE_FORMS) from None
    return ReportSettings(
        name=str(spec.get("name", "interlock")),
        requirement_tag=tag,
        require_requirement_tag=bool(spec.get("require_requirement_tag", False)),
        verdict=tuple(rules),
    )


def _credentials(name: str, spec: dict[str, Any]) -> Credentials:
    basic = spec.get("basic")
    header = spec.get("header")
    login = spec.get("login")
    oauth2 = spec.get("oauth2")
    return Credentials(
        name=name,
        bearer=spec.get("bearer"),
        basic=(str(basic.get("username", "")), str(basic.get("password", ""))) if basic else None,
        header=(str(header.get("name", "")), str(header.get("value", ""))) if header else None,
        login=LoginSpec(
            service=str(login.get("service", "")),
            path=str(login.get("path", "")),
            method=str(login.get("method", "POST")).upper(),
            json=MappingProxyType(dict(login.get("json") or {})),
            token_field=str(login.get("token_field", "token")),
        )
        if login
        else None,
        oauth2=OAuth2Spec(
            token_url=str(oauth2.get("token_url", "")),
            client_id=str(oauth2.get("client_id", "")),
            client_secret=str(oauth2.get("client_secret", "")),
            scope=oauth2.get("scope"),
            client_auth=str(oauth2.get("client_auth", "basic")),
        )
        if oauth2
        else None,
    )


def _credentials_problems(
    cred: Credentials,
    spec: dict[str, Any],
    services: Mapping[str, ServiceConfig],
    where: str,
) -> list[str]:
    """What is wrong with one profile: not exactly one kind, or a kind's missing keys."""
    key = f"credentials.{cred.name}"
    kinds = [k for k in CREDENTIAL_KINDS if spec.get(k)]
    if len(kinds) != 1:
        return [
            f"{where}: {key} must set exactly one of {', '.join(CREDENTIAL_KINDS)}"
            f" (it sets {', '.join(kinds) or 'none'})"
        ]
    kind = kinds[0]
    given = spec[kind] if isinstance(spec[kind], dict) else {}
    problems = [
        f"{where}: {key}.{kind} needs {required!r}"
        for required in _REQUIRED.get(kind, ())
        if not given.get(required)
    ]
    if cred.login and cred.login.service and cred.login.service not in services:
        problems.append(
            f"{where}: {key}.login.service names {cred.login.service!r}, which is not a"
            f" configured service; configured: {', '.join(sorted(services)) or '(none)'}"
        )
    if cred.oauth2 and cred.oauth2.client_auth not in _CLIENT_AUTH:
        problems.append(
            f"{where}: {key}.oauth2.client_auth must be one of {', '.join(_CLIENT_AUTH)},"
            f" not {cred.oauth2.client_auth!r}"
        )
    return problems


def _outside_root(
    root: Path,
    services: Mapping[str, ServiceConfig],
    standins: Mapping[str, StandInConfig],
    databases: Mapping[str, DatabaseConfig],
    verify: Any,
    origins: Mapping[str, str],
) -> list[str]:
    """The files the config names that lie outside the suite's folder (symlinks
    resolved): interlock reads them, and what it cannot parse it may quote."""
    named: list[tuple[str, Path]] = []
    for name, service in services.items():
        if service.openapi:
            named.append((f"services.{name}.openapi", service.openapi))
    for name, standin in standins.items():
        replaced = services.get(name)
        if standin.contract and standin.contract != (replaced and replaced.openapi):
            named.append((f"standins.{name}.contract", standin.contract))
    for name, db in databases.items():
        named += [(f"databases.{name}.schema", script) for script in db.schema]
    if isinstance(verify, str):
        named.append(("http.verify", root / verify))
    problems = []
    for key, path in named:
        if inside(root, str(path)) is None:
            given = path.relative_to(root) if path.is_relative_to(root) else path
            also = " (or keep it true and set REQUESTS_CA_BUNDLE)" if key == "http.verify" else ""
            problems.append(
                f"{origins.get(key, 'config')}: {key} names {given}, which is outside the"
                f" suite's folder {root}: put the file there and name it relative to it{also}"
            )
    return problems


def _verify(value: Any, root: Path) -> bool | str:
    """``http.verify``: true/false, or a CA bundle file (relative to the project root)."""
    if isinstance(value, bool):
        return value
    return str(root / str(value))


def _service(name: str, spec: dict[str, Any], root: Path) -> ServiceConfig:
    openapi = spec.get("openapi")
    return ServiceConfig(
        name=name,
        url=spec.get("url"),
        health=str(spec.get("health", "/health")),
        openapi=root / openapi if openapi else None,
        headers=MappingProxyType({str(k): str(v) for k, v in (spec.get("headers") or {}).items()}),
        credentials=spec.get("credentials"),
        embedded=bool(spec.get("embedded", False)),
        command=tuple(str(part) for part in spec.get("command") or ()),
        env=MappingProxyType({str(k): str(v) for k, v in (spec.get("env") or {}).items()}),
        port=spec.get("port"),
        startup_timeout=float(spec.get("startup_timeout", 20)),
        per_worker=bool(spec.get("per_worker", False)),
    )


def _standin(
    name: str, spec: dict[str, Any] | None, services: Mapping[str, ServiceConfig], root: Path
) -> StandInConfig:
    """A stand-in's settings; its contract defaults to the replaced service's OpenAPI."""
    spec = spec or {}
    service = services.get(name)
    contract = root / spec["contract"] if spec.get("contract") else None
    return StandInConfig(
        name=name,
        contract=contract or (service.openapi if service else None),
        unmatched_status=int(spec.get("unmatched_status", 501)),
        check_requests=bool(spec.get("check_requests", True)),
    )


def _database(name: str, spec: dict[str, Any], root: Path) -> DatabaseConfig:
    return DatabaseConfig(
        name=name,
        host=str(spec.get("host", "127.0.0.1")),
        port=int(spec.get("port", 3306)),
        user=str(spec.get("user", "root")),
        password=str(spec.get("password", "")),
        database=str(spec.get("database", name)),
        embedded=bool(spec.get("embedded", False)),
        disposable=bool(spec.get("disposable", False)),
        schema=tuple(root / str(p) for p in spec.get("schema") or ()),
        connect_timeout=float(spec.get("connect_timeout", 5)),
        read_timeout=float(spec.get("read_timeout", 30)),
    )


def _credential_secrets(profiles: Iterable[Credentials]) -> list[str]:
    """Every secret a profile holds: tokens, passwords, API keys, client secrets and the
    secret-looking values of a login body (whatever their key is called)."""
    found: list[str] = []
    for cred in profiles:
        found.extend(v for v in (cred.bearer, cred.basic and cred.basic[1]) if v)
        if cred.header and cred.header[1]:
            found.append(cred.header[1])
        if cred.oauth2 and cred.oauth2.client_secret:
            found.append(cred.oauth2.client_secret)
        if cred.login:
            found.extend(
                str(value)
                for key, value in cred.login.json.items()
                if _LOGIN_SECRET_KEY.search(str(key)) and str(value)
            )
    return found


def _secrets(tree: Any, secret: bool = False) -> list[str]:
    """Values of every key that looks secret (and everything below such a key)."""
    found: list[str] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if str(key) in _NOT_SECRET_KEYS:
                continue
            found.extend(_secrets(value, secret or bool(_SECRET_KEY.search(str(key)))))
    elif isinstance(tree, list):
        for value in tree:
            found.extend(_secrets(value, secret))
    elif secret and isinstance(tree, str | int) and str(tree) and not _PLACEHOLDER.match(str(tree)):
        found.append(str(tree))
    return found
