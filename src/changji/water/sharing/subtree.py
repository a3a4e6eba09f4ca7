"""Whether a GB/T 2260 code lies in a region's subtree, from the codes alone.

The upstream refuses every received row whose region is outside the sending peer's region. Rows name
townships, villages and grids the upstream may never have seeded, so the test is on the code, which is
hierarchical (GB/T 2260; GB/T 10114 for townships and villages): a 6-digit code's significant prefix drops
trailing ``00`` pairs (650000 → 65, 652300 → 6523, 652302 → 652302); a longer code (township 9 digits,
village 12, grid 15) is significant in full. The nation (000000) contains every code.
"""

from __future__ import annotations

__pure__ = True

NATION_CODE = "000000"
CODE_LENGTHS = frozenset({6, 9, 12, 15})


def is_code(code: str) -> bool:
    """Whether ``code`` has the shape of a region code (6, 9, 12 or 15 ASCII digits)."""
    return isinstance(code, str) and code.isascii() and code.isdigit() and len(code) in CODE_LENGTHS


def significant_prefix(code: str) -> str:
    """The prefix every code within ``code``'s region starts with."""
    if code == NATION_CODE:
        return ""
    if len(code) > 6:
        return code
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def within(root: str, code: str) -> bool:
    """Whether ``code`` is ``root`` or lies below it."""
    return is_code(root) and is_code(code) and code.startswith(significant_prefix(root))
