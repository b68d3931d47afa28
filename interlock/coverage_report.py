"""Contract coverage as a run's reports show it: per service with an OpenAPI document,
a table of operations x documented statuses, seen or not, with the scenarios that saw
each, and the contract gaps (answers the document does not describe).

Read from the coverage parts in the results folder (every worker's, every shard's once
merged; see :mod:`interlock.contract_coverage`), it goes to the sign-off pack
(``signoff.json`` and its page), to the verdict rule ``contract coverage of <service>
at least <n>%``, and to the Allure report as a global attachment: Allure 3 reads
``*-globals.json`` from the results folder and its report shows the attachment under
"Global attachments", beside the test results rather than posing as one of them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from interlock import contract_coverage
from interlock.errors import ScenarioInputError
from interlock.masking import Masker

# Fixed names: a run (or a merge) writes them over, and the results' digest stays the same
# when the coverage does.
ATTACHMENT = "interlock-contract-coverage-attachment.html"
GLOBALS = "interlock-contract-coverage-globals.json"
TITLE = "Contract coverage"


def of_run(services: Mapping[str, Path], folder: Path) -> list[dict[str, Any]]:
    """Each service with a document, in config order: its coverage as
    :meth:`~interlock.contract_coverage.Coverage.as_dict` gives it, or, when its document
    cannot be read, ``{"service", "document", "error"}``."""
    if not services:
        return []
    seen = contract_coverage.read_seen(folder)
    listed: list[dict[str, Any]] = []
    for name, document in services.items():
        try:
            described = contract_coverage.contract(document)
        except ScenarioInputError as exc:
            listed.append({"service": name, "document": str(document), "error": str(exc)})
            continue
        listed.append(contract_coverage.coverage(name, described, seen).as_dict())
    return listed


def percents(listed: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Service -> percent of its documented responses seen (services whose document could
    not be read are left out: a rule about one says so)."""
    return {str(c["service"]): float(c["percent"]) for c in listed if "error" not in c}


def section(listed: Sequence[Mapping[str, Any]]) -> str:
    """The tables, as HTML (no page around them); "" when no service has a document."""
    e = html.escape
    parts = []
    for cov in listed:
        head = f"<h3>{e(str(cov['service']))} <small>({e(str(cov['document']))})</small></h3>"
        if "error" in cov:
            parts.append(f"{head}<p class='failed'>{e(str(cov['error']))}</p>")
            continue
        rows = "".join(
            f"<tr><td><code>{e(r['operation'])}</code></td><td>{e(r['status'])}</td>"
            f"<td class='{'passed' if r['seen'] else 'failed'}' style='white-space: nowrap'>"
            f"{'seen' if r['seen'] else 'NOT SEEN'}</td>"
            f"<td>{'<br>'.join(e(s) for s in r['scenarios'])}</td></tr>"
            for r in cov["rows"]
        )
        gaps = "".join(f"<li>{e(g)}</li>" for g in cov["gaps"])
        parts.append(
            f"{head}<p>{cov['seen']} of {cov['documented']} documented responses seen"
            f" (<b>{cov['percent']:g}%</b>)</p>"
            "<table><tr><th>Operation</th><th>Status</th><th>Seen</th><th>Seen by</th></tr>"
            f"{rows}</table>"
            + (
                f"<p>Contract gaps (answers the document does not describe):</p><ul>{gaps}</ul>"
                if gaps
                else "<p>Contract gaps: none.</p>"
            )
        )
    return "".join(parts)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1rem; color: #222 }}
table {{ border-collapse: collapse; width: 100%; margin: .4rem 0 1rem }}
td, th {{ border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top }}
td:nth-child(-n+3) {{ white-space: nowrap }}
th {{ background: #f4f4f4 }} small {{ color: #777 }}
.passed {{ color: #2e7d32 }} .failed {{ color: #c62828; font-weight: 600 }}
</style></head><body><h2>{title}</h2>
<p>Every documented response (operation and status) of each service's OpenAPI document,
and the scenarios whose requests it answered in this run.</p>
{body}</body></html>
"""


def write_allure(results: Path, listed: Sequence[Mapping[str, Any]], masker: Masker) -> None:
    """Write the coverage page and the globals file that names it into the results folder
    (both removed when no service has a document)."""
    page, names = results / ATTACHMENT, results / GLOBALS
    if not listed:
        page.unlink(missing_ok=True)
        names.unlink(missing_ok=True)
        return
    results.mkdir(parents=True, exist_ok=True)
    page.write_text(masker.mask(_PAGE.format(title=TITLE, body=section(listed))), encoding="utf-8")
    attachment = {"name": TITLE, "source": ATTACHMENT, "type": "text/html"}
    names.write_text(json.dumps({"attachments": [attachment], "errors": []}), encoding="utf-8")
