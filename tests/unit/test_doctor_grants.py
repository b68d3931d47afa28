"""Which grants `interlock doctor` counts as able to write to a database's schema."""

from __future__ import annotations

import pytest

from interlock.doctor import writing_grants

CASES = [
    (["USAGE ON *.*", "SELECT ON `shop`.*"], []),
    (["USAGE ON *.*", "ALL PRIVILEGES ON `shop`.*"], ["ALL PRIVILEGES on `shop`.*"]),
    (["SELECT, INSERT, UPDATE ON *.*"], ["INSERT, UPDATE on *.*"]),
    (["SELECT, DELETE ON `other`.*"], []),
    (["SELECT (`a`, `b`), UPDATE (`c`) ON `shop`.`orders`"], ["UPDATE on `shop`.`orders`"]),
    (["DROP ON `sh%`.*"], ["DROP on `sh%`.*"]),
    (["DROP ON `s_op`.*", "CREATE ON `sh\\_p`.*"], ["DROP on `s_op`.*"]),
    (["EXECUTE ON PROCEDURE `shop`.`refill`"], ["EXECUTE on PROCEDURE `shop`.`refill`"]),
    (["FILE, SUPER ON *.*"], ["FILE, SUPER on *.*"]),
    (["role `readers`"], ["role `readers`, whose privileges were not checked"]),
]


@pytest.mark.parametrize(("granted", "writes"), CASES)
def test_writing_grants_on_the_schema_or_everywhere(granted: list[str], writes: list[str]) -> None:
    assert writing_grants(granted, "shop") == writes
