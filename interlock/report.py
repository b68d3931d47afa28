"""After a run: read the Allure results into a verdict and a summary, build the HTML report.

A scenario the run selected that reported no result (its worker ended early, its
result was lost, the run was interrupted) is written into the results as a broken
one labelled ``no_result`` (:func:`record_missing`), so that the summary, the verdict,
the sign-off, the history and the HTML report all count it: nothing passes that did
not run.

The HTML report is built by the pinned Allure 3 CLI (``npm ci`` installs it from the
project's ``package-lock.json``; the first report does so itself) into a
temporary folder and moved into place only when complete, so a failed or
interrupted build never leaves a half-written report behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from interlock.allure_files import CATEGORIES
from interlock.allure_formatter import LOCATION_LABEL
from interlock.config import Config
from interlock.environment.processes import stop_process
from interlock.errors import InterlockError
from interlock.quarantine import Quarantine, from_tags
from interlock.selection import ScenarioRef

STATUSES = ("passed", "failed", "broken", "skipped")
ALLURE_TIMEOUT = 600
NPM_TIMEOUT = 600  # seconds `npm ci` may take to install the Allure CLI
HELD = (signal.SIGINT, signal.SIGTERM)  # held while the Allure CLI is being started
SINGLE, SITE = "single", "site"  # the two Allure plugin instances (and site's folder)
MESSAGE_LINES = 12  # of each failure's message in the summary
NO_RESULT_LABEL = "no_result"  # on a result interlock wrote for a scenario that sent none
NO_RESULT = "no result"  # the start of such a result's message (allure_files.CATEGORIES)
# The report's tree: layer (Interface / Integration), feature, rule; not folders.
TREE_GROUPS = ("epic", "feature", "story")


@dataclass(frozen=True)
class Outcome:
    name: str
    location: str
    status: str
    message: str
    tags: frozenset[str] = frozenset()
    duration: float | None = None  # seconds
    stop: int = 0  # epoch milliseconds, orders the tries of one scenario
    flaky: bool = False
    path: Path | None = None  # the result file
    missing: bool = False  # selected, but no result came back (see record_missing)
    uuid: str = ""  # the result's own id (its page in the HTML report: report_page)

    @property
    def key(self) -> str:
        """The scenario's identity across runs (see ``ScenarioRef.key``)."""
        return f"{self.location.rsplit(':', 1)[0]}::{self.name}"

    @property
    def failing(self) -> bool:
        return self.status in ("failed", "broken")


@dataclass(frozen=True)
class Summary:
    """Every result of a run; a retried scenario has one outcome per try."""

    outcomes: tuple[Outcome, ...] = ()
    today: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcomes", tuple(self.outcomes))

    @functools.cached_property
    def _last_tries(self) -> tuple[Outcome, ...]:
        last: dict[str, Outcome] = {}
        for outcome in sorted(self.outcomes, key=lambda o: o.stop):
            last[outcome.location] = outcome
        return tuple(sorted(last.values(), key=lambda o: (o.location.rsplit(":", 1)[0], _line(o))))

    def latest(self) -> list[Outcome]:
        """The last try of each scenario, in location order (every count and list below
        starts here; computed once, since the outcomes never change)."""
        return list(self._last_tries)

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.latest())

    def quarantined(self, outcome: Outcome) -> Quarantine | None:
        return from_tags(outcome.tags, outcome.location)

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.latest() if o.failing]

    @property
    def muted(self) -> list[Outcome]:
        """Failing scenarios under an active quarantine: reported, not counted."""
        return [o for o in self.problems if self._muted(o)]

    @property
    def verdict_failures(self) -> list[Outcome]:
        """The failures that decide the exit code."""
        return [o for o in self.problems if not self._muted(o)]

    @property
    def expired(self) -> list[tuple[Outcome, Quarantine]]:
        found = []
        for outcome in self.latest():
            q = self.quarantined(outcome)
            if q is not None and not q.active(self.today):
                found.append((outcome, q))
        return found

    @property
    def flaky(self) -> list[Outcome]:
        return [o for o in self.latest() if o.flaky]

    @property
    def missing(self) -> list[Outcome]:
        """Selected scenarios that reported no result: failures of the run, never muted."""
        return [o for o in self.latest() if o.missing]

    @property
    def reported(self) -> list[Outcome]:
        """The outcomes behave itself reported (without the ones for missing results)."""
        return [o for o in self.outcomes if not o.missing]

    def _muted(self, outcome: Outcome) -> bool:
        if outcome.missing:
            return False  # a quarantine mutes a scenario's failures, not a run's gap
        q = self.quarantined(outcome)
        return q is not None and q.active(self.today)

    def headline(self) -> str:
        """The closing line CI systems read: ``scenarios: N passed, N failed[, N skipped]``.

        Broken scenarios (errors rather than failed checks) count as failed here, and
        quarantined failures do not; the detailed counts come first in :meth:`text`."""
        counts = self.counts
        failed = len(self.verdict_failures)
        line = f"scenarios: {counts['passed']} passed, {failed} failed"
        return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")

    def text(self, limit: int = 20) -> str:
        counts = self.counts
        total = sum(counts.values())
        parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
        if self.flaky:
            parts.append(f"{len(self.flaky)} flaky (passed on a retry)")
        if self.muted:
            parts.append(f"{len(self.muted)} quarantined")
        lines = [f"{total} scenario{'s' if total != 1 else ''}: {', '.join(parts) or 'none ran'}"]
        for outcome in self.problems[:limit]:
            label = "QUARANT" if self._muted(outcome) else outcome.status.upper()
            label = "MISSING" if outcome.missing else label
            lines.append(f"  {label:7} {outcome.location}  {outcome.name}")
            lines += [f"          {line}" for line in outcome.message.splitlines()]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        for outcome in self.flaky:
            lines.append(f"  FLAKY   {outcome.location}  {outcome.name}")
        for outcome, q in self.expired:
            lines.append(
                f"  note: the quarantine of {outcome.location} expired on {q.until}; "
                "it counts again"
            )
        return "\n".join(lines)


def _line(outcome: Outcome) -> int:
    tail = outcome.location.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def read_results(results_dir: Path) -> Summary:
    """One outcome per result file (``*-result.json``) in the results folder."""
    outcomes: list[Outcome] = []
    if not results_dir.is_dir():
        return Summary()
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        details = data.get("statusDetails") or {}
        message = str(details.get("message") or "").strip().splitlines()
        if len(message) > MESSAGE_LINES:
            message = [*message[:MESSAGE_LINES], f"... ({len(message) - MESSAGE_LINES} more lines)"]
        labels = data.get("labels", [])
        named = {lab.get("name"): lab.get("value") for lab in labels}
        start, stop = data.get("start"), data.get("stop")
        outcomes.append(
            Outcome(
                name=str(data.get("name", "?")).strip(),
                location=str(named.get(LOCATION_LABEL) or named.get("feature") or "?"),
                status=str(data.get("status", "broken")),
                message="\n".join(line[:300] for line in message),
                tags=frozenset(str(lab.get("value")) for lab in labels if lab.get("name") == "tag"),
                duration=(stop - start) / 1000 if start and stop else None,
                stop=int(stop or 0),
                flaky=bool(details.get("flaky")),
                path=path,
                missing=NO_RESULT_LABEL in named,
                uuid=str(data.get("uuid") or ""),
            )
        )
    return Summary(tuple(outcomes))


def report_page(outcome: Outcome) -> str:
    """The fragment that opens a result's page in the HTML report (single-file and
    site alike): ``#`` and Allure 3's id of a test result, the md5 of its uuid."""
    if not outcome.uuid:
        return ""
    return "#" + hashlib.md5(outcome.uuid.encode(), usedforsecurity=False).hexdigest()


def record_missing(
    results_dir: Path,
    selected: Sequence[ScenarioRef],
    interrupted: bool,
    mask: Callable[[str], str],
    recorded: Iterable[str] = (),
    read: Summary | None = None,
) -> list[ScenarioRef]:
    """Write a broken result for each selected scenario that reported none, and return
    those scenarios. ``read``: the results folder as the caller has just read it (else
    it is read here).

    Compared by location (``file:line``; an Outline's row has its own line), which is
    what the formatter labels each result with: a scenario inside a Rule, an Outline
    row and a retried ``@flaky`` scenario (any try counts) all report under the
    location selection gave them. ``recorded``: locations reported some other way
    (the seam for manual scenarios: their record counts as their result).
    """
    read = read_results(results_dir) if read is None else read
    reported = {o.location for o in read.outcomes} | set(recorded)
    missing = [ref for ref in selected if ref.location not in reported]
    why = (
        "the run was interrupted before it reported a result"
        if interrupted
        else "its behave worker ended before reporting it (see that worker's output"
        " or log), or its result file was lost"
    )
    now = int(time.time() * 1000)
    for ref in missing:
        identity = hashlib.md5(ref.key.encode(), usedforsecurity=False).hexdigest()
        result = {
            "uuid": str(uuid.uuid4()),
            "historyId": identity,
            "testCaseId": identity,
            "name": ref.name,
            "fullName": f"{ref.file}: {ref.name}",
            "status": "broken",
            "statusDetails": {
                "message": f"{NO_RESULT}: selected for this run, but {why}",
            },
            "start": now,
            "stop": now,
            "labels": [
                {"name": LOCATION_LABEL, "value": ref.location},
                {"name": NO_RESULT_LABEL, "value": "true"},
                *({"name": "tag", "value": tag} for tag in sorted(ref.tags)),
            ],
        }
        path = results_dir / f"{result['uuid']}-result.json"
        path.write_text(mask(json.dumps(result, ensure_ascii=False)), encoding="utf-8")
    return missing


def mark_flaky(outcome: Outcome) -> None:
    """Flag a result that passed on a retry as flaky, so the report shows it."""
    if outcome.path is None:
        return
    data = json.loads(outcome.path.read_text(encoding="utf-8"))
    data.setdefault("statusDetails", {})["flaky"] = True
    outcome.path.write_text(json.dumps(data), encoding="utf-8")


def allure_cli(root: Path) -> Path | None:
    cli = root / "node_modules" / ".bin" / "allure"
    return cli if cli.exists() else None


def install_allure(config: Config) -> tuple[Path | None, str]:
    """The Allure CLI, installed first if it is missing: ``npm ci`` in the project root,
    from its ``package-lock.json`` (``interlock init`` writes one pinned to the Allure 3
    interlock is tested with), so nothing is fetched but that lock's packages, from the
    npm registry npm is configured with. Returns the CLI, or None and why not."""
    cli = allure_cli(config.root)
    if cli is not None:
        return cli, ""
    missing = "the Allure CLI is not installed, so no HTML report was built"
    if not (config.root / "package-lock.json").is_file():
        return None, (
            f"{missing}: {config.root} has no package-lock.json to install it from (interlock"
            " init writes package.json and package-lock.json; copy them from a new suite,"
            " then run: npm ci)"
        )
    npm = shutil.which("npm")
    if npm is None:
        return None, f"{missing}: it needs Node.js 20 or later (npm); install it, then run: npm ci"
    log = config.reports_dir / "logs" / "npm.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print("interlock: installing the pinned Allure CLI (npm ci)...", flush=True)
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        with open(log, "w") as out:
            returncode = subprocess.call(
                command, cwd=config.root, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, timeout=NPM_TIMEOUT,
            )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None, f"{missing}: npm ci took longer than {NPM_TIMEOUT} s; see {log}"
    cli = allure_cli(config.root)
    if returncode != 0 or cli is None:
        return None, f"{missing}: npm ci failed (exit {returncode}); see {log}"
    return cli, ""


def build_html(
    config: Config,
    results_dir: Path,
    report_dir: Path,
    check: Callable[[Path], str | None] | None = None,
) -> tuple[bool, str]:
    """Build the HTML reports; returns (built, message).

    ``index.html`` is the single-file report (opens from disk, can be mailed);
    ``site/`` beside it is the multi-page one (``interlock report --serve``).
    ``check`` looks at the built folder before it replaces the last report: a reason
    it returns (a leak) keeps it from being published.
    """
    cli, why = install_allure(config)
    if cli is None:
        return False, why
    history = config.reports_dir / "history" / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    # The temporary folder is made with signals held and filled inside the try, so that a
    # Ctrl-C at any moment leaves no half-built report behind (its finally removes it).
    with signals_held() as held_at_start:
        building = Path(tempfile.mkdtemp(prefix=".allure-report-", dir=report_dir.parent))
        rc_file = building.with_suffix(".json")
    try:
        if held_at_start:
            raise KeyboardInterrupt
        rc_file.write_text(
            json.dumps(
                {
                    "name": config.report_name,
                    "output": str(building),
                    "historyPath": str(history),
                    # Allure 3 reads the categories from here, Allure 2 from the results.
                    "categories": CATEGORIES,
                    "plugins": {
                        name: {
                            "import": "@allurereport/plugin-awesome",
                            "options": {
                                "singleFile": single,
                                "reportName": config.report_name,
                                "groupBy": list(TREE_GROUPS),
                            },
                        }
                        for name, single in ((SINGLE, True), (SITE, False))
                    },
                }
            )
        )
        log = config.reports_dir / "logs" / "allure.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            # Its own process group: on Ctrl-C or a timeout the CLI and anything it
            # started go together, not just the first process. A signal while it is
            # being started waits until it has a pid, so that it can be stopped.
            with signals_held() as held:
                process = subprocess.Popen(
                    [str(cli), "generate", str(results_dir), "--config", str(rc_file),
                     "-o", str(building)],
                    cwd=config.root,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            try:
                if held:
                    raise KeyboardInterrupt
                returncode = process.wait(timeout=ALLURE_TIMEOUT)
            except BaseException:
                stop_process(process.pid, timeout=2)
                process.wait()
                raise
        single_page = building / SINGLE / "index.html"
        if returncode != 0 or not single_page.is_file():
            return False, f"the Allure CLI failed (exit {returncode}); see {log}"
        single_page.replace(building / "index.html")  # over Allure's page linking the two
        _open_first_level(building / "index.html", building / SITE)
        shutil.rmtree(building / SINGLE)
        refused = check(building) if check is not None else None
        if refused is not None:
            return False, refused
        if report_dir.exists():
            shutil.rmtree(report_dir)
        building.chmod(0o755)  # mkdtemp made it private; a report is for sharing
        building.rename(report_dir)
        return True, str(report_dir / "index.html")
    except subprocess.TimeoutExpired:
        return False, f"the Allure CLI took longer than {ALLURE_TIMEOUT} s; see {log}"
    finally:
        with signals_held() as held_at_end:  # a Ctrl-C now waits until the folder is gone
            rc_file.unlink(missing_ok=True)
            if building.exists():
                shutil.rmtree(building, ignore_errors=True)
        if held_at_end:
            raise KeyboardInterrupt


def _open_first_level(single_page: Path, site: Path) -> None:
    """Open the tree's first level (the layers) when the report opens: Allure 3 opens
    only groups with failures, and keeps what a reader opened in the browser's
    ``expandedTrees``, which a small script fills before the report's own starts."""
    try:
        tree = json.loads((site / "widgets" / "default" / "tree.json").read_text("utf-8"))
        first = [str(node) for node in tree["root"]["groups"]]
    except (OSError, ValueError, KeyError, TypeError):
        return  # a report that opens collapsed is still a report
    script = (
        "<script>(function(){try{var k='expandedTrees',o=JSON.parse("
        "localStorage.getItem(k)||'[]');" + json.dumps(first) + ".forEach(function(i){"
        "if(o.indexOf(i)<0)o.push(i)});localStorage.setItem(k,JSON.stringify(o))}"
        "catch(e){}})();</script>"
    )
    for page in (single_page, site / "index.html"):
        if page.is_file():
            text = page.read_text(encoding="utf-8")
            page.write_text(text.replace("<head>", "<head>" + script, 1), encoding="utf-8")


@contextlib.contextmanager
def signals_held() -> Iterator[list[int]]:
    """SIGINT and SIGTERM are only recorded meanwhile (in the main thread); the list
    says which came."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    held: list[int] = []
    saved = {s: signal.signal(s, lambda signum, frame: held.append(signum)) for s in HELD}
    try:
        yield held
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def serve(config: Config, report_dir: Path) -> int:
    """Serve the multi-page report with the Allure CLI until Ctrl-C; returns its exit code."""
    cli = allure_cli(config.root)
    site = report_dir / SITE
    if cli is None or not site.is_dir():
        raise InterlockError(
            f"no multi-page report in {site} to serve",
            hint="run the suite (interlock run) or build it (interlock report), after npm ci",
        )
    return subprocess.call([str(cli), "open", str(site)], cwd=config.root)
