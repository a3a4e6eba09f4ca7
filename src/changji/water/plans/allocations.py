"""Allocations derived from the annual plans and county targets (用水指标由年度取水计划派生，不另行录入).

The quota sweep (``water.quotas.sweep``) enforces ``Allocation`` rows; since issue 14 nobody types them.
They follow the plans:

* **well allocations** — a plan's volume is split across the *extraction* wells attached to its licence
  in proportion to each pump's rated flow (``Well.pump_rated_flow_m3h``): a well that can pump twice as
  much gets twice the share. When any of the licence's wells has no rated flow, the volume is split
  equally (a proportional split with a guessed flow would be arbitrary). A well on two licences gets
  the sum of its shares; its ``plan`` names the plan that gave it the larger share;
* **county allocations** — one ``Allocation(region=county)`` per ``CountyWaterTarget``, equal to the
  target (the 总量 cap of the county that the dashboard's 年度指标 shows and the sweep warns on).

Re-derivation updates ``allocation_m3`` (and ``plan``) in place: the allocation keeps its changes
(``AllocationChange``: recharges and 追加指标 on top of the plan) and its quota fields (a stop, an override);
when the amount is raised the warning level drops to the level under the new amount, so a raised plan
warns again at 80/90/100 %. An allocation this module made whose plan or target is gone (plan deleted,
well detached from the licence, licence no longer valid, target deleted) is set to 0 m³ rather than
deleted, so the sweep's history and the top-ups stay; with no allocation left the sweep treats further
pumping as over quota (no licence, no withdrawal: 《取水许可和水资源费征收管理条例》第二条). Derived rows
carry ``DERIVED_NOTE``: allocations entered before issue 14 (without it) are left as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from changji.core import audit, localtime
from changji.core.models import Region
from changji.water.models import Allocation, AnnualPlan, CountyWaterTarget, Licence, LicenceState, Well, WellKind
from changji.water.quotas import policy as quota
from changji.water.quotas.sweep import effective_allocation, policy_for, used_m3

#: The note of every allocation this module writes; it marks the rows re-derivation owns.
DERIVED_NOTE = "由年度取水计划派生"
COUNTY_NOTE = "由县级总量控制指标派生"


@dataclass(slots=True)
class Derivation:
    """What one derivation did: well and county allocations created, updated (amount changed) and zeroed."""

    created: int = 0
    updated: int = 0
    zeroed: int = 0
    unchanged: int = 0
    counties: int = 0

    def as_detail(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "zeroed": self.zeroed,
                "unchanged": self.unchanged, "counties": self.counties}


def well_shares(volume_m3: float, wells: list[tuple[int, float | None]]) -> dict[int, float]:
    """Split a plan's volume over (well id, rated flow m³/h): by flow, or equally when any flow is missing or 0."""
    if not wells:
        return {}
    flows = [flow for _, flow in wells]
    if any(flow is None or flow <= 0 for flow in flows):
        return {well_id: volume_m3 / len(wells) for well_id, _ in wells}
    total = float(sum(flow for flow in flows if flow is not None))
    return {well_id: volume_m3 * (flow or 0.0) / total for well_id, flow in wells}


def _plans(year: int, licence_ids: Iterable[int] | None, region: Region | None) -> list[AnnualPlan]:
    """The year's plans that stand, limited to some licences or a region.

    A plan stands while its licence is valid, and also once the licence has expired for the years its term
    reached into: a licence ending on 31 December (or 30 June) leaves that year's plan as it was, so the year's
    quota and its tax are not rewritten when the expiry job moves it to 过期. A suspended or revoked licence's
    plans no longer stand.
    """
    standing = Q(licence__state=LicenceState.VALID) | Q(licence__state=LicenceState.EXPIRED,
                                                          licence__valid_to__year__gte=year)
    plans = AnnualPlan.objects.filter(standing, year=year)
    if licence_ids is not None:
        plans = plans.filter(licence_id__in=list(licence_ids))
    if region is not None:
        plans = plans.filter(region__path__startswith=region.path)
    return list(plans.only("pk", "licence_id", "volume_m3"))


def _licence_wells(licence_ids: set[int]) -> dict[int, list[tuple[int, float | None]]]:
    """Each licence's extraction wells as (well id, rated flow), in well id order."""
    through = Licence.wells.through.objects.filter(licence_id__in=licence_ids,
                                                   well__kind=WellKind.EXTRACTION).order_by("well_id")
    out: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    for licence_id, well_id, flow in through.values_list("licence_id", "well_id", "well__pump_rated_flow_m3h"):
        out[licence_id].append((well_id, flow))
    return out


def _targets(year: int, plans: list[AnnualPlan]) -> dict[int, tuple[float, int]]:
    """Well id → (allocation m³, id of the plan that gave the larger share)."""
    by_licence = _licence_wells({plan.licence_id for plan in plans})
    amounts: dict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, int]] = {}
    for plan in plans:
        for well_id, share in well_shares(plan.volume_m3, by_licence.get(plan.licence_id, [])).items():
            amounts[well_id] += share
            if well_id not in best or share > best[well_id][0]:
                best[well_id] = (share, plan.pk)
    return {well_id: (round(amount, 2), best[well_id][1]) for well_id, amount in amounts.items()}


def _affected_wells(year: int, licence: Licence | None, region: Region | None) -> Q:
    """The well allocations a derivation owns: all derived ones, or those of one licence's wells, or a region's."""
    derived = Q(plan__isnull=False) | Q(note=DERIVED_NOTE)
    if licence is not None:
        wells = list(licence.wells.values_list("pk", flat=True))
        return derived & (Q(well_id__in=wells) | Q(plan__licence=licence)) & Q(year=year)
    within = Q() if region is None else Q(scope_region__path__startswith=region.path)
    return derived & within & Q(year=year, well__isnull=False)


@transaction.atomic
def derive_allocations(year: int, *, licence: Licence | None = None, region: Region | None = None,
                       by: Any = "plans") -> Derivation:
    """Upsert the year's well allocations from its plans and county allocations from its targets.

    ``licence`` limits the derivation to the wells of one licence (after a plan of it is saved), ``region``
    to a region's plans and allocations (an import, a carry-forward); neither: every plan of the year.
    Audited once (``water.allocation.derived``) with the counts.
    """
    result = Derivation()
    if licence is not None:
        wells = set(licence.wells.values_list("pk", flat=True)) | set(
            Allocation.objects.filter(year=year, plan__licence=licence).values_list("well_id", flat=True))
        # A well may be on another licence too: its allocation is the sum over every plan that covers it.
        licence_ids = set(Licence.wells.through.objects.filter(well_id__in=wells).values_list("licence_id", flat=True))
        targets = {w: t for w, t in _targets(year, _plans(year, licence_ids | {licence.pk}, None)).items()
                   if w in wells}
    elif region is not None:
        # Every plan of a licence with a well in the region, wherever its holder is registered: a well of this
        # region held under another region's licence keeps its share.
        licence_ids = set(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path)
                          .values_list("licence_id", flat=True)) | set(Licence.wells.through.objects.filter(
                              well__region__path__startswith=region.path).values_list("licence_id", flat=True))
        targets = _targets(year, _plans(year, licence_ids, None))
    else:
        targets = _targets(year, _plans(year, None, None))
    _write_wells(year, targets, _affected_wells(year, licence, region), result)
    if licence is None:
        _derive_counties(year, region, result)
    audit.record("water.allocation.derived", actor=by, region=region or (licence.region if licence else None),
                 reason=f"{year} 年度用水指标按计划派生", year=year,
                 licence=licence.number if licence else None, **result.as_detail())
    return result


def _write_wells(year: int, targets: dict[int, tuple[float, int]], owned: Q, result: Derivation) -> None:
    """Create, update or zero the well allocations: ``targets`` are what the plans say, ``owned`` what may be zeroed."""
    existing = {a.well_id: a for a in Allocation.objects.filter(year=year, well_id__in=list(targets))}
    changed: list[Allocation] = []
    raised: list[Allocation] = []  # amount up after warnings were given: re-armed below
    regions = dict(Well.objects.filter(pk__in=[w for w in targets if w not in existing])
                   .values_list("pk", "region_id"))
    new = []
    for well_id, (amount, plan_id) in targets.items():
        allocation = existing.get(well_id)
        if allocation is None:
            new.append(Allocation(year=year, well_id=well_id, allocation_m3=amount, plan_id=plan_id,
                                  note=DERIVED_NOTE, scope_region_id=regions[well_id]))
            continue
        if (allocation.allocation_m3, allocation.plan_id, allocation.note) == (amount, plan_id, DERIVED_NOTE):
            result.unchanged += 1
            continue
        if amount > allocation.allocation_m3 and allocation.level_reached > 0:
            raised.append(allocation)
        allocation.allocation_m3, allocation.plan_id, allocation.note = amount, plan_id, DERIVED_NOTE
        changed.append(allocation)
        result.updated += 1
    Allocation.objects.bulk_create(new, batch_size=1000)
    result.created += len(new)
    _rearm(raised)
    Allocation.objects.bulk_update(changed, ["allocation_m3", "plan", "note", "level_reached"], batch_size=1000)
    orphans = (Allocation.objects.filter(owned).exclude(well_id__in=list(targets))
               .exclude(allocation_m3=0, plan__isnull=True))
    result.zeroed += orphans.update(allocation_m3=0.0, plan=None, note=DERIVED_NOTE)


def _rearm(allocations: list[Allocation]) -> None:
    """Lower ``level_reached`` to the level under the new amount, as a recharge does (``sweep.add_allocation``).

    So the 80/90/100 % warnings go out again as use approaches a raised plan. Only allocations that already
    warned are read (two queries each: their changes and their use).
    """
    today = localtime.today()
    for allocation in allocations:
        use = allocation.well.use if allocation.well is not None else ""
        thresholds = policy_for(allocation.scope_region, use).thresholds
        effective = effective_allocation(allocation, today)
        level = quota.quota_status(effective, used_m3(allocation, today), thresholds).level
        allocation.level_reached = min(allocation.level_reached, level)


def _derive_counties(year: int, region: Region | None, result: Derivation) -> None:
    """One county allocation per CountyWaterTarget of the year; a county whose target is gone gets 0 m³."""
    targets = CountyWaterTarget.objects.filter(year=year)
    if region is not None:
        targets = targets.filter(region__path__startswith=region.path)
    amounts = dict(targets.values_list("region_id", "target_m3"))
    existing = {a.region_id: a for a in Allocation.objects.filter(year=year, region_id__in=list(amounts))}
    for code, amount in amounts.items():
        allocation = existing.get(code)
        if allocation is None:
            Allocation.objects.create(year=year, region_id=code, allocation_m3=amount, note=COUNTY_NOTE)
            result.created += 1
        elif allocation.allocation_m3 != amount or allocation.note != COUNTY_NOTE:
            allocation.allocation_m3, allocation.note = amount, COUNTY_NOTE
            allocation.save(update_fields=["allocation_m3", "note"])
            result.updated += 1
        result.counties += 1
    gone = Allocation.objects.filter(year=year, region__isnull=False, note=COUNTY_NOTE).exclude(
        region_id__in=list(amounts)).exclude(allocation_m3=0)
    if region is not None:
        gone = gone.filter(scope_region__path__startswith=region.path)
    result.zeroed += gone.update(allocation_m3=0.0)


def derive_county(year: int, county: Region, by: Any) -> Derivation:
    """Derive the county allocation of one county after its target changed (its wells are untouched)."""
    result = Derivation()
    with transaction.atomic():
        _derive_counties(year, county, result)
        audit.record("water.allocation.derived", actor=by, region=county,
                     reason=f"{year} 年度县级用水指标按总量控制指标派生", year=year, **result.as_detail())
    return result
