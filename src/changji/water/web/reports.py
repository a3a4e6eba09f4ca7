"""Reports (月报/季报/年报): choose period, day and county; preview the summary; download XLSX or CSV."""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of
from changji.water.models import ReportPeriod
from changji.water.reports import SUMMARY_COLUMNS, WELL_COLUMNS, build_report, to_csv, to_xlsx
from changji.water.web.common import counties, user_region

PREVIEW_WELLS = 50


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=ReportPeriod.choices, label="周期", initial=ReportPeriod.MONTH)
    at = params.DayField(label="日期")
    region = forms.ChoiceField(label="区划", required=False)


def _form(request: HttpRequest) -> ReportForm:
    region = user_region(request)
    data = request.GET if "period" in request.GET else None
    form = ReportForm(data, initial={"at": local_day(timezone.now())})
    field_of(form, "region", forms.ChoiceField).choices = [("", f"{region.name}（全部）")] + [
        (c.code, c.name) for c in counties(request) if c.code != region.code]
    return form


def _region(request: HttpRequest, code: str) -> Region:
    if not code:
        return user_region(request)
    return get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=code)


@route(get=P.WATER_REPORT_READ)
def reports(request: HttpRequest) -> HttpResponse:
    form, data = _form(request), None
    if form.is_bound and form.is_valid():
        data = build_report(form.cleaned_data["period"], form.cleaned_data["at"],
                            _region(request, form.cleaned_data["region"]))
    wells = [row for rows in (data.wells.values() if data else []) for row in rows]
    return render(request, "water/reports.html", {
        "form": form, "data": data, "summary_columns": SUMMARY_COLUMNS, "well_columns": WELL_COLUMNS,
        "wells": wells[:PREVIEW_WELLS], "well_count": len(wells), "query": request.GET.urlencode(),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


@route(get=P.WATER_REPORT_READ)
def report_download(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    file_format = params.query(request, "format", params.Choice(["xlsx", "csv"], default="xlsx"))
    if not form.is_bound or not form.is_valid():
        raise Refusal(next(iter(form.errors), None), "参数错误：需要 period、at 与 format=xlsx|csv")
    region = _region(request, form.cleaned_data["region"])
    at: date = form.cleaned_data["at"]
    data = build_report(form.cleaned_data["period"], at, region)
    if file_format == "xlsx":
        content = to_xlsx(data)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, mime = to_csv(data), "text/csv; charset=utf-8"
    name = f"{region.code}-{data.period}-{data.first:%Y%m%d}-{data.last:%Y%m%d}.{file_format}"
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
