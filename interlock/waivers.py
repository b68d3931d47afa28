"""Waivers: a known failure accepted for sign-off by a named person, for a while.

``waivers.yaml`` at the suite's root, committed with it::

    - scenario: features/interface/orders_api.feature:119   # file:line, or its name
      by: Dana Reyes, product owner
      reason: rounding of totals is fixed in 2.4 (SHOP-812)
      until: 2026-03-31

A failing scenario a waiver names does not break the verdict until the day after
``until``; the pack lists every waiver, and the verdict reads "ACCEPTED with 1 waiver".
An expired waiver accepts nothing: its failure counts, and the rule "no expired
waivers" names it. A waiver without a scenario, a name, a reason or an expiry date is
an error naming its line. Waivers decide the sign-off only: ``interlock run`` still
exits 1 when a scenario fails.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interlock.errors import InterlockError

FILE = "waivers.yaml"
FIELDS = ("scenario", "by", "reason", "until")
_NEEDS = {
    "scenario": "the scenario it accepts (scenario: FILE:LINE or its name)",
    "by": "who accepts it (by: 'Name, role')",
    "reason": "why (reason:)",
    "until": "an expiry date (until: YYYY-MM-DD)",
}
_LOCATION = re.compile(r"^.+\.feature:\d+$")
FORMAT_HINT = (
    "each waiver reads: - {scenario: FILE:LINE or the scenario's name, by: 'Name, role',"
    " reason: why it may fail, until: YYYY-MM-DD}"
)


class WaiverError(InterlockError):
    """``waivers.yaml`` is malformed, or a waiver lacks what makes it one."""


@dataclass(frozen=True)
class Waiver:
    scenario: str
    by: str
    reason: str
    until: dt.date
    line: int = 0

    def covers(self, location: str, name: str) -> bool:
        if _LOCATION.match(self.scenario):
            return self.scenario == location
        return self.scenario == name

    def active(self, today: dt.date) -> bool:
        return today <= self.until

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "by": self.by,
            "reason": self.reason,
            "until": self.until.isoformat(),
            "line": self.line,
        }


def load(root: Path) -> list[Waiver]:
    """The suite's waivers (none without the file); ``WaiverError`` naming the line."""
    path = root / FILE
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
        nodes = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise WaiverError(f"{FILE}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WaiverError(f"{FILE}: cannot be read: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(nodes, yaml.SequenceNode):
        raise WaiverError(f"{FILE}: must be a list of waivers", hint=FORMAT_HINT)
    waivers: list[Waiver] = []
    problems: list[str] = []
    for item, node in zip(data, nodes.value, strict=True):
        line = node.start_mark.line + 1
        where = f"{FILE}:{line}"
        if not isinstance(item, dict):
            problems.append(f"{where}: a waiver must be a mapping, not {type(item).__name__}")
            continue
        unknown = [str(k) for k in item if str(k) not in FIELDS]
        for key in unknown:
            near = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
            problems.append(
                f"{where}: unknown field {key!r}" + (f"; did you mean {near[0]!r}?" if near else "")
            )
        missing = [_NEEDS[k] for k in FIELDS if not str(item.get(k) or "").strip()]
        if missing:
            what = f"the waiver of {item['scenario']!r}" if item.get("scenario") else "a waiver"
            problems.append(f"{where}: {what} lacks {' and '.join(missing)}")
            continue
        until = item["until"]
        if isinstance(until, dt.datetime):
            until = until.date()
        if not isinstance(until, dt.date):
            try:
                until = dt.date.fromisoformat(str(until).strip())
            except ValueError:
                problems.append(f"{where}: until {item['until']!r} is not a date (YYYY-MM-DD)")
                continue
        waivers.append(
            Waiver(
                scenario=str(item["scenario"]).strip(),
                by=str(item["by"]).strip(),
                reason=str(item["reason"]).strip(),
                until=until,
                line=line,
            )
        )
    if problems:
        raise WaiverError(
            f"{FILE} has "
            + (f"{len(problems)} problems" if len(problems) > 1 else "a problem")
            + ":\n  - "
            + "\n  - ".join(problems),
            hint=FORMAT_HINT,
        )
    return waivers


@dataclass(frozen=True)
class Applied:
    """What the waivers did to a run's failures."""

    waived: list[tuple[Any, Waiver]]  # failures a valid waiver accepts
    expired: list[tuple[Any, Waiver]]  # failures whose waiver has expired: they count
    unused: list[Waiver]  # waivers that named no failure of this run


def apply(waivers: Sequence[Waiver], failing: Sequence[Any], today: dt.date) -> Applied:
    """Match each failure (an object with ``location`` and ``name``) to its waiver."""
    waived: list[tuple[Any, Waiver]] = []
    expired: list[tuple[Any, Waiver]] = []
    used: set[int] = set()
    for outcome in failing:
        found = [w for w in waivers if w.covers(outcome.location, outcome.name)]
        if not found:
            continue
        best = max(found, key=lambda w: w.until)
        used.update(id(w) for w in found)
        (waived if best.active(today) else expired).append((outcome, best))
    return Applied(waived, expired, [w for w in waivers if id(w) not in used])
