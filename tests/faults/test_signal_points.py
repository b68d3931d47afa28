"""A signal at every point of a behave run, not only inside a step: in each kind of
hook, between two steps, and at a random moment of a scenario of many quick steps;
with 1 and with 2 workers.

The project's ``environment.py`` is replaced by one that wraps interlock's hooks and
pauses at one point, as a user's own hook code would: briefly (the signal is noted and
acted on at the next safe point) or for good (a hook that hangs: the signal must get
the run out all the same). Each run must exit 130 within the 7.5 s CI systems grant,
run the cleanups (the seeded rows are gone), leave results and JUnit that parse, and
leave no process behind. ``scripts/soak_signals.sh`` repeats these 20 times.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import interrupt, start_run, wait_until
from tests.e2e.test_database_cleanup import snapshot

pytestmark = pytest.mark.e2e

PAUSING_ENVIRONMENT = '''\
"""interlock's hooks, with a pause at one point of the run (for the signal tests)."""

import os
import time
from pathlib import Path

from interlock import hooks

POINT = os.environ.get("SIGNAL_TEST_POINT", "")
SECONDS = float(os.environ.get("SIGNAL_TEST_SECONDS", "0"))
MARK = Path(os.environ.get("SIGNAL_TEST_MARK", "pause-reached"))


def pause(point):
    if point == POINT and not MARK.exists():
        MARK.write_text(point)
        time.sleep(SECONDS)


def before_all(context):
    pause("before_all")  # before interlock's part: nothing is attached yet
    hooks.before_all(context)


def before_scenario(context, scenario):
    hooks.before_scenario(context, scenario)
    pause("before_scenario")


def before_step(context, step):
    hooks.before_step(context, step)


def after_step(context, step):
    pause("between_steps")  # after the first step: behave is between two steps


def after_scenario(context, scenario):
    pause("after_scenario")  # before interlock's part: no cleanup has run yet
    hooks.after_scenario(context, scenario)


def after_all(context):
    pause("after_all")  # before interlock's part: the teardown has not begun
    hooks.after_all(context)
'''

SCENARIO = """
  Scenario: {name}
    Given these rows exist in the table "products":
      | sku           | name | price | stock |
      | SIG-${{unique}} | x    | 1.00  | 1     |
    And the variable "a" is "1"
    And the variable "b" is "2"
"""
FEATURE = "Feature: Signals\n" + SCENARIO.format(name="First") + SCENARIO.format(name="Second")

POINTS = ("before_all", "before_scenario", "between_steps", "after_scenario", "after_all")
BRIEF, HANGS = 1.5, 60.0  # a pause shorter than interlock's grace, and one that never ends


def _results_parse(project: Path) -> None:
    reports = project / "reports"
    for path in (reports / "allure-results").glob("*.json"):
        json.loads(path.read_text())  # raises on a half-written file
    junit = reports / "junit" / "junit.xml"
    assert junit.exists(), "no JUnit was written"
    ET.parse(junit)


def _interrupt(
    process: subprocess.Popen[str], before: dict[str, object], project: Path, point: str
) -> None:
    """SIGINT now; then what every interrupted run must leave."""
    output, _ = interrupt(process, point)
    assert "Traceback" not in output, output
    # The scenario's own cleanups removed them: the sweep from the journal is for runs
    # that were killed, not interrupted.
    assert "left behind" not in output, output
    assert snapshot(project) == before, "the seeded rows were not removed"
    _results_parse(project)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("point", "seconds"),
    [(point, BRIEF) for point in POINTS] + [("before_all", HANGS), ("between_steps", HANGS)],
    ids=lambda v: str(v),
)
def test_a_signal_at_each_point_of_the_run(
    running: Path, point: str, seconds: float, workers: int
) -> None:
    (running / "environment.py").write_text(PAUSING_ENVIRONMENT)
    feature = running / "features" / "interface" / "signals.feature"
    feature.write_text(FEATURE)
    mark = running / "pause-reached"
    before = snapshot(running)
    process = start_run(
        running, "--no-report", "--workers", str(workers), str(feature.relative_to(running)),
        env={"SIGNAL_TEST_POINT": point, "SIGNAL_TEST_SECONDS": str(seconds),
             "SIGNAL_TEST_MARK": str(mark)},
    )  # fmt: skip
    wait_until(mark.exists, process, f"the pause at {point}")
    _interrupt(process, before, running, f"{point} ({seconds:g} s pause, {workers} worker(s))")


def test_a_signal_at_a_random_moment_of_many_quick_steps(running: Path) -> None:
    steps = "".join(f'    And the variable "v{i}" is "{i}"\n' for i in range(20000))
    feature = running / "features" / "interface" / "quick.feature"
    feature.write_text(
        "Feature: Quick steps\n  Scenario: Many quick steps\n"
        '    Given these rows exist in the table "products":\n'
        "      | sku           | name | price | stock |\n"
        "      | QCK-${unique} | q    | 1.00  | 1     |\n" + steps
    )
    before = snapshot(running)
    process = start_run(running, "--no-report", str(feature.relative_to(running)))

    def seeded() -> bool:
        return any(r[0].startswith("QCK-") for r in snapshot(running)["products"])

    wait_until(seeded, process, "the seeding")
    delay = random.uniform(0, 0.5)
    print(f"the signal goes {delay:.3f} s into the steps")
    time.sleep(delay)
    _interrupt(process, before, running, "a random moment")
