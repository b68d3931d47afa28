"""One ``interlock run``, from a config and a request to an :class:`Outcome`; and the
exit code of an outcome (:func:`exit_code`, pure).

The command line (``interlock.cli``) parses its arguments into a :class:`RunRequest`,
loads the config, calls :func:`run` and prints what the outcome says. The run:
checks the feature files (lint), takes the run lock, checks that every output can be
written, selects the scenarios, sweeps what dead runs left, acquires the environment,
runs behave in workers (then ``@serial`` ones, then retries of failed ``@flaky`` ones),
records a broken result for every selected scenario that reported none, writes the
run-level files, the sign-off pack and the report, scans what it wrote for secrets,
and records its history. What it says on the way goes through a :class:`Console`.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock import (
    allure_files,
    background_report,
    contract_coverage,
    environment,
    folders,
    history,
    journal,
    junit,
    leftovers,
    lint,
    lint_cache,
    manual,
    probed_rows,
    report,
    requirements,
    rows_left_behind,
    run_lock,
    secret_scan,
    signoff,
    table_coverage,
)
from interlock.allure_formatter import RESULTS_FOLDER
from interlock.config import Config
from interlock.db import Databases
from interlock.environment.runtime import Runtime
from interlock.errors import ExitCode, InterlockError
from interlock.learned_secrets import (
    LearnedSecrets,
    learned_secrets_file,
    remove_stale_learned_files,
)
from interlock.masking import Masker
from interlock.quarantine import Quarantine, from_tags
from interlock.scope import Scope
from interlock.selection import (
    FLAKY_TAG,
    ScenarioRef,
    SelectionError,
    automated,
    discover,
    feature_files,
    parse_shard,
    partition,
    shard,
)
from interlock.workers import (
    Batch,
    BehaveCommand,
    Progress,
    Supervisor,
    progress_wanted,
    run_batches,
)

RESULTS = RESULTS_FOLDER
HTML = "allure-report"
JUNIT = "junit"
JUNIT_FILE = "junit.xml"
SIGNOFF = "signoff"
SUMMARY = "summary.txt"
NOTHING_REPORTED = "behave stopped before any scenario ran (see its message above)"


def _say(message: str) -> None:
    print(f"interlock: {message}", file=sys.stderr, flush=True)


def _out(text: str) -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Console:
    """Where a run's progress goes: ``say`` one of interlock's own lines (stderr,
    ``interlock: `` first), ``out`` the run's output (stdout: the summary, the report,
    the sign-off), ``err`` a listing for stderr as it is (the lint problems)."""

    say: Callable[[str], None] = _say
    out: Callable[[str], None] = _out
    err: Callable[[str], None] = _err


@dataclass(frozen=True)
class RunRequest:
    """What ``interlock run`` was asked for (its arguments, already parsed)."""

    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    workers: int = 1
    shard: str | None = None  # "K/N"
    rerun_failed: bool = False
    no_report: bool = False
    no_lint: bool = False
    overrides: tuple[str, ...] = ()  # --set KEY=VALUE, passed on to the workers
    started: float = field(default_factory=time.monotonic)  # for the run's duration


# -- the outcome and its exit code ----------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a run (or a merge) came to: everything the exit code and the closing
    messages are decided from."""

    summary: report.Summary = field(default_factory=report.Summary)
    selected: tuple[ScenarioRef, ...] = ()  # what the run set out to run
    interrupted: bool = False  # a signal (Ctrl-C, SIGTERM) stopped it
    could_not_run: str | None = None  # why no scenario ran at all
    leftovers: tuple[str, ...] = ()  # failed cleanups: data may be left behind
    leaks: tuple[secret_scan.Finding, ...] = ()  # secrets found in what it wrote
    worker_exits: tuple[int, ...] = ()  # every behave process's exit code
    logs: Path | None = None  # the workers' logs
    nothing_to_rerun: bool = False  # --rerun-failed, and nothing failed last time
    rows_left: tuple[str, ...] = ()  # tables that grew though every cleanup ran
    rows_left_fail: bool = False  # run.rows_left_behind: fail (else a warning)

    @property
    def cleanup_incomplete(self) -> bool:
        return bool(self.leftovers)

    @property
    def leaked(self) -> bool:
        return bool(self.leaks)

    @property
    def rows_left_failing(self) -> bool:
        return bool(self.rows_left) and self.rows_left_fail

    @property
    def crashed(self) -> list[int]:
        """Exit codes of behave processes that neither passed nor failed (a crash)."""
        return [code for code in self.worker_exits if code not in (0, 1)]

    @property
    def missing(self) -> list[report.Outcome]:
        """Selected scenarios that reported no result (each a failure of the run)."""
        return self.summary.missing

    @property
    def expired_quarantines(self) -> list[tuple[report.Outcome, Quarantine]]:
        return self.summary.expired


def _decide(outcome: Outcome) -> tuple[ExitCode, str | None]:
    """The exit code (see :func:`exit_code`) and the line that explains it, if any."""
    if outcome.interrupted:
        return ExitCode.INTERRUPTED, None
    if outcome.could_not_run is not None:
        return ExitCode.COULD_NOT_RUN, outcome.could_not_run
    if outcome.cleanup_incomplete:
        return ExitCode.CLEANUP_INCOMPLETE, None
    if outcome.leaked:
        return ExitCode.FAILED, None
    if outcome.rows_left_failing:
        count = len(outcome.rows_left)
        return ExitCode.FAILED, (
            f"{count} table{'s hold' if count != 1 else ' holds'} rows this run left behind"
            " (run.rows_left_behind: fail)"
        )
    if outcome.crashed:
        logs = f"; see {outcome.logs}/" if outcome.logs is not None else ""
        return ExitCode.FAILED, f"a worker exited abnormally (exit codes {outcome.crashed}){logs}"
    if outcome.summary.verdict_failures:
        return ExitCode.FAILED, None
    return ExitCode.PASSED, None


def exit_code(outcome: Outcome) -> int:
    """The exit code of a run's outcome. Pure: it only reads ``outcome``.

    When several classes hold, the first one here wins:

    1. interrupted (a signal stopped the run): 130, whatever else holds;
    2. could not run (no scenario reported a result; the suite or behave is broken): 2;
    3. cleanup incomplete (a cleanup failed; data may be left behind): 3, even when
       scenarios failed or a secret leaked;
    4. a secret leaked into what the run wrote: 1 (a leak turns a pass into a failure);
    5. rows left behind (a disposable database's table holds more rows after the run than
       before it, every cleanup done) under ``run.rows_left_behind: fail``: 1 (under
       ``warn``, the default, only said);
    6. a behave worker crashed (exit code other than 0 or 1): 1;
    7. a scenario failed: 1. That counts failed and broken scenarios (the last try of a
       retried ``@flaky`` one), and selected scenarios that reported no result;
       a failure under an active ``@quarantine(until=...)`` does not count, and one
       whose quarantine expired counts again (an expired quarantine on a scenario
       that passed changes nothing);
    8. otherwise 0, passed (also when ``--rerun-failed`` found nothing to rerun).
    """
    return int(_decide(outcome)[0])


def closing_message(outcome: Outcome) -> str | None:
    """The line that explains the exit code, when the summary does not."""
    return _decide(outcome)[1]


def with_leaks(code: int, leaked: bool) -> int:
    """A command's exit code once its leak scan is done: a leak turns 0 into 1, and
    leaves every other code as it is (a run's own outcome has it already; see
    :func:`exit_code`)."""
    return int(ExitCode.FAILED) if leaked and code == ExitCode.PASSED else code


# -- the leak scan, whatever the way out ----------------------------------------------------


@dataclass
class LeakScan:
    """The scan for secrets a command owes once it has written under ``folder``: run by
    :func:`finish`, or on the way out whatever the exit (2 when the environment failed
    to start, 130), so that nothing written escapes it. Its masker knows the configured
    secrets and those the run's workers learned (fetched tokens)."""

    folder: Path
    masker: Masker
    learned: LearnedSecrets | None = None
    done: bool = False

    def run(self, say: Callable[[str], None]) -> list[secret_scan.Finding]:
        self.done = True
        leaks = secret_scan.scan(self.folder, self.masker.secrets)
        if leaks:
            say(
                "SECRET LEAK: a secret (configured, or learned during the run) was found in"
                " what this run wrote:\n  - "
                + "\n  - ".join(str(f) for f in leaks[:20])
                + "\n  mask it at its source, then delete these files"
            )
        return leaks


_owed: list[LeakScan] = []


def owe_leak_scan(config: Config, folder: Path | None = None, learn: bool = False) -> LeakScan:
    """From now on ``folder`` (the reports folder) holds what this command wrote; with
    ``learn``, this run's workers share the secrets they learn through a private file."""
    learned = None
    if learn:
        remove_stale_learned_files(config.state_dir)
        learned = LearnedSecrets.at(learned_secrets_file(config.state_dir))
    owed = LeakScan(folder or config.reports_dir, Masker(config.secrets, learned), learned)
    _owed.append(owed)
    return owed


def after_leak_scans(code: int, say: Callable[[str], None]) -> int:
    """Run the leak scans still owed; a leak fails a command that would have passed."""
    leaked = False
    try:
        for owed in _owed:
            if not owed.done:
                leaked = bool(owed.run(say)) or leaked
    except KeyboardInterrupt:
        say("interrupted: the leak scan did not finish")
        return int(ExitCode.INTERRUPTED)
    return with_leaks(code, leaked)


def masked(text: str) -> str:
    """``text`` with every secret the owed scans know masked."""
    for owed in _owed:
        text = owed.masker.mask(text)
    return text


def forget_learned_secrets() -> None:
    while _owed:
        owed = _owed.pop()
        if owed.learned is not None:
            owed.learned.delete()


# -- the run --------------------------------------------------------------------------------


def take_lock(state_dir: Path, command: str, say: Callable[[str], None]) -> run_lock.RunLock:
    """One run per checkout: this command holds it until it returns (released by the
    command line), or stops here, having written nothing, when another one does
    (exit 2)."""
    return run_lock.take(state_dir, f"interlock {command}", say)


def run(config: Config, request: RunRequest, console: Console | None = None) -> Outcome:
    """Run the scenarios ``request`` selects; raises an :class:`InterlockError` when
    the suite cannot run at all (bad selection, lint errors, environment down, ...)."""
    console = console or Console()
    say = console.say
    if request.workers < 1:
        raise SelectionError(
            f"--workers {request.workers}: at least one worker is needed", hint="use --workers 1"
        )
    lock = take_lock(config.state_dir, "run", say)
    check_outputs(config, html=not request.no_report)
    signoff.check_suite_files(config)  # the catalog and waivers, before anything starts
    if not request.no_lint:
        problems = lint_suite(config, request.paths, request.overrides)
        if any(p.severity == "error" for p in problems):
            console.err(lint.report(problems))
            raise SelectionError(
                "the feature files have errors, so nothing ran",
                hint="fix them (interlock lint lists them), or run with --no-lint",
            )
    history_dir = config.reports_dir / "history"
    previous = history.load(history_dir, say)
    scenarios = select(config, request, previous)
    if scenarios is None:
        return Outcome(nothing_to_rerun=True)
    checks = manual.for_run(config, scenarios)  # done by a person: not run, their records read

    results = config.reports_dir / RESULTS
    junit_dir = config.reports_dir / JUNIT
    _prepare(results, junit_dir)
    owe_leak_scan(config, learn=True)
    leftovers.clear(config.state_dir)
    rows_left_behind.clear_tokens(config.state_dir)

    supervisor = Supervisor(on_start=lock.add_worker)
    handlers = {s: signal.signal(s, supervisor) for s in (signal.SIGINT, signal.SIGTERM)}
    behave = BehaveCommand(
        root=config.root,
        env_name=config.env,
        overrides=request.overrides,
        junit_parts=junit_dir / "parts",
        lists_dir=config.state_dir / "lists" / str(time.monotonic_ns()),
        logs_dir=config.reports_dir / "logs" / "workers",
        scenarios_per_process=config.run.scenarios_per_process,
        learned_secrets=learned_secrets_file(config.state_dir),
        shard=request.shard,
    )
    shutil.rmtree(behave.logs_dir, ignore_errors=True)
    acquired = None
    runtime = None
    codes: list[int] = []
    said: set[str] = set()  # the sweeps' lines, said once a run
    counted: rows_left_behind.Counts | None = None  # rows per table before the scenarios
    rows_left: list[rows_left_behind.Growth] | None = None
    try:
        acquired = environment.acquire(config, report=say)
        runtime = acquired.runtime
        # What an earlier run killed mid-scenario left behind: services, then rows.
        for line in environment.stop_worker_processes(runtime):
            say(f"stopped {line}: a worker that was killed had left it running")
        _sweep(config, runtime, said, say)
        counted = _count_rows(config, runtime, say)
        codes = _execute(
            automated(scenarios),
            request.workers,
            behave,
            supervisor,
            results,
            previous,
            config.run.flaky_retries,
            say,
        )
        # What a killed worker of this run left behind: its services, then its rows.
        for line in environment.stop_worker_processes(runtime):
            say(f"stopped {line}: a worker that was killed had left it running")
        _sweep(config, runtime, said, say)
        if counted is not None and supervisor.signal is None:
            ran = [s.location for s in automated(scenarios)]
            rows_left = _rows_left(config, runtime, counted, ran, say)
    finally:
        if acquired is not None:
            environment.release(acquired, config)
        # From here on (summary, report) a signal interrupts at once, whatever the
        # disposition this process inherited (a background job ignores SIGINT).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        shutil.rmtree(behave.lists_dir, ignore_errors=True)
    try:
        mask = Masker(config.secrets).mask
        manual.write_results(config, checks, results, behave.junit_parts, mask)
        junit.merge_parts(behave.junit_parts, junit_dir / JUNIT_FILE)
        # Every selected scenario must have reported: one that did not is a failure.
        interrupted = supervisor.signal is not None
        recorded = [check.ref.location for check in checks]
        summary = report.read_results(results)
        if report.record_missing(results, scenarios, interrupted, mask, recorded, summary):
            summary = report.read_results(results)  # with the results it just wrote
        history.save(history_dir, summary, previous)
        scope = Scope("run", request.paths, request.tags, request.shard, request.rerun_failed)
        return finish(
            config,
            summary,
            codes,
            supervisor.signal,
            request.no_report,
            request.started,
            runtime,
            console,
            scope,
            selected=scenarios,
            rows_left=rows_left,
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _sweep(config: Config, runtime: Runtime, said: set[str], say: Callable[[str], None]) -> None:
    """Remove the rows that dead processes recorded and never cleaned up, where this
    environment may; what it keeps is said once a run (``said``: lines said already)."""
    masker = Masker(config.secrets)
    databases = Databases.from_config(config, runtime, masker)
    disposable = [name for name, db in databases.items.items() if db.settings.disposable]
    here = journal.Here.of(config.env, runtime, disposable)

    def delete(name: str, table: str, where: Mapping[str, Any], limit: int | None) -> int:
        if name not in databases.items:
            raise InterlockError(f"database {name!r} is not in this environment")
        databases.items[name].require_disposable(f"sweep rows from {table!r}")
        return databases.items[name].delete(table, where, limit=limit)

    def beyond(name: str, table: str, noted: Mapping[str, Any]) -> int:  # a probe's rows
        if name not in databases.items:
            raise InterlockError(f"database {name!r} is not in this environment")
        return probed_rows.delete_beyond(databases.items[name], table, noted)

    def once(line: str) -> None:
        line = masker.mask(line)
        if line not in said:
            said.add(line)
            say(line)

    try:
        left = journal.sweep(config.state_dir, here, delete, once, beyond)
    finally:
        databases.close()
    if left:
        leftovers.record_leftovers(config.state_dir, [f"(swept) {line}" for line in left])


def _count_rows(
    config: Config, runtime: Runtime, say: Callable[[str], None]
) -> rows_left_behind.Counts | None:
    """Rows per table of each disposable database before the scenarios; None when there
    is none, or it cannot be counted (said: the run goes on without the check)."""
    databases = Databases.from_config(config, runtime, Masker(config.secrets))
    try:
        if not rows_left_behind.disposable(databases):
            return None
        return rows_left_behind.count_tables(databases)
    except (AssertionError, InterlockError) as exc:
        say(f"rows left behind are not checked: counting rows failed: {exc}")
        return None
    finally:
        databases.close()


def _rows_left(
    config: Config,
    runtime: Runtime,
    before: rows_left_behind.Counts,
    ran: Sequence[str],
    say: Callable[[str], None],
) -> list[rows_left_behind.Growth] | None:
    """The tables that grew since ``before`` (after every cleanup and the final sweep),
    each with the scenarios or feature files that grew it."""
    databases = Databases.from_config(config, runtime, Masker(config.secrets))
    try:
        tokens = rows_left_behind.read_tokens(config.state_dir)
        return rows_left_behind.find(databases, before, tokens, ran)
    except (AssertionError, InterlockError) as exc:
        say(f"rows left behind are not checked: counting rows failed: {exc}")
        return None
    finally:
        databases.close()
        rows_left_behind.clear_tokens(config.state_dir)


def check_outputs(config: Config, html: bool) -> None:
    """Every folder and file the run writes can be written: checked before anything
    starts, so that the run cannot fail after its scenarios, unscanned for leaks."""
    reports, what = config.reports_dir, "the run's results"
    hint = "make the reports folder (config paths.reports) a writable directory"
    names = ["", RESULTS, JUNIT, "logs", "logs/workers", "history", SIGNOFF]
    if html and (reports / HTML).exists():  # replaced by the one built beside it
        names.append(HTML)
    for name in names:
        folders.writable_folder(reports / name, what, hint)
    folders.writable_files([reports / SUMMARY, reports / "history" / history.FILE], what, hint)
    folders.writable_folder(
        config.state_dir,
        "the run's state",
        "make the state folder (config paths.state) a writable directory",
    )


def _prepare(*folders: Path) -> None:
    """Empty the run's output folders, or stop before anything starts if they can't be."""
    for folder in folders:
        try:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".writable"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise InterlockError(
                f"cannot write the run's results to {folder}: {exc.strerror or exc}",
                hint="make the reports folder (config paths.reports) a writable directory",
            ) from None


def select(
    config: Config, request: RunRequest, previous: history.LastRun | None
) -> list[ScenarioRef] | None:
    """The scenarios this run covers; None when there is nothing to do."""
    scenarios = discover(config.root, request.paths, config.features_dir, request.tags)
    if request.rerun_failed:
        if previous is None:
            raise SelectionError(
                "--rerun-failed: no previous run is recorded"
                f" ({config.reports_dir / 'history' / history.FILE} is missing or unreadable)",
                hint="run the suite once first",
            )
        failed = previous.failed_locations()
        scenarios = [s for s in scenarios if s.location in failed]
        if not scenarios:
            return None
    if request.shard:
        index, total = parse_shard(request.shard)
        scenarios = shard(scenarios, index, total)
    for ref in scenarios:
        from_tags(ref.tags, ref.location)  # a malformed quarantine stops the run here
    if not scenarios:
        where = " ".join(request.paths) or str(config.features_dir.relative_to(config.root))
        tags = f" with tags {' and '.join(request.tags)}" if request.tags else ""
        raise SelectionError(
            f"no scenario found in {where}{tags}: nothing to run",
            hint="check the paths and tags; a suite that runs nothing does not pass",
        )
    return scenarios


def _execute(
    scenarios: list[ScenarioRef],
    workers: int,
    behave: BehaveCommand,
    supervisor: Supervisor,
    results: Path,
    previous: history.LastRun | None,
    retries: int,
    say: Callable[[str], None],
) -> list[int]:
    """The parallel part, then ``@serial`` scenarios one after another, then retries
    of failed ``@flaky`` ones; returns every behave exit code."""
    durations = previous.durations if previous else {}
    parallel = [s for s in scenarios if not s.serial]
    serial = [s for s in scenarios if s.serial]
    batches = [
        Batch(f"w{i}", batch) for i, batch in enumerate(partition(parallel, workers, durations), 1)
    ]
    console = len(batches) <= 1
    codes: list[int] = []
    with Progress(results, len(scenarios), enabled=not console and progress_wanted()):
        if batches:
            codes += run_batches(batches, behave, supervisor, console)
        if serial and supervisor.signal is None:
            codes += run_batches([Batch("serial", serial)], behave, supervisor, console)
        codes += _retry_flaky(scenarios, behave, supervisor, results, console, retries, say)
    return codes


def _retry_flaky(
    scenarios: list[ScenarioRef],
    behave: BehaveCommand,
    supervisor: Supervisor,
    results: Path,
    console: bool,
    retries: int,
    say: Callable[[str], None],
) -> list[int]:
    """Rerun failed ``@flaky`` scenarios up to ``run.flaky_retries`` times; a pass on a
    retry is flagged flaky in its result, so the report shows it rather than hides it."""
    by_location = {s.location: s for s in scenarios}
    codes: list[int] = []
    retried: set[str] = set()
    if not any(FLAKY_TAG in s.tags for s in scenarios):
        return codes  # nothing may be retried: the results need not be read
    for attempt in range(1, retries + 1):
        if supervisor.signal is not None:
            break
        failing = [
            by_location[o.location]
            for o in report.read_results(results).latest()
            if o.failing and FLAKY_TAG in o.tags and o.location in by_location
        ]
        if not failing:
            break
        say(f"retrying {len(failing)} failed @flaky scenario(s), try {attempt + 1}")
        retried.update(s.location for s in failing)
        codes += run_batches([Batch(f"retry{attempt}", failing)], behave, supervisor, console)
    if not retried:
        return codes
    for outcome in report.read_results(results).latest():
        if outcome.location in retried and outcome.status == "passed":
            report.mark_flaky(outcome)
    return codes


def finish(
    config: Config,
    summary: report.Summary,
    codes: list[int],
    signum: int | None,
    no_report: bool,
    started: float,
    runtime: Runtime | None = None,
    console: Console | None = None,
    scope: Scope | None = None,
    selected: Sequence[ScenarioRef] = (),
    rows_left: Sequence[rows_left_behind.Growth] | None = None,
) -> Outcome:
    """Write the run-level files, the sign-off pack and the report; print the summary;
    check no secret leaked; collect failed cleanups: the run's (or a merge's) outcome.
    ``rows_left``: the tables the run left more rows in (None: not counted, as in a
    merge)."""
    console = console or Console()
    results = config.reports_dir / RESULTS
    owed = [s for s in _owed if s.folder == config.reports_dir] or [owe_leak_scan(config)]
    masker = owed[0].masker  # the secrets the workers learned included
    allure_files.write(results, config, runtime, masker)
    junit_file = config.reports_dir / JUNIT / JUNIT_FILE
    if junit_file.exists():
        junit_file.write_text(masker.mask(junit_file.read_text(encoding="utf-8")), "utf-8")
    text = masker.mask(summary.text())
    fail_rows = config.run.rows_left_behind == "fail"
    left_lines = rows_left_behind.summary_lines(rows_left or (), fail_rows)
    if left_lines:
        text += "\n" + masker.mask("\n".join(left_lines))
    console.out(text)
    if rows_left:
        rows_left_behind.save(config.reports_dir, rows_left, fail_rows)
        short = ", ".join(f"{g.database}.{g.table} +{g.rows}" for g in rows_left)
        short += " (see Global Attachments)"
        allure_files.write_note(results, "Rows left behind", left_lines, fail_rows, masker, short)
    else:
        rows_left_behind.forget(config.reports_dir)
    documents = {name: s.openapi for name, s in config.services.items() if s.openapi}
    coverage = contract_coverage.summary(documents, results)  # "" when nothing was recorded
    for line in coverage.splitlines():
        if line.startswith("contract coverage of"):
            console.out(line)  # the tables are in the summary file
    text += f"\n{coverage}" if coverage else ""
    disposable = [name for name, db in config.databases.items() if db.disposable]
    tables = table_coverage.summary(results, disposable)  # "" when there is none
    if tables:
        console.out(tables)
        text += f"\n{tables}"
    (config.reports_dir / SUMMARY).write_text(masker.mask(text + "\n" + summary.headline() + "\n"))
    pack = signoff.build(config, summary, dict(os.environ), scope)
    page = signoff.write(pack, config.reports_dir / SIGNOFF, masker)
    later = signum is None and not no_report and background_report.wanted()
    later = later and background_report.can_fork()
    if signum is None and not no_report and not later:
        built, message = report.build_html(config, results, config.reports_dir / HTML)
        if built:
            console.out(f"report: {message}")
        else:
            console.out(f"interlock: {message}")
        console.say(signoff.print_pdf(page))
    console.out(f"sign-off: {pack.data['headline']}  ({page})")
    for reason in pack.data["reasons"]:
        console.out(f"  - {masker.mask(reason)}")
    console.out(f"results: {results}  junit: {junit_file}  ({time.monotonic() - started:.1f} s)")
    leaks = owed[0].run(console.say)  # all this run wrote, before the build is forked
    if later and leaks:
        console.say("no HTML report: a secret leaked into the results (see above)")
    elif later:
        _build_later(config, results, page, masker, console)
    return Outcome(
        summary=summary,
        selected=tuple(selected),
        interrupted=signum is not None,
        could_not_run=None if summary.reported else NOTHING_REPORTED,
        leftovers=tuple(leftovers.collect(config.state_dir)),
        leaks=tuple(leaks),
        rows_left=tuple(masker.mask(g.text()) for g in rows_left or ()),
        rows_left_fail=fail_rows,
        worker_exits=tuple(codes),
        logs=config.reports_dir / "logs" / "workers",
    )


def _build_later(
    config: Config, results: Path, page: Path, masker: Masker, console: Console
) -> None:
    """The report and the sign-off PDF, built by a forked builder after the run exits
    (:mod:`interlock.background_report`); it scans what it built before publishing."""
    log = config.reports_dir / "logs" / background_report.LOG
    secrets = masker.secrets

    def refuse(folder: Path) -> str | None:
        found = secret_scan.scan(folder, secrets)
        if found:
            return "SECRET LEAK in the built report, not published:\n  - " + "\n  - ".join(
                str(f) for f in found[:20]
            )
        return None

    def build() -> int:
        built, message = report.build_html(config, results, config.reports_dir / HTML, refuse)
        print(f"report: {message}" if built else f"interlock: {message}", flush=True)
        print(signoff.print_pdf(page), flush=True)
        pdf = page.with_suffix(".pdf")
        if pdf.exists() and refuse(page.parent) is not None:
            pdf.unlink()
            print("SECRET LEAK in the sign-off PDF: removed", flush=True)
        background_report.finished(config.state_dir)
        return 0 if built else 1

    target = config.reports_dir / HTML / "index.html"
    console.out(f"report: building in the background: {target} (log: {log})")
    if background_report.start(config.state_dir, log, build) is None:  # cannot fork: now
        build()


# -- lint -----------------------------------------------------------------------------------


def lint_suite(
    config: Config, paths: Sequence[str], overrides: Sequence[str] = ()
) -> list[lint.Problem]:
    """The problems ``interlock lint`` finds in the feature files under ``paths``
    (remembered for an unchanged suite: :mod:`interlock.lint_cache`)."""
    # Files, not scenarios: a file behave cannot parse is a problem lint names, with the rest.
    files = sorted(set(feature_files(config.root, paths, config.features_dir)))

    def compute() -> list[lint.Problem]:
        library = lint.StepLibrary.load(config.root / "steps")
        tag = config.report.requirement_tag
        required = tag if config.report.require_requirement_tag else None
        catalog = requirements.load(config.root, tag)
        switch = lint.requirement_switch(config.origins)
        return lint.lint(
            config.root,
            files,
            library,
            required,
            catalog=catalog,
            whole_suite=not paths,
            switch=switch,
        )

    catalog_file = requirements.find(config.root)
    key = lint_cache.key(
        config.root, files, config.env, overrides, config.data_dir, catalog_file, not paths
    )
    return lint_cache.cached(config.state_dir, key, compute)[0]
