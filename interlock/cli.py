"""The ``interlock`` command: run, merge, up, down, report.

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 the suite could not run
(bad config or usage, environment down), 3 a cleanup failed (data may be left
behind), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock import (
    allure_files,
    catalog,
    contract_coverage,
    contract_scaffold,
    doctor,
    environment,
    folders,
    history,
    journal,
    junit,
    leftovers,
    lint,
    manual,
    probed_rows,
    report,
    requirements,
    run_lock,
    scaffold,
    secret_scan,
    signoff,
    table_coverage,
)
from interlock.allure_formatter import RESULTS_FOLDER
from interlock.config import Config, find_root, load_config
from interlock.db import Databases
from interlock.environment.runtime import Runtime, environment_lock, read_runtime
from interlock.errors import ExitCode, InterlockError
from interlock.learned_secrets import (
    LearnedSecrets,
    learned_secrets_file,
    remove_stale_learned_files,
)
from interlock.masking import Masker
from interlock.quarantine import from_tags
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


def say(message: str) -> None:
    print(f"interlock: {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interlock",
        description="Integration and interface testing in Gherkin.",
        epilog="exit codes: 0 passed, 1 a scenario failed, 2 could not run,"
        " 3 cleanup incomplete, 130 interrupted",
    )
    parser.add_argument("--debug", action="store_true", help="on an error, print its traceback too")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_env(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--env", help="environment: a file config/NAME.yaml (default: local)")
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override one config value, e.g. --set http.read_timeout=60 (repeatable)",
        )
        return sub

    run = with_env(commands.add_parser("run", help="run scenarios, then build the report"))
    run.add_argument("--tags", action="append", default=[], help="behave tag expression")
    run.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    run.add_argument("--shard", metavar="K/N", help="run the K-th of N stable parts of the suite")
    run.add_argument(
        "--rerun-failed", action="store_true", help="run only what failed in the last run"
    )
    run.add_argument("--no-report", action="store_true", help="skip the HTML report")
    run.add_argument("--no-lint", action="store_true", help="skip the checks before the run")
    run.add_argument("paths", nargs="*", help="feature files, folders or FILE:LINE")
    catalog_cmd = with_env(commands.add_parser("steps", help="write the step catalog (docs/)"))
    catalog_cmd.add_argument(
        "--check", action="store_true", help="only check that docs/steps.md is current"
    )
    new = commands.add_parser("init", help="lay out a new suite for your own services")
    new.add_argument("folder", help="a new or empty folder")
    new.add_argument(
        "--force",
        action="store_true",
        help="also into a folder that is not empty: add the missing files, overwrite none",
    )
    checks = with_env(commands.add_parser("lint", help="check the feature files; start nothing"))
    checks.add_argument("paths", nargs="*", help="feature files or folders")
    merge = with_env(
        commands.add_parser("merge", help="combine the reports folders of sharded runs")
    )
    merge.add_argument("folders", nargs="+", help="each shard's reports folder")
    merge.add_argument("--no-report", action="store_true", help="skip the HTML report")
    sign = with_env(
        commands.add_parser("signoff", help="the sign-off pack of the last run; exit 0 if ACCEPTED")
    )
    decision = sign.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="record your approval")
    decision.add_argument("--reject", action="store_true", help="record your rejection")
    decision.add_argument(
        "--verify", action="store_true", help="check the pack and its approval match the results"
    )
    sign.add_argument("--by", metavar='"NAME, ROLE"', help="who approves or rejects")
    sign.add_argument("--comment", default="", help="a comment kept with the approval")
    sign.add_argument("--key", metavar="PATH", help="sign the approval with this SSH key")
    with_env(commands.add_parser("doctor", help="check every configured service and database"))
    with_env(commands.add_parser("up", help="start the embedded environment and leave it running"))
    commands.add_parser("down", help="stop the environment started by `interlock up`")
    rep = with_env(
        commands.add_parser("report", help="build the HTML report from the last results")
    )
    rep.add_argument("--serve", action="store_true", help="then serve the multi-page report")
    with_env(commands.add_parser("lsp", help="the language server for editors (LSP on stdio)"))
    manual.add_parser(with_env(commands.add_parser("manual", help=manual.HELP)))
    contract_scaffold.add_parser(
        with_env(commands.add_parser("contract", help=contract_scaffold.HELP))
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "run": cmd_run,
        "merge": cmd_merge,
        "signoff": cmd_signoff,
        "lint": cmd_lint,
        "steps": cmd_steps,
        "doctor": cmd_doctor,
        "up": cmd_up,
        "report": cmd_report,
        "lsp": cmd_lsp,
        "manual": manual.command,
        "contract": contract_scaffold.command,
    }
    try:
        if args.command == "down":
            return cmd_down()
        if args.command == "init":
            return cmd_init(args)
        return _after_leak_scans(commands[args.command](args))
    except InterlockError as exc:
        _debug(args)
        say(_masked(str(exc)))
        return _after_leak_scans(int(exc.exit_code))
    except KeyboardInterrupt:
        say("interrupted")
        return _after_leak_scans(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # never a traceback for a user, unless asked for one
        _debug(args)
        say(_masked(f"error: {unexpected(exc)}"))
        return _after_leak_scans(int(ExitCode.COULD_NOT_RUN))
    finally:
        _forget_learned_secrets()
        run_lock.release_all()  # what a command took (see _take)


def _debug(args: argparse.Namespace) -> None:
    if args.debug:  # the traceback of the error being handled, masked like the rest
        print(_masked(traceback.format_exc()), file=sys.stderr, end="", flush=True)


def unexpected(exc: Exception) -> str:
    """An error interlock did not foresee, in one line, and how to see more."""
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
    return f"{text} (an unexpected error in interlock; `interlock --debug ...` shows where)"


# -- the leak scan, whatever the way out ----------------------------------------------------


@dataclass
class _LeakScan:
    """The scan for secrets a command owes once it has written under ``folder``: run by
    ``_finish``, or on the way out whatever the exit (2 when the environment failed to
    start, 130), so that nothing written escapes it. Its masker knows the configured
    secrets and those the run's workers learned (fetched tokens)."""

    folder: Path
    masker: Masker
    learned: LearnedSecrets | None = None
    done: bool = False

    def run(self) -> list[secret_scan.Finding]:
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


_owed: list[_LeakScan] = []


def _owe_leak_scan(config: Config, folder: Path | None = None, learn: bool = False) -> _LeakScan:
    """From now on ``folder`` (the reports folder) holds what this command wrote; with
    ``learn``, this run's workers share the secrets they learn through a private file."""
    learned = None
    if learn:
        remove_stale_learned_files(config.state_dir)
        learned = LearnedSecrets.at(learned_secrets_file(config.state_dir))
    owed = _LeakScan(folder or config.reports_dir, Masker(config.secrets, learned), learned)
    _owed.append(owed)
    return owed


def _after_leak_scans(code: int) -> int:
    """Run the leak scans still owed; a leak fails a command that would have passed."""
    leaked = False
    try:
        for owed in _owed:
            if not owed.done:
                leaked = bool(owed.run()) or leaked
    except KeyboardInterrupt:
        say("interrupted: the leak scan did not finish")
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.FAILED) if leaked and code == ExitCode.PASSED else code


def _masked(text: str) -> str:
    for owed in _owed:
        text = owed.masker.mask(text)
    return text


def _forget_learned_secrets() -> None:
    while _owed:
        owed = _owed.pop()
        if owed.learned is not None:
            owed.learned.delete()


# -- run ------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    config = load_config(env=args.env, overrides=args.set)
    if args.workers < 1:
        raise SelectionError(
            f"--workers {args.workers}: at least one worker is needed", hint="use --workers 1"
        )
    lock = _take(config.state_dir, "run")
    _check_outputs(config, html=not args.no_report)
    signoff.check_suite_files(config)  # the catalog and waivers, before anything starts
    if not args.no_lint:
        problems = _lint(config, args.paths)
        if any(p.severity == "error" for p in problems):
            print(lint.report(problems), file=sys.stderr)
            raise SelectionError(
                "the feature files have errors, so nothing ran",
                hint="fix them (interlock lint lists them), or run with --no-lint",
            )
    history_dir = config.reports_dir / "history"
    previous = history.load(history_dir, say)
    scenarios = _select(config, args, previous)
    if scenarios is None:
        return int(ExitCode.PASSED)
    checks = manual.for_run(config, scenarios)  # done by a person: not run, their records read

    results = config.reports_dir / RESULTS
    junit_dir = config.reports_dir / JUNIT
    _prepare(results, junit_dir)
    _owe_leak_scan(config, learn=True)
    leftovers.clear(config.state_dir)

    supervisor = Supervisor(on_start=lock.add_worker)
    handlers = {s: signal.signal(s, supervisor) for s in (signal.SIGINT, signal.SIGTERM)}
    behave = BehaveCommand(
        root=config.root,
        env_name=config.env,
        overrides=args.set,
        junit_parts=junit_dir / "parts",
        lists_dir=config.state_dir / "lists" / str(time.monotonic_ns()),
        logs_dir=config.reports_dir / "logs" / "workers",
        scenarios_per_process=config.run.scenarios_per_process,
        learned_secrets=learned_secrets_file(config.state_dir),
        shard=args.shard,
    )
    shutil.rmtree(behave.logs_dir, ignore_errors=True)
    acquired = None
    runtime = None
    codes: list[int] = []
    said: set[str] = set()  # the sweeps' lines, said once a run
    try:
        acquired = environment.acquire(config, report=say)
        runtime = acquired.runtime
        # What an earlier run killed mid-scenario left behind: services, then rows.
        for line in environment.stop_worker_processes(runtime):
            say(f"stopped {line}: a worker that was killed had left it running")
        _sweep(config, runtime, said)
        codes = _execute(
            automated(scenarios),
            args.workers,
            behave,
            supervisor,
            results,
            previous,
            config.run.flaky_retries,
        )
        # What a killed worker of this run left behind: its services, then its rows.
        for line in environment.stop_worker_processes(runtime):
            say(f"stopped {line}: a worker that was killed had left it running")
        _sweep(config, runtime, said)
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
        report.record_missing(results, scenarios, interrupted, mask, recorded)
        summary = report.read_results(results)
        history.save(history_dir, summary, previous)
        scope = Scope("run", tuple(args.paths), tuple(args.tags), args.shard, args.rerun_failed)
        return _finish(
            config, summary, codes, supervisor.signal, args.no_report, started, runtime, scope
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _take(state_dir: Path, command: str) -> run_lock.RunLock:
    """One run per checkout: this command holds it until it returns (released in main),
    or stops here, having written nothing, when another one does (exit 2)."""
    return run_lock.take(state_dir, f"interlock {command}", say)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _sweep(config: Config, runtime: Runtime, said: set[str]) -> None:
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


def _check_outputs(config: Config, html: bool) -> None:
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


def _select(
    config: Config, args: argparse.Namespace, previous: history.LastRun | None
) -> list[ScenarioRef] | None:
    """The scenarios this run covers; None when there is nothing to do."""
    scenarios = discover(config.root, args.paths, config.features_dir, args.tags)
    if args.rerun_failed:
        if previous is None:
            raise SelectionError(
                "--rerun-failed: no previous run is recorded"
                f" ({config.reports_dir / 'history' / history.FILE} is missing or unreadable)",
                hint="run the suite once first",
            )
        failed = previous.failed_locations()
        scenarios = [s for s in scenarios if s.location in failed]
        if not scenarios:
            say("nothing failed in the last run: nothing to rerun")
            print("scenarios: 0 passed, 0 failed")
            return None
    if args.shard:
        index, total = parse_shard(args.shard)
        scenarios = shard(scenarios, index, total)
    for ref in scenarios:
        from_tags(ref.tags, ref.location)  # a malformed quarantine stops the run here
    if not scenarios:
        where = " ".join(args.paths) or str(config.features_dir.relative_to(config.root))
        tags = f" with tags {' and '.join(args.tags)}" if args.tags else ""
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
        codes += _retry_flaky(scenarios, behave, supervisor, results, console, retries)
    return codes


def _retry_flaky(
    scenarios: list[ScenarioRef],
    behave: BehaveCommand,
    supervisor: Supervisor,
    results: Path,
    console: bool,
    retries: int,
) -> list[int]:
    """Rerun failed ``@flaky`` scenarios up to ``run.flaky_retries`` times; a pass on a
    retry is flagged flaky in its result, so the report shows it rather than hides it."""
    by_location = {s.location: s for s in scenarios}
    codes: list[int] = []
    retried: set[str] = set()
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
    for outcome in report.read_results(results).latest():
        if outcome.location in retried and outcome.status == "passed":
            report.mark_flaky(outcome)
    return codes


def _finish(
    config: Config,
    summary: report.Summary,
    codes: list[int],
    signum: int | None,
    no_report: bool,
    started: float,
    runtime: Runtime | None = None,
    scope: Scope | None = None,
) -> int:
    """Write the run-level files, the sign-off pack and the report; check no secret
    leaked; print the summary; decide the exit code."""
    results = config.reports_dir / RESULTS
    owed = [s for s in _owed if s.folder == config.reports_dir] or [_owe_leak_scan(config)]
    masker = owed[0].masker  # the secrets the workers learned included
    allure_files.write(results, config, runtime, masker)
    junit_file = config.reports_dir / JUNIT / JUNIT_FILE
    if junit_file.exists():
        junit_file.write_text(masker.mask(junit_file.read_text(encoding="utf-8")), "utf-8")
    text = masker.mask(summary.text())
    print(text, flush=True)
    documents = {name: s.openapi for name, s in config.services.items() if s.openapi}
    coverage = contract_coverage.summary(documents, results)  # "" when nothing was recorded
    for line in coverage.splitlines():
        if line.startswith("contract coverage of"):
            print(line, flush=True)  # the tables are in the summary file
    text += f"\n{coverage}" if coverage else ""
    disposable = [name for name, db in config.databases.items() if db.disposable]
    tables = table_coverage.summary(results, disposable)  # "" when there is none
    if tables:
        print(tables, flush=True)
        text += f"\n{tables}"
    (config.reports_dir / SUMMARY).write_text(masker.mask(text + "\n" + summary.headline() + "\n"))
    crashed = [code for code in codes if code not in (0, 1)]
    pack = signoff.build(config, summary, dict(os.environ), scope)
    page = signoff.write(pack, config.reports_dir / SIGNOFF, masker)
    if signum is None and not no_report:
        built, message = report.build_html(config, results, config.reports_dir / HTML)
        print(f"report: {message}" if built else f"interlock: {message}", flush=True)
        say(signoff.print_pdf(page))
    print(f"sign-off: {pack.data['headline']}  ({page})")
    for reason in pack.data["reasons"]:
        print(f"  - {masker.mask(reason)}", flush=True)
    print(f"results: {results}  junit: {junit_file}  ({time.monotonic() - started:.1f} s)")
    leaks = owed[0].run()
    print(summary.headline(), flush=True)
    left = leftovers.collect(config.state_dir)
    if left:
        say(
            "cleanup was incomplete: this run may have left data behind:\n  - "
            + "\n  - ".join(left)
        )
    _say_missing(summary, config.reports_dir / "logs" / "workers", signum is not None)
    if signum is not None:
        return int(ExitCode.INTERRUPTED)
    if not summary.reported:
        say("behave stopped before any scenario ran (see its message above)")
        return int(ExitCode.COULD_NOT_RUN)
    if left:
        return int(ExitCode.CLEANUP_INCOMPLETE)
    if leaks:
        return int(ExitCode.FAILED)
    if crashed:
        logs = config.reports_dir / "logs" / "workers"
        say(f"a worker exited abnormally (exit codes {crashed}); see {logs}/")
        return int(ExitCode.FAILED)
    return int(ExitCode.FAILED if summary.verdict_failures else ExitCode.PASSED)


def _say_missing(summary: report.Summary, logs: Path, interrupted: bool, limit: int = 20) -> None:
    """Name the selected scenarios that reported no result (each also fails the run)."""
    missing = summary.missing
    if not missing:
        return
    lines = [f"{o.location}  {o.name}" for o in missing[:limit]]
    if len(missing) > limit:
        lines.append(f"... and {len(missing) - limit} more")
    why = (
        "the run was interrupted before they ran"
        if interrupted
        else f"so this run cannot pass; a worker's output or its log in {logs}/ says why"
    )
    say(
        f"{len(missing)} selected scenario(s) reported no result ({why}):\n  - "
        + "\n  - ".join(lines)
    )


# -- lint -----------------------------------------------------------------------------------


def _lint(config: Config, paths: Sequence[str]) -> list[lint.Problem]:
    # Files, not scenarios: a file behave cannot parse is a problem lint names, with the rest.
    files = sorted(set(feature_files(config.root, paths, config.features_dir)))
    library = lint.StepLibrary.load(config.root / "steps")
    required = config.report.requirement_tag if config.report.require_requirement_tag else None
    catalog = requirements.load(config.root, config.report.requirement_tag)
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


def cmd_lint(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    problems = _lint(config, args.paths)
    print(lint.report(problems))
    return int(ExitCode.FAILED if any(p.severity == "error" for p in problems) else ExitCode.PASSED)


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.folder).resolve()
    made = scaffold.init(target, force=args.force)
    for path in made.written:
        print(path.relative_to(target))
    for path in made.kept:
        print(f"{path.relative_to(target)}: exists, kept as it is")
    print(
        f"\nA new suite in {target}. Next: cd {args.folder} && interlock run"
        "\n(then fill in your service in config/default.yaml; see README.md)"
    )
    return int(ExitCode.PASSED)


def cmd_steps(args: argparse.Namespace) -> int:
    """Write docs/steps.md, docs/steps.html and the VS Code snippets from the steps."""
    config = load_config(env=args.env, overrides=args.set)
    library = lint.StepLibrary.load(config.root / "steps")
    features = sorted(config.features_dir.rglob("*.feature"))
    entries = catalog.collect(library, features, config.root)
    outputs = {
        config.root / "docs" / "steps.md": catalog.markdown(entries),
        config.root / "docs" / "steps.html": catalog.page(entries),
        config.root / ".vscode" / "interlock.code-snippets": catalog.snippets(entries),
    }
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
        for path in stale:
            say(f"{path.relative_to(config.root)} is out of date: run interlock steps")
        return int(ExitCode.FAILED if stale else ExitCode.PASSED)
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(config.root))
    return int(ExitCode.PASSED)


def cmd_lsp(args: argparse.Namespace) -> int:
    """The language server (docs/editor.md); pygls is imported only here."""
    from interlock import lsp

    return lsp.serve(env=args.env, overrides=args.set)


# -- merge ----------------------------------------------------------------------------------


def cmd_merge(args: argparse.Namespace) -> int:
    """Combine the reports folders of sharded runs into this project's reports."""
    started = time.monotonic()
    config = load_config(env=args.env, overrides=args.set)
    _take(config.state_dir, "merge")
    results = config.reports_dir / RESULTS
    sources = [Path(folder).resolve() for folder in args.folders]
    for source in sources:
        if not (source / RESULTS).is_dir():
            raise SelectionError(
                f"{source} holds no {RESULTS} folder",
                hint="pass each shard's reports folder (the one interlock run wrote)",
            )
    if results.resolve() in {(s / RESULTS).resolve() for s in sources}:
        raise SelectionError(
            "merge would overwrite one of its inputs", hint="copy the shards' folders elsewhere"
        )
    shutil.rmtree(results, ignore_errors=True)
    _owe_leak_scan(config)
    results.mkdir(parents=True)
    for number, source in enumerate(sources, 1):
        for item in (source / RESULTS).iterdir():
            if item.is_file():  # coverage parts are named by pid, which shards may share
                name = contract_coverage.merged_name(item.name, number)
                shutil.copy2(item, results / name)
    junit.merge([s / JUNIT for s in sources], config.reports_dir / JUNIT / JUNIT_FILE)
    summary = report.read_results(results)
    say(f"merged {len(summary.outcomes)} results from {len(sources)} folders")
    scope = Scope("merge", merged=tuple(str(s) for s in sources))
    return _finish(config, summary, [], None, args.no_report, started, scope=scope)


# -- signoff --------------------------------------------------------------------------------


def cmd_signoff(args: argparse.Namespace) -> int:
    """The sign-off pack of the last run (or merge); exit 0 ACCEPTED, 1 NOT ACCEPTED.
    ``--approve``/``--reject`` record a person's decision on it, ``--verify`` checks the
    pack and its approval still match the results."""
    config = load_config(env=args.env, overrides=args.set)
    _take(config.state_dir, "signoff")  # a run under way has half its results
    results = config.reports_dir / RESULTS
    folder = config.reports_dir / SIGNOFF
    if args.verify:
        return signoff.verify(config, folder, results, print)
    if (args.approve or args.reject) and not (args.by or "").strip():
        raise SelectionError("who decides?", hint='--by "Name, role"')
    if not any(results.glob("*-result.json")):
        raise SelectionError(
            f"no results in {results} to sign off", hint="run the suite first: interlock run"
        )
    summary = report.read_results(results)
    previous = signoff.previous(folder)
    recorded = ((previous or {}).get("scope") or {}).get("selection") or {}
    scope = Scope("signoff", recorded=recorded)
    pack = signoff.build(config, summary, dict(os.environ), scope, previous)
    owed = _owe_leak_scan(config, folder)
    if args.approve or args.reject:
        key = Path(args.key).expanduser() if args.key else None
        path = signoff.decide(config, pack, "approved" if args.approve else "rejected",
                              args.by, args.comment, key)  # fmt: skip
        print(f"recorded: {path.relative_to(config.root)}{'' if key else ' (unsigned)'}")
    page = signoff.write(pack, folder, owed.masker)
    print(f"{pack.data['headline']}  ({page})")
    for reason in pack.data["reasons"]:
        print(f"  - {reason}")
    say(signoff.print_pdf(page))
    return int(ExitCode.PASSED if pack.accepted else ExitCode.FAILED)


# -- environment --------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    """One line per service, credentials, contract and database; exit 0 when all are ok."""
    config = load_config(env=args.env, overrides=args.set)
    _take(config.state_dir, "doctor")  # it may start an environment, and stop it
    acquired = environment.acquire(config, report=say, check_health=False)
    try:
        checks = list(doctor.run(config, acquired.runtime, Masker(config.secrets)))
    finally:
        environment.release(acquired, config)
    for check in checks:
        print(check)
    failed = sum(1 for c in checks if not c.ok)
    warned = sum(1 for c in checks if c.ok and c.warning)
    warnings = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
    print(
        f"doctor: {len(checks) - failed - warned} ok, {failed} failing{warnings}"
        f" ({config.env!r} environment)"
    )
    return int(ExitCode.COULD_NOT_RUN if failed else ExitCode.PASSED)


def cmd_up(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    _take(config.state_dir, "up")
    acquired = environment.acquire(config, owner_pid=environment.DETACHED, report=say)
    runtime = acquired.runtime
    if not acquired.owned:
        say(f"an environment for {runtime.env!r} is already running; attached to it")
    for name, db in runtime.databases.items():
        print(f"database {name}: mysql://{db.user}@{db.host}:{db.port}/{db.database}")
    for name, service in runtime.services.items():
        print(f"service {name}: {service.url}")
    print("stop it with: interlock down")
    return int(ExitCode.PASSED)


def cmd_down() -> int:
    state_dir = _state_dir(find_root())
    _take(state_dir, "down")
    with environment_lock(state_dir):
        runtime = read_runtime(state_dir)
        if runtime is None:
            say("no environment is running")
            environment.sweep_orphans(state_dir, say)
            return int(ExitCode.PASSED)
        killed = environment.stop(runtime, state_dir)
        environment.sweep_orphans(state_dir, say)
    for line in killed:
        say(f"had to kill {line}")
    say(f"stopped the {runtime.env!r} environment")
    return int(ExitCode.PASSED)


def _state_dir(root: Path) -> Path:
    """The state folder without loading an environment's config (down needs none)."""
    try:
        return load_config(root=root).state_dir
    except InterlockError:
        return root / ".interlock"


def cmd_report(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    _take(config.state_dir, "report")
    _owe_leak_scan(config, config.reports_dir / HTML)
    built, message = report.build_html(
        config, config.reports_dir / RESULTS, config.reports_dir / HTML
    )
    print(f"report: {message}" if built else f"interlock: {message}")
    if built and args.serve:
        run_lock.release_all()  # serving writes nothing: a run may rebuild meanwhile
        return report.serve(config, config.reports_dir / HTML)
    return int(ExitCode.PASSED if built else ExitCode.COULD_NOT_RUN)


if __name__ == "__main__":
    raise SystemExit(main())
