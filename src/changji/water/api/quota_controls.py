"""Quota controls over the API (总量控制): policies, top-ups (追加指标) and their reversal, overrides (放行).

Reading needs ``water.allocation.read``; every change ``water.quota.control`` and goes through
``water.quotas.controls`` (which checks the region again, audits, and sweeps the allocation at once). An
allocation, change or region outside the caller's scope is a 404, as if it did not exist.
"""

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from changji.core.access import P
from changji.core.api_schemas import Id, Text
from changji.core.guards import operation
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset, user_can_access_region
from changji.water.api.schemas import UtcDatetime
from changji.water.models import Allocation, AllocationChange, QuotaPolicy
from changji.water.quotas import controls
from changji.water.quotas import policy as quota
from changji.water.quotas.sweep import allocation_status, effective_allocation, policy_for, used_m3

router = Router(tags=["water quota controls"])

Use = Literal["", "agricultural", "industrial", "domestic"]
Share = Annotated[float, Field(gt=0, le=quota.MAX_THRESHOLD)]


class QuotaPolicyOut(Schema):
    """The policy of a region (county, or the prefecture as the default) for a use class ("" = every use)."""

    id: int
    region_id: str
    use: str
    thresholds: list[float]
    stop_at_full: bool
    notice_hours: int
    updated_by_name: str
    updated_at: UtcDatetime


class QuotaPolicyIn(Schema):
    """A policy to create or change: thresholds as shares ascending in (0, 2], notice 0–720 h."""

    region: Text
    use: Use = ""
    thresholds: list[Share] = Field(..., min_length=1, max_length=quota.MAX_THRESHOLDS)
    stop_at_full: bool = True
    notice_hours: int = Field(48, ge=0, le=quota.MAX_NOTICE_HOURS)


class AllocationChangeOut(Schema):
    """A change of an allocation: a top-up, a recharge or a reversal (``reverses_id``)."""

    id: int
    allocation_id: int
    amount_m3: float
    reason: str
    by_name: str
    approved_by_name: str
    approver_id: int | None
    expires_on: date | None
    reverses_id: int | None
    at: UtcDatetime


class QuotaStateOut(Schema):
    """An allocation's quota state: use, share, the stop's life and the override."""

    id: int
    year: int
    well_id: int | None
    allocation_m3: float
    effective_allocation_m3: float
    used_m3: float
    share: float | None
    level_reached: float
    stop_announced_at: UtcDatetime | None
    stop_due_at: UtcDatetime | None
    stopped_by_quota: bool
    override_until: UtcDatetime | None
    override_reason: str
    override_approved_by_name: str

    @staticmethod
    def resolve_effective_allocation_m3(obj: Allocation) -> float:
        return effective_allocation(obj)

    @staticmethod
    def resolve_used_m3(obj: Allocation) -> float:
        return used_m3(obj, local_day(timezone.now()))

    @staticmethod
    def resolve_share(obj: Allocation) -> float | None:
        use = obj.well.use if obj.well is not None else ""
        share = allocation_status(obj, local_day(timezone.now()), policy_for(obj.scope_region, use).thresholds).share
        return round(share, 4) if math.isfinite(share) else None


class TopUpIn(Schema):
    """A top-up: amount (m³, > 0), reason, approver (an account id, or a name; default: the caller), expiry."""

    amount_m3: float = Field(..., gt=0, le=1e9)
    reason: Text = ""
    approver_id: Id | None = None
    approved_by_name: Text | None = Field(None, max_length=150)
    expires_on: date | None = None


class ReasonIn(Schema):
    """Why (mandatory)."""

    reason: Text = ""


class OverrideIn(Schema):
    """An override until a time (ISO 8601 with offset), with reason and approver (default: the caller)."""

    until: datetime
    reason: Text = ""
    approver_id: Id | None = None
    approved_by_name: Text | None = Field(None, max_length=150)


def _allocation(request: HttpRequest, allocation_id: int) -> Allocation:
    return get_object_or_404(scope_queryset(Allocation.objects.select_related("well", "scope_region"), request.user),
                             pk=allocation_id)


def _approver(request: HttpRequest, approver_id: int | None, name: str | None) -> Any:
    """The approver: an account in the caller's scope (by id), a name, or the caller."""
    if approver_id is not None:
        account = scope_queryset(get_user_model().objects.filter(pk=approver_id, is_active=True), request.user).first()
        if account is None:
            raise ValidationError({"approver_id": "批准人不存在或不在本辖区"})
        return account
    return name if name is not None else request.user


@router.get("/quota-policies", response=list[QuotaPolicyOut])
@operation(P.WATER_ALLOCATION_READ)
def list_quota_policies(request: HttpRequest) -> QuerySet[QuotaPolicy]:
    """The policies that apply within the caller's region: its own and those below it, and those above it."""
    region = getattr(request.user, "region", None)
    above = Q(region_id__in=region.ancestors()) if region is not None else Q()
    scoped = scope_queryset(QuotaPolicy.objects.all(), request.user).values("pk")
    return QuotaPolicy.objects.filter(Q(pk__in=scoped) | above).order_by("region_id", "use")


def _save(request: HttpRequest, body: QuotaPolicyIn) -> QuotaPolicy:
    region = Region.objects.filter(code=body.region).first()
    if region is None or not user_can_access_region(request.user, region):
        raise Http404("区划不存在")
    return controls.save_policy(region, body.use, list(body.thresholds), body.stop_at_full, body.notice_hours,
                                request.user)


@router.post("/quota-policies", response=QuotaPolicyOut)
@operation(P.WATER_QUOTA_CONTROL)
def create_quota_policy(request: HttpRequest, body: QuotaPolicyIn) -> QuotaPolicy:
    """Create or change the policy of (region, use): POST and PUT both set it whole. Audited."""
    return _save(request, body)


@router.put("/quota-policies", response=QuotaPolicyOut)
@operation(P.WATER_QUOTA_CONTROL)
def put_quota_policy(request: HttpRequest, body: QuotaPolicyIn) -> QuotaPolicy:
    """Set the policy of (region, use) whole. Audited."""
    return _save(request, body)


@router.get("/allocations/{allocation_id}/quota", response=QuotaStateOut)
@operation(P.WATER_ALLOCATION_READ)
def allocation_quota(request: HttpRequest, allocation_id: Id) -> Allocation:
    """An allocation's quota state: use, share, a pending or done stop, the override."""
    return _allocation(request, allocation_id)


@router.get("/allocations/{allocation_id}/changes", response=list[AllocationChangeOut])
@operation(P.WATER_ALLOCATION_READ)
def allocation_changes(request: HttpRequest, allocation_id: Id) -> QuerySet[AllocationChange]:
    """An allocation's changes, newest first."""
    return _allocation(request, allocation_id).changes.order_by("-at", "-pk")


@router.post("/allocations/{allocation_id}/top-ups", response=AllocationChangeOut)
@operation(P.WATER_QUOTA_CONTROL)
def create_top_up(request: HttpRequest, allocation_id: Id, body: TopUpIn) -> AllocationChange:
    """Add an approved top-up (追加指标); temporary when ``expires_on`` is set. Audited ``water.quota.topup``."""
    allocation = _allocation(request, allocation_id)
    approver = _approver(request, body.approver_id, body.approved_by_name)
    return controls.top_up(allocation, body.amount_m3, body.reason, approver, body.expires_on, request.user)


@router.post("/allocation-changes/{change_id}/reverse", response=AllocationChangeOut)
@operation(P.WATER_QUOTA_CONTROL)
def reverse_change(request: HttpRequest, change_id: Id, body: ReasonIn) -> AllocationChange:
    """Reverse a change once (a new row with the negated amount). Audited ``water.quota.topup_reversed``."""
    change = get_object_or_404(scope_queryset(AllocationChange.objects.select_related("allocation"), request.user),
                               pk=change_id)
    return controls.reverse_top_up(change, body.reason, request.user)


@router.post("/allocations/{allocation_id}/override", response=QuotaStateOut)
@operation(P.WATER_QUOTA_CONTROL)
def create_override(request: HttpRequest, allocation_id: Id, body: OverrideIn) -> Allocation:
    """Let the well pump past its quota until ``until``. Audited ``water.quota.override``."""
    if not FIRST_YEAR <= body.until.year <= LAST_YEAR:
        raise ValidationError({"until": f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间"})
    if timezone.is_naive(body.until):
        raise ValidationError({"until": "放行截止时间必须带时区（如 +08:00）"})
    allocation = _allocation(request, allocation_id)
    approver = _approver(request, body.approver_id, body.approved_by_name)
    return controls.override(allocation, request.user, body.reason, body.until, approver=approver)


@router.delete("/allocations/{allocation_id}/override", response=QuotaStateOut)
@operation(P.WATER_QUOTA_CONTROL)
def delete_override(request: HttpRequest, allocation_id: Id, reason: Text = "") -> Allocation:
    """Revoke an active override early (``reason`` mandatory). Audited ``water.quota.override_revoked``."""
    return controls.revoke_override(_allocation(request, allocation_id), reason, request.user)
