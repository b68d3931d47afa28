"""The server of a database test module: its own MariaDB, holding the database ``app``
made from the module's ``SCHEMA`` (a module may define its own ``server`` instead)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.environment import mariadb
from tests.mariadb.app_db import app_server


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, template_cache: Path
) -> Iterator[mariadb.RunningServer]:
    schema = request.module.SCHEMA
    with app_server(tmp_path_factory.mktemp("db"), template_cache, schema) as running:
        yield running
