"""interlock init: a new suite that runs against a team's own service at once."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    """A real HTTP service on 127.0.0.1, the team's own in this test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def interlock(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock.cli", *args],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **env},
    )  # fmt: skip


def test_a_new_suite_lints_and_runs_against_the_teams_service(tmp_path: Path, service: str) -> None:
    suite = tmp_path / "acceptance"
    made = interlock(tmp_path, "init", str(suite))
    assert made.returncode == 0, made.stderr
    for part in ("features/interface/my_service.feature", "steps/generic_steps.py",
                 "environment.py", "config/default.yaml", "config/ci.yaml", "reports/.gitkeep",
                 ".gitignore", "behave.ini", "README.md"):  # fmt: skip
        assert (suite / part).is_file(), part
    assert interlock(suite, "lint").returncode == 0
    run = interlock(suite, "run", "--no-report", MY_SERVICE_URL=service)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "scenarios: 1 passed, 0 failed"
    down = interlock(suite, "run", "--no-report", MY_SERVICE_URL="http://127.0.0.1:9")
    assert down.returncode == 2
    assert "service my_service: GET http://127.0.0.1:9/health failed" in down.stderr


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "existing.txt").write_text("mine")
    result = interlock(tmp_path, "init", str(tmp_path))
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]
