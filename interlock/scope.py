"""What a sign-off covers: the selection a run was given, the suite it was taken from,
and whether the suite's files are what the commit holds.

``interlock run`` hands the pack a :class:`Scope` (its paths, tags, shard,
--rerun-failed); ``interlock merge`` one naming the merged folders; ``interlock
signoff`` carries over the one the last pack recorded. Whether the whole suite ran
is decided from the results, not from the options: every scenario of the suite (for
this environment) must have one, so merged shards count as whole.

Uncommitted changes to feature files, steps, config and the suite's catalog and
waivers are checked by ``interlock signoff``, and by ``run``/``merge`` when ``CI``
is set (a developer's run at their desk is not refused for the edit they are making).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any

from behave.parser import ParserError

from interlock.config import Config
from interlock.errors import InterlockError
from interlock.selection import ScenarioRef, discover

MANUAL_TAG = "manual"  # never run by behave: not part of what a run must cover
# What a sign-off vouches for, relative to the suite's root (plus the features folder).
SUITE_FILES = (
    "steps",
    "environment.py",
    "config",
    "requirements.yaml",
    "requirements.yml",
    "requirements.csv",
    "waivers.yaml",
)


@dataclass(frozen=True)
class Scope:
    """The selection a command was given (what the pack records under ``selection``)."""

    command: str = "run"  # run, merge or signoff
    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    shard: str | None = None
    rerun_failed: bool = False
    merged: tuple[str, ...] = ()  # the reports folders interlock merge combined
    recorded: dict[str, Any] = field(default_factory=dict)  # carried over by signoff

    def selection(self) -> dict[str, Any]:
        if self.recorded:
            return dict(self.recorded)
        return {
            "paths": list(self.paths),
            "tags": list(self.tags),
            "shard": self.shard,
            "rerun_failed": self.rerun_failed,
            "merged": list(self.merged),
        }

    def checks_changes(self, environ: dict[str, str]) -> bool:
        """Uncommitted changes decide at sign-off, and in CI."""
        return self.command == "signoff" or bool(environ.get("CI"))


def describe(selection: dict[str, Any]) -> str:
    """The selection in words: ``features/x.feature, tags @smoke, shard 1/3``."""
    parts = []
    if selection.get("merged"):
        parts.append(f"merged from {len(selection['merged'])} reports folders")
    if selection.get("paths"):
        parts.append(", ".join(selection["paths"]))
    if selection.get("tags"):
        parts.append("tags " + " and ".join(selection["tags"]))
    if selection.get("shard"):
        parts.append(f"shard {selection['shard']}")
    if selection.get("rerun_failed"):
        parts.append("only what failed last time (--rerun-failed)")
    return "; ".join(parts) or "the whole suite (no paths, tags or shard)"


def suite(config: Config) -> tuple[list[ScenarioRef], str]:
    """Every scenario a whole run of this environment covers (``@manual`` ones are done
    by a person, not run), and a note when the suite could not be read."""
    if not config.features_dir.is_dir():
        return [], f"no features folder {config.features_dir}"
    try:
        found = discover(config.root, [], config.features_dir)
    except (InterlockError, ParserError) as exc:
        return [], f"the suite could not be read: {exc}"
    return [s for s in found if MANUAL_TAG not in s.tags], ""


def uncommitted(config: Config) -> tuple[list[str] | None, str]:
    """The suite's files that differ from the commit (``git status``), or None and why
    they could not be checked (no git, not a checkout)."""
    paths = [str(config.features_dir.relative_to(config.root)), *SUITE_FILES]
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
            cwd=config.root,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except FileNotFoundError:
        return None, "not checked: git is not installed"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"not checked: git status failed ({exc})"
    if result.returncode != 0:
        return None, "not checked: the suite is not a git checkout"
    changed = sorted({line[3:].strip() for line in result.stdout.splitlines() if line.strip()})
    return changed, ""
