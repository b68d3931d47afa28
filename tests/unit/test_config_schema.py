"""The config's JSON Schema and config/default.yaml, checked against the models."""

from __future__ import annotations

import collections.abc
import json
import re
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from interlock import config_schema, scaffold
from interlock.config import load_config
from interlock.config_models import (
    ConfigFile,
    Credentials,
    DatabaseConfig,
    ServiceConfig,
    StandInConfig,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILES = sorted((ROOT / "config").glob("*.yaml"))
TEMPLATE_FILES = sorted((ROOT / "interlock" / "templates" / "project" / "config").glob("*.yaml"))
# The demo's own choices in config/default.yaml, where it rightly differs from a default:
# its name, whether its scenarios must name requirements, and the verdict it is accepted by.
DEMO_CHOICES = {
    "project.name",
    "report.name",
    "report.require_requirement_tag",
    "report.verdict",
}
# The sections that describe the demo's own system, not interlock's behaviour.
DEMO_SECTIONS = ("services", "standins", "credentials", "databases")


def test_the_committed_schema_is_generated_from_the_models() -> None:
    committed = (ROOT / "config" / config_schema.FILE).read_text(encoding="utf-8")
    assert committed == config_schema.render(), (
        "config/interlock.schema.json is stale: run python -m interlock.config_schema"
    )


def test_the_schema_check_command_says_whether_it_is_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("project: {name: p}\n")
    monkeypatch.chdir(tmp_path)
    assert config_schema.main(["--check"]) == 1
    assert config_schema.main([]) == 0
    assert config_schema.main(["--check"]) == 0
    assert json.loads((tmp_path / "config" / config_schema.FILE).read_text())["title"]


@pytest.mark.parametrize("path", CONFIG_FILES + TEMPLATE_FILES, ids=lambda p: p.name)
def test_every_config_file_names_the_schema_and_follows_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == config_schema.MODELINE
    jsonschema.validate(yaml.safe_load(text) or {}, config_schema.schema())


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    schema = config_schema.schema()
    ok = {"databases": {"shop": {"port": "${DB_PORT:-3306}"}}, "http": {"verify": "ca.pem"}}
    jsonschema.validate(ok, schema)
    for bad in (
        {"run": {"flaky_retries": "2.5"}},
        {"http": {"read_timout": 3}},
        {"http": {"read_timeout": 0}},
        {"databases": {"shop": {"port": 70000}}},
        {"databases": {"shop": {"name": "other"}}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_vscode_maps_the_schema_onto_the_config_files() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"][f"./config/{config_schema.FILE}"] == ["config/*.yaml"]


def _declared(model: type[BaseModel], name: str) -> Any:
    default = model.model_fields[name].default
    if isinstance(default, Path):
        return str(default)
    if isinstance(default, tuple):
        return list(default)
    return default


def test_the_generic_keys_of_default_yaml_are_the_models_defaults() -> None:
    written = yaml.safe_load((ROOT / "config" / "default.yaml").read_text())
    for section, field in ConfigFile.model_fields.items():
        if section in DEMO_SECTIONS:
            continue
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert set(written[section]) == set(model.model_fields), section  # all, and only
        for name in model.model_fields:
            key = f"{section}.{name}"
            if key in DEMO_CHOICES:
                continue
            assert written[section][name] == _declared(model, name), key
    for key in DEMO_CHOICES:  # still keys, so that this list cannot go stale unseen
        section, name = key.split(".")
        assert name in typing.cast(Any, ConfigFile.model_fields[section].annotation).model_fields


def _blocks(text: str) -> dict[str, str]:
    """Each top-level key's part of the file, with the comment lines just above it."""
    blocks: dict[str, list[str]] = {}
    pending: list[str] = []
    current = ""
    for line in text.splitlines():
        top = re.match(r"^(\w+):", line)
        if top:
            current = top.group(1)
            blocks[current] = [*pending, line]
            pending = []
        elif line.startswith("#") or not line.strip():
            pending.append(line)
        else:
            blocks.setdefault(current, []).extend([*pending, line])
            pending = []
    return {name: "\n".join(lines) for name, lines in blocks.items()}


def _yaml_keys(model: type[BaseModel]) -> list[str]:
    internal = getattr(model, "internal", frozenset())
    return [name for name in model.model_fields if name not in internal]


@pytest.mark.parametrize(
    ("section", "model"),
    [
        ("services", ServiceConfig),
        ("standins", StandInConfig),
        ("databases", DatabaseConfig),
        ("credentials", Credentials),
    ],
)
def test_default_yaml_documents_every_key_of_an_entry(section: str, model: type[BaseModel]) -> None:
    block = _blocks((ROOT / "config" / "default.yaml").read_text())[section]
    keys = _yaml_keys(model)
    for name in _yaml_keys(model):
        for member in typing.get_args(model.model_fields[name].annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                keys += _yaml_keys(member)  # a credentials kind's own keys
    missing = [k for k in keys if not re.search(rf"(^|[\s{{,`]){k}:", block, re.MULTILINE)]
    assert not missing, f"config/default.yaml does not document {section}: {missing}"


def test_every_key_has_a_description() -> None:
    def walk(model: type[BaseModel]) -> list[str]:
        found = []
        for name in _yaml_keys(model):
            field = model.model_fields[name]
            for member in [field.annotation, *typing.get_args(field.annotation)]:
                if typing.get_origin(member) is collections.abc.Mapping:
                    member = typing.get_args(member)[1]
                if isinstance(member, type) and issubclass(member, BaseModel):
                    found += walk(member)
                    break
            else:
                if not field.description:
                    found.append(f"{model.__name__}.{name}")
        return found

    assert walk(ConfigFile) == []


def test_interlock_init_writes_the_schema_its_config_files_name(tmp_path: Path) -> None:
    written = scaffold.init(tmp_path / "suite")
    schema = tmp_path / "suite" / "config" / config_schema.FILE
    assert schema in written
    assert schema.read_text(encoding="utf-8") == config_schema.render()
    assert load_config(tmp_path / "suite", env="ci", environ={}).http.read_timeout == 60
