"""Usage totals (用水量统计) per period and per unit, for the dashboard, reports and the quota pages.

One aggregate query grouped by well over DailyUsage, then a roll-up in Python through each well's
region path: the path already names every ancestor ("000000/650000/652300/652323/…"), so grouping
by village, township, county or prefecture needs no join per level and no query per group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Sum

from changji.core.localtime import month_of, quarter_of
from changji.core.models import Region
from changji.core.models.region import RegionLevel
from changji.water.models import DailyUsage, WaterUser
from changji.water.usage.registers import irrigation_season

PERIODS = ("day", "month", "quarter", "year", "season")
GROUPS = ("well", "water_user", "village", "township", "county", "prefecture")
FIGURES = ("usage_m3", "water_m3", "energy_kwh", "estimated_water_m3")
_LEVEL_OF = {
    "village": RegionLevel.VILLAGE, "township": RegionLevel.TOWNSHIP,
    "county": RegionLevel.COUNTY, "prefecture": RegionLevel.PREFECTURE,
}


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_bounds(period: str, at: date) -> tuple[date, date]:
    """Return the first and last local day (inclusive) of the ``period`` containing ``at``.

    "season" is the irrigation season of ``at``'s year (stats.irrigation_season) even when ``at``
    lies outside it, so a winter report can still ask for the past season.
    """
    if period == "day":
        return at, at
    if period == "month":
        start = month_of(at)
        return start, _first_of_next_month(start) - timedelta(days=1)
    if period == "quarter":
        start = quarter_of(at)
        return start, _first_of_next_month(start.replace(month=start.month + 2)) - timedelta(days=1)
    if period == "year":
        return date(at.year, 1, 1), date(at.year, 12, 31)
    if period == "season":
        return irrigation_season(at.year)
    raise ValidationError({"period": f"未知统计周期：{period}，应为 {'/'.join(PERIODS)}"})


def _add(total: float | None, value: float | None) -> float | None:
    """Add keeping None only while every value is None, so "no data" stays distinct from zero."""
    if value is None:
        return total
    return (total or 0.0) + value


def _group_key(row: Mapping[str, Any], group_by: str) -> tuple[str | None, bool]:
    """Return (code, unassigned) of the group a well-row falls in.

    A well registered above the requested level (e.g. at county level when grouping by village)
    has no ancestor there: it goes under its own region's code with ``unassigned`` True rather
    than being dropped, so group totals still add up to the region's total.
    """
    if group_by == "well":
        return row["well__code"], False
    if group_by == "water_user":
        code = row["well__water_user__code"]
        return code, code is None
    codes = [code for code in row["well__region__path"].split("/") if code]
    level = _LEVEL_OF[group_by]
    if len(codes) > level:
        return codes[level], False
    return codes[-1], True


def _names(group_by: str, codes: set[str]) -> dict[str, str]:
    """Return display names for the group codes (one query; wells carry theirs in the aggregate)."""
    if group_by == "water_user":
        return dict(WaterUser.objects.filter(code__in=codes).values_list("code", "name"))
    if group_by in _LEVEL_OF:
        return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return {}


def totals(period: str, at: date, group_by: str, within: Region) -> list[dict[str, Any]]:
    """Return usage summed over the ``period`` containing ``at``, one row per ``group_by`` unit within ``within``.

    Each row: ``code``, ``name``, ``start``, ``end``, ``wells`` (wells with a usage row),
    ``unassigned`` (see _group_key; for water users: wells without one, code None), and the sums of
    usage_m3 (the counted figure), water_m3, energy_kwh and estimated_water_m3 (None when no day had
    a value). Rows are sorted by code, unassigned groups after assigned ones of the same code.
    """
    if group_by not in GROUPS:
        raise ValidationError({"group_by": f"未知分组：{group_by}，应为 {'/'.join(GROUPS)}"})
    start, end = period_bounds(period, at)
    # The plugin cannot see the keys that annotate(**{...}) adds, so the rows are read as plain dicts.
    per_well = cast("Iterable[dict[str, Any]]", (
        DailyUsage.objects.filter(day__range=(start, end), well__region__path__startswith=within.path)
        .values("well__code", "well__name", "well__water_user__code", "well__region__path")
        .annotate(**{name: Sum(name) for name in FIGURES})
        .order_by()
    ))
    groups: dict[tuple[str | None, bool], dict[str, Any]] = {}
    for row in per_well:
        code, unassigned = _group_key(row, group_by)
        group = groups.setdefault((code, unassigned), {
            "code": code, "name": row["well__name"] if group_by == "well" else "", "start": start, "end": end,
            "wells": 0, "unassigned": unassigned, **dict.fromkeys(FIGURES),
        })
        group["wells"] += 1
        for name in FIGURES:
            group[name] = _add(group[name], row[name])
    names = _names(group_by, {code for code, _ in groups if code})
    for (code, _), group in groups.items():
        group["name"] = group["name"] or names.get(code or "", "")
    return [groups[key] for key in sorted(groups, key=lambda k: (k[0] or "", k[1]))]
