"""Benchmark: how fast `interlock lsp` answers while an analyst types in a 200-line feature.

    .venv/bin/python bench/lsp/run.py [--lines 200] [--rounds 40]

Builds a feature of about N lines from the repository's own steps (Background, HTTP
steps with JSON doc strings and tables, database checks, domain steps, an Outline, two
typos), then, interleaved in every round so that all figures see the same machine load:

- **parse only**: behave's parser on the text, in this process: the floor, what any
  Gherkin tool pays;
- **lint on change**: `Project.diagnose` (lint of the unsaved text) in this process,
  after one step's text changed (a keystroke), the step matches remembered as in a
  running server;
- **didChange → diagnostics**: the same change sent to a real `interlock lsp`
  subprocess over stdio, timed until its publishDiagnostics for that version arrives
  (JSON both ways, the server's thread hand-off);
- **completion** (after "When I s": the "I send a ..." and "I save ..." phrasings) and
  **hover** (on a step that saves a response field) round trips over stdio.

Prints medians and 90th percentiles in ms, and each figure ÷ parse only. Target: a
200-line feature's diagnostics within 300 ms of a change. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from behave.parser import parse_feature  # noqa: E402

from interlock.lsp import Project  # noqa: E402
from tests.e2e.lsp_client import LspClient  # noqa: E402

HEAD = """\
Feature: Orders, as the shop's analysts write them

  Background:
    Given the "shop" database
    And the "inventory" service
"""
SCENARIO = """
  @REQ-{n}
  Scenario: Ordering a desk lamp works, case {n}
    Given the shop has 5 desk lamps in stock
    And the request headers:
      | name     | value      |
      | X-Trace  | ${{unique}}  |
    When I send a POST request to "/products" with JSON:
      \"\"\"
      {{"sku": "SKU-{n}-${{unique}}", "name": "Lamp {n}", "price": 19.9}}
      \"\"\"
    Then the response status should be {status}
    And the response field "sku" should be "SKU-{n}-${{unique}}"
    And I save the response field "sku" as "sku"
    When Ana orders 2 desk lamps
    Then Ana's order is confirmed
    And the table "orders" should have 1 row where "customer" is "Ana"
"""
OUTLINE = """
  @REQ-99
  Scenario Outline: Refusing <count> lamps
    Given the shop has 1 desk lamp in stock
    When Dora orders <count> desk lamps
    Then Dora's order is refused because the shop does not have enough in stock

    Examples:
      | count |
      | 2     |
      | 3     |
"""
TYPOS = """
  @REQ-100
  Scenario: Two typos an analyst makes
    When I sned a GET request to "/products"
    Then the respons status should be 200
"""


def feature(lines: int, status: int) -> str:
    """About ``lines`` lines; ``status`` is the one step text a round changes."""
    middle = []
    count = sum(p.count("\n") for p in (HEAD, OUTLINE, TYPOS))
    while count < lines:
        middle.append(SCENARIO.format(n=len(middle) + 1, status=status if not middle else 201))
        count += middle[-1].count("\n")
    return "".join([HEAD, *middle, OUTLINE, TYPOS])


def timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return (time.perf_counter() - started) * 1000


def change(client: LspClient, uri: str, text: str, version: int) -> None:
    """A full-text didChange, and its diagnostics."""
    client.change(uri, text, version)
    client.diagnostics(uri, version)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--lines", type=int, default=200, help="the feature's size in lines")
    options.add_argument("--rounds", type=int, default=40)
    args = options.parse_args()

    text = feature(args.lines, 200)
    path = ROOT / "features" / "bench-lsp.feature"  # never written: the editor's buffer
    project = Project.load(ROOT)
    problems = project.diagnose(path, text)
    print(f"feature: {text.count(chr(10))} lines, {len(text)} characters; lint finds:")
    for problem in problems:
        print(f"  {problem}")
    cold = Project.load(ROOT)  # same registry; a fresh library has no remembered matches
    assert cold.library is not None and project.library is not None
    cold.library._matches.clear()
    first_lint = timed(lambda: cold.diagnose(path, feature(args.lines, 299)))

    figures: dict[str, list[float]] = {
        "parse only (behave's parser, in process)": [],
        "lint on change (in process)": [],
        "didChange → diagnostics (stdio)": [],
        "completion (stdio)": [],
        "hover (stdio)": [],
    }
    names = list(figures)
    with tempfile.TemporaryDirectory() as work:
        client = LspClient(ROOT, log=Path(work) / "stderr.log")
        client.pause = 0.0002  # the client's own wait would otherwise show in the figures
        try:
            client.initialize(ROOT)
            uri = path.as_uri()
            client.open(uri, text)
            client.diagnostics(uri, 1)
            typo_line = text.splitlines().index('    When I sned a GET request to "/products"')
            step_line = text.splitlines().index('    And I save the response field "sku" as "sku"')
            for round_ in range(args.rounds):
                changed = feature(args.lines, 200 + round_ % 50)
                figures[names[0]].append(timed(parse_feature, changed, None, str(path)))
                figures[names[1]].append(timed(project.diagnose, path, changed))
                figures[names[2]].append(timed(change, client, uri, changed, round_ + 2))
                figures[names[3]].append(
                    timed(lambda: client.at("textDocument/completion", uri, typo_line, 12))
                )
                figures[names[4]].append(
                    timed(lambda: client.at("textDocument/hover", uri, step_line, 10))
                )
        finally:
            client.close()
        assert client.garbage == [], client.garbage

    base = statistics.median(figures[names[0]])
    print(f"\n{args.rounds} rounds, interleaved; ms\n")
    print("| figure | median ms | p90 ms | ÷ parse only |")
    print("|---|---|---|---|")
    for name, values in figures.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {p90:.1f} | {median / base:.2f} |")
    print(f"| first lint (no step matches remembered) | {first_lint:.1f} |  | "
          f"{first_lint / base:.2f} |")  # fmt: skip
    worst = sorted(figures[names[2]])[min(args.rounds - 1, int(args.rounds * 0.9))]
    verdict = "met" if worst < 300 else "MISSED"
    print(f"\ntarget: diagnostics within 300 ms of a change (p90): {worst:.1f} ms, {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
