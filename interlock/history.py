"""What interlock remembers between runs: each scenario's last status and duration.

Kept in ``reports/history/last-run.json`` beside Allure's trend history (the results
folder is emptied at every run). ``--rerun-failed`` reads the statuses; the worker
balancing reads the durations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from interlock.report import Summary

FILE = "last-run.json"


@dataclass
class LastRun:
    statuses: dict[str, str] = field(default_factory=dict)  # location -> status
    durations: dict[str, float] = field(default_factory=dict)  # scenario key -> seconds

    def failed_locations(self) -> set[str]:
        return {loc for loc, status in self.statuses.items() if status in ("failed", "broken")}


def load(history_dir: Path) -> LastRun | None:
    try:
        data = json.loads((history_dir / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return LastRun(dict(data.get("statuses", {})), dict(data.get("durations", {})))


def save(history_dir: Path, summary: Summary, previous: LastRun | None) -> None:
    """Record this run; durations of scenarios that did not run this time are kept."""
    durations = dict(previous.durations) if previous else {}
    for outcome in summary.latest():
        if outcome.duration is not None and outcome.key:
            durations[outcome.key] = outcome.duration
    record = {
        "statuses": {o.location: o.status for o in summary.latest()},
        "durations": durations,
    }
    history_dir.mkdir(parents=True, exist_ok=True)
    tmp = history_dir / f"{FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(history_dir / FILE)
