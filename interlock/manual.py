"""Manual checks: scenarios tagged ``@manual``, done by a person and recorded.

A ``@manual`` scenario is written in Gherkin like any other and never run by behave
(:func:`interlock.selection.automated` leaves it out of what workers run; under plain
behave, ``before_scenario`` skips it). Its outcome is a record a person makes::

    interlock manual                                   # what is pending, and what to do
    interlock manual record FILE:LINE --passed --by "Ana Analyst" [--note ...] [--evidence shot.png]

kept in ``manual/results.yaml`` at the suite's root (committed with the suite), each
evidence file copied beside it into ``manual/evidence/``. A record holds only for the
text it was made for: the sha256 of the scenario's steps (background included, with
their doc strings and tables) and, for an Outline's row, its example values. Once the
scenario is edited its record no longer holds: the check is pending again, and says
why. A record naming a scenario the suite no longer has (renamed or removed) is an
error, named, until it is removed or recorded again.

``interlock run`` writes one Allure result per selected check (passed, failed,
broken for blocked, skipped while pending), labelled ``manual`` and with its evidence
attached, and a JUnit entry; the sign-off pack lists them and its verdict needs none
pending (:func:`interlock.verdict.no_pending_manual`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import mimetypes
import os
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from allure_behave.utils import scenario_labels

from interlock.allure_formatter import LOCATION_LABEL, labeller, layer
from interlock.config import Config, load_config
from interlock.errors import ExitCode, InterlockError
from interlock.selection import MANUAL_TAG, ScenarioRef, discover, parsed_feature, scenario_title

FOLDER = "manual"  # at the suite's root
RESULTS_FILE = "results.yaml"
EVIDENCE = "evidence"
OUTCOMES = {"passed": "passed", "failed": "failed", "blocked": "broken"}  # record -> Allure
PENDING_STATUS = "skipped"
MANUAL_LABEL = "manual"
HEADER = (
    "# Manual checks: the records of the @manual scenarios, written by\n"
    "#   interlock manual record FILE:LINE --passed|--failed|--blocked --by NAME\n"
    "# A record holds for the scenario text it was made for (its fingerprint); once the\n"
    "# scenario is edited, it is pending again. Commit this file with the suite.\n"
)


HELP = "list the @manual checks still to do (exit 1 if any), or record one"


class ManualError(InterlockError):
    """A record that cannot be made or read (exit 2)."""


@dataclass(frozen=True)
class Record:
    file: str
    name: str
    fingerprint: str
    status: str  # passed, failed or blocked
    by: str
    at: str  # ISO 8601, UTC
    note: str = ""
    evidence: tuple[str, ...] = ()  # relative to the manual folder

    @property
    def key(self) -> str:
        return f"{self.file}::{self.name}"

    def as_yaml(self, line: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "scenario": f"{self.file}:{line}",
            "name": self.name,
            "fingerprint": self.fingerprint,
            "status": self.status,
            "by": self.by,
            "at": self.at,
        }
        if self.note:
            data["note"] = self.note
        if self.evidence:
            data["evidence"] = list(self.evidence)
        return data


@dataclass(frozen=True)
class Check:
    """One ``@manual`` scenario (an Outline's row is one of its own), with its record."""

    ref: ScenarioRef
    feature: str  # the feature's name
    steps: tuple[str, ...]  # "Given ...", as a person reads them
    fingerprint: str
    scenario: Any  # behave's model, for the report's labels
    record: Record | None = None  # the latest record for this scenario, if any

    @property
    def current(self) -> Record | None:
        """The record, if it was made for this version of the scenario."""
        if self.record is not None and self.record.fingerprint == self.fingerprint:
            return self.record
        return None

    @property
    def outdated(self) -> bool:
        return self.record is not None and self.current is None

    @property
    def status(self) -> str:
        """The Allure status: the record's outcome, or skipped while pending."""
        return OUTCOMES[self.current.status] if self.current else PENDING_STATUS

    def message(self) -> str:
        record = self.current
        if record is not None:
            note = f": {record.note}" if record.note else ""
            return f"manual check {record.status} (by {record.by}, {record.at}){note}"
        if self.record is not None:
            return (
                f"manual check pending: the record ({self.record.status} by {self.record.by},"
                f" {self.record.at}) was made for an earlier version of this scenario;"
                f" do it again and record it: interlock manual record {self.ref.location}"
            )
        return (
            "manual check pending: nobody has recorded it yet;"
            f" do it, then: interlock manual record {self.ref.location}"
        )


def folder(config: Config) -> Path:
    return config.root / FOLDER


def results_file(config: Config) -> Path:
    return folder(config) / RESULTS_FILE


def fingerprint(scenario: Any) -> str:
    """sha256 of what a person does: every step (background included) with its doc
    string and table, and an Outline row's example values."""
    digest = hashlib.sha256()
    for step in [*(scenario.background_steps or []), *scenario.steps]:
        parts: list[Any] = [step.keyword.strip(), step.name]
        if step.text is not None:
            parts.append(str(step.text))
        if step.table is not None:
            parts.append([list(step.table.headings), *[list(r.cells) for r in step.table.rows]])
        digest.update(json.dumps(parts, ensure_ascii=False).encode())
        digest.update(b"\n")
    row = getattr(scenario, "_row", None)
    if row is not None:
        digest.update(json.dumps([list(row.headings), list(row.cells)]).encode())
    return digest.hexdigest()


def _steps(scenario: Any) -> tuple[str, ...]:
    lines = []
    for step in [*(scenario.background_steps or []), *scenario.steps]:
        lines.append(f"{step.keyword.strip()} {step.name}")
        if step.text is not None:
            lines += ['    """', *(f"    {t}" for t in str(step.text).splitlines()), '    """']
        if step.table is not None:
            rows = [list(step.table.headings), *[list(r.cells) for r in step.table.rows]]
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            lines += [
                "    | " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + " |"
                for row in rows
            ]
    return tuple(lines)


def find(config: Config, paths: Sequence[str] = ()) -> list[Check]:
    """Every ``@manual`` scenario under ``paths`` (default: the whole suite), each with
    its record; a record naming no scenario of the suite is an error."""
    records = load(config)
    every = _checks(config, _suite(config))
    by_key = {check.ref.key: check for check in every}
    unknown = [r for r in records.values() if r.key not in by_key]
    if unknown:
        listed = "\n  - ".join(f"{r.file}: {r.name!r} ({r.status} by {r.by})" for r in unknown)
        raise ManualError(
            f"{_shown(results_file(config), config)}: a record names a scenario the suite"
            f" has no @manual scenario for (renamed, removed or untagged):\n  - {listed}",
            hint="remove that record, or record the scenario again under its new name"
            " (interlock manual record FILE:LINE)",
        )
    checks = [_with_record(c, records.get(c.ref.key)) for c in every]
    if not paths:
        return checks
    wanted = {ref.location for ref in discover(config.root, paths, config.features_dir)}
    return [c for c in checks if c.ref.location in wanted]


def for_run(config: Config, selected: Sequence[ScenarioRef]) -> list[Check]:
    """The manual checks among the scenarios a run selected."""
    if not any(ref.manual for ref in selected):
        if results_file(config).exists():
            find(config)  # a broken or stale results file stops the run all the same
        return []
    locations = {ref.location for ref in selected if ref.manual}
    return [c for c in find(config) if c.ref.location in locations]


def _with_record(check: Check, record: Record | None) -> Check:
    return Check(check.ref, check.feature, check.steps, check.fingerprint, check.scenario, record)


def _checks(config: Config, refs: Sequence[ScenarioRef]) -> list[Check]:
    wanted = {(r.file, r.line): r for r in refs if r.manual}
    checks = []
    for file in dict.fromkeys(r.file for r in wanted.values()):
        feature = parsed_feature(config.root / file)
        for scenario in feature.walk_scenarios():
            ref = wanted.get((file, int(scenario.location.line)))
            if ref is not None:
                checks.append(
                    Check(ref, str(feature.name), _steps(scenario), fingerprint(scenario), scenario)
                )
    return checks


# -- the records file --------------------------------------------------------------------------


def load(config: Config) -> dict[str, Record]:
    """The records of ``manual/results.yaml`` by scenario (file::name), the last one of a
    scenario winning; a malformed file or entry is an error naming it."""
    path = results_file(config)
    if not path.exists():
        return {}
    shown = _shown(path, config)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManualError(
            f"{shown}: cannot be read: {exc}", hint="fix it, or restore it from version control"
        ) from None
    entries = (data or {}).get("records") if isinstance(data, dict | None) else None
    if entries is None and data:
        raise ManualError(f"{shown}: expected a mapping with a 'records' list", hint=HEADER)
    if not isinstance(entries, list | None):
        raise ManualError(f"{shown}: records: expected a list of records", hint=HEADER)
    records: dict[str, Record] = {}
    for index, entry in enumerate(entries or []):
        record = _record(entry, f"{shown}: records[{index}]")
        records[record.key] = record
    return records


def _record(entry: Any, where: str) -> Record:
    hint = "a record is written by: interlock manual record FILE:LINE --passed --by NAME"
    if not isinstance(entry, dict):
        raise ManualError(f"{where}: expected a mapping", hint=hint)
    for key in ("scenario", "name", "fingerprint", "status", "by", "at"):
        if not str(entry.get(key) or "").strip():
            raise ManualError(f"{where}: '{key}' is missing", hint=hint)
    status = str(entry["status"])
    if status not in OUTCOMES:
        raise ManualError(
            f"{where}: status {status!r} is not one of {', '.join(OUTCOMES)}", hint=hint
        )
    evidence = entry.get("evidence") or []
    if not isinstance(evidence, list):
        raise ManualError(f"{where}: evidence: expected a list of files", hint=hint)
    return Record(
        file=str(entry["scenario"]).rsplit(":", 1)[0],
        name=str(entry["name"]),
        fingerprint=str(entry["fingerprint"]),
        status=status,
        by=str(entry["by"]),
        at=str(entry["at"]),
        note=str(entry.get("note") or ""),
        evidence=tuple(str(e) for e in evidence),
    )


def record(
    config: Config,
    location: str,
    status: str,
    by: str,
    note: str = "",
    evidence: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Check:
    """Record a person's outcome for the ``@manual`` scenario at ``location``
    (``file:line``), copying the evidence files into ``manual/evidence/``."""
    if status not in OUTCOMES:
        raise ManualError(f"{status!r} is not one of {', '.join(OUTCOMES)}")
    if not by.strip():
        raise ManualError("--by is empty", hint='name who did the check: --by "Ana Analyst"')
    check = _at(config, location)
    sources = []
    for raw in evidence:
        source = Path(raw).expanduser().resolve()
        if not source.is_file():
            raise ManualError(f"--evidence {raw}: no such file", hint="attach existing files")
        sources.append(source)
    kept = []
    for source in sources:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        target = folder(config) / EVIDENCE / f"{digest}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
        kept.append(str(target.relative_to(folder(config))))
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    made = Record(
        file=check.ref.file,
        name=check.ref.name,
        fingerprint=check.fingerprint,
        status=status,
        by=by.strip(),
        at=moment.isoformat(timespec="seconds"),
        note=note.strip(),
        evidence=tuple(kept),
    )
    records = load(config)
    records[made.key] = made
    lines = {c.ref.key: c.ref.line for c in _checks(config, _suite(config))}
    _write(config, [r.as_yaml(lines.get(r.key, 0)) for r in records.values()])
    return _with_record(check, made)


def _suite(config: Config) -> list[ScenarioRef]:
    return discover(config.root, (), config.features_dir)


def _at(config: Config, location: str) -> Check:
    file, _, line = location.rpartition(":")
    if not file.endswith(".feature") or not line.isdigit():
        raise ManualError(
            f"{location!r} is not FILE:LINE", hint="interlock manual lists the pending checks"
        )
    path = (config.root / file).resolve()
    if not path.is_file():
        raise ManualError(
            f"{location}: no such feature file", hint=f"paths are relative to {config.root}"
        )
    relative = str(path.relative_to(config.root))
    scenarios = discover(config.root, [f"{relative}:{line}"], config.features_dir)
    manual = [s for s in scenarios if s.manual]
    if not scenarios:
        raise ManualError(
            f"{relative}:{line}: no scenario starts on that line",
            hint="interlock manual lists the pending checks with their FILE:LINE",
        )
    if not manual:
        raise ManualError(
            f"{relative}:{line}: {scenarios[0].name!r} is not tagged @manual:"
            " behave runs it, so nobody records it",
            hint="tag it @manual if a person checks it",
        )
    if len(manual) > 1:
        rows = ", ".join(f"{s.location} ({s.name})" for s in manual)
        raise ManualError(
            f"{relative}:{line} is an Outline with {len(manual)} rows; record each row: {rows}"
        )
    found = _checks(config, manual)
    return found[0]


def _write(config: Config, entries: list[dict[str, Any]]) -> None:
    path = results_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER + yaml.safe_dump(
        {"records": entries}, sort_keys=False, allow_unicode=True, width=100
    )
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".yaml", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def _shown(path: Path, config: Config) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


# -- the command ------------------------------------------------------------------------------


def add_parser(parser: argparse.ArgumentParser) -> None:
    """``interlock manual`` and ``interlock manual record``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    made = actions.add_parser("record", help="record the outcome of one check")
    made.add_argument("location", metavar="FILE:LINE", help="the check (interlock manual lists)")
    outcome = made.add_mutually_exclusive_group(required=True)
    for status in OUTCOMES:
        outcome.add_argument(
            f"--{status}", dest="status", action="store_const", const=status, help=f"it {status}"
        )
    made.add_argument("--by", required=True, help='who did it: --by "Ana Analyst, QA"')
    made.add_argument("--note", default="", help="what was seen (one line)")
    made.add_argument(
        "--evidence", nargs="+", default=[], metavar="FILE", help="screenshots, scans, files"
    )


def command(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    if getattr(args, "action", None) == "record":
        check = record(config, args.location, args.status, args.by, args.note, args.evidence)
        done = check.current
        assert done is not None
        kept = f", evidence: {', '.join(done.evidence)}" if done.evidence else ""
        print(
            f"recorded {done.status}: {check.ref.location}  {check.ref.name}"
            f" (by {done.by}{kept}) in {_shown(results_file(config), config)}; commit it"
        )
        return int(ExitCode.PASSED)
    checks = find(config)
    print(listing(checks))
    pending = any(c.current is None for c in checks)
    return int(ExitCode.FAILED if pending else ExitCode.PASSED)


# -- what a person reads --------------------------------------------------------------------


def listing(checks: Sequence[Check]) -> str:
    """The pending checks with what to do, then the recorded ones in a line each."""
    pending = [c for c in checks if c.current is None]
    done = [c for c in checks if c.current is not None]
    lines = [f"{len(checks)} manual check(s): {len(done)} recorded, {len(pending)} pending"]
    for check in pending:
        why = " (edited since its record)" if check.outdated else ""
        lines += ["", f"PENDING  {check.ref.location}  {check.ref.name}{why}"]
        lines += [f"    {step}" for step in check.steps]
    if pending:
        lines += [
            "",
            "record each: interlock manual record FILE:LINE --passed|--failed|--blocked"
            ' --by "Your Name" [--note TEXT] [--evidence FILE ...]',
        ]
    if done:
        lines.append("")
    for check in done:
        record = check.current
        assert record is not None
        lines.append(
            f"{record.status.upper():8} {check.ref.location}  {check.ref.name}"
            f"  (by {record.by}, {record.at})"
        )
    return "\n".join(lines)


# -- what a run writes -----------------------------------------------------------------------


def write_results(
    config: Config,
    checks: Sequence[Check],
    results_dir: Path,
    junit_parts: Path,
    mask: Callable[[str], str],
) -> None:
    """One Allure result per check (its evidence attached) and a JUnit file of them."""
    if not checks:
        return
    results_dir.mkdir(parents=True, exist_ok=True)
    for check in checks:
        _write_allure(config, check, results_dir, mask)
    junit_parts.mkdir(parents=True, exist_ok=True)
    tree = _junit(checks, mask)
    tree.write(junit_parts / "TESTS-manual-checks.xml", encoding="utf-8", xml_declaration=True)


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


def _write_allure(
    config: Config, check: Check, results_dir: Path, mask: Callable[[str], str]
) -> None:
    record = check.current
    moment = _now()  # the record's own time is in its message: the run's span stays the run's
    identity = hashlib.md5(check.ref.key.encode(), usedforsecurity=False).hexdigest()
    attachments = []
    for relative in record.evidence if record else ():
        source = folder(config) / relative
        if not source.is_file():
            continue  # named in the message below
        suffix = source.suffix or ".bin"
        name = f"{uuid.uuid4()}-attachment{suffix}"
        shutil.copyfile(source, results_dir / name)
        kind = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        shown = source.name.split("-", 1)[-1]  # without the digest that keeps names apart
        attachments.append({"name": f"evidence: {shown}", "source": name, "type": kind})
    message = check.message()
    lost = [e for e in (record.evidence if record else ()) if not (folder(config) / e).is_file()]
    if lost:
        message += f"\n(evidence files missing from {FOLDER}/: {', '.join(lost)})"
    step_status = check.status if check.status != "broken" else "skipped"
    formatter = labeller(config)
    # Where behave parsed the file from decides its location: named from the suite's root.
    labels = [
        {"name": label.name, "value": label.value}
        for label in [*scenario_labels(check.scenario), *formatter.labels(check.scenario)]
        if label.name not in (LOCATION_LABEL, "epic")
    ]
    epic = layer(check.ref.file, config)
    labels += [
        {"name": LOCATION_LABEL, "value": check.ref.location},
        *([{"name": "epic", "value": epic}] if epic else []),
        {"name": "feature", "value": check.feature},
        {"name": MANUAL_LABEL, "value": "true"},
    ]
    row = getattr(check.scenario, "_row", None)
    result = {
        "uuid": str(uuid.uuid4()),
        "historyId": identity,
        "testCaseId": identity,
        "name": scenario_title(check.scenario),
        "fullName": f"{check.feature}: {check.ref.name}",
        "description": f"A manual check, done by a person and recorded. {message}",
        "status": check.status,
        "statusDetails": {"message": message},
        "start": moment,
        "stop": moment,
        "steps": [
            {"name": step, "status": step_status, "start": moment, "stop": moment}
            for step in check.steps
            if not step.startswith("    ")
        ],
        "attachments": attachments,
        "parameters": (
            [{"name": h, "value": v} for h, v in zip(row.headings, row.cells, strict=False)]
            if row is not None
            else []
        ),
        "labels": labels,
        "links": [
            {"type": link.type, "url": link.url, "name": link.name}
            for link in formatter.links(check.scenario)
        ],
    }
    path = results_dir / f"{result['uuid']}-result.json"
    path.write_text(mask(json.dumps(result, ensure_ascii=False)), encoding="utf-8")


def _junit(checks: Sequence[Check], mask: Callable[[str], str]) -> ET.ElementTree:
    root = ET.Element("testsuites")
    suites: dict[str, ET.Element] = {}
    for check in checks:
        # behave's own suite name, so a feature's manual and automated checks merge
        dotted = check.ref.file.removesuffix(".feature").replace("/", ".")
        name = f"{dotted}.{check.feature}"
        suite = suites.get(name)
        if suite is None:
            suite = suites[name] = ET.SubElement(root, "testsuite", {"name": name})
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": name, "name": check.ref.name, "status": check.status, "time": "0"},
        )
        message = mask(check.message())
        if check.status == "failed":
            ET.SubElement(case, "failure", {"type": "manual", "message": message})
        elif check.status == "broken":
            ET.SubElement(case, "error", {"type": "manual", "message": message})
        elif check.status == PENDING_STATUS:
            ET.SubElement(case, "skipped", {"message": message})
        out = ET.SubElement(case, "system-out")
        out.text = mask("\n".join([f"@{MANUAL_TAG}", message, *check.steps]))
    return ET.ElementTree(root)
