"""One big feature file: plain behave against interlock's workers, before and after
each behave process built only the scenarios it runs (issue 20).

    .venv/bin/python -m bench.big_feature                     # 13,000 scenarios, ~5 MB
    .venv/bin/python -m bench.big_feature --scenarios 3000    # about a minute

Every contender runs the same generated file in the same throwaway project
(:mod:`bench.big_feature.suite`), interleaved, one after the other:

- ``behave``: plain ``behave`` on the file, one process (Allure and JUnit, as configured);
- ``before-<n>``: ``interlock run --workers n`` of the revision before the change (a
  ``git archive`` of it, imported ahead of the working tree), workers as that revision
  starts them (forked); ``before-<n>-sub`` with fresh worker processes;
- ``after-<n>``: the working tree, workers forked (the default on Linux);
  ``after-<n>-sub``: fresh worker processes (``INTERLOCK_WORKER_START=subprocess``).

Interlock runs with ``--no-report --no-lint`` (the report and the lint are the same
before and after, and cached or skipped in daily use) and the default
``run.scenarios_per_process`` (500), so 13,000 scenarios are 26 behave processes. Wall
time is the command's, CPU the user+sys of its whole process tree
(:func:`bench.scale.measure.run`). Each run must pass every scenario and write a result
for each.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.big_feature.suite import ENV, FEATURE, generate
from bench.scale.measure import Measurement, run, wait_quiet
from bench.scale.run import _compile, export_snapshot, machine

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BEFORE = "9050abc4421b6c6f4f44e68189cd8a46368b9ace"  # the last commit without interlock.pruning
DEFAULT = ["behave", "before-1", "after-1", "before-2", "after-2", "after-1-sub", "after-2-sub"]
_NAME = re.compile(r"^(?:behave|(?P<side>before|after)-(?P<workers>\d+)(?P<sub>-sub)?)$")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Contender:
    name: str
    side: str  # behave | before | after
    workers: int = 1
    subprocess: bool = False

    @classmethod
    def parse(cls, name: str) -> Contender:
        match = _NAME.match(name.strip())
        if match is None:
            raise SystemExit(
                f"unknown contender {name!r}: behave, before-<n>[-sub], after-<n>[-sub]"
            )
        if not match["side"]:
            return cls(name, "behave")
        return cls(name, match["side"], int(match["workers"]), bool(match["sub"]))

    def command(self) -> list[str]:
        if self.side == "behave":
            return [str(BIN / "python"), "-m", "behave", FEATURE]
        start = "subprocess" if self.subprocess else "fork"
        return [
            "/usr/bin/env",  # execs interlock: the same process, measured the same way
            f"INTERLOCK_WORKER_START={start}",
            str(BIN / "interlock"), "run", "--workers", str(self.workers),
            "--no-report", "--no-lint",
        ]  # fmt: skip


@dataclass
class Row:
    contender: Contender
    runs: list[Measurement] = field(default_factory=list)
    problem: str = ""

    def median(self, what: str) -> float:
        values = sorted(getattr(m, what) for m in self.runs)
        return values[len(values) // 2]


def environment(before: Path | None) -> dict[str, str]:
    """What every contender gets; the "before" side imports the snapshot first."""
    env = {**os.environ, "INTERLOCK_ENV": ENV, "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)  # as at a terminal, minus the report (--no-report)
    env.pop("INTERLOCK_WORKER_START", None)
    if before is not None:
        env["PYTHONPATH"] = str(before)
    return env


def results_written(root: Path) -> int:
    folder = root / "reports" / "allure-results"
    return len(list(folder.glob("*-result.json"))) if folder.is_dir() else 0


def check(m: Measurement, root: Path, expected: int) -> str:
    """Empty if every scenario passed and has its result; else what went wrong."""
    if m.timed_out:
        return f"timed out after {m.wall:.0f} s"
    written = results_written(root)
    if m.code != 0 or written != expected:
        return f"exit {m.code}, {written} results of {expected}"
    return ""


def table(rows: Sequence[Row], scenarios: int) -> list[str]:
    behave = next((r for r in rows if r.contender.side == "behave" and r.runs), None)
    after = {
        (r.contender.workers, r.contender.subprocess): r
        for r in rows
        if r.contender.side == "after"
    }
    lines = [
        f"| {scenarios:,} scenarios in one file | wall s | CPU s | wall ÷ behave | CPU ÷ behave"
        " | before ÷ after, wall | before ÷ after, CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.runs:
            lines.append(f"| {row.contender.name} | {row.problem} | | | | | |")
            continue
        wall, cpu = row.median("wall"), row.median("cpu")
        vs_behave = ["", ""]
        if behave is not None:
            vs_behave = [f"{wall / behave.median('wall'):.2f}", f"{cpu / behave.median('cpu'):.2f}"]
        vs_after = ["", ""]
        mate = after.get((row.contender.workers, row.contender.subprocess))
        if row.contender.side == "before" and mate is not None and mate.runs:
            vs_after = [f"{wall / mate.median('wall'):.2f}", f"{cpu / mate.median('cpu'):.2f}"]
        note = f" ({row.problem})" if row.problem else ""
        lines.append(
            f"| {row.contender.name}{note} | {wall:.1f} | {cpu:.1f} | {vs_behave[0]} |"
            f" {vs_behave[1]} | {vs_after[0]} | {vs_after[1]} |"
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.big_feature", description=__doc__)
    parser.add_argument("--scenarios", type=int, default=13000, help="in the file (13,000: ~5 MB)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; medians")
    parser.add_argument(
        "--contenders",
        default=",".join(DEFAULT),
        help="comma-separated: behave, before-<n>[-sub], after-<n>[-sub]",
    )
    parser.add_argument("--before", default=BEFORE, help="the revision before the change")
    parser.add_argument("--timeout", type=float, default=1800, help="per run, seconds")
    parser.add_argument("--quiet-percent", type=float, default=60.0)
    parser.add_argument("--quiet-wait", type=float, default=30.0, help="0: do not wait")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    contenders = [Contender.parse(n) for n in args.contenders.split(",") if n.strip()]
    work = Path(tempfile.mkdtemp(prefix="interlock-big-feature-"))
    started = time.monotonic()
    try:
        snapshot = None
        if any(c.side == "before" for c in contenders):
            snapshot = export_snapshot(args.before, work / "before")
            _compile(snapshot / "interlock", snapshot / "interlock_steps")
            imported = subprocess.run(
                [str(BIN / "python"), "-c", "import interlock; print(interlock.__file__)"],
                env=environment(snapshot), cwd=work, capture_output=True, text=True,
            )  # fmt: skip
            if not imported.stdout.startswith(str(snapshot)):
                say(f"the snapshot is not imported: {imported.stdout}{imported.stderr}")
                return 2
        root = work / "project"
        feature = generate(root, args.scenarios)
        _compile(root / "steps", root / "environment.py")
        size = feature.stat().st_size / 1e6
        say(f"{feature}: {args.scenarios:,} scenarios, {size:.1f} MB")
        rows = [Row(c) for c in contenders]
        for attempt in range(args.rounds):
            for row in rows:
                if row.problem:
                    continue
                if args.quiet_wait > 0:
                    waited, reading = wait_quiet(args.quiet_percent, args.quiet_wait)
                    if reading >= args.quiet_percent:
                        say(f"  the machine is busy ({reading:.0f}% CPU after {waited:.0f} s)")
                say(f"{row.contender.name} (round {attempt + 1}/{args.rounds})")
                shutil.rmtree(root / "reports", ignore_errors=True)
                env = environment(snapshot if row.contender.side == "before" else None)
                log = work / "logs" / f"{row.contender.name}-{attempt + 1}.log"
                m = run(row.contender.command(), root, env, log, timeout=args.timeout)
                row.problem = check(m, root, args.scenarios)
                if row.problem:
                    say(f"  {row.problem}; log: {log}")
                    args.keep = True
                    continue
                row.runs.append(m)
                say(f"  {m.wall:.1f} s wall, {m.cpu:.1f} s CPU")
        print(
            "\n".join(
                [
                    f"## bench/big_feature, {time.strftime('%Y-%m-%d %H:%M')}",
                    "",
                    f"machine: {machine()}; before = {args.before[:7]}, after = the working tree;"
                    f" {size:.1f} MB, {args.scenarios:,} scenarios, {args.rounds} round(s)",
                    "",
                    *table(rows, args.scenarios),
                    "",
                    f"(whole benchmark: {time.monotonic() - started:.0f} s)",
                ]
            )
        )
        return 0 if not any(r.problem for r in rows) else 1
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
