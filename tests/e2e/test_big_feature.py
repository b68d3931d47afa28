"""A feature file larger than a behave process's share (issue 20): each process builds
and runs only its part, and every result still names the scenario's own file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e

BIG = """\
Feature: Bigger than a process
  Background:
    Given the variable "b" is "1"

  Scenario: first
    Given the variable "v" is "1"

  Scenario Outline: row <n>
    Given the variable "v" is "<n>"
    Examples:
      | n |
      | 2 |
      | 3 |
      | 4 |

  Scenario: fails on purpose
    Given this step fails

  Rule: a rule
    Background:
      Given the variable "r" is "1"

    Scenario: ruled
      Given the variable "v" is "6"

    Scenario Outline: ruled row <n>
      Given the variable "v" is "<n>"
      Examples:
        | n |
        | 7 |
        | 8 |

    Scenario: last
      Given the variable "v" is "9"
"""

STEPS = """
from behave import step

@step("this step fails")
def step_fails(context):
    raise AssertionError("failing on purpose")
"""

# A hook that writes down what each behave process built of the feature.
HOOK = """

import json as _json
import os as _os


def before_feature(context, feature):
    with open(_os.environ["BUILT_LOG"], "a") as out:
        built = [f"{s.location.filename}:{s.location.line}" for s in feature.walk_scenarios()]
        out.write(_json.dumps([_os.environ["INTERLOCK_WORKER"], built]) + "\\n")
"""


def expected_locations(relative: str) -> dict[str, str]:
    """Each scenario's name as reports show it -> ``file:line`` (an Outline's rows by
    their Examples row), from the text."""
    found: dict[str, str] = {}
    outline = ""
    for number, line in enumerate(BIG.splitlines(), 1):
        text = line.strip()
        if text.startswith("Scenario:"):
            found[text.split(":", 1)[1].strip()] = f"{relative}:{number}"
        elif text.startswith("Scenario Outline:"):
            outline = text.split(":", 1)[1].strip()
        elif re.fullmatch(r"\| \d \|", text):
            n = text.strip("| ")
            found[f"{outline.replace('<n>', n)} — n={n}"] = f"{relative}:{number}"
    return found


def results(project: Path) -> list[dict[str, object]]:
    folder = project / "reports" / "allure-results"
    return [json.loads(p.read_text()) for p in folder.glob("*-result.json")]


def label(result: dict[str, object], name: str) -> str:
    labels = result["labels"]
    assert isinstance(labels, list)
    return next(str(x["value"]) for x in labels if x["name"] == name)


@pytest.mark.parametrize("start", ["fork", "subprocess"])
def test_each_process_builds_only_its_part_and_results_keep_their_file_and_line(
    project: Path, tmp_path: Path, start: str
) -> None:
    feature = project / "features" / "interface" / "big.feature"
    feature.write_text(BIG)
    relative = str(feature.relative_to(project))
    (project / "steps" / "test_only_steps.py").write_text(STEPS)
    with open(project / "environment.py", "a") as hooks:
        hooks.write(HOOK)
    built_log = tmp_path / "built.jsonl"
    env = {"INTERLOCK_WORKER_START": start, "BUILT_LOG": str(built_log)}
    run = interlock(
        project, "run", "--no-report", "--workers", "2",
        "--set", "run.scenarios_per_process=2", relative, env=env,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    expected = expected_locations(relative)
    assert len(expected) == 9

    # Every process built only the scenarios it ran: at most two, none twice, all once.
    built = [json.loads(line) for line in built_log.read_text().splitlines()]
    workers = {worker for worker, _ in built}
    assert len(workers) == len(built) >= 5, built  # 9 scenarios, two workers, 2 a process
    assert {"w1", "w1.2", "w2", "w2.2"} <= workers, built
    assert all(1 <= len(locations) <= 2 for _, locations in built), built
    every = [location for _, locations in built for location in locations]
    assert sorted(every) == sorted(expected.values()), built
    logs = project / "reports" / "logs" / "workers"
    for worker, locations in built:
        summary = (logs / f"{worker}.log").read_text()
        counts = re.search(r"(\d+) scenarios? passed, (\d+) failed, (\d+) skipped", summary)
        assert counts is not None, summary
        passed, failed, skipped = map(int, counts.groups())
        assert (passed + failed, skipped) == (len(locations), 0), summary

    # Each result names its scenario's own file:line, and each scenario has one.
    found = {str(r["name"]): (label(r, "location"), r["status"]) for r in results(project)}
    assert {name: where for name, (where, _) in found.items()} == expected
    assert {name for name, (_, status) in found.items() if status != "passed"} == {
        "fails on purpose"
    }
    assert label(next(r for r in results(project) if r["name"] == "ruled"), "story") == "a rule"
    junit = (project / "reports" / "junit" / "junit.xml").read_text()
    assert 'tests="9"' in junit and 'failures="1"' in junit
    assert f"FAILED  {expected['fails on purpose']}" in run.stdout
    assert "MISSING" not in run.stdout

    # --rerun-failed finds the failed scenario again by its file:line.
    rerun = interlock(
        project, "run", "--no-report", "--rerun-failed",
        "--set", "run.scenarios_per_process=2", env=env,
    )  # fmt: skip
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr
    again = [(str(r["name"]), label(r, "location")) for r in results(project)]
    assert again == [("fails on purpose", expected["fails on purpose"])]
