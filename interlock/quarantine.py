"""Quarantine: ``@quarantine(until=YYYY-MM-DD)`` mutes a scenario's failure until that
day (inclusive). It still runs and is reported; it stops counting against the exit
code. After the date it counts again, and the summary says the quarantine expired.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from interlock.errors import InterlockError

_TAG = re.compile(r"^quarantine(?:\((.*)\))?$")
_UNTIL = re.compile(r"^until=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Quarantine:
    until: dt.date

    def active(self, today: dt.date) -> bool:
        return today <= self.until


def from_tags(tags: Iterable[str], where: str) -> Quarantine | None:
    """The quarantine a scenario's tags declare, if any; a malformed one is an error."""
    for tag in tags:
        match = _TAG.match(tag.lstrip("@"))
        if not match:
            continue
        until = _UNTIL.match(match.group(1) or "")
        if until:
            try:
                return Quarantine(dt.date.fromisoformat(until.group(1)))
            except ValueError:
                pass
        raise InterlockError(
            f"{where}: @{tag.lstrip('@')} needs an end date",
            hint="write @quarantine(until=2026-12-31): a quarantine must expire",
        )
    return None
