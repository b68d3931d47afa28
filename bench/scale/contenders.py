"""The contenders: what each one runs, in which folder, and where behavex comes from.

Names (``--contenders`` takes a comma-separated list of them):

- ``requests-<k>t``: the suite's requests from a bare ``requests`` script, k threads
  (``requests-4t`` is the physical limit the targets compare with);
- ``behave``: plain behave as a user runs it in the project (its configured Allure
  formatter and JUnit output), one process;
- ``behave-null``: behave with ``-f null``, no Allure, no JUnit: behave's bare cost;
- ``behavex-feature-<k>`` / ``behavex-scenario-<k>``: behavex 4.6.8, k processes,
  parallel per feature / per scenario (its own venv, see :func:`ensure_behavex`);
- ``interlock-<n>``: ``interlock run --workers n --no-report``; ``interlock-<n>-nolint``
  adds ``--no-lint`` (interlock versions that lint the suite before running it);
  ``interlock-<n>-fork`` forks the workers (``INTERLOCK_WORKER_START=fork``), the others
  start fresh ones (``subprocess``). A trailing ``@base`` runs the ``--baseline``
  revision's interlock instead (the same suite, steps and environment).

Every contender attaches to the environment the runner started with ``interlock up``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.scale.suite import PLAIN

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the project's .venv: behave, interlock, requests
BASELINE = Path(__file__).resolve().with_name("baseline.py")
BEHAVEX_VENV = REPO / "bench" / ".venv-behavex"
BEHAVEX_VERSION = "4.6.8"
# Development tools of the project's venv that behavex's venv does not need.
_DEV_ONLY = re.compile(
    r"^(ast[-_]serialize|iniconfig|librt|mypy|mypy[-_]extensions|pathspec|pytest|ruff|types-)",
    re.IGNORECASE,
)
_NAME = re.compile(
    r"^(?:requests-(?P<threads>\d+)t|(?P<behave>behave(?:-null)?)"
    r"|behavex-(?P<scheme>feature|scenario)-(?P<procs>\d+)"
    r"|interlock-(?P<workers>\d+)(?P<nolint>-nolint)?(?P<fork>-fork)?(?P<base>@base)?)$"
)


@dataclass(frozen=True)
class Contender:
    name: str
    kind: str  # requests | behave | behave-null | behavex | interlock
    parallel: int  # threads, processes or workers
    scheme: str = ""  # behavex: feature | scenario
    no_lint: bool = False  # interlock: skip the pre-run lint (--no-lint, where it exists)
    fork: bool = False  # interlock: workers forked from the run (INTERLOCK_WORKER_START=fork)
    base: bool = False  # interlock: the --baseline revision's, not the one benchmarked

    @classmethod
    def parse(cls, name: str) -> Contender:
        match = _NAME.match(name.strip())
        if match is None:
            raise SystemExit(
                f"unknown contender {name!r}: requests-<k>t, behave, behave-null, "
                "behavex-feature-<k>, behavex-scenario-<k>, interlock-<n>[-nolint][-fork][@base]"
            )
        if match["threads"]:
            return cls(name, "requests", int(match["threads"]))
        if match["behave"]:
            return cls(name, match["behave"], 1)
        if match["scheme"]:
            return cls(name, "behavex", int(match["procs"]), match["scheme"])
        return cls(
            name,
            "interlock",
            int(match["workers"]),
            no_lint=bool(match["nolint"]),
            fork=bool(match["fork"]),
            base=bool(match["base"]),
        )

    def command(self, root: Path, url: str, scenarios: int, out: Path) -> tuple[list[str], Path]:
        """The command line and its working folder."""
        python = str(BIN / "python")
        if self.kind == "requests":
            args = ["--url", url, "--scenarios", str(scenarios), "--threads", str(self.parallel)]
            return [python, str(BASELINE), *args], root
        if self.kind == "behave":
            return [python, "-m", "behave"], root
        if self.kind == "behave-null":
            # From a folder whose pyproject.toml configures no Allure and no JUnit.
            return [python, "-m", "behave", "-f", "null", str(root / "features")], root / PLAIN
        if self.kind == "behavex":
            # behavex runs behave processes side by side in one checkout, which plain
            # behave refuses (one run per checkout: interlock.run_lock); as interlock's
            # own workers, they attach to the environment and leave the lock alone.
            return [
                "/usr/bin/env",
                "INTERLOCK_WORKER=behavex",
                str(BEHAVEX_VENV / "bin" / "behavex"),
                "features",
                "--parallel-processes",
                str(self.parallel),
                "--parallel-scheme",
                self.scheme,
                "--output-folder",
                str(out / f"behavex-{self.name}"),
                # as interlock's workers do: one results folder, emptied once by us
                "-D",
                "interlock.keep_results=1",
            ], root
        command = [str(BIN / "interlock"), "run", "--workers", str(self.parallel), "--no-report"]
        if self.fork:  # env execs interlock: the same process, counted the same way
            command = ["/usr/bin/env", "INTERLOCK_WORKER_START=fork", *command]
        else:
            command = ["/usr/bin/env", "INTERLOCK_WORKER_START=subprocess", *command]
        return [*command, "--no-lint"] if self.no_lint else command, root


def ensure_behavex(say: Callable[[str], None]) -> Path:
    """behavex in its own venv (``bench/.venv-behavex``, git-ignored), made on first use.

    It gets behavex plus the very versions the project's venv holds (behave,
    allure-behave, requests...), and a ``.pth`` line so it imports interlock from
    this repository like the project's venv does.
    """
    behavex = BEHAVEX_VENV / "bin" / "behavex"
    if behavex.exists():
        return behavex
    say(f"setting up behavex {BEHAVEX_VERSION} in {BEHAVEX_VENV} (once, about 30 s)")
    freeze = subprocess.run(
        [str(BIN / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    pins = [line for line in freeze if line and not _DEV_ONLY.match(line) and "==" in line]
    pins = [line for line in pins if not line.lower().startswith("interlock")]
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(BEHAVEX_VENV)], check=True)
    pip = [str(BEHAVEX_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, f"behavex=={BEHAVEX_VERSION}", *pins], check=True)
    purelib = subprocess.run(
        [
            str(BEHAVEX_VENV / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "interlock-repo.pth").write_text(f"{REPO}\n")
    return behavex


def python_path(extra: Path | None) -> dict[str, str]:
    """The environment every contender gets: interlock's ``bench`` env, optionally a
    snapshot of interlock ahead of the editable install."""
    env = {**os.environ, "INTERLOCK_ENV": "bench", "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    if extra is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(extra), os.environ.get("PYTHONPATH", "")) if p
        )
    return env
