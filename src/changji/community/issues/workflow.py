"""The allowed moves of a resident issue (接诉即办) and of its escalation rung: explicit tables (pure: no Django).

A resident issue: reported → accepted (the first response) → resolved by the handler → closed when
the resident is satisfied, or reopened when not (reopened → accepted again). A report that is not
an issue for the community (duplicate, outside its remit) is rejected. Independently of the state,
an open issue climbs the escalation ladder grid → community → four-party coordination (四方协商:
community, property company, owners' committee and the relevant department or police) → street
/ town; each rung has its own handler (``handlers``) and time limit (``limits``).

Each state lists the states it may move to, and a move is checked against its table
(``core.transitions``) before anything changes; ``tests/core/test_transitions.py`` walks every edge of
the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from changji.core.transitions import Table, TransitionError, check_transition

__pure__ = True  # no Django: tests/test_architecture.py checks it


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

ISSUE_TABLE = Table(noun="诉求", moves=ISSUE_MOVES, labels=ISSUE_LABELS)


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

LEVEL_TABLE = Table(noun="诉求层级", moves=LEVEL_MOVES, labels=LEVEL_LABELS)


def check_escalation(current_level: str, target_level: str, state: str) -> None:
    """Raise ``TransitionError`` unless an issue in ``state`` may climb ``current`` → ``target``.

    Only open issues climb, and only along ``LEVEL_TABLE``.
    """
    if IssueState(state) not in OPEN_ISSUE_STATES:
        raise TransitionError("level", f"诉求{ISSUE_LABELS[IssueState(state)]}，不能上报")
    check_transition(LEVEL_TABLE, current_level, target_level)
