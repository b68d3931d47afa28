"""The acceptance verdict: rules written in plain words in config, checked against a run.

    report:
      verdict:
        - all @critical scenarios pass
        - no failures in features/integration/
        - no expired quarantine

A run is ACCEPTED when every rule holds; otherwise NOT ACCEPTED, with one reason per
broken rule naming the scenarios that broke it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

RULE_FORMS = (
    "rules read: 'no failures', 'no failures in <folder>', 'all @<tag> scenarios pass',"
    " 'no expired quarantine', 'pass rate at least <n>%', 'every requirement tested',"
    " 'at least <n> scenarios', 'the whole suite ran' (or 'partial runs allowed'),"
    " 'no uncommitted changes' (or 'uncommitted changes allowed'),"
    " 'every requirement tag is in the catalog', 'no expired waivers', 'no pending manual checks',"
    " 'contract coverage of <service> at least <n>%'"
)
DEFAULT_VERDICT = ("no failures", "no expired quarantine")
MANUAL_RULE = "no pending manual checks"  # judged in every pack (signoff.with_manual_rule)
MANUAL_TAG = "manual"  # as interlock.selection.MANUAL_TAG (this module stays pure)


class Result(Protocol):
    """What a rule needs to know of one scenario's (last) result."""

    @property
    def name(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def tags(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Facts:
    """A run as the rules see it."""

    results: Sequence[Result]
    failing: Sequence[Result]  # failures that count (quarantined ones excluded)
    expired: Sequence[Result]  # scenarios whose quarantine has expired
    untested_requirements: Sequence[str]
    # -- scope, catalog and waivers (see interlock.scope, requirements, waivers) --
    suite_size: int = 0  # scenarios in the whole suite (for this environment)
    not_run: Sequence[str] = ()  # locations of the suite's scenarios without a result
    uncommitted: Sequence[str] | None = None  # changed suite files; None: not checked
    uncommitted_note: str = ""  # why they were not checked
    unknown_requirements: Sequence[str] = ()  # tags naming no requirement of the catalog
    waived: Sequence[Result] = ()  # failures a valid waiver accepts (not in ``failing``)
    expired_waivers: Sequence[str] = ()  # "<scenario>: waived by X until D" (now failures)
    # service -> percent of its documented responses seen (see interlock.coverage_report)
    contract_coverage: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    text: str
    check: Callable[[Facts], str | None]  # None: holds; else the reason it does not

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"


def names(results: Sequence[Result], limit: int = 5) -> str:
    return listed([f"{r.location} ({r.name})" for r in results], limit)


def listed(items: Sequence[str], limit: int) -> str:
    """The first ``limit`` items, and how many more there are."""
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _no_failures(facts: Facts) -> str | None:
    if facts.failing:
        return f"{len(facts.failing)} scenario(s) failed: {names(facts.failing)}"
    return None


def _no_failures_in(folder: str) -> Callable[[Facts], str | None]:
    prefix = folder.rstrip("/") + "/"

    def check(facts: Facts) -> str | None:
        failed = [r for r in facts.failing if r.location.startswith(prefix)]
        if failed:
            return f"{len(failed)} scenario(s) in {prefix} failed: {names(failed)}"
        return None

    return check


def _all_tagged_pass(tag: str) -> Callable[[Facts], str | None]:
    def check(facts: Facts) -> str | None:
        tagged = [r for r in facts.results if tag in r.tags]
        waived = {r.location for r in facts.waived}
        failed = [r for r in tagged if r.status != "passed" and r.location not in waived]
        if failed:
            return f"{len(failed)} @{tag} scenario(s) did not pass: {names(failed)}"
        return None

    return check


def _no_expired(facts: Facts) -> str | None:
    if facts.expired:
        return f"quarantine expired for {names(facts.expired)}"
    return None


def _pass_rate(percent: float) -> Callable[[Facts], str | None]:
    def check(facts: Facts) -> str | None:
        total = len(facts.results)
        passed = sum(1 for r in facts.results if r.status == "passed")
        rate = 100.0 * passed / total if total else 0.0
        if rate < percent:
            return f"pass rate {rate:.1f}% is below {percent:g}% ({passed} of {total})"
        return None

    return check


def _every_requirement(facts: Facts) -> str | None:
    if facts.untested_requirements:
        return f"requirements without a scenario: {', '.join(facts.untested_requirements)}"
    return None


def _contract_coverage(service: str, percent: float) -> Callable[[Facts], str | None]:
    def check(facts: Facts) -> str | None:
        if service not in facts.contract_coverage:
            known = ", ".join(sorted(facts.contract_coverage)) or "none"
            return (
                f"no contract coverage of {service}: it has no readable OpenAPI document"
                f" (services.{service}.openapi); services with one: {known}"
            )
        seen = facts.contract_coverage[service]
        if seen < percent:
            return (
                f"contract coverage of {service} is {seen:g}%, below {percent:g}% (the"
                " sign-off pack's coverage table lists the documented responses not seen)"
            )
        return None

    return check


def _at_least(count: int) -> Callable[[Facts], str | None]:
    def check(facts: Facts) -> str | None:
        if len(facts.results) < count:
            return f"only {len(facts.results)} scenario(s) ran, fewer than {count}"
        return None

    return check


# -- scope, catalog and waivers: on unless the config says otherwise --------------------

WHOLE_SUITE, PARTIAL_ALLOWED = "the whole suite ran", "partial runs allowed"
COMMITTED, UNCOMMITTED_ALLOWED = "no uncommitted changes", "uncommitted changes allowed"
CATALOG_TAGS = "every requirement tag is in the catalog"
NO_EXPIRED_WAIVERS = "no expired waivers"


def _whole_suite(facts: Facts) -> str | None:
    if facts.not_run:
        ran = facts.suite_size - len(facts.not_run)
        return (
            f"partial run: {ran} of {facts.suite_size} scenarios"
            f" (not run: {listed(facts.not_run, 3)});"
            " run the whole suite, or merge its shards (interlock merge)"
        )
    return None


def _committed(facts: Facts) -> str | None:
    if facts.uncommitted:
        return (
            f"uncommitted changes to the suite: {listed(facts.uncommitted, 5)}; what ran is not"
            " what the commit holds: commit them and run again"
        )
    return None


def _catalog_tags(facts: Facts) -> str | None:
    if facts.unknown_requirements:
        return (
            "requirement tags the catalog does not list: "
            + ", ".join(facts.unknown_requirements)
            + " (add them to requirements.yaml, or fix the tags)"
        )
    return None


def _no_expired_waivers(facts: Facts) -> str | None:
    if facts.expired_waivers:
        return "expired waivers (their failures count): " + "; ".join(facts.expired_waivers)
    return None


def _allowed(facts: Facts) -> str | None:
    return None


def implied(rules: Sequence[Rule], catalog: bool, waivers: bool) -> list[Rule]:
    """The configured rules and the ones a sign-off always has unless the config turns
    them off: the whole suite ran, no uncommitted changes, every requirement tag in
    the catalog (when there is one), no expired waivers (when there are waivers)."""
    texts = {r.text for r in rules}
    added = []
    if WHOLE_SUITE not in texts and PARTIAL_ALLOWED not in texts:
        added.append(parse_rule(WHOLE_SUITE))
    if COMMITTED not in texts and UNCOMMITTED_ALLOWED not in texts:
        added.append(parse_rule(COMMITTED))
    if catalog and CATALOG_TAGS not in texts:
        added.append(parse_rule(CATALOG_TAGS))
    if waivers and NO_EXPIRED_WAIVERS not in texts:
        added.append(parse_rule(NO_EXPIRED_WAIVERS))
    return [*rules, *added]


def no_pending_manual(facts: Facts) -> str | None:
    """A ``@manual`` scenario whose result is skipped has no record for its current text."""
    pending = [r for r in facts.results if MANUAL_TAG in r.tags and r.status == "skipped"]
    if pending:
        checks = "manual checks" if len(pending) != 1 else "manual check"
        return f"{len(pending)} {checks} pending: {names(pending)}"
    return None


_FORMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Callable[[Facts], str | None]]]] = [
    (re.compile(r"no failures"), lambda m: _no_failures),
    (re.compile(r"no failures in (\S+)"), lambda m: _no_failures_in(m.group(1))),
    (re.compile(r"all @(\S+) scenarios pass"), lambda m: _all_tagged_pass(m.group(1))),
    (re.compile(r"no expired quarantines?"), lambda m: _no_expired),
    (re.compile(r"pass rate at least (\d+(?:\.\d+)?)\s*%"), lambda m: _pass_rate(float(m[1]))),
    (re.compile(r"every requirement tested"), lambda m: _every_requirement),
    (re.compile(r"at least (\d+) scenarios?"), lambda m: _at_least(int(m.group(1)))),
    (re.compile(WHOLE_SUITE), lambda m: _whole_suite),
    (re.compile(PARTIAL_ALLOWED), lambda m: _allowed),
    (re.compile(COMMITTED), lambda m: _committed),
    (re.compile(UNCOMMITTED_ALLOWED), lambda m: _allowed),
    (re.compile(CATALOG_TAGS), lambda m: _catalog_tags),
    (re.compile(NO_EXPIRED_WAIVERS), lambda m: _no_expired_waivers),
    (re.compile(r"no pending manual checks?"), lambda m: no_pending_manual),
    (
        re.compile(r"contract coverage of (\S+) (?:at least|≥|>=) ?(\d+(?:\.\d+)?)\s*%"),
        lambda m: _contract_coverage(m[1], float(m[2])),
    ),
]


def parse_rule(text: str) -> Rule:
    """A rule from its words; ``ValueError`` naming the rule when it reads as no known form."""
    words = " ".join(text.strip().split())
    for pattern, build in _FORMS:
        match = pattern.fullmatch(words)
        if match:
            return Rule(words, build(match))
    raise ValueError(f"the rule {text!r} is not one interlock knows")


def judge(rules: Sequence[Rule], facts: Facts) -> list[tuple[Rule, str | None]]:
    """Each rule with the reason it is broken (None where it holds)."""
    return [(rule, rule.check(facts)) for rule in rules]
