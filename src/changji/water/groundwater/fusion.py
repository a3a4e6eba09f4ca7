"""Groundwater monitoring fused with 井电双控 (地下水动态监测), and its decline warnings.

For each monitoring well: the extraction wells within 5 km of it and their extraction against the level trend.

The geometry and the trend are pure (``groundwater/index.py``); this module reads the registry, the
monitoring wells' depth readings and the extraction wells' daily usage. 事前、事中、事后: the
warning comes while pumping goes on, from the level falling under the wells that pump around it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.db.models import Q, Sum
from django.utils import timezone

from changji.core import localtime
from changji.water.alarms import rules
from changji.water.alarms.evaluation import apply_signals
from changji.water.groundwater import baseline
from changji.water.groundwater.index import DeclineWarning, Site, SpatialIndex, Trend, decline_warning, depth_trend
from changji.water.models import ControlLevel, DailyUsage, Reading, Well, WellKind

RADIUS_KM = 5.0


def extraction_index(cell_km: float = RADIUS_KM) -> SpatialIndex:
    """Return a spatial index of every extraction well (one query; about 10,000 sites)."""
    rows = Well.objects.filter(kind=WellKind.EXTRACTION).values_list("id", "latitude", "longitude")
    return SpatialIndex((Site(*row) for row in rows), cell_km=cell_km)


def depth_series(well: Well, first: date, last: date) -> list[tuple[datetime, float]]:
    """Return the monitoring well's (observed_at, depth_m) readings of days first..last."""
    start, _ = localtime.day_bounds(first)
    _, end = localtime.day_bounds(last)
    # depth_m__isnull=False leaves no None in the second column, which the plugin types as float | None.
    return cast("list[tuple[datetime, float]]", list(
        Reading.objects.filter(terminal__well=well, observed_at__gte=start, observed_at__lt=end,
                               depth_m__isnull=False).order_by("observed_at").values_list("observed_at", "depth_m")
    ))


@dataclass(frozen=True)
class Fusion:
    """One monitoring well over a window: its trend and the extraction around it."""

    well: Well
    first: date
    last: date
    trend: Trend | None
    nearby: list[tuple[int, float]]  # (extraction well id, km)
    nearby_extraction_m3: float
    warning: DeclineWarning | None
    judgement: baseline.Judgement | None = None


def fuse(well: Well, last: date, window_days: int = 30, index: SpatialIndex | None = None,
         radius_km: float = RADIUS_KM, **thresholds: float) -> Fusion:
    """Return the monitoring well's trend, the extraction within ``radius_km`` and any warning."""
    first = last - timedelta(days=window_days - 1)
    index = index or extraction_index()
    nearby = index.within(well.latitude, well.longitude, radius_km)
    extraction = DailyUsage.objects.filter(
        well_id__in=[site for site, _ in nearby], day__gte=first, day__lte=last
    ).aggregate(total=Sum("usage_m3"))["total"] or 0.0
    trend = depth_trend(depth_series(well, first, last))
    warning = decline_warning(well.pk, trend, extraction, len(nearby), **thresholds)
    return Fusion(well, first, last, trend, nearby, extraction, warning)


def judged_series(well: Well, last: date, years_back: int = baseline.YEARS_BACK,
                  window_days: int = baseline.WINDOW_DAYS) -> list[tuple[date, float]]:
    """The (local day, depth_m) readings judging ``last`` needs: its 30 days, the same days of earlier years."""
    spans = [(last - timedelta(days=29), last)]
    spans += [baseline.same_days(last, last.year - n, window_days) for n in range(1, years_back + 1)]
    when = Q()
    for first, final in spans:
        start, _ = localtime.day_bounds(first)
        _, end = localtime.day_bounds(final)
        when |= Q(observed_at__gte=start, observed_at__lt=end)
    rows = Reading.objects.filter(when, terminal__well=well, depth_m__isnull=False).values_list(
        "observed_at", "depth_m")
    return [(localtime.local_day(at), depth) for at, depth in rows if depth is not None]


def sweep_groundwater(last: date, window_days: int = 30, now: datetime | None = None) -> list[Fusion]:
    """Judge each monitoring well's decline on ``last`` (``groundwater.baseline``); return the fusions alarmed.

    The judgement is the well's depth this week against the same week of earlier years and its red line
    (``ControlLevel``), not the bare slope; the extraction within 5 km is read alongside as evidence. The verdict
    goes through the alarm table like any rule (``rules.GROUNDWATER_DECLINE``): raised once while the decline
    lasts, cleared when it stops, handled by operators as any alarm.
    """
    now = now or timezone.now()
    index = extraction_index()
    rule = rules.RULES[rules.AlarmKind.GROUNDWATER_DECLINE]
    red_lines = dict(ControlLevel.objects.values_list("well_id", "control_depth_m"))
    warned = []
    wells = (Well.objects.filter(kind=WellKind.MONITORING, reported_by="")  # not wells reported from below
             .select_related("region").prefetch_related("terminals"))
    for well in wells:
        fusion = fuse(well, last, window_days, index, fall_m_per_30d=rule.thresholds["fall_m_per_30d"],
                      extraction_m3=rule.thresholds["extraction_m3"])
        judgement = baseline.judge(judged_series(well, last), last, red_lines.get(well.pk))
        fusion = replace(fusion, judgement=judgement)
        if judgement.alarmed:
            warned.append(fusion)
        terminal = next(iter(well.terminals.all()), None)
        if terminal is None or judgement.basis == baseline.NO_DATA:
            continue  # no depth readings to judge (they come through a terminal): the streaks stay as they were
        severity = rules.Severity.CRITICAL if judgement.level == baseline.CRITICAL else rule.severity
        signal = rules.Signal(rules.AlarmKind.GROUNDWATER_DECLINE, judgement.alarmed, severity,
                              localtime.day_bounds(last)[1], None, _evidence(fusion))
        apply_signals(terminal, [signal], now)
    return warned


def _evidence(fusion: Fusion) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "window": f"{fusion.first}..{fusion.last}", "nearby_wells": len(fusion.nearby),
        "nearby_extraction_m3": round(fusion.nearby_extraction_m3, 1),
    }
    if fusion.trend is not None:
        evidence["slope_m_per_30d"] = round(fusion.trend.slope_m_per_day * 30, 3)
    if fusion.judgement is not None:
        evidence.update(fusion.judgement.evidence())
    elif fusion.warning is not None:
        evidence["level"] = fusion.warning.level
    return evidence
