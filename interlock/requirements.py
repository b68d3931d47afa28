"""The requirements catalog: the one place for each requirement's words, owner and link.

A file at the suite's root, edited by an analyst or exported from a tracker:

- ``requirements.yaml``: a list of requirements, or a mapping with ``requirements:``
  (that list) and an optional ``link:`` (``https://tracker/browse/{id}``, the link of
  every requirement without its own);
- ``requirements.csv``: a header row naming the columns (``id`` and ``title`` required;
  ``description``, ``owner``, ``priority``, ``link`` optional; any other column, as a
  tracker's export has, is ignored), then one requirement a row.

Each requirement has an ``id`` matching ``report.requirement_tag`` (a scenario names it
with that tag, ``@REQ-12``) and a ``title``. Lint refuses a tag the catalog does not
list, the pack lists the ones no scenario proves, and every report shows an ID with its
title. A duplicate ID, a missing title or a malformed file is an error naming the file
and line.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interlock.errors import InterlockError

FILES = ("requirements.yaml", "requirements.yml", "requirements.csv")
FIELDS = ("id", "title", "description", "owner", "priority", "link")
FORMAT_HINT = (
    "each requirement needs an id and a title; description, owner, priority and link are"
    " optional (see requirements.yaml in the interlock demo)"
)


class CatalogError(InterlockError):
    """The requirements catalog cannot be read: the message names file, line and entry."""


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    description: str = ""
    owner: str = ""
    priority: str = ""
    link: str = ""
    line: int = 0  # where it is written in the catalog

    @property
    def label(self) -> str:
        """``REQ-12: Orders reserve their stock``: how every report names it."""
        return f"{self.id}: {self.title}"

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FIELDS}


@dataclass(frozen=True)
class Catalog:
    """The suite's requirements (none, with ``path`` None, when the suite has no catalog)."""

    path: Path | None = None
    items: tuple[Requirement, ...] = ()
    tag: re.Pattern[str] | None = None  # report.requirement_tag: what names a requirement

    def names(self, tag: str) -> bool:
        """Whether ``tag`` names a requirement (matches report.requirement_tag)."""
        return self.tag is not None and self.tag.fullmatch(tag) is not None

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.items)

    def __contains__(self, requirement_id: object) -> bool:
        return any(r.id == requirement_id for r in self.items)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.items]

    def get(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.items if r.id == requirement_id), None)

    def label(self, requirement_id: str) -> str:
        """The ID with its title, or the bare ID when the catalog does not list it."""
        found = self.get(requirement_id)
        return found.label if found else requirement_id

    def near(self, requirement_id: str) -> list[str]:
        """Listed IDs close to ``requirement_id`` (for "did you mean")."""
        return difflib.get_close_matches(requirement_id, self.ids, n=3, cutoff=0.8)


def find(root: Path) -> Path | None:
    """The suite's catalog file; an error when there are two."""
    found = [root / name for name in FILES if (root / name).is_file()]
    if len(found) > 1:
        raise CatalogError(
            f"two requirements catalogs: {', '.join(p.name for p in found)}",
            hint="keep one: the facts of a requirement live in one place",
        )
    return found[0] if found else None


def load(root: Path, tag: re.Pattern[str]) -> Catalog:
    """The catalog at ``root`` (empty when there is none), each ID checked against the
    requirement ``tag`` pattern; ``CatalogError`` naming file and line when it is wrong."""
    path = find(root)
    if path is None:
        return Catalog(tag=tag)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{name}: cannot be read: {exc}") from None
    entries = _csv(name, text) if path.suffix == ".csv" else _yaml(name, text)
    problems: list[str] = []
    items: list[Requirement] = []
    seen: dict[str, int] = {}
    for line, entry in entries:
        where = f"{name}:{line}"
        requirement_id = entry.get("id", "")
        if not requirement_id:
            problems.append(f"{where}: a requirement without an id")
            continue
        if not tag.fullmatch(requirement_id):
            problems.append(
                f"{where}: {requirement_id!r} is no requirement tag (report.requirement_tag is"
                f" {tag.pattern}), so no scenario could name it"
            )
        if requirement_id in seen:
            problems.append(
                f"{where}: duplicate id {requirement_id} (also line {seen[requirement_id]})"
            )
            continue
        seen[requirement_id] = line
        if not entry.get("title"):
            problems.append(f"{where}: {requirement_id} has no title")
            continue
        items.append(Requirement(**{**entry, "id": requirement_id}, line=line))
    if problems:
        raise CatalogError(
            "the requirements catalog has "
            + (f"{len(problems)} problems" if len(problems) > 1 else "a problem")
            + ":\n  - "
            + "\n  - ".join(problems),
            hint=FORMAT_HINT,
        )
    return Catalog(path, tuple(items), tag)


def _yaml(name: str, text: str) -> list[tuple[int, dict[str, str]]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise CatalogError(f"{name}{line}: not valid YAML: {problem}") from None
    default_link = ""
    if isinstance(data, dict):
        unknown = sorted(set(map(str, data)) - {"requirements", "link"})
        if unknown:
            raise CatalogError(
                f"{name}: unknown key(s) {', '.join(unknown)} at the top",
                hint="the top holds `requirements:` (the list) and optionally `link:`",
            )
        default_link = str(data.get("link") or "")
        items, nodes = data.get("requirements"), _value_node(root, "requirements")
    else:
        items, nodes = data, root
    if items is None:
        return []
    if not isinstance(items, list) or nodes is None or not isinstance(nodes, yaml.SequenceNode):
        raise CatalogError(
            f"{name}: the requirements must be a list (`- id: REQ-1` ...)", hint=FORMAT_HINT
        )
    entries = []
    for item, node in zip(items, nodes.value, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise CatalogError(
                f"{name}:{line}: a requirement must be a mapping (id: ..., title: ...), not"
                f" {type(item).__name__}",
                hint=FORMAT_HINT,
            )
        entries.append((line, _fields(f"{name}:{line}", item, default_link)))
    return entries


def _value_node(root: Any, key: str) -> Any:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _fields(where: str, item: dict[Any, Any], default_link: str) -> dict[str, str]:
    entry: dict[str, str] = {}
    for key, value in item.items():
        key = str(key).strip().lower()
        if key not in FIELDS:
            near = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
            suggestion = f"; did you mean {near[0]!r}?" if near else ""
            raise CatalogError(
                f"{where}: unknown field {key!r}{suggestion} (fields: {', '.join(FIELDS)})"
            )
        entry[key] = "" if value is None else str(value).strip()
    requirement_id = entry.get("id", "")
    if not entry.get("link") and default_link and requirement_id:
        entry["link"] = default_link.replace("{id}", requirement_id)
    return entry


def _csv(name: str, text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    entries: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [c.strip().lower() for c in header]
        missing = [c for c in ("id", "title") if c not in columns]
        if missing:
            raise CatalogError(
                f"{name}:1: the header row has no {' and no '.join(missing)} column"
                f" (it reads: {', '.join(header)})",
                hint="the first row names the columns: id,title[,description,owner,priority,link]",
            )
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise CatalogError(
                    f"{name}:{line}: {len(row)} cells where the header has {len(columns)} columns",
                    hint='a cell holding a comma must be quoted ("a, b")',
                )
            entry = {c: cell.strip() for c, cell in zip(columns, row, strict=True) if c in FIELDS}
            entries.append((line, entry))
    except csv.Error as exc:
        raise CatalogError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    return entries
