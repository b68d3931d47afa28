"""Benchmark: probing the three demo services with requests generated from their OpenAPI
documents (schemathesis on hypothesis, through interlock.probing), at least N examples of
each kind (valid, invalid) per operation.

    .venv/bin/python bench/contracts/run.py [--examples 50] [--seed 4711]

Starts the embedded environment once (MariaDB and the demo services, from the `local`
config, in a temporary state folder, so the rows the probe makes the services create go
with it), probes inventory, orders and notifications one after another as the probing
step does, and prints per service the operations, the requests sent, the time and the
examples per second, then the total. Target: under 60 s in all with 50 examples per
operation. Not a test: nothing fails (a finding is printed, not raised).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from interlock import environment, probing  # noqa: E402
from interlock.auth import TokenContext, auth_headers  # noqa: E402
from interlock.config import load_config  # noqa: E402
from interlock.http import service_targets  # noqa: E402
from interlock.masking import Masker  # noqa: E402

SERVICES = ("inventory", "orders", "notifications")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="per operation and kind")
    parser.add_argument("--seed", type=int, default=4711)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="interlock-bench-contracts-") as tmp:
        config = load_config(ROOT, env="local", overrides=[f"paths.state={Path(tmp) / 'state'}"])
        acquired = environment.acquire(config)
        try:
            masker = Masker(config.secrets)
            targets = service_targets(config, acquired.runtime)
            limits = probing.Limits(args.examples, 600, args.seed, config.probing.negative)
            started = time.perf_counter()
            total = 0
            for name in SERVICES:
                target = targets[name]
                assert target.openapi is not None, f"{name} has no OpenAPI document"
                ctx = TokenContext(config.http, lambda n: targets[n].url, masker)
                headers = {**auth_headers(target.credentials, ctx), **target.headers}
                probe = probing.probe(
                    name, target.openapi, target.url, headers, limits, config.http, masker
                )
                total += probe.sent
                rate = probe.sent / probe.elapsed if probe.elapsed else 0.0
                print(
                    f"{name:14} {len(probe.runs):2} operations {probe.sent:5} requests"
                    f" {probe.elapsed:6.1f} s {rate:6.0f} examples/s"
                    f" {len(probe.findings)} finding(s)"
                )
                for run in probe.runs:  # an operation without inputs has few distinct ones
                    print(f"  {run.operation:28} {run.sent:4} requests")
                for finding in probe.findings:
                    print("  " + finding.text().splitlines()[0])
            elapsed = time.perf_counter() - started
        finally:
            environment.release(acquired, config)
    print(
        f"total: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f} examples/s),"
        f" at most {args.examples} per operation and kind, seed {args.seed}"
        f" (target: under 60 s)"
    )


if __name__ == "__main__":
    main()
