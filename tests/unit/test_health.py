"""The health check's pure parts: which key (and file) set an address, how a failure
that is not an HTTP exchange is named, the typed errors, and the Allure category
decided by a failure's type rather than by what its text happens to say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allure_commons.utils import format_exception

from interlock import allure_files
from interlock.config import HttpSettings, load_config
from interlock.environment import health
from interlock.errors import (
    EnvironmentStartError,
    EnvironmentUnreachable,
    InterlockError,
    Reason,
    ScenarioInputError,
    Unreachable,
    UnreachableFailure,
)
from tests.conftest import allure_category

SETTINGS = HttpSettings(connect_timeout=2, read_timeout=3, poll_interval=0.1, poll_timeout=1)
REFUSED = Unreachable(
    "service orders",
    "http://127.0.0.1:9/health",
    Reason.REFUSED,
    "GET http://127.0.0.1:9/health failed: ConnectionError: connection refused",
    "services.orders.url in config/ci.yaml",
)


# -- the category comes from the type --------------------------------------------------------


def test_a_step_that_could_not_reach_the_environment_is_filed_as_unreachable() -> None:
    failure = UnreachableFailure(f"{REFUSED.detail}\n  reproduce: curl ...", REFUSED)
    assert isinstance(failure, AssertionError)  # behave fails the step, as any check
    assert allure_category(failure) == "Environment unreachable"


@pytest.mark.parametrize(
    "text",
    [
        "GET http://orders/x could not connect: Connection refused",
        "response field 'state': expected 'done', got 'could not connect to the printer'",
        "service 'orders' is not reachable: GET /health failed",
        "the lookup timed out",
        "Environment unreachable: written by a step of the suite",
    ],
)
def test_an_assertion_that_merely_says_so_is_a_product_defect(text: str) -> None:
    assert allure_category(AssertionError(text)) == "Product defects"


def test_a_broken_step_that_mentions_a_timeout_is_a_broken_test() -> None:
    assert allure_category(ScenarioInputError("the variable 'timed out' is not set")) == "Broken tests"


def test_the_category_regex_is_read_alike_by_allure_2_and_3() -> None:
    """Allure 2 (Java) matches the whole message, Allure 3 (JavaScript) searches it:
    anchored, with no inline flags JavaScript would refuse, both agree."""
    regex = allure_files.UNREACHABLE_REGEX
    assert regex.startswith("^") and "(?" not in regex
    message = format_exception(UnreachableFailure, UnreachableFailure("a\nb", REFUSED))
    assert re.search(regex, message) and re.fullmatch(regex, message)
    assert not re.search(regex, "AssertionError: " + message)


# -- the typed errors ------------------------------------------------------------------------


def test_environment_unreachable_carries_each_part_and_prints_them_all() -> None:
    dns = Unreachable(
        "service billing",
        "http://billing.invalid/health",
        Reason.DNS,
        "GET http://billing.invalid/health failed: ConnectionError: the host name"
        " 'billing.invalid' does not resolve",
        "services.billing.url (set by override 'services.billing.url=http://billing.invalid')",
    )
    error = EnvironmentUnreachable("the 'ci' environment is not reachable", [REFUSED, dns])
    assert isinstance(error, EnvironmentStartError) and isinstance(error, InterlockError)
    assert (error.service, error.url, error.reason, error.key) == (
        "service orders",
        "http://127.0.0.1:9/health",
        Reason.REFUSED,
        "services.orders.url in config/ci.yaml",
    )
    assert [p.reason for p in error.parts] == [Reason.REFUSED, Reason.DNS]
    assert error.message == (
        "the 'ci' environment is not reachable:\n"
        f"  - service orders: {REFUSED.detail}\n"
        "    its address: services.orders.url in config/ci.yaml\n"
        f"  - service billing: {dns.detail}\n"
        f"    its address: {dns.key}"
    )
    assert int(error.exit_code) == 2


# -- where an address was set ------------------------------------------------------------------


def make_suite(root: Path) -> Path:
    (root / "config").mkdir()
    (root / "config" / "default.yaml").write_text(
        "services:\n"
        "  orders: {url: 'http://127.0.0.1:9000', health: /ping}\n"
        "  inventory: {embedded: true, command: [run-it]}\n"
    )
    (root / "config" / "ci.yaml").write_text(
        "http: {verify: certs/ca.pem}\nservices:\n  orders: {url: '${ORDERS:-https://o.ci:8443}'}\n"
    )
    (root / "config" / "local.yaml").write_text("")
    return root


def test_an_address_names_the_key_and_the_file_that_set_it(tmp_path: Path) -> None:
    config = load_config(make_suite(tmp_path), env="ci", environ={"ORDERS": "https://o:1"})
    orders, inventory = config.services["orders"], config.services["inventory"]
    assert orders.url == "https://o:1"
    assert health.address_key(config, orders) == (
        "services.orders.url in config/ci.yaml:3 (from ${ORDERS:-https://o.ci:8443})"
    )
    assert health.address_key(config, inventory) == (
        "services.inventory.command in config/default.yaml:3"
        " (started by interlock on a free 127.0.0.1 port)"
    )
    assert health.origin(config, "services.orders.health") == (
        "services.orders.health in config/default.yaml:2"
    )
    assert health.origin(config, "http.verify") == "http.verify in config/ci.yaml:1"
    assert health.origin(config, "http.read_timeout") == (
        "http.read_timeout (not set: its default)"
    )
    local = load_config(
        tmp_path, env="local", overrides=["services.orders.url=http://x:1"], environ={}
    )
    assert health.address_key(local, local.services["orders"]) == (
        "services.orders.url (set by override 'services.orders.url=http://x:1')"
    )


def test_tls_advice_says_what_http_verify_is_now() -> None:
    where = "http.verify in config/ci.yaml"
    assert "the system's CA store" in health.verify_advice(SETTINGS, where)
    bundle = SETTINGS.model_copy(update={"verify": "/suite/certs/ca.pem"})
    assert health.verify_advice(bundle, where).startswith(
        "http.verify in config/ci.yaml names the CA bundle /suite/certs/ca.pem: check it is"
        " the CA that signed this server's certificate"
    )


# -- reasons that come without an exchange -----------------------------------------------------


def test_an_answer_that_never_finishes_is_a_timeout_of_both_timeouts() -> None:
    reason, why = health.explain(health.Overdue("x"), "http://127.0.0.1:1/health", SETTINGS)
    assert reason is Reason.TIMEOUT
    assert why == (
        "Overdue: the answer did not finish within 5 s (http.connect_timeout + http.read_timeout)"
    )


def test_a_missing_ca_bundle_is_a_tls_reason() -> None:
    missing = OSError(
        "Could not find a suitable TLS CA certificate bundle, invalid path: /suite/ca.pem"
    )
    reason, why = health.explain(missing, "https://127.0.0.1:1/health", SETTINGS)
    assert reason is Reason.TLS
    assert why.startswith("OSError: Could not find a suitable TLS CA certificate bundle")
