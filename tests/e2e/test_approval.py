"""interlock signoff --approve/--reject/--verify: the approval record, bound to the
results and the feature files, signed with an SSH key and checked against the suite's
allowed signers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e

FEATURE = """Feature: Shop
  Scenario: One
    Given the "orders" service
  Scenario: Two
    Given the "orders" service
"""


def result(folder: Path, location: str, status: str, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{location.replace('/', '_').replace(':', '_')}-result.json"
    data = {"name": name, "status": status, "stop": 2,
            "labels": [{"name": "location", "value": location}]}  # fmt: skip
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite whose last run passed both its scenarios (results as the formatter writes)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("report:\n  verdict: [no failures]\n")
    (tmp_path / "config" / "local.yaml").write_text("")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "shop.feature").write_text(FEATURE)
    results = tmp_path / "reports" / "allure-results"
    result(results, "features/shop.feature:2", "passed", "One")
    result(results, "features/shop.feature:4", "passed", "Two")
    return tmp_path


def pack(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "reports" / "signoff" / "signoff.json").read_text())  # type: ignore[no-any-return]


def test_approve_then_verify_then_a_changed_result_fails_verification(suite: Path) -> None:
    approve = interlock(suite, "signoff", "--approve", "--by", "Dana Reyes, product owner",
                        "--comment", "as agreed in the review")  # fmt: skip
    assert approve.returncode == 0, approve.stdout + approve.stderr
    (record,) = (suite / "approvals").glob("*-approved.json")
    data = json.loads(record.read_text())
    assert data["by"] == "Dana Reyes, product owner" and data["verdict"] == "ACCEPTED"
    assert data["comment"] == "as agreed in the review"
    assert len(data["results_digest"]) == 64 and len(data["features_digest"]) == 64
    assert data["feature_files"] == ["features/shop.feature"]
    shown = pack(suite)["approval"]
    assert shown["signature"] == "unsigned" and shown["file"] == f"approvals/{record.name}"
    page = (suite / "reports" / "signoff" / "index.html").read_text()
    assert "Approved by Dana Reyes, product owner" in page and "signature: unsigned" in page
    assert not (suite / "reports" / "approvals").exists()  # kept with the suite

    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "VERIFIED" in verify.stdout and "signature: unsigned" in verify.stdout

    # Someone edits a result after the approval: nothing matches any more.
    result(suite / "reports" / "allure-results", "features/shop.feature:4", "passed", "Two!")
    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 1
    assert "the results changed since the pack was written" in verify.stdout
    assert (
        f"approvals/{record.name}: the results changed after Dana Reyes, product owner approved"
        in verify.stdout
    )
    again = interlock(suite, "signoff")
    assert again.returncode == 1 and "NOT ACCEPTED" in again.stdout
    assert "the results changed after Dana Reyes, product owner approved them" in again.stdout
    assert interlock(suite, "signoff").returncode == 1  # and stays so


def test_a_not_accepted_pack_cannot_be_approved_but_can_be_rejected(suite: Path) -> None:
    result(suite / "reports" / "allure-results", "features/shop.feature:4", "failed", "Two")
    approve = interlock(suite, "signoff", "--approve", "--by", "Dana")
    assert approve.returncode == 1
    assert "the verdict is NOT ACCEPTED, so it cannot be approved" in approve.stderr
    assert not (suite / "approvals").exists()
    reject = interlock(suite, "signoff", "--reject", "--by", "Dana", "--comment", "Two fails")
    assert reject.returncode == 1  # the verdict's exit code
    assert len(list((suite / "approvals").glob("*-rejected.json"))) == 1
    assert "Rejected by Dana" in (suite / "reports" / "signoff" / "index.html").read_text()
    no_name = interlock(suite, "signoff", "--approve")
    assert no_name.returncode == 2 and '--by "Name, role"' in no_name.stderr


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="openssh-client is missing")
def test_a_signed_approval_verifies_against_the_allowed_signers_and_a_forged_one_does_not(
    suite: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    keys = tmp_path_factory.mktemp("keys")
    for name in ("dana", "mallory"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                        "-f", str(keys / name)], check=True)  # fmt: skip
    (suite / "approvals").mkdir()
    public = (keys / "dana.pub").read_text().split()
    (suite / "approvals" / "allowed_signers").write_text(
        f"dana@shop.test {public[0]} {public[1]}\n"
    )

    signed = interlock(suite, "signoff", "--approve", "--by", "Dana", "--key", str(keys / "dana"))
    assert signed.returncode == 0, signed.stdout + signed.stderr
    (record,) = (suite / "approvals").glob("*-approved.json")
    assert Path(f"{record}.sig").is_file()
    assert pack(suite)["approval"]["signature"] == "signed by dana@shop.test"
    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "signature: dana@shop.test" in verify.stdout

    # The record edited after signing: its signature no longer matches.
    record.write_text(record.read_text().replace('"by": "Dana"', '"by": "Dana R."'))
    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 1
    assert "the signature does not match the file" in verify.stdout

    # Signed with a key the suite does not trust; and unsigned, where the suite signs.
    record.unlink()
    Path(f"{record}.sig").unlink()
    interlock(suite, "signoff", "--approve", "--by", "Mallory", "--key", str(keys / "mallory"))
    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 1
    assert "signed with a key approvals/allowed_signers does not list" in verify.stdout
    for path in (suite / "approvals").glob("*.json*"):
        path.unlink()
    interlock(suite, "signoff", "--approve", "--by", "Dana")
    verify = interlock(suite, "signoff", "--verify")
    assert verify.returncode == 1
    assert "unsigned, but this suite's approvals are signed" in verify.stdout
