"""Who handles an issue: the rung of the escalation ladder decides, within the actor's region (``core.scope``).

The handler's inbox holds the issues of their rung in their region; higher rungs may step in below
them (提级办理), lower ones may not act above their rung:

=============  ======================================  =========================================
level          handled by (``inbox_for``)              may also act (accept, resolve, reject,
                                                       escalate, record a meeting)
=============  ======================================  =========================================
grid           the grid's grid workers                 community workers of its community,
                                                       street officers of its town, county and
                                                       prefecture staff
community      community workers of the community      street officers, county / prefecture staff
four_party     the community worker (convener)         street officers, county / prefecture staff
street         street officers of the town             county / prefecture staff
=============  ======================================  =========================================

So a grid worker escalates grid → community, a community worker community → four-party and
four-party → street; always within the actor's region (``core.scope``). ``allowed_actions`` is
what a page offers the user on an issue now.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from changji.community.issues.changes import IssueError
from changji.community.issues.workflow import ISSUE_MOVES, LEVEL_MOVES, OPEN_ISSUE_STATES, EscalationLevel, IssueState
from changji.community.models import AgreedAction, ResidentIssue
from changji.core import access
from changji.core.models import Region, RegionLevel, Role
from changji.core.scope import scope_queryset, user_can_access_region

_RUNGS = list(EscalationLevel)

#: The highest rung a role may act on (within its region); roles not listed only look.
ROLE_RUNG = {
    Role.GRID_WORKER: EscalationLevel.GRID,
    Role.COMMUNITY_WORKER: EscalationLevel.FOUR_PARTY,
    Role.STREET_OFFICER: EscalationLevel.STREET,
    Role.COUNTY_OPERATOR: EscalationLevel.STREET,
    Role.PREFECTURE_ADMIN: EscalationLevel.STREET,
}

#: The rungs whose issues fill a role's inbox.
INBOX_LEVELS = {
    Role.GRID_WORKER: (EscalationLevel.GRID,),
    Role.COMMUNITY_WORKER: (EscalationLevel.COMMUNITY, EscalationLevel.FOUR_PARTY),
    Role.STREET_OFFICER: (EscalationLevel.STREET,),
}


def _rung(user: Any) -> EscalationLevel | None:
    if not access.allows(user, access.P.COMMUNITY_ISSUE_HANDLE):
        return None
    if user.is_superuser:
        return EscalationLevel.STREET
    return ROLE_RUNG.get(user.role)


def may_act(user: Any, issue: ResidentIssue, level: str | None = None) -> bool:
    """Whether ``user`` may handle ``issue`` at ``level`` (default: its current rung): in scope and rung high enough."""
    rung = _rung(user)
    if rung is None or not user_can_access_region(user, issue.region):
        return False
    return _RUNGS.index(rung) >= _RUNGS.index(EscalationLevel(level or issue.level))


def require(user: Any, issue: ResidentIssue, level: str | None = None) -> None:
    """Refuse (``IssueError`` on ``actor``) unless ``user`` may act on ``issue`` at ``level`` (``may_act``)."""
    if not may_act(user, issue, level):
        raise IssueError("actor", f"无权办理诉求 {issue.request_id}：不在您的管辖范围或层级")


def inbox_for(user: Any) -> QuerySet[ResidentIssue]:
    """The issues waiting for ``user``: open or awaiting the resident's verdict, at the user's rung, in scope.

    County and prefecture staff (and superusers) see every rung of their region.
    """
    issues = scope_queryset(ResidentIssue.objects.select_related("category", "region"), user).filter(
        state__in=[*OPEN_ISSUE_STATES, IssueState.RESOLVED])
    if not getattr(user, "is_authenticated", False):
        return issues.none()
    if user.is_superuser or user.role in (Role.COUNTY_OPERATOR, Role.PREFECTURE_ADMIN):
        return issues
    levels = INBOX_LEVELS.get(user.role)
    return issues.filter(level__in=levels) if levels else issues.none()


def allowed_actions(issue: ResidentIssue, user: Any) -> list[str]:
    """The page actions ``user`` may take on ``issue`` now (the detail page shows exactly these)."""
    state, actions = IssueState(issue.state), []
    if may_act(user, issue):
        if IssueState.ACCEPTED in ISSUE_MOVES[state]:
            actions.append("accept")
        if IssueState.RESOLVED in ISSUE_MOVES[state]:
            actions.append("resolve")
        if state in OPEN_ISSUE_STATES and LEVEL_MOVES[EscalationLevel(issue.level)]:
            actions.append("escalate")
        if IssueState.REJECTED in ISSUE_MOVES[state]:
            actions.append("reject")
        if state in OPEN_ISSUE_STATES and issue.level in (EscalationLevel.FOUR_PARTY, EscalationLevel.STREET):
            actions.append("meeting")
    if may_act(user, issue, EscalationLevel.FOUR_PARTY) and AgreedAction.objects.filter(
            issue=issue, done_on__isnull=True).exists():
        actions.append("complete_action")
    if state == IssueState.RESOLVED and may_act(user, issue, EscalationLevel.GRID):
        actions.append("feedback")
    return actions


def handler_name(issue: ResidentIssue) -> str:
    """Who handles the issue at its current rung, by name (e.g. 东城社区第一网格, 东城社区四方协商)."""
    chain: list[Region] = []
    region: Region | None = issue.region
    while region is not None and len(chain) < 3:
        chain.append(region)
        region = region.parent if region.level > RegionLevel.TOWNSHIP else None
    by_level = {r.level: r for r in chain}
    grid, community, town = (by_level.get(RegionLevel.GRID), by_level.get(RegionLevel.VILLAGE),
                             by_level.get(RegionLevel.TOWNSHIP))
    level = EscalationLevel(issue.level)
    if level == EscalationLevel.GRID:
        return (grid or issue.region).name
    if level == EscalationLevel.COMMUNITY:
        return (community or issue.region).name
    if level == EscalationLevel.FOUR_PARTY:
        return f"{(community or issue.region).name}四方协商"
    return (town or issue.region).name
