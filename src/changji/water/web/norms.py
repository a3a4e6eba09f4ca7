"""用水定额 pages: the norm table, its versions, imports and exports, crop plans and 定额与计划对比.

The norm table of a year with its edit forms; a water user's crop plan with its suggested volume; and the
comparison of 定额, plan and use of a region and year.

Reading needs ``P.WATER_ALLOCATION_READ``, changing ``P.WATER_ALLOCATION_EDIT``; which rows an editor may change
is decided by ``water.norms.service`` (a county's rows by its county, the prefecture-wide rows by the prefecture).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.localtime import today
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse
from changji.water.models import CropPlan, IrrigationMethod, NormKind, QuotaNorm, WaterUser
from changji.water.norms import comparison, rules, service, xlsx
from changji.water.web.common import counties, import_page, user_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREFECTURE = "prefecture"
ALL_UNITS = sorted({unit for units in rules.UNITS.values() for unit in units})


def _county_queryset(request: HttpRequest) -> QuerySet[Region]:
    return Region.objects.filter(pk__in=[c.code for c in counties(request)]).order_by("code")


class NormForm(forms.Form):
    year = params.YearField(label="版本年度")
    kind = forms.ChoiceField(label="类别", choices=NormKind.choices)
    category = forms.CharField(label="名称", max_length=64)
    region = forms.ModelChoiceField(label="分区（县市）", queryset=Region.objects.none(), required=False,
                                    empty_label="全州通用")
    method = forms.ChoiceField(label="灌溉方式", choices=[("", "—（非农业）"), *IrrigationMethod.choices],
                               required=False)
    value = forms.FloatField(label="定额值", min_value=0)
    unit = forms.ChoiceField(label="单位", choices=[(u, u) for u in ALL_UNITS])
    source = forms.CharField(label="依据", max_length=255, required=False)
    note = forms.CharField(label="备注", max_length=255, required=False)

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = _county_queryset(request)


class PlanLineForm(forms.Form):
    crop = forms.CharField(label="作物", max_length=64)
    area_mu = forms.FloatField(label="面积（亩）", min_value=0)
    method = forms.ChoiceField(label="灌溉方式", choices=IrrigationMethod.choices)
    zone = forms.ModelChoiceField(label="定额分区", queryset=Region.objects.none(), required=False,
                                  empty_label="按取水户所在县市")

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "zone", forms.ModelChoiceField).queryset = _county_queryset(request)


def _filters(request: HttpRequest) -> dict[str, Any]:
    zones = [PREFECTURE, *(c.code for c in counties(request))]
    return params.parse(request.GET, {
        "year": params.Year(default=today().year), "kind": params.Choice(NormKind.values),
        "zone": params.Choice(zones), "method": params.Choice(IrrigationMethod.values),
    })


def _list_url(year: int) -> str:
    return f"{reverse('water:norms')}?{urlencode({'year': year})}"


def _filtered(request: HttpRequest, chosen: dict[str, Any]) -> QuerySet[QuotaNorm]:
    rows = service.visible_norms(request.user).filter(year=chosen["year"])
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["zone"] == PREFECTURE:
        rows = rows.filter(region__isnull=True)
    elif chosen["zone"]:
        rows = rows.filter(region_id=chosen["zone"])
    if chosen["method"]:
        rows = rows.filter(method=chosen["method"])
    return rows.order_by("kind", "category", "method", "region_id")


@route(get=P.WATER_ALLOCATION_READ)
def norm_list(request: HttpRequest) -> HttpResponse:
    """The 用水定额 table of a version year, filtered by kind, zone and irrigation method."""
    chosen = _filters(request)
    years = sorted(set(service.visible_norms(request.user).values_list("year", flat=True)) | {today().year},
                   reverse=True)
    rows = list(_filtered(request, chosen))
    editable = {n.pk for n in rows if service.may_edit_zone(request.user, n.region)}
    return render(request, "water/norms.html", {
        "rows": rows, "editable": editable, "filters": chosen, "years": years, "counties": counties(request),
        "kinds": NormKind.choices, "methods": IrrigationMethod.choices,
        "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
        "query": urlencode({k: v for k, v in chosen.items() if v}),
    })


def _norm_values(form: NormForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in service.NORM_FIELDS}


def _norm_form_page(request: HttpRequest, form: NormForm, norm: QuotaNorm | None, status: int) -> HttpResponse:
    return render(request, "water/norms_form.html", {"form": form, "norm": norm, "units": rules.UNITS},
                  status=status)


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def norm_new(request: HttpRequest) -> HttpResponse:
    """Add a norm row (GET: the empty form)."""
    year = params.query(request, "year", params.Year(default=today().year))
    form = NormForm(request.POST or None, request=request, initial={"year": year, "unit": "m³/亩"})
    if request.method == "POST" and form.is_valid():
        try:
            norm = service.save_norm(_norm_values(form), by=request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已新增定额：{norm}")
            return redirect(_list_url(norm.year))
    return _norm_form_page(request, form, None, 400 if request.method == "POST" else 200)


def _norm(request: HttpRequest, norm_id: int) -> QuotaNorm:
    return get_object_or_404(service.visible_norms(request.user), pk=norm_id)


@route(get=P.WATER_ALLOCATION_READ, post=P.WATER_ALLOCATION_EDIT)
def norm_edit(request: HttpRequest, norm_id: int) -> HttpResponse:
    """One norm row: its form (GET), or its update (POST)."""
    norm = _norm(request, norm_id)
    initial = {name: getattr(norm, name) for name in service.NORM_FIELDS}
    form = NormForm(request.POST or None, request=request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.save_norm(_norm_values(form), by=request.user, norm=norm)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已保存定额：{norm}")
            return redirect(_list_url(norm.year))
    return _norm_form_page(request, form, norm, 400 if request.method == "POST" else 200)


@route(post=P.WATER_ALLOCATION_EDIT)
def norm_delete(request: HttpRequest, norm_id: int) -> HttpResponse:
    """Delete one norm row."""
    norm = _norm(request, norm_id)
    service.delete_norm(norm, by=request.user)  # a Refusal is the 400 page (core.middleware)
    messages.success(request, f"已删除定额：{norm}")
    return redirect(_list_url(norm.year))


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def norm_copy(request: HttpRequest) -> HttpResponse:
    """Copy a year's table to the next year: GET asks for confirmation, POST copies."""
    source = params.parse(request.POST if request.method == "POST" else request.GET,
                          {"year": params.Year(last=params.LAST_YEAR - 1, default=today().year)})["year"]
    if request.method == "POST":
        copied, skipped = service.copy_version(source, by=request.user)
        messages.success(request, f"已复制 {copied} 行为 {source + 1} 年版本（已存在而跳过 {skipped} 行）")
        return redirect(_list_url(source + 1))
    rows = [n for n in service.visible_norms(request.user).filter(year=source)
            if service.may_edit_zone(request.user, n.region)]
    return render(request, "water/norms_copy.html", {"year": source, "next_year": source + 1, "count": len(rows)})


@route(get=P.WATER_ALLOCATION_READ)
def norm_export(request: HttpRequest) -> HttpResponse:
    """The filtered norm table as a 用水定额 workbook (imports again unchanged)."""
    chosen = _filters(request)
    response = HttpResponse(xlsx.export_norms(_filtered(request, chosen)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="quota-norms-{chosen["year"]}.xlsx"'
    return response


def _import_page(request: HttpRequest, what: str, run: Any, done_url: str) -> HttpResponse:
    return import_page(request, "water/norms_import.html", lambda content: run(content, request.user), done_url,
                       {"what": what})


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def norm_import(request: HttpRequest) -> HttpResponse:
    """Import a 用水定额 workbook: all rows or none, every problem listed."""
    return _import_page(request, "用水定额", xlsx.import_norms, reverse("water:norms"))


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def crop_plan_import(request: HttpRequest) -> HttpResponse:
    """Import a 种植计划 workbook: all rows or none, every problem listed."""
    return _import_page(request, "种植计划", xlsx.import_crop_plans, reverse("water:norm_compare"))


@route(get=P.WATER_ALLOCATION_READ)
def crop_plan_export(request: HttpRequest) -> HttpResponse:
    """The crop plans of a year within the user's region as a 种植计划 workbook."""
    year = params.query(request, "year", params.Year(default=today().year))
    plans = scope_queryset(CropPlan.objects.filter(year=year), request.user).select_related("water_user")
    response = HttpResponse(xlsx.export_crop_plans(plans.order_by("water_user__code", "crop", "method")),
                            content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="crop-plans-{year}.xlsx"'
    return response


# --- a water user's crop plan ---------------------------------------------------------------------------------


def _crop_plan_context(request: HttpRequest, user: WaterUser, year: int) -> dict[str, Any]:
    found = service.suggestion_for(user, year)
    plans = {p.pk: p for p in CropPlan.objects.filter(water_user=user, year=year).select_related("zone")}
    lines = [{"plan": plans[a.line.id], "norm": found.norms.get(a.norm.id), "volume_m3": a.volume_m3}
             for a in found.suggestion.applied]
    lines += [{"plan": plans[line.id], "norm": None, "volume_m3": None} for line in found.suggestion.missing]
    return {"water_user": user, "year": year, "lines": sorted(lines, key=lambda x: (x["plan"].crop, x["plan"].method)),
            "suggestion": found.suggestion, "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
            "figures": comparison.user_row(user, year, today(), found.suggestion)}


def _save_line(request: HttpRequest, user: WaterUser, year: int, form: PlanLineForm) -> None:
    line_id = params.parse(request.POST, {"line": params.Id()})["line"]
    plan = get_object_or_404(CropPlan, pk=line_id, water_user=user) if line_id else None
    values = {**form.cleaned_data, "year": plan.year if plan else year}
    service.save_crop_plan(user, values, by=request.user, plan=plan)


@route(get=P.WATER_ALLOCATION_READ, post=P.WATER_ALLOCATION_EDIT)
def crop_plan(request: HttpRequest, water_user_id: int) -> HttpResponse:
    """A water user's crop plan of a year, with the norm of each line and the suggested volume; edit its lines."""
    user = get_object_or_404(scope_queryset(WaterUser.objects.select_related("region"), request.user),
                             pk=water_user_id)
    data = request.POST if request.method == "POST" else request.GET
    year = params.parse(data, {"year": params.Year(default=today().year)})["year"]
    here = f"{reverse('water:crop_plan', args=[user.pk])}?{urlencode({'year': year})}"
    form = PlanLineForm(request.POST or None, request=request)
    if request.method == "POST":
        action = params.parse(request.POST, {"action": params.Choice(["save", "delete"], default="save")})["action"]
        if action == "delete":
            line_id = params.parse(request.POST, {"line": params.Id()})["line"]
            service.delete_crop_plan(get_object_or_404(CropPlan, pk=line_id, water_user=user), by=request.user)
            messages.success(request, "已删除种植计划行")
            return redirect(here)
        if form.is_valid():
            try:
                _save_line(request, user, year, form)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, "已保存种植计划")
                return redirect(here)
    context = _crop_plan_context(request, user, year)
    return render(request, "water/norms_crop_plan.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


# --- 定额与计划对比 --------------------------------------------------------------------------------------------


def _comparison_scope(request: HttpRequest) -> tuple[Region, int]:
    own = user_region(request)
    choices = [own.code, *(c.code for c in counties(request) if c.code != own.code)]
    chosen = params.parse(request.GET, {"region": params.Choice(choices, default=own.code),
                                        "year": params.Year(default=today().year)})
    region = own if chosen["region"] == own.code else Region.objects.get(pk=chosen["region"])
    return region, chosen["year"]


@route(get=P.WATER_ALLOCATION_READ)
def norm_compare(request: HttpRequest) -> HttpResponse:
    """定额与计划对比: per water user, area, 定额 volume, plan, use, use above plan and use above 定额."""
    region, year = _comparison_scope(request)
    rows = comparison.compare(region, year, today())
    totals = {name: sum(getattr(r, name) or 0 for r in rows)
              for name in ("area_mu", "suggested_m3", "plan_m3", "use_m3", "above_plan_m3", "above_norm_m3")}
    return render(request, "water/norms_compare.html", {
        "rows": rows, "totals": totals, "region": region, "year": year, "counties": counties(request),
        "own": user_region(request), "query": urlencode({"region": region.code, "year": year}),
    })


@route(get=P.WATER_ALLOCATION_READ)
def norm_compare_export(request: HttpRequest) -> HttpResponse:
    """The 定额与计划对比 as XLSX."""
    region, year = _comparison_scope(request)
    content = comparison.to_xlsx(comparison.compare(region, year, today()), region, year)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="norm-comparison-{region.code}-{year}.xlsx"'
    return response
