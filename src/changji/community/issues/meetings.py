"""Four-party coordination (四方协商) on one issue: the community's 四方联动 meeting with the issue on its agenda.

An issue that climbed to the four-party or street rung is taken up at a meeting of its community
(``community.meetings.service.record_meeting``): the same record as a routine meeting, with this issue on
the agenda and the decisions tied to it. Quorum is the community's rule: the four parties (community party
organisation, residents' committee, owners' committee, property company), or a written reason why one was
absent (``community.meetings.rules.quorum_problem``). Decisions are completed through the same service,
whether or not they concern an issue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction

from changji.community.issues.changes import IssueError, locked
from changji.community.issues.handlers import require
from changji.community.issues.workflow import OPEN_ISSUE_STATES, EscalationLevel
from changji.community.meetings import rules, service
from changji.community.models import AgreedAction, CoordinationMeeting, ResidentIssue
from changji.core.models import Region, RegionLevel

#: The meeting date windows and plausible years (``community.meetings.rules``), for the issue page's form.
MEETING_PAST_LIMIT = rules.MEETING_PAST_LIMIT
MEETING_FUTURE_LIMIT = rules.MEETING_FUTURE_LIMIT
DAY_YEARS = rules.DAY_YEARS
plausible_day = rules.plausible_day


@dataclass(frozen=True)
class ActionSpec:
    """An action agreed at a meeting on the issue: what, by whom, by when."""

    description: str
    owner: str
    due_on: date


def community_of(issue: ResidentIssue) -> Region:
    """The community (社区) an issue belongs to: its grid's parent, or its own region; refused above a community."""
    region: Region | None = issue.region
    while region is not None and region.level > RegionLevel.VILLAGE:
        region = region.parent
    if region is None or region.level != RegionLevel.VILLAGE:  # an issue of the town itself, outside every grid
        raise IssueError("region", f"诉求 {issue.request_id} 不在任何社区，不能召开四方联动会议")
    return region


@transaction.atomic
def record_meeting(issue: ResidentIssue, *, held_at: datetime, place: str, party_attendee: str = "",
                   committee_attendee: str = "", owners_committee_attendee: str = "", property_attendee: str = "",
                   department_attendee: str = "", absence_reason: str = "", minutes: str,
                   actions: Sequence[ActionSpec | tuple[str, str, date]] = (), actor: Any,
                   now: datetime) -> CoordinationMeeting:
    """Record the community's 四方联动 meeting taking up ``issue`` (at the four-party or street rung).

    The issue is the agenda; each agreed action becomes a decision on it. Quorum, dates and who may
    record are the community meeting's rules (``community.meetings.service.record_meeting``).
    """
    issue = locked(issue)
    require(actor, issue)
    if issue.level not in (EscalationLevel.FOUR_PARTY, EscalationLevel.STREET):
        raise IssueError("level", "只有进入四方协商或街道层级的诉求才召开协商会议")
    if issue.state not in OPEN_ISSUE_STATES:
        raise IssueError("state", "诉求已不在办理中，不能召开协商会议")
    specs = [a if isinstance(a, ActionSpec) else ActionSpec(*a) for a in actions]
    return service.record_meeting(
        community_of(issue), held_at=held_at, place=place, party_attendee=party_attendee,
        committee_attendee=committee_attendee, owners_committee_attendee=owners_committee_attendee,
        property_attendee=property_attendee, department_attendee=department_attendee,
        absence_reason=absence_reason, minutes=minutes, agenda=[issue],
        decisions=[service.Decision(s.description, s.owner, s.due_on, issue) for s in specs], actor=actor, now=now)


def complete_action(action: AgreedAction, on: date, actor: Any, now: datetime, note: str = "") -> AgreedAction:
    """Mark a decision done on ``on``, with or without an issue (``community.meetings.service.complete_action``)."""
    return service.complete_action(action, on, note, actor=actor, now=now)
