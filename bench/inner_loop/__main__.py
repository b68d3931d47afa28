"""The inner loop: ``interlock run FILE:LINE`` for one scenario against a warm
environment, split into start-up, lint, behave and report, beside plain ``behave``
on the same line (issue 20). See bench/README.md.

    .venv/bin/python -m bench.inner_loop [--target features/interface/orders_api.feature:11]
                                         [--rounds 5] [--down]

Every variant runs once per round, interleaved, in a fresh process; medians are printed.
The split is by difference of variants measured side by side:

- start-up: ``python -c "import interlock.cli"`` (the imports every command pays);
- lint: ``--no-report`` minus ``--no-report --no-lint``;
- behave (and the run around it: lock, selection, acquire, the worker, the summary):
  ``--no-report --no-lint`` minus start-up;
- report: the run with the report built before it exits (``INTERLOCK_REPORT_BUILD=wait``)
  minus ``--no-report``; and the default at a terminal (``background``), whose wall is
  what an analyst waits for (the builder is waited for between variants, not timed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PID_FILE = ROOT / ".interlock" / "report-build.pid"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return took


def wait_for_builder(limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while PID_FILE.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inner_loop")
    parser.add_argument("--target", default="features/interface/orders_api.feature:11")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", action="store_true", help="interlock down at the end")
    args = parser.parse_args()
    env = {**os.environ, "INTERLOCK_ENV": os.environ.get("INTERLOCK_ENV", "local")}
    env.pop("CI", None)
    subprocess.run([str(BIN / "interlock"), "up"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    run = [str(BIN / "interlock"), "run"]
    variants = {
        "start-up (import interlock.cli)": (
            [str(BIN / "python"), "-c", "import interlock.cli"],
            {},
        ),
        "plain behave": ([str(BIN / "behave"), args.target], {}),
        "run --no-report --no-lint": ([*run, "--no-report", "--no-lint", args.target], {}),
        "run --no-report": ([*run, "--no-report", args.target], {}),
        "run, report built before exit": ([*run, args.target], {"INTERLOCK_REPORT_BUILD": "wait"}),
        "run, report in the background": (
            [*run, args.target],
            {"INTERLOCK_REPORT_BUILD": "background"},
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds + 1):  # the first round warms caches and is dropped
        for name, (command, extra) in variants.items():
            wait_for_builder()
            times[name].append(timed(command, {**env, **extra}))
    wait_for_builder()
    med = {name: statistics.median(t[1:]) for name, t in times.items()}
    load = os.getloadavg()[0]
    print(f"{args.target}, {args.rounds} rounds interleaved, medians; load average {load:.1f}"
          f" on {os.cpu_count()} cores")  # fmt: skip
    for name, value in med.items():
        print(f"  {name:34} {value:6.2f} s   (min {min(times[name][1:]):.2f})")
    startup = med["start-up (import interlock.cli)"]
    lint = med["run --no-report"] - med["run --no-report --no-lint"]
    behave = med["run --no-report --no-lint"] - startup
    report = med["run, report built before exit"] - med["run --no-report"]
    plain = med["plain behave"]
    print(f"split: start-up {startup:.2f} s, lint {lint:.2f} s, behave and the run {behave:.2f} s,"
          f" report {report:.2f} s (built before exit)")  # fmt: skip
    no_report = med["run --no-report"]
    background = med["run, report in the background"]
    print(f"plain behave {plain:.2f} s; interlock --no-report {no_report:.2f} s"
          f" = {no_report / plain:.2f}x (+{no_report - plain:.2f} s)")  # fmt: skip
    verdict = "MET   " if background < 2.0 else "MISSED"
    print(f"{verdict} one scenario, report included (background build), under 2 s:"
          f" {background:.2f} s")  # fmt: skip
    verdict = "MET   " if no_report - plain <= 0.5 else "MISSED"
    print(f"{verdict} without the report within 0.5 s of plain behave:"
          f" {no_report:.2f} - {plain:.2f} = {no_report - plain:+.2f} s")  # fmt: skip
    lint_cost = [str(BIN / "python"), "-m", "bench.inner_loop.lint_cost"]
    done = subprocess.run(lint_cost, cwd=ROOT, env=env, capture_output=True, text=True)
    print(done.stdout, end="")
    if args.down:
        subprocess.run([str(BIN / "interlock"), "down"], cwd=ROOT, env=env, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
