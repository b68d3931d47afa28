"""What interlock remembers between runs: each scenario's last status and duration.

Kept in ``reports/history/last-run.json`` beside Allure's trend history (the results
folder is emptied at every run). ``--rerun-failed`` reads the statuses; the worker
balancing reads the durations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.report import Summary

FILE = "last-run.json"


@dataclass
class LastRun:
    statuses: dict[str, str] = field(default_factory=dict)  # location -> status
    durations: dict[str, float] = field(default_factory=dict)  # scenario key -> seconds

    def failed_locations(self) -> set[str]:
        return {loc for loc, status in self.statuses.items() if status in ("failed", "broken")}


def load(history_dir: Path, warn: Callable[[str], None] | None = None) -> LastRun | None:
    """The last run's record; None when there is none. A record that cannot be read is
    ignored with a warning: it only balances workers and feeds ``--rerun-failed``, and
    this run's record replaces it, so it must not stop a run."""
    path = history_dir / FILE
    if not path.exists():
        return None
    try:
        return _last_run(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError) as exc:
        if warn is not None:
            problem = exc.strerror if isinstance(exc, OSError) else "not a record of a run"
            warn(f"{path}: {problem}; ignored (this run's record replaces it)")
        return None


def _last_run(data: Any) -> LastRun:
    """A record as written by :func:`save`; ValueError for anything else."""
    statuses = data.get("statuses", {}) if isinstance(data, dict) else None
    durations = data.get("durations", {}) if isinstance(data, dict) else None
    if not isinstance(statuses, dict) or not isinstance(durations, dict):
        raise ValueError("not a record of a run")
    return LastRun(
        {str(k): v for k, v in statuses.items() if isinstance(v, str)},
        {
            str(k): float(v)
            for k, v in durations.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        },
    )


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
