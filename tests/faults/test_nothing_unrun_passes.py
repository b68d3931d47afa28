"""Nothing passes that did not run: a doc string that swallows the scenarios below it,
a worker that ends before its scenarios reported, a run interrupted half-way, and
results written somewhere the run does not look. Each runs ``interlock`` in a
subprocess, as a user would, against the real embedded environment, and checks the
exit code, the names in the output and the sign-off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import interlock, interrupt, start_run, wait_until

pytestmark = pytest.mark.e2e

FAILING = (
    "Scenario: Fails, and must be seen failing\n"
    'Given the "inventory" service\n'
    'When I send a GET request to "/health"\n'
    "Then the response status should be 599\n"
)


def write(project: Path, name: str, text: str) -> str:
    path = project / "features" / "interface" / name
    path.write_text(text)
    return str(path.relative_to(project))


def verdict(project: Path, reports: str = "reports") -> str:
    pack = json.loads((project / reports / "signoff" / "signoff.json").read_text())
    return str(pack["verdict"])


# -- a doc string where none belongs --------------------------------------------------------


def test_an_unclosed_doc_string_is_a_syntax_error_not_a_pass(project: Path) -> None:
    """Written without indentation, the open doc string runs to the end of the file;
    behave drops it, and the failing scenario below it, without a word."""
    path = write(
        project, "unclosed.feature",
        "Feature: An unclosed doc string\n"
        "Scenario: Checks the health\n"
        'Given the "inventory" service\n'
        'When I send a GET request to "/health"\n'
        '"""\n'
        + FAILING,
    )  # fmt: skip
    lint = interlock(project, "lint", path)
    assert lint.returncode != 0, lint.stdout + lint.stderr
    assert f"{path}:5: error: not valid Gherkin: the doc string that opens at line 5" in (
        lint.stdout + lint.stderr
    )
    for options in ([], ["--no-lint"]):
        run = interlock(project, "run", "--no-report", *options, path)
        assert run.returncode == 2, run.stdout + run.stderr
        assert "the doc string that opens at line 5 is never closed" in run.stderr
        assert "MariaDB up" not in run.stderr  # stopped before anything started
        signoff = project / "reports" / "signoff"  # the run checks it can write it, no more
        assert not (signoff.exists() and any(signoff.iterdir()))  # no sign-off, no ACCEPTED


def test_a_doc_string_swallowing_a_scenario_into_a_step_that_takes_none(project: Path) -> None:
    """A stray \"\"\" closed by the next one: the failing scenario in between became the
    doc string of a step that reads none, so it never ran."""
    path = write(
        project, "swallowed.feature",
        "Feature: A doc string where none belongs\n"
        "Scenario: Checks the health\n"
        'Given the "inventory" service\n'
        'When I send a GET request to "/health"\n'
        '"""\n'
        + FAILING
        + '"""\n'
        "Then the response status should be 200\n",
    )  # fmt: skip
    lint = interlock(project, "lint", path)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert (
        f"{path}:5: error: this step takes no doc string, yet one starts at line 5" in lint.stdout
    )
    assert "lint: 1 error(s)" in lint.stdout

    run = interlock(project, "run", "--no-report", path)
    assert run.returncode == 2, run.stdout + run.stderr  # lint stops it: nothing ran
    assert "the feature files have errors, so nothing ran" in run.stderr

    run = interlock(project, "run", "--no-report", "--no-lint", path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{path}:5: this step takes no doc string, yet one starts at line 5" in run.stdout
    assert verdict(project) == "NOT ACCEPTED"


def test_a_table_under_a_step_that_takes_none_fails_that_step(project: Path) -> None:
    path = write(
        project, "table.feature",
        "Feature: A table where none belongs\n"
        "  Scenario: A table under the wrong step\n"
        '    Given the "shop" database\n'
        "      | sku | stock |\n"
        "      | A   | 1     |\n",
    )  # fmt: skip
    run = interlock(project, "run", "--no-report", "--no-lint", path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{path}:4: this step takes no table, yet one starts at line 4" in run.stdout


# -- a selected scenario that reports nothing -----------------------------------------------

QUITTER_STEPS = """
import sys

from behave import step


@step("a library the step calls ends the process")
def step_a_library_ends_the_process(context):
    sys.exit(0)
"""


def test_a_worker_that_ends_early_fails_the_run_naming_what_never_reported(
    project: Path,
) -> None:
    """A step calls code that calls sys.exit(0): the worker ends with exit 0 before
    the last scenario ran. Its exit code says nothing is wrong; the gap does."""
    (project / "steps" / "quitter_steps.py").write_text(QUITTER_STEPS)
    path = write(
        project, "quits.feature",
        "Feature: A worker that ends early\n"
        "  Scenario: Passes\n"
        '    Given the variable "a" is "1"\n'
        "\n"
        "  Scenario: Ends its worker\n"
        "    Given a library the step calls ends the process\n"
        "\n"
        "  Scenario: Never runs\n"
        '    Given the "inventory" service\n'
        '    When I send a GET request to "/health"\n'
        "    Then the response status should be 599\n",
    )  # fmt: skip
    run = interlock(project, "run", "--no-report", path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"MISSING {path}:8  Never runs" in run.stdout
    assert "1 selected scenario(s) reported no result" in run.stderr
    assert f"  - {path}:8  Never runs" in run.stderr
    assert run.stdout.splitlines()[-1] == "scenarios: 1 passed, 2 failed"
    assert (
        "the scenario stopped in the step Given a library the step calls ends the process"
        f" ({path}:6) and never finished it"
    ) in run.stdout  # not "skipped", as allure-behave had it
    assert verdict(project) == "NOT ACCEPTED"
    pack = json.loads((project / "reports" / "signoff" / "signoff.json").read_text())
    assert pack["reasons"][0].startswith(f"1 selected scenario(s) reported no result: {path}:8")
    # Later, from the results alone, the verdict is the same.
    signoff = interlock(project, "signoff")
    assert signoff.returncode == 1, signoff.stdout + signoff.stderr
    assert "NOT ACCEPTED" in signoff.stdout


def test_a_worker_that_ends_in_its_last_scenario_does_not_pass_it(project: Path) -> None:
    """No gap here: the scenario reported, but it never finished its step."""
    (project / "steps" / "quitter_steps.py").write_text(QUITTER_STEPS)
    path = write(
        project, "quits.feature",
        "Feature: A worker that ends in its last scenario\n"
        "  Scenario: Passes\n"
        '    Given the variable "a" is "1"\n'
        "\n"
        "  Scenario: Ends its worker\n"
        "    Given a library the step calls ends the process\n"
        '    Then the variable "b" is "2"\n',
    )  # fmt: skip
    run = interlock(project, "run", "--no-report", path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"BROKEN  {path}:5  Ends its worker" in run.stdout
    assert verdict(project) == "NOT ACCEPTED"


WAITING_STEPS = """
import os
import time
from pathlib import Path

from behave import step


@step("the step says it started, then waits")
def step_the_step_says_it_started(context):
    Path(os.environ["STARTED_MARK"]).write_text("started")
    time.sleep(60)
"""


def test_an_interrupted_run_names_what_did_not_run_and_is_not_accepted(project: Path) -> None:
    (project / "steps" / "waiting_steps.py").write_text(WAITING_STEPS)
    mark = project / "started.mark"
    path = write(
        project, "interrupted.feature",
        "Feature: Interrupted\n"
        "  Scenario: Passes\n"
        '    Given the variable "a" is "1"\n'
        "\n"
        "  Scenario: Interrupted\n"
        "    Given the step says it started, then waits\n"
        "\n"
        "  Scenario: Never started\n"
        '    Given the variable "a" is "1"\n',
    )  # fmt: skip
    process = start_run(project, "--no-report", path, env={"STARTED_MARK": str(mark)})
    wait_until(mark.exists, process, "the waiting step")
    output, _ = interrupt(process, "SIGINT in the second of three scenarios")
    assert f"MISSING {path}:8  Never started" in output
    assert "the run was interrupted before they ran" in output
    assert verdict(project) == "NOT ACCEPTED"


# -- paths.reports ----------------------------------------------------------------------------


def test_results_follow_paths_reports(project: Path) -> None:
    path = write(
        project, "health.feature",
        "Feature: Health\n"
        "  Scenario: The inventory is healthy\n"
        '    Given the "inventory" service\n'
        '    When I send a GET request to "/health"\n'
        "    Then the response status should be 200\n",
    )  # fmt: skip
    run = interlock(project, "run", "--no-report", "--set", "paths.reports=out2", path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 scenario: 1 passed" in run.stdout
    assert len(list((project / "out2" / "allure-results").glob("*-result.json"))) == 1
    assert (project / "out2" / "junit" / "junit.xml").read_text().startswith("<?xml")
    pack = json.loads((project / "out2" / "signoff" / "signoff.json").read_text())
    assert [r.split(":")[0] for r in pack["reasons"]] == ["partial run"]  # one file of the suite
    assert not (project / "reports" / "allure-results").exists()
