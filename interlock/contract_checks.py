"""The contract steps' checks: a service's documented responses all seen in this run
(contract coverage), and its operations keeping their contract for generated requests
(probing), with the rows probing made the service write deleted afterwards.

What the run saw is read from every worker's coverage part (see
:mod:`interlock.contract_coverage`); the probing itself is :mod:`interlock.probing`.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from pathlib import Path

from interlock import contract_coverage, probed_rows, probing
from interlock.allure_formatter import RESULTS_FOLDER
from interlock.auth import TokenContext, auth_headers
from interlock.cleanup import CleanupRegistry
from interlock.config import Config
from interlock.contracts import no_contract
from interlock.db import Databases
from interlock.errors import ScenarioInputError
from interlock.evidence import attach_text
from interlock.exchange import Exchange
from interlock.http import HttpClient, ServiceTarget


def coverage_folder(config: Config) -> Path:
    """Where the run's coverage parts are: its Allure results folder."""
    return config.reports_dir / RESULTS_FOLDER


def all_responses_seen(
    config: Config,
    target: ServiceTarget,
    excused: Iterable[tuple[str, str]] = (),
    shard: str | None = None,
) -> contract_coverage.Coverage:
    """Fail unless every documented response of ``target``'s document (but the
    ``excused`` (operation, status) pairs) was seen in this run so far. Under ``--shard``
    (``shard``: "K/N") this run sees only its part of the suite: the step fails, pointing
    at the verdict rule that judges the merged run."""
    if target.openapi is None:
        raise no_contract(target.name)
    if shard:
        raise AssertionError(
            f"this run is shard {shard} of the suite, so it saw only part of the requests"
            f" the coverage of {target.name!r} counts; this step cannot judge it here."
            f" Judge the whole run instead: add the verdict rule 'contract coverage of"
            f" {target.name} at least <n>%' to report.verdict and run interlock merge on the"
            " shards' reports (the merged coverage is in its sign-off pack); or tag this"
            " scenario so that sharded runs leave it out"
        )
    described = contract_coverage.contract(target.openapi)
    pairs = list(excused)
    labels = {op.label for op in described.operations}
    for operation, _ in pairs:
        if operation != "*" and " ".join(operation.split()) not in labels:
            described.find(operation)  # a named error listing the operations
    seen = contract_coverage.read_seen(coverage_folder(config))
    cov = contract_coverage.without(
        contract_coverage.coverage(target.name, described, seen),
        [(" ".join(op.split()), status.upper()) for op, status in pairs],
    )
    attach_text_plain(f"contract coverage of {target.name}", cov.table())
    if cov.unseen:
        raise AssertionError(contract_coverage.unseen_message(cov))
    return cov


def attach_text_plain(name: str, text: str) -> None:
    from interlock.masking import Masker

    attach_text(Masker(()), name, text)


def keeps_contract(
    config: Config,
    client: HttpClient,
    databases: Databases,
    cleanup: CleanupRegistry,
    target: ServiceTarget,
    record: Callable[[Exchange], None],
    operations: tuple[str, ...] = (),
    examples: int | None = None,
) -> probing.Probe:
    """Probe ``target``'s operations (all, or ``operations``) with generated requests;
    fail listing each operation that broke its contract, its smallest failing request
    (a curl line) and the rules broken. Rows the service wrote are deleted afterwards."""
    if target.openapi is None:
        raise no_contract(target.name)
    service = config.services.get(target.name)
    writes_to = _writes_to(config, target.name, service.writes_to if service else None)
    settings = config.probing
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
    limits = probing.Limits(
        examples if examples is not None else settings.examples,
        settings.seconds,
        seed,
        settings.negative,
    )
    headers = {
        **auth_headers(
            target.credentials, TokenContext(client.settings, _url_of(client), client.masker)
        ),
        **target.headers,
    }
    _forget_new_rows(databases, cleanup, writes_to)
    result = probing.probe(
        target.name,
        target.openapi,
        target.url,
        headers,
        limits,
        client.settings,
        client.masker,
        operations,
        record,
    )
    attach_text(client.masker, f"probe of {target.name} (seed {seed})", result.summary())
    for finding in result.findings:
        attach_text(
            client.masker,
            f"contract broken: {finding.operation} ({', '.join(finding.rules)})",
            finding.text(),
        )
    print(result.summary())  # behave shows it with the step; the seed repeats the probe
    if result.findings:
        raise AssertionError(client.masker.mask(result.failure()))
    return result


def _url_of(client: HttpClient) -> Callable[[str], str]:
    """A login profile's service, as the scenario's client reaches it."""

    def url(name: str) -> str:
        if name not in client.targets:
            raise ScenarioInputError(
                f"unknown service {name!r} in a credentials login",
                hint=f"services in the config: {', '.join(sorted(client.targets)) or '(none)'}",
            )
        return client.targets[name].url

    return url


def _writes_to(config: Config, service: str, declared: tuple[str, ...] | None) -> tuple[str, ...]:
    """The databases probing ``service`` may write to, each one checked; a refusal naming
    the key to set when probing it is not safe."""
    settings = config.probing
    if declared is None:
        if settings.allow_undeclared_writes:
            return ()
        raise ScenarioInputError(
            f"service {service!r} does not say which databases it writes to, so the rows"
            " that probing makes it create could not be removed",
            hint=f"set services.{service}.writes_to (e.g. [shop], or [] if it writes none),"
            " or probing.allow_undeclared_writes: true to leave them behind",
        )
    for name in declared:
        database = config.databases.get(name)
        if database is None:
            raise ScenarioInputError(
                f"services.{service}.writes_to names {name!r}, which is no configured database",
                hint=f"databases in the config: {', '.join(sorted(config.databases)) or 'none'}",
            )
        if not database.disposable and not settings.allow_shared_writes:
            raise ScenarioInputError(
                f"service {service!r} writes to database {name!r}, which is not disposable:"
                " probing would create rows there",
                hint="probe it against a disposable database (databases."
                f"{name}.disposable: true), or set probing.allow_shared_writes: true",
            )
    return tuple(name for name in declared if config.databases[name].disposable)


def _forget_new_rows(
    databases: Databases, cleanup: CleanupRegistry, names: tuple[str, ...]
) -> None:
    """Note (and journal) the primary keys of every table in the databases ``names``, and
    register the deletion of each row whose key is new after the scenario (see
    :mod:`interlock.probed_rows`; the tables left as they are are named in the
    cleanup's description)."""
    for name in names:
        db = databases.items.get(name)
        if db is None:
            raise ScenarioInputError(
                f"database {name!r} (a service's writes_to) is not part of this environment",
                hint="check services.NAME.writes_to and databases in the config",
            )
        snapshots, skipped = probed_rows.take(db)
        left = f" (left as they are: {', '.join(skipped)})" if skipped else ""
        cleanup.add(
            f"delete the rows probing created in {name}{left}",
            functools.partial(probed_rows.delete_new, db, tuple(snapshots)),
        )
