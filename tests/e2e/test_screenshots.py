"""The single-file report and the sign-off page render in a real browser, from disk."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, interlock

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is missing"),
]


def test_screenshots_of_the_report_and_the_signoff_page(project: Path) -> None:
    (project / "node_modules").symlink_to(REPO / "node_modules")
    run = interlock(project, "run", "features/interface/inventory_api.feature")
    assert run.returncode == 0, run.stdout + run.stderr
    shot = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "screenshots.py"), str(project / "reports")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr
    for name in ("report.png", "signoff.png"):
        png = project / "reports" / "screenshots" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 25_000  # the loading spinner alone is ~18 kB
