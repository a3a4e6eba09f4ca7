"""Residents' meetings (凉亭会、恳谈会、议事会): recording one, and filing the issues raised there.

Each issue raised at a meeting is filed straight into the issue list through ``community.issues.intake.report``
with the channel 居民会议 and ``raised_at_meeting`` pointing back at the meeting. A meeting of a grid files its
issues at that grid; a meeting of a whole community names the grid of each issue. The meeting and its issues
are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from changji.community.issues import intake
from changji.community.models import IssueCategory, IssueChannel, ResidentIssue, ResidentsMeeting, ResidentsMeetingKind
from changji.community.visits.errors import VisitError, clean_text
from changji.community.visits.service import check_moment
from changji.core import audit
from changji.core.models import Region, RegionLevel
from changji.core.scope import user_can_access_region

#: The most people a residents' meeting records (a courtyard or a hall, not a stadium).
MAX_ATTENDEES = 5_000
#: The most issues one meeting files at once.
MAX_RAISED = 20


@dataclass(frozen=True)
class RaisedIssue:
    """An issue raised at a meeting: its category, what, where; ``grid`` for a community-level meeting."""

    category: IssueCategory
    description: str
    address: str = ""
    grid: Region | None = None


def _grid_of(meeting_region: Region, raised: RaisedIssue, number: int) -> Region:
    if meeting_region.level == RegionLevel.GRID:
        return meeting_region
    grid = raised.grid
    if grid is None:
        raise VisitError(f"raised-{number}-grid", f"第 {number} 条诉求：社区会议请为诉求选择网格")
    if grid.level != RegionLevel.GRID or not meeting_region.contains(grid):
        raise VisitError(f"raised-{number}-grid", f"第 {number} 条诉求：{grid.name} 不是本社区的网格")
    return grid


def _check_meeting(region: Region, actor: Any, kind: str, attendee_count: int, raised: Sequence[RaisedIssue]) -> None:
    if region.level not in (RegionLevel.VILLAGE, RegionLevel.GRID):
        raise VisitError("region", "居民会议应属于一个社区或网格")
    if actor is not None and not user_can_access_region(actor, region):
        raise VisitError("region", f"{region.name} 不在您的管辖范围内")
    if kind not in ResidentsMeetingKind.values:
        raise VisitError("kind", f"未知的会议类别：{kind}")
    if not 0 < attendee_count <= MAX_ATTENDEES:
        raise VisitError("attendee_count", f"参会人数应在 1–{MAX_ATTENDEES} 之间")
    if len(raised) > MAX_RAISED:
        raise VisitError(None, f"一次最多登记 {MAX_RAISED} 条诉求")


def record_residents_meeting(region: Region, kind: str, held_at: datetime, place: str, host: str,
                             attendee_count: int, attendees: str, topics: str, outcomes: str,
                             raised: Sequence[RaisedIssue], actor: Any, now: datetime) -> ResidentsMeeting:
    """Record a residents' meeting of a community or grid and file each issue raised there; audited.

    Raises ``VisitError`` (or the intake's ``IssueError`` for a raised issue) naming the field at fault; nothing
    is stored then.
    """
    _check_meeting(region, actor, kind, attendee_count, raised)
    check_moment(held_at, now, "held_at", "召开时间")
    fields = {"place": clean_text(place, "place", "地点", 128), "host": clean_text(host, "host", "主持人", 64),
              "attendees": clean_text(attendees, "attendees", "参会人员", 4000, False),
              "topics": clean_text(topics, "topics", "议题", 4000),
              "outcomes": clean_text(outcomes, "outcomes", "议定结果", 4000, False)}
    grids = [_grid_of(region, item, number) for number, item in enumerate(raised, 1)]
    with transaction.atomic():
        meeting = ResidentsMeeting.objects.create(
            region=region, kind=kind, held_at=held_at, attendee_count=attendee_count,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None, **fields)
        filed: list[ResidentIssue] = []
        for item, grid in zip(raised, grids, strict=True):
            issue = intake.report(item.category, item.description, address=item.address,
                                  channel=IssueChannel.RESIDENTS_MEETING, region=grid, reported_by=actor, now=now)
            issue.raised_at_meeting = meeting
            issue.save(update_fields=["raised_at_meeting"])
            filed.append(issue)
        audit.record("community.residents_meeting.record", actor=actor, target=meeting, kind=kind,
                     attendee_count=attendee_count, issues=[issue.request_id for issue in filed])
    return meeting
