"""The environment a run tests against, behind one face.

``acquire`` attaches to the environment described in the state folder or starts its
embedded parts (MariaDB, services) and checks that every part is reachable;
``release`` lets go of it (stopping what this process started); ``stop`` stops a
described environment; ``check`` and ``probe_service`` are the one health check that
the run, ``interlock doctor`` and the "should be reachable" step share.

Inside the package: ``stack`` (attach-or-start, stop), ``mariadb`` (the embedded
database), ``services`` (embedded services), ``worker_services`` (a system under test
that each worker starts, pointed at its stand-ins), ``runtime`` (the file that
describes a running environment), ``health`` (the health check), ``processes`` and
``ports`` (pids, process groups, free ports). Modules of this package import each
other by submodule, never through this face, so that importing it has no cycles.
"""

from __future__ import annotations

from interlock.environment.health import check, probe, probe_service, require_reachable
from interlock.environment.runtime import DatabaseEndpoint, Runtime, read_runtime
from interlock.environment.stack import (
    DETACHED,
    Acquired,
    acquire,
    release,
    start,
    stop,
    stop_worker_processes,
    sweep_orphans,
)

__all__ = [
    "DETACHED",
    "Acquired",
    "DatabaseEndpoint",
    "Runtime",
    "acquire",
    "check",
    "probe",
    "probe_service",
    "read_runtime",
    "release",
    "require_reachable",
    "start",
    "stop",
    "stop_worker_processes",
    "sweep_orphans",
]
