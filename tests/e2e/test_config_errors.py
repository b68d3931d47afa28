"""Bad config given to the interlock command: one named error, exit 2, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e


def bad_env(project: Path, text: str | bytes) -> None:
    path = project / "config" / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def assert_named_and_nothing_started(project: Path, stderr: str, problem: str) -> None:
    assert problem in stderr
    assert "Traceback" not in stderr
    assert "MariaDB up" not in stderr
    assert not (project / ".interlock" / "environment.json").exists()


def test_a_number_written_as_text_exits_2_naming_file_line_and_key(project: Path) -> None:
    # Before: it passed validation, then every command crashed with a ValueError traceback.
    bad_env(
        project, "# bad: a retry count that is not a whole number\nrun:\n  flaky_retries: '2.5'\n"
    )
    for command in ("lint", "run", "doctor", "up", "steps"):
        result = interlock(project, command, "--env", "bad")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert_named_and_nothing_started(
            project,
            result.stderr,
            "config/bad.yaml:3: run.flaky_retries must be a whole number, not text '2.5'",
        )


def test_a_variable_that_is_not_a_port_exits_2_naming_it(project: Path) -> None:
    bad_env(project, "databases:\n  shop:\n    embedded: true\n    port: ${BAD_DB_PORT}\n")
    result = interlock(project, "run", "--env", "bad", env={"BAD_DB_PORT": "dbport"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert_named_and_nothing_started(
        project,
        result.stderr,
        "config/bad.yaml:4: databases.shop.port must be a port, but ${BAD_DB_PORT} gives 'dbport'",
    )
    fine = interlock(project, "lint", "--env", "bad", env={"BAD_DB_PORT": "3306"})
    assert fine.returncode == 0, fine.stdout + fine.stderr


def test_a_binary_config_file_exits_2(project: Path) -> None:
    bad_env(project, b"run:\n\x00\x9c\x01\x02")
    result = interlock(project, "lint", "--env", "bad")
    assert result.returncode == 2
    assert_named_and_nothing_started(project, result.stderr, "config/bad.yaml:2: a binary file")


def test_a_wrong_override_exits_2_before_anything_starts(project: Path) -> None:
    result = interlock(project, "up", "--set", "http.read_timeout=0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert_named_and_nothing_started(
        project,
        result.stderr,
        "override 'http.read_timeout=0': http.read_timeout must be more than 0, not 0",
    )
