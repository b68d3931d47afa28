"""The JSON Schema of interlock's config files, generated from ``interlock.config_models``.

``python -m interlock.config_schema`` writes ``config/interlock.schema.json`` in the
project (``--check``: only say whether it is current); ``--reference FILE`` writes the
config reference instead (every key, its type, default and meaning, in Markdown; ``-``:
print it), which ``docs/config-reference.md`` is. Each ``config/*.yaml`` names it
on its first line, ``# yaml-language-server: $schema=./interlock.schema.json``, so
that editors (VS Code's YAML extension, JetBrains IDEs) complete and check keys while
they are typed. A number or a boolean may also be written as a ``${VAR}``, as the
loader allows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticUndefined, core_schema

from interlock.config import CONFIG_DIR, expected_type, find_root
from interlock.config_models import ConfigFile
from interlock.errors import InterlockError
from interlock.verdict import Rule

FILE = "interlock.schema.json"
MODELINE = f"# yaml-language-server: $schema=./{FILE}"
_VARIABLE = {
    "type": "string",
    "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}",
    "description": "an environment variable, ${NAME} or ${NAME:-default}, read at load",
}


class _Generator(GenerateJsonSchema):
    """Pydantic's schema, without generated titles, and with ``${VAR}`` allowed wherever
    a number or a boolean is (a string is allowed anyway)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        return {"anyOf": [super().int_schema(schema), _VARIABLE]}

    def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
        return {"anyOf": [super().float_schema(schema), _VARIABLE]}

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return {"anyOf": [super().bool_schema(schema), _VARIABLE]}


def schema() -> dict[str, Any]:
    """The JSON Schema every config file (the defaults and each environment) follows."""
    generated = ConfigFile.model_json_schema(schema_generator=_Generator)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "generated from interlock/config_models.py by"
        " `python -m interlock.config_schema`; do not edit",
        **generated,
        "title": "interlock configuration",
    }


def render() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


REFERENCE_HEADING = """# Configuration reference

Generated from `interlock/config_models.py` by
`python -m interlock.config_schema --reference docs/config-reference.md`; do not edit.

interlock reads `config/default.yaml`, then the chosen environment's
`config/<env>.yaml` merged over it (and any file that one `extends`), then
`--set key=value` overrides. Every key is optional. `${VAR}` and `${VAR:-default}`
are read from the environment. In the four maps of names (`services`, `databases`,
`credentials`, `standins`) `NAME` is a name you choose; an environment removes an
entry it inherits with `NAME: null`. Paths are relative to the project root.
"""


def reference() -> str:
    """Every key of a config file as Markdown tables, one per section: key, type, default
    and meaning, read from the models."""
    parts = [REFERENCE_HEADING]
    top: list[tuple[str, FieldInfo]] = []
    for name, field in ConfigFile.model_fields.items():
        model = _entry_model(field.annotation)
        if model is None:
            top.append((name, field))
            continue
        is_map = _is_map(field.annotation)
        prefix = f"{name}.NAME" if is_map else name
        title = model.__doc__ or ""
        if is_map:
            title = f"{(field.description or '').capitalize()}. Each: {title}"
        parts.append(f"## `{name}`\n\n{_sentence(title)}\n\n{_table(model, prefix)}")
    rows = [_row(name, field) for name, field in top]
    parts.insert(1, "## Top level\n\n" + _header() + "\n".join(rows) + "\n")
    return "\n".join(parts)


def _header() -> str:
    return "| key | type | default | meaning |\n| --- | --- | --- | --- |\n"


def _table(model: type[BaseModel], prefix: str) -> str:
    rows: list[str] = []
    internal: frozenset[str] = getattr(model, "internal", frozenset())
    for name, field in model.model_fields.items():
        if name in internal:
            continue
        key = f"{prefix}.{name}"
        inner = _entry_model(field.annotation)
        if inner is not None:  # a credentials kind: its own keys below it
            rows.append(_row(key, field, kind="a mapping"))
            rows += _table(inner, key).splitlines()[2:]
        else:
            rows.append(_row(key, field))
    return _header() + "\n".join(rows) + "\n"


def _row(key: str, field: FieldInfo, kind: str | None = None) -> str:
    kind = kind or expected_type(field.annotation, field)
    cells = [f"`{key}`", kind, _default(field), _sentence(field.description or "")]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "(empty)"
    value = field.default
    if value is PydanticUndefined:
        return "(required)"
    if value is None or value == "" or value == ():
        return "(empty)"
    if isinstance(value, re.Pattern):
        value = value.pattern
    if isinstance(value, tuple):
        return ", ".join(f"`{v.text if isinstance(v, Rule) else v}`" for v in value)
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value if not isinstance(value, Path) else value.as_posix()}`"


def _sentence(text: str) -> str:
    return " ".join(text.split())


def _is_map(annotation: Any) -> bool:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) in (dict, Mapping)


def _entry_model(annotation: Any) -> type[BaseModel] | None:
    """The section's model, a map's entry model, or a credentials kind's model."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if _is_map(annotation):
        annotation = typing.get_args(annotation)[1]
    candidates = [annotation, *typing.get_args(annotation)]
    for member in candidates:
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interlock.config_schema", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    parser.add_argument(
        "--reference", metavar="FILE", help="write the config reference (Markdown) there; -: print"
    )
    args = parser.parse_args(argv)
    if args.reference == "-":
        print(reference(), end="")
        return 0
    if args.reference:
        path = Path(args.reference)
        return _keep_current(path, reference(), args.check, f" --reference {path}")
    try:
        target = find_root() / CONFIG_DIR / FILE
    except InterlockError as exc:
        print(f"interlock: {exc}", file=sys.stderr)
        return 2
    return _keep_current(target, render(), args.check)


def _keep_current(path: Path, text: str, check: bool, options: str = "") -> int:
    """Write ``text`` to ``path`` when it differs; with ``check``, only say so (exit 1).
    ``options`` are those of the command that writes it."""
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == text:
        return 0
    if check:
        print(f"{path} is not current: run python -m interlock.config_schema{options}")
        return 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
