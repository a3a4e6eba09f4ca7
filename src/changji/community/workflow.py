"""The allowed moves of a micro-wish (微心愿) and of a resident issue (接诉即办): explicit tables.

A state table (docs/architecture.md, "State tables"): each state lists the states it may move to, a move
is checked against the table before anything changes, and the tests walk every edge of the tables.
Plain Python, no Django.

A micro-wish: posted (by the resident, or by a grid worker for them) → reviewed by the community →
published (or rejected) → claimed by one party member or co-building unit, exclusively, for a
limited time → fulfilled with evidence → confirmed by the resident. A claim that runs out unlocks
the wish (claimed → published); the resident may send a fulfilment back (fulfilled → claimed).

A resident issue: reported → accepted (the first response) → resolved by the handler → closed when
the resident is satisfied, or reopened when not (reopened → accepted again). A report that is not
an issue for the community (duplicate, outside its remit) is rejected. Independently of the state,
an open issue climbs the escalation ladder grid → community → four-party coordination (四方协商:
community, property company, owners' committee and the relevant department or police) → street
/ town; each rung has its own handler and deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

__pure__ = True  # no Django: tests/test_architecture.py checks it


class TransitionError(ValueError):
    """A move that the table does not allow; ``str(error)`` is a Chinese message fit to show the user."""


# --- 微心愿 -------------------------------------------------------------------------------------------------


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


def check_wish_move(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless the wish table allows ``current`` → ``target``."""
    _check(WISH_MOVES, WISH_LABELS, WishState(current), WishState(target), "心愿")


# --- 接诉即办 -----------------------------------------------------------------------------------------------


class IssueState(StrEnum):
    REPORTED = "reported"  #: 已上报（待响应）
    ACCEPTED = "accepted"  #: 已响应，办理中
    RESOLVED = "resolved"  #: 已办结（待评价）
    CLOSED = "closed"  #: 群众满意，已关闭
    REOPENED = "reopened"  #: 群众不满意，重新办理
    REJECTED = "rejected"  #: 不予受理（重复或非本社区事项）


ISSUE_LABELS = {
    IssueState.REPORTED: "待响应", IssueState.ACCEPTED: "办理中", IssueState.RESOLVED: "待评价",
    IssueState.CLOSED: "已关闭", IssueState.REOPENED: "重新办理", IssueState.REJECTED: "不予受理",
}

ISSUE_MOVES: Mapping[IssueState, frozenset[IssueState]] = {
    IssueState.REPORTED: frozenset({IssueState.ACCEPTED, IssueState.REJECTED}),
    IssueState.ACCEPTED: frozenset({IssueState.RESOLVED}),
    IssueState.RESOLVED: frozenset({IssueState.CLOSED, IssueState.REOPENED}),
    IssueState.REOPENED: frozenset({IssueState.ACCEPTED}),
    IssueState.CLOSED: frozenset(),
    IssueState.REJECTED: frozenset(),
}

#: States in which an issue is still being handled: it counts against a deadline and may escalate.
OPEN_ISSUE_STATES = frozenset({IssueState.REPORTED, IssueState.ACCEPTED, IssueState.REOPENED})


def check_issue_move(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless the issue table allows ``current`` → ``target``."""
    _check(ISSUE_MOVES, ISSUE_LABELS, IssueState(current), IssueState(target), "诉求")


class EscalationLevel(StrEnum):
    GRID = "grid"  #: 网格
    COMMUNITY = "community"  #: 社区
    FOUR_PARTY = "four_party"  #: 四方协商
    STREET = "street"  #: 街道（乡镇）


LEVEL_LABELS = {
    EscalationLevel.GRID: "网格", EscalationLevel.COMMUNITY: "社区",
    EscalationLevel.FOUR_PARTY: "四方协商", EscalationLevel.STREET: "街道（乡镇）",
}

#: The ladder only goes up, one rung at a time.
LEVEL_MOVES: Mapping[EscalationLevel, frozenset[EscalationLevel]] = {
    EscalationLevel.GRID: frozenset({EscalationLevel.COMMUNITY}),
    EscalationLevel.COMMUNITY: frozenset({EscalationLevel.FOUR_PARTY}),
    EscalationLevel.FOUR_PARTY: frozenset({EscalationLevel.STREET}),
    EscalationLevel.STREET: frozenset(),
}


def check_escalation(current_level: str, target_level: str, state: str) -> None:
    """Raise :class:`TransitionError` unless an issue in ``state`` may climb ``current`` → ``target``."""
    if IssueState(state) not in OPEN_ISSUE_STATES:
        raise TransitionError(f"诉求{ISSUE_LABELS[IssueState(state)]}，不能上报")
    _check(LEVEL_MOVES, LEVEL_LABELS, EscalationLevel(current_level), EscalationLevel(target_level), "诉求层级")


# --- 时限预警 -----------------------------------------------------------------------------------------------


class DeadlineColour(StrEnum):
    GREEN = "green"  #: 正常
    YELLOW = "yellow"  #: 临期（已用时限的 2/3 以上）
    RED = "red"  #: 超期


#: The share of the time limit after which a running deadline turns yellow.
YELLOW_FROM = 2 / 3


def deadline_colour(started_at: datetime, due_at: datetime, now: datetime) -> DeadlineColour:
    """The green / yellow / red light of a running deadline: red once overdue, yellow after 2/3 of it."""
    if now >= due_at:
        return DeadlineColour.RED
    span = due_at - started_at
    if span <= timedelta(0) or (now - started_at) >= span * YELLOW_FROM:
        return DeadlineColour.YELLOW
    return DeadlineColour.GREEN


def _check(table: Mapping, labels: Mapping, current: StrEnum, target: StrEnum, noun: str) -> None:
    if target not in table[current]:
        raise TransitionError(f"{noun}不能从「{labels[current]}」变为「{labels[target]}」")
