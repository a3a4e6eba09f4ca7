"""地下水 pages: the monitoring wells with their red lines, one monitoring well's page, the 超采区 zones.

Reading needs ``water.monitor.read``; setting a red line or importing red lines and zones
``water.groundwater.edit`` (on the well's or the zone's region, checked again by ``groundwater.control``).
Every successful POST redirects; a refusal re-renders with 400.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import localtime
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.uploads import ImportOutcome, UploadError, check_size
from changji.water.groundwater import baseline
from changji.water.groundwater.control import import_control_levels, import_zones, save_control_level, zone_index
from changji.water.groundwater.fusion import RADIUS_KM, judged_series
from changji.water.groundwater.index import KM_PER_DEGREE, haversine_km
from changji.water.models import ControlLevel, DailyUsage, OverdraftZone, Reading, Well, WellKind
from changji.water.web.common import import_page

BASIS_LABELS = {baseline.SEASONAL: "往年同期基准", baseline.FALLBACK: "无往年同期数据，按近30日趋势",
                baseline.NO_DATA: "近7日无读数"}


class ControlLevelForm(forms.Form):
    control_depth_m = forms.FloatField(label="管控水位埋深（米）", min_value=0, max_value=1000)
    document = forms.CharField(label="依据文件", max_length=255, required=False)


class ZoneUploadForm(forms.Form):
    file = forms.FileField(label="超采区 GeoJSON（FeatureCollection）")

    def clean_file(self) -> Any:
        """Refuse an upload over the size cap before it is read into memory (``core.uploads.check_size``)."""
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except UploadError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def _monitoring(request: HttpRequest) -> Any:
    return scope_queryset(Well.objects.filter(kind=WellKind.MONITORING).select_related("region"), request.user)


@route(get=P.WATER_MONITOR_READ)
def monitoring_wells(request: HttpRequest) -> HttpResponse:
    """The monitoring wells in scope with their red lines."""
    wells = list(_monitoring(request).order_by("code"))
    lines = {c.well_id: c for c in scope_queryset(ControlLevel.objects.all(), request.user)}
    return render(request, "water/groundwater.html", {
        "rows": [(well, lines.get(well.pk)) for well in wells],
        "may_edit": allows(request.user, P.WATER_GROUNDWATER_EDIT)})


@route(get=P.WATER_GROUNDWATER_EDIT, post=P.WATER_GROUNDWATER_EDIT)
def control_levels_import(request: HttpRequest) -> HttpResponse:
    """Import red lines from a workbook (sheet 管控水位), all or nothing."""
    def run(content: bytes) -> ImportOutcome:
        return import_control_levels(content, request.user)
    return import_page(request, "water/groundwater_import.html", run, reverse("water:groundwater"),
                       help_text="工作表「管控水位」，列：监测井编号、管控水位埋深（米）、依据文件")


def nearby_extraction(request: HttpRequest, well: Well, year: int, radius_km: float = RADIUS_KM
                      ) -> list[dict[str, Any]]:
    """The extraction wells in scope within ``radius_km`` of the well, nearest first, with their use this year."""
    dlat = radius_km / KM_PER_DEGREE + 1e-6
    dlon = dlat / max(math.cos(math.radians(well.latitude)), 0.01)
    candidates = scope_queryset(Well.objects.filter(
        kind=WellKind.EXTRACTION, latitude__range=(well.latitude - dlat, well.latitude + dlat),
        longitude__range=(well.longitude - dlon, well.longitude + dlon)), request.user)
    rows: list[dict[str, Any]] = []
    for other in candidates.select_related("water_user"):
        km = haversine_km(well.latitude, well.longitude, other.latitude, other.longitude)
        if km <= radius_km:
            rows.append({"well": other, "km": km, "use_m3": 0.0})
    used = dict(DailyUsage.objects.filter(well_id__in=[r["well"].pk for r in rows], day__gte=date(year, 1, 1))
                .values("well_id").annotate(total=Sum("usage_m3")).values_list("well_id", "total"))
    for row in rows:
        row["use_m3"] = used.get(row["well"].pk) or 0.0
    return sorted(rows, key=lambda r: (r["km"], r["well"].code))


def level_chart(well: Well, today: date, red_line_m: float | None) -> dict[str, Any]:
    """This year's and last year's daily mean depth, the red line and the baseline band, by day of this year."""
    start, _ = localtime.day_bounds(date(today.year - baseline.YEARS_BACK, 1, 1))
    _, end = localtime.day_bounds(today)
    by_day: dict[date, list[float]] = defaultdict(list)
    for at, depth in Reading.objects.filter(terminal__well=well, depth_m__isnull=False, observed_at__gte=start,
                                            observed_at__lt=end).values_list("observed_at", "depth_m"):
        if depth is not None:
            by_day[localtime.local_day(at)].append(depth)
    series = [(day, sum(values) / len(values)) for day, values in by_day.items()]
    daily = dict(series)
    first = date(today.year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(today.year, 12, 31) - first).days + 1)]

    def value(day: date) -> float | None:
        found = daily.get(day)
        return None if found is None else round(found, 2)

    band = baseline.band(series, days, years_back=baseline.YEARS_BACK)
    return {
        "days": [f"{d:%m-%d}" for d in days],
        "this_year": [value(d) if d <= today else None for d in days],
        "last_year": [value(baseline.same_days(d, today.year - 1, 1)[1]) for d in days],
        "band_low": [round(b[1], 2) if b else None for b in band],
        "band_high": [round(b[2], 2) if b else None for b in band],
        "red_line": red_line_m, "year": today.year,
    }


@route(get=P.WATER_MONITOR_READ, post=P.WATER_GROUNDWATER_EDIT)
def monitoring_well(request: HttpRequest, monitoring_well_id: int) -> HttpResponse:
    """One monitoring well: level this year vs last year and the red line, the baseline band, the wells around."""
    well = get_object_or_404(_monitoring(request), pk=monitoring_well_id)
    control = ControlLevel.objects.filter(well=well).first()
    form = ControlLevelForm(request.POST if request.method == "POST" else None, initial={
        "control_depth_m": control.control_depth_m if control else None,
        "document": control.document if control else ""})
    if request.method == "POST" and form.is_valid():
        try:
            save_control_level(well, form.cleaned_data["control_depth_m"], form.cleaned_data["document"],
                               request.user)
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "已保存管控水位")
            return redirect("water:monitoring_well", well.pk)
    today = localtime.today()
    nearby = nearby_extraction(request, well, today.year)
    red_line = control.control_depth_m if control else None
    chart = level_chart(well, today, red_line)
    verdict = baseline.judge(judged_series(well, today), today, red_line)
    return render(request, "water/monitoring_well.html", {
        "well": well, "control": control, "form": form, "nearby": nearby, "chart": chart, "verdict": verdict,
        "basis_label": BASIS_LABELS.get(verdict.basis, verdict.basis),
        "radius_km": RADIUS_KM, "nearby_total_m3": sum(r["use_m3"] for r in nearby),
        "may_edit": allows(request.user, P.WATER_GROUNDWATER_EDIT), "year": today.year,
    }, status=400 if form.is_bound else 200)


# --- zones ------------------------------------------------------------------------------------------------


def _zones(request: HttpRequest) -> Any:
    return scope_queryset(OverdraftZone.objects.select_related("region"), request.user)


@route(get=P.WATER_MONITOR_READ, post=P.WATER_GROUNDWATER_EDIT)
def zones(request: HttpRequest) -> HttpResponse:
    """The 超采区 zones in scope; an editor imports a GeoJSON FeatureCollection here (all or nothing)."""
    upload = ZoneUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and upload.is_valid():
        try:
            outcome = import_zones(upload.cleaned_data["file"].read(), request.user)
        except Refusal as error:
            problems = [error.message]
        else:
            problems = outcome.errors
            if not problems:
                messages.success(request, outcome.summary())
                return redirect("water:groundwater_zones")
    year = localtime.today().year
    rows = list(_zones(request).order_by("region_id", "name"))
    return render(request, "water/groundwater_zones.html", {
        "zones": [(z, z.valid_in(year)) for z in rows], "upload": upload, "problems": problems, "year": year,
        "may_edit": allows(request.user, P.WATER_GROUNDWATER_EDIT)},
        status=400 if request.method == "POST" else 200)


@route(get=P.WATER_MONITOR_READ)
def zone_detail(request: HttpRequest, zone_id: int) -> HttpResponse:
    """One zone: the wells in scope inside its outline and their use this year."""
    zone = get_object_or_404(_zones(request), pk=zone_id)
    year = localtime.today().year
    index = zone_index(zone.valid_from_year, [zone])
    wells = [w for w in scope_queryset(Well.objects.filter(kind=WellKind.EXTRACTION), request.user)
             .select_related("water_user").order_by("code") if index.zones_at(w.latitude, w.longitude)]
    used = dict(DailyUsage.objects.filter(well__in=wells, day__gte=date(year, 1, 1)).values("well_id")
                .annotate(total=Sum("usage_m3")).values_list("well_id", "total"))
    rows = [(w, used.get(w.pk) or 0.0) for w in wells]
    return render(request, "water/groundwater_zone.html", {
        "zone": zone, "rows": rows, "total_m3": sum(u for _, u in rows), "year": year})


@route(get=P.WATER_MONITOR_READ)
def zones_geojson(request: HttpRequest) -> JsonResponse:
    """The zones in scope valid this year as a GeoJSON FeatureCollection, for the map."""
    year = localtime.today().year
    features = [{"type": "Feature", "geometry": zone.geometry, "properties": {
        "id": zone.pk, "name": zone.name, "level": zone.level, "level_label": str(zone.get_level_display()),
        "url": reverse("water:groundwater_zone", args=[zone.pk])}} for zone in _zones(request) if zone.valid_in(year)]
    return JsonResponse({"type": "FeatureCollection", "features": features})
