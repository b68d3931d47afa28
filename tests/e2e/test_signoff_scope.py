"""Scope decides the sign-off, never a run's exit code: each shard's run passes and its
pack says "partial run"; the merged shards are the whole suite, ACCEPTED."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e


def pack(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "signoff" / "signoff.json").read_text())  # type: ignore[no-any-return]


def test_shards_pass_their_runs_but_only_merged_are_accepted(project: Path) -> None:
    keep = project / "features" / "interface" / "inventory_api.feature"
    for feature in (project / "features").rglob("*.feature"):
        if feature != keep:
            feature.unlink()  # a small suite: the 6 scenarios of one feature
    shutil.rmtree(project / "manual")  # the demo's manual records name removed scenarios
    for k in (1, 2):
        run = interlock(project, "run", "--no-report", "--shard", f"{k}/2",
                        "--set", f"paths.reports=shard{k}")  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr  # the shard's scenarios passed
        assert "sign-off: NOT ACCEPTED" in run.stdout
        assert "  - partial run: " in run.stdout
        shard = pack(project / f"shard{k}")
        assert shard["scope"]["selection"]["shard"] == f"{k}/2"
        assert shard["scope"]["suite_scenarios"] == 6
        assert shard["scope"]["ran_scenarios"] < 5
        signoff = interlock(project, "signoff", "--set", f"paths.reports=shard{k}")
        assert signoff.returncode == 1 and "partial run" in signoff.stdout
        assert pack(project / f"shard{k}")["scope"]["selection"]["shard"] == f"{k}/2"  # kept
    merge = interlock(project, "merge", "--no-report", "shard1", "shard2")
    assert merge.returncode == 0, merge.stdout + merge.stderr
    merged = pack(project / "reports")
    assert merged["verdict"] == "ACCEPTED", merged["reasons"]
    assert merged["scope"]["whole"] and merged["scope"]["ran_scenarios"] == 6
    assert len(merged["scope"]["selection"]["merged"]) == 2
