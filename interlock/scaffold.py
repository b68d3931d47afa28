"""``interlock init DIR``: a new suite for a team's own services, ready to run.

It lays out ``features/`` (interface, integration, data), ``steps/`` importing the
generic vocabulary, ``environment.py``, ``config/`` (default, local, ci, and the JSON
Schema they name), ``reports/``, behave's settings and a README. The first scenario
checks a service's health as soon as its URL is in ``config/default.yaml`` (or
``MY_SERVICE_URL``).
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from interlock import config_schema
from interlock.errors import InterlockError

RENAMES = {"gitignore": ".gitignore"}  # kept plain in the package: git would obey it


def init(target: Path) -> list[Path]:
    """Copy the project template into ``target`` (new or empty); returns what it wrote."""
    if target.exists() and any(target.iterdir()):
        raise InterlockError(
            f"{target} is not empty: interlock init writes a new project",
            hint="choose a new folder, e.g. interlock init acceptance-tests",
        )
    template = Path(str(resources.files("interlock") / "templates" / "project"))
    written = []
    for source in sorted(p for p in template.rglob("*") if p.is_file()):
        if "__pycache__" in source.parts:
            continue
        relative = source.relative_to(template)
        destination = target / relative.parent / RENAMES.get(relative.name, relative.name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        written.append(destination)
    schema = target / "config" / config_schema.FILE  # what the config files' first line names
    schema.write_text(config_schema.render(), encoding="utf-8")
    written.append(schema)
    return written
