"""Scenario variables: substitution in text, JSON and SQL; built-ins; clear errors."""

from __future__ import annotations

import re

import pytest

from interlock.errors import ScenarioInputError
from interlock.variables import Variables


def test_text_substitution_and_escape() -> None:
    v = Variables()
    v.set("sku", "LAMP-1")
    assert v.substitute("/products/${sku}") == "/products/LAMP-1"
    assert v.substitute("literal \\${sku}") == "literal ${sku}"


def test_unknown_variable_names_it_and_lists_the_known_ones() -> None:
    v = Variables()
    v.set("order_id", 7)
    with pytest.raises(ScenarioInputError) as error:
        v.substitute("${ordr_id}")
    assert "unknown variable ${ordr_id}" in str(error.value)
    assert "order_id" in str(error.value)


def test_unique_is_stable_within_a_scenario_and_differs_between_scenarios() -> None:
    a, b = Variables(), Variables()
    assert a.substitute("${unique}") == a.substitute("${unique}")
    assert a.substitute("${unique}") != b.substitute("${unique}")


def test_worker_id_is_part_of_unique() -> None:
    assert Variables(worker="w3").substitute("${unique}").startswith("w3")
    assert re.fullmatch(r"w32[0-9a-f]{8}", Variables(worker="w3.2").substitute("${unique}"))


def test_builtins_have_their_formats() -> None:
    v = Variables()
    assert re.fullmatch(r"[0-9a-f-]{36}", v.substitute("${uuid}"))
    assert v.substitute("${uuid}") != v.substitute("${uuid}")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.substitute("${today}"))
    assert v.substitute("${now}").endswith("+00:00")


def test_json_keeps_the_type_of_whole_references() -> None:
    v = Variables()
    v.set("n", 3)
    v.set("s", 'say "hi"')
    assert v.substitute_json('{"a": "${n}", "b": ${n}, "c": "x ${s}"}') == (
        '{"a": 3, "b": 3, "c": "x say \\"hi\\""}'
    )


def test_sql_references_become_bound_parameters() -> None:
    v = Variables()
    v.set("ref", "x'; DROP TABLE t; --")
    sql, params = v.split_for_sql("SELECT * FROM t WHERE ref = ${ref} AND name LIKE 'a%'")
    assert sql == "SELECT * FROM t WHERE ref = %s AND name LIKE 'a%%'"
    assert params == ["x'; DROP TABLE t; --"]


def test_builtins_cannot_be_overwritten() -> None:
    with pytest.raises(ScenarioInputError, match="built in"):
        Variables().set("unique", "x")
