"""Recording 四方联动 meetings and tracking their decisions (the shell around ``rules``).

``record_meeting`` records a community's meeting: the four parties (or the reason one was absent), the place
and time, an agenda of issues of the community (its grids' or its own; open or closed; several grids at once,
or none for a routine review) with what was said on each, and the decisions with an owner and a due date.
Each agenda issue gets a ``meeting`` event in its history (``community.issues.changes.record``), and the
meeting and each completed decision are audited. ``complete_action`` marks a decision done.

Who: a community worker of the meeting's community, a street officer of its town, county or prefecture
staff (within their region, ``core.scope``). Grid workers record residents' meetings, not 四方联动.
Refusals are ``MeetingError`` naming the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from changji.community.issues.changes import clean_text, record
from changji.community.meetings import rules
from changji.community.models import AgendaItem, AgreedAction, CoordinationMeeting, ResidentIssue
from changji.core import access, audit
from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel, Role
from changji.core.scope import scope_queryset, user_can_access_region

#: The roles that convene and record a 四方联动 meeting (within their region); grid workers do not.
CONVENER_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.COUNTY_OPERATOR,
                            Role.PREFECTURE_ADMIN})

#: The attendee fields of a meeting, with their labels (the quorum four, then the invited department).
ATTENDEE_LABELS: Mapping[str, str] = {**rules.QUORUM_PARTIES, "department_attendee": "列席部门或派出所"}


class MeetingError(Refusal):
    """A refused request on a 四方联动 meeting or one of its decisions, naming the field at fault."""


@dataclass(frozen=True)
class Decision:
    """A decision to record (议定事项): what, who owns it, by when, and the agenda issue it concerns (if any)."""

    description: str
    owner: str
    due_on: date
    issue: ResidentIssue | None = None


def may_convene(actor: Any, community: Region) -> bool:
    """Whether ``actor`` may record a 四方联动 meeting of ``community`` (or complete its decisions).

    A job or command (``actor`` a string) acts for the system and may.
    """
    if isinstance(actor, str):
        return True
    if not access.allows(actor, access.P.COMMUNITY_MEETING_RECORD):
        return False
    if not (actor.is_superuser or actor.role in CONVENER_ROLES):
        return False
    return user_can_access_region(actor, community)


def _require(actor: Any, community: Region) -> None:
    if not may_convene(actor, community):
        if getattr(actor, "role", None) == Role.GRID_WORKER:
            raise MeetingError("actor", "网格员不能记录四方联动会议（可记录凉亭会、恳谈会等居民会议）")
        raise MeetingError("actor", f"无权记录{community.name}的四方联动会议：不在您的管辖范围或职责内")


def _text(value: str, field: str, label: str, max_length: int, required: bool = True) -> str:
    try:
        return clean_text(value, field, label, max_length, required)
    except Refusal as error:
        raise MeetingError(error.field, error.message) from error


def _attendees(given: Mapping[str, str]) -> dict[str, str]:
    return {key: _text(given.get(key, ""), key, label, 64, False) for key, label in ATTENDEE_LABELS.items()}


def _agenda(community: Region, agenda: Sequence[ResidentIssue]) -> list[ResidentIssue]:
    """The agenda's issues, each once, in order; refused when one is not the community's."""
    chosen: dict[int, ResidentIssue] = {}
    for issue in agenda:
        issue = ResidentIssue.objects.select_related("region").get(pk=issue.pk)
        if not issue.region.path.startswith(community.path):
            raise MeetingError("agenda", f"诉求 {issue.request_id} 不属于{community.name}，不能列入本社区的议题")
        chosen.setdefault(issue.pk, issue)
    return list(chosen.values())


def _decisions(decisions: Sequence[Decision | tuple[Any, ...]], held_on: date,
               on_agenda: Mapping[int, ResidentIssue]) -> list[Decision]:
    made = []
    for given in decisions:
        decision = given if isinstance(given, Decision) else Decision(*given)
        problem = rules.decision_problem(decision.description, decision.owner, decision.due_on, held_on)
        if problem:
            raise MeetingError("decisions", problem)
        if "\x00" in decision.description + decision.owner:
            raise MeetingError("decisions", "议定事项含有非法字符")
        if decision.issue is not None and decision.issue.pk not in on_agenda:
            raise MeetingError("decisions", f"议定事项所涉诉求 {decision.issue.request_id} 须列入本次会议议题")
        made.append(decision)
    return made


@transaction.atomic
def record_meeting(community: Region, *, held_at: datetime, place: str, party_attendee: str = "",
                   committee_attendee: str = "", owners_committee_attendee: str = "", property_attendee: str = "",
                   department_attendee: str = "", absence_reason: str = "", minutes: str,
                   agenda: Sequence[ResidentIssue] = (), outcomes: Mapping[int, str] | None = None,
                   decisions: Sequence[Decision | tuple[Any, ...]] = (), actor: Any,
                   now: datetime) -> CoordinationMeeting:
    """Record a 四方联动 meeting of ``community``; return it.

    ``agenda``: issues of the community (several grids, any state, or none); ``outcomes``: what the meeting
    said on each, by issue id; ``decisions``: what was decided, who owns it, by when, optionally for one of
    the agenda's issues. Refused (``MeetingError``) without quorum (``rules.quorum_problem``), with an
    implausible date, an issue of another community, or an actor who may not convene.
    """
    if community.level != RegionLevel.VILLAGE:
        raise MeetingError("community", "四方联动会议须属于一个社区")
    _require(actor, community)
    people = _attendees({"party_attendee": party_attendee, "committee_attendee": committee_attendee,
                         "owners_committee_attendee": owners_committee_attendee,
                         "property_attendee": property_attendee, "department_attendee": department_attendee})
    reason = _text(absence_reason, "absence_reason", "缺席说明", 255, False)
    problem = rules.quorum_problem(people, reason)
    if problem:
        raise MeetingError("absence_reason", problem)
    problem = rules.held_at_problem(held_at, now)
    if problem:
        raise MeetingError("held_at", problem)
    issues = _agenda(community, agenda)
    said = {pk: _text(text, "outcomes", "议定情况", 255, False) for pk, text in (outcomes or {}).items()}
    on_agenda = {issue.pk: issue for issue in issues}
    made = _decisions(decisions, timezone.localdate(held_at), on_agenda)
    meeting = CoordinationMeeting.objects.create(
        region=community, held_at=held_at, place=_text(place, "place", "地点", 128),
        minutes=_text(minutes, "minutes", "会议纪要", 5000), absence_reason=reason, recorded_at=now,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None, **people)
    AgendaItem.objects.bulk_create(AgendaItem(meeting=meeting, issue=issue, outcome=said.get(issue.pk, ""))
                                   for issue in issues)
    AgreedAction.objects.bulk_create(AgreedAction(meeting=meeting, issue=d.issue, description=d.description.strip(),
                                                  owner=d.owner.strip(), due_on=d.due_on) for d in made)
    for issue in issues:
        count = sum(1 for d in made if d.issue is not None and d.issue.pk == issue.pk)
        said_here = said.get(issue.pk) or "列入议题"
        note = f"{community.name}四方联动会议（{meeting.place}）：{said_here}；{count} 项议定事项"
        record(issue, actor, now, "meeting", issue.level, issue.level, note, action="meeting", meeting=meeting.pk)
    audit.record("community.meeting.recorded", actor=actor, target=meeting, region=community,
                 reason=rules.quorum_note(people, reason), agenda=[issue.request_id for issue in issues],
                 decisions=len(made))
    return meeting


@transaction.atomic
def complete_action(action: AgreedAction, on: date, note: str = "", *, actor: Any, now: datetime) -> AgreedAction:
    """Mark a decision done on ``on`` with what was done; an issue it concerns gets an ``action`` event."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the (optional) issue.
    action = (AgreedAction.objects.select_for_update(of=("self",))
              .select_related("meeting__region", "issue__region").get(pk=action.pk))
    _require(actor, action.meeting.region)
    if action.done_on is not None:
        raise MeetingError("done_on", "该议定事项已完成")
    problem = rules.done_on_problem(on, timezone.localdate(action.meeting.held_at), timezone.localdate(now))
    if problem:
        raise MeetingError("done_on", problem)
    action.done_on, action.done_note = on, _text(note, "done_note", "完成情况", 255, False)
    action.save(update_fields=["done_on", "done_note"])
    if action.issue is not None:
        record(action.issue, actor, now, "action", "", "done", f"{action.description}（{action.owner}）",
               action="action_done", agreed_action=action.pk)
    audit.record("community.meeting.action_done", actor=actor, target=action.meeting, region=action.meeting.region,
                 reason=action.done_note, agreed_action=action.pk, description=action.description,
                 done_on=on.isoformat())
    return action


def actions_in_scope(user: Any) -> QuerySet[AgreedAction]:
    """Every decision of the meetings in ``user``'s region."""
    return scope_queryset(AgreedAction.objects.select_related("meeting__region", "issue"), user)


def open_actions(user: Any, today: date) -> QuerySet[AgreedAction]:
    """The decisions in ``user``'s region not yet done, soonest due first, each marked ``overdue`` on ``today``."""
    return actions_in_scope(user).filter(done_on__isnull=True).annotate(
        overdue=ExpressionWrapper(Q(due_on__lt=today), output_field=BooleanField())).order_by("due_on", "pk")


def overdue_actions(user: Any, today: date) -> QuerySet[AgreedAction]:
    """The decisions in ``user``'s region past their due day and not done on ``today``."""
    return open_actions(user, today).filter(due_on__lt=today)
