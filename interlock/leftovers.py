"""Cleanups that failed: each behave process records them, the run reports them once
and exits with its own code (3), so incomplete cleanup is never hidden behind a pass."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

FOLDER = "leftovers"


def record_leftovers(state_dir: Path, lines: Sequence[str]) -> None:
    folder = state_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{os.getpid()}.txt", "a", encoding="utf-8") as out:
        out.writelines(f"{line}\n" for line in lines)


def collect(state_dir: Path) -> list[str]:
    """Everything recorded since :func:`clear`."""
    folder = state_dir / FOLDER
    if not folder.is_dir():
        return []
    return [
        line
        for path in sorted(folder.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


def clear(state_dir: Path) -> None:
    folder = state_dir / FOLDER
    if folder.is_dir():
        for path in folder.glob("*.txt"):
            path.unlink(missing_ok=True)
