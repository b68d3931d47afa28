"""Workers die with their run.

A behave worker runs in its own session (so that a terminal's Ctrl-C reaches only
``interlock run``, which forwards it once), so nothing would end it if the run were
killed (``kill -9``, the OOM killer, a CI job cancelled hard): it would go on
unsupervised, using an environment the next run stops, writing results into the next
run's folder. So the kernel ties each worker to the run, in two stages:

- from ``fork`` to the worker's ``before_all`` (:func:`killed_with_parent`, a
  ``preexec_fn``): the parent-death signal is SIGKILL. Nothing has run yet that a
  cleanup could undo, so dying at once is right; a worker whose run died before the
  signal was set (the race ``prctl`` leaves) exits before ``exec``;
- from ``before_all`` on (:func:`follow_parent`): the parent-death signal is SIGHUP,
  which interlock takes as a first Ctrl-C (the step is interrupted, every cleanup
  runs, ``after_all`` stops the worker's own services), bounded: ``ORPHAN_LIMIT``
  seconds later the worker kills its services and its whole process group.

Cleanups that run are better than a sweep that comes later (the next run may be much
later, or point at another environment); the bound makes a hung cleanup harmless.
The next run waits for such a worker before it touches anything (see
:mod:`interlock.run_lock`). The kernel sends the signal when the *thread* that
started the worker ends, so that thread must wait for it (``workers.run_batches``
does). Linux only; elsewhere workers are not tied to their run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

PARENT_ENV = "INTERLOCK_PARENT"  # the pid of the `interlock run` that started this worker
ORPHAN_LIMIT = 10.0  # seconds a worker whose run died has to stop in order
PARENT_DEATH = signal.SIGHUP  # a worker's session has no terminal: nothing else sends it
_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, ready to call (argument types set), or None where there is none."""
    try:
        function: Any = ctypes.CDLL(None, use_errno=True).prctl
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def killed_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn``: the child gets SIGKILL when ``parent`` (this process) dies, and
    exits at once if it already has. None where the kernel offers no such signal.

    It runs between ``fork`` and ``exec`` while other threads of the run exist, so it
    does as little as can be: a ``prctl`` prepared here, ``getppid``, ``_exit``.
    """
    prctl = _prctl()
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)  # the run died between fork and prctl: nothing started yet

    return preexec


class Lifeline:
    """A worker's tie to its run (one per process, from :func:`follow_parent`)."""

    def __init__(
        self,
        parent: int,
        on_death: Callable[[FrameType | None], None],
        before_kill: Callable[[], None],
    ) -> None:
        self.parent = parent
        self.orphaned = False
        self._on_death = on_death
        self._before_kill = before_kill

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.orphaned:
            return
        self.orphaned = True
        threading.Thread(target=self._deadline, name="interlock lifeline", daemon=True).start()
        self._on_death(frame)

    def _deadline(self) -> None:
        threading.Event().wait(ORPHAN_LIMIT)
        with contextlib.suppress(Exception):
            self._before_kill()
        os.killpg(os.getpgrp(), signal.SIGKILL)


def follow_parent(
    on_death: Callable[[FrameType | None], None], before_kill: Callable[[], None]
) -> Lifeline | None:
    """In a worker of ``interlock run``: from now on its run's death calls ``on_death``
    (a graceful stop), and ``ORPHAN_LIMIT`` seconds later ``before_kill`` and then a
    SIGKILL to the worker's process group. None outside a worker (plain ``behave``)."""
    expected = os.environ.get(PARENT_ENV, "")
    prctl = _prctl()
    if not expected.isdigit() or prctl is None:
        return None
    lifeline = Lifeline(int(expected), on_death, before_kill)
    signal.signal(PARENT_DEATH, lifeline._handle)
    prctl(_PR_SET_PDEATHSIG, PARENT_DEATH, 0, 0, 0)
    if os.getppid() != lifeline.parent:  # it died before the signal was set
        lifeline._handle(PARENT_DEATH, None)
    return lifeline
