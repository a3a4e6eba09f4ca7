"""Monthly usage rollups (月统计): compiled for closed months, read by reports for any span of months.

A month report of the prefecture sums about 312,000 DailyUsage rows, a year report 3.8 million.
``MonthlyUsage`` holds one row per well and closed local month, so reports read about 10,000 rows
a month. It is derived from DailyUsage and kept exact without touching the live path:

- a month is compiled (*sealed*) for every well once it has closed: by the daily job, or by the
  first report that needs it;
- every write of DailyUsage rows on a day of a closed month (late data, a rebuild, the live fold
  across the midnight that ends a month) recompiles that well's month (:func:`refresh`);
- the open month is always summed from DailyUsage.

:func:`well_sums` returns the per-well figures of any span of days, from rollups where whole
closed months lie inside it and from daily rows elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from changji.core import localtime
from changji.water.kpi import definitions as kpi
from changji.water.models import DailyUsage, MonthlyUsage, SealedMonth, UsageSource, Well
from changji.water.sharing import usage as shared_usage


def agreement_filters(tolerance: float = kpi.AGREEMENT_TOLERANCE) -> tuple[Q, Q]:
    """DailyUsage filters: (days judged for 水电一致, days judged and agreeing), as ``kpi`` defines them."""
    judged = Q(water_m3__gte=kpi.AGREEMENT_MIN_M3, estimated_water_m3__gte=kpi.AGREEMENT_MIN_M3)
    within = Q(estimated_water_m3__gte=F("water_m3") * (1 - tolerance),
               estimated_water_m3__lte=F("water_m3") * (1 + tolerance))
    return judged, judged & within


_JUDGED, _AGREEING = agreement_filters()
#: The figures of a span (MonthlyUsage's fields), as aggregates over DailyUsage rows. The aliases
#: carry a prefix: an annotation may not shadow a field of the model it aggregates.
FIGURES: tuple[str, ...] = ("usage_m3", "water_m3", "estimated_water_m3", "energy_kwh", "estimated_days",
                            "agreement_judged", "agreement_ok")
DAILY_AGGREGATES = {
    "sum_usage_m3": Sum("usage_m3"), "sum_water_m3": Sum("water_m3"),
    "sum_estimated_water_m3": Sum("estimated_water_m3"), "sum_energy_kwh": Sum("energy_kwh"),
    "sum_estimated_days": Count("id", filter=Q(source=UsageSource.ESTIMATED)),
    "sum_agreement_judged": Count("id", filter=_JUDGED), "sum_agreement_ok": Count("id", filter=_AGREEING),
}
#: Figures the covering index (day, well, usage, energy, metered, estimated) answers without the table.
USE_FIGURES = ("usage_m3", "energy_kwh")
AGREEMENT_FIGURES = ("agreement_judged", "agreement_ok")
#: The same figures over MonthlyUsage rows.
MONTHLY_AGGREGATES = {f"sum_{name}": Sum(name) for name in FIGURES}


@dataclass(frozen=True, slots=True)
class MonthSpan:
    """A span of days split into closed whole months (read from rollups) and the days around them."""

    months: list[date]
    daily: list[tuple[date, date]]


def open_month(today: date | None = None) -> date:
    """The first day of the month still open (the current local month)."""
    return localtime.month_of(today or localtime.local_day(timezone.now()))


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months that days first..last touch."""
    months, month = [], localtime.month_of(first)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_span(first: date, last: date, today: date | None = None) -> MonthSpan:
    """Split days first..last into closed months wholly inside it and the remaining runs of days."""
    current = open_month(today)
    months, daily = [], []
    for month in months_between(first, last):
        month_last = _next_month(month) - timedelta(days=1)
        if month < current and first <= month and month_last <= last:
            months.append(month)
        else:
            daily.append((max(first, month), min(last, month_last)))
    return MonthSpan(months, daily)


@transaction.atomic
def refresh(well_ids: Iterable[int] | None, first: date, last: date, today: date | None = None) -> int:
    """Recompile the rollups of the closed months that days first..last touch, for ``well_ids`` (None: all).

    Call after writing DailyUsage rows; the open month is skipped (it has no rollup). Return rows.
    """
    current = open_month(today)
    ids = None if well_ids is None else list(well_ids)
    written = 0
    months = [m for m in months_between(first, last) if m < current]
    # Wells reported from below (water.sharing) keep the rollups received for them.
    wells = shared_usage.well_keys(ids if ids is not None else
                                   Well.objects.filter(reported_by="").values_list("pk", flat=True)) if months else {}
    for month in months:
        days = DailyUsage.objects.filter(day__gte=month, day__lt=_next_month(month))
        rollups = MonthlyUsage.objects.filter(month=month)
        if ids is not None:
            days, rollups = days.filter(well_id__in=ids), rollups.filter(well_id__in=ids)
        else:
            days, rollups = days.filter(well__reported_by=""), rollups.filter(well__reported_by="")
        before = shared_usage.snapshot_months(month, wells, ids)
        rollups.delete()
        # The plugin cannot see the keys that annotate(**DAILY_AGGREGATES) adds, so the rows are read as plain dicts.
        sums = cast("Iterable[dict[str, Any]]", days.values("well_id").annotate(**DAILY_AGGREGATES))
        rows = [MonthlyUsage(month=month, well_id=row["well_id"], **{name: row[f"sum_{name}"] for name in FIGURES})
                for row in sums]
        MonthlyUsage.objects.bulk_create(rows, batch_size=2000)
        after = {shared_usage.month_key(wells[r.well_id][0], month):
                 shared_usage.month_payload(r.__dict__, wells[r.well_id][0], month) for r in rows if r.well_id in wells}
        shared_usage.record_month_diff(before, after, wells)  # the outbox: one insert per month
        written += len(rows)
    return written


def seal(month: date) -> int:
    """Compile a closed month for every well and mark it sealed; return rollup rows."""
    if month >= open_month():
        raise ValueError(f"{month:%Y-%m} is still open")
    with transaction.atomic():
        written = refresh(None, month, month)
        SealedMonth.objects.update_or_create(month=month)
    return written


def seal_closed_months(first: date, last: date) -> list[date]:
    """Seal the closed months that days first..last touch and that are not sealed yet; return them."""
    current = open_month()
    sealed = set(SealedMonth.objects.values_list("month", flat=True))
    due = [m for m in months_between(first, last) if m < current and m not in sealed]
    for month in due:
        seal(month)
    return due


def sums(first: date, last: date, region_path: str | None = None, by: str = "well_id",
         figures: tuple[str, ...] = FIGURES) -> dict[object, dict[str, float | None]]:
    """The figures of days first..last (``FIGURES``) per ``by`` (a well, or ``well__region_id``).

    Read from rollups where whole closed months lie in the span (sealed first if needed) and from
    DailyUsage elsewhere. ``region_path`` limits the wells to a region's subtree. Asking only for
    ``USE_FIGURES`` or ``AGREEMENT_FIGURES`` lets the daily part read the covering index alone,
    about five times faster on the open month.
    """
    span = split_span(first, last)
    seal_closed_months(first, last)
    within = Q() if region_path is None else Q(well__region__path__startswith=region_path)
    parts: list[QuerySet] = []
    if span.months:
        parts.append(MonthlyUsage.objects.filter(within, month__in=span.months).values(by)
                     .annotate(**{f"sum_{name}": MONTHLY_AGGREGATES[f"sum_{name}"] for name in figures}))
    for run_first, run_last in span.daily:
        parts.append(DailyUsage.objects.filter(within, day__gte=run_first, day__lte=run_last).values(by)
                     .annotate(**{f"sum_{name}": DAILY_AGGREGATES[f"sum_{name}"] for name in figures}))
    totals: dict[object, dict[str, float | None]] = {}
    for part in parts:
        for row in part:
            total = totals.setdefault(row[by], dict.fromkeys(figures))
            for name in figures:
                value = row[f"sum_{name}"]
                if value is not None:
                    total[name] = (total[name] or 0) + value
    return totals
