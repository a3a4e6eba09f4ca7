"""Issues by intake channel (受理渠道): how many came by each, closed, settled within the limit, rated satisfactory.

Per channel of ``IssueChannel``, in one grouped query (rejected reports are not issues and count nowhere):

* 诉求 — issues;
* 已关闭 — issues closed (the resident's feedback taken or the time for it passed);
* 按时办结 — issues resolved (or closed) no later than their current rung's deadline (``due_at``);
* 满意率 — issues the resident called satisfactory / issues the resident rated (None with none rated).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from changji.community.issues.workflow import IssueState
from changji.community.models import IssueChannel


@dataclass(frozen=True)
class ChannelCounts:
    """The figures of one channel."""

    channel: str
    label: str
    issues: int = 0
    closed: int = 0
    within_limit: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def within_limit_rate(self) -> float | None:
        return self.within_limit / self.issues if self.issues else None


def counts_by_channel(issues: QuerySet) -> list[ChannelCounts]:
    """``ChannelCounts`` for every channel (those without issues too, in ``IssueChannel``'s order), one query."""
    rows = {row.pop("channel"): row for row in issues.exclude(state=IssueState.REJECTED).values("channel").annotate(
        issues=Count("pk"),
        closed=Count("pk", filter=Q(state=IssueState.CLOSED)),
        within_limit=Count("pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("due_at"))),
        rated=Count("pk", filter=Q(satisfied__isnull=False)),
        satisfied=Count("pk", filter=Q(satisfied=True)),
    ).order_by()}
    return [ChannelCounts(channel.value, str(channel.label), **rows.get(channel.value, {}))
            for channel in IssueChannel]
