"""Demo data of the plans: county 总量 targets for the seven counties of Changji and a plan per licence.

Targets are of the order of the counties' real 用水总量控制指标 for groundwater-irrigated farmland (tens of
millions of m³). Every licence gets the plan the demo history pumps to on its wells
(``sim.pumping``: planned hours × rated flow, by the irrigation calendar), or, for wells the history
does not know, 85–100 % of its permitted volume with the default monthly breakdown; in 呼图壁县 and 玛纳斯县
the target is set just under the sum of the plans, so the 总量 warning shows. The allocations are then
derived. Idempotent: existing plans and targets are kept.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.db.models import Sum

from changji.core.models import Region
from changji.water.models import AnnualPlan, CountyWaterTarget, Licence, LicenceState, WellKind
from changji.water.plans import breakdown
from changji.water.plans.allocations import derive_allocations
from changji.water.sim import pumping

ACTOR = "demo"
#: County code → (总量 target m³, of which groundwater m³).
COUNTY_TARGETS: dict[str, tuple[float, float]] = {
    "652301": (48_000_000, 26_000_000),  # 昌吉市
    "652302": (32_000_000, 18_000_000),  # 阜康市
    "652323": (41_000_000, 24_000_000),  # 呼图壁县
    "652324": (45_000_000, 27_000_000),  # 玛纳斯县
    "652325": (52_000_000, 30_000_000),  # 奇台县
    "652327": (30_000_000, 17_000_000),  # 吉木萨尔县
    "652328": (18_000_000, 11_000_000),  # 木垒县
}
#: Counties whose target the demo sets just under the sum of their plans (the warning shows there).
OVER_COUNTIES = {"652323": 0.97, "652324": 0.98}


@transaction.atomic
def _plan_of(licence: Licence, rng: random.Random) -> tuple[float, list[float]]:
    """The licence's plan: what the demo history pumps to plan on its wells (``sim.pumping``), by month.

    A licence whose wells the history does not know (no rated flow) gets 85–100 % of its permitted volume with the
    default breakdown of its purpose. Never above the permitted volume.
    """
    wells = [w for w in licence.wells.all() if w.kind == WellKind.EXTRACTION and w.pump_rated_flow_m3h]
    planned = sum(pumping.plan_volume_m3(w) for w in wells)
    if planned <= 0 or planned > licence.permitted_m3_per_year:
        volume = round(licence.permitted_m3_per_year * rng.uniform(0.85, 1.0), -1)
        return volume, breakdown.default_months(volume, licence.purpose)
    months = [round(sum(values), 1) for values in zip(*(pumping.monthly_plan_m3(w) for w in wells), strict=True)]
    return round(sum(months), 1), months


def seed_plans(year: int, seed: int = 2026) -> str:
    """Seed the year's plans and targets (see the module docstring); return a line for ``changji demo``."""
    rng = random.Random(seed + year)
    created = 0
    planned = set(AnnualPlan.objects.filter(year=year).values_list("licence_id", flat=True))
    for licence in Licence.objects.filter(state=LicenceState.VALID, valid_from__year__lte=year,
                                          valid_to__year__gte=year).order_by("number"):
        if licence.pk in planned:
            continue
        volume, months = _plan_of(licence, rng)
        AnnualPlan.objects.create(licence=licence, year=year, volume_m3=volume, monthly_m3=months, note="演示数据")
        created += 1
    sums = dict(AnnualPlan.objects.filter(year=year).values_list("region__path").annotate(t=Sum("volume_m3")))
    by_county: dict[str, float] = {}
    for path, total in sums.items():
        codes = [c for c in path.split("/") if c]
        if len(codes) > 3:
            by_county[codes[3]] = by_county.get(codes[3], 0.0) + (total or 0.0)
    targets = 0
    for code, (target, groundwater) in COUNTY_TARGETS.items():
        if not Region.objects.filter(code=code).exists() or CountyWaterTarget.objects.filter(
                region_id=code, year=year).exists():
            continue
        planned_m3 = by_county.get(code, 0.0)
        if code in OVER_COUNTIES and planned_m3 > 0:
            target = round(planned_m3 * OVER_COUNTIES[code], -3)
            groundwater = round(target * 0.6, -3)
        CountyWaterTarget.objects.create(region_id=code, year=year, target_m3=target,
                                         groundwater_target_m3=groundwater, note="演示数据：州水利局下达")
        targets += 1
    derivation = derive_allocations(year, by=ACTOR)
    return (f"plans: {created} annual plan(s) and {targets} county target(s) for {year}; "
            f"{derivation.created} allocation(s) derived")
