"""Paths kept inside their folders, short excerpts in errors, and bad files or folders
named: the pure parts of what tests/faults/test_paths.py checks end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock import history
from interlock.catalog import _steps_of
from interlock.config import load_config
from interlock.errors import ConfigError, ScenarioInputError, SqlScriptError, excerpt, excerpt_at
from interlock.folders import FolderError, inside, writable_files, writable_folder
from interlock.lint import lint
from interlock.matching import parse_json
from interlock.selection import SelectionError, discover
from interlock.sql_script import run_script

# -- inside ---------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "features" / "data"
    (folder / "payloads").mkdir(parents=True)
    (folder / "payloads" / "a.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("s3cret")
    return folder


def test_a_name_inside_the_folder_resolves_to_its_file(data: Path) -> None:
    assert inside(data, "payloads/a.json") == (data / "payloads" / "a.json").resolve()
    assert inside(data, "payloads/../payloads/a.json") == (data / "payloads" / "a.json").resolve()
    assert inside(data, "payloads/missing.json") == (data / "payloads/missing.json").resolve()


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "/proc/self/environ", "../../secret.txt", "payloads/../../../x", ".."]
)
def test_a_name_leading_out_of_the_folder_is_refused(data: Path, name: str) -> None:
    assert inside(data, name) is None


def test_symlinks_are_resolved_before_the_check(data: Path) -> None:
    (data / "payloads" / "out.json").symlink_to(data.parent.parent / "secret.txt")
    (data / "payloads" / "etc").symlink_to("/etc")
    (data / "payloads" / "in.json").symlink_to(data / "payloads" / "a.json")
    (data / "loop").symlink_to(data / "loop")
    assert inside(data, "payloads/out.json") is None
    assert inside(data, "payloads/etc/passwd") is None
    assert inside(data, "payloads/in.json") == (data / "payloads" / "a.json").resolve()
    assert inside(data, "loop") is None
    assert inside(data, "a\0b") is None


def test_a_data_folder_that_is_itself_a_link_still_works(tmp_path: Path, data: Path) -> None:
    link = tmp_path / "linked-data"
    link.symlink_to(data)
    assert inside(link, "payloads/a.json") == (data / "payloads" / "a.json").resolve()
    assert inside(link, "../secret.txt") is None


# -- excerpts ---------------------------------------------------------------------------------


def test_an_excerpt_is_short_and_on_one_line() -> None:
    assert excerpt("a\nb\x00c") == "a b c"
    long = excerpt("x" * 10_000)
    assert len(long) == 200 and long.endswith("...")


def test_a_window_keeps_the_caret_on_its_character() -> None:
    line = "a" * 500 + "!" + "b" * 500
    window, column = excerpt_at(line, 501)
    assert len(window) <= 86 and window.startswith("...") and window.endswith("...")
    assert window[column - 1] == "!"
    assert excerpt_at("short\0line", 3) == ("short line", 3)
    end, column = excerpt_at("a" * 300 + "!", 301)
    assert end[column - 1] == "!" and not end.endswith("...")


def test_bad_json_quotes_only_a_window_of_its_line() -> None:
    text = "[" + "1, " * 3000 + "nope" + ", 2" * 3000 + "]"
    with pytest.raises(ScenarioInputError) as caught:
        parse_json(text, "the JSON file x.json", "x.json")
    message = caught.value.message
    assert len(message) < 300, message
    quoted, caret = message.splitlines()[1:3]
    assert quoted[caret.index("^")] == "n"  # the caret points at "nope"


def test_a_failing_statement_is_quoted_short(tmp_path: Path) -> None:
    import pymysql

    script = tmp_path / "long.sql"
    script.write_text("SELECT '" + "x" * 5000 + "';\n")

    def execute(sql: str, params: object) -> None:
        raise pymysql.err.ProgrammingError(1064, "near '" + sql[:5000] + "'")

    with pytest.raises(SqlScriptError) as caught:
        run_script(script, execute, "long.sql")
    assert "long.sql:1: statement failed" in caught.value.message
    assert len(caught.value.message) < 500


# -- bad files ------------------------------------------------------------------------------


def test_a_sql_script_that_is_not_utf8_is_named_at_its_line(tmp_path: Path) -> None:
    script = tmp_path / "latin1.sql"
    script.write_bytes("SELECT 1;\n-- caf\u00e9\n".encode("latin-1"))
    with pytest.raises(SqlScriptError, match=r"^SQL script sql/latin1\.sql:2: not UTF-8 text"):
        run_script(script, lambda sql, params: None, "sql/latin1.sql")


def test_a_feature_that_is_not_utf8_is_named_by_selection_lint_and_the_catalog(
    tmp_path: Path,
) -> None:
    features = tmp_path / "features"
    features.mkdir()
    binary = features / "binary.feature"
    binary.write_bytes(b"Feature: B\n  Scenario: \xff\n    Given x\n")
    (features / "folder.feature").mkdir()  # a folder with a feature's name is no feature
    with pytest.raises(SelectionError, match=r"features/binary\.feature:2: .*not UTF-8 text"):
        discover(tmp_path, [], features)
    from interlock.lint import StepLibrary

    (problem,) = lint(tmp_path, [binary], StepLibrary([]))
    assert (problem.line, problem.severity) == (2, "error")
    assert "not UTF-8 text: byte 0xff" in problem.message
    assert _steps_of(binary, tmp_path) == []


@pytest.mark.parametrize(
    "record", ["[]", "garbage{", '{"statuses": "x"}', '{"durations": [1]}', "[" * 100_000, "\xff"]
)
def test_an_unreadable_history_is_no_history_with_a_warning(tmp_path: Path, record: str) -> None:
    (tmp_path / history.FILE).write_text(record, encoding="latin-1")
    warnings: list[str] = []
    assert history.load(tmp_path, warnings.append) is None
    assert warnings == [f"{tmp_path / history.FILE}: not a record of a run; ignored"
                        " (this run's record replaces it)"]  # fmt: skip


def test_a_history_record_keeps_only_what_it_can_use(tmp_path: Path) -> None:
    record = {
        "statuses": {"a.feature:2": "failed", "b.feature:3": 7},
        "durations": {"a::x": 1.5, "b::y": "slow", "c::z": True, "d::w": 2},
    }
    (tmp_path / history.FILE).write_text(json.dumps(record))
    last = history.load(tmp_path)
    assert last is not None
    assert last.statuses == {"a.feature:2": "failed"}
    assert last.durations == {"a::x": 1.5, "d::w": 2.0}
    assert history.load(tmp_path / "none") is None


def test_a_file_where_a_folder_belongs_is_named(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("")
    with pytest.raises(FolderError, match=r"cannot write the logs to .*/logs: it is a file"):
        writable_folder(tmp_path / "logs", "the logs", "fix it")
    with pytest.raises(FolderError, match=r"cannot write the logs to .*/logs/workers"):
        writable_folder(tmp_path / "logs" / "workers", "the logs", "fix it")
    (tmp_path / "summary.txt").mkdir()
    with pytest.raises(FolderError, match=r"summary\.txt: it is a folder, not a file"):
        writable_files([tmp_path / "summary.txt"], "the summary", "fix it")
    writable_folder(tmp_path / "new" / "deep", "the logs", "fix it")
    assert (tmp_path / "new" / "deep").is_dir()
    assert list((tmp_path / "new" / "deep").iterdir()) == []  # the probe is gone


# -- config paths ---------------------------------------------------------------------------

CONFIG = """
databases:
  shop: {embedded: true, schema: [db/schema.sql]}
services:
  inventory: {url: "http://127.0.0.1:9000", openapi: api/inventory.yaml}
standins:
  inventory: {}
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = tmp_path / "suite"
    (root / "config").mkdir(parents=True)
    (root / "config" / "default.yaml").write_text(CONFIG)
    (root / "config" / "local.yaml").write_text("")
    for name in ("db/schema.sql", "api/inventory.yaml", "ca.pem"):
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text("")
    (tmp_path / "outside.yaml").write_text("")
    return root


def test_config_files_inside_the_suite_load(suite: Path) -> None:
    config = load_config(root=suite, env="local", overrides=["http.verify=ca.pem"])
    assert config.databases["shop"].schema == (suite / "db" / "schema.sql",)
    assert config.http.verify == str(suite / "ca.pem")


@pytest.mark.parametrize(
    ("override", "key", "named"),
    [
        ("databases.shop.schema=[/etc/passwd]", "databases.shop.schema", "/etc/passwd"),
        ("services.inventory.openapi=../outside.yaml", "services.inventory.openapi",
         "../outside.yaml"),
        ("standins.inventory.contract=/proc/self/environ", "standins.inventory.contract",
         "/proc/self/environ"),
        ("http.verify=/etc/ssl/certs/ca-certificates.crt", "http.verify",
         "/etc/ssl/certs/ca-certificates.crt"),
        ("services.inventory.openapi=api/link.yaml", "services.inventory.openapi",
         "api/link.yaml"),
    ],
)  # fmt: skip
def test_a_config_file_outside_the_suite_is_a_config_error(
    suite: Path, override: str, key: str, named: str
) -> None:
    (suite / "api" / "link.yaml").symlink_to(suite.parent / "outside.yaml")
    with pytest.raises(ConfigError) as caught:
        load_config(root=suite, env="local", overrides=[override])
    assert f"override {override!r}: {key} names {named}, which is outside the suite's folder" in (
        caught.value.message
    )
