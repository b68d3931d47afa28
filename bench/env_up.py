"""Benchmark: how long the embedded environment (MariaDB + the three demo services)
takes to come up, warm (template cached) and cold (template made first), side by side.

    .venv/bin/python bench/env_up.py [--runs N]

Prints the median and range of each, and their ratio. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interlock.config import load_config  # noqa: E402
from interlock.environment import health, stack  # noqa: E402


def measure(state: Path, cold: bool) -> float:
    config = load_config(ROOT, env="local", overrides=[f"paths.state={state}"], environ={})
    if cold:
        shutil.rmtree(state / "cache", ignore_errors=True)
    started = time.perf_counter()
    runtime = stack.start(config, owner_pid=0)
    elapsed = time.perf_counter() - started
    problems = [str(p) for p in health.check(config, runtime)]
    stack.stop(runtime, config.state_dir)
    if problems:
        raise SystemExit(f"environment came up unhealthy: {problems}")
    return elapsed


def describe(name: str, samples: list[float]) -> str:
    return (
        f"{name:5} median {statistics.median(samples):.2f} s "
        f"(min {min(samples):.2f}, max {max(samples):.2f}, n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="interlock-bench-") as tmp:
        state = Path(tmp) / "state"
        warm: list[float] = []
        cold: list[float] = []
        measure(state, cold=False)  # first start makes the template: not counted
        for _ in range(args.runs):  # interleaved, so both see the same machine state
            cold.append(measure(state, cold=True))
            warm.append(measure(state, cold=False))
    print(describe("warm", warm))
    print(describe("cold", cold))
    print(f"warm/cold ratio: {statistics.median(warm) / statistics.median(cold):.2f}")
    target = 5.0
    verdict = "meets" if statistics.median(warm) < target else "MISSES"
    print(f"warm start {verdict} the {target:g} s target")


if __name__ == "__main__":
    main()
