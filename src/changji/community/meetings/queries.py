"""The lists of 四方联动 meetings and decisions the pages, the export and the API share: scope, then filters.

Everything starts from ``core.scope.scope_queryset`` (a community worker sees their community's meetings,
a street officer the town's). Periods are local days (Asia/Shanghai): a month or a first and last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from changji.community.models import AgreedAction, CoordinationMeeting
from changji.core.localtime import days_bounds
from changji.core.scope import scope_queryset


class ActionStatus(StrEnum):
    """Which decisions a list shows."""

    OPEN = "open"  #: 未完成
    OVERDUE = "overdue"  #: 已逾期（未完成且过了完成期限）
    DONE = "done"  #: 已完成
    ALL = "all"  #: 全部


ACTION_STATUS_LABELS = {ActionStatus.OPEN: "未完成", ActionStatus.OVERDUE: "已逾期", ActionStatus.DONE: "已完成",
                        ActionStatus.ALL: "全部"}


@dataclass(frozen=True)
class MeetingFilter:
    """What a meeting list is narrowed to: a community (code), local days ``first``–``last``, open decisions."""

    community: str = ""
    first: date | None = None
    last: date | None = None
    open_decisions: bool | None = None


def _open_decision() -> Exists:
    return Exists(AgreedAction.objects.filter(meeting=OuterRef("pk"), done_on__isnull=True))


def meetings_in_scope(user: Any) -> QuerySet[CoordinationMeeting]:
    """The meetings of ``user``'s region with their community, newest first."""
    return scope_queryset(CoordinationMeeting.objects.select_related("region"), user).order_by("-held_at", "-pk")


def filter_meetings(meetings: QuerySet[CoordinationMeeting], chosen: MeetingFilter) -> QuerySet[CoordinationMeeting]:
    """``meetings`` narrowed to ``chosen``."""
    if chosen.community:
        meetings = meetings.filter(region_id=chosen.community)
    if chosen.first is not None:
        meetings = meetings.filter(held_at__gte=days_bounds(chosen.first, chosen.first)[0])
    if chosen.last is not None:
        meetings = meetings.filter(held_at__lt=days_bounds(chosen.last, chosen.last)[1])
    if chosen.open_decisions is not None:
        meetings = meetings.filter(_open_decision() if chosen.open_decisions else ~_open_decision())
    return meetings


def with_counts(meetings: QuerySet[CoordinationMeeting]) -> QuerySet[CoordinationMeeting]:
    """``meetings`` each with ``agenda_count``, ``decision_count`` and ``open_count``."""
    return meetings.annotate(
        agenda_count=Count("agenda_items", distinct=True), decision_count=Count("actions", distinct=True),
        open_count=Count("actions", filter=Q(actions__done_on__isnull=True), distinct=True))


def filter_actions(actions: QuerySet[AgreedAction], status: ActionStatus, today: date,
                   community: str = "") -> QuerySet[AgreedAction]:
    """Decisions by ``status`` on ``today`` (open and overdue soonest due first, done latest first)."""
    if community:
        actions = actions.filter(meeting__region_id=community)
    if status == ActionStatus.OPEN:
        return actions.filter(done_on__isnull=True).order_by("due_on", "pk")
    if status == ActionStatus.OVERDUE:
        return actions.filter(done_on__isnull=True, due_on__lt=today).order_by("due_on", "pk")
    if status == ActionStatus.DONE:
        return actions.filter(done_on__isnull=False).order_by("-done_on", "-pk")
    return actions.order_by("-meeting__held_at", "due_on", "pk")
