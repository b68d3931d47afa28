"""Which scenarios a run covers, and how they are split over workers and shards.

Scenarios are found with behave's own parser, so a location is exactly what behave
accepts (``file:line``; for an Outline, its Examples row). Selection honours paths
(files, folders, ``file:line``) and tag expressions like behave does.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from behave.parser import ParserError, State, parse_file
from behave.tag_expression import make_tag_expression

from interlock.errors import InterlockError

SERIAL_TAG = "serial"
FLAKY_TAG = "flaky"
MANUAL_TAG = "manual"  # a check a person does: never run by behave (see interlock.manual)
DEFAULT_DURATION = 1.0  # seconds, for a scenario never timed before


@dataclass(frozen=True)
class ScenarioRef:
    """One runnable scenario (an Outline contributes one per Examples row)."""

    file: str  # relative to the project root, as behave prints it
    line: int
    name: str
    tags: frozenset[str]
    outline_line: int | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def key(self) -> str:
        """Identity across runs that survives edits elsewhere in the file."""
        return f"{self.file}::{self.name}"

    @property
    def serial(self) -> bool:
        return SERIAL_TAG in self.tags

    @property
    def manual(self) -> bool:
        return MANUAL_TAG in self.tags


class SelectionError(InterlockError):
    """A path, tag expression or split option that cannot be used."""


def discover(
    root: Path, paths: Sequence[str], features_dir: Path, tags: Sequence[str] = ()
) -> list[ScenarioRef]:
    """Every scenario under ``paths`` (default: the features folder) matching ``tags``."""
    expression = make_tag_expression(list(tags)) if tags else None
    wanted_lines: dict[Path, set[int]] = {}
    files = feature_files(root, paths, features_dir, wanted_lines)
    found: list[ScenarioRef] = []
    seen: set[tuple[str, int]] = set()
    for path in dict.fromkeys(files):  # unique, in order
        for ref in _scenarios(root, path):
            lines = wanted_lines.get(path)
            if lines is not None and ref.line not in lines and ref.outline_line not in lines:
                continue
            if expression is not None and not expression.check(ref.tags):
                continue
            if (ref.file, ref.line) not in seen:
                seen.add((ref.file, ref.line))
                found.append(ref)
    return found


def automated(scenarios: Sequence[ScenarioRef]) -> list[ScenarioRef]:
    """The scenarios behave runs: every one but the ``@manual`` checks, whose outcome is
    a person's record (:mod:`interlock.manual`)."""
    return [s for s in scenarios if not s.manual]


def scenario_title(scenario: Any) -> str:
    """A scenario's name as reports show it. An Outline's row is named by its example
    values (``Ordering 4 of 3 desk lamps — quantity=4``), not by behave's ``-- @1.1``."""
    name = str(scenario.name).strip()
    row = getattr(scenario, "_row", None)
    if row is None:
        return name
    name = name.rsplit(" -- @", 1)[0].strip()
    values = ", ".join(f"{h}={v}" for h, v in zip(row.headings, row.cells, strict=False))
    return f"{name} — {values}" if values else name


def feature_files(
    root: Path,
    paths: Sequence[str],
    features_dir: Path,
    wanted_lines: dict[Path, set[int]] | None = None,
) -> list[Path]:
    """The feature files under ``paths`` (default: the features folder), none parsed;
    ``wanted_lines`` receives the lines of ``file:line`` paths."""
    files: list[Path] = []
    for raw in paths or [str(features_dir)]:
        target, line = _split_location(raw)
        path = (root / target).resolve()
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.feature") if p.is_file())
        elif path.is_file():
            files.append(path)
            if line is not None and wanted_lines is not None:
                wanted_lines.setdefault(path, set()).add(line)
        else:
            raise SelectionError(
                f"{raw}: no such feature file or folder",
                hint=f"paths are relative to {root}",
            )
    return files


def _split_location(raw: str) -> tuple[str, int | None]:
    match = re.match(r"^(.*\.feature):(\d+)$", raw)
    if match:
        return match.group(1), int(match.group(2))
    return raw, None


def parsed_feature(path: Path) -> Any:
    """behave's model of a feature file (None for an empty one), parsed once per process
    for each version of the file: selecting scenarios and linting them share it.
    Raises behave's ParserError, for a file that is not UTF-8 text too."""
    stat = path.stat()
    try:
        return _parse(str(path), stat.st_mtime_ns, stat.st_size)
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ParserError(
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at line {line};"
            " save the file as UTF-8",
            line,
            filename=str(path),
            use_annotated_message=False,
        ) from None


@functools.lru_cache(maxsize=4096)
def _parse(path: str, mtime_ns: int, size: int) -> Any:
    feature = parse_file(path)
    parser = getattr(feature, "parser", None)
    if parser is not None and parser.state == State.MULTILINE_TEXT:
        raise UnclosedDocString(parser.multiline_start, path)
    return feature


class UnclosedDocString(ParserError):  # type: ignore[misc]
    """A doc string still open at the end of the file. behave drops it without a word,
    and with it every scenario written below its opening quotes."""

    def __init__(self, line: int, filename: str) -> None:
        super().__init__(
            f"the doc string that opens at line {line} is never closed: every line below it,"
            ' scenarios included, is swallowed and never runs; close it with """',
            line,
            filename,
            use_annotated_message=False,
        )

    def __str__(self) -> str:
        return str(self.args[0])


def _scenarios(root: Path, path: Path) -> list[ScenarioRef]:
    try:
        feature = parsed_feature(path)
    except ParserError as exc:
        text = str(exc)
        line = re.search(r"line (\d+)", text)
        where = f"{path.relative_to(root)}" + (f":{line.group(1)}" if line else "")
        reason = text.split('": ', 1)[-1]  # behave puts the absolute path first
        raise SelectionError(
            f"{where}: error: not valid Gherkin: {reason}",
            hint="fix that line (interlock lint lists every such problem)",
        ) from None
    if feature is None:
        return []
    relative = str(path.relative_to(root))
    return [_ref(relative, scenario) for scenario in feature.walk_scenarios()]


def _ref(relative: str, scenario: Any) -> ScenarioRef:
    parent = getattr(scenario, "parent", None)
    from_outline = getattr(scenario, "_row", None) is not None and parent is not None
    return ScenarioRef(
        file=relative,
        line=int(scenario.location.line),
        name=scenario_title(scenario),
        tags=frozenset(str(t) for t in scenario.effective_tags),
        outline_line=int(parent.location.line) if from_outline and parent else None,
    )


# -- shards and workers -------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as a pair."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise SelectionError(
            f"--shard {text!r} is not K/N with 1 <= K <= N",
            hint="for the second of four machines write --shard 2/4",
        )
    return int(match.group(1)), int(match.group(2))


def shard(scenarios: Sequence[ScenarioRef], index: int, total: int) -> list[ScenarioRef]:
    """A stable split: the same scenarios give the same shards on every machine.

    Scenarios are dealt round-robin in (file, line) order, which keeps the shards'
    sizes within one of each other; no machine-local timing is involved.
    """
    ordered = sorted(scenarios, key=lambda s: (s.file, s.line))
    return [s for i, s in enumerate(ordered) if i % total == index - 1]


def _usable(duration: object) -> bool:
    """A duration worth planning with (history files are read as they are)."""
    return isinstance(duration, int | float) and math.isfinite(duration) and duration > 0


def partition(
    scenarios: Sequence[ScenarioRef], workers: int, durations: Mapping[str, float]
) -> list[list[ScenarioRef]]:
    """Spread scenarios over ``workers`` batches of about equal expected time, each a
    contiguous run of the suite in file order.

    The suite is cut where its running total of expected time (the last run's
    durations; the mean of those for a scenario never timed) crosses each worker's
    share, so the batches differ by at most about one scenario's time. Contiguous
    batches keep a feature's scenarios together: a worker parses only the files of its
    own batch, and at most ``workers - 1`` files are split between two workers.
    """
    known = [d for d in durations.values() if _usable(d)]
    fallback = sum(known) / len(known) if known else DEFAULT_DURATION
    costs = [d if _usable(d := durations.get(s.key, fallback)) else fallback for s in scenarios]
    total = sum(costs)
    batches: list[list[ScenarioRef]] = [[] for _ in range(workers)]
    done = 0.0
    for ref, cost in zip(scenarios, costs, strict=True):
        middle = done + cost / 2  # a scenario goes where most of its time falls
        batches[min(int(middle / total * workers), workers - 1)].append(ref)
        done += cost
    return [batch for batch in batches if batch]
