"""The life of a licence (取水许可证) as a state table, and the expiry-warning thresholds (pure: no Django).

《取水许可和水资源费征收管理条例》 (国务院令第 460 号): a licence is valid for its term (第二十五条, at most
10 years); the issuing authority may suspend it (责令停止取水, 第四十四条) or revoke it (吊销, 第四十九条 ff.);
it lapses when its term ends unless it is renewed (延续, 第二十五条: asked for 45 days before the end). Hence::

    VALID ──暂停──> SUSPENDED ──恢复──> VALID
      │               │
      ├──吊销──> REVOKED <──吊销──┤        (REVOKED is final)
      └──到期（系统）──> EXPIRED <──到期（系统）──┘
                       EXPIRED ──延续──> VALID   (only once valid_to lies ahead again: the service checks)

Every move carries its reason. EXPIRED is set only by the system (the daily job ``water.licences.expiry``
when ``valid_to`` has passed). A renewal (延续) is an edit of ``valid_to`` followed by the move EXPIRED → VALID
with its reason; the service refuses it while ``valid_to`` is still in the past.

Warnings: ``WARNING_DAYS`` (90, then 30 days before ``valid_to``), each given once (``due_warning``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from changji.core.transitions import Table

__pure__ = True  # no Django: tests/test_architecture.py checks it


class State(StrEnum):
    """The values of ``water.models.LicenceState`` (kept equal by tests/water/licences/test_states.py)."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


STATE_LABELS: dict[State, str] = {State.VALID: "有效", State.SUSPENDED: "暂停", State.REVOKED: "吊销",
                                  State.EXPIRED: "过期"}

#: The operators' names of each move, keyed by target state (the state-change form's choices).
MOVE_LABELS: dict[State, str] = {State.VALID: "恢复有效", State.SUSPENDED: "暂停", State.REVOKED: "吊销"}

ALLOWED: dict[State, frozenset[State]] = {
    State.VALID: frozenset({State.SUSPENDED, State.REVOKED, State.EXPIRED}),
    State.SUSPENDED: frozenset({State.VALID, State.REVOKED, State.EXPIRED}),
    State.REVOKED: frozenset(),
    State.EXPIRED: frozenset({State.VALID}),  # 延续: renewed once valid_to lies ahead again
}

TABLE = Table(
    noun="取水许可证",
    moves=ALLOWED,
    labels=STATE_LABELS,
    required={state: frozenset({"reason"}) for state in State},
    field_labels={"reason": "原因"},
    system_only=frozenset({State.EXPIRED}),
)

#: States in which a licence still lives (it may be reinstated): a well may belong to one such licence per source.
LIVING_STATES: frozenset[State] = frozenset({State.VALID, State.SUSPENDED})

#: Days before ``valid_to`` at which the holder and the bureau are warned, farthest first.
WARNING_DAYS: tuple[int, ...] = (90, 30)


def due_warning(days_left: int, warned_days: int | None) -> int | None:
    """The warning threshold to give now, or None: the nearest threshold reached and not yet given.

    ``warned_days`` is the nearest threshold already given (None before the first). A licence first seen 20 days
    ahead gets the 30-day warning only; one already warned at 30 gets nothing more. Past ``valid_to`` (negative
    ``days_left``) nothing is warned: the licence expires instead.
    """
    if days_left < 0:
        return None
    reached = [days for days in WARNING_DAYS if days_left <= days and (warned_days is None or days < warned_days)]
    return min(reached) if reached else None


def is_past(valid_to: date, today: date) -> bool:
    """Whether a licence valid through ``valid_to`` (its last valid day) has lapsed on ``today``."""
    return today > valid_to


def covers(state: str, valid_from: date, valid_to: date, day: date) -> bool:
    """Whether a licence in ``state`` valid from ``valid_from`` through ``valid_to`` permits taking water on ``day``."""
    return state == State.VALID and valid_from <= day <= valid_to
