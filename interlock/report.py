"""After a run: read the Allure results into a verdict and a summary, build the HTML report.

The HTML report is built by the pinned Allure 3 CLI (``npm ci`` installs it) into a
temporary folder and moved into place only when complete, so a failed or
interrupted build never leaves a half-written report behind.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from interlock.allure_formatter import LOCATION_LABEL
from interlock.config import Config

STATUSES = ("passed", "failed", "broken", "skipped")
ALLURE_TIMEOUT = 600
MESSAGE_LINES = 12  # of each failure's message in the summary


@dataclass(frozen=True)
class Outcome:
    name: str
    location: str
    status: str
    message: str


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "broken")]

    def headline(self) -> str:
        """The closing line CI systems read: ``scenarios: N passed, N failed[, N skipped]``.

        Broken scenarios (errors rather than failed checks) count as failed here; the
        detailed counts come first in :meth:`text`."""
        counts = self.counts
        line = f"scenarios: {counts['passed']} passed, {counts['failed'] + counts['broken']} failed"
        return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")

    def text(self, limit: int = 20) -> str:
        counts = self.counts
        total = len(self.outcomes)
        parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
        lines = [f"{total} scenario{'s' if total != 1 else ''}: {', '.join(parts) or 'none ran'}"]
        for outcome in self.problems[:limit]:
            lines.append(f"  {outcome.status.upper():7} {outcome.location}  {outcome.name}")
            lines += [f"          {line}" for line in outcome.message.splitlines()]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


def read_results(results_dir: Path) -> Summary:
    """One outcome per scenario result file (``*-result.json``) in the results folder."""
    summary = Summary()
    if not results_dir.is_dir():
        return summary
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        details = data.get("statusDetails") or {}
        message = str(details.get("message") or "").strip().splitlines()
        if len(message) > MESSAGE_LINES:
            message = [*message[:MESSAGE_LINES], f"... ({len(message) - MESSAGE_LINES} more lines)"]
        labels = {lab.get("name"): lab.get("value") for lab in data.get("labels", [])}
        summary.outcomes.append(
            Outcome(
                name=str(data.get("name", "?")),
                location=str(labels.get(LOCATION_LABEL) or labels.get("feature") or "?"),
                status=str(data.get("status", "broken")),
                message="\n".join(line[:300] for line in message),
            )
        )
    summary.outcomes.sort(key=lambda o: (o.location, o.name))
    return summary


def allure_cli(root: Path) -> Path | None:
    cli = root / "node_modules" / ".bin" / "allure"
    return cli if cli.exists() else None


def build_html(config: Config, results_dir: Path, report_dir: Path) -> tuple[bool, str]:
    """Build the single-file HTML report; returns (built, message)."""
    cli = allure_cli(config.root)
    if cli is None:
        return False, "the Allure CLI is not installed, so no HTML report was built (run: npm ci)"
    history = config.reports_dir / "history" / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".allure-report-", dir=report_dir.parent))
    rc_file = building.with_suffix(".json")
    rc_file.write_text(
        json.dumps(
            {
                "name": config.report_name,
                "output": str(building),
                "historyPath": str(history),
                "plugins": {
                    "awesome": {"options": {"singleFile": True, "reportName": config.report_name}}
                },
            }
        )
    )
    log = config.reports_dir / "logs" / "allure.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log, "w") as out:
            result = subprocess.run(
                [
                    str(cli),
                    "generate",
                    str(results_dir),
                    "--config",
                    str(rc_file),
                    "-o",
                    str(building),
                ],
                cwd=config.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=ALLURE_TIMEOUT,
                check=False,
            )
        if result.returncode != 0 or not (building / "index.html").is_file():
            return False, f"the Allure CLI failed (exit {result.returncode}); see {log}"
        if report_dir.exists():
            shutil.rmtree(report_dir)
        building.chmod(0o755)  # mkdtemp made it private; a report is for sharing
        building.rename(report_dir)
        return True, str(report_dir / "index.html")
    except subprocess.TimeoutExpired:
        return False, f"the Allure CLI took longer than {ALLURE_TIMEOUT} s; see {log}"
    finally:
        rc_file.unlink(missing_ok=True)
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
