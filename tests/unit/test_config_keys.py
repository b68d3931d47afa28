"""Every config key, enumerated from the models, given a value of the wrong type: each is
a named problem with file, line and key, and exit code 2 (never a crash)."""

from __future__ import annotations

import collections.abc
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from interlock.config import ConfigFile, load_config
from interlock.errors import ConfigError, ExitCode

ENTRY = "x"  # the name of an entry of a map of names (services.x, databases.x...)


def _members(annotation: Any) -> list[Any]:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, type(int | str)):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _keys(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any]]:
    """Every key a config file may hold, with its declared type (maps entered as ``x``)."""
    found = []
    internal = getattr(model, "internal", frozenset())
    for name, field in model.model_fields.items():
        if name in internal:
            continue
        key = (*prefix, name)
        found.append((key, field.annotation))
        for member in _members(field.annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                found += _keys(member, key)
            elif typing.get_origin(member) is collections.abc.Mapping:
                entry = typing.get_args(member)[1]
                if isinstance(entry, type) and issubclass(entry, BaseModel):
                    found += _keys(entry, (*key, ENTRY))
    return found


def _wrong(annotation: Any) -> str:
    """A value (as YAML) of the wrong type for a key of ``annotation``."""
    members = [m for m in _members(annotation) if m is not type(None)]
    origins = {typing.get_origin(m) for m in members}
    if any(isinstance(m, type) and issubclass(m, BaseModel) for m in members) or origins & {
        collections.abc.Mapping
    }:
        return "[1, 2]"  # a section or a mapping: a list
    if origins & {tuple, list}:
        return "{a: 1}"  # a list: a mapping
    if bool in members and str in members:
        return "12"  # true, false or a file: a number
    if members == [bool]:
        return "'yes'"  # true or false: text
    if members in ([int], [float]):
        return "'2.5'"  # a number: text that reads as one
    return "12"  # text, a path, a pattern, a choice: a number


KEYS = _keys(ConfigFile)
LEAVES = [(key, annotation) for key, annotation in KEYS if _wrong(annotation) not in ("[1, 2]",)]


def _yaml(values: dict[tuple[str, ...], str]) -> tuple[str, dict[tuple[str, ...], int]]:
    """A config file setting each key to its value, in block style, and each key's line."""
    lines: list[str] = []
    where: dict[tuple[str, ...], int] = {}
    opened: list[tuple[str, ...]] = []
    for key, value in values.items():
        for depth in range(len(key) - 1):
            parent = key[: depth + 1]
            if parent not in opened:
                opened.append(parent)
                lines.append("  " * depth + f"{parent[-1]}:")
        lines.append("  " * (len(key) - 1) + f"{key[-1]}: {value}")
        where[key] = len(lines)
    return "\n".join(lines) + "\n", where


def _project(tmp_path: Path, local: str) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("project: {name: keys}\n")
    (tmp_path / "config" / "local.yaml").write_text(local)
    return tmp_path


def _dotted(key: tuple[str, ...]) -> str:
    return ".".join(key)


def test_the_walk_covers_every_section_and_entry_kind() -> None:
    dotted = {_dotted(k) for k, _ in KEYS}
    assert {"run.flaky_retries", "http.verify", "services.x.port", "databases.x.schema"} <= dotted
    assert {"credentials.x.oauth2.client_auth", "credentials.x.login.json"} <= dotted
    assert {"standins.x.unmatched_status", "report.verdict", "mariadb.bin_dir"} <= dotted
    assert len(KEYS) > 60


@pytest.mark.parametrize(("key", "annotation"), KEYS, ids=[_dotted(k) for k, _ in KEYS])
def test_a_wrong_type_for_any_key_is_named_with_file_line_and_key(
    tmp_path: Path, key: tuple[str, ...], annotation: Any
) -> None:
    local, where = _yaml({key: _wrong(annotation)})
    with pytest.raises(ConfigError) as error:
        load_config(_project(tmp_path, local), environ={})
    assert error.value.exit_code == ExitCode.COULD_NOT_RUN
    message = str(error.value)
    assert f"config/local.yaml:{where[key]}: {_dotted(key)} must be " in message, message


def test_every_wrong_key_is_reported_at_once(tmp_path: Path) -> None:
    values = {key: _wrong(annotation) for key, annotation in LEAVES}
    local, where = _yaml(values)
    with pytest.raises(ConfigError) as error:
        load_config(_project(tmp_path, local), environ={})
    message = str(error.value)
    assert f"has {len(values)} problems" in message
    for key in values:
        assert f"config/local.yaml:{where[key]}: {_dotted(key)} must be " in message


def test_an_item_of_the_wrong_type_in_a_list_is_named(tmp_path: Path) -> None:
    local = "services:\n  x:\n    command:\n      - run\n      - 8080\n"
    with pytest.raises(ConfigError) as error:
        load_config(_project(tmp_path, local), environ={})
    assert "config/local.yaml:5: services.x.command[1] must be text, not 8080" in str(error.value)
