"""The sign-off pack: what was tested, against which requirements, where, and the verdict.

``reports/signoff/signoff.json`` (for machines) and ``reports/signoff/index.html`` (a
single page for whoever signs off): the run's identity (environment, commit, time,
who ran it, a fingerprint of the feature files), the requirements matrix, untested
and unknown requirements, each verdict rule with whether it holds, and the verdict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock import approval, coverage_report, requirements, rows_left_behind, waivers
from interlock import scope as scope_of
from interlock.allure_files import executor
from interlock.allure_formatter import RESULTS_FOLDER
from interlock.config import Config
from interlock.environment.processes import end_group
from interlock.masking import Masker
from interlock.report import Outcome, Summary, report_page, signals_held
from interlock.scope import Scope
from interlock.verdict import (
    COMMITTED,
    MANUAL_RULE,
    MANUAL_TAG,
    WHOLE_SUITE,
    Facts,
    Rule,
    implied,
    judge,
    names,
    parse_rule,
)

ACCEPTED = "ACCEPTED"
NOT_ACCEPTED = "NOT ACCEPTED"
REPORT = "../allure-report/index.html"  # the HTML report, from this pack's folder


@dataclass(frozen=True)
class Pack:
    data: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return bool(self.data["verdict"] == ACCEPTED)


def build(
    config: Config,
    summary: Summary,
    environ: dict[str, str],
    scope: Scope | None = None,
    previous: dict[str, Any] | None = None,
) -> Pack:
    """The pack of ``summary``'s results; ``previous``, the pack ``interlock signoff``
    writes over (an approval of results that changed since is a reason)."""
    scope = scope or Scope()
    latest = summary.latest()
    muted = set(summary.muted)
    catalog = requirements.load(config.root, config.report.requirement_tag)
    suite_waivers = waivers.load(config.root)
    applied = waivers.apply(
        suite_waivers, [o for o in summary.verdict_failures if not o.missing], summary.today
    )
    waived = {o.location for o, _ in applied.waived}
    matrix = _matrix(config, latest, catalog)
    untested = [r for r in catalog.ids if r not in matrix]
    unknown = sorted((r for r in matrix if catalog.path and r not in catalog), key=_natural)
    covered, changes = _scope(config, latest, scope, environ)
    contracts = contract_coverage(config)
    facts = Facts(
        results=latest,
        failing=[o for o in summary.verdict_failures if o.location not in waived],
        expired=[outcome for outcome, _ in summary.expired],
        untested_requirements=[catalog.label(r) for r in untested],
        suite_size=covered["suite_scenarios"],
        not_run=covered["not_run"],
        uncommitted=changes["files"] if changes["checked"] else None,
        unknown_requirements=unknown,
        waived=[o for o, _ in applied.waived],
        expired_waivers=[
            f"{o.location} ({o.name}): waived by {w.by} until {w.until}" for o, w in applied.expired
        ],
        contract_coverage=coverage_report.percents(contracts),
    )
    configured = implied(config.report.verdict, catalog.path is not None, bool(suite_waivers))
    rules = [
        {"rule": rule.text, "holds": reason is None, "reason": reason,
         "note": _rule_note(rule.text, covered, changes)}
        for rule, reason in judge(with_manual_rule(tuple(configured)), facts)
    ]  # fmt: skip
    rows_left = rows_left_behind.load(config.reports_dir)
    rules += rows_left_rule(config, rows_left)
    missing = summary.missing  # whatever the rules say, a run with a gap is not accepted
    ran = bool(summary.reported)
    holds = ran and not missing and all(r["holds"] for r in rules)
    verdict = ACCEPTED if holds else NOT_ACCEPTED
    reasons = [r["reason"] for r in rules if not r["holds"]]
    if missing:
        gap = f"{len(missing)} selected scenario(s) reported no result: {names(missing)}"
        reasons.insert(0, gap)
    if not ran:
        reasons.insert(0, "no scenario ran")
    digest = approval.results_digest(config.reports_dir / RESULTS_FOLDER)
    stale = approval.stale(previous, digest)
    if stale:
        reasons.append(stale)
        verdict, holds = NOT_ACCEPTED, False
    count = len(applied.waived)
    plural = "s" if count != 1 else ""
    headline = verdict + (f" with {count} waiver{plural}" if holds and count else "")
    files = sorted({config.root / o.location.rsplit(":", 1)[0] for o in latest})
    return Pack(
        {
            "verdict": verdict,
            "headline": headline,
            "reasons": reasons,
            "run": {
                "project": config.project_name,
                "environment": config.env,
                "commit": _commit(config.root),
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "executor": executor(environ),
                "features_fingerprint": fingerprint(files),
                "feature_files": [str(f.relative_to(config.root)) for f in files if f.exists()],
                "results_digest": digest,
            },
            "scope": covered,
            "changes": changes,
            "counts": dict(summary.counts),
            "rules": rules,
            "catalog": str(catalog.path.name) if catalog.path else None,
            "requirements": matrix,
            "untested_requirements": untested,
            "unknown_requirements": unknown,
            "requirement_titles": {r.id: r.title for r in catalog},
            "waivers": _waivers(applied),
            "approval": approval.latest_for(config.root, digest),
            "stale_approval": _stale_approval(previous) if stale else None,
            "manual_checks": manual_checks(latest),
            "contract_coverage": contracts,
            "rows_left_behind": rows_left,
            "scenarios": [
                {
                    "location": o.location,
                    "name": o.name,
                    "status": o.status,
                    "quarantined": o in muted,
                    "waived": o.location in waived,
                    "cause": o.message.splitlines()[0] if o.failing and o.message else "",
                }
                for o in latest
            ],
        }
    )


def _scope(
    config: Config, latest: list[Outcome], scope: Scope, environ: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the run was asked for and covered of the suite; the suite's uncommitted changes."""
    suite, note = scope_of.suite(config)
    ran = {o.location for o in latest}
    not_run = [s.location for s in suite if s.location not in ran]
    selection = scope.selection()
    covered = {
        "selection": selection,
        "described": scope_of.describe(selection),
        "suite_scenarios": len(suite),
        "ran_scenarios": len(suite) - len(not_run),
        "not_run": not_run,
        "whole": not not_run and not note,
        "note": note,
    }
    if scope.checks_changes(environ):
        files, why = scope_of.uncommitted(config)
        changes = {"checked": files is not None, "files": files or [], "note": why}
    else:
        why = "not checked: interlock run checks them only when CI is set; interlock signoff does"
        changes = {"checked": False, "files": [], "note": why}
    return covered, changes


def check_suite_files(config: Config) -> None:
    """The requirements catalog and the waivers can be read (else a named error, exit 2):
    checked before a run starts, so that it cannot fail once its scenarios have run."""
    requirements.load(config.root, config.report.requirement_tag)
    waivers.load(config.root)


def decide(
    config: Config, pack: Pack, decision: str, by: str, comment: str, key: Path | None
) -> Path:
    """Record a person's decision on ``pack`` (approvals/...json, signed with ``key``) and
    show it in the pack. Approving a pack that is NOT ACCEPTED is refused: waive the
    failures that are acceptable instead, or reject it."""
    if decision == "approved" and not pack.accepted:
        raise approval.ApprovalError(
            "the verdict is NOT ACCEPTED, so it cannot be approved:\n  - "
            + "\n  - ".join(pack.data["reasons"]),
            hint="fix or waive (waivers.yaml) what fails and sign off again, or --reject it",
        )
    path = approval.record(config.root, pack.data, decision, by, comment, key)
    pack.data["approval"] = approval.latest_for(config.root, pack.data["run"]["results_digest"])
    return path


def verify(config: Config, folder: Path, results: Path, say: Callable[[str], None]) -> int:
    """``interlock signoff --verify``: 0 when the pack in ``folder``, its approval and its
    signature match the results; 1, with each mismatch named, when not."""
    pack = previous(folder)
    if pack is None:
        raise approval.ApprovalError(
            f"no sign-off pack in {folder}", hint="interlock signoff writes one; approve it"
        )
    problems = approval.verify(config.root, pack, results, fingerprint)
    shown = pack.get("approval") or {}
    if problems:
        say("NOT VERIFIED:")
        for problem in problems:
            say(f"  - {problem}")
        return 1
    say(
        f"VERIFIED: {shown.get('file')} ({shown.get('decision')} by {shown.get('by')} on"
        f" {shown.get('time')}) matches the results and the feature files;"
        f" signature: {approval.signature(config.root, config.root / str(shown['file']))[1]}"
    )
    return 0


def print_pdf(page: Path, timeout: float = 120) -> str:
    """``index.pdf`` beside the page (headless Chromium prints it); says what it did."""
    browser = next((b for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
    if browser is None:
        return "no PDF of the sign-off page: Chromium is not installed (apt-get install chromium)"
    pdf = page.with_suffix(".pdf")
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="interlock-pdf-") as profile:
        # A Ctrl-C while Chromium is being started waits until it has a pid (it would
        # be left running otherwise), and is acted on once it can be stopped.
        with signals_held() as held:
            try:
                chromium = subprocess.Popen(
                    [browser, "--headless", "--no-sandbox", "--disable-gpu",
                     "--no-pdf-header-footer", f"--user-data-dir={profile}",
                     f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
            except OSError as exc:
                return f"no PDF of the sign-off page: Chromium did not start ({exc})"
        try:
            if held:
                raise KeyboardInterrupt
            chromium.wait(timeout)
        except subprocess.TimeoutExpired:
            return f"no PDF of the sign-off page: Chromium took over {timeout:g} s"
        finally:  # its helper processes too (a group of its own), waited for
            end_group(chromium.pid)
            chromium.wait()
    if not pdf.is_file() or pdf.stat().st_size == 0:
        return "no PDF of the sign-off page: Chromium wrote none"
    return f"sign-off PDF: {pdf}"


def previous(folder: Path) -> dict[str, Any] | None:
    """The pack last written in ``folder`` (None when there is none, or it is unreadable)."""
    try:
        data = json.loads((folder / "signoff.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _stale_approval(previous: dict[str, Any] | None) -> Any:
    return (previous or {}).get("approval") or (previous or {}).get("stale_approval")


def _rule_note(text: str, covered: dict[str, Any], changes: dict[str, Any]) -> str:
    if text == WHOLE_SUITE:
        return str(covered["note"])
    if text == COMMITTED:
        return str(changes["note"])
    return ""


def _waivers(applied: waivers.Applied) -> list[dict[str, Any]]:
    listed = [
        {**w.as_dict(), "status": status, "location": o.location, "name": o.name}
        for status, pairs in (("applied", applied.waived), ("expired", applied.expired))
        for o, w in pairs
    ]
    listed += [
        {**w.as_dict(), "status": "unused", "location": "", "name": ""} for w in applied.unused
    ]
    return listed


def _matrix(
    config: Config, latest: list[Outcome], catalog: requirements.Catalog
) -> dict[str, dict[str, Any]]:
    """Requirement -> its words and its scenarios' status (passed only if all passed)."""
    matrix: dict[str, dict[str, Any]] = {}
    for outcome in latest:
        for tag in sorted(outcome.tags):
            if config.report.requirement_tag.fullmatch(tag):
                known = catalog.get(tag)
                words = known.as_dict() if known else {"id": tag, "title": ""}
                entry = matrix.setdefault(tag, {**words, "status": "passed", "scenarios": []})
                entry["scenarios"].append(
                    {"location": outcome.location, "name": outcome.name, "status": outcome.status,
                     "report": _page(outcome), "manual": MANUAL_TAG in outcome.tags}
                )  # fmt: skip
                if outcome.status != "passed":
                    entry["status"] = "failed" if outcome.failing else outcome.status
    return dict(sorted(matrix.items(), key=lambda kv: _natural(kv[0])))


def contract_coverage(config: Config) -> list[dict[str, Any]]:
    """Per service with an OpenAPI document, the documented responses the run saw (read
    from the coverage parts in its results folder, every worker's and shard's)."""
    documents = {name: s.openapi for name, s in config.services.items() if s.openapi}
    return coverage_report.of_run(documents, config.reports_dir / RESULTS_FOLDER)


def _coverage_section(data: dict[str, Any]) -> str:
    listed = data.get("contract_coverage") or []
    if not listed:
        return ""
    return "<h2>Contract coverage</h2>" + coverage_report.section(listed)


def rows_left_rule(config: Config, rows_left: list[str]) -> list[dict[str, Any]]:
    """The rule "no rows left behind", when ``run.rows_left_behind: fail`` asks for it
    (under ``warn`` the tables are listed in their own section, and the verdict stands)."""
    if config.run.rows_left_behind != "fail":
        return []
    reason = "; ".join(rows_left) if rows_left else None  # "shop.outbox: 1 row left behind, ..."
    note = "run.rows_left_behind: fail"
    return [{"rule": rows_left_behind.RULE, "holds": not rows_left, "reason": reason, "note": note}]


def _rows_left_section(listed: list[str]) -> str:
    if not listed:
        return ""
    e = html.escape
    items = "".join(f"<li>{e(line)}</li>" for line in listed)
    return (
        "<h2>Rows left behind</h2><p>Tables of a disposable database that hold more rows"
        f" after the run than before it, though every cleanup ran:</p><ul>{items}</ul>"
    )


def with_manual_rule(rules: tuple[Rule, ...]) -> list[Rule]:
    """The configured rules, and "no pending manual checks" whatever they say: a check
    nobody did never passes silently."""
    listed = any(rule.text == MANUAL_RULE for rule in rules)
    return [*rules] if listed else [*rules, parse_rule(MANUAL_RULE)]


def manual_checks(latest: list[Outcome]) -> list[dict[str, Any]]:
    """The ``@manual`` scenarios' outcomes: who recorded what, or why each is pending."""
    return [
        {"location": o.location, "name": o.name, "status": o.status,
         "record": o.message.splitlines()[0] if o.message else "", "report": _page(o)}
        for o in latest
        if MANUAL_TAG in o.tags
    ]  # fmt: skip


def _page(outcome: Outcome) -> str:
    fragment = report_page(outcome)
    return REPORT + fragment if fragment else ""


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


_MANUAL_STATES = {"passed": "passed", "failed": "failed", "broken": "blocked", "skipped": "pending"}


def _linked(scenario: dict[str, Any]) -> str:
    """A scenario's name, linked to its page in the HTML report."""
    name = html.escape(scenario["name"])
    if not scenario.get("report"):
        return name
    return f"<a href='{html.escape(scenario['report'])}'>{name}</a>"


def fingerprint(files: list[Path]) -> str:
    """SHA-256 over the feature files' paths and contents."""
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _commit(root: Path) -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = result.stdout.strip()
    if result.returncode != 0 or not commit:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "features"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return commit + (" (feature files changed since)" if dirty else "")


def write(pack: Pack, folder: Path, masker: Masker) -> Path:
    """Write ``signoff.json`` and ``index.html`` (masked) and return the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    text = masker.mask(json.dumps(pack.data, indent=2))
    (folder / "signoff.json").write_text(text, encoding="utf-8")
    page = folder / "index.html"
    page.write_text(masker.mask(render(pack.data)), encoding="utf-8")
    return page


def render(data: dict[str, Any]) -> str:
    """The sign-off page: one self-contained HTML file."""
    e = html.escape
    run = data["run"]
    ok = data["verdict"] == ACCEPTED
    titles = data.get("requirement_titles", {})
    rows = "".join(
        f"<tr><td>{_requirement_cell(req, info)}</td>"
        f"<td class='{e(info['status'])}'>{e(info['status'])}</td><td>"
        + "<br>".join(
            f"<span class='{e(s['status'])}'>{e(s['status'])}</span> {_linked(s)}"
            f"{' (manual check)' if s.get('manual') else ''} <small>{e(s['location'])}</small>"
            for s in info["scenarios"]
        )
        + "</td></tr>"
        for req, info in data["requirements"].items()
    )
    rules = "".join(
        f"<li class='{'passed' if r['holds'] else 'failed'}'>{'✔' if r['holds'] else '✘'}"
        f" {e(r['rule'])}{'' if r['holds'] else ': ' + e(str(r['reason']))}"
        + (f" <small>({e(r['note'])})</small>" if r.get("note") else "")
        + "</li>"
        for r in data["rules"]
    )
    failing = [s for s in data["scenarios"] if s["status"] in ("failed", "broken")]
    failures = "".join(
        f"<tr><td>{e(s['location'])}</td><td>{e(s['name'])}"
        f"{' (quarantined)' if s['quarantined'] else ''}"
        f"{' (waived)' if s.get('waived') else ''}</td><td>{e(s['cause'])}</td></tr>"
        for s in failing
    )
    manual = "".join(
        f"<tr><td>{_linked(m)}<br><small>{e(m['location'])}</small></td>"
        f"<td class='{e(m['status'])}'>{e(_MANUAL_STATES.get(m['status'], m['status']))}</td>"
        f"<td>{e(m['record'])}</td></tr>"
        for m in data.get("manual_checks", [])
    )
    counts = ", ".join(f"{n} {e(k)}" for k, n in sorted(data["counts"].items()))

    def named(ids: list[str]) -> str:
        return "; ".join(e(f"{r}: {titles[r]}" if titles.get(r) else r) for r in ids) or "none"

    executor = run["executor"]
    headline = data.get("headline", data["verdict"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sign-off: {e(run["project"])} ({e(run["environment"])}): {e(headline)}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222;
  padding: 0 1rem }}
h1 {{ margin-bottom: .2rem }} .verdict {{ font-size: 2rem; font-weight: 700; padding: .6rem 1rem;
  border-radius: 6px; display: inline-block; color: #fff; background: {
        "#2e7d32" if ok else "#c62828"
    } }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem }}
td, th {{ border: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top }}
th {{ background: #f4f4f4 }} small {{ color: #777 }} dl {{ display: grid;
  grid-template-columns: max-content auto; gap: .2rem 1rem }} dt {{ font-weight: 600 }}
.passed {{ color: #2e7d32 }} .failed, .broken {{ color: #c62828 }} .skipped {{ color: #777 }}
ul.rules {{ list-style: none; padding: 0 }}
.box {{ border: 1px solid #ccc; border-radius: 6px; padding: .6rem 1rem; margin: 1rem 0 }}
.box.good {{ border-color: #2e7d32; background: #f1f8f1 }}
.box.bad {{ border-color: #c62828; background: #fdf1f1 }}
@media print {{ body {{ margin: 0; max-width: none }} }}
</style></head><body>
<h1>Acceptance sign-off: {e(run["project"])}</h1>
<p class="verdict">{e(headline)}</p>
{_approval_box(data)}
<h2>Verdict rules</h2><ul class="rules">{rules}</ul>
<h2>What was tested</h2>{_scope_section(data)}
<h2>The run</h2><dl>
<dt>Environment</dt><dd>{e(run["environment"])}</dd>
<dt>Commit</dt><dd>{e(run["commit"])}</dd>
<dt>Time (UTC)</dt><dd>{e(run["time"])}</dd>
<dt>Run by</dt><dd>{e(str(executor.get("name")))}: {e(str(executor.get("buildName", "")))}
 {e(str(executor.get("buildUrl", "")))}</dd>
<dt>Scenarios</dt><dd>{counts}</dd>
<dt>Feature files</dt><dd>{len(run["feature_files"])}, fingerprint
 <code>{e(run["features_fingerprint"][:16])}</code></dd>
<dt>Results</dt><dd>digest <code>{e(str(run.get("results_digest", ""))[:16])}</code></dd>
</dl>
<h2>Requirements</h2>
<table><tr><th>Requirement</th><th>Status</th><th>Scenarios</th></tr>{rows}</table>
<p>Untested requirements: {named(data["untested_requirements"])}.<br>
Requirement tags not in the catalog{f" ({e(data['catalog'])})" if data.get("catalog") else ""}: {
        named(data["unknown_requirements"])
    }.</p>
{_waivers_section(data.get("waivers", []))}
{_coverage_section(data)}
{_rows_left_section(data.get("rows_left_behind") or [])}
<h2>Manual checks</h2>
<table><tr><th>Check</th><th>Outcome</th><th>Record</th></tr>{
        manual or "<tr><td colspan=3>none in this run</td></tr>"
    }</table>
<h2>Failures</h2>
<table><tr><th>Where</th><th>Scenario</th><th>Cause</th></tr>{
        failures or "<tr><td colspan=3>none</td></tr>"
    }</table>
<p><small>Generated by interlock. signoff.json beside this page holds the same data.</small></p>
</body></html>
"""


def _requirement_cell(req: str, info: dict[str, Any]) -> str:
    e = html.escape
    ident = f"<b>{e(req)}</b>"
    if info.get("link"):
        ident = f"<a href='{e(info['link'])}'>{ident}</a>"
    extra = " · ".join(e(str(info[k])) for k in ("owner", "priority") if info.get(k))
    title = e(info.get("title") or "(not in the catalog)")
    return f"{ident} {title}" + (f"<br><small>{extra}</small>" if extra else "")


def _approval_box(data: dict[str, Any]) -> str:
    e = html.escape
    shown = data.get("approval")
    stale = data.get("stale_approval")
    if stale and not shown:
        return (
            f"<div class='box bad'><b>Approval no longer valid:</b> {e(str(stale.get('by')))}"
            f" approved other results on {e(str(stale.get('time')))} ({e(str(stale.get('file')))});"
            " the results changed since.</div>"
        )
    if not shown:
        return (
            "<div class='box'><b>Not yet approved.</b> To approve: <code>interlock signoff"
            ' --approve --by "Name, role" [--comment ...] [--key ~/.ssh/id_ed25519]</code>'
            " (or <code>--reject</code>).</div>"
        )
    word = "Approved" if shown["decision"] == "approved" else "Rejected"
    good = shown["decision"] == "approved" and shown.get("signature_ok") is not False
    comment = f"<br>“{e(str(shown['comment']))}”" if shown.get("comment") else ""
    return (
        f"<div class='box {'good' if good else 'bad'}'><b>{word} by {e(str(shown['by']))}</b>"
        f" on {e(str(shown['time']))} (UTC){comment}<br><small>signature:"
        f" {e(str(shown['signature']))} · record: {e(str(shown['file']))}</small></div>"
    )


def _scope_section(data: dict[str, Any]) -> str:
    e = html.escape
    scope = data.get("scope") or {}
    changes = data.get("changes") or {}
    whole = scope.get("whole")
    manual = len(data.get("manual_checks") or [])
    covered = (
        f"{scope.get('ran_scenarios', 0)} of {scope.get('suite_scenarios', 0)} automated"
        f" scenarios of the suite{' (the whole suite)' if whole else ' (a partial run)'}"
        + (f", and {manual} manual check{'s' if manual != 1 else ''}" if manual else "")
    )
    if scope.get("note"):
        covered += f" <small>({e(scope['note'])})</small>"
    if changes.get("checked"):
        files = changes.get("files") or []
        changed = e(", ".join(files)) if files else "none"
    else:
        changed = e(str(changes.get("note", "not checked")))
    return (
        f"<dl><dt>Selection</dt><dd>{e(str(scope.get('described', '')))}</dd>"
        f"<dt>Covered</dt><dd class='{'passed' if whole else 'failed'}'>{covered}</dd>"
        f"<dt>Uncommitted changes</dt><dd>{changed}</dd></dl>"
    )


def _waivers_section(listed: list[dict[str, Any]]) -> str:
    if not listed:
        return ""
    e = html.escape
    words = {"applied": "accepts this failure", "expired": "EXPIRED: the failure counts",
             "unused": "not needed: no such failure in this run"}  # fmt: skip
    rows = "".join(
        f"<tr><td>{e(w['scenario'])}"
        + (f"<br><small>{e(w['name'])}</small>" if w.get("name") else "")
        + f"</td><td>{e(w['by'])}</td><td>{e(w['reason'])}</td><td>{e(w['until'])}</td>"
        f"<td class='{'failed' if w['status'] == 'expired' else ''}'>{words[w['status']]}</td></tr>"
        for w in listed
    )
    return (
        "<h2>Waivers</h2><table><tr><th>Scenario</th><th>Accepted by</th><th>Reason</th>"
        f"<th>Until</th><th>Status</th></tr>{rows}</table>"
    )
