"""Schemas of the services API (``services.api.routes``): explicit fields, times ISO 8601, days as dates.

A case shows the applicant's kind and name, never their identity number, phone or query code (查询码): the
window's page shows those to the clerk in front of the applicant; the API has no reason to hand them out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema

from changji.services import cases, public_catalogue, workdays
from changji.services.models import Bundle, BundleCategory, Case, SubCase
from changji.services.workflow import CASE_LABELS, SUB_CASE_LABELS, CaseState, SubCaseState

#: The open sub-cases whose promised-limit clock runs (``workdays.Clock``); the others show no warning.
RUNNING_STATES = (SubCaseState.PENDING, SubCaseState.CLAIMED)


class BundleItemOut(Schema):
    """An item of a bundle, with its department, working-day limits and the answer that makes it apply."""

    code: str
    name: str
    department: str
    department_code: str
    statutory_limit_days: int
    promised_limit_days: int
    instant: bool
    fee_yuan: float
    commitment_allowed: bool
    condition: dict[str, Any] | None
    condition_text: str


class MaterialOut(Schema):
    """A material asked once for the whole bundle (一套材料): 必需 (``required``) or 视情况 with its condition."""

    code: str
    name: str
    required: bool
    condition: str
    items: list[str]
    template_url: str
    example_url: str


class DepartmentOut(Schema):
    code: str
    name: str


class BundleOut(Schema):
    """A current bundle (一件事) of the public catalogue, one version, from its frozen definition."""

    id: int
    code: str
    version: int
    name: str
    category: str
    category_label: str
    region_id: str
    lead_department: str
    description: str
    refusal_fails_case: bool
    effective_on: date | None
    online_allowed: bool
    promised_limit_days: int
    instant: bool
    fee_yuan: float
    departments: list[DepartmentOut]
    items: list[BundleItemOut]
    materials: list[MaterialOut]

    @staticmethod
    def resolve_category_label(bundle: Bundle) -> str:
        return str(BundleCategory(bundle.category).label)

    @staticmethod
    def resolve_lead_department(bundle: Bundle) -> str:
        return bundle.lead_department.name

    @staticmethod
    def resolve_promised_limit_days(bundle: Bundle) -> int:
        return _public(bundle).promised_limit_days

    @staticmethod
    def resolve_instant(bundle: Bundle) -> bool:
        return _public(bundle).instant

    @staticmethod
    def resolve_fee_yuan(bundle: Bundle) -> float:
        return float(_public(bundle).fee_yuan)

    @staticmethod
    def resolve_departments(bundle: Bundle) -> list[dict[str, str]]:
        return [{"code": code, "name": name} for code, name in _public(bundle).departments]

    @staticmethod
    def resolve_items(bundle: Bundle) -> list[dict[str, Any]]:
        return [{"code": i.code, "name": i.name, "department": i.department_name, "department_code": i.department,
                 "statutory_limit_days": i.statutory_limit_days, "promised_limit_days": i.promised_limit_days,
                 "instant": i.instant, "fee_yuan": float(i.fee_yuan), "commitment_allowed": i.commitment_allowed,
                 "condition": dict(i.rule) if i.rule else None, "condition_text": i.condition}
                for i in _public(bundle).items]

    @staticmethod
    def resolve_materials(bundle: Bundle) -> list[dict[str, Any]]:
        return [{"code": m.code, "name": m.name, "required": m.required, "condition": m.condition,
                 "items": m.items, "template_url": m.template_url, "example_url": m.example_url}
                for m in _public(bundle).materials]


def _public(bundle: Bundle) -> public_catalogue.Entry:
    """The bundle's public entry: attached by the list (built for all at once), else built for this one."""
    entry = getattr(bundle, "public_entry", None)
    if entry is None:
        entry = public_catalogue.entry_of(bundle)
        bundle.public_entry = entry  # type: ignore[attr-defined]
    return entry


class SubCaseOut(Schema):
    """One item's sub-case (分办件) with its clock: ``warning`` is green, yellow or red while it runs."""

    id: int
    case_id: int
    receipt_number: str
    item_code: str
    item_name: str
    department_code: str
    department: str
    state: str
    state_label: str
    assignee: str | None
    claimed_at: datetime | None
    due_on: date
    legal_due_on: date
    decided_at: datetime | None
    warning: str
    overdue: bool
    licence_number: str
    valid_until: date | None

    @staticmethod
    def resolve_receipt_number(sub: SubCase) -> str:
        return sub.case.receipt_number

    @staticmethod
    def resolve_item_code(sub: SubCase) -> str:
        return sub.item.code

    @staticmethod
    def resolve_item_name(sub: SubCase) -> str:
        return sub.item.name

    @staticmethod
    def resolve_department_code(sub: SubCase) -> str:
        return sub.department.code

    @staticmethod
    def resolve_department(sub: SubCase) -> str:
        return sub.department.name

    @staticmethod
    def resolve_state_label(sub: SubCase) -> str:
        return SUB_CASE_LABELS[SubCaseState(sub.state)]

    @staticmethod
    def resolve_assignee(sub: SubCase) -> str | None:
        return sub.assignee.get_username() if sub.assignee is not None else None

    @staticmethod
    def resolve_warning(sub: SubCase) -> str:
        clock = _clock(sub)
        return clock.warning(workdays.today_in_shanghai()) if clock else ""

    @staticmethod
    def resolve_overdue(sub: SubCase) -> bool:
        clock = _clock(sub)
        return clock.overdue(workdays.today_in_shanghai()) if clock else False


def _clock(sub: SubCase) -> workdays.Clock | None:
    """The promised-limit clock of a running sub-case (as the department inbox shows it), else None."""
    if sub.state not in RUNNING_STATES or sub.case.accepted_on is None:
        return None
    return workdays.Clock(started=sub.case.accepted_on, limit_days=sub.item.promised_limit_days)


class CaseOut(Schema):
    """A case (办件) at the window: one application for one bundle version."""

    id: int
    receipt_number: str
    bundle_id: int
    bundle: str
    region_id: str
    applicant_kind: str
    applicant_name: str
    channel: str
    state: str
    state_label: str
    submitted_at: datetime
    accepted_on: date | None
    correction_list: list[str]
    outcome: str
    issued_at: datetime | None
    rating: int | None

    @staticmethod
    def resolve_bundle(case: Case) -> str:
        return case.bundle.name

    @staticmethod
    def resolve_state_label(case: Case) -> str:
        return CASE_LABELS[CaseState(case.state)]


class CaseEventOut(Schema):
    """One step of a case's history (the applicant's progress view)."""

    at: datetime
    sub_case_id: int | None
    from_state: str
    to_state: str
    by_name: str
    note: str


class CaseDetailOut(CaseOut):
    """A case with its sub-cases, what it still lacks, and its history."""

    missing: list[str]
    sub_cases: list[SubCaseOut]
    events: list[CaseEventOut]

    @staticmethod
    def resolve_missing(case: Case) -> list[str]:
        return cases.missing_for(case) if case.state in (CaseState.SUBMITTED, CaseState.CORRECTION) else []

    @staticmethod
    def resolve_sub_cases(case: Case) -> list[SubCase]:
        return list(case.sub_cases.select_related("case", "item", "department", "assignee").order_by("pk"))

    @staticmethod
    def resolve_events(case: Case) -> list[Any]:
        return list(case.events.all())


class FiguresOut(Schema):
    """The counters of a statistics row and the figures derived from them (``services.statistics``)."""

    cases: int
    online: int
    rated: int
    rating_sum: int
    good: int
    accepted: int
    refused: int
    sub_cases: int
    decided: int
    open: int
    overdue: int
    handling_sum: int
    promised_sum: int
    statutory_sum: int
    online_share: float | None
    rating_avg: float | None
    good_share: float | None
    overdue_rate: float | None
    handling_days_avg: float | None
    promised_days_avg: float | None
    statutory_days_avg: float | None
    on_time: int
    instant: int
    finished: int
    within: int
    instant_cases: int
    visits_sum: int
    on_time_share: float | None
    instant_share: float | None
    within_share: float | None
    instant_case_share: float | None
    visits_avg: float | None


class NamedFiguresOut(FiguresOut):
    """A bundle's or a department's row."""

    code: str
    name: str


class MonthFiguresOut(FiguresOut):
    """A month's row (``YYYY-MM``)."""

    month: str


class ChannelFiguresOut(FiguresOut):
    """A channel's row: ``window`` (窗口) or ``online`` (网上)."""

    channel: str
    label: str


class ReasonCountOut(Schema):
    """A rating reason (``services.ratings.REASONS`` code, its label or the code) and how often it was ticked."""

    code: str
    label: str
    count: int


class DepartmentRatingOut(Schema):
    """好差评 of one department: ratings, mean score (1–5), share of 4 and 5, and the reasons counted."""

    code: str
    name: str
    ratings: int
    score_sum: int
    good: int
    score_avg: float
    good_share: float
    reasons: list[ReasonCountOut]


class StatisticsOut(Schema):
    """Cases by bundle, channel, department and month of a region over local days first..last (both included)."""

    region: str
    first: date
    last: date
    today: date
    total: FiguresOut
    bundles: list[NamedFiguresOut]
    channels: list[ChannelFiguresOut]
    departments: list[NamedFiguresOut]
    months: list[MonthFiguresOut]
    department_ratings: list[DepartmentRatingOut]
    rating_reasons: list[ReasonCountOut]
