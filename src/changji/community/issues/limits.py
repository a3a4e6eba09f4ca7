"""Time limits of an issue's rungs, and their green / yellow / red lights.

Each rung starts a fresh limit when the issue reaches it (``level_started_at``): at the grid it is the
category's ``resolve_days`` (what the category promises the resident); above it the fixed
``LEVEL_LIMIT_DAYS`` (community 5, four-party 10, street 15 days). A reopened issue starts a fresh
limit of its current rung. The first response is due ``response_hours`` after the report. The light
is ``community.deadlines.deadline_colour`` of the running limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from changji.community.deadlines import DeadlineColour, deadline_colour
from changji.community.issues.workflow import OPEN_ISSUE_STATES, EscalationLevel
from changji.community.models import IssueCategory, ResidentIssue

#: The fresh time limit of each rung above the grid (the grid's limit is the category's ``resolve_days``).
LEVEL_LIMIT_DAYS = {EscalationLevel.COMMUNITY: 5, EscalationLevel.FOUR_PARTY: 10, EscalationLevel.STREET: 15}


def level_limit(category: IssueCategory, level: str) -> timedelta:
    """The time limit of ``level`` for an issue of ``category``."""
    if EscalationLevel(level) == EscalationLevel.GRID:
        return timedelta(days=category.resolve_days)
    return timedelta(days=LEVEL_LIMIT_DAYS[EscalationLevel(level)])


def colour(issue: ResidentIssue, now: datetime) -> DeadlineColour | None:
    """The green / yellow / red light of an open issue's current rung; None once it is no longer handled."""
    if issue.state not in OPEN_ISSUE_STATES:
        return None
    return deadline_colour(issue.level_started_at, issue.due_at, now)


def warnings(issues: QuerySet[ResidentIssue], now: datetime) -> list[tuple[ResidentIssue, DeadlineColour]]:
    """The open issues of ``issues`` whose light is yellow or red, red first, then by due time."""
    found: list[tuple[ResidentIssue, DeadlineColour]] = []
    for issue in issues.filter(state__in=OPEN_ISSUE_STATES).order_by("due_at"):
        light = colour(issue, now)
        if light in (DeadlineColour.YELLOW, DeadlineColour.RED):
            found.append((issue, light))
    found.sort(key=lambda pair: (pair[1] != DeadlineColour.RED, pair[0].due_at))
    return found
