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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, Sum

from changji.core.models import Region, RegionLevel
from changji.water.models import AnnualPlan, DailyUsage, Licence, MonthlyUsage, Well, WellUse
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
    #: The year's use so far (also when the months are not read: ``monthly_use_m3`` is then all zero).
    used_m3: float

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
    #: Use of every well of the region, licensed or not, per month and in all (what counts against the target).
    region_use_m3: float = 0.0
    balances: list[Balance] = field(default_factory=list)

    @property
    def planned_m3(self) -> float:
        return sum(row.planned_m3 for row in self.rows)

    @property
    def licensed_use_m3(self) -> float:
        """Use of the licences' wells (a well on two licences counts under each)."""
        return sum(row.used_m3 for row in self.rows)

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


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months_of(year: int, today: date) -> tuple[list[date], date | None, int]:
    """The year's closed months (rollups), its open month when it is this year (daily rows), and months counted."""
    current = monthly.open_month(today)
    firsts = [date(year, number, 1) for number in MONTHS if date(year, number, 1) <= today]
    closed = [month for month in firsts if month < current]
    monthly.seal_closed_months(closed[0], _next_month(closed[-1]) - timedelta(days=1)) if closed else None
    return closed, (current if current in firsts else None), len(firsts)


def _use(months: tuple[list[date], date | None], today: date, wells: Q, by: tuple[str, ...]
         ) -> list[tuple[Any, ...]]:
    """Σ usage_m3 of the wells ``wells`` matches in the year up to ``today``, as rows of ``by`` and the sum.

    ``months`` are the closed months and the open one (``_months_of``); ``by`` is ``("well_id",)``,
    ``("month",)`` or ``("well_id", "month")``. Closed months are read from their rollups, the open month
    from the daily rows (whose month is added to each row).
    """
    closed, current = months
    rows: list[tuple[Any, ...]] = []
    if closed:
        rows += MonthlyUsage.objects.filter(wells, month__in=closed).values_list(*by).annotate(Sum("usage_m3"))
    if current is None:
        return rows
    daily = DailyUsage.objects.filter(wells, day__gte=current, day__lte=today)
    keys = [name for name in by if name != "month"]
    if not keys:
        return rows + [(current, daily.aggregate(total=Sum("usage_m3"))["total"])]
    grouped = daily.values_list(*keys).annotate(Sum("usage_m3"))
    if "month" not in by:
        return rows + list(grouped)
    return rows + [(*row[:-1], current, row[-1]) for row in grouped]


def plan_against_use(region: Region, year: int, today: date, page_licences: Iterable[int] | None = None
                     ) -> Execution:
    """Return every plan of ``year`` within ``region`` against its licence's wells' use up to ``today``.

    Every licence gets its year's use; the month-by-month use is read only for ``page_licences`` (the
    licences shown; None: all), so a county of 2,000 wells stays a handful of grouped queries.
    """
    closed, current, through = _months_of(year, today)
    months = (closed, current)
    result = Execution(region=region, year=year, through_month=through)
    # The region's wells as a subquery: the usage tables' (day|month, well) indexes then answer the sums
    # instead of a join through Region on every row of the prefecture.
    within = Q(well_id__in=Well.objects.filter(region__path__startswith=region.path).values("id"))
    for month, total in _use(months, today, within, ("month",)):
        result.monthly_use_m3[month.month - 1] += total or 0.0
    result.region_use_m3 = sum(result.monthly_use_m3)
    plans = list(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path)
                 .order_by("licence__number").values_list(
                     "licence_id", "licence__number", "licence__water_user__name", "licence__purpose", "volume_m3",
                     "monthly_m3"))
    licence_wells: dict[int, list[int]] = defaultdict(list)
    for licence_id, well_id in Licence.wells.through.objects.filter(
            licence__plans__year=year, licence__region__path__startswith=region.path).values_list(
            "licence_id", "well_id"):
        licence_wells[licence_id].append(well_id)
    well_use = dict(_use(months, today, within, ("well_id",)))
    shown = set(page_licences) if page_licences is not None else set(licence_wells)
    shown_wells = [w for licence_id in shown for w in licence_wells.get(licence_id, [])]
    well_months: dict[int, list[float]] = defaultdict(lambda: [0.0] * 12)
    for well_id, month, total in _use(months, today, Q(well_id__in=shown_wells), ("well_id", "month")):
        well_months[well_id][month.month - 1] += total or 0.0
    purposes = {value: str(label) for value, label in WellUse.choices}  # translated once, not per row
    for licence_id, number, user, purpose, volume, months in plans:
        months_plan = [float(v) for v in months] if len(months) == 12 else breakdown.default_months(volume, purpose)
        wells = licence_wells.get(licence_id, [])
        months_use = [0.0] * 12
        if licence_id in shown:
            for well_id in wells:
                for n, value in enumerate(well_months.get(well_id, ())):
                    months_use[n] += value
        used = sum(well_use.get(w) or 0.0 for w in wells)
        result.rows.append(LicenceRow(licence_id, number, user, purposes.get(purpose, purpose), volume,
                                      months_plan, months_use, breakdown.plan_to_date(months_plan, through), used))
        for n in range(12):
            result.monthly_plan_m3[n] += months_plan[n]
    if region.level <= RegionLevel.COUNTY:
        result.balances = county_balances(region, year)
    return result
