"""Screenshots of the single-file Allure report and the sign-off page, so a person can
see that they render from disk: headless Chromium (Debian's ``chromium``) writes
``reports/screenshots/report.png`` and ``reports/screenshots/signoff.png``.

    .venv/bin/python scripts/screenshots.py [REPORTS_DIR]

Run it after a run that built the report (``make demo``). Exits 2 when Chromium or a
page is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = {
    "report.png": Path("allure-report") / "index.html",
    "signoff.png": Path("signoff") / "index.html",
}
# Flags for a closed network: no background connections, no first-run work.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,1100",
]
LOADING_PAGE_BYTES = 25_000  # the report's loading spinner alone is ~18 kB: shoot again
ATTEMPTS = 3


def main(argv: list[str]) -> int:
    reports = Path(argv[1] if len(argv) > 1 else "reports").resolve()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    out = reports / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for name, page in PAGES.items():
        source = reports / page
        if not source.is_file():
            print(f"{source} is missing: run the suite first (make demo)", file=sys.stderr)
            return 2
        for attempt in range(1, ATTEMPTS + 1):
            # Virtual time lets the report's scripts finish before the shot; a busy
            # machine needs more of it.
            budget = f"--virtual-time-budget={10_000 * attempt}"
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [chromium, *FLAGS, budget, f"--user-data-dir={profile}",
                     f"--screenshot={out / name}", source.as_uri()],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=180,
                    check=True,
                )  # fmt: skip
            if (out / name).stat().st_size > LOADING_PAGE_BYTES:
                break
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
