"""The allowed moves of a micro-wish (微心愿): an explicit table (pure: no Django).

A micro-wish: posted (by the resident, or by a grid worker for them) → reviewed by the community →
published (or rejected) → claimed by one party member or co-building unit, exclusively, for a
limited time → fulfilled with evidence → confirmed by the resident. A claim that runs out unlocks
the wish (claimed → published); the resident may send a fulfilment back (fulfilled → claimed).

Each state lists the states it may move to, and a move is checked against ``WISH_TABLE``
(``core.transitions``) before anything changes; ``tests/core/test_transitions.py`` walks every edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from changji.core.transitions import Table

__pure__ = True  # no Django: tests/test_architecture.py checks it


class WishState(StrEnum):
    POSTED = "posted"  #: 已提交（待审核）
    PUBLISHED = "published"  #: 已发布（待认领）
    REJECTED = "rejected"  #: 审核未通过
    CLAIMED = "claimed"  #: 已认领（限时）
    FULFILLED = "fulfilled"  #: 已实现（待群众确认）
    CONFIRMED = "confirmed"  #: 群众已确认


WISH_LABELS = {
    WishState.POSTED: "待审核", WishState.PUBLISHED: "待认领", WishState.REJECTED: "未通过",
    WishState.CLAIMED: "已认领", WishState.FULFILLED: "待确认", WishState.CONFIRMED: "已确认",
}

WISH_MOVES: Mapping[WishState, frozenset[WishState]] = {
    WishState.POSTED: frozenset({WishState.PUBLISHED, WishState.REJECTED}),
    WishState.PUBLISHED: frozenset({WishState.CLAIMED}),
    #: claimed → published: the claimant gives up, or the claim's time limit has passed (unlock).
    WishState.CLAIMED: frozenset({WishState.FULFILLED, WishState.PUBLISHED}),
    #: fulfilled → claimed: the resident does not recognise the fulfilment; the claimant tries again.
    WishState.FULFILLED: frozenset({WishState.CONFIRMED, WishState.CLAIMED}),
    WishState.REJECTED: frozenset(),
    WishState.CONFIRMED: frozenset(),
}

WISH_TABLE = Table(noun="心愿", moves=WISH_MOVES, labels=WISH_LABELS)
