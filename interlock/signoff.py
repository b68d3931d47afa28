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
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.allure_files import executor
from interlock.config import Config
from interlock.masking import Masker
from interlock.report import Outcome, Summary, report_page
from interlock.verdict import MANUAL_RULE, MANUAL_TAG, Facts, Rule, judge, names, parse_rule

ACCEPTED = "ACCEPTED"
NOT_ACCEPTED = "NOT ACCEPTED"
REPORT = "../allure-report/index.html"  # the HTML report, from this pack's folder


@dataclass(frozen=True)
class Pack:
    data: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return bool(self.data["verdict"] == ACCEPTED)


def build(config: Config, summary: Summary, environ: dict[str, str]) -> Pack:
    latest = summary.latest()
    muted = set(summary.muted)
    requirements = _matrix(config, latest)
    known = set(config.report.requirements)
    untested = [r for r in config.report.requirements if r not in requirements]
    unknown = sorted(r for r in requirements if known and r not in known)
    facts = Facts(
        results=latest,
        failing=summary.verdict_failures,
        expired=[outcome for outcome, _ in summary.expired],
        untested_requirements=untested,
    )
    rules = [
        {"rule": rule.text, "holds": reason is None, "reason": reason}
        for rule, reason in judge(with_manual_rule(config.report.verdict), facts)
    ]
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
    files = sorted({config.root / o.location.rsplit(":", 1)[0] for o in latest})
    return Pack(
        {
            "verdict": verdict,
            "reasons": reasons,
            "run": {
                "project": config.project_name,
                "environment": config.env,
                "commit": _commit(config.root),
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "executor": executor(environ),
                "features_fingerprint": fingerprint(files),
                "feature_files": [str(f.relative_to(config.root)) for f in files if f.exists()],
            },
            "counts": dict(summary.counts),
            "rules": rules,
            "requirements": requirements,
            "untested_requirements": untested,
            "unknown_requirements": unknown,
            "manual_checks": manual_checks(latest),
            "scenarios": [
                {
                    "location": o.location,
                    "name": o.name,
                    "status": o.status,
                    "quarantined": o in muted,
                    "cause": o.message.splitlines()[0] if o.failing and o.message else "",
                }
                for o in latest
            ],
        }
    )


def _matrix(config: Config, latest: list[Outcome]) -> dict[str, dict[str, Any]]:
    """Requirement -> its scenarios and their status (passed only if all passed)."""
    matrix: dict[str, dict[str, Any]] = {}
    for outcome in latest:
        for tag in sorted(outcome.tags):
            if config.report.requirement_tag.fullmatch(tag):
                entry = matrix.setdefault(tag, {"status": "passed", "scenarios": []})
                entry["scenarios"].append(
                    {"location": outcome.location, "name": outcome.name, "status": outcome.status,
                     "report": _page(outcome), "manual": MANUAL_TAG in outcome.tags}
                )  # fmt: skip
                if outcome.status != "passed":
                    entry["status"] = "failed" if outcome.failing else outcome.status
    return dict(sorted(matrix.items(), key=lambda kv: _natural(kv[0])))


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
    rows = "".join(
        f"<tr><td>{e(req)}</td><td class='{e(info['status'])}'>{e(info['status'])}</td><td>"
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
        f" {e(r['rule'])}{'' if r['holds'] else ': ' + e(str(r['reason']))}</li>"
        for r in data["rules"]
    )
    failing = [s for s in data["scenarios"] if s["status"] in ("failed", "broken")]
    failures = "".join(
        f"<tr><td>{e(s['location'])}</td><td>{e(s['name'])}"
        f"{' (quarantined)' if s['quarantined'] else ''}</td><td>{e(s['cause'])}</td></tr>"
        for s in failing
    )
    manual = "".join(
        f"<tr><td>{_linked(m)}<br><small>{e(m['location'])}</small></td>"
        f"<td class='{e(m['status'])}'>{e(_MANUAL_STATES.get(m['status'], m['status']))}</td>"
        f"<td>{e(m['record'])}</td></tr>"
        for m in data.get("manual_checks", [])
    )
    counts = ", ".join(f"{n} {e(k)}" for k, n in sorted(data["counts"].items()))
    untested = ", ".join(map(e, data["untested_requirements"])) or "none"
    unknown = ", ".join(map(e, data["unknown_requirements"])) or "none"
    executor = run["executor"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sign-off: {e(run["project"])} ({e(run["environment"])}): {e(data["verdict"])}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222 }}
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
</style></head><body>
<h1>Acceptance sign-off: {e(run["project"])}</h1>
<p class="verdict">{e(data["verdict"])}</p>
<h2>Verdict rules</h2><ul class="rules">{rules}</ul>
<h2>The run</h2><dl>
<dt>Environment</dt><dd>{e(run["environment"])}</dd>
<dt>Commit</dt><dd>{e(run["commit"])}</dd>
<dt>Time (UTC)</dt><dd>{e(run["time"])}</dd>
<dt>Run by</dt><dd>{e(str(executor.get("name")))}: {e(str(executor.get("buildName", "")))}
 {e(str(executor.get("buildUrl", "")))}</dd>
<dt>Scenarios</dt><dd>{counts}</dd>
<dt>Feature files</dt><dd>{len(run["feature_files"])}, fingerprint
 <code>{e(run["features_fingerprint"][:16])}</code></dd>
</dl>
<h2>Requirements</h2>
<table><tr><th>Requirement</th><th>Status</th><th>Scenarios</th></tr>{rows}</table>
<p>Untested requirements: {untested}. Requirement tags not in the requirements list: {unknown}.</p>
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
