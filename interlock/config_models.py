"""Every configuration key, declared once: its type, its default and what it means.

The models below are the only place a key lives. ``interlock.config`` loads the YAML
files into them; ``interlock.config_schema`` writes the JSON Schema editors use from
them; ``config/default.yaml`` is the commented reference, and a test checks it
against them. To add a key, add a field to its section here (a type, a default and a
``description``), then run ``python -m interlock.config_schema`` and document it in
``config/default.yaml``.

Values written in YAML are checked strictly by their YAML type (``"2.5"`` is text,
not a number); values from ``${VAR}`` and ``--set`` are text, parsed by the key's
type before that check (see ``interlock.config``). Paths are relative to the project
root, which the loader passes in the validation context (``{"root": Path}``).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from interlock.verdict import DEFAULT_VERDICT, RULE_FORMS, Rule, parse_rule

# Two keys (databases.*.schema, credentials.*.login.json) share their names with
# pydantic's deprecated BaseModel.schema() and .json(); the keys win, on purpose.
warnings.filterwarnings("ignore", r'Field name "(schema|json)" .* shadows', UserWarning)

CREDENTIAL_KINDS = ("bearer", "basic", "header", "login", "oauth2")
# ``{standins.NAME.url}`` in a service's command or env: the address of a stand-in,
# which exists only inside a worker process (see interlock.standins).
STANDIN_PLACEHOLDER = re.compile(r"\{standins\.([^.{}]+)\.url\}")
# An origin whose value was one ${VAR} and nothing else: "config/x.yaml:3 (from ${VAR})".
_WHOLE_VARIABLE = re.compile(r"\(from \$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}\)$")


@dataclasses.dataclass(frozen=True)
class Phrase:
    """How an error names what a key must be, where its type alone says it badly."""

    text: str


# -- value types shared by several keys ----------------------------------------------------


def _under_root(value: Any, info: ValidationInfo) -> Any:
    """A path written in config is relative to the project root."""
    if isinstance(value, str | Path) and str(value):
        root = (info.context or {}).get("root")
        return root / value if root is not None else Path(value)
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _empty_map() -> Mapping[str, Any]:
    return MappingProxyType({})


def _named_entries(value: Any) -> Any:
    """Each entry of a map of names (services, databases...) learns its own name."""
    if not isinstance(value, dict):
        return value
    return {
        key: {**entry, "name": key} if isinstance(entry, dict) and "name" not in entry else entry
        for key, entry in value.items()
    }


def _compile(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None


def _rules(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        return value
    if not value:
        value = DEFAULT_VERDICT  # an empty list keeps the default rules
    rules: list[Any] = []
    broken: list[str] = []
    for item in value:
        if isinstance(item, Rule):
            rules.append(item)
        elif not isinstance(item, str):
            broken.append(f"each rule must be text, not {type(item).__name__} {item!r}")
        else:
            try:
                rules.append(parse_rule(item))
            except ValueError as exc:
                broken.append(str(exc))
    if broken:
        raise ValueError("; ".join(broken) + f" ({RULE_FORMS})")
    return tuple(rules)


def _ca_bundle(value: bool | str, info: ValidationInfo) -> bool | str:
    root = (info.context or {}).get("root")
    return str(root / value) if isinstance(value, str) and root is not None else value


Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False), Phrase("a number of seconds")]
Port = Annotated[int, Field(ge=1, le=65535), Phrase("a port")]
ProjectPath = Annotated[Path, BeforeValidator(_under_root), WithJsonSchema({"type": "string"})]
OptionalPath = Annotated[ProjectPath | None, BeforeValidator(_empty_is_none)]
OptionalText = Annotated[str | None, BeforeValidator(_empty_is_none)]
TextList = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
PathList = Annotated[tuple[ProjectPath, ...], BeforeValidator(_as_tuple)]
TextMap = Annotated[Mapping[str, str], AfterValidator(_frozen_map)]


class Settings(BaseModel):
    """A frozen section of the configuration; unknown keys are refused."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_default=True,
        use_attribute_docstrings=False,
    )

    # No __init__ of our own: pydantic would then validate through it, without the
    # context that carries the project root. Build a model with keyword arguments.

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        # Like a frozen dataclass: assigning is an AttributeError, whatever the model.
        raise dataclasses.FrozenInstanceError(f"cannot assign to {name!r}: config is frozen")

    def __delattr__(self, name: str) -> NoReturn:
        raise dataclasses.FrozenInstanceError(f"cannot delete {name!r}: config is frozen")


class Named(Settings):
    """An entry of a map whose keys the user chooses; ``name`` is that key."""

    internal: ClassVar[frozenset[str]] = frozenset({"name"})  # not written in YAML
    name: SkipJsonSchema[str] = Field("", description="the entry's key in its map")


# -- sections ----------------------------------------------------------------------------


class ProjectSettings(Settings):
    """The project."""

    name: OptionalText = Field(None, description="the project's name; default: its folder's")


class PathSettings(Settings):
    """Where things are, relative to the project root."""

    features: ProjectPath = Field(Path("features"), description="the feature files")
    data: ProjectPath = Field(
        Path("features/data"), description="payloads, schemas and SQL scripts named by steps"
    )
    reports: ProjectPath = Field(
        Path("reports"), description="Allure results, HTML report, JUnit, service logs"
    )
    state: ProjectPath = Field(
        Path(".interlock"),
        description="runtime file, MariaDB template and data (keep it git-ignored)",
    )


class HttpSettings(Settings):
    """How every HTTP request is sent and how long it may take."""

    connect_timeout: Seconds = Field(5, description="seconds to connect")
    read_timeout: Seconds = Field(30, description="seconds to wait for an answer")
    poll_interval: Seconds = Field(0.5, description="seconds between tries of a polling step")
    poll_timeout: Seconds = Field(10, description="default limit of a polling step, seconds")
    verify: Annotated[
        bool | str, AfterValidator(_ca_bundle), Phrase("true, false or a CA bundle file")
    ] = Field(
        True,
        description="TLS certificates are verified (true), not (false), or against this CA"
        " bundle file",
    )
    evidence_body_limit: int = Field(
        20_000, gt=0, description="characters of a body kept in the report's evidence"
    )
    max_body_bytes: int = Field(
        10_000_000,
        gt=0,
        description="the largest body read, once decoded (a response, a token call's answer,"
        " a request a stand-in receives); past it, a failure",
    )

    follow_redirects: bool = Field(
        False,
        description="a 3xx answer is followed to where its Location points (false: the"
        " scenario checks the 3xx itself); a service's follow_redirects, or a step, may"
        " say otherwise",
    )

    def request_options(self, follow_redirects: bool | None = None) -> dict[str, Any]:
        """What every request is sent with: both timeouts, TLS verification, and whether
        a redirect is followed (``follow_redirects``, else ``http.follow_redirects``)."""
        follow = self.follow_redirects if follow_redirects is None else follow_redirects
        return {
            "timeout": (self.connect_timeout, self.read_timeout),
            "verify": self.verify,
            "allow_redirects": follow,
        }


class RunSettings(Settings):
    """How `interlock run` runs the scenarios."""

    scenario_timeout: float = Field(
        300,
        ge=0,
        allow_inf_nan=False,
        description="seconds a scenario may take; a hung step fails, named (0: no limit)",
    )
    flaky_retries: int = Field(2, ge=0, description="tries again for a failed @flaky scenario")
    scenarios_per_process: int = Field(
        500,
        ge=1,
        description="a worker runs its share in behave processes of at most this many"
        " scenarios, so its memory stays flat on a large suite",
    )
    rows_left_behind: Literal["warn", "fail"] = Field(
        "warn",
        description="a table of a disposable database that holds more rows after the run"
        " (every cleanup done) than before it: a warning in the summary, report and sign-off"
        " (warn), or also exit 1 and the verdict rule 'no rows left behind' (fail)",
    )


class ProbingSettings(Settings):
    """The probing step: requests generated from a service's OpenAPI document."""

    examples: int = Field(
        20, ge=1, description="generated requests per operation, for valid and for invalid"
        " requests each, at most"
    )  # fmt: skip
    seconds: Seconds = Field(60, description="seconds one probing step may take in all")
    seed: int | None = Field(
        None, ge=0, description="the seed every probe starts from; empty: a new one each run"
        " (printed, so that a probe can be repeated)"
    )  # fmt: skip
    negative: bool = Field(
        True, description="also send requests the document calls invalid (each must be refused)"
    )
    allow_undeclared_writes: bool = Field(
        False,
        description="probe a service that does not declare writes_to (the rows it creates"
        " are then left behind)",
    )
    allow_shared_writes: bool = Field(
        False,
        description="probe a service that writes to a database that is not disposable",
    )


class BrowserSettings(Settings):
    """The real browser that web page steps drive (one per worker, a fresh context per
    scenario)."""

    headless: bool = Field(
        True, description="no window; false (or `interlock run --headed`) to watch it work"
    )
    timeout: Seconds = Field(
        10, description="seconds a step waits for what it needs on the page (then fails)"
    )
    screenshots: Literal["each_step", "failures"] = Field(
        "each_step",
        description="a screenshot attached to every web page step, or to failed ones only",
    )
    executable: OptionalPath = Field(
        None,
        description="the Chromium to drive; empty: Debian's (/usr/lib/chromium/chromium)"
        " or chromium on PATH",
    )
    settle: Seconds = Field(
        0.3,
        description="seconds without a request or a change of the page before it counts as"
        " settled (for a step that checks a text is not shown)",
    )
    viewport: str = Field(
        "1280x800", pattern=r"^[1-9][0-9]{2,3}x[1-9][0-9]{2,3}$", description="WIDTHxHEIGHT"
    )


class ReportSettings(Settings):
    """The report, requirements and the acceptance verdict."""

    name: str = Field("interlock", description="the report's title")
    requirement_tag: Annotated[
        re.Pattern[str],
        BeforeValidator(_compile),
        WithJsonSchema({"type": "string", "format": "regex"}),
        Phrase("text (a regular expression)"),
    ] = Field(
        r"REQ-\d+",  # type: ignore[arg-type]  # compiled by its validator
        description="a tag that names a requirement (a regular expression), e.g. REQ-12",
    )
    require_requirement_tag: bool = Field(
        False, description="interlock lint: every scenario must name a requirement"
    )
    verdict: Annotated[
        tuple[InstanceOf[Rule], ...],
        BeforeValidator(_rules),
        WithJsonSchema({"type": "array", "items": {"type": "string"}}),
        Phrase("a list of rules"),
    ] = Field(
        DEFAULT_VERDICT,  # type: ignore[arg-type]  # parsed by its validator
        description="what ACCEPTED requires, one rule each: " + RULE_FORMS,
    )


class MariaDBSettings(Settings):
    """The embedded MariaDB server, for databases with embedded: true."""

    bin_dir: Annotated[Path | None, BeforeValidator(_empty_is_none)] = Field(
        None, description="where mariadbd lives; empty: PATH, /usr/sbin, /usr/local/sbin"
    )
    cache_dir: OptionalPath = Field(
        None, description="where the template data directory is kept; empty: <state>/cache"
    )
    startup_timeout: Seconds = Field(30, description="seconds the server may take to start")
    buffer_pool_size: str = Field("16M", description="innodb_buffer_pool_size of the server")


class ServiceConfig(Named):
    """A service under test: reached at its url, or started by interlock."""

    url: OptionalText = Field(None, description="its address; needed unless it is embedded")
    health: str = Field("/health", description="the path that answers 2xx when it is up")
    openapi: OptionalPath = Field(None, description="its OpenAPI contract")
    headers: TextMap = Field(
        default_factory=_empty_map, description="headers sent with every request to it"
    )
    credentials: OptionalText = Field(None, description="its default credentials profile")
    follow_redirects: bool | None = Field(
        None, description="a 3xx answer from it is followed; empty: http.follow_redirects"
    )
    embedded: bool = Field(False, description="started by interlock from command")
    command: TextList = Field(
        (), description="how to start it; {port}, {python}, {services.NAME.url}... filled in"
    )
    env: TextMap = Field(default_factory=_empty_map, description="environment of its process")
    port: Port | None = Field(None, description="the port it should get; empty: a free one")
    startup_timeout: Seconds = Field(20, description="seconds it may take to become healthy")
    per_worker: bool = Field(
        False,
        description="started by each worker process the first time a scenario selects it"
        " (pointed at that worker's stand-ins), and never shared",
    )
    writes_to: Annotated[tuple[str, ...] | None, BeforeValidator(_as_tuple)] = Field(
        None,
        description="the databases (databases.NAME) it writes to: the probing step deletes the"
        " rows it made them create; [] for none; unset: probing it is refused",
    )

    def standins_used(self) -> list[str]:
        """The stand-ins whose address its command or environment asks for, in order."""
        found: list[str] = []
        for text in (*self.command, *self.env.values()):
            found += [n for n in STANDIN_PLACEHOLDER.findall(text) if n not in found]
        return found


class StandInConfig(Named):
    """A service that scenarios may replace by a stand-in (config ``standins.NAME``)."""

    contract: OptionalPath = Field(
        None, description="the OpenAPI document answers are checked against; default: the"
        " service's openapi"
    )  # fmt: skip
    unmatched_status: Annotated[int, Field(ge=100, le=599), Phrase("an HTTP status")] = Field(
        501, description="the answer to a request no configured answer matches"
    )
    check_requests: bool = Field(
        True, description="requests received are checked against the contract"
    )


class DatabaseConfig(Named):
    """A MySQL/MariaDB database the steps read and write."""

    host: str = Field("127.0.0.1", description="its host")
    port: Port = Field(3306, description="its port")
    user: str = Field("root", description="the user steps connect as")
    password: str = Field("", description="that user's password")
    database: str = Field(
        "",
        description="the database's name; default: the entry's key",
        json_schema_extra=_no_default,
    )
    embedded: bool = Field(False, description="created in the embedded MariaDB server")
    disposable: bool = Field(False, description="writing steps are refused unless this is true")
    # `schema` and `json` (LoginSpec) are keys, not BaseModel's deprecated methods.
    schema: PathList = Field((), description="SQL files applied to it when it is embedded")  # type: ignore[assignment]
    connect_timeout: Seconds = Field(5, description="seconds to connect")
    read_timeout: Seconds = Field(30, description="seconds to wait for a query's answer")

    @model_validator(mode="before")
    @classmethod
    def _database_is_named_by_its_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "database" not in data and data.get("name"):
            return {**data, "database": data["name"]}
        return data


class BasicAuth(Settings):
    """HTTP Basic credentials."""

    username: str = Field("", description="the user name")
    password: str = Field("", description="the password")


class HeaderAuth(Settings):
    """A header that carries a key, e.g. X-Api-Key."""

    name: str = Field("", description="the header's name")
    value: str = Field("", description="its value (masked in every report)")


class LoginSpec(Settings):
    """Credentials obtained by calling a login endpoint of a configured service."""

    service: str = Field(min_length=1, description="the configured service to log in at")
    path: str = Field(min_length=1, description="the login path")
    method: Annotated[str, AfterValidator(str.upper)] = Field(
        "POST", description="the login request's method"
    )
    json: Annotated[Mapping[str, Any], AfterValidator(_frozen_map)] = Field(  # type: ignore[assignment]
        default_factory=_empty_map,
        description="the body sent (its secret-looking values are masked)",
    )
    token_field: str = Field("token", description="JMESPath of the token in the login's answer")


class OAuth2Spec(Settings):
    """An OAuth2 client-credentials grant at ``token_url``."""

    token_url: str = Field(min_length=1, description="the token endpoint")
    client_id: str = Field(min_length=1, description="the client's id")
    client_secret: str = Field(min_length=1, repr=False, description="the client's secret")
    scope: OptionalText = Field(None, description="the scope asked for; empty: none")
    client_auth: Literal["basic", "body"] = Field(
        "basic", description="basic: HTTP Basic; body: id and secret in the form"
    )


class Credentials(Named):
    """A credentials profile: exactly one of bearer, basic, header, login or oauth2."""

    bearer: str | None = Field(None, description="a token sent as Authorization: Bearer")
    basic: BasicAuth | None = Field(None, description="HTTP Basic: username and password")
    header: HeaderAuth | None = Field(None, description="a header of your own: name and value")
    login: LoginSpec | None = Field(None, description="a token from a login call, once per run")
    oauth2: OAuth2Spec | None = Field(None, description="an OAuth2 client-credentials token")

    @property
    def kind(self) -> str:
        return next((k for k in CREDENTIAL_KINDS if getattr(self, k)), "none")


Services = Annotated[
    Mapping[str, ServiceConfig], BeforeValidator(_named_entries), AfterValidator(_frozen_map)
]
StandIns = Annotated[
    Mapping[str, StandInConfig], BeforeValidator(_named_entries), AfterValidator(_frozen_map)
]
CredentialProfiles = Annotated[
    Mapping[str, Credentials], BeforeValidator(_named_entries), AfterValidator(_frozen_map)
]
Databases = Annotated[
    Mapping[str, DatabaseConfig], BeforeValidator(_named_entries), AfterValidator(_frozen_map)
]


class ConfigFile(Settings):
    """One interlock configuration file: ``config/default.yaml`` or ``config/<env>.yaml``
    (merged over it). Every key is optional."""

    extends: OptionalText = Field(
        None,
        description="an environment file only: the environment it is merged over (its"
        " file, merged over config/default.yaml, with what that one extends); empty:"
        " config/default.yaml alone",
    )
    project: ProjectSettings = Field(default_factory=ProjectSettings.model_construct)
    paths: PathSettings = Field(default_factory=PathSettings.model_construct)
    http: HttpSettings = Field(default_factory=HttpSettings.model_construct)
    run: RunSettings = Field(default_factory=RunSettings.model_construct)
    report: ReportSettings = Field(default_factory=ReportSettings.model_construct)
    mariadb: MariaDBSettings = Field(default_factory=MariaDBSettings.model_construct)
    probing: ProbingSettings = Field(default_factory=ProbingSettings.model_construct)
    browser: BrowserSettings = Field(default_factory=BrowserSettings.model_construct)
    services: Services = Field(
        default_factory=_empty_map, description="the services under test, by name"
    )
    standins: StandIns = Field(
        default_factory=_empty_map,
        description="services a scenario may replace by a stand-in, by service name",
    )
    credentials: CredentialProfiles = Field(
        default_factory=_empty_map, description="credentials profiles, by name"
    )
    databases: Databases = Field(
        default_factory=_empty_map, description="the databases steps use, by name"
    )

    @model_validator(mode="before")
    @classmethod
    def _every_section(cls, data: Any) -> Any:
        """Absent sections are validated too, so that their paths are resolved."""
        if isinstance(data, dict):
            return {**{name: {} for name in SECTIONS if name not in MAPS}, **data}
        return data


def _leaves(prefix: str, tree: Any) -> list[tuple[str, Any]]:
    """Every value under ``tree`` with its dotted key (as ``Config.origins`` names it)."""
    if isinstance(tree, Mapping):
        return [pair for k, v in tree.items() for pair in _leaves(f"{prefix}.{k}", v)]
    return [(prefix, tree)]


SECTIONS = tuple(name for name in ConfigFile.model_fields if name != "extends")
MAPS = ("services", "standins", "credentials", "databases")  # maps of user-chosen names


class Config(ConfigFile):
    """The validated, frozen configuration of one environment: its files merged, with
    where they came from and the secret values to mask (built by ``load_config``)."""

    env: SkipJsonSchema[str] = Field(description="the environment's name")
    root: SkipJsonSchema[Path] = Field(description="the project root")
    files: SkipJsonSchema[tuple[Path, ...]] = Field(description="the files it was read from")
    secrets: SkipJsonSchema[frozenset[str]] = Field(
        frozenset(), repr=False, description="values to mask in every message and report"
    )
    origins: SkipJsonSchema[Mapping[str, str]] = Field(
        default_factory=_empty_map,
        repr=False,
        description="where each dotted key was set: 'config/ci.yaml:12', with the ${VAR}"
        " it came from, or the override",
    )

    def secret_variables(self) -> dict[str, str]:
        """Each credential written as one ``${VAR}`` (or ``${VAR:-default}``), and that
        variable's name: a failure's curl line shows ``$VAR`` in its place. The values a
        login body or an OAuth2 client sends are included, for the command that fetches
        the token again (:mod:`interlock.replay`)."""
        found: dict[str, str] = {}
        for name, profile in self.credentials.items():
            for key, value in (
                ("bearer", profile.bearer),
                ("basic.password", profile.basic.password if profile.basic else None),
                ("header.value", profile.header.value if profile.header else None),
            ):
                origin = self.origins.get(f"credentials.{name}.{key}", "")
                written = _WHOLE_VARIABLE.search(origin)
                if value and written:
                    found[value] = written.group(1)
            # What fetches a token: the command that fetches it again says $VAR too.
            fetched = [
                (f"oauth2.{key}", getattr(profile.oauth2, key))
                for key in ("client_id", "client_secret")
                if profile.oauth2
            ] + (_leaves("login.json", profile.login.json) if profile.login else [])
            for key, leaf in fetched:
                written = _WHOLE_VARIABLE.search(self.origins.get(f"credentials.{name}.{key}", ""))
                if isinstance(leaf, str) and leaf and written:
                    found[leaf] = written.group(1)
        return found

    @property
    def project_name(self) -> str:
        return self.project.name or self.root.name

    @property
    def features_dir(self) -> Path:
        return self.paths.features

    @property
    def data_dir(self) -> Path:
        return self.paths.data

    @property
    def reports_dir(self) -> Path:
        return self.paths.reports

    @property
    def state_dir(self) -> Path:
        return self.paths.state

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
