"""Groundwater monitoring fused with 井电双控 (地下水动态监测): each monitoring well, the extraction
wells within 5 km of it, their extraction against the level trend, and decline warnings.

The geometry and the trend are pure (``groundwater``); this module reads the registry, the
monitoring wells' depth readings and the extraction wells' daily usage. 事前、事中、事后: the
warning comes while pumping goes on, from the level falling under the wells that pump around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Sum

from changji.core import audit

from . import groundwater, stats
from .models import DailyUsage, Reading, Well, WellKind

RADIUS_KM = 5.0


def extraction_index(cell_km: float = RADIUS_KM) -> groundwater.SpatialIndex:
    """Return a spatial index of every extraction well (one query; about 10,000 sites)."""
    rows = Well.objects.filter(kind=WellKind.EXTRACTION).values_list("id", "latitude", "longitude")
    return groundwater.SpatialIndex((groundwater.Site(*row) for row in rows), cell_km=cell_km)


def depth_series(well: Well, first: date, last: date) -> list[tuple[Any, float]]:
    """Return the monitoring well's (observed_at, depth_m) readings of days first..last."""
    start, _ = stats.day_bounds(first)
    _, end = stats.day_bounds(last)
    return list(
        Reading.objects.filter(terminal__well=well, observed_at__gte=start, observed_at__lt=end,
                               depth_m__isnull=False).order_by("observed_at").values_list("observed_at", "depth_m")
    )


@dataclass(frozen=True)
class Fusion:
    """One monitoring well over a window: its trend and the extraction around it."""

    well: Well
    first: date
    last: date
    trend: groundwater.Trend | None
    nearby: list[tuple[int, float]]  # (extraction well id, km)
    nearby_extraction_m3: float
    warning: groundwater.DeclineWarning | None


def fuse(well: Well, last: date, window_days: int = 30, index: groundwater.SpatialIndex | None = None,
         radius_km: float = RADIUS_KM) -> Fusion:
    """Return the monitoring well's trend, the extraction within ``radius_km`` and any warning."""
    first = last - timedelta(days=window_days - 1)
    index = index or extraction_index()
    nearby = index.within(well.latitude, well.longitude, radius_km)
    extraction = DailyUsage.objects.filter(
        well_id__in=[site for site, _ in nearby], day__gte=first, day__lte=last
    ).aggregate(total=Sum("usage_m3"))["total"] or 0.0
    trend = groundwater.depth_trend(depth_series(well, first, last))
    warning = groundwater.decline_warning(well.pk, trend, extraction, len(nearby))
    return Fusion(well, first, last, trend, nearby, extraction, warning)


def sweep_groundwater(last: date, window_days: int = 30) -> list[Fusion]:
    """Fuse every monitoring well; audit each warning; return the fusions that warn."""
    index = extraction_index()
    warned = []
    for well in Well.objects.filter(kind=WellKind.MONITORING).select_related("region"):
        fusion = fuse(well, last, window_days, index)
        if fusion.warning is not None:
            warned.append(fusion)
            audit.record(
                "water.groundwater.warning", target=well, level=fusion.warning.level,
                slope_m_per_30d=round(fusion.warning.slope_m_per_30d, 3),
                nearby_extraction_m3=round(fusion.nearby_extraction_m3, 1), nearby_wells=len(fusion.nearby),
                window=f"{fusion.first}..{fusion.last}",
            )
    return warned
