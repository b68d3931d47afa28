"""Files a run reads stay inside their folders, and bad files or folders are named
errors, never tracebacks. Each test runs ``interlock`` in a subprocess against a copy
of the project (the ``project`` fixture), as a user would.

The leak tests name ``/etc/passwd``, ``/proc/self/environ`` (this run's environment,
with a marker planted in it), ``../`` escapes and symlinks pointing out of the data
folder, and check that nothing of those files reaches the output or ``reports/``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, interlock

pytestmark = pytest.mark.e2e

PASSWD = "root:x:0:0:"  # what /etc/passwd starts with on every Linux
MARKER = "planted-env-value-31337"  # in the run's environment, so in /proc/self/environ
ENV = {"INTERLOCK_PROBE_SECRET": MARKER}
ESCAPE = "../" * 12 + "etc/passwd"


def feature(project: Path, name: str, text: str) -> str:
    path = project / "features" / "interface" / name
    path.write_text(text)
    return str(path.relative_to(project))


def embedded(project: Path) -> str:
    """The data the HTML report embeds (base64), decoded."""
    return "\n".join(
        base64.b64decode(item + "==").decode(errors="replace")
        for page in (project / "reports" / "allure-report").rglob("*.html")
        for item in re.findall(r'd\("data/[^"]+","([A-Za-z0-9+/=]+)"\)', page.read_text())
    )


def written(project: Path) -> str:
    """Everything under reports/ (results, attachments, JUnit, summary, sign-off, the
    HTML report's embedded data)."""
    files = [p for p in (project / "reports").rglob("*") if p.is_file()]
    return "\n".join([*(p.read_text(errors="replace") for p in files), embedded(project)])


def assert_nothing_leaked(project: Path, result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    for text, where in ((output, "the output"), (written(project), "reports/")):
        assert PASSWD not in text, f"/etc/passwd leaked into {where}"
        assert MARKER not in text, f"the environment leaked into {where}"


def results(project: Path) -> dict[str, str]:
    """Each scenario's name and failure message, from its Allure result."""
    found = {}
    for path in (project / "reports" / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text())
        found[data["name"]] = data.get("statusDetails", {}).get("message", "")
    return found


# -- data files named by steps ------------------------------------------------------------


def test_no_step_reads_a_file_outside_the_data_folder(project: Path) -> None:
    data = project / "features" / "data"
    (data / "payloads" / "link.json").symlink_to("/etc/passwd")
    (data / "schemas" / "link.json").symlink_to("/proc/self/environ")
    (data / "sql" / "link.sql").symlink_to("/etc/passwd")
    names = {
        "/etc/passwd": "/etc/passwd",
        "an absolute path": "/proc/self/environ",
        "a ../ escape": ESCAPE,
    }
    steps = {
        "payload": '    Given the "inventory" service\n'
        '    When I send a POST request to "/products" with the JSON file "{}"\n',
        "schema": '    Given the "inventory" service\n    When I send a GET request to "/health"\n'
        '    Then the response should match the JSON schema "{}"\n',
        "script": '    Given the "shop" database\n    When I run the SQL script "{}"\n',
    }
    links = {
        "payload": "payloads/link.json",
        "schema": "schemas/link.json",
        "script": "sql/link.sql",
    }
    text = "Feature: Paths\n"
    expected = {}
    for kind, step in steps.items():
        for label, name in [*names.items(), ("a symlink out", links[kind])]:
            title = f"{kind} named by {label}"
            text += f"\n  Scenario: {title}\n" + step.format(name)
            expected[title] = name
    path = feature(project, "paths.feature", text)
    (project / "node_modules").symlink_to(REPO / "node_modules")  # the HTML report too

    result = interlock(project, "run", path, env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "is outside the data folder" in embedded(project)  # the HTML report was read
    found = results(project)
    assert set(found) == set(expected)
    for title, name in expected.items():
        assert f"the file {name!r} is outside the data folder features/data/" in found[title], title
        assert "paths.feature:" in found[title]  # the step's own line
    assert_nothing_leaked(project, result)


def test_a_cleanup_script_linked_out_of_the_data_folder_is_not_run(project: Path) -> None:
    sql = project / "features" / "data" / "sql"
    (sql / "probe.sql").write_text("SELECT 1;\n")
    (sql / "probe.cleanup.sql").symlink_to("/etc/passwd")
    path = feature(
        project, "companion.feature",
        'Feature: Companion\n  Scenario: A script with a companion\n'
        '    Given the "shop" database\n    When I run the SQL script "sql/probe.sql"\n',
    )  # fmt: skip

    result = interlock(project, "run", "--no-report", path, env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "the cleanup script sql/probe.cleanup.sql leads outside the data folder" in (
        result.stdout
    )
    assert_nothing_leaked(project, result)


def test_a_data_file_error_quotes_only_a_short_excerpt(project: Path) -> None:
    """A file in the data folder that is not JSON: its line is quoted around the error,
    never whole (a 5,000-character line holding a secret-looking tail)."""
    line = '{"a": ' + "x" * 100 + " " * 4000 + MARKER + "}"
    (project / "features" / "data" / "payloads" / "long.json").write_text(line)
    path = feature(
        project, "long.feature",
        'Feature: Long\n  Scenario: A long broken line\n    Given the "inventory" service\n'
        '    When I send a POST request to "/products" with the JSON file "payloads/long.json"\n',
    )  # fmt: skip

    result = interlock(project, "run", "--no-report", path)

    assert result.returncode == 1
    (message,) = results(project).values()
    assert "payloads/long.json:1" in message and "not valid JSON" in message
    assert len(message) < 600, message
    assert_nothing_leaked(project, result)


# -- files named by the config ------------------------------------------------------------


def test_config_files_outside_the_suite_are_a_config_error(project: Path) -> None:
    (project / "config" / "link.yaml").symlink_to("/etc/passwd")
    result = interlock(
        project, "run", "--no-report",
        "--set", "databases.shop.schema=[/etc/passwd]",
        "--set", "services.inventory.openapi=config/link.yaml",
        "--set", f"services.orders.openapi={ESCAPE}",
        "--set", "standins.inventory.contract=/proc/self/environ",
        "--set", "http.verify=/etc/passwd",
        env=ENV,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    for key, named in (
        ("databases.shop.schema", "/etc/passwd"),
        ("services.inventory.openapi", "config/link.yaml"),
        ("services.orders.openapi", ESCAPE),
        ("standins.inventory.contract", "/proc/self/environ"),
        ("http.verify", "/etc/passwd"),
    ):
        assert f"{key} names {named}, which is outside the suite's folder" in result.stderr, key
    assert "MariaDB up" not in result.stderr
    assert_nothing_leaked(project, result)


# -- bad files and folders: named errors, exit 2 --------------------------------------------


def test_a_feature_file_that_is_not_utf8_is_named(project: Path) -> None:
    feature(project, "binary.feature", "")
    (project / "features" / "interface" / "binary.feature").write_bytes(
        b"Feature: Binary\n  Scenario: \xff\xfe\x00\x01\n    Given x\n"
    )
    # lint lists it with every other problem (exit 1); a run cannot start (exit 2).
    for args, code in (
        (("run", "--no-report"), 2),
        (("run", "--no-report", "--no-lint"), 2),
        (("lint",), 1),
    ):
        result = interlock(project, *args)
        output = result.stdout + result.stderr
        assert result.returncode == code, (args, output)
        assert "Traceback" not in output, output
        assert "features/interface/binary.feature:2" in output, output
        assert "not UTF-8 text: byte 0xff" in output
        assert "MariaDB up" not in output


def test_a_sql_script_that_is_not_utf8_is_named(project: Path) -> None:
    sql = project / "features" / "data" / "sql"
    (sql / "latin1.sql").write_bytes("SELECT 1;\nSELECT 'caf\u00e9';\n".encode("latin-1"))
    path = feature(
        project, "latin1.feature",
        'Feature: Latin-1\n  Scenario: A script in Latin-1\n'
        '    Given the "shop" database\n    When I run the SQL script "sql/latin1.sql"\n',
    )  # fmt: skip
    # Named in a step: that scenario is broken (its input is wrong), like bad JSON.
    result = interlock(project, "run", "--no-report", path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "SQL script sql/latin1.sql:2: not UTF-8 text (byte 0xe9)" in result.stdout
    # As a database's schema: the environment cannot start, so the suite cannot run.
    result = interlock(
        project, "run", "--no-report", path,
        "--set", "databases.shop.schema=[features/data/sql/latin1.sql]",
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "features/data/sql/latin1.sql:2: not UTF-8 text (byte 0xe9)" in result.stderr


@pytest.fixture
def immutable_reports(project: Path) -> Iterator[Path]:
    """reports/ made immutable (``chattr +i``): not even root may add a file to it.
    Its subfolders, left by an earlier run, stay writable, so the run gets as far as
    its summary (``reports/summary.txt``, which that run did not leave)."""
    reports = project / "reports"
    for folder in ("allure-results", "junit", "logs/workers", "history", "signoff"):
        (reports / folder).mkdir(parents=True)
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    made = subprocess.run(["chattr", "+i", str(reports)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {made.stderr.decode().strip()}")
    try:
        yield reports
    finally:
        subprocess.run(["chattr", "-i", str(reports)], check=True)


def test_a_read_only_reports_folder_stops_the_run_before_it_starts(
    project: Path, immutable_reports: Path
) -> None:
    path = feature(
        project, "ok.feature",
        'Feature: Fine\n  Scenario: Fine\n    Given the "inventory" service\n'
        '    When I send a GET request to "/health"\n',
    )  # fmt: skip
    result = interlock(project, "run", path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"cannot write the run's results to {immutable_reports}" in result.stderr
    assert "MariaDB up" not in result.stderr  # nothing started


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("reports/logs", "cannot write the run's results to {}: it is a file, not a folder"),
        ("reports/history", "cannot write the run's results to {}: it is a file, not a folder"),
        ("reports/summary.txt/x", "cannot write the run's results to {}: it is a folder"),
        (".interlock", "cannot write the run's state to {}: it is a file, not a folder"),
    ],
)
def test_a_file_where_a_run_needs_a_folder_stops_the_run(
    project: Path, file: str, message: str
) -> None:
    target = project / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not a folder\n")
    named = target.parent if file.endswith("/x") else target
    result = interlock(project, "run", "--no-report")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert message.format(named) in result.stderr
    assert "MariaDB up" not in result.stderr


def test_a_state_file_where_the_folder_should_be_stops_up_and_down(project: Path) -> None:
    (project / ".interlock").write_text("not a folder\n")
    for command in ("up", "down"):
        result = interlock(project, command)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert "it is a file, not a folder" in result.stderr


@pytest.mark.parametrize("record", ["[]", "garbage{", '{"statuses": "x"}', "[" * 100_000])
def test_an_unreadable_last_run_record_is_ignored_with_a_warning(
    project: Path, record: str
) -> None:
    history = project / "reports" / "history"
    history.mkdir(parents=True)
    (history / "last-run.json").write_text(record)
    path = feature(
        project, "ok.feature",
        'Feature: Fine\n  Scenario: Fine\n    Given the "inventory" service\n'
        '    When I send a GET request to "/health"\n',
    )  # fmt: skip
    result = interlock(project, "run", "--no-report", "--workers", "2", path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert f"{history / 'last-run.json'}: not a record of a run; ignored" in result.stderr
    saved = json.loads((history / "last-run.json").read_text())
    assert saved["statuses"] == {f"{path}:2": "passed"}  # this run's record replaced it
    assert os.path.getsize(history / "last-run.json") < 10_000
