"""The dashboard's heavy figures per region, computed by the minutely job and read by the page.

Use against allocation per county (today, month, year), the KPIs of the last 30 days and their
daily trend read the open month's daily rows of every well: about a second at 10,401 wells, too
slow to compute on every page view. :func:`refresh_due` recomputes the figures of the instance's root
region and of each prefecture and county below it when they are older than ``MAX_AGE``;
:func:`current` returns a region's figures (computing them first when missing or stale, e.g. for a
township account). The page shows when
they were computed. Everything is JSON (``DashboardFigures.figures``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from changji.core.localtime import local_day
from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.water.kpi.terminal_days import kpi_figures
from changji.water.models import Allocation, DailyUsage, DashboardFigures, TerminalDay
from changji.water.quotas.sweep import quota_overview
from changji.water.usage import monthly

MAX_AGE = timedelta(minutes=5)


def _county_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[RegionLevel.COUNTY] if len(parts) > RegionLevel.COUNTY else parts[-1]


def _use_by_county(region: Region, first: date, last: date) -> dict[str, dict[str, float]]:
    sums = monthly.sums(first, last, region.path, by="well__region_id", figures=monthly.USE_FIGURES)
    paths = dict(Region.objects.filter(code__in=[str(code) for code in sums]).values_list("code", "path"))
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"usage_m3": 0.0, "energy_kwh": 0.0})
    for code, figures in sums.items():
        county = out[_county_of(paths.get(str(code), f"{code}/"))]
        county["usage_m3"] += figures.get("usage_m3") or 0.0
        county["energy_kwh"] += figures.get("energy_kwh") or 0.0
    return out


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def county_rows(region: Region, today: date) -> list[dict[str, Any]]:
    """Per county: use today / this month / this year against the water and electricity allocations."""
    periods = {"day": _use_by_county(region, today, today),
               "month": _use_by_county(region, today.replace(day=1), today),
               "year_figures": _use_by_county(region, today.replace(month=1, day=1), today)}
    kwh: dict[str, float] = defaultdict(float)
    for path, amount in Allocation.objects.filter(
            year=today.year, allocation_kwh__isnull=False, scope_region__path__startswith=region.path,
    ).values_list("scope_region__path", "allocation_kwh"):
        kwh[_county_of(path)] += amount or 0.0
    rows = []
    for quota in quota_overview(today.year, today, region):
        code = quota["region"]
        share = _finite(quota["share"])
        rows.append({**{k: _finite(v) for k, v in quota.items()},
                     **{name: dict(by_county.get(code, {})) for name, by_county in periods.items()},
                     "allocation_kwh": kwh.get(code),
                     "share_pct": None if share is None else round(share * 100, 1),
                     "used_any": bool(quota.get("used_m3"))})
    return rows


def trend(region: Region, today: date) -> dict[str, list[Any]]:
    """The last 30 days: 数据上线率, 设备完好率 and water use per day (two grouped queries)."""
    first = today - timedelta(days=29)
    days = [first + timedelta(days=n) for n in range(30)]
    kpis = {row["day"]: row for row in TerminalDay.objects.filter(
        day__range=(first, today), terminal__region__path__startswith=region.path,
    ).values("day").annotate(n=Count("id"), online=Count("id", filter=Q(received_reports__gt=0)),
                             intact=Count("id", filter=Q(faulty=False)))}
    usage = dict(DailyUsage.objects.filter(day__range=(first, today), well__region__path__startswith=region.path)
                 .values("day").annotate(total=Sum("usage_m3")).values_list("day", "total"))

    def rate(day: date, key: Literal["online", "intact"]) -> float | None:
        row = kpis.get(day)
        return round(row[key] / row["n"] * 100, 1) if row and row["n"] else None

    return {"days": [day.isoformat() for day in days], "online": [rate(day, "online") for day in days],
            "intact": [rate(day, "intact") for day in days],
            "usage": [round(usage[day], 1) if usage.get(day) is not None else None for day in days]}


def compute(region: Region, now: datetime | None = None) -> DashboardFigures:
    """Compute and store the region's figures as of ``now``."""
    now = now or timezone.now()
    today = local_day(now)
    kpi = asdict(kpi_figures(region, today - timedelta(days=29), today))
    figures = {"today": today.isoformat(), "counties": county_rows(region, today),
               "kpi": {name: _finite(value) for name, value in kpi.items()}, "trend": trend(region, today)}
    row, _ = DashboardFigures.objects.update_or_create(region=region,
                                                       defaults={"computed_at": now, "figures": figures})
    return row


def current(region: Region, max_age: timedelta = MAX_AGE) -> DashboardFigures:
    """The region's figures, recomputed first when missing or older than ``max_age``."""
    row = DashboardFigures.objects.filter(region=region).first()
    if row is None or timezone.now() - row.computed_at > max_age:
        row = compute(region)
    return row


def refresh_due(now: datetime, max_age: timedelta = MAX_AGE) -> int:
    """Recompute the figures of the root and of every prefecture and county below it that are older than ``max_age``.

    Return how many regions were recomputed.
    """
    fresh = set(DashboardFigures.objects.filter(computed_at__gt=now - max_age).values_list("region_id", flat=True))
    top = root_region()
    regions = Region.objects.within(top).filter(
        Q(code=top.code) | Q(level__in=(RegionLevel.PREFECTURE, RegionLevel.COUNTY))).exclude(code__in=fresh)
    done = 0
    for region in regions.order_by("level", "code"):
        compute(region, now)
        done += 1
    return done
