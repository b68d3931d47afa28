"""Stand-ins for real: servers on 127.0.0.1 in this process, then interlock runs that
point a per-worker orders service at them, with one and two workers, with bad input,
and with a worker killed under its own service."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from interlock.config import StandInConfig, load_config
from interlock.environment.processes import pid_alive
from interlock.environment.runtime import Runtime, worker_processes
from interlock.environment.worker_services import WorkerServices
from interlock.errors import ScenarioInputError
from interlock.masking import Masker
from interlock.standin_checks import contract_report
from interlock.standins import StandIns
from tests.conftest import REPO, interlock

pytestmark = pytest.mark.e2e

CONTRACT = REPO / "demo" / "openapi" / "inventory.yaml"
REFUSAL = {"error": "insufficient_stock", "message": "only 1 left"}
ISOLATION = "features/interface/orders_isolation.feature"
FULFILMENT = "features/integration/order_fulfilment.feature"


@pytest.fixture
def standins() -> Iterator[StandIns]:
    doubles = StandIns(
        {
            "inventory": StandInConfig(name="inventory", contract=CONTRACT),
            "loose": StandInConfig(name="loose", unmatched_status=418),
        },
        Masker(),
    )
    yield doubles
    doubles.close()


# -- the server, in this process -----------------------------------------------------------


def test_a_stand_in_answers_what_the_scenario_set_and_records_it(standins: StandIns) -> None:
    url = standins.replace("inventory").url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    standins.answer("inventory", "POST", "/reservations", 409, REFUSAL, source="x.feature:3")
    reply = requests.post(f"{url}/reservations?trace=1", json={"sku": "A"}, timeout=5)
    assert (reply.status_code, reply.json()) == (409, REFUSAL)
    assert reply.headers["Content-Type"] == "application/json"
    [record] = standins.require("inventory").traffic().received
    assert (record.method, record.target, record.json()) == (
        "POST",
        "/reservations?trace=1",
        {"sku": "A"},
    )
    assert record.answer is not None and record.answer.source == "x.feature:3"
    assert record.outcome == "answered"


def test_an_unmatched_request_gets_the_configured_status(standins: StandIns) -> None:
    url = standins.replace("loose").url
    reply = requests.get(f"{url}/anything", timeout=5)
    assert reply.status_code == 418
    assert reply.json()["error"] == "no_stand_in_answer"
    assert "no answer for GET /anything" in reply.json()["message"]
    [record] = standins.end_scenario()["loose"].received
    assert record.answer is None


def test_each_scenario_starts_without_answers_on_the_same_port(standins: StandIns) -> None:
    url = standins.replace("loose").url
    standins.answer("loose", "GET", "/a", 204)
    assert requests.get(f"{url}/a", timeout=5).status_code == 204
    ended = standins.end_scenario()
    assert len(ended["loose"].received) == 1
    assert not standins.in_use("loose")
    assert standins.replace("loose").url == url
    assert requests.get(f"{url}/a", timeout=5).status_code == 418
    assert standins.end_scenario()["loose"].answers == []


def test_a_delayed_answer_comes_late_or_not_at_all_once_the_scenario_ends(
    standins: StandIns,
) -> None:
    url = standins.replace("loose").url
    standins.answer("loose", "GET", "/slow", 200, {"ok": True}, delay_ms=300)
    started = time.monotonic()
    assert requests.get(f"{url}/slow", timeout=5).json() == {"ok": True}
    assert time.monotonic() - started >= 0.3
    standins.answer("loose", "GET", "/stalled", 200, {}, delay_ms=60_000)
    with pytest.raises(requests.Timeout):
        requests.get(f"{url}/stalled", timeout=0.5)
    started = time.monotonic()
    records = standins.end_scenario()["loose"].received
    assert time.monotonic() - started < 1
    assert [r.outcome for r in records] == [
        "answered after 300 ms",
        "not answered: the scenario ended during the delay",
    ]


def test_an_answer_the_contract_forbids_is_refused_unless_the_scenario_allows_it(
    standins: StandIns,
) -> None:
    standins.replace("inventory")
    with pytest.raises(ScenarioInputError) as refused:
        standins.answer("inventory", "POST", "/reservations", 500)
    message = str(refused.value)
    assert "cannot answer POST /reservations -> 500" in message
    assert (
        "status 500 is not documented for it (documented: 201, 400, 401, 404, 409, 503)" in message
    )
    assert "may answer outside its API contract" in message
    standins.allow_outside_contract("inventory")
    answer = standins.answer("inventory", "POST", "/reservations", 500)
    assert answer.contract.startswith("outside the contract demo/openapi/inventory.yaml")
    assert "status 500 is not documented" in answer.contract


def test_what_the_caller_sends_is_checked_against_the_contract(standins: StandIns) -> None:
    url = standins.replace("inventory").url
    standins.answer("inventory", "POST", "/reservations", 409, REFUSAL)
    token = {"Authorization": "Bearer t"}
    good = {"sku": "A", "quantity": 1, "order_ref": "R"}
    requests.post(f"{url}/reservations", json=good, headers=token, timeout=5)
    requests.post(f"{url}/reservations", json={"sku": "A"}, timeout=5)  # no token, no quantity
    traffic = standins.end_scenario()["inventory"]
    first, second = traffic.received
    assert first.contract.startswith("conforms to the contract demo/openapi/inventory.yaml")
    assert second.contract.startswith("breaks the contract demo/openapi/inventory.yaml")
    report = contract_report("inventory", traffic)
    assert '- POST /reservations {"sku": "A"}' in report
    assert "credentials: none that the operation accepts (it accepts bearerAuth)" in report
    assert "body: 'quantity' is a required property" in report
    assert '"quantity": 1' not in report  # the request that conforms is not listed

    standins.replace("inventory")
    standins.allow_requests_outside_contract("inventory")
    standins.answer("inventory", "POST", "/reservations", 409, REFUSAL)
    requests.post(f"{url}/reservations", json={"sku": "A"}, timeout=5)
    traffic = standins.end_scenario()["inventory"]
    assert contract_report("inventory", traffic) == ""
    assert ", as the scenario allows:" in traffic.received[0].contract


def test_a_chunked_request_body_is_received_whole(standins: StandIns) -> None:
    url = standins.replace("inventory").url
    standins.answer("inventory", "POST", "/reservations", 409, REFUSAL)
    body = b'{"sku": "A", "quantity": 1, "order_ref": "R"}'
    reply = requests.post(
        f"{url}/reservations",
        data=iter([body[:10], body[10:]]),  # a generator: requests sends it chunked
        headers={"Content-Type": "application/json", "Authorization": "Bearer t"},
        timeout=5,
    )
    assert reply.status_code == 409
    traffic = standins.end_scenario()["inventory"]
    assert traffic.received[0].body == body
    assert traffic.received[0].contract.startswith("conforms to the contract")


def test_a_stand_in_may_be_told_not_to_check_requests() -> None:
    config = StandInConfig(name="inventory", contract=CONTRACT, check_requests=False)
    doubles = StandIns({"inventory": config}, Masker())
    try:
        url = doubles.replace("inventory").url
        doubles.answer("inventory", "POST", "/reservations", 409, REFUSAL)
        requests.post(f"{url}/reservations", json={"sku": "A"}, timeout=5)
        traffic = doubles.end_scenario()["inventory"]
    finally:
        doubles.close()
    assert contract_report("inventory", traffic) == ""
    assert traffic.received[0].contract == (
        "not checked: check_requests is off (standins.inventory)"
    )


def test_an_exact_path_wins_over_a_template(standins: StandIns) -> None:
    url = standins.replace("inventory").url
    lamp = {"sku": "LAMP", "name": "Lamp", "price": 19.9, "stock": 3}
    unknown = {"error": "unknown_product", "message": "unknown product 'GONE'"}
    standins.answer("inventory", "GET", "/products/{sku}", 200, lamp)
    standins.answer("inventory", "GET", "/products/GONE", 404, unknown)
    assert requests.get(f"{url}/products/GONE", timeout=5).status_code == 404
    assert requests.get(f"{url}/products/LAMP", timeout=5).json() == lamp


def test_answer_headers_are_checked_with_the_answer(standins: StandIns) -> None:
    standins.replace("inventory")
    reservation = {"id": 7, "sku": "A", "quantity": 1, "order_ref": "R", "status": "RESERVED"}
    with pytest.raises(ScenarioInputError, match="header Location: required, but missing"):
        standins.answer("inventory", "POST", "/reservations", 201, reservation)
    standins.add_answer_header("inventory", "Location", "/reservations/7")
    answer = standins.answer("inventory", "POST", "/reservations", 201, reservation)
    assert answer.contract.startswith("conforms to the contract")


def test_a_stand_in_must_be_configured_and_started_before_it_is_used(standins: StandIns) -> None:
    with pytest.raises(ScenarioInputError, match=r"standins\.billing is not configured"):
        standins.replace("billing")
    with pytest.raises(ScenarioInputError, match="'inventory' was never started in this scenario"):
        standins.answer("inventory", "GET", "/health", 200)


def test_a_closed_stand_in_no_longer_listens(standins: StandIns) -> None:
    url = standins.replace("loose").url
    standins.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)


# -- a per-worker service, in this process -------------------------------------------------

WEB = """
services:
  api: {url: "http://127.0.0.1:9"}
  web:
    per_worker: true
    health: /
    command: ["{python}", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    env: {API_URL: "{standins.api.url}"}
standins:
  api: {}
"""


def test_a_per_worker_service_starts_on_first_use_and_again_if_it_died(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(WEB)
    (tmp_path / "config" / "local.yaml").write_text("")
    config = load_config(tmp_path, environ={})
    runtime = Runtime(env="local", owner_pid=os.getpid(), run_dir=str(tmp_path / "run"))
    doubles = StandIns(config.standins, Masker())
    services = WorkerServices(config, runtime, doubles, worker="w9")
    try:
        with pytest.raises(ScenarioInputError, match="talks to the stand-in for 'api'"):
            services.target("web")
        doubles.replace("api")
        first = services.target("web")
        assert requests.get(first.url, timeout=5).ok
        assert services.target("web") == first
        [record] = worker_processes(tmp_path / "run")
        assert record.name == "web" and pid_alive(record.pid)
        assert services.logs() == {"web": tmp_path / "reports" / "logs" / "web-w9.log"}
        os.kill(record.pid, signal.SIGKILL)
        while pid_alive(record.pid):
            time.sleep(0.02)
        second = services.target("web")
        [again] = worker_processes(tmp_path / "run")
        assert again.pid != record.pid and pid_alive(again.pid)
        assert requests.get(second.url, timeout=5).ok
        assert (tmp_path / "reports" / "logs" / f"web-w9-died-{record.pid}.log").exists()
    finally:
        services.stop_all()
        doubles.close()
    assert worker_processes(tmp_path / "run") == []


# -- interlock runs ------------------------------------------------------------------------


def _ports(text: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, text))


def test_isolated_and_real_inventory_scenarios_share_a_run_of_two_workers(project: Path) -> None:
    # 4 + 6 scenarios, cut in the middle: w1 runs the fulfilment (real inventory) and the
    # first isolation scenario, w2 the other five.
    result = interlock(project, "run", "--no-report", "--workers", "2", FULFILMENT, ISOLATION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout.splitlines()[-1]
    logs = project / "reports" / "logs"
    workers = {w: (logs / "workers" / f"{w}.log").read_text() for w in ("w1", "w2")}
    standin_ports = set()
    for worker, text in workers.items():
        [port] = _ports(text, r"stand-in for inventory listening at http://127\.0\.0\.1:(\d+)")
        [instance] = _ports(
            text, rf"orders_isolated \(worker {worker}\) up at http://127\.0\.0\.1:(\d+)"
        )
        assert f"stand-ins: inventory at http://127.0.0.1:{port}" in text
        standin_ports.add(port)
        own = (logs / f"orders_isolated-{worker}.log").read_text()
        assert f"orders listening on 127.0.0.1:{instance}" in own
        assert "POST /orders -> 409" in own or "POST /orders -> 503" in own
        assert "orders stopped" in own
    assert len(standin_ports) == 2
    # The shared orders service kept using the real inventory.
    assert "inventory POST /reservations -> 201" in (logs / "inventory.log").read_text()
    assert "POST /orders -> 201" in (logs / "orders.log").read_text()


BAD = """Feature: Stand-ins given bad input

  Scenario: An answer the real inventory could not give
    Given the "inventory" service is replaced by a stand-in
    And the stand-in "inventory" answers POST "/reservations" with status 409 and JSON:
      \"\"\"
      {"error": "out_of_stock", "message": "only 1 left"}
      \"\"\"

  Scenario: An expectation on a stand-in nobody started
    Given the "orders" service
    When I send a GET request to "/health"
    Then the stand-in "inventory" should have received 0 POST requests to "/reservations"

  Scenario: A request the stand-in has no answer for
    Given the "inventory" service is replaced by a stand-in
    And the stand-in "inventory" answers POST "/reservations" with status 409 and JSON:
      \"\"\"
      {"error": "insufficient_stock", "message": "only 1 left"}
      \"\"\"
    And the "orders_isolated" service
    And the "inventory" service
    When I send a DELETE request to "/reservations/7"
    Then the response status should be 501
"""


def test_bad_input_is_refused_or_reported_with_what_to_do(project: Path) -> None:
    feature = project / "features" / "interface" / "bad_standins.feature"
    feature.write_text(BAD)
    result = interlock(project, "run", "--no-report", str(feature.relative_to(project)))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "3 scenarios: 3 failed" in out or "3 failed" in out.splitlines()[-1]
    assert "the stand-in for 'inventory' cannot answer POST /reservations -> 409" in out
    assert (
        "body.error: 'out_of_stock' is not one of ['insufficient_stock']"
        " (rule: allOf.1.properties.error.enum)"
    ) in out
    assert "the stand-in 'inventory' was never started in this scenario" in out
    assert 'Given the "inventory" service is replaced by a stand-in' in out
    assert "received 1 request that no configured answer matches (it answered 501)" in out
    assert (
        "- DELETE /reservations/7 -> 501; the closest configured answer:"
        " POST /reservations -> 409 (features/interface/bad_standins.feature:17)"
    ) in out


KILLER_STEPS = """
import os
import signal

from behave import step


@step("the worker dies without a word")
def step_the_worker_dies(context):
    os.kill(os.getpid(), signal.SIGKILL)
"""

KILLED = """Feature: A worker killed under its own service

  Scenario: The worker dies after starting its orders service
    Given the "inventory" service is replaced by a stand-in
    And the "orders_isolated" service
    Then the worker dies without a word
"""


def test_a_killed_worker_s_own_service_is_stopped_with_the_environment(project: Path) -> None:
    (project / "steps" / "killer_steps.py").write_text(KILLER_STEPS)
    feature = project / "features" / "interface" / "killed.feature"
    feature.write_text(KILLED)
    result = interlock(project, "run", "--no-report", str(feature.relative_to(project)))
    assert result.returncode != 0
    [pid] = re.findall(r"orders_isolated \(worker w1\) up at \S+ \(pid (\d+)\)", result.stderr)
    assert not pid_alive(int(pid))
    assert not list((project / ".interlock" / "run").iterdir())
