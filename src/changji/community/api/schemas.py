"""Schemas of the community API (``community.api.routes``): explicit fields, times ISO 8601.

Personal data stays out: an issue carries no reporter name, phone or e-mail and a wish no resident; the
pages mask them (``community.privacy``), the API does not carry them at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from changji.community.issues import handlers, limits
from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS, EscalationLevel, IssueState
from changji.community.models import MicroWish, ResidentIssue
from changji.community.wishes.workflow import WISH_LABELS, WishState


class GridCountsOut(Schema):
    """What the grid map colours a grid by (``community.web.grids.METRICS``)."""

    residents: int
    compounds: int
    open_issues: int
    published_wishes: int


class GridOut(Schema):
    """A unified grid of the user's scope with its counts; ``boundary`` is a GeoJSON geometry (WGS 84)."""

    code: str
    name: str
    community: str
    leader: str
    party_organisations: list[str] = Field(description="覆盖该网格的网格党组织名称")
    area_m2: int
    counts: GridCountsOut
    boundary: dict[str, Any]


class IssueOut(Schema):
    """A resident issue (诉求): where it stands, at which rung, and its light (green/yellow/red while open)."""

    id: int
    request_id: str
    category: str
    category_name: str
    region_id: str
    region: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    channel: str
    state: str
    state_label: str
    level: str
    level_label: str
    light: str | None
    reported_at: datetime
    response_due_at: datetime
    responded_at: datetime | None
    due_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    satisfied: bool | None
    reopen_count: int

    @staticmethod
    def resolve_category(issue: ResidentIssue) -> str:
        return issue.category.code

    @staticmethod
    def resolve_category_name(issue: ResidentIssue) -> str:
        return issue.category.name

    @staticmethod
    def resolve_region(issue: ResidentIssue) -> str:
        return issue.region.name

    @staticmethod
    def resolve_state_label(issue: ResidentIssue) -> str:
        return ISSUE_LABELS[IssueState(issue.state)]

    @staticmethod
    def resolve_level_label(issue: ResidentIssue) -> str:
        return LEVEL_LABELS[EscalationLevel(issue.level)]

    @staticmethod
    def resolve_light(issue: ResidentIssue) -> str | None:
        light = limits.colour(issue, timezone.now())
        return None if light is None else str(light)


class IssueEventOut(Schema):
    """One step of an issue's handling: a state change, an escalation or a note."""

    at: datetime
    kind: str
    from_value: str
    to_value: str
    note: str


class IssueDetailOut(IssueOut):
    """An issue with its result, its history and the actions the user may take on it now (its page offers these)."""

    resolution: str
    events: list[IssueEventOut]
    actions: list[str]

    @staticmethod
    def resolve_events(issue: ResidentIssue) -> list[Any]:
        return list(issue.events.order_by("at", "pk"))

    @staticmethod
    def resolve_actions(issue: ResidentIssue, context: dict[str, Any]) -> list[str]:
        return handlers.allowed_actions(issue, context["request"].user)


class WishOut(Schema):
    """A micro-wish (微心愿) and where it stands; the claim runs until ``claim_expires_at``."""

    id: int
    title: str
    description: str
    region_id: str
    state: str
    state_label: str
    posted_at: datetime
    published_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    claim_expires_at: datetime | None
    fulfilled_at: datetime | None
    evidence: str
    confirmed_at: datetime | None

    @staticmethod
    def resolve_state_label(wish: MicroWish) -> str:
        return WISH_LABELS[WishState(wish.state)]

    @staticmethod
    def resolve_claimed_by(wish: MicroWish) -> str | None:
        """``member`` or ``unit`` while claimed (the claimant's name is on the wish's page)."""
        if wish.claimed_by_member_id:
            return "member"
        return "unit" if wish.claimed_by_unit_id else None
