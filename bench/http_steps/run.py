"""Benchmark: the same HTTP scenarios run with interlock's steps and with hand-written
behave steps calling requests directly, against the same local inventory service, with
the Allure formatter active on both sides (interlock attaches its evidence).

    .venv/bin/python bench/http_steps/run.py [--scenarios N] [--rounds R]

Starts the embedded environment once (MariaDB and the demo services, from the `local`
config, in a temporary state folder), then runs behave R times per side, interleaved
(interlock, hand-written, interlock, ...) after one warm-up each, and prints the median
wall time of each side and their ratio. Each run is a fresh `behave` process, so the
figures include start-up and imports. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from interlock import environment  # noqa: E402
from interlock.config import load_config  # noqa: E402

SIDES = ("interlock", "plain")
FORMATTER = "allure_behave.formatter:AllureFormatter"


def prepare(work: Path, side: str, scenarios: int) -> Path:
    """A behave project for one side: the steps and hooks of that side, N scenarios."""
    folder = work / side
    shutil.copytree(HERE / f"{side}_side", folder)
    template = (HERE / "scenario.feature").read_text()
    body = "".join(template.replace("{n}", str(n)) + "\n" for n in range(scenarios))
    (folder / "features").mkdir()
    (folder / "features" / "bench.feature").write_text(
        "Feature: Products through the HTTP API\n\n" + body
    )
    return folder


def run_side(folder: Path, results: Path, env: dict[str, str], state: Path) -> float:
    shutil.rmtree(results, ignore_errors=True)
    command = [
        sys.executable, "-m", "behave", str(folder / "features"),
        "-f", FORMATTER, "-o", str(results), "--no-summary", "--no-snippets",
        "-D", "env=local", "-D", f"paths.state={state}",
    ]  # fmt: skip
    started = time.perf_counter()
    # cwd inside the repository: interlock finds config/ upwards from it; no behave
    # settings live there, so both sides run with behave's defaults.
    done = subprocess.run(command, cwd=HERE, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{folder.name} side failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="interlock-bench-http-") as tmp:
        work = Path(tmp)
        state = work / "state"
        config = load_config(ROOT, env="local", overrides=[f"paths.state={state}"])
        acquired = environment.acquire(config)
        try:
            env = {
                **os.environ,
                "BENCH_REPO": str(ROOT),
                "BENCH_INVENTORY_URL": acquired.runtime.services["inventory"].url,
                "BENCH_TOKEN": str(config.credentials["clerk"].bearer),
                "PYTHONPATH": str(ROOT),
            }
            folders = {side: prepare(work, side, args.scenarios) for side in SIDES}
            times: dict[str, list[float]] = {side: [] for side in SIDES}
            for side in SIDES:  # warm-up: disk caches, .pyc files
                run_side(folders[side], work / f"results-{side}", env, state)
            for _ in range(args.rounds):
                for side in SIDES:
                    times[side].append(
                        run_side(folders[side], work / f"results-{side}", env, state)
                    )
            attachments = len(list((work / "results-interlock").glob("*-attachment*")))
        finally:
            environment.release(acquired, config)
    per = {side: statistics.median(times[side]) for side in SIDES}
    for side in SIDES:
        samples = times[side]
        print(
            f"{side:9} median {per[side]:.2f} s (min {min(samples):.2f}, max {max(samples):.2f},"
            f" n={len(samples)}), {per[side] / args.scenarios * 1000:.2f} ms per scenario"
        )
    print(f"{args.scenarios} scenarios, 2 requests each; interlock attached {attachments} files")
    print(f"ratio interlock / hand-written: {per['interlock'] / per['plain']:.2f}x (goal < 1.3x)")


if __name__ == "__main__":
    main()
