"""Configuration: load ``config/default.yaml`` and one environment file, validate, freeze.

The environment is chosen by an explicit name (``interlock run --env``, ``behave -D
env=``), else ``INTERLOCK_ENV``, else ``local``. Its file is merged over the
defaults, then ``dotted.key=value`` overrides are applied. ``${VAR}`` and
``${VAR:-default}`` in string values are read from the process environment;
``\\${`` stays a literal ``${``.

Every key, its type and its default are declared once, in ``interlock.config_models``;
this module reads the files into those models. A value written in YAML is checked by
its YAML type (``"2.5"`` is text, so not a whole number); a value that comes from
``${VAR}`` or an override is text, and is parsed by the key's type first
(``port: ${DB_PORT:-3306}`` is a number).

Everything is checked in one pass and every problem is reported at once, each with
the file and line it came from and the key, and for a mistyped key the nearest valid
one. The value of a secret-looking key is never repeated in a message. Values of
secret-looking keys (passwords, tokens) are collected in ``Config.secrets`` so that
reports and logs can mask them.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from interlock import masking
from interlock.config_models import (
    CREDENTIAL_KINDS,
    STANDIN_PLACEHOLDER,
    BasicAuth,
    Config,
    ConfigFile,
    Credentials,
    DatabaseConfig,
    HeaderAuth,
    HttpSettings,
    LoginSpec,
    MariaDBSettings,
    OAuth2Spec,
    Phrase,
    ReportSettings,
    RunSettings,
    ServiceConfig,
    StandInConfig,
)
from interlock.errors import ConfigError, excerpt
from interlock.folders import inside

__all__ = [
    "CREDENTIAL_KINDS",
    "STANDIN_PLACEHOLDER",
    "BasicAuth",
    "Config",
    "ConfigFile",
    "Credentials",
    "DatabaseConfig",
    "HeaderAuth",
    "HttpSettings",
    "LoginSpec",
    "MariaDBSettings",
    "OAuth2Spec",
    "ReportSettings",
    "RunSettings",
    "ServiceConfig",
    "StandInConfig",
    "available_envs",
    "choose_env",
    "config_from_userdata",
    "find_root",
    "load_config",
]

DEFAULT_ENV = "local"
ENV_VARIABLE = "INTERLOCK_ENV"
CONFIG_DIR = "config"
DEFAULT_FILE = "default.yaml"
HINT = "fix the keys above; config/default.yaml lists every valid key and what it means"

_VAR = re.compile(r"(\\?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_PLACEHOLDER = re.compile(r"^\{[\w.]+\}$")  # filled in at start, see interlock.environment.stack
_SECRET_KEY = re.compile(r"password|secret|token|bearer|api_?key", re.IGNORECASE)
_LOGIN_SECRET_KEY = re.compile(r"pass|secret|token|(^|_)key$|^pin$|^otp$", re.IGNORECASE)
# What a message must not repeat the value of (wider than what is masked in reports).
_SECRET_LOOKING = re.compile(
    r"pass|secret|token|bearer|credential|api.?key|authori[sz]ation|cookie|private"
    r"|(^|_)key$|^pin$|^otp$",
    re.IGNORECASE,
)
# Keys that contain "token" or "secret" but name no secret (a field name, an address).
_NOT_SECRET_KEYS = frozenset({"token_field", "token_url"})
_YAML_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")

# Keys that were moved out of config: each refused with where its facts live now.
RETIRED_KEYS = {
    "report.requirements": "the requirements now live in the suite's catalog,"
    " requirements.yaml (id, title, owner, priority, link): list them there",
    "report.requirement_url": "each requirement's link now lives in requirements.yaml"
    " (`link:` per requirement, or a top-level `link: https://tracker/browse/{id}`)",
}

Key = tuple[str | int, ...]  # a key's path: ("services", "orders", "command", 2)


@dataclass(frozen=True)
class _Origin:
    """Where a value was written: a file and line, or an override."""

    source: str  # "config/local.yaml", or "override 'http.read_timeout=60'"
    line: int | None = None
    rank: int = 0  # the order sources are applied in, to list problems in that order
    variable: str | None = None  # the ${VAR} text the value came from

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


_NOWHERE = _Origin("config", rank=10**6)


@dataclass(frozen=True)
class _Problem:
    origin: _Origin
    text: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.text}"


class _Problems(list[_Problem]):
    """Every problem found, and the keys already named (so each is named once)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[Key] = set()

    def add(self, origin: _Origin, text: str, key: Key | None = None) -> None:
        self.append(_Problem(origin, text))
        if key is not None:
            self.keys.add(key)

    def named(self, key: Key) -> bool:
        return any(key[:n] in self.keys for n in range(len(key) + 1))

    def raise_if_any(
        self,
        heading: str | None = None,
        hint: str = HINT,
        hidden: masking.Masker | None = None,
    ) -> None:
        """Raise them all, in file and line order; ``hidden`` masks every value known to
        be secret (a secret-looking key's, even one the keys' own check missed)."""
        if not self:
            return
        problems = sorted(self, key=lambda p: (p.origin.rank, p.origin.line or 0))
        count = f"{len(problems)} problems" if len(problems) > 1 else "a problem"
        heading = heading or f"the configuration has {count}"
        message = f"{heading}:\n  - " + "\n  - ".join(map(str, problems))
        raise ConfigError(hidden.mask(message) if hidden else message, hint=hint)


@dataclass
class _Source:
    """One file as read: its keys and the line of each."""

    shown: str
    rank: int
    data: dict[str, Any]
    lines: dict[Key, int]

    def origin(self, key: Key, variable: str | None = None) -> _Origin:
        lines = (self.lines[key[:n]] for n in range(len(key), 0, -1) if key[:n] in self.lines)
        return _Origin(self.shown, next(lines, 1), self.rank, variable)


class _Unreadable(Exception):
    """A file that cannot be read as configuration at all."""

    def __init__(self, line: int | None, text: str) -> None:
        super().__init__(text)
        self.line = line
        self.text = text


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

    ``overrides`` are ``dotted.key=value`` strings; a value is parsed by its key's type
    (``--set http.read_timeout=60`` gives a number; a list or mapping is written in YAML).
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

    files = (config_dir / DEFAULT_FILE, config_dir / f"{env}.yaml")
    problems = _Problems()
    sources = []
    for rank, path in enumerate(files):
        shown = str(path.relative_to(root))
        try:
            sources.append(_read_yaml(path, shown, rank, required=rank == 0))
        except _Unreadable as exc:
            problems.add(_Origin(shown, exc.line, rank), exc.text)
    # A file that cannot be read leaves nothing sensible to check.
    problems.raise_if_any(hint="a config file is UTF-8 YAML text: a mapping of keys")

    merged: dict[str, Any] = {}
    origins: dict[Key, _Origin] = {}
    for source in sources:
        variables = _interpolate(source, environ, problems)
        _merge(merged, source.data, source, variables, origins, ())
    for number, item in enumerate(overrides):
        _override(merged, item, origins, problems, rank=2 + number)
    # No error shows a value known to be secret, a mistyped secret key's included.
    given = [(key.strip(), raw) for key, _, raw in (item.partition("=") for item in overrides)]
    hidden = masking.Masker(
        [raw for key, raw in given if masking.hides_value(key)]
        + _secrets(merged)
        + masking.url_secrets(merged)
    )

    _check_keys(merged, ConfigFile, (), origins, problems)
    context = {"root": root}
    try:
        document = ConfigFile.model_validate(merged, context=context)
    except ValidationError as exc:
        _describe(exc.errors(include_url=False), merged, origins, problems)
        for error in exc.errors() if not problems else ():  # unforeseen: name it plainly
            problems.add(_NOWHERE, f"{_dotted(error['loc'])}: {error['type']}")
        problems.raise_if_any(hidden=hidden)
        raise  # not reached: there is at least one problem
    problems.raise_if_any(hidden=hidden)  # e.g. a missing variable, or an unknown key

    problems = _Problems()
    _check_consistency(document, merged, root, origins, problems)
    problems.raise_if_any("the configuration is inconsistent", hidden=hidden)
    secret = [raw for key, raw in given if masking.secret_key(key) and raw]
    return _freeze(document, merged, root, env, files, extra_secrets=secret, origins=origins)


def config_from_userdata(userdata: Mapping[str, Any]) -> Config:
    """The config behave's ``-D env=NAME`` and ``-D dotted.key=value`` select."""
    env = userdata.get("env") or None
    overrides = [
        f"{key}={value}"
        for key, value in userdata.items()
        if "." in key and not key.startswith("interlock.")  # interlock's own run flags
    ]
    return load_config(env=env, overrides=overrides)


# -- reading one file, with the line of every key --------------------------------------------


def _read_yaml(path: Path, shown: str, rank: int, required: bool) -> _Source:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _Unreadable(None, "file not found") from None
    except OSError as exc:
        raise _Unreadable(None, f"cannot be read: {exc.strerror}") from None
    if b"\0" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\0")) + 1
        raise _Unreadable(line, "a binary file, not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _Unreadable(
            line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    source = _Source(shown, rank, {}, {})
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node, (), source, set()) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        at: int | None = mark.line + 1 if mark else None
        raise _Unreadable(at, f"not valid YAML: {excerpt(problem)}") from None
    finally:
        loader.dispose()
    if data is None:
        if required:  # an environment file may be empty: nothing differs from the defaults
            raise _Unreadable(1, "the file is empty; it must hold the project's settings")
        return source
    if not isinstance(data, dict):
        raise _Unreadable(1, f"the top level must be a mapping of keys, not {_kind(data)}")
    source.data = data
    return source


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, key: Key, source: _Source, within: set[int]
) -> Any:
    """The value of ``node``, recording the line of every key and item below it."""
    line = node.start_mark.line + 1
    if id(node) in within:
        raise _Unreadable(line, f"{_dotted(key)} refers to itself (an alias)")
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _YAML_TAGS:
        raise _Unreadable(line, f"{_dotted(key)}: the tag {node.tag} is not plain YAML")
    within = within | {id(node)}
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Unreadable(key_node.start_mark.line + 1, "a key must be a plain name")
            name = str(loader.construct_object(key_node))
            source.lines[(*key, name)] = key_node.start_mark.line + 1
            mapping[name] = _construct(loader, value_node, (*key, name), source, within)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            source.lines[(*key, index)] = item.start_mark.line + 1
            items.append(_construct(loader, item, (*key, index), source, within))
        return items
    return loader.construct_object(node, deep=True)


# -- ${VAR}, merging, overrides ---------------------------------------------------------------


def _interpolate(
    source: _Source, environ: Mapping[str, str], problems: _Problems
) -> dict[Key, str]:
    """Fill in ``${VAR}`` in ``source`` (in place), parsing each filled-in value by its
    key's type; returns the keys whose value came from a variable, with the text written."""
    variables: dict[Key, str] = {}

    def walk(value: Any, key: Key) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*key, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*key, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or not _VAR.search(value):
            return value
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            escaped, name, default = match.group(1), match.group(2), match.group(3)
            if escaped:
                return match.group(0)[1:]
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            missing.append(name)
            return match.group(0)

        text = _VAR.sub(replace, value)
        for name in missing:
            problems.add(
                source.origin(key),
                f"{_dotted(key)} uses ${{{name}}}, but the environment variable {name} is not"
                f" set; export {name}=... before the run, or write ${{{name}:-default}}",
                key,
            )
        if missing or not any(not m.group(1) for m in _VAR.finditer(value)):
            return text  # nothing was filled in (only escaped): the text as written
        variables[key] = value
        try:
            return _from_text(text, key, structured=False)
        except _NotParsed as exc:
            shown = _shown(key, text) if _secret_looking(key) else repr(text)
            problems.add(
                source.origin(key),
                f"{_dotted(key)} must be {exc.expected}, but {value} gives {shown}",
                key,
            )
            return text

    source.data = walk(source.data, ())
    return variables


def _merge(
    into: dict[str, Any],
    data: dict[str, Any],
    source: _Source,
    variables: Mapping[Key, str],
    origins: dict[Key, _Origin],
    key: Key,
) -> None:
    for name, value in data.items():
        here = (*key, name)
        if isinstance(value, dict) and isinstance(into.get(name), dict):
            origins.setdefault(here, source.origin(here))
            _merge(into[name], value, source, variables, origins, here)
        else:
            into[name] = value
            for sub in _keys_below(value, here):
                origins[sub] = source.origin(sub, variables.get(sub))


def _keys_below(value: Any, key: Key) -> list[Key]:
    keys = [key]
    if isinstance(value, dict):
        for name, item in value.items():
            keys += _keys_below(item, (*key, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            keys += _keys_below(item, (*key, index))
    return keys


def _override(
    tree: dict[str, Any],
    item: str,
    origins: dict[Key, _Origin],
    problems: _Problems,
    rank: int,
) -> None:
    dotted, sep, raw = item.partition("=")
    key: Key = tuple(part.strip() for part in dotted.split("."))
    origin = _Origin(f"override {masking.shown_override(item)}", rank=rank)
    if not sep or not dotted.strip():
        problems.add(
            origin, "not of the form dotted.key=value (for example: --set http.read_timeout=60)"
        )
        return
    try:
        value = _from_text(raw, key, structured=True)
    except _NotParsed as exc:
        shown = _shown(key, raw) if _secret_looking(key) else repr(raw)
        problems.add(origin, f"{dotted} must be {exc.expected}, not {shown}", key)
        return
    node = tree
    for part in key[:-1]:
        child = node.get(str(part))
        if not isinstance(child, dict):
            child = {}
            node[str(part)] = child
        node = child
    node[str(key[-1])] = value
    for sub in _keys_below(value, key):
        origins[sub] = origin


class _NotParsed(ValueError):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _from_text(text: str, key: Key, structured: bool) -> Any:
    """A value given as text (from ``${VAR}`` or an override), parsed by its key's type.

    Text keys keep the text as it is; numbers and booleans are read from it; a list or
    a mapping is read as YAML when ``structured`` (an override), else left for the
    type check to refuse. ``_NotParsed`` when the text is not of the key's type.
    """
    found = _type_at(key)
    if found is None:
        return _yaml_value(text) if structured else text
    annotation, field = found
    kinds = _scalar_kinds(annotation)
    if kinds is None:  # a list, a mapping or a section
        return _yaml_value(text) if structured else text
    value = _yaml_value(text)
    if "bool" in kinds and isinstance(value, bool):
        return value
    if "text" in kinds:
        return text
    if "none" in kinds and value is None:
        return None
    if "int" in kinds and type(value) is int:
        return value
    if "float" in kinds and type(value) in (int, float):
        return value
    for kind, parse in (("int", int), ("float", float)):
        if kind in kinds:
            try:
                return parse(text.strip())
            except ValueError:
                pass
    raise _NotParsed(_expected(annotation, field))


def _yaml_value(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return text


# -- the models' shape: the type at a key, the keys of a section --------------------------------


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> list[Any]:
    """The types a key accepts: a union's members (``NoneType`` too), without Annotated."""
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _bare(annotation: Any) -> Any:
    """The one type under ``Annotated[...]`` and ``X | None`` (a union stays a union)."""
    members = [m for m in _members(annotation) if m is not type(None)]
    return members[0] if len(members) == 1 else _strip_annotated(annotation)


def _metadata(annotation: Any, field: FieldInfo | None) -> list[Any]:
    """The constraints and markers (``Phrase``) declared on a key's type."""
    found: list[Any] = list(field.metadata) if field else []

    def walk(item: Any) -> None:
        if typing.get_origin(item) is typing.Annotated:
            for extra in typing.get_args(item)[1:]:
                found.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
            walk(typing.get_args(item)[0])
        elif typing.get_origin(item) in (typing.Union, types.UnionType):
            for arg in typing.get_args(item):
                walk(arg)

    walk(annotation)
    return found


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _yaml_keys(model: type[BaseModel]) -> list[str]:
    internal: frozenset[str] = getattr(model, "internal", frozenset())
    return [name for name in model.model_fields if name not in internal]


def _step(annotation: Any, name: str | int) -> tuple[Any, FieldInfo | None] | None:
    annotation = _bare(annotation)
    if _is_model(annotation):
        if not isinstance(name, str) or name not in _yaml_keys(annotation):
            return None
        field = annotation.model_fields[name]
        return field.annotation, field
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (dict, Mapping) and isinstance(name, str):
        return args[1], None
    if origin in (tuple, list) and isinstance(name, int):
        return args[0], None
    return None


def _type_at(key: Key) -> tuple[Any, FieldInfo | None] | None:
    """The declared type of ``key`` (and its field, for a section's key); None if unknown."""
    found: tuple[Any, FieldInfo | None] | None = (ConfigFile, None)
    for name in key:
        found = _step(found[0], name) if found else None
    return found


def _scalar_kinds(annotation: Any) -> set[str] | None:
    """What a scalar key accepts ("int", "float", "bool", "none", "text"); None when the
    key holds a list, a mapping or a section."""
    kinds: set[str] = set()
    for member in _members(annotation):
        if member is type(None):
            kinds.add("none")
        elif member is bool:
            kinds.add("bool")
        elif member in (int, float):
            kinds.add(member.__name__)
        elif _is_model(member) or typing.get_origin(member) in (dict, Mapping, tuple, list):
            return None
        else:  # str, Path, a pattern, a rule, a Literal: read from text
            kinds.add("text")
    return kinds


def _phrase(annotation: Any, field: FieldInfo | None) -> str | None:
    return next((m.text for m in _metadata(annotation, field) if isinstance(m, Phrase)), None)


def _bounds(annotation: Any, field: FieldInfo | None) -> list[Any]:
    """A key's lowest and highest allowed value, when it has both."""
    metadata = _metadata(annotation, field)
    low = [m.ge for m in metadata if getattr(m, "ge", None) is not None]
    high = [m.le for m in metadata if getattr(m, "le", None) is not None]
    return [*low[:1], *high[:1]] if low and high else []


def _expected(annotation: Any, field: FieldInfo | None) -> str:
    """What a key must be, in words: "a number", "true or false", "text or empty"."""
    phrase = _phrase(annotation, field)
    if phrase:
        return phrase
    names: list[str] = []
    for member in _members(annotation):
        if member is type(None):
            name = "empty"
        elif member is bool:
            name = "true or false"
        elif member is int:
            name = "a whole number"
        elif member is float:
            name = "a number"
        elif member is Path:
            name = "text (a path)"
        elif typing.get_origin(member) is typing.Literal:
            name = "one of " + ", ".join(map(str, typing.get_args(member)))
        elif typing.get_origin(member) in (tuple, list):
            name = "a list"
        elif _is_model(member) or typing.get_origin(member) in (dict, Mapping):
            name = "a mapping"
        else:
            name = "text"
        if name not in names:
            names.append(name)
    return " or ".join(names)


# -- checking -------------------------------------------------------------------------------------


def _check_keys(
    value: Any, annotation: Any, key: Key, origins: Mapping[Key, _Origin], problems: _Problems
) -> None:
    """Name every key the models do not declare, with the nearest valid one."""
    if not isinstance(value, dict | list):
        return
    model = _bare(annotation)
    for name, item in value.items() if isinstance(value, dict) else enumerate(value):
        here = (*key, name)
        found = _step(annotation, name)
        if found is None and _dotted(here) in RETIRED_KEYS:
            retired = _dotted(here)
            problems.add(
                _origin(here, origins),
                f"{retired} is no longer a config key: {RETIRED_KEYS[retired]}",
                here,
            )
        elif found is None and isinstance(value, dict) and _is_model(model):
            valid = _yaml_keys(model)
            near = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.6)
            suggestion = f"; did you mean {_dotted((*key, near[0]))!r}?" if near else ""
            valid_here = ", ".join(sorted(valid))
            problems.add(
                _origin(here, origins),
                f"unknown key {_dotted(here)!r}{suggestion} (valid here: {valid_here})",
                here,
            )
        elif found is not None:
            _check_keys(item, found[0], here, origins, problems)


_RANGES = {
    "greater_than": "more than {gt}",
    "greater_than_equal": "{ge} or more",
    "less_than": "less than {lt}",
    "less_than_equal": "{le} or less",
}


def _describe(
    errors: list[ErrorDetails],
    tree: dict[str, Any],
    origins: Mapping[Key, _Origin],
    problems: _Problems,
) -> None:
    """Each validation error as a problem naming file, line, key and what it must be."""
    seen: set[Key] = set()
    for error in errors:
        kind = error["type"]
        if kind == "extra_forbidden":
            continue  # named by _check_keys, with a suggestion
        loc = error["loc"][:-1] if kind == "missing" else error["loc"]
        key, value = _data_key(tree, loc)
        if problems.named(key):
            continue
        origin = _origin(key, origins)
        dotted = _dotted(key)
        if kind == "missing":  # a key the section cannot do without
            problems.add(origin, f"{dotted} needs {error['loc'][-1]!r}")
            continue
        if key in seen:  # a union's members each refuse it: say it once
            continue
        seen.add(key)
        shown = _shown(key, value)
        found = _type_at(key)
        annotation, field = found if found else (Any, None)
        if kind in ("value_error", "assertion_error"):
            text = f"{dotted}: {error['msg'].removeprefix('Value error, ')}"
        elif kind == "literal_error":
            shown = _shown(key, value) if _secret_looking(key) else repr(value)
            text = f"{dotted} must be {_expected(annotation, field)}, not {shown}"
        elif kind in _RANGES:
            phrase = _phrase(annotation, field)
            bounds = _bounds(annotation, field)
            if phrase and len(bounds) == 2:
                text = f"{dotted} must be {phrase} ({bounds[0]}-{bounds[1]}), not {shown}"
            else:
                limit = _RANGES[kind].format(**{k: _number(v) for k, v in error["ctx"].items()})
                text = f"{dotted} must be {limit}, not {shown}"
        elif kind == "too_short":
            text = f"{dotted} must not be empty"
        elif kind == "finite_number":
            text = f"{dotted} must be a finite number, not {shown}"
        else:
            expected = _expected(annotation, field)
            text = f"{dotted} must be {expected}, not {shown}"
            if "text" in expected and isinstance(value, int | float) and not _secret_looking(key):
                text += f' (in quotes, "{value}", it is text)'
        if origin.variable:
            text += f" (from {origin.variable})"
        problems.add(origin, text, key)


def _data_key(tree: Any, loc: tuple[str | int, ...]) -> tuple[Key, Any]:
    """The key an error's location names in the data (leaving out a union's member tags)."""
    key: list[str | int] = []
    node = tree
    for part in loc:
        present = (
            part in node
            if isinstance(node, dict)
            else (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        )
        if present:  # else a union member's tag, which names no key
            node = node[part]
            key.append(part)
    return tuple(key), node


def _origin(key: Key, origins: Mapping[Key, _Origin]) -> _Origin:
    for n in range(len(key), 0, -1):
        if key[:n] in origins:
            return origins[key[:n]]
    return _NOWHERE


def _dotted(key: Key) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _secret_looking(key: Key) -> bool:
    """Whether the value at ``key`` may be a secret, so that no message repeats it."""
    names = [str(p) for p in key[1:] if isinstance(p, str)]
    if key[:1] == ("credentials",) and any(n in ("basic", "header") for n in names[1:2]):
        return True  # a profile's password or key, however it is written
    return any(_SECRET_LOOKING.search(n) and n not in _NOT_SECRET_KEYS for n in names)


def _shown(key: Key, value: Any) -> str:
    """``value`` as a message may show it: a secret-looking key's value only by its kind."""
    if not _secret_looking(key):
        return _kind(value)
    if isinstance(value, bool):
        kind = "true or false"
    elif isinstance(value, int | float):
        kind = "a number"
    elif isinstance(value, str):
        kind = "text"
    else:
        kind = _kind(value)  # empty, a mapping, a list
    return f"the value given ({kind})"


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return str(value)
    return f"{type(value).__name__} {value!r}"


def _check_consistency(
    config: ConfigFile,
    tree: dict[str, Any],
    root: Path,
    origins: Mapping[Key, _Origin],
    problems: _Problems,
) -> None:
    """What only the keys together can say is wrong: a profile or service that does not
    exist, a service that cannot be started or reached, a stand-in of nothing, a file
    outside the suite's folder."""
    services, standins, credentials = config.services, config.standins, config.credentials
    for service in services.values():
        origin = _origin(("services", service.name), origins)
        if service.credentials and service.credentials not in credentials:
            problems.add(
                origin,
                f"services.{service.name}.credentials names the profile "
                f"{service.credentials!r}, which is not defined; defined: "
                f"{', '.join(sorted(credentials)) or '(none)'}",
            )
        for text in _service_problems(service, standins):
            problems.add(origin, text)
    for name in standins:
        if name not in services:
            problems.add(
                _origin(("standins", name), origins),
                f"standins.{name} replaces a service, but no service {name!r} is configured;"
                f" configured: {', '.join(sorted(services)) or '(none)'}",
            )
    for name, cred in credentials.items():
        spec = tree.get("credentials", {}).get(name) or {}
        for text in _credentials_problems(cred, spec, services):
            problems.add(_origin(("credentials", name), origins), text)
    for key, path in _files_named(config, root):
        if inside(root, str(path)) is None:
            given = path.relative_to(root) if path.is_relative_to(root) else path
            also = " (or keep it true and set REQUESTS_CA_BUNDLE)" if key[0] == "http" else ""
            problems.add(
                _origin(key, origins),
                f"{_dotted(key)} names {given}, which is outside the suite's folder {root}:"
                f" put the file there and name it relative to it{also}",
            )


def _files_named(config: ConfigFile, root: Path) -> list[tuple[Key, Path]]:
    """The files the config names, which interlock reads (and may quote what it cannot
    parse): each must lie inside the suite's folder, symlinks resolved."""
    named: list[tuple[Key, Path]] = []
    for name, service in config.services.items():
        if service.openapi:
            named.append((("services", name, "openapi"), service.openapi))
    for name, standin in config.standins.items():
        if standin.contract:
            named.append((("standins", name, "contract"), standin.contract))
    for name, db in config.databases.items():
        named += [(("databases", name, "schema"), script) for script in db.schema]
    if isinstance(config.http.verify, str):
        named.append((("http", "verify"), Path(config.http.verify)))
    return named


def _service_problems(service: ServiceConfig, standins: Mapping[str, StandInConfig]) -> list[str]:
    """How a service's way of being started or reached is inconsistent."""
    key = f"services.{service.name}"
    problems: list[str] = []
    if service.per_worker:
        if not service.command:
            problems.append(f"{key} is per_worker but has no command to start it")
        if service.url:
            problems.append(
                f"{key} is per_worker, so each worker gets its own address when it"
                " starts it; remove its url"
            )
    elif service.embedded and not service.command:
        problems.append(f"{key} is embedded but has no command to start it")
    elif not service.embedded and not service.url:
        problems.append(f"{key} is not embedded, so it needs a url")
    for name in service.standins_used():
        if name not in standins:
            problems.append(
                f"{key} uses {{standins.{name}.url}}, but standins.{name} is not"
                f" configured; configured: {', '.join(sorted(standins)) or '(none)'}"
            )
        elif not service.per_worker:
            problems.append(
                f"{key} uses {{standins.{name}.url}}, but stand-ins live inside each"
                f" worker process: only a service with per_worker: true can be pointed at one"
            )
    return problems


def _credentials_problems(
    cred: Credentials, spec: Mapping[str, Any], services: Mapping[str, ServiceConfig]
) -> list[str]:
    """What is wrong with one profile: not exactly one kind, or a login at no service."""
    key = f"credentials.{cred.name}"
    kinds = [k for k in CREDENTIAL_KINDS if spec.get(k)]
    if len(kinds) != 1:
        return [
            f"{key} must set exactly one of {', '.join(CREDENTIAL_KINDS)}"
            f" (it sets {', '.join(kinds) or 'none'})"
        ]
    if cred.login and cred.login.service not in services:
        return [
            f"{key}.login.service names {cred.login.service!r}, which is not a"
            f" configured service; configured: {', '.join(sorted(services)) or '(none)'}"
        ]
    return []


# -- freezing ---------------------------------------------------------------------------------


def _freeze(
    document: ConfigFile,
    tree: dict[str, Any],
    root: Path,
    env: str,
    files: tuple[Path, ...],
    extra_secrets: Iterable[str] = (),
    origins: Mapping[Key, _Origin] = MappingProxyType({}),
) -> Config:
    services = document.services
    standins = {  # a stand-in's contract is its service's OpenAPI unless told otherwise
        name: standin
        if standin.contract or name not in services
        else standin.model_copy(update={"contract": services[name].openapi})
        for name, standin in document.standins.items()
    }
    fields = {name: getattr(document, name) for name in ConfigFile.model_fields}
    return Config.model_construct(
        **{**fields, "standins": MappingProxyType(standins)},
        env=env,
        root=root,
        files=files,
        secrets=frozenset(
            _secrets(tree)
            + _credential_secrets(document.credentials.values())
            + masking.url_secrets(tree)
            + list(extra_secrets)  # a secret-looking key's value given with --set
        ),
        origins=MappingProxyType(
            {
                _dotted(key): f"{where} (from {where.variable})" if where.variable else str(where)
                for key, where in origins.items()
            }
        ),
    )


def _credential_secrets(profiles: Iterable[Credentials]) -> list[str]:
    """Every secret a profile holds: tokens, passwords, API keys, client secrets and the
    secret-looking values of a login body (whatever their key is called)."""
    found: list[str] = []
    for cred in profiles:
        if cred.bearer:
            found.append(cred.bearer)
        if cred.basic and cred.basic.password:
            found.append(cred.basic.password)
        if cred.header and cred.header.value:
            found.append(cred.header.value)
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
