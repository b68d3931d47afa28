"""Contract coverage: which documented responses were seen, merged over every worker's
part; the probe wrapper's choice of operations and its limits; the lint rule that keeps
the contract steps in @serial scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock import contract_coverage as cc
from interlock import probing
from interlock.config import HttpSettings
from interlock.errors import ScenarioInputError
from interlock.lint import StepLibrary, lint
from interlock.masking import Masker

REPO = Path(__file__).resolve().parents[2]

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "/api"}],
    "paths": {
        "/orders": {
            "get": {"responses": {"200": {"description": "ok"}, "4XX": {"description": "no"}}},
            "post": {
                "responses": {
                    "201": {"description": "made"},
                    "default": {"description": "anything else"},
                }
            },
        },
        "/orders/{id}": {
            "get": {"responses": {"200": {"description": "ok"}, "404": {"description": "no"}}}
        },
        "/orders/latest": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
}


def described() -> cc.Contract:
    return cc.contract_of(DOCUMENT, "orders.yaml")


def seen(operation: str | None, status: int, scenario: str = "a.feature:3 A") -> cc.Seen:
    return cc.Seen("orders", operation, operation or "GET /nope", status, scenario)


def test_a_call_is_matched_to_its_operation_a_literal_path_first_and_under_the_base_path():
    contract = described()
    assert contract.locate("get", "/api/orders/12").label == "GET /orders/{id}"
    assert contract.locate("GET", "/api/orders/latest").label == "GET /orders/latest"
    assert contract.locate("GET", "/orders/latest?x=1").label == "GET /orders/latest"
    assert contract.locate("DELETE", "/api/orders/12") is None
    assert contract.locate("GET", "/api/orders/12/items") is None


def test_a_status_counts_for_its_code_its_range_or_the_default_response():
    get_orders, post_orders = described().operations[:2]
    assert get_orders.documents(200) == "200"
    assert get_orders.documents(418) == "4XX"
    assert get_orders.documents(500) is None
    assert post_orders.documents(500) == "default"


def test_coverage_lists_each_documented_response_with_who_saw_it_and_the_gaps():
    cov = cc.coverage(
        "orders",
        described(),
        [
            seen("GET /orders", 200),
            seen("GET /orders", 404, "b.feature:9 B"),
            seen("GET /orders", 500),  # undocumented
            seen(None, 200),  # no such operation
            seen("POST /orders", 503),  # the default response: no row of its own
            cc.Seen("inventory", "GET /orders", 200, "GET /orders", "x"),  # another service
        ],
    )
    rows = {(r.operation, r.status): r.scenarios for r in cov.rows}
    assert rows == {
        ("GET /orders", "200"): ("a.feature:3 A",),
        ("GET /orders", "4XX"): ("b.feature:9 B",),
        ("POST /orders", "201"): (),
        ("GET /orders/{id}", "200"): (),
        ("GET /orders/{id}", "404"): (),
        ("GET /orders/latest", "200"): (),
    }
    assert cov.gaps == (
        "GET /orders answered 500 (documented: 200, 4XX)",
        "GET /nope answered 200: no such operation is documented",
    )
    assert f"{cov.percent:.0f}" == "33"
    message = cc.unseen_message(cov)
    assert "4 documented responses were never seen" in message
    assert "  - GET /orders/{id} 404" in message
    assert "contract gap: GET /orders answered 500" in message
    assert "NOT SEEN" in cov.table() and "b.feature:9 B" in cov.table()


def test_excused_responses_are_not_asked_for_and_a_star_matches_any():
    cov = cc.without(
        cc.coverage("orders", described(), [seen("GET /orders", 200)]),
        [("*", "404"), ("GET /orders", "4XX"), ("POST /orders", "*")],
    )
    assert [(r.operation, r.status) for r in cov.unseen] == [
        ("GET /orders/{id}", "200"),
        ("GET /orders/latest", "200"),
    ]


def test_every_workers_part_is_read_and_a_torn_line_is_skipped(tmp_path: Path):
    document = tmp_path / "orders.json"
    document.write_text(json.dumps(DOCUMENT))
    recorder = cc.Recorder(tmp_path / "results", "a.feature:3 A")
    recorder.note("orders", document, "GET", "http://127.0.0.1:1/api/orders/7?x=1", 404)
    recorder.note("orders", None, "GET", "http://127.0.0.1:1/api/orders", 200)  # no document
    other = tmp_path / "results" / f"{cc.PART_PREFIX}99999999.jsonl"
    other.write_text(
        seen("GET /orders", 200, "b.feature:5 B").line() + '{"service": "orders", "operat'
    )
    found = cc.read_seen(tmp_path / "results")
    assert sorted((s.operation, s.status, s.scenario) for s in found) == [
        ("GET /orders", 200, "b.feature:5 B"),
        ("GET /orders/{id}", 404, "a.feature:3 A"),
    ]
    summary = cc.summary({"orders": document}, tmp_path / "results")
    assert "2 of 6 documented responses seen" in summary


def test_a_document_without_responses_is_named_with_its_json_pointer():
    broken = {"paths": {"/a/{b}": {"get": {"responses": {}}}}}
    with pytest.raises(ScenarioInputError) as caught:
        cc.contract_of(broken, "x.yaml")
    assert "x.yaml documents no responses at /paths/~1a~1{b}/get/responses" in str(caught.value)
    with pytest.raises(ScenarioInputError, match="has no paths"):
        cc.contract_of({"openapi": "3.0.3"}, "y.yaml")


def test_an_unknown_operation_is_named_with_the_ones_the_document_has(tmp_path: Path):
    document = tmp_path / "orders.json"
    document.write_text(json.dumps(DOCUMENT))
    limits = probing.Limits(1, 1, 1)
    with pytest.raises(ScenarioInputError) as caught:
        probing.probe(
            "orders", document, "http://127.0.0.1:9", {}, limits, HttpSettings(), Masker(()),
            ["PUT /orders"],
        )  # fmt: skip
    assert "describes no operation 'PUT /orders'" in str(caught.value)
    assert "GET /orders, POST /orders" in caught.value.hint


def test_a_probe_out_of_time_sends_nothing(tmp_path: Path):
    document = tmp_path / "orders.json"
    document.write_text(json.dumps(DOCUMENT))
    limits = probing.Limits(examples=5, seconds=1e-9, seed=7)
    result = probing.probe(
        "orders", document, "http://127.0.0.1:9", {}, limits, HttpSettings(), Masker(())
    )
    assert result.sent == 0 and result.timed_out and not result.findings
    assert "seed 7" in result.summary()


CONTRACT_FEATURE = """\
Feature: Contracts
  Scenario: Probed in parallel
    Then every operation of the "inventory" API should keep its contract for generated requests

  @serial
  Scenario: Probed alone
    Then every operation of the "inventory" API should keep its contract for generated requests
"""


def test_lint_wants_the_contract_steps_in_a_serial_scenario(tmp_path: Path):
    feature = tmp_path / "contracts.feature"
    feature.write_text(CONTRACT_FEATURE)
    problems = lint(tmp_path, [feature], StepLibrary.load(REPO / "steps"))
    assert [(p.line, p.severity) for p in problems] == [(3, "error")]
    assert "must stand in a @serial scenario" in problems[0].message


def test_a_merge_renames_coverage_parts_so_that_shards_with_the_same_pid_both_count():
    assert cc.merged_name("interlock-coverage-1234.jsonl", 2) == "interlock-coverage-s2-1234.jsonl"
    assert cc.merged_name("abc-result.json", 2) == "abc-result.json"


def _probe_config(tmp_path: Path, service: str, database: str = "", probing: str = ""):  # type: ignore[no-untyped-def]
    from interlock.config import load_config

    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "orders.yaml").write_text(json.dumps(DOCUMENT))
    (tmp_path / "config" / "default.yaml").write_text(
        "databases:\n  shop: {host: 127.0.0.1, port: 3306, user: u, password: p,"
        f" database: shop{database}}}\n"
        f"services:\n  orders: {{url: 'http://127.0.0.1:9', openapi: orders.yaml{service}}}\n"
        + (f"probing: {{{probing}}}\n" if probing else "")
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    return load_config(tmp_path, environ={})


def _refusal(config) -> str:  # type: ignore[no-untyped-def]
    from interlock.contract_checks import keeps_contract
    from interlock.http import target_for

    target = target_for(config, config.services["orders"], "http://127.0.0.1:9")
    with pytest.raises(ScenarioInputError) as refused:
        # refused before any request: no client, database or cleanup is touched
        keeps_contract(config, None, None, None, target, lambda e: None)  # type: ignore[arg-type]
    return str(refused.value)


def test_probing_a_service_that_does_not_declare_writes_to_is_refused_naming_the_keys(
    tmp_path: Path,
):
    refused = _refusal(_probe_config(tmp_path, service=""))
    assert "service 'orders' does not say which databases it writes to" in refused
    assert "set services.orders.writes_to" in refused
    assert "probing.allow_undeclared_writes: true" in refused


def test_probing_a_service_that_writes_to_a_shared_database_is_refused_naming_the_keys(
    tmp_path: Path,
):
    refused = _refusal(_probe_config(tmp_path, ", writes_to: [shop]", ", disposable: false"))
    assert "service 'orders' writes to database 'shop', which is not disposable" in refused
    assert "databases.shop.disposable: true" in refused
    assert "probing.allow_shared_writes: true" in refused


def test_probing_writes_to_a_database_that_is_not_configured_is_named(tmp_path: Path):
    refused = _refusal(_probe_config(tmp_path, ", writes_to: [shopp]"))
    assert "services.orders.writes_to names 'shopp', which is no configured database" in refused
    assert "databases in the config: shop" in refused


def test_the_writes_refusals_are_lifted_only_by_their_own_key(tmp_path: Path):
    from interlock.contract_checks import _writes_to

    undeclared = _probe_config(tmp_path, "", probing="allow_undeclared_writes: true")
    assert _writes_to(undeclared, "orders", None) == ()  # rows then left behind, as it says
    shared = _probe_config(
        tmp_path, ", writes_to: [shop]", ", disposable: false", "allow_shared_writes: true"
    )
    assert _writes_to(shared, "orders", ("shop",)) == ()  # nothing deleted in a shared one
    # allowing undeclared writes does not allow writing to a shared database
    both = _probe_config(
        tmp_path, ", writes_to: [shop]", ", disposable: false", "allow_undeclared_writes: true"
    )
    assert "probing.allow_shared_writes: true" in _refusal(both)


class _Db:
    name = "shop"

    def tables(self) -> list[str]:
        return ["orders", "outbox", "products"]


def test_database_coverage_lists_the_tables_no_scenarios_sql_touched(tmp_path: Path):
    from interlock import table_coverage

    one, two = table_coverage.Recorder(tmp_path), table_coverage.Recorder(tmp_path)
    one.note(_Db(), "INSERT INTO `products` (sku) VALUES (%s)")
    one.note(_Db(), "SELECT o.ref FROM shop.orders o JOIN nowhere n ON 1")  # not a table: skipped
    two.note(_Db(), "SELECT 1")
    assert table_coverage.untouched(tmp_path, ["shop", "other"]) == {
        "shop": ["outbox"],
        "other": None,
    }
    lines = table_coverage.summary(tmp_path, ["shop", "other"]).splitlines()
    assert lines == [
        "database coverage of shop: 1 table(s) no scenario touched: outbox",
        "database coverage of other: no scenario ran SQL on it",
    ]
    assert cc.merged_name("interlock-tables-77.jsonl", 1) == "interlock-tables-s1-77.jsonl"
