"""interlock init: a new suite that runs against a team's own service at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import turn_on_the_example_service
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = pytest.mark.e2e


def health(request: Seen) -> Reply:
    return Reply(200 if request.path == "/health" else 404, {"status": "ok"})


@pytest.fixture
def service() -> Iterator[str]:
    """A real HTTP service on 127.0.0.1, the team's own in this test."""
    with serve(health) as server:
        yield server.url


def interlock(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock.cli", *args],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **env},
    )  # fmt: skip


REPO = Path(__file__).resolve().parents[2]


def test_a_new_suite_is_green_at_once_then_runs_against_the_teams_service(
    tmp_path: Path, service: str
) -> None:
    suite = tmp_path / "acceptance"
    made = interlock(tmp_path, "init", str(suite))
    assert made.returncode == 0, made.stderr
    for part in ("features/integration/customers_database.feature", "steps/generic_steps.py",
                 "environment.py", "config/default.yaml", "config/local.yaml", "config/ci.yaml",
                 "db/schema.sql", "contracts/my_service.yaml", "reports/.gitkeep", ".gitignore",
                 "behave.ini", "README.md", "package.json", "package-lock.json"):  # fmt: skip
        assert (suite / part).is_file(), part
    assert interlock(suite, "lint").returncode == 0
    # Green before any service exists: the first feature needs only the embedded database.
    first = interlock(suite, "run", "--no-report")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.splitlines()[-1] == "scenarios: 2 passed, 0 failed"

    # The team fills in its service, as the config's comments say, and turns the example on.
    turn_on_the_example_service(suite)
    run = interlock(suite, "run", "--no-report", MY_SERVICE_URL=service)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "scenarios: 3 passed, 0 failed"
    down = interlock(suite, "run", "--no-report", MY_SERVICE_URL="http://127.0.0.1:9")
    assert down.returncode == 2
    assert "service my_service: GET http://127.0.0.1:9/health failed" in down.stderr
    assert "services.my_service.url" in down.stderr


def test_requirement_tags_are_optional_until_turned_on_and_the_error_says_where(
    tmp_path: Path,
) -> None:
    suite = tmp_path / "acceptance"
    assert interlock(tmp_path, "init", str(suite)).returncode == 0
    default = suite / "config" / "default.yaml"
    default.write_text(default.read_text().replace(
        "require_requirement_tag: false", "require_requirement_tag: true"))  # fmt: skip
    line = default.read_text().splitlines().index("  require_requirement_tag: true") + 1
    lint = interlock(suite, "lint")
    assert lint.returncode == 1
    assert (
        f"report.require_requirement_tag in config/default.yaml:{line} asks for one"
        " (false: tags are optional)"
    ) in lint.stdout


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "existing.txt").write_text("mine")
    result = interlock(tmp_path, "init", str(tmp_path))
    assert result.returncode == 2
    assert "is not empty" in result.stderr and "--force" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]


def test_init_with_force_adds_what_is_missing_and_overwrites_nothing(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("our own readme")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "local.yaml").write_text("# ours\n")
    result = interlock(tmp_path, "init", "--force", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "README.md").read_text() == "our own readme"
    assert (tmp_path / "config" / "local.yaml").read_text() == "# ours\n"
    assert "README.md: exists, kept as it is" in result.stdout
    assert "config/local.yaml: exists, kept as it is" in result.stdout
    assert (tmp_path / "config" / "default.yaml").is_file()
    assert (tmp_path / "features" / "integration" / "customers_database.feature").is_file()


def test_the_scaffolds_allure_lock_is_this_repositorys() -> None:
    """A new suite installs the same Allure CLI that interlock is tested with."""
    template = REPO / "interlock" / "templates" / "project"
    for name in ("package.json", "package-lock.json"):
        assert (template / name).read_bytes() == (REPO / name).read_bytes(), name
