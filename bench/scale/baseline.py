"""The physical limit: the suite's requests sent by a bare ``requests`` script.

    python bench/scale/baseline.py --url http://127.0.0.1:PORT --scenarios 500 --threads 4

Each "scenario" is what a generated scenario does on the wire, and nothing else:
a new session, ``GET /items/n`` (status and ``id`` checked), ``GET /items/n+1``
(status checked), close. No behave, no report, no evidence. Prints
``N passed, M failed`` and exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

import requests


def scenario(url: str, n: int) -> bool:
    with requests.Session() as session:
        first = session.get(f"{url}/items/{n}", timeout=(5, 30))
        if first.status_code != 200 or first.json().get("id") != n:
            return False
        second = session.get(f"{url}/items/{n + 1}", timeout=(5, 30))
        return second.status_code == 200


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--scenarios", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    items = range(1, args.scenarios + 1)
    if args.threads <= 1:
        outcomes = [scenario(url, n) for n in items]
    else:
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            outcomes = list(pool.map(lambda n: scenario(url, n), items))
    passed = sum(outcomes)
    print(f"{passed} passed, {len(outcomes) - passed} failed")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
