"""The pre-run lint of the whole suite: cold (an empty cache, in a fresh process: the
step library loaded, every file parsed and matched) against an unchanged suite
(remembered: interlock/lint_cache.py). Printed by ``python -m bench.inner_loop``."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from interlock import run
from interlock.config import load_config


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as state:
        config = load_config(root, env="local", overrides=[f"paths.state={state}"])
        started = time.perf_counter()
        cold = run.lint_suite(config, [])
        cold_s = time.perf_counter() - started
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            again = run.lint_suite(config, [])
            warm.append(time.perf_counter() - started)
        assert again == cold
    files = len(list((root / "features").rglob("*.feature")))
    print(
        f"pre-run lint, whole suite ({files} files, {len(cold)} problems):"
        f" cold {cold_s * 1000:.0f} ms,"
        f" unchanged (cached) {statistics.median(warm) * 1000:.1f} ms (median of 5);"
        f" load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
