"""Four-party coordination (四方协商): meetings on an issue at the four-party or street rung, and agreed actions.

The community convenes, with at least two of the property company, the owners' committee and the
relevant department or police; each agreed action has an owner and a due date and is marked done
when it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.community.issues.changes import IssueError, clean_text, locked, record
from changji.community.issues.handlers import require
from changji.community.issues.workflow import OPEN_ISSUE_STATES, EscalationLevel
from changji.community.models import AgendaItem, AgreedAction, CoordinationMeeting, ResidentIssue

#: How far back and ahead a meeting may be recorded (a typo such as year 1 or 2206 is refused).
MEETING_PAST_LIMIT = timedelta(days=365)

MEETING_FUTURE_LIMIT = timedelta(days=30)

#: The years a due or done date of an agreed action may fall in.
DAY_YEARS = (2000, 2100)


def plausible_day(day: date) -> bool:
    """Whether ``day`` is a believable date for an agreed action (years ``DAY_YEARS``)."""
    return DAY_YEARS[0] <= day.year <= DAY_YEARS[1]


@dataclass(frozen=True)
class ActionSpec:
    """An action agreed at a meeting: what, by whom, by when."""

    description: str
    owner: str
    due_on: date


@transaction.atomic
def record_meeting(issue: ResidentIssue, *, held_at: datetime, place: str, community_attendee: str,
                   property_attendee: str = "", owners_committee_attendee: str = "", department_attendee: str = "",
                   minutes: str, actions: Sequence[ActionSpec | tuple[str, str, date]] = (), actor: Any,
                   now: datetime) -> CoordinationMeeting:
    """Record a four-party coordination meeting (四方协商会) on an issue at the four-party or street rung.

    The community must attend, and at least two of: the property company, the owners' committee,
    the relevant department or police. Each agreed action needs a description, an owner and a due date.
    """
    issue = locked(issue)
    require(actor, issue)
    if issue.level not in (EscalationLevel.FOUR_PARTY, EscalationLevel.STREET):
        raise IssueError("level", "只有进入四方协商或街道层级的诉求才召开协商会议")
    if issue.state not in OPEN_ISSUE_STATES:
        raise IssueError("state", "诉求已不在办理中，不能召开协商会议")
    people = {"community_attendee": clean_text(community_attendee, "community_attendee", "社区参会人", 64),
              "property_attendee": clean_text(property_attendee, "property_attendee", "物业参会人", 64, False),
              "owners_committee_attendee": clean_text(owners_committee_attendee, "owners_committee_attendee",
                                                 "业委会参会人", 64, False),
              "department_attendee": clean_text(department_attendee, "department_attendee", "部门或派出所参会人", 64,
                                                False)}
    if sum(1 for key in ("property_attendee", "owners_committee_attendee", "department_attendee") if people[key]) < 2:
        raise IssueError("property_attendee", "四方协商须有物业、业委会、职能部门或派出所中至少两方参会")
    if not isinstance(held_at, datetime) or not (now - MEETING_PAST_LIMIT <= held_at <= now + MEETING_FUTURE_LIMIT):
        raise IssueError("held_at", "会议时间须在一年以内，且不晚于 30 天之后")
    specs = [a if isinstance(a, ActionSpec) else ActionSpec(*a) for a in actions]
    for spec in specs:
        clean_text(spec.description, "actions", "议定事项", 255)
        clean_text(spec.owner, "actions", "责任方", 64)
        if not isinstance(spec.due_on, date):
            raise IssueError("actions", "议定事项须有完成期限")
        if not plausible_day(spec.due_on):
            raise IssueError("actions", f"完成期限须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间")
    people["committee_attendee"] = people.pop("community_attendee")
    meeting = CoordinationMeeting.objects.create(
        region_id=issue.region_id[:12], recorded_at=now, held_at=held_at, place=clean_text(place, "place", "地点", 128),
        minutes=clean_text(minutes, "minutes", "会议纪要", 5000), recorded_by=actor if actor.is_authenticated else None,
        **people)
    AgendaItem.objects.create(meeting=meeting, issue=issue)
    AgreedAction.objects.bulk_create(AgreedAction(meeting=meeting, issue=issue, description=s.description.strip(),
                                                  owner=s.owner.strip(), due_on=s.due_on) for s in specs)
    record(issue, actor, now, "meeting", issue.level, issue.level, f"{meeting.place}：{len(specs)} 项议定事项",
            action="meeting", meeting=meeting.pk)
    return meeting


@transaction.atomic
def complete_action(action: AgreedAction, on: date, actor: Any, now: datetime) -> AgreedAction:
    """Mark an agreed action done on ``on`` (by the convener or higher, within scope)."""
    action = AgreedAction.objects.select_for_update().select_related("issue__region").get(pk=action.pk)
    issue = action.issue
    if issue is None:
        raise IssueError("agreed_action", "该议定事项不涉及具体诉求")
    require(actor, issue, EscalationLevel.FOUR_PARTY)
    if action.done_on is not None:
        raise IssueError("done_on", "该议定事项已完成")
    if not isinstance(on, date) or on < timezone.localdate(action.meeting.held_at):
        raise IssueError("done_on", "完成日期不能早于会议日期")
    if not plausible_day(on):
        raise IssueError("done_on", f"完成日期须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间")
    action.done_on = on
    action.save(update_fields=["done_on"])
    record(issue, actor, now, "action", "", "done", f"{action.description}（{action.owner}）", action="action_done",
            agreed_action=action.pk)
    return action
