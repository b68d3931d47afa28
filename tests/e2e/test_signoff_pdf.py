"""The sign-off page as a PDF (headless Chromium prints it), and its first page rendered."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import interlock
from tests.e2e.test_approval import suite  # noqa: F401  (the fixture: a suite whose run passed)

pytestmark = pytest.mark.e2e


def pixels(ppm: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of a binary PPM (what pdftoppm writes by default)."""
    magic, width, height, depth, data = ppm.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    return int(width), int(height), data


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is missing")
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is missing")
def test_the_signoff_pdf_s_first_page_shows_the_verdict(suite: Path) -> None:  # noqa: F811
    run = interlock(suite, "signoff")
    assert run.returncode == 0, run.stdout + run.stderr
    pdf = suite / "reports" / "signoff" / "index.pdf"
    assert f"sign-off PDF: {pdf}" in run.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    first = suite / "first"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-singlefile", str(pdf),
                    str(first)], check=True, timeout=60)  # fmt: skip
    width, height, data = pixels((suite / "first.ppm").read_bytes())
    assert width > 200 and height > 200
    rgb = [data[i : i + 3] for i in range(0, len(data), 3)]
    inked = sum(1 for p in rgb if p != b"\xff\xff\xff")
    assert inked > len(rgb) // 100, "the first page is blank"
    # the verdict's green box (#2e7d32, antialiased at 40 dpi)
    assert sum(1 for r, g, b in rgb if g > 100 and r < 80 and b < 80) > 50
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf),
                    str(first)], check=True, timeout=60)  # fmt: skip
    assert (suite / "first.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_chromium_the_sign_off_says_there_is_no_pdf(suite: Path) -> None:  # noqa: F811
    empty = suite / "no-tools"
    empty.mkdir()
    run = interlock(suite, "signoff", env={"PATH": str(empty)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no PDF of the sign-off page: Chromium is not installed" in run.stderr
    assert not (suite / "reports" / "signoff" / "index.pdf").exists()
