"""Assertions on what a stand-in received in a scenario, and the report of requests it
had no answer for.

Requests are compared with the engine and markers of :mod:`interlock.matching`; a
failure lists every request the stand-in received, each with its mismatches, so it
shows what the system under test really sent.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from interlock import matching
from interlock.matching import MISSING
from interlock.standins import Answer, Received, Traffic, matches, path_of


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _wanted(method: str, path: str, record: Received) -> bool:
    """The request is one the expectation speaks of (see :func:`matches`)."""
    return record.method == method and matches(path, record.target)


def closest(record: Received, answers: Sequence[Answer]) -> Answer | None:
    """The configured answer most like the request (by method and path), if any."""
    wanted = f"{record.method} {record.path}"

    def likeness(answer: Answer) -> float:
        return difflib.SequenceMatcher(
            None, wanted, f"{answer.method} {path_of(answer.path)}"
        ).ratio()

    return max(answers, key=likeness, default=None)


def _unmatched_line(record: Received, answers: Sequence[Answer]) -> str:
    near = closest(record, answers)
    nearest = near.described() if near else "none: the stand-in has no answer configured"
    return f"{record.line()} -> {record.status}; the closest configured answer: {nearest}"


def check_received(
    name: str,
    traffic: Traffic,
    method: str,
    path: str,
    count: int,
    expected: Any = MISSING,
) -> None:
    """The stand-in received ``count`` requests ``method path`` (whose JSON body matches
    ``expected``, when given: markers allowed, unexpected keys fail)."""
    records, answers = traffic.received, traffic.answers
    candidates = [r for r in records if _wanted(method, path, r)]
    found: list[Received] = []
    notes: dict[int, list[str]] = {}
    for record in candidates:
        mismatches = [] if expected is MISSING else matching.match(expected, record.json())
        if mismatches:
            notes[id(record)] = [str(m) for m in mismatches]
        else:
            found.append(record)
    if len(found) == count:
        return
    what = f"{method} {'request' if count == 1 else 'requests'} to {path}"
    if expected is not MISSING:
        what += " with that JSON"
    lines = [
        f"expected the stand-in for {name!r} to have received {count} {what}, but it received"
        f" {len(found)}; all it received in this scenario ({_plural(len(records), 'request')}):"
    ]
    for record in records:
        if record.refused:
            record.reported = True
            lines.append(f"  - {_refused_line(record)}")
        elif record.answer is None:
            record.reported = True
            lines.append(f"  - {_unmatched_line(record, answers)}")
        else:
            lines.append(f"  - {record.line()} -> {record.status}")
        lines += [f"      {note}" for note in notes.get(id(record), [])]
    if not records:
        lines.append("  (none)")
    raise AssertionError("\n".join(lines))


def unmatched_report(name: str, traffic: Traffic) -> str:
    """The requests no configured answer matched that no check has named yet, each with
    the closest configured answer; empty when there are none."""
    unmatched = [
        r for r in traffic.received if r.answer is None and not r.refused and not r.reported
    ]
    if not unmatched:
        return ""
    status = unmatched[0].status
    lines = [
        f"the stand-in for {name!r} received {_plural(len(unmatched), 'request')} that no"
        f" configured answer matches (it answered {status}): the system under test called"
        " something unexpected, or the scenario lacks an answer:"
    ]
    lines += [f"  - {_unmatched_line(record, traffic.answers)}" for record in unmatched]
    for record in unmatched:
        record.reported = True
    return "\n".join(lines)


def _refused_line(record: Received) -> str:
    return f"{record.method} {record.target} -> {record.status}: {record.refused}"


def refused_report(name: str, traffic: Traffic) -> str:
    """The requests the stand-in refused unread (a body larger than
    ``http.max_body_bytes``, or broken framing) that no check has named yet; empty
    when there are none."""
    refused = [r for r in traffic.received if r.refused and not r.reported]
    if not refused:
        return ""
    too_large = any(r.status == 413 for r in refused)
    lines = [
        f"the stand-in for {name!r} refused {_plural(len(refused), 'request')} of the system"
        " under test unread"
        + (" (raise http.max_body_bytes if such a body is expected):" if too_large else ":")
    ]
    lines += [f"  - {_refused_line(record)}" for record in refused]
    for record in refused:
        record.reported = True
    return "\n".join(lines)


def contract_report(name: str, traffic: Traffic) -> str:
    """The answered requests that break the replaced service's contract (unless the
    scenario allows that), each with how; empty when there are none. The system under
    test called the service in a way the real one would refuse or misread."""
    breaking = [r for r in traffic.received if r.violations and not r.allowed and r.answer]
    if not breaking:
        return ""
    lines = [
        f"the system under test sent the stand-in for {name!r}"
        f" {_plural(len(breaking), 'request')} its API contract does not allow (the real"
        " service could refuse or misread them):"
    ]
    for record in breaking:
        lines.append(f"  - {record.line()}")
        lines += [f"      {violation}" for violation in record.violations]
    return "\n".join(lines)
