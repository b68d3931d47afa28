"""behave hooks: what ``environment.py`` calls, and everything interlock puts on ``context``.

The context carries exactly these attributes, all set here and nowhere else:

- ``context.interlock`` (:class:`Suite`, for the whole run): the frozen config,
  the environment in use, the masker;
- per scenario: ``context.http`` (:class:`~interlock.http.HttpClient`),
  ``context.db`` (:class:`~interlock.db.Databases`), ``context.variables``
  (:class:`~interlock.variables.Variables`) and ``context.cleanup``
  (:class:`~interlock.cleanup.CleanupRegistry`, run in reverse order after the
  scenario whatever its outcome) and ``context.service_logs``
  (:class:`~interlock.service_logs.LogMarks`: a failing scenario gets what each
  embedded service logged while it ran).

``behave -D env=NAME`` picks the environment and ``-D dotted.key=value`` overrides
one config value, as ``interlock run --env/--set`` do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from behave.model_core import Status

from interlock import stack
from interlock.cleanup import CleanupRegistry
from interlock.config import Config, config_from_userdata
from interlock.db import Databases
from interlock.evidence import attach_text
from interlock.http import HttpClient, service_targets
from interlock.masking import Masker
from interlock.service_logs import LogMarks
from interlock.variables import Variables

FAILED = (Status.failed, Status.error, Status.hook_error)


@dataclass
class Suite:
    """What the whole run shares: config, the environment in use, the masker."""

    config: Config
    acquired: stack.Acquired
    masker: Masker
    leftovers: list[str] = field(default_factory=list)  # cleanups that failed, for the end


def _say(message: str) -> None:
    print(f"interlock: {message}", file=sys.stderr, flush=True)


def before_all(context: Any) -> None:
    """Load config, then attach to the described environment or start one."""
    # An InterlockError aborts the run; behave prints its message (no traceback).
    config = config_from_userdata(context.config.userdata)
    acquired = stack.acquire(config, report=_say)
    context.interlock = Suite(config, acquired, Masker(config.secrets))


def before_scenario(context: Any, scenario: Any) -> None:
    suite: Suite = context.interlock
    runtime = suite.acquired.runtime
    context.variables = Variables()
    context.cleanup = CleanupRegistry()
    context.http = HttpClient(
        settings=suite.config.http,
        targets=service_targets(suite.config, runtime),
        masker=suite.masker,
    )
    context.db = Databases.from_config(suite.config, runtime, suite.masker)
    context.service_logs = LogMarks.take(runtime)


def after_scenario(context: Any, scenario: Any) -> None:
    """Run every cleanup (newest first), then close the scenario's connections."""
    suite: Suite = context.interlock
    if scenario.status in FAILED:
        for name, text in context.service_logs.since().items():
            attach_text(suite.masker, f"log of {name} during this scenario", text)
    try:
        failures = context.cleanup.run_all()
    finally:
        context.http.close()
        context.db.close()
    if failures:
        listed = "\n  - ".join(failures)
        text = suite.masker.mask(f"cleanup failed, data may be left behind:\n  - {listed}")
        attach_text(suite.masker, "cleanup failures", text)
        suite.leftovers += [f"{scenario.location}: {line}" for line in failures]
        raise AssertionError(text)


def after_all(context: Any) -> None:
    suite: Suite | None = getattr(context, "interlock", None)
    if suite is None:
        return
    if suite.leftovers:
        _say(
            f"{len(suite.leftovers)} cleanup(s) failed; this run may have left data behind:\n  - "
            + "\n  - ".join(suite.masker.mask(line) for line in suite.leftovers)
        )
    stack.release(suite.acquired, suite.config)
