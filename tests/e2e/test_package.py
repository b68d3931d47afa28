"""interlock as a team outside this repository gets it: a wheel built from the sources,
installed into a new virtualenv in a folder of its own, then docs/use-in-your-repository.md
followed to the letter (its `sh` blocks run verbatim, its `# file:` blocks written), then a
config and a feature of the team's own (an HTTP service this test runs, an embedded
database with a schema file). No file of this repository is copied into the suite.

The wheel's dependencies are installed by pip as a user's would be, from the package
indexes pip is configured with (its cache makes this quick); the Allure CLI by `npm ci`
from the lock `interlock init` wrote (npm's cache, likewise). About a minute in all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.local_server import Reply, Seen, serve
from tests.mariadb.app_db import add_reader, app_server

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "use-in-your-repository.md"
SOURCES = ("pyproject.toml", "README.md", "interlock", "interlock_steps")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def team_service(request: Seen) -> Reply:
    """The team's own service: a health check and one customer."""
    answers = {
        "/health": {"status": "ok"},
        "/customers/ana": {"email": "ana@example.com", "name": "Ana", "tags": ["new"]},
    }
    body = answers.get(request.path)
    return Reply(200 if body else 404, body or {"error": "not_found"})


@pytest.fixture
def service() -> Iterator[str]:
    with serve(team_service) as server:
        yield server.url


@pytest.fixture
def staging_db(tmp_path: Path, template_cache: Path) -> Iterator[dict[str, str]]:
    """A MariaDB server standing for staging's external MySQL: the database `app` with
    the team's schema, and a user granted SELECT only."""
    schema = (
        "CREATE TABLE customers (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        " email VARCHAR(200) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,"
        " active BOOLEAN NOT NULL DEFAULT TRUE,"
        " created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);\n"
    )
    base = tmp_path / "staging-db"
    with app_server(base, template_cache, schema, "owner", "pw-owner") as running:
        add_reader(running.port, "reader", "pw-reader-1")
        yield {
            "STAGING_DB_HOST": "127.0.0.1",
            "STAGING_DB_PORT": str(running.port),
            "STAGING_DB_USER": "reader",
            "STAGING_DB_PASSWORD": "pw-reader-1",
        }


def build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the sources (the build leaves nothing in the repo)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
         str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("interlock-*.whl")
    return wheel


def page_script() -> tuple[str, list[str]]:
    """The page as one shell script: its `sh` blocks, and its `# file:` yaml blocks as
    files written at that point; and the yaml blocks that are only examples."""
    script = ["set -euo pipefail"]
    examples = []
    for kind, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        if kind == "sh":
            script.append(body)
        elif kind == "yaml" and body.startswith("# file: "):
            first, rest = body.split("\n", 1)
            target = first.removeprefix("# file: ").strip()
            script.append(f"mkdir -p \"$(dirname {target})\"\ncat > {target} <<'INTERLOCK_EOF'\n"
                          f"{rest}INTERLOCK_EOF")  # fmt: skip
        elif kind == "yaml":
            examples.append(body)
    return "\n".join(script) + "\n", examples


def user_environment(venv_bin: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: no trace of this repository's virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    repo_bins = {str(REPO / ".venv" / "bin"), str(Path(sys.executable).parent)}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p not in repo_bins]
    env["PATH"] = os.pathsep.join(([str(venv_bin)] if venv_bin else []) + path)
    return {**env, **extra}


def test_a_team_installs_the_wheel_follows_the_page_and_runs_its_own_suite(
    tmp_path: Path, service: str, staging_db: dict[str, str]
) -> None:
    wheel = build_wheel(tmp_path)
    work = tmp_path / "team"
    work.mkdir()
    script, examples = page_script()
    for example in examples:
        assert isinstance(yaml.safe_load(example), dict)
    page = subprocess.run(
        ["bash", "-c", script],
        cwd=work, capture_output=True, text=True, timeout=600, check=False,
        env=user_environment(INTERLOCK_PACKAGE=str(wheel), STAGING_SERVICE_URL=service,
                             **staging_db),
    )  # fmt: skip
    assert page.returncode == 0, page.stdout[-4000:] + page.stderr[-4000:]
    suite = work / "acceptance-tests"
    venv = work / ".venv"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import interlock; print(interlock.__file__)"],
        cwd=work, capture_output=True, text=True, check=True, env=user_environment(),
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout  # not this repository's
    assert "scenarios: 2 passed, 0 failed" in page.stdout  # the first run, green at once
    assert "ACCEPTED" in page.stdout
    assert not (suite / "node_modules").is_symlink()  # installed by the first report

    # The team's own environment: its service, and an embedded database of its own
    # made from its schema file, beside the suite's `main`.
    (suite / "db" / "orders.sql").write_text(
        "CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, customer VARCHAR(200) NOT NULL,"
        " total DECIMAL(10,2) NOT NULL);\n"
    )
    (suite / "config" / "team.yaml").write_text(
        "extends: local\n"
        "services:\n"
        "  my_service:\n"
        "    url: ${TEAM_SERVICE_URL}\n"
        "    openapi: contracts/my_service.yaml\n"
        "  directory:\n"
        "    url: ${TEAM_SERVICE_URL}\n"
        "    headers: {Accept: application/json}\n"
        "databases:\n"
        "  orders:\n"
        "    embedded: true\n"
        "    disposable: true\n"
        "    schema: [db/orders.sql]\n"
    )
    (suite / "features" / "integration" / "team.feature").write_text(
        "Feature: A customer's orders\n"
        "  Scenario: The directory knows the customer whose orders are stored\n"
        '    Given the "directory" service\n'
        '    When I send a GET request to "/customers/ana"\n'
        "    Then the response status should be 200\n"
        '    And the response field "name" should be "Ana"\n'
        '    And I save the response field "email" as "email"\n'
        '    Given the "orders" database\n'
        '    And these rows exist in the table "orders":\n'
        "      | id | customer | total |\n"
        "      | 1  | ${email} | 12.50 |\n"
        '    Then the table "orders" should contain:\n'
        "      | customer        | total |\n"
        "      | ana@example.com | 12.5  |\n"
    )
    run = subprocess.run(
        [str(venv / "bin" / "interlock"), "run", "--env", "team"],
        cwd=suite, capture_output=True, text=True, timeout=300, check=False,
        env=user_environment(venv / "bin", TEAM_SERVICE_URL=service),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert run.stdout.splitlines()[-1] == "scenarios: 4 passed, 0 failed"
    assert (suite / "reports" / "allure-report" / "index.html").is_file()
    assert (suite / "reports" / "signoff" / "index.html").is_file()
    signoff = json.loads((suite / "reports" / "signoff" / "signoff.json").read_text())
    assert "ACCEPTED" in json.dumps(signoff)
