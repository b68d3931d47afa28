"""Contract coverage: which documented responses of each service's OpenAPI document the
run has seen.

Every exchange interlock's HTTP client makes (a scenario's requests, and the generated
ones of the probing step) is matched to the operation of the service's document
(method and path template) and recorded with its status, in one file per behave process
in the run's Allure results folder (``interlock-coverage-<pid>.jsonl``, a JSON object a
line, appended and flushed at once). The results folder is emptied when a run starts
and copied whole by ``interlock merge``, so the parts of every worker, and of every
shard once merged, are read together (:func:`read_seen`): by the step that asserts the
coverage (in a ``@serial`` scenario, after the parallel part) and by the summary.

A documented status is a code (``201``) or a range (``4XX``, seen by any 4xx); a
``default`` response documents every other status of its operation and is not a row
of its own. A status the operation does not document, and a call to an operation the
document does not describe, are contract gaps.

Pure but for :class:`Recorder` (one append per exchange) and :func:`read_seen`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from interlock.errors import ScenarioInputError, excerpt
from interlock.folders import json_lines
from interlock.payloads import shown

PART_PREFIX = "interlock-coverage-"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAMETER = re.compile(r"\{[^}/]+\}")


# -- what a document promises -----------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation of a document: ``GET /orders/{id}``, and its documented statuses."""

    method: str
    template: str
    statuses: tuple[str, ...]  # "200", "4XX"; in the document's order
    has_default: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def documents(self, status: int) -> str | None:
        """The documented status (``"404"``, ``"4XX"``) a response's ``status`` counts for;
        ``"default"`` when only the default response covers it; None when undocumented."""
        code = str(status)
        if code in self.statuses:
            return code
        wildcard = f"{code[0]}XX"
        if wildcard in self.statuses:
            return wildcard
        return "default" if self.has_default else None


@dataclass(frozen=True)
class Contract:
    """The operations a document describes, and how to find the one a URL calls."""

    document: str  # as shown to the user
    base_path: str  # the path of the document's first server ("" for "/")
    operations: tuple[Operation, ...]

    def locate(self, method: str, path: str) -> Operation | None:
        """The operation that ``method path`` calls (a literal template before one with
        parameters, as OpenAPI says), or None."""
        method = method.upper()
        path = unquote(path.split("?", 1)[0]) or "/"
        if self.base_path and path.startswith(self.base_path + "/"):
            path = path[len(self.base_path) :]
        best: tuple[int, Operation] | None = None
        for operation in self.operations:
            if operation.method != method or not _matches(operation.template, path):
                continue
            literal = len(_PARAMETER.sub("", operation.template))
            if best is None or literal > best[0]:
                best = (literal, operation)
        return best[1] if best else None

    def find(self, label: str) -> Operation:
        """The operation named ``METHOD /template``; a named error listing the document's
        operations when it has none such."""
        wanted = " ".join(label.split())
        method, _, template = wanted.partition(" ")
        for operation in self.operations:
            if operation.method == method.upper() and operation.template == template:
                return operation
        raise ScenarioInputError(
            f"the API contract {self.document} describes no operation {label!r}",
            hint=f"it describes: {', '.join(o.label for o in self.operations) or 'none'}",
        )


def _matches(template: str, path: str) -> bool:
    pattern = "".join(
        "[^/]+" if _PARAMETER.fullmatch(part) else re.escape(part)
        for part in re.split(r"(\{[^}/]+\})", template)
    )
    return re.fullmatch(pattern, path) is not None


_contracts: dict[Path, Contract] = {}


def contract(document: Path) -> Contract:
    """The operations of the OpenAPI document at ``document`` (read once per process)."""
    if document not in _contracts:
        _contracts[document] = parse(document)
    return _contracts[document]


def parse(document: Path) -> Contract:
    """Read an OpenAPI document's operations and documented statuses; a named error, with
    the file and the JSON pointer, when the document is not one."""
    where = shown(document)
    try:
        data = yaml.safe_load(document.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioInputError(
            f"cannot read the OpenAPI document {where}: {exc.strerror or exc}",
            hint="check services.NAME.openapi in the config (relative to the project root)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioInputError(
            f"the OpenAPI document {where} is not valid YAML or JSON: {excerpt(str(exc))}",
            hint="fix the document",
        ) from None
    return contract_of(data, where)


def contract_of(data: Any, where: str) -> Contract:
    """:func:`parse` for a document already read (``where`` names it)."""
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise ScenarioInputError(
            f"the OpenAPI document {where} has no paths (at /paths)",
            hint="an OpenAPI 3 document lists its operations under paths:",
        )
    servers = data.get("servers") or [{}]
    first = servers[0] if isinstance(servers, list) and isinstance(servers[0], dict) else {}
    base_path = urlsplit(str(first.get("url") or "/")).path.rstrip("/")
    operations = []
    for template, item in data["paths"].items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            responses = spec.get("responses")
            pointer = f"/paths/{_escape(str(template))}/{method}/responses"
            if not isinstance(responses, dict) or not responses:
                raise ScenarioInputError(
                    f"the OpenAPI document {where} documents no responses at {pointer}",
                    hint="every operation lists its responses, status by status",
                )
            codes = tuple(str(c).upper() for c in responses if str(c).lower() != "default")
            default = any(str(c).lower() == "default" for c in responses)
            operations.append(Operation(method.upper(), str(template), codes, default))
    return Contract(where, base_path, tuple(operations))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


# -- what the run saw -----------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One exchange, as coverage keeps it."""

    service: str
    operation: str | None  # "POST /orders"; None: the document describes no such call
    call: str  # "POST /orders/12" (the path without its query)
    status: int
    scenario: str

    def line(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False) + "\n"


@dataclass
class Recorder:
    """This process's coverage part: each exchange appended as it happens."""

    folder: Path
    scenario: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / f"{PART_PREFIX}{os.getpid()}.jsonl"

    def note(self, service: str, document: Path | None, method: str, url: str, status: int) -> None:
        """Record one exchange with ``service`` (nothing when it has no document)."""
        if document is None:
            return
        try:
            described = contract(document)
        except ScenarioInputError:  # named by the step that checks the contract, not here
            return
        found = described.locate(method, urlsplit(url).path)
        path = urlsplit(url).path or "/"
        seen = Seen(
            service,
            found.label if found else None,
            f"{method.upper()} {path}",
            status,
            self.scenario,
        )
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(seen.line())


def merged_name(name: str, shard: int) -> str:
    """The name a results file of the ``shard``-th folder gets in a merge: a coverage part
    is renamed (its pid may be another shard's too), any other file keeps its name."""
    part = re.fullmatch(r"(interlock-[a-z]+-)(\d+\.jsonl)", name)  # tables' parts too
    return f"{part[1]}s{shard}-{part[2]}" if part else name


def read_seen(folder: Path) -> list[Seen]:
    """Every exchange recorded in ``folder`` by any process of the run (a line still being
    written, or not one of ours, is skipped)."""
    found = []
    for data in json_lines(folder, PART_PREFIX):
        try:
            found.append(
                Seen(
                    str(data["service"]),
                    data["operation"] if data["operation"] is None else str(data["operation"]),
                    str(data["call"]),
                    int(data["status"]),
                    str(data["scenario"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return found


# -- coverage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One documented response of one operation, and the scenarios that saw it."""

    operation: str
    status: str
    scenarios: tuple[str, ...]

    @property
    def seen(self) -> bool:
        return bool(self.scenarios)


@dataclass(frozen=True)
class Coverage:
    """A service's documented responses, seen or not, and the gaps the run found."""

    service: str
    document: str
    rows: tuple[Row, ...]
    gaps: tuple[str, ...]  # "POST /orders answered 418 (documented: 201, 400)"

    @property
    def unseen(self) -> list[Row]:
        return [row for row in self.rows if not row.seen]

    @property
    def percent(self) -> float:
        return 100.0 * sum(r.seen for r in self.rows) / len(self.rows) if self.rows else 100.0

    def headline(self) -> str:
        seen = sum(r.seen for r in self.rows)
        return (
            f"contract coverage of {self.service} ({self.document}): {seen} of"
            f" {len(self.rows)} documented responses seen ({self.percent:.0f}%)"
        )

    def as_dict(self) -> dict[str, Any]:
        """The coverage as the sign-off pack (signoff.json) and the report keep it."""
        return {
            "service": self.service,
            "document": self.document,
            "documented": len(self.rows),
            "seen": sum(r.seen for r in self.rows),
            "percent": round(self.percent, 1),
            "rows": [
                {
                    "operation": r.operation,
                    "status": r.status,
                    "seen": r.seen,
                    "scenarios": list(r.scenarios),
                }
                for r in self.rows
            ],
            "gaps": list(self.gaps),
        }

    def table(self) -> str:
        """The table a report shows: operation, status, the scenarios that saw it."""
        lines = [self.headline()]
        for row in self.rows:
            mark = "seen" if row.seen else "NOT SEEN"
            scenarios = _shortlist(row.scenarios)
            lines.append(f"  {row.operation:<36} {row.status:<7} {mark:<8} {scenarios}".rstrip())
        if self.gaps:
            lines.append("  contract gaps (answers the document does not describe):")
            lines += [f"    - {gap}" for gap in self.gaps]
        return "\n".join(lines)


def coverage(service: str, described: Contract, seen: Iterable[Seen]) -> Coverage:
    """How much of ``described`` the exchanges ``seen`` with ``service`` cover."""
    saw: dict[tuple[str, str], list[str]] = {}
    gaps: dict[str, None] = {}
    by_label = {op.label: op for op in described.operations}
    for item in seen:
        if item.service != service:
            continue
        operation = by_label.get(item.operation or "")
        if operation is None:
            gaps[f"{item.call} answered {item.status}: no such operation is documented"] = None
            continue
        status = operation.documents(item.status)
        if status is None:
            documented = ", ".join(operation.statuses) or "none"
            gaps[f"{operation.label} answered {item.status} (documented: {documented})"] = None
            continue
        names = saw.setdefault((operation.label, status), [])
        if item.scenario not in names:
            names.append(item.scenario)
    rows = tuple(
        Row(op.label, status, tuple(saw.get((op.label, status), ())))
        for op in described.operations
        for status in op.statuses
    )
    return Coverage(service, described.document, rows, tuple(gaps))


def without(cov: Coverage, excused: Iterable[tuple[str, str]]) -> Coverage:
    """``cov`` without the rows ``excused`` (operation, status); ``*`` matches any
    operation or status."""
    pairs = list(excused)

    def excused_row(row: Row) -> bool:
        return any(
            op in ("*", row.operation) and status in ("*", row.status) for op, status in pairs
        )

    return Coverage(
        cov.service, cov.document, tuple(r for r in cov.rows if not excused_row(r)), cov.gaps
    )


def unseen_message(cov: Coverage) -> str:
    """The failure of the step that wants every documented response seen."""
    unseen = cov.unseen
    listed = "\n".join(f"  - {row.operation} {row.status}" for row in unseen)
    gaps = "".join(f"\n  contract gap: {gap}" for gap in cov.gaps)
    return (
        f"{cov.headline()}; {len(unseen)} documented response"
        f"{'s were' if len(unseen) != 1 else ' was'} never seen in this run:\n{listed}{gaps}\n"
        "  a scenario that provokes each (or the probing step) must run before this one;"
        " run the whole suite, not a part of it"
    )


def summary(services: Mapping[str, Path], folder: Path) -> str:
    """The coverage section of a run's summary: one table per service with a document;
    empty when the run recorded nothing."""
    seen = read_seen(folder)
    if not seen:
        return ""
    sections = []
    for name, document in services.items():
        if not any(s.service == name for s in seen):
            continue
        try:
            sections.append(coverage(name, contract(document), seen).table())
        except ScenarioInputError as exc:
            sections.append(f"contract coverage of {name}: {exc}")
    return "\n".join(sections)


def _shortlist(names: tuple[str, ...], limit: int = 2) -> str:
    if len(names) <= limit:
        return "; ".join(names)
    return "; ".join(names[:limit]) + f" (+{len(names) - limit} more)"
