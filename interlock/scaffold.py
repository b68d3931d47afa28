"""``interlock init DIR``: a new suite for a team's own services, ready to run.

It lays out ``features/`` (a first feature that runs against an embedded database, and
an interface example to turn on once a service's URL is known), ``steps/`` importing
the generic vocabulary, ``environment.py``, ``config/`` (default, local, ci, and the
JSON Schema they name), ``db/schema.sql``, ``contracts/``, ``reports/``, behave's
settings, a README, and ``package.json`` with its lock: the Allure CLI the report is
built with, pinned to the version interlock is tested with (``interlock run``
installs it with ``npm ci`` the first time, see ``interlock.report``).

A folder that is not empty is refused unless ``force``; even then no file is
overwritten: the ones that exist are kept, and named.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from interlock import config_schema
from interlock.errors import InterlockError

RENAMES = {"gitignore": ".gitignore"}  # kept plain in the package: git would obey it


@dataclass
class Scaffold:
    """What ``init`` wrote, and what it found already there and left alone."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def template_files() -> dict[Path, Path]:
    """The template's files: where each goes in a new suite (relative), and its source."""
    template = Path(str(resources.files("interlock") / "templates" / "project"))
    files = {}
    for source in sorted(p for p in template.rglob("*") if p.is_file()):
        if "__pycache__" in source.parts or source.suffix == ".pyc":
            continue
        relative = source.relative_to(template)
        files[relative.parent / RENAMES.get(relative.name, relative.name)] = source
    return files


def init(target: Path, force: bool = False) -> Scaffold:
    """Copy the project template into ``target`` (new or empty, or anything with
    ``force``, keeping every file that exists)."""
    if target.exists() and not target.is_dir():
        raise InterlockError(f"{target} is a file, not a folder", hint="choose a new folder")
    if not force and target.exists() and any(target.iterdir()):
        raise InterlockError(
            f"{target} is not empty: interlock init writes a new project",
            hint="choose a new folder, e.g. interlock init acceptance-tests; or add --force"
            " to add the missing files there (no file that exists is overwritten)",
        )
    made = Scaffold()
    sources = template_files()
    contents = {relative: source.read_bytes() for relative, source in sources.items()}
    # What the config files' first line names.
    contents[Path("config") / config_schema.FILE] = config_schema.render().encode()
    for relative, data in contents.items():
        destination = target / relative
        if destination.exists() or destination.is_symlink():
            made.kept.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(destination, "xb") as out:  # never over a file made meanwhile
            out.write(data)
        if relative in sources:
            shutil.copymode(sources[relative], destination)
        made.written.append(destination)
    return made
