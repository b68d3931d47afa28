"""Benchmark: what a real browser costs. The browser's start per worker, a fresh context
per scenario, and one order placed through the storefront's pages against the same
order placed through the orders API, side by side on the embedded demo shop.

    .venv/bin/python bench/browser/run.py [--starts 3] [--contexts 20] [--flows 10]

Prints medians and ranges, the context time against its 150 ms target, and the ratio
of a browser flow to the API flow. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from interlock.browser import Engine, Screen  # noqa: E402
from interlock.config import load_config  # noqa: E402
from interlock.config_models import BrowserSettings  # noqa: E402
from interlock.environment import health, stack  # noqa: E402
from interlock.masking import Masker  # noqa: E402

TARGET_CONTEXT_MS = 150.0


def describe(name: str, samples: list[float], unit: str = "ms") -> str:
    return (
        f"{name:34} median {statistics.median(samples):8.1f} {unit}"
        f"  (min {min(samples):.1f}, max {max(samples):.1f}, n={len(samples)})"
    )


def browser_starts(settings: BrowserSettings, runs: int) -> list[float]:
    """A worker's first web page step pays this: Playwright's driver and Chromium."""
    samples = []
    for _ in range(runs):
        engine = Engine(settings, None, lambda _: None, "bench")
        started = time.perf_counter()
        engine.browser()
        samples.append((time.perf_counter() - started) * 1000)
        engine.close()
    return samples


def contexts(engine: Engine, runs: int) -> dict[str, list[float]]:
    """Each scenario's first web page step pays the context and its page (a renderer
    process); its end, the close."""
    timings: dict[str, list[float]] = {"context": [], "page": [], "close": []}
    for _ in range(runs):
        started = time.perf_counter()
        context = engine.new_context()
        opened = time.perf_counter()
        context.new_page().goto("about:blank")
        shown = time.perf_counter()
        context.close()
        closed = time.perf_counter()
        timings["context"].append((opened - started) * 1000)
        timings["page"].append((shown - opened) * 1000)
        timings["close"].append((closed - shown) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--contexts", type=int, default=20)
    parser.add_argument("--flows", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="interlock-bench-") as tmp:
        config = load_config(
            ROOT, env="local", overrides=[f"paths.state={Path(tmp) / 'state'}"], environ={}
        )
        runtime = stack.start(config, owner_pid=0)
        try:
            problems = [str(p) for p in health.check(config, runtime)]
            if problems:
                raise SystemExit(f"environment came up unhealthy: {problems}")
            run(config, runtime, args)
        finally:
            stack.stop(runtime, config.state_dir)


def run(config: object, runtime: object, args: argparse.Namespace) -> None:
    urls = {name: s.url for name, s in runtime.services.items()}  # type: ignore[attr-defined]
    token = config.credentials["clerk"].bearer  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    settings = BrowserSettings.model_validate({})
    quiet = BrowserSettings.model_validate({"screenshots": "failures"})

    def product() -> str:
        sku = f"BENCH-{secrets.token_hex(4)}"
        body = {"sku": sku, "name": "Bench lamp", "price": 10, "stock": 1000}
        session.post(f"{urls['inventory']}/products", json=body, headers=auth).raise_for_status()
        return sku

    def through_the_api(sku: str) -> None:
        body = {"customer": "bench", "sku": sku, "quantity": 1}
        answer = session.post(f"{urls['orders']}/orders", json=body, headers=auth)
        assert answer.status_code == 201, answer.text
        session.get(f"{urls['orders']}/orders/{answer.json()['id']}").raise_for_status()

    def through_the_storefront(chosen: BrowserSettings) -> Callable[[str], None]:
        def flow(sku: str) -> None:
            screen = Screen(engine, chosen, Masker(), lambda name: urls[name])
            try:
                screen.open("storefront", "/shop")
                screen.fill("Your name", "bench")
                screen.choose(f"Bench lamp ({sku})", "Product")
                screen.fill("Quantity", "1")
                screen.click("Place order")
                screen.sees("Order confirmed")
            finally:
                screen.close()

        return flow

    starts = browser_starts(settings, args.starts)
    # One browser, as in a worker (Playwright's sync API allows one per thread).
    engine = Engine(settings, None, lambda _: None, "bench")
    try:
        fresh = contexts(engine, args.contexts)
        sides: dict[str, Callable[[str], None]] = {
            "API (requests)": through_the_api,
            "storefront, screenshot each step": through_the_storefront(settings),
            "storefront, screenshots on failure": through_the_storefront(quiet),
        }
        timings: dict[str, list[float]] = {name: [] for name in sides}
        for flow in sides.values():  # warm-up, not counted
            flow(product())
        for _ in range(args.flows):  # interleaved, so every side sees the same machine load
            for name, flow in sides.items():
                sku = product()
                started = time.perf_counter()
                flow(sku)
                timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        engine.close()
    print(describe("browser start (once per worker)", starts))
    print(describe("new context (per scenario)", fresh["context"]))
    print(describe("its first page (per scenario)", fresh["page"]))
    print(describe("context close (per scenario)", fresh["close"]))
    for what, samples in (
        ("a fresh context", fresh["context"]),
        (
            "a fresh context with its page",
            [a + b for a, b in zip(fresh["context"], fresh["page"], strict=True)],
        ),
    ):
        verdict = "meets" if statistics.median(samples) < TARGET_CONTEXT_MS else "MISSES"
        print(f"{what} per scenario {verdict} the {TARGET_CONTEXT_MS:g} ms target")
    api = statistics.median(timings["API (requests)"])
    for name, samples in timings.items():
        print(describe(f"order: {name}", samples) + f"  {statistics.median(samples) / api:5.1f}x")


if __name__ == "__main__":
    main()
