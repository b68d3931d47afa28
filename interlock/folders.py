"""The folders interlock reads from and writes to.

A path a user names (a data file in a step, a schema or contract in the config) is
kept inside the folder it belongs to, symlinks followed, so a step cannot read
``/etc/passwd`` or ``/proc/self/environ`` and echo it into a report. The folders a run
writes are checked before anything starts, so a read-only or misplaced folder stops
the run at once instead of failing after the scenarios ran, with no leak scan.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from interlock.errors import InterlockError


def shown_path(path: str) -> str:
    """A file as a user reads it: relative to the working folder when it lies inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def json_lines(folder: Path, prefix: str) -> Iterator[Any]:
    """The JSON values, one a line, that the processes of a run appended to the files
    ``<prefix>*.jsonl`` in ``folder``, files in name order; an unreadable file, or a line
    that is not JSON (one still being written), is skipped."""
    for part in sorted(folder.glob(f"{prefix}*.jsonl")):
        try:
            lines = part.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                continue


def inside(folder: Path, name: str) -> Path | None:
    """``name``, relative to ``folder``, as the real path it leads to (every symlink
    resolved); None when that lies outside ``folder`` (an absolute path, ``..``, a
    symlink pointing out) or cannot be resolved at all."""
    try:
        base = folder.resolve()
        path = (base / name).resolve()  # an absolute name replaces base: caught below
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
        return None
    return path if path.is_relative_to(base) else None


class FolderError(InterlockError):
    """A folder interlock must write cannot be written."""


def writable_folder(folder: Path, what: str, hint: str) -> None:
    """Make sure ``folder`` exists as a folder a new file can be written in (``what``
    names what goes there: "cannot write {what} to {folder}")."""
    if folder.exists() and not folder.is_dir():
        raise FolderError(f"cannot write {what} to {folder}: it is a file, not a folder", hint)
    probe = folder / f".writable-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink()
        raise FolderError(f"cannot write {what} to {folder}: {exc.strerror or exc}", hint) from None


def writable_files(files: Iterable[Path], what: str, hint: str) -> None:
    """Files a run replaces must not be folders, nor refuse writing (``chattr +i``)."""
    for path in files:
        if path.is_dir():
            raise FolderError(f"cannot write {what} to {path}: it is a folder, not a file", hint)
        if path.exists():
            try:
                with open(path, "ab"):  # opening to append changes nothing
                    pass
            except OSError as exc:
                raise FolderError(
                    f"cannot write {what} to {path}: {exc.strerror or exc}", hint
                ) from None
