"""Lint results remembered between runs, so that the lint before a run of an unchanged
suite costs a few file reads and hashes instead of loading the step library and
parsing and matching every step.

A result is kept under ``<state>/cache/lint.json``, keyed by a hash of everything lint's
answer depends on:

- each linted feature file's path and content;
- the step library: every ``*.py`` of the project's ``steps/`` and of the
  ``interlock_steps`` package, and interlock's own lint rules (``lint.py`` and the
  modules whose checks it runs: ``gherkin``, ``step_types``);
- the config: every file of ``config/`` (the requirement tag, whether it is required,
  and where that is set come from there), the environment's name and the ``--set``
  overrides;
- the requirements catalog's file;
- the data files a feature refers to: each quoted string of a feature that names a
  file under the data folder.

Any change gives another key, so a stale answer is never used; the last few keys are
kept (one per selection of paths). A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from interlock.lint import Problem

FILE = "lint.json"
KEEP = 8  # keys remembered
_QUOTED = re.compile(r'"([^"\n]{1,300})"')
_RULES = ("lint.py", "gherkin.py", "step_types.py", "selection.py", "requirements.py")


def _file_digest(hasher: hashlib._Hash, path: Path) -> None:
    hasher.update(str(path).encode(errors="surrogatepass") + b"\0")
    try:
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        hasher.update(b"<unreadable>")


def _python_files(folder: Path | None) -> list[Path]:
    return sorted(folder.glob("*.py")) if folder is not None and folder.is_dir() else []


def _package_dir(name: str) -> Path | None:
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            return Path(spec.origin).parent
    return None


def key(
    root: Path,
    files: Sequence[Path],
    env: str,
    overrides: Iterable[str],
    data_dir: Path,
    catalog: Path | None,
    whole_suite: bool,
) -> str:
    """The hash of everything lint's answer for ``files`` depends on (see the module)."""
    hasher = hashlib.sha256(f"{env}\0{whole_suite}\0".encode())
    for item in overrides:
        hasher.update(item.encode() + b"\0")
    interlock_dir = Path(__file__).parent
    rules = [interlock_dir / name for name in _RULES]
    library = _python_files(root / "steps") + _python_files(_package_dir("interlock_steps"))
    config = sorted(p for p in (root / "config").glob("*") if p.is_file())
    for path in [*rules, *library, *config, *([catalog] if catalog else [])]:
        _file_digest(hasher, path)
    for path in files:
        _file_digest(hasher, path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in sorted(set(_QUOTED.findall(text))):
            data = data_dir / name
            with contextlib.suppress(OSError, ValueError):
                if data.is_file():
                    _file_digest(hasher, data)
    return hasher.hexdigest()


def _load(path: Path) -> dict[str, list[list[object]]]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def cached(
    state_dir: Path, cache_key: str, compute: Callable[[], list[Problem]]
) -> tuple[list[Problem], bool]:
    """The problems for ``cache_key``: remembered, or computed and remembered; and
    whether they were remembered."""
    path = state_dir / "cache" / FILE
    entries = _load(path)
    entry = entries.get(cache_key)
    if isinstance(entry, list):
        with contextlib.suppress(TypeError, ValueError):
            return [Problem(str(f), int(str(n)), str(s), str(m)) for f, n, s, m in entry], True
    problems = compute()
    entries.pop(cache_key, None)
    entries[cache_key] = [[p.file, p.line, p.severity, p.message] for p in problems]
    kept = dict(list(entries.items())[-KEEP:])
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        temporary.replace(path)
    return problems, False
