"""The run-level files Allure reads from the results folder: the environment table,
the executor (which CI build ran it), and the categories that tell product defects
from broken tests and unreachable environments."""

from __future__ import annotations

import getpass
import json
import os
import platform
import re
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from interlock import __version__, coverage_report
from interlock.config import Config
from interlock.environment.runtime import Runtime
from interlock.errors import UnreachableFailure
from interlock.masking import Masker, without_password


def _type_name(kind: type[BaseException]) -> str:
    """How allure-commons names an exception's type at the start of a result's message
    (``traceback.format_exception_only``): ``interlock.errors.UnreachableFailure``."""
    return f"{kind.__module__}.{kind.__qualname__}"


# A result is filed by the type of the exception that failed it, not by what its text
# says: allure-behave writes a failed step's message as "<module>.<Type>: <text>", so a
# regex anchored on the type's name matches only an UnreachableFailure (an
# AssertionError that merely mentions "could not connect" starts "AssertionError: ").
# The name is built from the class, so moving it keeps the category true; the regex is
# written for both readers: Allure 2 (Java, whole message) and Allure 3 (JavaScript).
UNREACHABLE_REGEX = "^" + re.escape(_type_name(UnreachableFailure)) + r": [\s\S]*"

CATEGORIES = [
    {
        "name": "Environment unreachable",
        "description": "The system under test or its database could not be reached:"
        " the environment is down, not the product wrong.",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": UNREACHABLE_REGEX,
    },
    {
        "name": "No result",
        "description": "Selected for the run, but no result came back: its worker ended"
        " early or the run was interrupted. The run does not pass.",
        "matchedStatuses": ["broken"],
        "messageRegex": r"no result: [\s\S]*",  # no inline flags: JavaScript rejects them
    },
    {
        "name": "Product defects",
        "description": "A check failed: the product did not do what the scenario expects.",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Broken tests",
        "description": "The scenario could not be carried out as written (an undefined or"
        " mistyped step, bad input, an error in a hook): fix the scenario or the suite.",
        "matchedStatuses": ["broken"],
    },
]


def environment_table(config: Config, runtime: Runtime | None) -> dict[str, str]:
    """The report's "Metadata", in words its readers use (no tool names as keys)."""
    table = {"Environment": config.env}
    if runtime is not None:
        for name, service in sorted(runtime.services.items()):
            table[f"{name} service"] = without_password(service.url)
        for name, db in sorted(runtime.databases.items()):
            table[f"{name} database"] = f"{db.host}:{db.port}/{db.database}"
    versions = f"interlock {__version__}, behave {_version('behave')}"
    table["Tested with"] = f"{versions}, Python {platform.python_version()}"
    return table


def executor(environ: Mapping[str, str]) -> dict[str, object]:
    """Who ran the suite: the CI build (GitHub Actions, GitLab CI, Jenkins) or a person."""
    if environ.get("GITHUB_ACTIONS"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repo, run = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        return {
            "name": "GitHub Actions",
            "type": "github",
            "buildName": f"{environ.get('GITHUB_WORKFLOW', '')}"
            f" #{environ.get('GITHUB_RUN_NUMBER', '')}",
            "buildUrl": f"{server}/{repo}/actions/runs/{run}",
        }
    if environ.get("GITLAB_CI"):
        return {
            "name": "GitLab CI",
            "type": "gitlab",
            "buildName": f"{environ.get('CI_JOB_NAME', '')} #{environ.get('CI_PIPELINE_ID', '')}",
            "buildUrl": environ.get("CI_JOB_URL", ""),
        }
    if environ.get("JENKINS_URL"):
        return {
            "name": "Jenkins",
            "type": "jenkins",
            "buildName": f"{environ.get('JOB_NAME', '')} #{environ.get('BUILD_NUMBER', '')}",
            "buildUrl": environ.get("BUILD_URL", ""),
        }
    kind = "CI" if environ.get("CI") else "local"
    return {"name": kind, "type": kind.lower(), "buildName": f"{_user()}@{socket.gethostname()}"}


def write(results: Path, config: Config, runtime: Runtime | None, masker: Masker) -> None:
    """Write ``environment.properties``, ``executor.json``, ``categories.json`` and the
    contract coverage page (a global attachment: :mod:`interlock.coverage_report`)."""
    results.mkdir(parents=True, exist_ok=True)
    lines = [  # a key's spaces escaped, as .properties files want
        f"{key.replace(' ', chr(92) + ' ')}={value}"
        for key, value in environment_table(config, runtime).items()
    ]
    (results / "environment.properties").write_text(masker.mask("\n".join(lines) + "\n"))
    (results / "executor.json").write_text(masker.mask(json.dumps(executor(os.environ))))
    (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=1))
    documents = {name: s.openapi for name, s in config.services.items() if s.openapi}
    coverage_report.write_allure(results, coverage_report.of_run(documents, results), masker)


def write_note(
    results: Path, name: str, lines: Sequence[str], error: bool, masker: Masker, short: str
) -> None:
    """A note on the whole run (not on one scenario), shown by Allure 3 among the
    report's global attachments, and among its global errors when ``error``: written as
    a ``<uuid>-globals.json`` and its text attachment; ``short`` goes into the report's
    metadata (``environment.properties``, on its first page) under ``name``."""
    with open(results / "environment.properties", "a", encoding="utf-8") as table:
        table.write(masker.mask(f"{name.replace(' ', chr(92) + ' ')}={short}") + "\n")
    text = masker.mask("\n".join(lines) + "\n")
    stamp = int(time.time() * 1000)
    source = f"{uuid.uuid4()}-attachment.txt"
    (results / source).write_text(text, encoding="utf-8")
    globals_ = {
        "attachments": [{"name": name, "source": source, "type": "text/plain", "timestamp": stamp}],
        "errors": [{"message": text, "timestamp": stamp}] if error else [],
    }
    (results / f"{uuid.uuid4()}-globals.json").write_text(json.dumps(globals_), encoding="utf-8")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
