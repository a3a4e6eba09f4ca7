"""年度计划 pages: plans, county 总量 balance, targets, import/export, carry-forward, 计划执行情况.

Reading needs ``water.allocation.read``, every change ``water.allocation.edit``; the region and the licence
are looked up within the user's scope (another county's licence is a 404). The services (``water.plans``)
check and audit; a refusal goes back on the form with status 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import localtime, params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse
from changji.water.models import AnnualPlan, CountyWaterTarget, Licence, LicenceState
from changji.water.plans import breakdown
from changji.water.plans.against_use import plan_against_use
from changji.water.plans.service import carry_forward, county_balances, save_county_target, save_plan
from changji.water.plans.xlsx import export_plans, import_plans
from changji.water.sharing import targets as shared_targets
from changji.water.web.common import counties, import_page, user_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 100
MAX_M3 = 1e12


def _year(request: HttpRequest, name: str = "year") -> int:
    return int(params.query(request, name, params.Year(default=localtime.today().year)))


def _region(request: HttpRequest) -> Region:
    """The region asked for (``region``, a code within the user's scope: else 404), default the user's own."""
    code = params.query(request, "region", params.RegionCode())
    if not code:
        return user_region(request)
    return get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=code)


def _list_url(year: int, region: Region) -> str:
    return f"{reverse('water:plans')}?{urlencode({'year': year, 'region': region.code})}"


def _region_choices(request: HttpRequest) -> list[tuple[str, str]]:
    region = user_region(request)
    return [(region.code, f"{region.name}（全部）")] + [(c.code, c.name) for c in counties(request)
                                                      if c.code != region.code]


@route(get=P.WATER_ALLOCATION_READ)
def plans(request: HttpRequest) -> HttpResponse:
    """The plans of a year in the chosen region, the counties' 总量 balance, and the licences still without a plan."""
    year, region = _year(request), _region(request)
    rows = (scope_queryset(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path), request.user)
            .select_related("licence__water_user").order_by("licence__number"))
    page = Paginator(rows, PER_PAGE).get_page(params.query(request, "page", params.Page()))
    unplanned = (scope_queryset(Licence.objects.filter(region__path__startswith=region.path,
                                                       state=LicenceState.VALID, valid_from__year__lte=year,
                                                       valid_to__year__gte=year), request.user)
                 .exclude(plans__year=year).select_related("water_user").order_by("number"))
    return render(request, "water/plans.html", {
        "year": year, "region": region, "page": page, "balances": county_balances(region, year),
        "unplanned": unplanned[:PER_PAGE], "unplanned_count": unplanned.count(),
        "regions": _region_choices(request), "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
        "query": urlencode({"year": year, "region": region.code}),
    })


class PlanForm(forms.Form):
    volume_m3 = forms.FloatField(label="年度计划取水量（m³）", min_value=0, max_value=MAX_M3)
    note = forms.CharField(label="备注", max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, label in enumerate(breakdown.MONTH_LABELS, start=1):
            self.fields[f"m{number}"] = forms.FloatField(label=f"{label}（m³）", min_value=0, max_value=MAX_M3,
                                                         required=False)

    def months(self) -> list[float | None]:
        return [self.cleaned_data.get(f"m{n}") for n in range(1, 13)]


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def plan_edit(request: HttpRequest) -> HttpResponse:
    """The plan of one licence (``licence``, in scope) for ``year``: annual volume and months, or the default."""
    licence_id = params.query(request, "licence", params.Id())
    if licence_id is None:
        raise Refusal("licence", "缺少参数 licence（取水许可证）")
    licence = get_object_or_404(scope_queryset(Licence.objects.select_related("water_user"), request.user),
                                pk=licence_id)
    year = _year(request)
    plan = AnnualPlan.objects.filter(licence=licence, year=year).first()
    initial: dict[str, Any] = {"volume_m3": plan.volume_m3 if plan else None, "note": plan.note if plan else ""}
    for number, value in enumerate(plan.monthly_m3 if plan else [], start=1):
        initial[f"m{number}"] = value
    form = PlanForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            use_default = request.POST.get("action") == "default"
            try:
                save_plan(licence, year, form.cleaned_data["volume_m3"], None if use_default else form.months(),
                          form.cleaned_data["note"], request.user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"已保存 {licence.number} 的 {year} 年度取水计划")
                balance = county_balances(licence.region, year)[0]
                if balance.warning:
                    messages.warning(request, balance.warning)
                return redirect(_list_url(year, licence.region))
    return render(request, "water/plan_edit.html", {
        "licence": licence, "year": year, "plan": plan, "form": form,
        "month_fields": [form[f"m{n}"] for n in range(1, 13)],
        "default_months": breakdown.default_months(plan.volume_m3 if plan else licence.permitted_m3_per_year,
                                                   licence.purpose),
        "balance": county_balances(licence.region, year)[0],
    }, status=status)


class TargetForm(forms.Form):
    region = forms.ChoiceField(label="区划")
    year = params.YearField(label="年度")
    target_m3 = forms.FloatField(label="用水总量控制指标（m³）", min_value=0, max_value=MAX_M3)
    groundwater_target_m3 = forms.FloatField(label="其中地下水（m³）", min_value=0, max_value=MAX_M3, required=False)
    note = forms.CharField(label="依据", max_length=255, required=False)


@route(get=P.WATER_ALLOCATION_READ, post=P.WATER_ALLOCATION_EDIT)
def targets(request: HttpRequest) -> HttpResponse:
    """The counties' 总量 control targets of a year with their balance; the form sets one."""
    year = _year(request)
    region = user_region(request)
    # Targets are set at every level down to the county (water.sharing.targets): the user's region and below.
    above = [r for r in Region.objects.within(region).filter(level__lt=RegionLevel.COUNTY).order_by("code")
             if r.level >= region.level]
    in_scope = above + counties(request)
    form = TargetForm(request.POST if request.method == "POST" else None, initial={"year": year})
    field_of(form, "region", forms.ChoiceField).choices = [(c.code, c.name) for c in in_scope]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            county = next(c for c in in_scope if c.code == form.cleaned_data["region"])
            try:
                save_county_target(county, form.cleaned_data["year"], form.cleaned_data["target_m3"],
                                   form.cleaned_data["groundwater_target_m3"], form.cleaned_data["note"],
                                   request.user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"已保存 {county.name} {form.cleaned_data['year']} 年度用水总量控制指标")
                return redirect(f"{reverse('water:plan_targets')}?year={form.cleaned_data['year']}")
    return render(request, "water/plan_targets.html", {
        "year": year, "form": form, "balances": county_balances(region, year),
        "targets": {t.region_id: t for t in CountyWaterTarget.objects.filter(year=year, region__in=in_scope)},
        "allocations": shared_targets.allocations(above, year),
        "received": CountyWaterTarget.objects.filter(year=year, region__in=in_scope, from_upstream=True)
        .select_related("region").order_by("region__code"),
        "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
    }, status=status)


@route(get=P.WATER_ALLOCATION_READ)
def plans_export(request: HttpRequest) -> HttpResponse:
    """The year's plans of the chosen region as the import's workbook."""
    year, region = _year(request), _region(request)
    rows = scope_queryset(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path), request.user)
    response = HttpResponse(export_plans(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="plans-{region.code}-{year}.xlsx"'
    return response


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def plans_import(request: HttpRequest) -> HttpResponse:
    """Import a workbook of plans: all rows or none, every problem listed with its row and column."""
    region = user_region(request)
    return import_page(request, "water/plans_import.html", lambda content: import_plans(content, request.user, region),
                       reverse("water:plans"), help_text="工作表「年度取水计划」，列见导出文件")


class CarryForm(forms.Form):
    from_year = params.YearField(label="来源年度")
    to_year = params.YearField(label="目标年度")
    region = forms.ChoiceField(label="区划")


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def plans_carry_forward(request: HttpRequest) -> HttpResponse:
    """Carry the plans of one year into the next, after a confirmation page that shows what will happen."""
    year = _year(request, "to_year")
    data = request.POST if request.method == "POST" else (request.GET if "from_year" in request.GET else None)
    form = CarryForm(data, initial={"from_year": year - 1, "to_year": year, "region": user_region(request).code})
    field_of(form, "region", forms.ChoiceField).choices = _region_choices(request)
    preview = None
    status = 200
    if form.is_bound and form.is_valid():
        region = get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=form.cleaned_data["region"])
        source, target = form.cleaned_data["from_year"], form.cleaned_data["to_year"]
        if request.method == "POST":
            try:
                result = carry_forward(region, source, target, request.user)
            except Refusal as error:
                refuse(form, error)
                status = 400
            else:
                messages.success(request, result.summary())
                return redirect(_list_url(target, region))
        else:
            preview = {"region": region, "from_year": source, "to_year": target,
                       "sources": AnnualPlan.objects.filter(year=source, region__path__startswith=region.path).count(),
                       "existing": AnnualPlan.objects.filter(year=target, region__path__startswith=region.path).count()}
    elif form.is_bound:
        status = 400
    return render(request, "water/plans_carry_forward.html", {"form": form, "preview": preview}, status=status)


@route(get=P.WATER_ALLOCATION_READ)
def execution(request: HttpRequest) -> HttpResponse:
    """计划执行情况: each licence's plan against its wells' use, month by month, and the county totals."""
    year, region = _year(request), _region(request)
    today = localtime.today()
    licences = list(scope_queryset(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path),
                                   request.user).order_by("licence__number").values_list("licence_id", flat=True))
    number = params.query(request, "page", params.Page())
    shown = Paginator(licences, PER_PAGE).get_page(number).object_list
    result = plan_against_use(region, year, today, page_licences=shown)
    page = Paginator(result.rows, PER_PAGE).get_page(number)
    return render(request, "water/plans_execution.html", {
        "year": year, "region": region, "result": result, "page": page, "months": breakdown.MONTH_LABELS,
        "regions": _region_choices(request),
        "query": urlencode({"year": year, "region": region.code}),
        "month_totals": list(zip(breakdown.MONTH_LABELS, result.monthly_plan_m3, result.monthly_use_m3, strict=True)),
    })
