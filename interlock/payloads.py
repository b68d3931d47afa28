"""JSON documents that steps load from files (request payloads, JSON schemas), with
``${variables}`` filled in and bad JSON reported at its line in the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from interlock.errors import ScenarioInputError
from interlock.matching import parse_json
from interlock.variables import Variables


def shown(path: Path) -> str:
    """A path as a user recognises it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def json_file(path: Path, variables: Variables, what: str) -> Any:
    """The file's JSON after variable substitution (``what`` names it in errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInputError(
            f"{what} cannot be read: {shown(path)}: {exc}",
            hint="the file must be UTF-8 text, readable by this user",
        ) from None
    return parse_json(variables.substitute_json(text), what, shown(path))
