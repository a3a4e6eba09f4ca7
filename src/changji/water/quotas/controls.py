"""Quota controls an operator takes (总量控制): policies, top-ups (追加指标), overrides and a remote start.

Each service checks the actor first (``access.check_actor``: ``water.quota.control`` within the holder's
region, ``water.command.send`` for a remote start), takes the allocation's row lock, records what it did
in the audit trail under the operator's name, and then sweeps the allocation at once
(``sweep.sweep_allocation``) so a top-up or an override withdraws a pending stop or unlocks the well
without waiting for the minutely sweep. Everything is reversible: a top-up by a reversal (a new row with
the negated amount), an override by revoking it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from changji.core import access, audit
from changji.core.access import P
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.water.models import Allocation, AllocationChange, Command, QuotaPolicy
from changji.water.models.registry import WellUse
from changji.water.quotas import policy as quota
from changji.water.quotas.sweep import (
    actor_name,
    allocation_status,
    policy_for,
    pump_state,
    rearm_warnings,
    required_reason,
    restore,
    sweep_allocation,
)

__all__ = [
    "override",
    "remote_start",
    "reverse_top_up",
    "revoke_override",
    "save_policy",
    "top_up",
]

Approver = Any  #: an account (User) that holds water.quota.control in the region, or a name (a signed paper form)


def _locked(allocation: Allocation) -> Allocation:
    return (Allocation.objects.select_for_update(of=("self",)).select_related("well", "scope_region")
            .get(pk=allocation.pk))


def _approver(approver: Approver, region: Region | None) -> tuple[Any, str]:
    """Return (account or None, name) of the approver; an account must hold water.quota.control in ``region``."""
    if hasattr(approver, "is_authenticated"):
        try:
            access.check_actor(approver, P.WATER_QUOTA_CONTROL, region)
        except PermissionDenied as error:
            raise ValidationError({"approver": "批准人无权批准该辖区的追加指标或放行"}) from error
        return approver, (approver.get_full_name() or approver.get_username())
    name = str(approver or "").strip()
    if not name:
        raise ValidationError({"approver": "必须填写批准人"})
    if len(name) > 150:
        raise ValidationError({"approver": "批准人不能超过 150 个字"})
    return None, name


def _policy(allocation: Allocation) -> quota.StopPolicy:
    return policy_for(allocation.scope_region, allocation.well.use if allocation.well is not None else "")


@transaction.atomic
def top_up(allocation: Allocation, amount_m3: float, reason: str, approver: Approver, expires_on: date | None,
           by: Any) -> AllocationChange:
    """Add an approved top-up (追加指标) of ``amount_m3`` to the allocation; temporary when ``expires_on`` is set.

    The top-up counts through ``expires_on`` (a local day, inclusive, within the allocation's year) and not
    after. Warnings re-arm under the new allocation, and the allocation is swept at once: a pending stop
    is withdrawn, or a stopped well is unlocked (the farmer restarts on site). Audited ``water.quota.topup``.
    """
    access.check_actor(by, P.WATER_QUOTA_CONTROL, allocation.scope_region)
    reason = required_reason(reason)
    if amount_m3 is None or not math.isfinite(amount_m3) or amount_m3 <= 0:
        raise ValidationError({"amount_m3": "追加水量必须大于 0"})
    if amount_m3 > 1e9:
        raise ValidationError({"amount_m3": "追加水量过大"})
    today = local_day(timezone.now())
    if expires_on is not None and not today <= expires_on <= date(allocation.year, 12, 31):
        raise ValidationError({"expires_on": f"有效期应在今天至 {allocation.year} 年底之间"})
    allocation = _locked(allocation)
    account, name = _approver(approver, allocation.scope_region)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=amount_m3, reason=reason,
                                             by_name=actor_name(by), approver=account, approved_by_name=name,
                                             expires_on=expires_on)
    effective = rearm_warnings(allocation, _policy(allocation))
    audit.record("water.quota.topup", actor=by, target=allocation, region=allocation.scope_region, reason=reason,
                 change=change.pk, amount_m3=amount_m3, approved_by=name,
                 expires_on=expires_on.isoformat() if expires_on else None, allocation_m3=effective)
    sweep_allocation(allocation)
    return change


@transaction.atomic
def reverse_top_up(change: AllocationChange, reason: str, by: Any) -> AllocationChange:
    """Reverse a change: a new row with the negated amount and the same expiry. Once per change. Audited.

    A reversal is not itself reversed (enter a new top-up instead). The allocation is swept at once: if
    the share is over again, the stop is announced with the policy's notice.
    """
    allocation = _locked(change.allocation)
    access.check_actor(by, P.WATER_QUOTA_CONTROL, allocation.scope_region)
    reason = required_reason(reason)
    change = AllocationChange.objects.select_for_update().get(pk=change.pk)
    if change.reverses_id is not None:
        raise ValidationError({"change": "冲销记录不能再冲销"})
    if AllocationChange.objects.filter(reverses=change).exists():
        raise ValidationError({"change": "该追加指标已冲销"})
    reversal = AllocationChange.objects.create(
        allocation=allocation, amount_m3=-change.amount_m3, reason=reason, by_name=actor_name(by),
        approver=by if getattr(by, "is_authenticated", False) else None, approved_by_name=actor_name(by),
        expires_on=change.expires_on, reverses=change)
    audit.record("water.quota.topup_reversed", actor=by, target=allocation, region=allocation.scope_region,
                 reason=reason, change=change.pk, reversal=reversal.pk, amount_m3=-change.amount_m3)
    sweep_allocation(allocation)
    return reversal


@transaction.atomic
def override(allocation: Allocation, by: Any, reason: str, until: datetime, approver: Approver = None) -> Allocation:
    """Let a well keep pumping past its quota until ``until`` (e.g. approved drought-relief irrigation).

    The reason and the approver (default: the operator who enters it) are mandatory because pumping past
    the licence must be justified on inspection. The allocation is swept at once: a pending stop is
    withdrawn and a stopped well unlocked. When the override ends (``until``, or ``revoke_override``) and
    the share is still over, the stop is announced again with the policy's notice.
    """
    access.check_actor(by, P.WATER_QUOTA_CONTROL, allocation.scope_region)
    reason = required_reason(reason)
    if until is None or timezone.is_naive(until) or until <= timezone.now():
        raise ValidationError({"until": "放行截止时间必须是将来的时间"})
    allocation = _locked(allocation)
    if allocation.well_id is None:
        raise ValidationError({"allocation": "只有机井的用水指标可以放行"})
    account, name = _approver(by if approver is None else approver, allocation.scope_region)
    allocation.override_until = until
    allocation.override_reason = reason
    allocation.override_by_name = actor_name(by)
    allocation.override_approver, allocation.override_approved_by_name = account, name
    allocation.save(update_fields=["override_until", "override_reason", "override_by_name", "override_approver",
                                   "override_approved_by_name"])
    audit.record("water.quota.override", actor=by, target=allocation, region=allocation.scope_region,
                 reason=reason, until=until.isoformat(), approved_by=name)
    sweep_allocation(allocation)
    return allocation


@transaction.atomic
def revoke_override(allocation: Allocation, reason: str, by: Any) -> Allocation:
    """End an active override early. Audited; the allocation is swept at once (a stop is announced if over)."""
    access.check_actor(by, P.WATER_QUOTA_CONTROL, allocation.scope_region)
    reason = required_reason(reason)
    allocation = _locked(allocation)
    now = timezone.now()
    if not quota.override_active(pump_state(allocation), now):
        raise ValidationError({"allocation": "该指标没有生效中的放行"})
    until = allocation.override_until
    allocation.override_until = None
    allocation.save(update_fields=["override_until"])
    audit.record("water.quota.override_revoked", actor=by, target=allocation, region=allocation.scope_region,
                 reason=reason, until=until.isoformat() if until else None,
                 override_reason=allocation.override_reason)
    sweep_allocation(allocation, now)
    return allocation


@transaction.atomic
def remote_start(allocation: Allocation, reason: str, by: Any) -> list[Command]:
    """Start the well's pump remotely (远程开泵): the explicit operator command beside the default unlock.

    Refused while the quota still holds the pump (over the limit with no override): a top-up or an
    override comes first. Audited ``water.quota.restore`` with mode ``start``.
    """
    access.check_actor(by, P.WATER_COMMAND_SEND, allocation.scope_region)
    reason = required_reason(reason)
    allocation = _locked(allocation)
    if allocation.well is None:
        raise ValidationError({"allocation": "只有机井的用水指标可以远程开泵"})
    now = timezone.now()
    policy = _policy(allocation)
    status = allocation_status(allocation, local_day(now), policy.thresholds)
    if not quota.may_start(status, policy, pump_state(allocation), now):
        raise ValidationError({"allocation": "仍超年度指标且未放行，不能远程开泵；请先追加指标或放行"})
    commands = restore(allocation, status, quota.START, reason, by)
    if not commands:
        raise ValidationError({"allocation": "该机井没有可远程开泵的终端"})
    return commands


def _policy_region(region: Region) -> None:
    if region.level > 3:  # RegionLevel.COUNTY: policies are set per county, or for the prefecture as the default
        raise ValidationError({"region": "总量控制策略只能按县市区或州设置"})


@transaction.atomic
def save_policy(region: Region, use: str, thresholds: list[float], stop_at_full: bool, notice_hours: int,
                by: Any) -> QuotaPolicy:
    """Create or change the policy of (``region``, ``use``; blank = every use). Audited ``water.quota.policy``."""
    access.check_actor(by, P.WATER_QUOTA_CONTROL, region)
    _policy_region(region)
    if use not in ("", *WellUse.values):
        raise ValidationError({"use": "用途应为农业灌溉、工业、生活或全部用途"})
    try:
        checked = quota.check_thresholds(thresholds)
    except (TypeError, ValueError) as error:
        raise ValidationError({"thresholds": str(error)}) from error
    try:
        hours = quota.check_notice_hours(notice_hours)
    except ValueError as error:
        raise ValidationError({"notice_hours": str(error)}) from error
    account = by if getattr(by, "is_authenticated", False) else None
    policy, created = QuotaPolicy.objects.select_for_update().get_or_create(region=region, use=use, defaults={
        "thresholds": list(checked), "stop_at_full": bool(stop_at_full), "notice_hours": hours})
    before = {"thresholds": policy.thresholds, "stop_at_full": policy.stop_at_full,
              "notice_hours": policy.notice_hours}
    policy.thresholds, policy.stop_at_full, policy.notice_hours = list(checked), bool(stop_at_full), hours
    policy.updated_by, policy.updated_by_name = account, actor_name(by)
    policy.save()
    audit.record("water.quota.policy", actor=by, target=policy, region=region,
                 reason="新建总量控制策略" if created else "修改总量控制策略", use=use,
                 thresholds=list(checked), stop_at_full=bool(stop_at_full), notice_hours=hours,
                 before=None if created else before)
    return policy
