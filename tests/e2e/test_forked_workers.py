"""Workers forked from the run (the default on Linux, issue 20) run the same scenarios
as fresh ones (``INTERLOCK_WORKER_START=subprocess``), also when the run's lint loaded
the steps first."""

from __future__ import annotations

from pathlib import Path

from interlock import lint_cache, workers
from tests.conftest import interlock

FORK = {workers.START_ENV: "fork"}
FRESH = {workers.START_ENV: "subprocess"}
# interlock's steps (HTTP, database) and the demo's own, in files enough for two workers
SOME = ("features/interface/orders_api.feature", "features/interface/shop_database.feature")


def test_forked_workers_define_every_step_after_lint_loaded_them(running: Path) -> None:
    """Found in the signal tests: lint (a cache miss) imported interlock_steps in the
    run; a forked worker dropped the step definitions but not the package, so behave
    found every interlock step undefined."""
    (running / ".interlock" / "cache" / lint_cache.FILE).unlink(missing_ok=True)
    done = interlock(running, "run", "--no-report", "--workers", "2", *SOME, env=FORK)
    logs = "".join(p.read_text() for p in (running / "reports/logs/workers").glob("*.log"))
    assert done.returncode == 0, done.stdout + done.stderr + logs
    assert "undefined" not in logs and "Traceback" not in logs


def test_a_forked_worker_is_recorded_in_the_run_lock_and_gone_after(running: Path) -> None:
    done = interlock(running, "run", "--no-report", "features/interface/orders_api.feature:11",
                     env=FORK)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lock = (running / ".interlock" / "run.lock").read_text()
    assert lock == "", f"a finished run's lock names nobody, not {lock!r}"


def test_fresh_worker_processes_remain_the_fallback(running: Path) -> None:
    done = interlock(running, "run", "--no-report", "--workers", "2", *SOME, env=FRESH)
    logs = "".join(p.read_text() for p in (running / "reports/logs/workers").glob("*.log"))
    assert done.returncode == 0, done.stdout + done.stderr + logs
    assert "undefined" not in logs and "Traceback" not in logs
