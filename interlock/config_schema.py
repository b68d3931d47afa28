"""The JSON Schema of interlock's config files, generated from ``interlock.config_models``.

``python -m interlock.config_schema`` writes ``config/interlock.schema.json`` in the
project (``--check``: only say whether it is current). Each ``config/*.yaml`` names it
on its first line, ``# yaml-language-server: $schema=./interlock.schema.json``, so
that editors (VS Code's YAML extension, JetBrains IDEs) complete and check keys while
they are typed. A number or a boolean may also be written as a ``${VAR}``, as the
loader allows.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from interlock.config import CONFIG_DIR, find_root
from interlock.config_models import ConfigFile
from interlock.errors import InterlockError

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interlock.config_schema", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = parser.parse_args(argv)
    try:
        target = find_root() / CONFIG_DIR / FILE
    except InterlockError as exc:
        print(f"interlock: {exc}", file=sys.stderr)
        return 2
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current != render():
            print(f"{target} is not current: run python -m interlock.config_schema")
            return 1
        return 0
    if current != render():
        target.write_text(render(), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
