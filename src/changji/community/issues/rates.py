"""The three rates of 接诉即办 — response, resolution and satisfaction — counted per region in one query.

Definitions (rejected reports are not issues and count nowhere):

* 响应率 (response rate) = issues answered within their response limit / issues whose response is
  due (answered, or past the limit unanswered);
* 办结率 (resolution rate) = issues resolved or closed / all issues;
* 满意率 (satisfaction rate) = issues the resident called satisfactory / issues the resident rated.

A rate with nothing to count is None (shown as "—"), not 0 % or 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet

from changji.community.issues.workflow import IssueState


@dataclass(frozen=True)
class IssueCounts:
    total: int = 0
    reported: int = 0
    accepted: int = 0
    resolved: int = 0
    closed: int = 0
    reopened: int = 0
    response_due: int = 0
    responded_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue: int = 0

    def __add__(self, other: IssueCounts) -> IssueCounts:
        return IssueCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def open(self) -> int:
        return self.reported + self.accepted + self.reopened

    @property
    def response_rate(self) -> float | None:
        return self.responded_on_time / self.response_due if self.response_due else None

    @property
    def resolution_rate(self) -> float | None:
        return (self.resolved + self.closed) / self.total if self.total else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


def counts_by_region(issues: QuerySet, now: datetime) -> dict[str, IssueCounts]:
    """``IssueCounts`` per ``region_id`` of ``issues`` (a ResidentIssue queryset), in one grouped query."""
    live = issues.exclude(state=IssueState.REJECTED)
    open_states = (IssueState.REPORTED, IssueState.ACCEPTED, IssueState.REOPENED)
    rows = live.values("region_id").annotate(
        total=Count("pk"),
        reported=Count("pk", filter=Q(state=IssueState.REPORTED)),
        accepted=Count("pk", filter=Q(state=IssueState.ACCEPTED)),
        resolved=Count("pk", filter=Q(state=IssueState.RESOLVED)),
        closed=Count("pk", filter=Q(state=IssueState.CLOSED)),
        reopened=Count("pk", filter=Q(state=IssueState.REOPENED)),
        response_due=Count("pk", filter=Q(responded_at__isnull=False) | Q(response_due_at__lte=now)),
        responded_on_time=Count("pk", filter=Q(responded_at__lte=F("response_due_at"))),
        rated=Count("pk", filter=Q(satisfied__isnull=False)),
        satisfied=Count("pk", filter=Q(satisfied=True)),
        overdue=Count("pk", filter=Q(state__in=open_states, due_at__lte=now)),
    )
    return {row.pop("region_id"): IssueCounts(**row) for row in rows}


def total(counts: Iterable[IssueCounts]) -> IssueCounts:
    """The sum of several regions' counts (a community from its grids, a town from its communities)."""
    result = IssueCounts()
    for item in counts:
        result = result + item
    return result
