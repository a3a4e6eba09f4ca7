"""Visits, care households and residents' meetings in the community API (``/api/community/visits/``).

Reads need ``community.read``; recording a visit or tagging a household for care ``community.visit.record``;
recording a residents' meeting ``community.meeting.record`` (as on the pages). Every query goes through
``core.scope.scope_queryset``: a household, compound or meeting outside the user's region is a 404. Changes go
through ``community.visits`` (the pages' services): a refusal is a 400 naming the field, and nothing is stored.
Residents' names are not carried.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from changji.community.models import (
    CareHousehold,
    CareTag,
    Compound,
    Household,
    IssueCategory,
    ResidentsMeeting,
    ResidentsMeetingKind,
    Visit,
    VisitKind,
)
from changji.community.visits import service
from changji.community.visits.residents_meetings import RaisedIssue, record_residents_meeting
from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.localtime import today
from changji.core.models import Region, User
from changji.core.scope import scope_queryset

router = Router()  # its operations take the community router's tag


class VisitOut(Schema):
    """A visit (走访记录): where, when, by whom, about what, and its follow-up."""

    id: int
    region_id: str = Field(..., description="网格代码")
    household_id: int | None = Field(None, description="走访户编号（走访小区时为空）")
    compound_id: int | None = Field(None, description="走访小区编号（走访户时为空）")
    kind: VisitKind = Field(..., description="类别：入户走访、书记爱串门、关爱探访、小区巡访")
    visitor_name: str = Field(..., description="走访人")
    visited_at: datetime = Field(..., description="走访时间（ISO 8601）")
    topic: str = Field(..., description="走访事由")
    notes: str = Field(..., description="情况记录")
    follow_up: str = Field(..., description="后续跟进事项（无则为空）")
    follow_up_due_on: date | None = Field(None, description="跟进期限（日期）")
    follow_up_done_on: date | None = Field(None, description="跟进完成日期")
    issue_request_id: str | None = Field(None, description="由本次走访转成的诉求编号")

    @staticmethod
    def resolve_issue_request_id(visit: Visit) -> str | None:
        return visit.issue.request_id if visit.issue else None


class VisitIn(Schema):
    """A visit to record: a household or a compound of the user's region; optionally file an issue from it."""

    household_id: Id | None = Field(None, description="走访户编号")
    compound_id: Id | None = Field(None, description="走访小区编号（不走访具体某户时）")
    kind: VisitKind = Field(VisitKind.HOME, description="类别")
    visited_at: datetime = Field(..., description="走访时间（ISO 8601，不晚于当前，不早于一年前）")
    topic: Text = Field(..., max_length=255, description="走访事由")
    notes: Text = Field("", max_length=4000, description="情况记录")
    follow_up: Text = Field("", max_length=255, description="后续跟进事项")
    follow_up_due_on: date | None = Field(None, description="跟进期限（日期）")
    issue_category: Text | None = Field(None, max_length=32, description="转为诉求时的诉求类别代码")
    issue_description: Text = Field("", max_length=4000, description="诉求内容（留空则用走访事由与情况记录）")


class CareOut(Schema):
    """A care household (关爱户) with its last visit, next due day and overdue days."""

    id: int
    household_id: int
    region_id: str = Field(..., description="网格代码")
    tags: list[str] = Field(..., description="关爱类别")
    visit_every_days: int = Field(..., description="走访周期（天）")
    worker: str | None = Field(None, description="责任网格员（用户名）")
    since: date = Field(..., description="纳入关爱日期")
    last_visit_on: date | None = Field(None, description="上次走访日期（上海时间）")
    next_due_on: date = Field(..., description="下次应访日期")
    overdue_days: int = Field(..., description="超期天数（天；未超期为 0）")


class CareIn(Schema):
    """Tag a household for care, or change its tags, interval and worker (a stopped one resumes)."""

    household_id: Id = Field(..., description="户编号")
    tags: list[CareTag] = Field(..., min_length=1, max_length=6, description="关爱类别")
    visit_every_days: int | None = Field(None, ge=1, le=92, description="走访周期（天；留空按类别默认）")
    worker: Text | None = Field(None, max_length=150, description="责任网格员的用户名")
    note: Text = Field("", max_length=255, description="说明")


class ResidentsMeetingOut(Schema):
    """A residents' meeting (凉亭会、恳谈会、议事会) with the ids of the issues filed from it."""

    id: int
    region_id: str = Field(..., description="社区或网格代码")
    kind: ResidentsMeetingKind = Field(..., description="类别")
    held_at: datetime = Field(..., description="召开时间（ISO 8601）")
    place: str
    host: str
    attendee_count: int = Field(..., description="参会人数（人）")
    attendees: str
    topics: str
    outcomes: str
    issues: list[str] = Field(..., description="会上提出并转入接诉即办的诉求编号")

    @staticmethod
    def resolve_issues(meeting: ResidentsMeeting) -> list[str]:
        return sorted(issue.request_id for issue in meeting.issues.all())


class RaisedIssueIn(Schema):
    """An issue raised at the meeting; ``grid`` is required for a community-level meeting."""

    category: Text = Field(..., max_length=32, description="诉求类别代码")
    description: Text = Field(..., max_length=4000, description="诉求内容")
    address: Text = Field("", max_length=255, description="地址")
    grid: Text | None = Field(None, max_length=15, description="所在网格代码（社区会议时必填）")


class ResidentsMeetingIn(Schema):
    """A residents' meeting to record, with the issues raised there (filed with the channel 居民会议)."""

    region: Text = Field(..., max_length=15, description="社区或网格代码")
    kind: ResidentsMeetingKind
    held_at: datetime = Field(..., description="召开时间（ISO 8601）")
    place: Text = Field(..., max_length=128)
    host: Text = Field(..., max_length=64)
    attendee_count: int = Field(..., ge=1, le=5000, description="参会人数（人）")
    attendees: Text = Field("", max_length=4000)
    topics: Text = Field(..., max_length=4000)
    outcomes: Text = Field("", max_length=4000)
    raised: list[RaisedIssueIn] = Field(default_factory=list, max_length=20)


def _category(code: str) -> IssueCategory:
    return get_object_or_404(IssueCategory.objects.all(), code=code)


@router.get("", response=list[VisitOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_visits(request: HttpRequest, kind: VisitKind | None = None, open_follow_up: bool = False
                ) -> QuerySet[Visit]:
    """Visits of the user's region, newest first; ``open_follow_up`` keeps those whose follow-up is not done."""
    rows = scope_queryset(Visit.objects.select_related("issue"), request.user)
    if kind:
        rows = rows.filter(kind=kind)
    if open_follow_up:
        rows = rows.exclude(follow_up="").filter(follow_up_done_on__isnull=True)
    return rows.order_by("-visited_at", "-pk")


@router.post("", response={201: VisitOut})
@operation(P.COMMUNITY_VISIT_RECORD)
def create_visit(request: HttpRequest, body: VisitIn) -> Status:
    """Record a visit (audited ``community.visit.record``); with ``issue_category`` also file an issue."""
    household = compound = None
    if body.household_id is not None:
        household = get_object_or_404(scope_queryset(Household.objects.select_related("building__compound"),
                                                     request.user), pk=body.household_id)
    elif body.compound_id is not None:
        compound = get_object_or_404(scope_queryset(Compound.objects.all(), request.user), pk=body.compound_id)
    visit = service.record_visit(
        request.user, household=household, compound=compound, kind=body.kind, visited_at=body.visited_at,
        topic=body.topic, notes=body.notes, follow_up=service.FollowUp(body.follow_up, body.follow_up_due_on),
        issue_category=_category(body.issue_category) if body.issue_category else None,
        issue_description=body.issue_description, now=timezone.now())
    return Status(201, visit)


def _care_out(row: service.CareRow) -> dict[str, Any]:
    entry = row.entry
    return {"id": entry.pk, "household_id": entry.household_id, "region_id": entry.region_id, "tags": entry.tags,
            "visit_every_days": entry.visit_every_days, "worker": entry.worker.username if entry.worker else None,
            "since": entry.since, "last_visit_on": row.last_visit, "next_due_on": row.next_due,
            "overdue_days": row.overdue_days}


@router.get("/care", response=list[CareOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_care(request: HttpRequest, overdue: bool = False, tag: CareTag | None = None) -> list[dict[str, Any]]:
    """Care households of the user's region in care now; ``overdue`` keeps the overdue ones, most overdue first."""
    entries = service.scoped_care(request.user)
    if tag:
        entries = entries.filter(tags__icontains=f'"{tag}"')
    rows = service.care_rows(entries.order_by("region_id", "household_id"), today())
    if overdue:
        rows = sorted((r for r in rows if r.overdue_days > 0), key=lambda r: (-r.overdue_days, r.entry.pk))
    return [_care_out(row) for row in rows]


@router.post("/care", response={201: CareOut})
@operation(P.COMMUNITY_VISIT_RECORD)
def tag_care(request: HttpRequest, body: CareIn) -> Status:
    """Tag a household for care (audited ``community.care.tag`` / ``community.care.change``)."""
    household = get_object_or_404(scope_queryset(Household.objects.all(), request.user), pk=body.household_id)
    worker = (get_object_or_404(scope_queryset(User.objects.filter(is_active=True), request.user),
                                username=body.worker) if body.worker else None)
    entry = service.tag_for_care(household, [str(tag) for tag in body.tags], request.user, today=today(),
                                 interval=body.visit_every_days, worker=worker, note=body.note)
    entry = service.with_last_visit(CareHousehold.objects.select_related("worker")).get(pk=entry.pk)
    (row,) = service.care_rows([entry], today())
    return Status(201, _care_out(row))


@router.get("/residents-meetings", response=list[ResidentsMeetingOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_residents_meetings(request: HttpRequest, kind: ResidentsMeetingKind | None = None
                            ) -> QuerySet[ResidentsMeeting]:
    """Residents' meetings of the user's region, newest first."""
    rows = scope_queryset(ResidentsMeeting.objects.prefetch_related("issues"), request.user)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-held_at", "-pk")


@router.post("/residents-meetings", response={201: ResidentsMeetingOut})
@operation(P.COMMUNITY_MEETING_RECORD)
def create_residents_meeting(request: HttpRequest, body: ResidentsMeetingIn) -> Status:
    """Record a residents' meeting and file the issues raised (audited ``community.residents_meeting.record``)."""
    regions = scope_queryset(Region.objects.all(), request.user)
    region = get_object_or_404(regions, code=body.region)
    raised = [RaisedIssue(_category(item.category), item.description, item.address,
                          get_object_or_404(regions, code=item.grid) if item.grid else None) for item in body.raised]
    meeting = record_residents_meeting(region, body.kind, body.held_at, body.place, body.host, body.attendee_count,
                                       body.attendees, body.topics, body.outcomes, raised, request.user,
                                       timezone.now())
    return Status(201, meeting)
