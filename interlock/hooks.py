"""behave hooks: what ``environment.py`` calls, and everything interlock puts on ``context``.

The context carries exactly these attributes, all set here and nowhere else:

- ``context.interlock`` (:class:`Suite`, for the whole run): the frozen config,
  the environment in use, the masker, and this worker process's stand-ins
  (:class:`~interlock.standins.StandIns`, their answers reset per scenario) and
  per-worker services (:class:`~interlock.environment.worker_services.WorkerServices`, started
  when a scenario first selects one, stopped in ``after_all``);
- per step: nothing new; ``before_step`` tells the scenario's time limit
  (``run.scenario_timeout``) which step is running;
- per scenario: ``context.http`` (:class:`~interlock.http.HttpClient`),
  ``context.db`` (:class:`~interlock.db.Databases`), ``context.variables``
  (:class:`~interlock.variables.Variables`) and ``context.cleanup``
  (:class:`~interlock.cleanup.CleanupRegistry`, run in reverse order after the
  scenario whatever its outcome) and ``context.service_logs``
  (:class:`~interlock.service_logs.LogMarks`: a failing scenario gets what each
  embedded service logged while it ran), and ``context.browser``
  (:class:`~interlock.browser.Screen`: the scenario's page, in a fresh browser context
  opened by its first web page step, on this worker's browser,
  :class:`~interlock.browser.Engine`, started once and closed in ``after_all``).

After each scenario, a request a stand-in had no answer for fails it (naming the
closest configured answer), and so does one that breaks the replaced service's
contract (unless the scenario allows that), like a cleanup that failed.

``behave -D env=NAME`` picks the environment and ``-D dotted.key=value`` overrides
one config value, as ``interlock run --env/--set`` do.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from behave.model_core import Status

from interlock import (
    environment,
    lifeline,
    rows_left_behind,
    run_lock,
    standin_checks,
    table_coverage,
)
from interlock.browser import Engine, Screen
from interlock.cleanup import CleanupRegistry
from interlock.config import Config, config_from_userdata
from interlock.contract_checks import coverage_folder
from interlock.contract_coverage import Recorder
from interlock.db import Databases
from interlock.environment.worker_services import WorkerServices, worker_name
from interlock.evidence import attach_text
from interlock.gherkin import refuse_refused_value, refuse_unexpected_input
from interlock.http import HttpClient, service_targets
from interlock.interruption import Interruption, step_zone
from interlock.learned_secrets import LEARNED_SECRETS_KEY, run_learned_secrets
from interlock.leftovers import record_leftovers
from interlock.masking import Masker
from interlock.selection import MANUAL_TAG
from interlock.service_logs import LogMarks
from interlock.standins import StandIns
from interlock.time_limit import TimeLimit
from interlock.variables import Variables
from interlock.workers import WORKER_ENV

FAILED = (Status.failed, Status.error, Status.hook_error)


@dataclass
class Suite:
    """What the whole run shares: config, the environment in use, the masker; and what
    this worker process keeps for itself: its stand-ins and per-worker services."""

    config: Config
    acquired: environment.Acquired
    masker: Masker
    interruption: Interruption
    leftovers: list[str] = field(default_factory=list)  # cleanups that failed, for the end
    time_limit: TimeLimit = field(init=False)
    standins: StandIns = field(init=False)
    worker_services: WorkerServices = field(init=False)
    coverage: Recorder = field(init=False)  # every exchange, for contract coverage
    browser: Engine = field(init=False)
    tables: table_coverage.Recorder = field(init=False)  # tables the steps' SQL touched
    tokens: bool = field(init=False)  # under `interlock run`, with a disposable database

    def __post_init__(self) -> None:
        self.tokens = bool(os.environ.get(WORKER_ENV)) and rows_left_behind.tokens_wanted(
            self.config
        )
        self.time_limit = TimeLimit(self.config.run.scenario_timeout)
        self.standins = StandIns(
            self.config.standins, self.masker, _say, self.config.http.max_body_bytes
        )
        self.worker_services = WorkerServices(
            self.config, self.acquired.runtime, self.standins, _say
        )
        self.coverage = Recorder(coverage_folder(self.config))
        self.browser = Engine(
            self.config.browser, self.acquired.runtime.run_dir, _say, worker_name()
        )
        self.tables = table_coverage.Recorder(coverage_folder(self.config))


def _say(message: str) -> None:
    # Around the capture of a step's output: a worker's own services start inside steps.
    print(f"interlock: {message}", file=sys.__stderr__ or sys.stderr, flush=True)


HOOKS = ("before_all", "before_scenario", "before_step", "after_scenario", "after_all")
_interruption: Interruption | None = None  # this process's, from before_all on


def before_all(context: Any) -> None:
    """Load config, then attach to the described environment or start one."""
    global _interruption
    interruption = _interruption = Interruption().install()
    # A worker stops when its `interlock run` dies.
    lifeline.follow_parent(interruption.parent_died, functools.partial(_kill_services, context))
    # An InterlockError aborts the run; behave prints its message (no traceback).
    config = config_from_userdata(context.config.userdata)
    _junit_follows_reports(context, config)
    if WORKER_ENV not in os.environ:  # plain behave: a run of its own (see run_lock)
        run_lock.take(config.state_dir, "behave", _say)
    acquired = environment.acquire(config, report=_say)
    # The masker learns fetched tokens; the run's other processes learn them through it.
    masker = Masker(
        config.secrets,
        run_learned_secrets(context.config.userdata, config.state_dir),
        config.secret_variables(),
    )
    suite = context.interlock = Suite(config, acquired, masker, interruption)
    step_zone(
        [interruption.check, suite.time_limit.check],
        suite.masker.exception,
        [refuse_refused_value, refuse_unexpected_input],
    )
    _check_hooks(context)
    interruption.safe_point(context)


def _junit_follows_reports(context: Any, config: Config) -> None:
    """Under plain behave, JUnit goes to ``<paths.reports>/junit`` like every other output
    (behave's own ``junit_directory`` setting is fixed in its config file);
    ``interlock run`` gives each worker its folder there on the command line."""
    if not os.environ.get(WORKER_ENV):
        context.config.junit_directory = str(config.reports_dir / "junit")


def _kill_services(context: Any) -> None:
    suite: Suite | None = getattr(context, "interlock", None)
    if suite is not None:
        suite.worker_services.kill_all()
        suite.browser.kill()


def _check_hooks(context: Any) -> None:
    """Every interlock hook must be wired (without ``after_scenario`` no cleanup runs;
    without ``after_all`` per-worker services outlive the process)."""
    runner = getattr(context, "_runner", None)
    hooks = getattr(runner, "hooks", None)
    if not isinstance(hooks, dict):
        return
    missing = [name for name in HOOKS if name not in hooks]
    if missing:
        _say(
            f"environment.py does not use interlock's {', '.join(missing)} hook(s):"
            " cleanups and interruptions need them all; import them from interlock.hooks"
        )


def before_scenario(context: Any, scenario: Any) -> None:
    if MANUAL_TAG in scenario.effective_tags:
        # A person does it and records it (interlock manual); `interlock run` never sends
        # it to behave, plain behave skips it.
        scenario.skip("a manual check: done by a person, recorded with `interlock manual`")
        return
    suite: Suite = context.interlock
    runtime = suite.acquired.runtime
    context.variables = Variables()
    if suite.tokens:  # under `interlock run`, which counts rows left behind: whose they are
        where = f"{scenario.location.filename}:{scenario.location.line} {scenario.name.strip()}"
        rows_left_behind.record_token(suite.config.state_dir, context.variables.unique, where)
    context.cleanup = CleanupRegistry()
    workers = suite.worker_services
    context.http = HttpClient(
        settings=suite.config.http,
        targets=service_targets(suite.config, runtime),
        masker=suite.masker,
        on_demand={name: functools.partial(workers.target, name) for name in workers.names()},
        after_send=[suite.standins.attach_new],
    )
    suite.coverage.scenario = (
        f"{scenario.location.filename}:{scenario.location.line} {scenario.name}"
    )
    context.http.after_send.append(functools.partial(_note_coverage, suite, context.http))
    context.db = Databases.from_config(suite.config, runtime, suite.masker)
    http = context.http
    context.browser = Screen(
        suite.browser, suite.config.browser, suite.masker, lambda name: http.target(name).url
    )
    for db in context.db.items.values():
        db.on_statement = suite.tables.note if db.settings.disposable else None
    context.service_logs = LogMarks.take(runtime, workers.logs())
    suite.time_limit.start()
    suite.interruption.safe_point(context)


def _note_coverage(suite: Suite, client: HttpClient) -> None:
    target = client.last_target
    # A stand-in's answers are the scenario's, not the service's: they cover nothing.
    if (
        client.last is not None
        and target is not None
        and not target.address_key.startswith("the stand-in")
    ):
        exchange = client.last
        suite.coverage.note(
            target.name, target.openapi, exchange.method, exchange.url, exchange.status
        )


def before_step(context: Any, step: Any) -> None:
    context.interlock.time_limit.entering(step)


def after_scenario(context: Any, scenario: Any) -> None:
    """Run every cleanup (newest first), close the scenario's connections, report what the
    stand-ins received. Unmatched stand-in requests and failed cleanups fail it."""
    suite: Suite = context.interlock
    with suite.interruption.teardown():
        _after_scenario(context, scenario, suite)


def _after_scenario(context: Any, scenario: Any, suite: Suite) -> None:
    suite.time_limit.stop()  # cleanups are not cut short
    # Any of these is missing when before_scenario was interrupted before it set it.
    cleanup: CleanupRegistry = getattr(context, "cleanup", CleanupRegistry())
    logs: LogMarks | None = getattr(context, "service_logs", None)
    if scenario.status in FAILED and logs is not None:
        for name, text in logs.since().items():
            attach_text(suite.masker, f"log of {name} during this scenario", text)
    try:
        failures = cleanup.run_all(around=suite.interruption.at_once)
    finally:
        opened_now = ("http", "db", "browser")
        for opened in (getattr(context, name, None) for name in opened_now):
            if opened is not None:
                opened.close()
        ended = suite.standins.end_scenario()
    problems = [
        report(name, traffic)
        for name, traffic in ended.items()
        for report in (
            standin_checks.unmatched_report,
            standin_checks.refused_report,
            standin_checks.contract_report,
        )
    ]
    problems = [suite.masker.mask(text) for text in problems if text]
    if failures:
        listed = "\n  - ".join(failures)
        text = suite.masker.mask(f"cleanup failed, data may be left behind:\n  - {listed}")
        attach_text(suite.masker, "cleanup failures", text)
        suite.leftovers += [f"{scenario.location}: {line}" for line in failures]
        problems.append(text)
    suite.interruption.safe_point(context)
    if problems:
        raise AssertionError("\n".join(problems))


def after_all(context: Any) -> None:
    if _interruption is not None:
        _interruption.finishing()
    suite: Suite | None = getattr(context, "interlock", None)
    if suite is None:
        return
    if suite.leftovers:
        lines = [suite.masker.mask(line) for line in suite.leftovers]
        _say(
            f"{len(lines)} cleanup(s) failed; this run may have left data behind:\n  - "
            + "\n  - ".join(lines)
        )
        record_leftovers(suite.config.state_dir, lines)
    _mask_junit(context.config, suite.masker)
    try:
        suite.browser.close()
        suite.worker_services.stop_all()  # they may use the environment: stop them first
        suite.standins.close()
    finally:
        environment.release(suite.acquired, suite.config)
        if not context.config.userdata.get(LEARNED_SECRETS_KEY):  # plain behave: no parent
            run_learned_secrets(context.config.userdata, suite.config.state_dir).delete()


def _mask_junit(behave_config: Any, masker: Masker) -> None:
    """Mask this process's JUnit files, written by behave before ``after_all`` (a step's
    captured output goes in unmasked), with every secret the run has learned so far."""
    folder = getattr(behave_config, "junit_directory", None)
    if not getattr(behave_config, "junit", False) or not folder:
        return
    for path in Path(folder).glob("*.xml"):
        try:
            text = path.read_text(encoding="utf-8")
            masked = masker.mask(text)
            if masked != text:
                path.write_text(masked, encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
