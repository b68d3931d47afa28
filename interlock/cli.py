"""The ``interlock`` command: run, up, down, report.

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 the suite could not run
(bad config or usage, environment down), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from interlock import report, stack
from interlock.allure_formatter import KEEP_RESULTS
from interlock.config import Config, find_root, load_config
from interlock.errors import ExitCode, InterlockError
from interlock.runtime import environment_lock, read_runtime

RESULTS = "allure-results"
HTML = "allure-report"
JUNIT = "junit"


def say(message: str) -> None:
    print(f"interlock: {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interlock",
        description="Integration and interface testing in Gherkin.",
        epilog="exit codes: 0 passed, 1 a scenario failed, 2 could not run, 130 interrupted",
    )
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
    run.add_argument("--no-report", action="store_true", help="skip the HTML report")
    run.add_argument("paths", nargs="*", help="feature files, folders or FILE:LINE")
    with_env(commands.add_parser("up", help="start the embedded environment and leave it running"))
    commands.add_parser("down", help="stop the environment started by `interlock up`")
    with_env(commands.add_parser("report", help="build the HTML report from the last results"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "up":
            return cmd_up(args)
        if args.command == "down":
            return cmd_down()
        return cmd_report(args)
    except InterlockError as exc:
        say(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        say("interrupted")
        return int(ExitCode.INTERRUPTED)


class _Interrupted:
    """Turns SIGINT/SIGTERM into a flag while behave runs, so the environment still stops."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.child: subprocess.Popen[bytes] | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        first = self.signal is None
        self.signal = signum
        if self.child is not None and self.child.poll() is None:
            # behave stops gracefully on SIGINT (after-hooks and cleanups run);
            # a second signal stops it at once.
            self.child.send_signal(signal.SIGINT if first else signal.SIGKILL)


def cmd_run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    config = load_config(env=args.env, overrides=args.set)
    results = config.reports_dir / RESULTS
    junit = config.reports_dir / JUNIT
    for folder in (results, junit):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)

    interrupted = _Interrupted()
    previous = {s: signal.signal(s, interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    acquired = None
    try:
        acquired = stack.acquire(config, report=say)
        rc = _behave(config, args, interrupted)
    finally:
        if acquired is not None:
            stack.release(acquired, config)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    summary = report.read_results(results)
    print(summary.text(), flush=True)
    if interrupted.signal is None and not args.no_report:
        built, message = report.build_html(config, results, config.reports_dir / HTML)
        print(f"report: {message}" if built else f"interlock: {message}", flush=True)
    print(f"results: {results}  junit: {junit}  ({time.monotonic() - started:.1f} s)")
    print(summary.headline(), flush=True)
    return int(_verdict(rc, summary, interrupted.signal))


def _behave(config: Config, args: argparse.Namespace, interrupted: _Interrupted) -> int:
    command = [sys.executable, "-m", "behave", "-D", f"env={config.env}", "-D", f"{KEEP_RESULTS}=1"]
    for item in args.set:
        command += ["-D", item]
    for expression in args.tags:
        command += ["--tags", expression]
    command += args.paths
    env = {**os.environ, "INTERLOCK_ENV": config.env}
    # Its own session: a terminal's Ctrl-C reaches only us, and we forward it once.
    interrupted.child = subprocess.Popen(command, cwd=config.root, env=env, start_new_session=True)
    while True:
        try:
            return interrupted.child.wait()
        except KeyboardInterrupt:  # pragma: no cover - the handler above takes SIGINT
            continue


def _verdict(rc: int, summary: report.Summary, signum: int | None) -> ExitCode:
    if signum is not None:
        return ExitCode.INTERRUPTED
    if rc == 0:
        if not summary.outcomes:
            say("no scenario matched: nothing ran")
        return ExitCode.PASSED
    if not summary.outcomes:
        say("behave stopped before any scenario ran (see its message above)")
        return ExitCode.COULD_NOT_RUN
    return ExitCode.FAILED


def cmd_up(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    acquired = stack.acquire(config, owner_pid=stack.DETACHED, report=say)
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
    with environment_lock(state_dir):
        runtime = read_runtime(state_dir)
        if runtime is None:
            say("no environment is running")
            stack.sweep_orphans(state_dir, say)
            return int(ExitCode.PASSED)
        killed = stack.stop(runtime, state_dir)
        stack.sweep_orphans(state_dir, say)
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
    built, message = report.build_html(
        config, config.reports_dir / RESULTS, config.reports_dir / HTML
    )
    print(f"report: {message}" if built else f"interlock: {message}")
    return int(ExitCode.PASSED if built else ExitCode.COULD_NOT_RUN)


if __name__ == "__main__":
    raise SystemExit(main())
