"""At a terminal the HTML report is built after ``interlock run`` exits (issue 20): by a
forked builder that publishes nothing that leaks and that the next run stops."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from interlock import background_report, report, secret_scan
from interlock.config import load_config
from interlock.environment.processes import pid_alive
from tests.conftest import REPO, interlock, wait_until

SCENARIO = "features/interface/orders_api.feature:11"
BACKGROUND = {background_report.MODE_ENV: "background"}


def _settle(project: Path) -> None:
    """Wait for the builder to finish (it removes its pid file last)."""
    pid_file = project / ".interlock" / background_report.PID_FILE
    wait_until(lambda: not pid_file.exists(), None, "the end of the background build", 120)


def test_the_report_is_built_after_the_run_exits(running: Path) -> None:
    (running / "node_modules").symlink_to(REPO / "node_modules")
    done = interlock(running, "run", SCENARIO, env=BACKGROUND)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report: building in the background" in done.stdout
    _settle(running)
    reports = running / "reports"
    log = (reports / "logs" / background_report.LOG).read_text()
    assert f"report: {reports / 'allure-report' / 'index.html'}" in log, log
    assert (reports / "allure-report" / "index.html").is_file()
    assert not list(reports.glob(".allure-report-*"))


def test_the_next_run_stops_a_build_under_way(running: Path) -> None:
    (running / "node_modules").symlink_to(REPO / "node_modules")
    first = interlock(running, "run", SCENARIO, env=BACKGROUND)
    assert first.returncode == 0, first.stdout + first.stderr
    pid_file = running / ".interlock" / background_report.PID_FILE
    if not pid_file.exists():
        pytest.skip("the build finished before the next run started")
    builder = int(pid_file.read_text().split()[0])
    second = interlock(running, "run", "--no-report", SCENARIO)
    assert second.returncode == 0, second.stdout + second.stderr
    assert not pid_alive(builder), "the builder outlived the next run's start"
    assert not pid_file.exists()
    assert not list((running / "reports").glob(".allure-report-*")), "a half-built report"


def test_wait_is_kept_for_scripts_and_ci() -> None:
    assert background_report.wanted({}, interactive=True)
    assert not background_report.wanted({}, interactive=False)
    assert not background_report.wanted({"CI": "true"}, interactive=True)
    assert not background_report.wanted({background_report.MODE_ENV: "wait"}, interactive=True)
    assert background_report.wanted({background_report.MODE_ENV: "background"}, False)


def test_a_built_report_that_leaks_is_not_published(tmp_path: Path) -> None:
    cli = report.allure_cli(REPO)
    if cli is None:
        pytest.skip("no Allure CLI (npm ci)")
    shutil.copytree(REPO / "config", tmp_path / "config")
    config = load_config(root=tmp_path, env="local")
    results = tmp_path / "results"
    results.mkdir()
    secret = "s3cr3t-token-value"
    (results / "0-result.json").write_text(
        json.dumps(
            {"uuid": "0", "name": f"leaks {secret}", "status": "passed", "start": 1, "stop": 2}
        )
    )
    target = tmp_path / "reports" / "allure-report"
    found: list[str] = []

    def refuse(folder: Path) -> str | None:
        leaks = secret_scan.scan(folder, [secret])
        found.extend(str(f) for f in leaks)
        return "leaked" if leaks else None

    real = report.allure_cli
    try:
        report.allure_cli = lambda root: cli  # type: ignore[assignment]
        built, message = report.build_html(config, results, target, refuse)
    finally:
        report.allure_cli = real  # type: ignore[assignment]
    assert (built, message) == (False, "leaked") and found
    assert not target.exists()
    assert not list(target.parent.glob(".allure-report-*"))
