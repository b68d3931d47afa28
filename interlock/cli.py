"""The ``interlock`` command: run, merge, up, down, report.

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 the suite could not run
(bad config or usage, environment down), 3 a cleanup failed (data may be left
behind), 130 interrupted.

This module parses and prints; ``interlock.run`` runs the suite and decides the exit
code (``run.exit_code``, pure: the precedence of these codes is in its docstring).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from interlock import (
    contract_coverage,
    contract_scaffold,
    environment,
    junit,
    lint,
    manual,
    report,
    run,
    run_lock,
    signoff,
)
from interlock.config import find_root, load_config
from interlock.environment.runtime import environment_lock, read_runtime
from interlock.errors import ExitCode, InterlockError
from interlock.masking import Masker
from interlock.run import HTML, JUNIT, JUNIT_FILE, RESULTS, SIGNOFF, Console, RunRequest
from interlock.scope import Scope
from interlock.selection import SelectionError


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
    run.add_argument(
        "--headed",
        action="store_true",
        help="show the browser of web page steps (browser.headless=false)",
    )
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
        say(run.masked(str(exc)))
        return _after_leak_scans(int(exc.exit_code))
    except KeyboardInterrupt:
        say("interrupted")
        return _after_leak_scans(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:  # `interlock manual | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit's flush cannot fail again
        return _after_leak_scans(0)
    except Exception as exc:  # never a traceback for a user, unless asked for one
        _debug(args)
        say(run.masked(f"error: {unexpected(exc)}"))
        return _after_leak_scans(int(ExitCode.COULD_NOT_RUN))
    finally:
        run.forget_learned_secrets()
        run_lock.release_all()  # what a command took (see _take)


def _after_leak_scans(code: int) -> int:
    """Run the leak scans still owed; a leak fails a command that would have passed."""
    return run.after_leak_scans(code, say)


def _debug(args: argparse.Namespace) -> None:
    if args.debug:  # the traceback of the error being handled, masked like the rest
        print(run.masked(traceback.format_exc()), file=sys.stderr, end="", flush=True)


def unexpected(exc: Exception) -> str:
    """An error interlock did not foresee, in one line, and how to see more."""
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
    return f"{text} (an unexpected error in interlock; `interlock --debug ...` shows where)"


# -- run ------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Parse into a request, hand it to the run (``interlock.run``), say what came of it."""
    if args.headed:  # passed to the workers with the other overrides
        args.set = [*args.set, "browser.headless=false"]
    request = RunRequest(
        paths=tuple(args.paths),
        tags=tuple(args.tags),
        workers=args.workers,
        shard=args.shard,
        rerun_failed=args.rerun_failed,
        no_report=args.no_report,
        no_lint=args.no_lint,
        overrides=tuple(args.set),
    )
    config = load_config(env=args.env, overrides=args.set)
    return _conclude(run.run(config, request, Console(say=say)))


def _conclude(outcome: run.Outcome) -> int:
    """Print the closing lines of a run (or merge) and return its exit code."""
    if outcome.nothing_to_rerun:
        say("nothing failed in the last run: nothing to rerun")
    print(outcome.summary.headline(), flush=True)
    if outcome.leftovers:
        say(
            "cleanup was incomplete: this run may have left data behind:\n  - "
            + "\n  - ".join(outcome.leftovers)
        )
    _say_missing(outcome)
    message = run.closing_message(outcome)
    if message:
        say(message)
    return run.exit_code(outcome)


def _take(state_dir: Path, command: str) -> run_lock.RunLock:
    """One run per checkout: this command holds it until it returns (released in main),
    or stops here, having written nothing, when another one does (exit 2)."""
    return run.take_lock(state_dir, command, say)


def _say_missing(outcome: run.Outcome, limit: int = 20) -> None:
    """Name the selected scenarios that reported no result (each also fails the run)."""
    missing = outcome.missing
    if not missing:
        return
    lines = [f"{o.location}  {o.name}" for o in missing[:limit]]
    if len(missing) > limit:
        lines.append(f"... and {len(missing) - limit} more")
    why = (
        "the run was interrupted before they ran"
        if outcome.interrupted
        else f"so this run cannot pass; a worker's output or its log in {outcome.logs}/ says why"
    )
    say(
        f"{len(missing)} selected scenario(s) reported no result ({why}):\n  - "
        + "\n  - ".join(lines)
    )


# -- lint -----------------------------------------------------------------------------------


def cmd_lint(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    problems = run.lint_suite(config, args.paths, args.set)
    print(lint.report(problems))
    return int(ExitCode.FAILED if any(p.severity == "error" for p in problems) else ExitCode.PASSED)


def cmd_init(args: argparse.Namespace) -> int:
    from interlock import scaffold  # only here: `interlock run` does without it

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
    from interlock import catalog  # only here: `interlock run` does without it

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
    run.owe_leak_scan(config)
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
    return _conclude(
        run.finish(
            config,
            summary,
            [],
            None,
            args.no_report,
            started,
            scope=scope,
            console=Console(say=say),
        )
    )


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
    owed = run.owe_leak_scan(config, folder)
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
    from interlock import doctor  # only here: `interlock run` does without it

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
    run.owe_leak_scan(config, config.reports_dir / HTML)
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
