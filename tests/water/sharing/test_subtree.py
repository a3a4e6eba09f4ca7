"""Region subtrees from GB/T 2260 codes alone (the upstream's refusal of rows outside a peer's region)."""

from __future__ import annotations

import pytest

from changji.water.sharing.subtree import significant_prefix, within


@pytest.mark.parametrize("root, code, inside", [
    ("652302", "652302", True), ("652302", "652302101", True), ("652302", "652301", False),
    ("652300", "652302", True), ("652300", "652302101001", True), ("652300", "652400", False),
    ("650000", "652302", True), ("650000", "660000", False), ("000000", "110101", True),
    ("652302101", "652302101001", True), ("652302101", "652302102", False),
    ("652302", "6523", False), ("652302", "65230２", False), ("652302", "", False), ("652302", "6523021", False),
])
def test_within(root, code, inside):
    assert within(root, code) is inside


def test_significant_prefixes():
    assert [significant_prefix(c) for c in ("000000", "650000", "652300", "652302", "652302101")] == [
        "", "65", "6523", "652302", "652302101"]
