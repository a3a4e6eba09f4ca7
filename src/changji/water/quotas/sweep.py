"""Quota sweep (总量控制、定额管理): usage against allocations, warnings, and the life of a quota stop.

The decisions are pure and live in ``quotas/policy.py``; this module reads allocations, daily usage and
the QuotaPolicy of the well's region and use class, calls them, and carries out what they decide: an
audit entry per warning threshold crossed; at 100 % a stop announced with the policy's notice
(``water.quota.stop_announced``); when the notice has run out a ``pump_stop`` queued through
``downlink.queue_command`` (``water.quota.stop``; 井电双控, the gateway delivers it); back under the limit
or overridden, the announcement withdrawn (``water.quota.stop_cancelled``) or service restored with a
``pump_unlock`` (``water.quota.restore``, mode ``unlock``). Every control action is audited
(docs/architecture.md), its target the Allocation, so the notices can follow the audit trail.

Only WELL allocations stop a pump. A water user's or a region's allocation warns at 100 % but
stops nothing: which of the holder's wells to cut is an enforcement decision for the bureau, not
for a sweep (cutting all of a cooperative's wells for one well's overdraw would be disproportionate).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from changji.core import audit
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.models.region import RegionLevel
from changji.water.downlink import SUPPORTED_KINDS, cancel_command, queue_command
from changji.water.models import (
    Allocation,
    AllocationChange,
    Command,
    CommandState,
    DailyUsage,
    MonthlyUsage,
    QuotaPolicy,
    Terminal,
    Well,
)
from changji.water.quotas import policy as quota
from changji.water.usage import monthly
from changji.water.usage.totals import totals

__all__ = [
    "SweepResult",
    "add_allocation",
    "allocation_status",
    "effective_allocation",
    "policy_for",
    "quota_overview",
    "sweep_allocation",
    "sweep_quotas",
    "totals",
    "used_kwh",
    "used_m3",
]

logger = logging.getLogger(__name__)

Thresholds = tuple[float, ...]
PolicyKey = tuple[str | None, str]
#: The name the sweep acts under (audit entries, commands).
SWEEP = "quota-sweep"


def counting_changes(allocation: Allocation, on: date | None = None) -> QuerySet[AllocationChange]:
    """Return the allocation's changes that count on local day ``on`` (default: today): expired top-ups do not."""
    on = on or local_day(timezone.now())
    return allocation.changes.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))


def effective_allocation(allocation: Allocation, on: date | None = None) -> float:
    """Return the allocation in force on ``on`` (default: today): the original amount plus the changes that count.

    A temporary top-up counts through its ``expires_on`` and not after (policy.top_up_counts); a reversal
    carries the expiry of the change it reverses, so the two cancel out on every day.
    """
    added = counting_changes(allocation, on).aggregate(total=Sum("amount_m3"))["total"]
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


def _holder_total(allocation: Allocation, until: date, figure: str) -> float:
    """Return the holder's ``figure`` (usage_m3 or energy_kwh) summed over the allocation's year up to ``until``.

    Read as every figure of a span is (``usage.monthly``): the rollups of the closed months wholly inside the
    span, the days elsewhere, so the sweep's screen, this exact pass, the dashboard and the reports add up the
    same water.
    """
    start, end = _year_span(allocation.year, until)
    if end < start:
        return 0.0
    span = monthly.split_span(start, end)
    monthly.seal_closed_months(start, end)
    holder = _holder_filter(allocation)
    total = 0.0
    if span.months:
        total += MonthlyUsage.objects.filter(holder, month__in=span.months).aggregate(t=Sum(figure))["t"] or 0.0
    for first, last in span.daily:
        total += DailyUsage.objects.filter(holder, day__range=(first, last)).aggregate(t=Sum(figure))["t"] or 0.0
    return total


def used_m3(allocation: Allocation, until: date) -> float:
    """Return the counted use (``usage_m3``, metered or 以电折水) of the holder in the year up to ``until``.

    Quotas are set per calendar year and days are Asia/Shanghai days (DailyUsage.day), so use on
    Dec 31 local time belongs to that year even when it was reported on Jan 1 UTC.
    """
    return _holder_total(allocation, until, "usage_m3")


def used_kwh(allocation: Allocation, until: date) -> float:
    """Return the electricity the holder's wells drew in the year up to ``until`` (for an 电量指标)."""
    return _holder_total(allocation, until, "energy_kwh")


def allocation_status(allocation: Allocation, today: date, thresholds: Thresholds) -> quota.QuotaStatus:
    """The binding status of an allocation: water, or electricity where an 电量指标 is set and further used."""
    water = quota.quota_status(effective_allocation(allocation, today), used_m3(allocation, today), thresholds)
    energy = None
    if allocation.allocation_kwh is not None:
        energy = quota.quota_status(allocation.allocation_kwh, used_kwh(allocation, today), thresholds, unit="kWh")
    return quota.binding_status(water, energy)


def policy_for(region: Region | None, use: str = "") -> quota.StopPolicy:
    """Return the policy that applies to a well of ``use`` (blank: any holder) in ``region``.

    The nearest QuotaPolicy at or above ``region`` wins, the exact use class before the blank one
    (policy.pick_policy): a county may set stricter thresholds or a longer notice than the prefecture,
    and a warn-only policy for its domestic wells. Without any the defaults apply: 80/90/100 %, stop at
    100 % after 48 h of notice.
    """
    codes = region.ancestors() if region is not None else []
    rows = {(p.region_id, p.use): p for p in QuotaPolicy.objects.filter(region_id__in=codes)}
    row = quota.pick_policy(rows, codes, use)
    if row is None:
        return quota.StopPolicy()
    thresholds = tuple(sorted(float(t) for t in row.thresholds)) or quota.DEFAULT_THRESHOLDS
    return quota.StopPolicy(thresholds=thresholds, auto_stop=row.stop_at_full,
                            notice=timedelta(hours=row.notice_hours))


@dataclass(slots=True)
class SweepResult:
    """What one sweep did: allocations checked, warnings (allocation id, threshold), announcements, command ids."""

    checked: int = 0
    warnings: list[tuple[int, float]] = field(default_factory=list)
    announced: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    stops: list[Any] = field(default_factory=list)
    starts: list[Any] = field(default_factory=list)


def sweep_quotas(today: date, by: Any = SWEEP, now: datetime | None = None) -> SweepResult:
    """Check every allocation of ``today``'s year: warn on thresholds crossed, announce, stop or restore.

    Idempotent: warnings are remembered in ``level_reached``, announcements in ``stop_due_at`` and stops
    in ``stopped_by_quota``, so a second run on the same data changes nothing. Each allocation is its own
    transaction, locked with select_for_update, so one failure does not roll back the others and a
    concurrent top-up or override is either seen whole or not at all. ``now`` (default: the wall clock)
    decides whether an override is active and whether an announced stop has fallen due.
    """
    now = now or timezone.now()
    result = SweepResult()
    policies: dict[PolicyKey, quota.StopPolicy] = {}
    due, result.checked = _screen(today, now, policies)
    for allocation_id in due:
        _sweep_one(allocation_id, today, by, now, result, policies)
    _close_past_years(today, by, result)
    return result


#: Relative slack of the screen: it sums the monthly rollups where the locked pass sums the days, so the two
#: totals may differ in their last digits; a use this close to a threshold is looked at closely.
SCREEN_SLACK = 1e-6


def _screen(today: date, now: datetime, policies: dict[PolicyKey, quota.StopPolicy]) -> tuple[list[int], int]:
    """Return the ids of the year's allocations that may have something to do, and how many were screened.

    One pass over every allocation of the year, with each well's use of the year from the monthly rollups
    (``usage.monthly.sums``: a few grouped queries for all wells instead of three queries per allocation):
    a well's allocation is left out when, with its use a little above and a little below the summed one, no
    threshold is newly crossed and ``quota.quota_action`` has nothing to do. Only those left go through the
    locked, exact ``_sweep_one``, so a minutely sweep of 10,401 wells touches the few near a threshold or a
    due time. Water users' and regions' allocations (a handful) are always looked at.
    """
    # Wells reported from below (water.sharing) are the lower level's to warn and stop.
    rows = list(Allocation.objects.filter(Q(well__isnull=True) | Q(well__reported_by=""), year=today.year)
                .order_by("pk").values_list(
        "pk", "well_id", "allocation_m3", "allocation_kwh", "level_reached", "stopped_by_quota", "override_until",
        "stop_due_at", "scope_region_id", "well__use"))
    start, end = _year_span(today.year, today)
    used = monthly.sums(start, end, figures=monthly.USE_FIGURES) if start <= end and rows else {}
    counting = Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    added = dict(AllocationChange.objects.filter(counting, allocation__year=today.year).values("allocation_id")
                 .annotate(total=Sum("amount_m3")).values_list("allocation_id", "total"))
    regions = Region.objects.in_bulk({row[8] for row in rows if row[8]})
    due = []
    for pk, well_id, m3, kwh, level, stopped, override_until, stop_due_at, region_id, use in rows:
        if well_id is None:
            due.append(pk)
            continue
        key = (region_id, use)
        if key not in policies:
            policies[key] = policy_for(regions.get(region_id), use)
        figures = used.get(well_id) or {}
        pump = quota.PumpState(stopped, override_until, stop_due_at, use)
        water = (m3 + (added.get(pk) or 0.0), figures.get("usage_m3") or 0.0)
        energy = None if kwh is None else (kwh, figures.get("energy_kwh") or 0.0)
        if any(_has_work(water, energy, level, policies[key], pump, now, factor)
               for factor in (1 - SCREEN_SLACK, 1 + SCREEN_SLACK)):
            due.append(pk)
    return due, len(rows)


def _has_work(water: tuple[float, float], energy: tuple[float, float] | None, level: float,
              policy: quota.StopPolicy, pump: quota.PumpState, now: datetime, factor: float) -> bool:
    """Return whether the allocation would warn or act (the decisions of ``_warn`` and ``_act``).

    ``water`` and ``energy`` are (allocation, use) pairs; the use is scaled by ``factor``.
    """
    status = quota.quota_status(water[0], water[1] * factor, policy.thresholds)
    if energy is not None:
        kwh = quota.quota_status(energy[0], energy[1] * factor, policy.thresholds, unit="kWh")
        status = quota.binding_status(status, kwh)
    crossed = quota.newly_crossed(_used_at_level(level, status.allocation), status.used, status.allocation,
                                  policy.thresholds)
    return any(t > level for t in crossed) or quota.quota_action(status, policy, pump, now) is not None


def _close_past_years(today: date, by: Any, result: SweepResult) -> None:
    """Release what a past year's allocation still holds: its quota ended with its year.

    A well stopped under last year's allocation is unlocked (the new year's allocation decides from now
    on) and a stop announced in December and not yet due is withdrawn.
    """
    held = Allocation.objects.filter(Q(stopped_by_quota=True) | Q(stop_due_at__isnull=False), year__lt=today.year)
    for allocation_id in held.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
            status = allocation_status(allocation, today, quota.DEFAULT_THRESHOLDS)
            reason = f"{allocation.year} 年度用水指标已结束"
            if allocation.stopped_by_quota:
                restore(allocation, status, quota.UNLOCK, reason, by, result)
                continue
            _withdraw(allocation, status, reason, by, result)


def sweep_allocation(allocation: Allocation, now: datetime | None = None, by: Any = SWEEP) -> SweepResult:
    """Sweep one allocation now, as the minutely sweep would: a service calls it after a top-up or override.

    The outcome (a withdrawn announcement, an unlock) is the sweep's, audited under the sweep's name; the
    change that caused it is audited under the operator's.
    """
    now = now or timezone.now()
    result = SweepResult(checked=1)
    _sweep_one(allocation.pk, local_day(now), by, now, result, {})
    return result


def _sweep_one(allocation_id: int, today: date, by: Any, now: datetime, result: SweepResult,
               policies: dict[PolicyKey, quota.StopPolicy]) -> None:
    """Sweep one allocation inside its own locked transaction."""
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
        use = allocation.well.use if allocation.well is not None else ""
        key = (allocation.scope_region_id, use)
        if key not in policies:
            policies[key] = policy_for(allocation.scope_region, use)
        policy = policies[key]
        status = allocation_status(allocation, today, policy.thresholds)
        _warn(allocation, status, policy.thresholds, by, result)
        if allocation.well is not None:
            _act(allocation, status, policy, by, now, result)


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
    if allocation.well.reported_by:  # its pump is the lower level's (water.sharing): never stopped from here
        return []
    return [t for t in allocation.well.terminals.all() if kind in SUPPORTED_KINDS.get(t.protocol, frozenset())]


def pump_state(allocation: Allocation) -> quota.PumpState:
    """Return the pure view of what the quota did to the allocation's pump."""
    use = allocation.well.use if allocation.well is not None else ""
    return quota.PumpState(allocation.stopped_by_quota, allocation.override_until, allocation.stop_due_at, use)


def _act(allocation: Allocation, status: quota.QuotaStatus, policy: quota.StopPolicy, by: Any, now: datetime,
         result: SweepResult) -> None:
    """Carry out quota.quota_action: announce, stop, cancel or restore, each audited.

    An announcement with no notice (0 h) falls due at once, so the same sweep goes on to stop. The flags
    change even when no terminal can carry a command, so the sweep stays idempotent; the audit entry then
    lists no command, which shows the gap to whoever reviews it.
    """
    for _ in range(2):
        action = quota.quota_action(status, policy, pump_state(allocation), now)
        if action == "announce":
            _announce(allocation, status, policy, by, now, result)
            continue
        if action == "stop":
            _stop(allocation, status, by, result)
        elif action == "cancel":
            _cancel(allocation, status, policy, by, now, result)
        elif action == "restore":
            restore(allocation, status, quota.UNLOCK, _restore_reason(allocation, status, now), by, result)
        return


def _water_figures(allocation: Allocation, status: quota.QuotaStatus) -> dict[str, float]:
    """The water figures of the audit detail (used_m3, allocation_m3) even where the kWh allocation binds."""
    if status.unit != "kWh":
        return _figures(status)
    today = local_day(timezone.now())
    return {"used_m3": used_m3(allocation, today), "allocation_m3": effective_allocation(allocation, today),
            **_figures(status)}


def _announce(allocation: Allocation, status: quota.QuotaStatus, policy: quota.StopPolicy, by: Any, now: datetime,
              result: SweepResult) -> None:
    due = quota.stop_due(policy, now)
    allocation.stop_announced_at, allocation.stop_due_at = now, due
    allocation.save(update_fields=["stop_announced_at", "stop_due_at"])
    hours = policy.notice.total_seconds() / 3600
    notice_hours: float = int(hours) if hours.is_integer() else round(hours, 2)
    audit.record("water.quota.stop_announced", actor=by, target=allocation, region=allocation.scope_region,
                 reason=f"{_over_what(status)}（{_figures_text(status)}），"
                        f"将于 {timezone.localtime(due):%Y-%m-%d %H:%M} 关泵",
                 stop_due_at=due.isoformat(), notice_hours=notice_hours, share=_json_share(status.share),
                 **_water_figures(allocation, status))
    result.announced.append(allocation.pk)


def _stop(allocation: Allocation, status: quota.QuotaStatus, by: Any, result: SweepResult) -> None:
    reason = f"{_over_what(status)}（{_figures_text(status)}）"
    commands = _queue(allocation, "pump_stop", reason, by)
    result.stops.extend(command.pk for command in commands)
    allocation.stopped_by_quota = True
    allocation.save(update_fields=["stopped_by_quota"])
    audit.record("water.quota.stop", actor=by, target=allocation, region=allocation.scope_region, reason=reason,
                 commands=[str(c.pk) for c in commands], share=_json_share(status.share),
                 stop_due_at=allocation.stop_due_at.isoformat() if allocation.stop_due_at else None,
                 **_figures(status))


def _cancel(allocation: Allocation, status: quota.QuotaStatus, policy: quota.StopPolicy, by: Any, now: datetime,
            result: SweepResult) -> None:
    pump = pump_state(allocation)
    if quota.override_active(pump, now):
        why = f"人工放行至 {timezone.localtime(allocation.override_until):%Y-%m-%d %H:%M}"
    elif not quota.may_stop(policy, pump.use):
        why = "生活用水井不自动关泵" if pump.use == quota.DOMESTIC else "总量控制策略不再关泵"
    else:
        why = f"用水指标已恢复（{_figures_text(status)}）"
    _withdraw(allocation, status, why, by, result)


def _withdraw(allocation: Allocation, status: quota.QuotaStatus, why: str, by: Any, result: SweepResult) -> None:
    """Withdraw an announced stop (``water.quota.stop_cancelled``, with ``why``) and clear its due time."""
    due = allocation.stop_due_at
    allocation.stop_announced_at = allocation.stop_due_at = None
    allocation.save(update_fields=["stop_announced_at", "stop_due_at"])
    audit.record("water.quota.stop_cancelled", actor=by, target=allocation, region=allocation.scope_region,
                 reason=f"撤销关泵预告：{why}", stop_due_at=due.isoformat() if due else None,
                 share=_json_share(status.share), **_figures(status))
    result.cancelled.append(allocation.pk)


def _restore_reason(allocation: Allocation, status: quota.QuotaStatus, now: datetime) -> str:
    if quota.override_active(pump_state(allocation), now):
        until = timezone.localtime(allocation.override_until)
        return f"人工放行至 {until:%Y-%m-%d %H:%M}（{allocation.override_reason}）"
    if allocation.well is not None and allocation.well.use == quota.DOMESTIC and status.share >= 1.0:
        return "生活用水井不因超指标关泵"
    if status.share >= 1.0:
        return f"总量控制策略已改为超指标仅预警、不关泵（{_figures_text(status)}）"
    return f"用水指标已恢复（{_figures_text(status)}）"


def restore(allocation: Allocation, status: quota.QuotaStatus, mode: str, reason: str, by: Any,
            result: SweepResult | None = None) -> list[Command]:
    """Restore service to a well: ``unlock`` (the farmer restarts on site) or ``start`` (remote start). Audited.

    Stops still waiting in the queue are cancelled first, so an unlock is never followed by a late stop.
    The caller holds the allocation's row lock and has checked that the quota no longer holds the pump.
    """
    kind = quota.restore_command(mode)
    for command in Command.objects.filter(terminal__well=allocation.well, kind="pump_stop",
                                          state__in=(CommandState.QUEUED, CommandState.SENT)):
        cancel_command(command, by, f"用水指标已恢复，撤销关泵：{reason}")
    commands = _queue(allocation, kind, reason, by)
    if result is not None:
        result.starts.extend(command.pk for command in commands)
    allocation.stopped_by_quota = False
    allocation.stop_announced_at = allocation.stop_due_at = None
    allocation.save(update_fields=["stopped_by_quota", "stop_announced_at", "stop_due_at"])
    audit.record("water.quota.restore", actor=by, target=allocation, region=allocation.scope_region, reason=reason,
                 mode=mode, commands=[str(c.pk) for c in commands], share=_json_share(status.share),
                 **_figures(status))
    return commands


def _queue(allocation: Allocation, kind: str, reason: str, by: Any) -> list[Command]:
    commands = [queue_command(terminal, kind, reason, by) for terminal in _pump_terminals(allocation, kind)]
    if not commands:
        logger.warning("allocation %s: no terminal of well %s can carry %s", allocation.pk, allocation.well_id, kind)
    return commands


def _over_what(status: quota.QuotaStatus) -> str:
    return "超年度电量指标" if status.unit == "kWh" else "超年度用水指标"


def _figures_text(status: quota.QuotaStatus) -> str:
    unit = "kWh" if status.unit == "kWh" else "m³"
    return f"已用 {status.used:.0f} {unit} / 指标 {status.allocation:.0f} {unit}"


def _figures(status: quota.QuotaStatus) -> dict[str, float]:
    """The audit detail of a status, with the unit in the names (used_m3 / used_kwh)."""
    suffix = "kwh" if status.unit == "kWh" else "m3"
    return {f"used_{suffix}": status.used, f"allocation_{suffix}": status.allocation}


def actor_name(by: Any) -> str:
    """Return the name of an account (its username) or of a system actor (the string itself)."""
    return by.get_username() if getattr(by, "is_authenticated", False) else str(by)


def required_reason(reason: str | None) -> str:
    """Return the stripped reason, or raise ValidationError when it is missing: every change must be justified."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": "必须填写原因"})
    return reason.strip()


def rearm_warnings(allocation: Allocation, policy: quota.StopPolicy) -> float:
    """Lower ``level_reached`` to the level under the allocation now in force; return that allocation (m³).

    After a top-up the 80/90/100 % warnings go out again as use approaches the new limit.
    """
    today = local_day(timezone.now())
    effective = effective_allocation(allocation, today)
    level = quota.quota_status(effective, used_m3(allocation, today), policy.thresholds).level
    if level < allocation.level_reached:
        allocation.level_reached = level
        allocation.save(update_fields=["level_reached"])
    return effective


@transaction.atomic
def add_allocation(allocation: Allocation, amount_m3: float, reason: str, by: Any) -> AllocationChange:
    """Append a recharge (IC-card purchase) or a correction; negative withdraws. Audited ``water.quota.recharge``.

    Warnings re-arm (``rearm_warnings``). The next sweep restores a pump whose share is back under the
    stop threshold. An approved top-up (追加指标) goes through ``quotas.controls.top_up`` instead.
    """
    reason = required_reason(reason)
    if amount_m3 is None or not math.isfinite(amount_m3) or amount_m3 == 0:
        raise ValidationError({"amount_m3": "调整水量必须是非零数值"})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=amount_m3, reason=reason,
                                             by_name=actor_name(by))
    use = allocation.well.use if allocation.well is not None else ""
    effective = rearm_warnings(allocation, policy_for(allocation.scope_region, use))
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
              .annotate(added=Sum("changes__amount_m3", filter=Q(changes__expires_on__isnull=True)
                                  | Q(changes__expires_on__gte=today)))):
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
        status = quota.quota_status(rolled.allocation, rolled.used, policy_for(county).thresholds)
        rows.append({
            "region": county.code, "name": county.name, "year": year,
            "allocation_m3": status.allocation, "own_allocation": unit in allocation,
            "used_m3": status.used, "remaining_m3": status.remaining,
            "share": _json_share(status.share), "level": status.level,
        })
    return rows
