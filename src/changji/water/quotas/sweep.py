"""Quota service (总量控制、定额管理): usage against allocations, warnings, and pump stop/start.

The decisions are pure and live in ``quota.py``; this module reads allocations and daily usage,
calls them, and carries out what they decide: an audit entry per warning threshold crossed, and a
``pump_stop``/``pump_start`` command queued through ``commands.queue_command`` (井电双控, the
gateway delivers it). Every control action is audited (docs/architecture.md).

Only WELL allocations stop a pump. A water user's or a region's allocation warns at 100 % but
stops nothing: which of the holder's wells to cut is an enforcement decision for the bureau, not
for a sweep (cutting all of a cooperative's wells for one well's overdraw would be disproportionate).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from changji.core import audit
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.models.region import RegionLevel
from changji.water.downlink import SUPPORTED_KINDS, queue_command
from changji.water.models import Allocation, AllocationChange, DailyUsage, QuotaPolicy, Terminal, Well
from changji.water.quotas import policy as quota
from changji.water.usage import monthly
from changji.water.usage.totals import totals

__all__ = [
    "SweepResult",
    "add_allocation",
    "effective_allocation",
    "override",
    "policy_for",
    "quota_overview",
    "sweep_quotas",
    "totals",
    "used_kwh",
    "used_m3",
]

logger = logging.getLogger(__name__)

Thresholds = tuple[float, ...]


def effective_allocation(allocation: Allocation) -> float:
    """Return the allocation in force: the original amount plus every recharge or correction."""
    added = allocation.changes.aggregate(total=Sum("amount_m3"))["total"]
    return allocation.allocation_m3 + (added or 0.0)


def _year_span(year: int, until: date) -> tuple[date, date]:
    """Return the local days counted for ``year`` up to ``until`` (end before start when none)."""
    return date(year, 1, 1), min(until, date(year, 12, 31))


def _holder_filter(allocation: Allocation) -> Q:
    """Return the DailyUsage filter for the allocation's holder: a well, a water user's wells, a region's wells."""
    if allocation.well_id is not None:
        return Q(well_id=allocation.well_id)
    if allocation.water_user_id is not None:
        return Q(well__water_user_id=allocation.water_user_id)
    region = allocation.region
    assert region is not None  # Allocation's check constraint: exactly one of well, water_user and region is set
    return Q(well__region__path__startswith=region.path)


def used_m3(allocation: Allocation, until: date) -> float:
    """Return the counted use (``usage_m3``, metered or 以电折水) of the holder in the year up to ``until``.

    Quotas are set per calendar year and days are Asia/Shanghai days (DailyUsage.day), so use on
    Dec 31 local time belongs to that year even when it was reported on Jan 1 UTC.
    """
    start, end = _year_span(allocation.year, until)
    if end < start:
        return 0.0
    rows = DailyUsage.objects.filter(_holder_filter(allocation), day__range=(start, end))
    return rows.aggregate(total=Sum("usage_m3"))["total"] or 0.0


def used_kwh(allocation: Allocation, until: date) -> float:
    """Return the electricity the holder's wells drew in the year up to ``until`` (for an 电量指标)."""
    start, end = _year_span(allocation.year, until)
    if end < start:
        return 0.0
    rows = DailyUsage.objects.filter(_holder_filter(allocation), day__range=(start, end))
    return rows.aggregate(total=Sum("energy_kwh"))["total"] or 0.0


def allocation_status(allocation: Allocation, today: date, thresholds: Thresholds) -> quota.QuotaStatus:
    """The binding status of an allocation: water, or electricity where an 电量指标 is set and further used."""
    water = quota.quota_status(effective_allocation(allocation), used_m3(allocation, today), thresholds)
    energy = None
    if allocation.allocation_kwh is not None:
        energy = quota.quota_status(allocation.allocation_kwh, used_kwh(allocation, today), thresholds, unit="kWh")
    return quota.binding_status(water, energy)


def policy_for(region: Region | None) -> tuple[Thresholds, quota.StopPolicy]:
    """Return the thresholds and stop policy of the nearest QuotaPolicy at or above ``region``.

    A county may set stricter thresholds than the prefecture; the nearest one wins. Without any
    policy the defaults apply (80/90/100 % and automatic stop).
    """
    codes = region.ancestors() if region is not None else []
    policies = {p.region_id: p for p in QuotaPolicy.objects.filter(region_id__in=codes)}
    for code in reversed(codes):
        if code in policies:
            policy = policies[code]
            thresholds = tuple(sorted(float(t) for t in policy.thresholds)) or quota.DEFAULT_THRESHOLDS
            return thresholds, quota.StopPolicy(auto_stop=policy.auto_stop)
    return quota.DEFAULT_THRESHOLDS, quota.StopPolicy()


@dataclass(slots=True)
class SweepResult:
    """What one sweep did: allocations checked, warnings (allocation id, threshold), command ids queued."""

    checked: int = 0
    warnings: list[tuple[int, float]] = field(default_factory=list)
    stops: list[Any] = field(default_factory=list)
    starts: list[Any] = field(default_factory=list)


def sweep_quotas(today: date, by: Any = "quota-sweep", now: datetime | None = None) -> SweepResult:
    """Check every allocation of ``today``'s year: warn on thresholds crossed, stop or restart pumps.

    Idempotent: warnings are remembered in ``level_reached`` and stops in ``stopped_by_quota``, so a
    second run on the same data changes nothing. Each allocation is its own transaction, locked
    with select_for_update, so one failure does not roll back the others and a concurrent recharge
    or override is either seen whole or not at all. ``now`` (default: the wall clock) decides whether
    an override is active.
    """
    now = now or timezone.now()
    result = SweepResult()
    policies: dict[str | None, tuple[Thresholds, quota.StopPolicy]] = {}
    for allocation_id in Allocation.objects.filter(year=today.year).order_by("pk").values_list("pk", flat=True):
        _sweep_one(allocation_id, today, by, now, result, policies)
        result.checked += 1
    return result


def _sweep_one(allocation_id: int, today: date, by: Any, now: datetime, result: SweepResult,
               policies: dict[str | None, tuple[Thresholds, quota.StopPolicy]]) -> None:
    """Sweep one allocation inside its own locked transaction."""
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
        region_code = allocation.scope_region_id
        if region_code not in policies:
            policies[region_code] = policy_for(allocation.scope_region)
        thresholds, stop_policy = policies[region_code]
        status = allocation_status(allocation, today, thresholds)
        _warn(allocation, status, thresholds, by, result)
        if allocation.well_id is not None:
            _act(allocation, status, stop_policy, by, now, result)


def _used_at_level(level: float, allocation_m3: float) -> float:
    """Return a use whose share is ``level``, to ask quota.newly_crossed what lies above it."""
    if allocation_m3 > 0:
        return level * allocation_m3
    return 1.0 if level > 0 else 0.0  # with no allocation any use is infinitely over


def _json_share(share: float) -> float | None:
    """Return the share for JSON: None when infinite (use with no allocation), which JSON cannot hold."""
    return round(share, 4) if math.isfinite(share) else None


def _warn(allocation: Allocation, status: quota.QuotaStatus, thresholds: Thresholds, by: Any,
          result: SweepResult) -> None:
    """Audit each threshold crossed since ``level_reached`` once, and remember the highest."""
    previous = _used_at_level(allocation.level_reached, status.allocation)
    crossed = quota.newly_crossed(previous, status.used, status.allocation, thresholds)
    crossed = [t for t in crossed if t > allocation.level_reached]  # guards float round-trips of the level
    for threshold in crossed:
        what = "用电量达到年度电量指标" if status.unit == "kWh" else "用水量达到年度指标"
        audit.record("water.quota.warning", actor=by, target=allocation, region=allocation.scope_region,
                     reason=f"{what}的 {threshold:.0%}", threshold=threshold, share=_json_share(status.share),
                     **_figures(status))
        result.warnings.append((allocation.pk, threshold))
    if crossed:
        allocation.level_reached = max(crossed)
        allocation.save(update_fields=["level_reached"])


def _pump_terminals(allocation: Allocation, kind: str) -> list[Terminal]:
    """Return the well's terminals whose protocol can carry ``kind`` (SUPPORTED_KINDS); none without a well."""
    if allocation.well is None:  # a water user's or a region's allocation has no pump (sweep() acts on wells only)
        return []
    return [t for t in allocation.well.terminals.all() if kind in SUPPORTED_KINDS.get(t.protocol, frozenset())]


def _act(allocation: Allocation, status: quota.QuotaStatus, policy: quota.StopPolicy, by: Any, now: datetime,
         result: SweepResult) -> None:
    """Queue pump_stop or pump_start as quota.quota_action decides, flip ``stopped_by_quota`` and audit.

    The flag changes even when no terminal can carry the command, so the sweep stays idempotent;
    the audit entry then lists no command, which shows the gap to whoever reviews it.
    """
    pump = quota.PumpState(allocation.stopped_by_quota, allocation.override_until)
    action = quota.quota_action(status, policy, pump, now)
    if action is None:
        return
    unit = "kWh" if status.unit == "kWh" else "m³"
    figures = f"已用 {status.used:.0f} {unit} / 指标 {status.allocation:.0f} {unit}"
    if action == "stop":
        what = "超年度电量指标" if status.unit == "kWh" else "超年度用水指标"
        kind, event, reason, sink = "pump_stop", "water.quota.stop", f"{what}（{figures}）", result.stops
    elif pump.override_until is not None and now < pump.override_until:
        kind, event, sink = "pump_start", "water.quota.restore", result.starts
        reason = f"人工放行至 {timezone.localtime(pump.override_until):%Y-%m-%d %H:%M}（{allocation.override_reason}）"
    else:
        kind, event, reason, sink = "pump_start", "water.quota.restore", f"用水指标已恢复（{figures}）", result.starts
    commands = [queue_command(terminal, kind, reason, by) for terminal in _pump_terminals(allocation, kind)]
    if not commands:
        logger.warning("allocation %s: no terminal of well %s can carry %s", allocation.pk, allocation.well_id, kind)
    sink.extend(command.pk for command in commands)
    allocation.stopped_by_quota = action == "stop"
    allocation.save(update_fields=["stopped_by_quota"])
    audit.record(event, actor=by, target=allocation, region=allocation.scope_region, reason=reason,
                 commands=[str(c.pk) for c in commands], share=_json_share(status.share), **_figures(status))


def _figures(status: quota.QuotaStatus) -> dict[str, float]:
    """The audit detail of a status, with the unit in the names (used_m3 / used_kwh)."""
    suffix = "kwh" if status.unit == "kWh" else "m3"
    return {f"used_{suffix}": status.used, f"allocation_{suffix}": status.allocation}


def _actor_name(by: Any) -> str:
    return by.get_username() if getattr(by, "is_authenticated", False) else str(by)


def _required_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": "必须填写原因"})
    return reason.strip()


@transaction.atomic
def override(allocation: Allocation, by: Any, reason: str, until: datetime) -> Allocation:
    """Let a well keep pumping past its quota until ``until`` (e.g. approved drought-relief irrigation).

    The reason is mandatory because pumping past the licence must be justified on inspection.
    The next sweep restarts a pump the quota stopped while the override is active, and stops it
    again once the override has expired and the share is still over.
    """
    reason = _required_reason(reason)
    if until is None or timezone.is_naive(until) or until <= timezone.now():
        raise ValidationError({"until": "放行截止时间必须是将来的时间"})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.well_id is None:
        raise ValidationError({"allocation": "只有机井的用水指标可以放行"})
    allocation.override_until = until
    allocation.override_reason = reason
    allocation.override_by_name = _actor_name(by)
    allocation.save(update_fields=["override_until", "override_reason", "override_by_name"])
    audit.record("water.quota.override", actor=by, target=allocation, region=allocation.scope_region,
                 reason=reason, until=until.isoformat())
    return allocation


@transaction.atomic
def add_allocation(allocation: Allocation, amount_m3: float, reason: str, by: Any) -> AllocationChange:
    """Append a recharge (IC-card purchase) or an added allocation (追加指标); negative withdraws.

    Warnings re-arm: ``level_reached`` drops to the level under the new allocation, so the 80/90/100 %
    warnings go out again as use approaches the new limit. The next sweep restarts a pump whose
    share is back under the stop threshold.
    """
    reason = _required_reason(reason)
    if amount_m3 is None or not math.isfinite(amount_m3) or amount_m3 == 0:
        raise ValidationError({"amount_m3": "调整水量必须是非零数值"})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=amount_m3, reason=reason,
                                             by_name=_actor_name(by))
    thresholds, _ = policy_for(allocation.scope_region)
    effective = effective_allocation(allocation)
    level = quota.quota_status(effective, used_m3(allocation, local_day(timezone.now())), thresholds).level
    if level < allocation.level_reached:
        allocation.level_reached = level
        allocation.save(update_fields=["level_reached"])
    audit.record("water.quota.recharge", actor=by, target=allocation, region=allocation.scope_region,
                 reason=reason, amount_m3=amount_m3, allocation_m3=effective)
    return change


def _county_of(path: str | None) -> str | None:
    """Return the county code on a region path, None for a region above county level."""
    codes = [code for code in (path or "").split("/") if code]
    return codes[RegionLevel.COUNTY] if len(codes) > RegionLevel.COUNTY else None


def _overview_units(year: int, today: date, under: Region) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Return (usage, allocation, parent) maps for quota.roll_up over well → water user → county.

    A well with a water user rolls up through the water user (the licence holder), so a user's
    allocation is not added on top of its wells'; a well without one rolls up to its own county.
    A water user is counted in the county of its registered region.
    """
    usage: dict[str, float] = {}
    allocation: dict[str, float] = {}
    parent: dict[str, str] = {}

    def link(well: str, path: str, user: str | None, user_path: str | None) -> None:
        county = _county_of(user_path if user else path)
        if user:
            parent[f"well:{well}"] = f"user:{user}"
        target = f"user:{user}" if user else f"well:{well}"
        if county:
            parent[target] = f"county:{county}"

    start, end = _year_span(year, today)
    used = monthly.sums(start, end, under.path, figures=("usage_m3",)) if start <= end else {}
    wells = Well.objects.filter(pk__in=list(used)).values_list("pk", "code", "region__path", "water_user__code",
                                                                "water_user__region__path")
    for well_id, code, path, user_code, user_path in wells.iterator(chunk_size=5000):
        usage[f"well:{code}"] = used[well_id]["usage_m3"] or 0.0
        link(code, path, user_code, user_path)
    for a in (Allocation.objects.filter(year=year, scope_region__path__startswith=under.path)
              .select_related("well__water_user__region", "well__region", "water_user__region", "region")
              .annotate(added=Sum("changes__amount_m3"))):
        amount = a.allocation_m3 + (a.added or 0.0)
        # The holders were loaded with select_related: testing the object costs no query, as testing its id.
        if a.well is not None:
            user = a.well.water_user
            allocation[f"well:{a.well.code}"] = amount
            link(a.well.code, a.well.region.path, user.code if user else None, user.region.path if user else None)
        elif a.water_user is not None:
            allocation[f"user:{a.water_user.code}"] = amount
            if county := _county_of(a.water_user.region.path):
                parent[f"user:{a.water_user.code}"] = f"county:{county}"
        elif a.region is not None and a.region.level == RegionLevel.COUNTY:
            allocation[f"county:{a.region.code}"] = amount
    return usage, allocation, parent


def quota_overview(year: int, today: date, regions_under: Region) -> list[dict[str, Any]]:
    """Return one row per county within ``regions_under``: allocation, use, share and level for the dashboard.

    A county's allocation is its own Allocation (总量 caps the county) when it has one, else the
    sum of its water users' and wells' allocations via quota.roll_up. Township and village
    allocations are sub-caps of the same water and are not added in. ``share`` is None when water
    was used against no allocation (an infinite share).
    """
    usage, allocation, parent = _overview_units(year, today, regions_under)
    statuses = quota.roll_up(usage, allocation, parent)
    rows = []
    for county in Region.objects.within(regions_under).filter(level=RegionLevel.COUNTY).order_by("code"):
        unit = f"county:{county.code}"
        rolled = statuses.get(unit) or quota.quota_status(0.0, 0.0)
        thresholds, _ = policy_for(county)
        status = quota.quota_status(rolled.allocation, rolled.used, thresholds)
        rows.append({
            "region": county.code, "name": county.name, "year": year,
            "allocation_m3": status.allocation, "own_allocation": unit in allocation,
            "used_m3": status.used, "remaining_m3": status.remaining,
            "share": _json_share(status.share), "level": status.level,
        })
    return rows
