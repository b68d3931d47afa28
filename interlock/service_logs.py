"""What each embedded service logged while one scenario ran, for failing scenarios.

A mark records each service log's size when the scenario starts; what was appended
since is that scenario's share (with several workers, lines of scenarios running at
the same time are among them; a log started anew meanwhile counts whole).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from interlock.environment.runtime import Runtime

MAX_LINES = 300


@dataclass
class LogMarks:
    offsets: dict[str, tuple[Path, int]] = field(default_factory=dict)

    @classmethod
    def take(cls, runtime: Runtime, more: Mapping[str, Path] | None = None) -> LogMarks:
        """Marks on each embedded service's log, and on the logs ``more`` names (such as
        this worker's own services, which may start during the scenario)."""
        logs = {name: Path(s.log) for name, s in runtime.services.items() if s.log}
        marks = cls()
        for name, path in {**logs, **(more or {})}.items():
            marks.offsets[name] = (path, path.stat().st_size if path.exists() else 0)
        return marks

    def since(self) -> dict[str, str]:
        """Each service's new log lines (the last MAX_LINES), where there are any."""
        found = {}
        for name, (path, offset) in self.offsets.items():
            try:
                with open(path, "rb") as handle:
                    # A log shorter than its mark was started anew since: all of it is new.
                    handle.seek(offset if path.stat().st_size >= offset else 0)
                    text = handle.read().decode("utf-8", "replace")
            except OSError:
                continue
            lines = text.splitlines()
            if lines:
                cut = len(lines) - MAX_LINES
                kept = lines[-MAX_LINES:]
                found[name] = (f"... {cut} earlier lines\n" if cut > 0 else "") + "\n".join(kept)
        return found
