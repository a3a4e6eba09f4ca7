"""计划执行情况: each licence's annual plan against the water its wells used, month by month.

Use is the counted use (``DailyUsage.usage_m3``: metered, or 以电折水 where the meter failed) of the wells
attached to the licence, read per month through ``water.usage.monthly.sums`` (MonthlyUsage for closed
months, the covering index of DailyUsage for the open one), so a county of 2,000 wells costs twelve
grouped queries. A licence is *over plan* when its use passed the annual plan, *ahead of plan* when it
passed the plan of the months so far (January up to the current month).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from changji.core.models import Region, RegionLevel
from changji.water.models import AnnualPlan, Licence
from changji.water.plans import breakdown
from changji.water.plans.service import Balance, county_balances
from changji.water.usage import monthly

MONTHS = range(1, 13)


@dataclass(slots=True)
class LicenceRow:
    """One licence's plan and use in the year."""

    licence_id: int
    number: str
    water_user: str
    purpose: str
    planned_m3: float
    monthly_plan_m3: list[float]
    monthly_use_m3: list[float]
    planned_to_date_m3: float

    @property
    def used_m3(self) -> float:
        return sum(self.monthly_use_m3)

    @property
    def share(self) -> float | None:
        """Use / annual plan; None when nothing was planned."""
        return self.used_m3 / self.planned_m3 if self.planned_m3 > 0 else None

    @property
    def share_pct(self) -> float | None:
        share = self.share
        return round(share * 100, 1) if share is not None and math.isfinite(share) else None

    @property
    def over_plan(self) -> bool:
        return self.used_m3 > self.planned_m3 + breakdown.SUM_TOLERANCE_M3

    @property
    def ahead_of_plan(self) -> bool:
        return self.used_m3 > self.planned_to_date_m3 + breakdown.SUM_TOLERANCE_M3

    @property
    def months(self) -> list[tuple[float, float, bool]]:
        """(plan, use, over) for each month."""
        return [(p, u, u > p + breakdown.SUM_TOLERANCE_M3)
                for p, u in zip(self.monthly_plan_m3, self.monthly_use_m3, strict=True)]


@dataclass(slots=True)
class Execution:
    """A region's plans against use in one year, with the county targets."""

    region: Region
    year: int
    through_month: int
    rows: list[LicenceRow] = field(default_factory=list)
    monthly_plan_m3: list[float] = field(default_factory=lambda: [0.0] * 12)
    monthly_use_m3: list[float] = field(default_factory=lambda: [0.0] * 12)
    #: Use of every well of the region, licensed or not (what counts against the 总量 target).
    region_use_m3: float = 0.0
    balances: list[Balance] = field(default_factory=list)

    @property
    def planned_m3(self) -> float:
        return sum(row.planned_m3 for row in self.rows)

    @property
    def used_m3(self) -> float:
        return sum(self.monthly_use_m3)

    @property
    def target_m3(self) -> float | None:
        targets = [b.target_m3 for b in self.balances]
        return None if not targets or any(t is None for t in targets) else sum(t or 0.0 for t in targets)

    @property
    def target_share_pct(self) -> float | None:
        target = self.target_m3
        return round(self.region_use_m3 / target * 100, 1) if target else None

    @property
    def over_target(self) -> bool:
        target = self.target_m3
        return target is not None and self.region_use_m3 > target

    @property
    def over_plan_count(self) -> int:
        return sum(1 for row in self.rows if row.over_plan)


def _month_use(year: int, today: date, region: Region) -> tuple[dict[int, list[float]], int]:
    """Each well's use per month of ``year`` up to ``today`` (well id → 12 volumes), and the months counted."""
    use: dict[int, list[float]] = defaultdict(lambda: [0.0] * 12)
    counted = 0
    for number in MONTHS:
        first = date(year, number, 1)
        if first > today:
            break
        last = min(today, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
        for well_id, figures in monthly.sums(first, last, region.path, figures=("usage_m3",)).items():
            use[int(str(well_id))][number - 1] = figures.get("usage_m3") or 0.0
        counted = number
    return use, counted


def plan_against_use(region: Region, year: int, today: date) -> Execution:
    """Return every plan of ``year`` within ``region`` against its licence's wells' use up to ``today``."""
    use, through = _month_use(year, today, region)
    result = Execution(region=region, year=year, through_month=through)
    result.region_use_m3 = sum(sum(months) for months in use.values())
    plans = list(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path)
                 .select_related("licence__water_user").order_by("licence__number"))
    wells: dict[int, list[int]] = defaultdict(list)
    for licence_id, well_id in Licence.wells.through.objects.filter(
            licence_id__in=[p.licence_id for p in plans]).values_list("licence_id", "well_id"):
        wells[licence_id].append(well_id)
    for plan in plans:
        months_plan = [float(v) for v in plan.monthly_m3] if len(plan.monthly_m3) == 12 else \
            breakdown.default_months(plan.volume_m3, plan.licence.purpose)
        months_use = [0.0] * 12
        for well_id in wells.get(plan.licence_id, []):
            for n, value in enumerate(use.get(well_id, ())):
                months_use[n] += value
        licence = plan.licence
        result.rows.append(LicenceRow(licence.pk, licence.number, licence.water_user.name,
                                      licence.get_purpose_display(), plan.volume_m3, months_plan, months_use,
                                      breakdown.plan_to_date(months_plan, through)))
        for n in range(12):
            result.monthly_plan_m3[n] += months_plan[n]
            result.monthly_use_m3[n] += months_use[n]
    if region.level <= RegionLevel.COUNTY:
        result.balances = county_balances(region, year)
    return result
