"""The 四方联动 API (``/api/community/meetings/``): meetings of the user's region, recording one, decisions.

Reading needs ``community.read``; recording a meeting or completing a decision ``community.meeting.record``
(the service refuses grid workers and anyone outside the meeting's community). Every query goes through
``core.scope.scope_queryset``: a meeting or decision outside scope is a 404; an agenda issue is named by
its request id and looked up within scope. Refusals are 400 with the field at fault (``changji.api``).
"""


from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from changji.community.meetings import rules, service
from changji.community.meetings.queries import (
    ActionStatus,
    MeetingFilter,
    filter_actions,
    filter_meetings,
    meetings_in_scope,
    with_counts,
)
from changji.community.models import AgreedAction, CoordinationMeeting, ResidentIssue
from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.models import Region, RegionLevel
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset

router = Router()  # its operations take the community router's tag


class MeetingOut(Schema):
    """A 四方联动 meeting in a list: when, where, which community, who came, counts."""

    id: int
    community: str = Field(description="社区区划代码（12 位）")
    community_name: str = Field(description="社区名称")
    held_at: datetime = Field(description="召开时间（ISO 8601，UTC）")
    place: str = Field(description="地点")
    party_attendee: str = Field(description="社区党组织参会人（空：缺席）")
    committee_attendee: str = Field(description="居委会参会人（空：缺席）")
    owners_committee_attendee: str = Field(description="业委会参会人（空：缺席）")
    property_attendee: str = Field(description="物业参会人（空：缺席）")
    department_attendee: str = Field(description="列席部门或派出所")
    absence_reason: str = Field(description="缺席说明（四方未到齐时）")
    quorum: str = Field(description="到会情况：四方到齐，或缺席方与原因")
    agenda_count: int = Field(description="议题数（件）")
    decision_count: int = Field(description="议定事项数（项）")
    open_count: int = Field(description="未完成的议定事项（项）")

    @staticmethod
    def resolve_community(meeting: CoordinationMeeting) -> str:
        return meeting.region_id

    @staticmethod
    def resolve_community_name(meeting: CoordinationMeeting) -> str:
        return meeting.region.name

    @staticmethod
    def resolve_quorum(meeting: CoordinationMeeting) -> str:
        return rules.quorum_note({key: getattr(meeting, key) for key in rules.QUORUM_PARTIES},
                                 meeting.absence_reason)


class AgendaItemOut(Schema):
    """An issue on the agenda and what the meeting said on it."""

    issue_id: int = Field(description="诉求 id")
    request_id: str = Field(description="诉求编号")
    grid: str = Field(description="诉求所在网格（或社区）区划代码")
    outcome: str = Field(description="议定情况")


class DecisionOut(Schema):
    """A decision (议定事项): what, who, by when, done when, and the issue it concerns."""

    id: int
    meeting_id: int
    description: str = Field(description="事项")
    owner: str = Field(description="责任方")
    due_on: date = Field(description="完成期限（本地日期）")
    done_on: date | None = Field(description="完成日期（本地日期；空：未完成）")
    done_note: str = Field(description="完成情况")
    overdue: bool = Field(description="已逾期：未完成且过了完成期限（按今天的本地日期）")
    request_id: str | None = Field(description="所涉诉求编号")

    @staticmethod
    def resolve_overdue(action: AgreedAction) -> bool:
        return rules.is_overdue(action.due_on, action.done_on, timezone.localdate())

    @staticmethod
    def resolve_request_id(action: AgreedAction) -> str | None:
        return action.issue.request_id if action.issue else None


class MeetingDetailOut(MeetingOut):
    """A meeting with its minutes, agenda and decisions."""

    minutes: str = Field(description="会议纪要")
    agenda: list[AgendaItemOut]
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_agenda(meeting: CoordinationMeeting) -> list[dict[str, Any]]:
        return [{"issue_id": item.issue_id, "request_id": item.issue.request_id, "grid": item.issue.region_id,
                 "outcome": item.outcome} for item in meeting.agenda_items.select_related("issue").order_by("pk")]

    @staticmethod
    def resolve_decisions(meeting: CoordinationMeeting) -> list[AgreedAction]:
        return list(meeting.actions.select_related("issue").order_by("due_on", "pk"))


class AgendaIn(Schema):
    """An issue to put on the agenda, by its request id, and what the meeting said on it."""

    request_id: Text = Field(max_length=24, description="诉求编号")
    outcome: Text = Field("", max_length=255, description="议定情况")


class DecisionIn(Schema):
    """A decision: what, who owns it, by when (on or after the meeting day), optionally for an agenda issue."""

    description: Text = Field(max_length=255, description="事项")
    owner: Text = Field(max_length=64, description="责任方")
    due_on: date = Field(description="完成期限（本地日期）")
    request_id: Text | None = Field(None, max_length=24, description="所涉诉求编号（须列入议题）")


class MeetingIn(Schema):
    """A 四方联动 meeting to record: all four parties, or ``absence_reason`` saying why one was absent."""

    community: Text = Field(max_length=12, description="社区区划代码（12 位）")
    held_at: datetime = Field(description="召开时间（ISO 8601，须带时区；一年以内，不晚于现在）")
    place: Text = Field(max_length=128, description="地点")
    party_attendee: Text = Field("", max_length=64, description="社区党组织参会人")
    committee_attendee: Text = Field("", max_length=64, description="居委会参会人")
    owners_committee_attendee: Text = Field("", max_length=64, description="业委会参会人")
    property_attendee: Text = Field("", max_length=64, description="物业参会人")
    department_attendee: Text = Field("", max_length=64, description="列席部门或派出所")
    absence_reason: Text = Field("", max_length=255, description="缺席说明（四方未到齐时必填）")
    minutes: Text = Field(max_length=5000, description="会议纪要")
    agenda: list[AgendaIn] = Field(default_factory=list, max_length=200, description="议题（可为空：例会）")
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=50, description="议定事项")


class CompleteIn(Schema):
    """A decision done: on which local day (not after today), and what was done."""

    done_on: date = Field(description="完成日期（本地日期）")
    note: Text = Field("", max_length=255, description="完成情况")


def _check_years(**days: date | None) -> None:
    for name, value in days.items():
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError({name: f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})


@router.get("", response=list[MeetingOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_meetings(request: HttpRequest, community: Text | None = None, first: date | None = None,
                  last: date | None = None, open_decisions: bool | None = None) -> QuerySet[CoordinationMeeting]:
    """The 四方联动 meetings of the user's region, newest first: by community, local days, open decisions."""
    _check_years(first=first, last=last)
    chosen = MeetingFilter((community or "").strip(), first, last, open_decisions)
    return with_counts(filter_meetings(meetings_in_scope(request.user), chosen))


@router.get("actions", response=list[DecisionOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_decisions(request: HttpRequest, status: ActionStatus = ActionStatus.OPEN,
                   community: Text | None = None) -> QuerySet[AgreedAction]:
    """The decisions of the region's meetings: open (default, soonest due first), overdue, done or all."""
    return filter_actions(service.actions_in_scope(request.user), status, timezone.localdate(),
                          (community or "").strip())


@router.get("{meeting_id}", response=MeetingDetailOut)
@operation(P.COMMUNITY_READ)
def get_meeting(request: HttpRequest, meeting_id: Id) -> CoordinationMeeting:
    """One meeting with its agenda and decisions."""
    return get_object_or_404(with_counts(meetings_in_scope(request.user)), pk=meeting_id)


def _agenda(request: HttpRequest, body: MeetingIn) -> tuple[list[ResidentIssue], dict[int, str]]:
    issues = scope_queryset(ResidentIssue.objects.select_related("region"), request.user)
    agenda, outcomes = [], {}
    for item in body.agenda:
        issue = issues.filter(request_id=item.request_id.strip().upper()).first()
        if issue is None:
            raise ValidationError({"agenda": f"找不到您管辖范围内的诉求 {item.request_id[:24]}"})
        agenda.append(issue)
        outcomes[issue.pk] = item.outcome
    return agenda, outcomes


@router.post("", response={201: MeetingDetailOut})
@operation(P.COMMUNITY_MEETING_RECORD)
def create_meeting(request: HttpRequest, body: MeetingIn) -> Status:
    """Record a 四方联动 meeting of a community in the user's region, with its agenda and decisions."""
    community = scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), request.user).filter(
        code=body.community.strip()).first()
    if community is None:
        raise ValidationError({"community": "不是您管辖范围内的社区"})
    _check_years(**{f"decisions[{n}].due_on": d.due_on for n, d in enumerate(body.decisions)})
    agenda, outcomes = _agenda(request, body)
    by_id = {issue.request_id: issue for issue in agenda}
    decisions = []
    for d in body.decisions:
        named = (d.request_id or "").strip().upper()
        if named and named not in by_id:
            raise ValidationError({"decisions": f"议定事项所涉诉求 {named[:24]} 须列入本次会议议题"})
        decisions.append(service.Decision(d.description, d.owner, d.due_on, by_id.get(named)))
    people = body.dict(include={"party_attendee", "committee_attendee", "owners_committee_attendee",
                                "property_attendee", "department_attendee", "absence_reason"})
    meeting = service.record_meeting(community, held_at=body.held_at, place=body.place, minutes=body.minutes,
                                     agenda=agenda, outcomes=outcomes, decisions=decisions, actor=request.user,
                                     now=timezone.now(), **people)
    return Status(201, get_object_or_404(with_counts(meetings_in_scope(request.user)), pk=meeting.pk))


@router.post("actions/{decision_id}/complete", response=DecisionOut)
@operation(P.COMMUNITY_MEETING_RECORD)
def complete_decision(request: HttpRequest, decision_id: Id, body: CompleteIn) -> AgreedAction:
    """Mark a decision done on a local day (not after today), with what was done."""
    action = get_object_or_404(service.actions_in_scope(request.user), pk=decision_id)
    _check_years(done_on=body.done_on)
    return service.complete_action(action, body.done_on, body.note, actor=request.user, now=timezone.now())
