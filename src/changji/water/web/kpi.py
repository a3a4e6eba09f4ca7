"""考核: planned against installed monitoring sets (设备建设进度), the deployment plans and the KPI targets.

Reading needs ``water.monitor.read``; setting plans and targets ``water.kpi_target.edit`` within the editor's
scope (``kpi.deployment.check_editor``). Every successful POST redirects; a refusal re-renders with 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import localtime, params
from changji.core.access import P, allows
from changji.core.guards import route
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of
from changji.water.kpi import deployment
from changji.water.models import DeploymentPlan, KpiMetric, KpiTarget
from changji.water.web.common import counties, import_page, user_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest) -> int:
    return int(params.query(request, "year", params.Year(default=localtime.today().year)))


def _region(request: HttpRequest) -> Region:
    """The region asked for (``region``, a code within the user's scope: else 404), default the user's own."""
    code = params.query(request, "region", params.RegionCode())
    if not code:
        return user_region(request)
    return get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=code)


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _region_choices(request: HttpRequest, with_own: bool) -> list[tuple[str, str]]:
    region = user_region(request)
    own = [(region.code, region.name)] if with_own else []
    return own + [(c.code, c.name) for c in counties(request) if c.code != region.code]


@route(get=P.WATER_MONITOR_READ)
def deployment_page(request: HttpRequest) -> HttpResponse:
    """Planned, installed, online and accepted sets per county against the year's targets; ``format=xlsx``."""
    year, region = _year(request), _region(request)
    view = deployment.deployment_view(region, year, localtime.today())
    if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        return _xlsx(deployment.export_view(view), f"deployment-{region.code}-{year}.xlsx")
    return render(request, "water/kpi_deployment.html", {
        "view": view, "metrics": deployment.METRICS, "year": year, "region": region,
        "regions": _region_choices(request, True), "may_edit": allows(request.user, P.WATER_KPI_TARGET_EDIT),
        "window_days": deployment.WINDOW_DAYS,
    })


class PlanForm(forms.Form):
    region = forms.ChoiceField(label="县（市）")
    year = params.YearField(label="年度")
    planned_sets = forms.IntegerField(label="计划安装套数", min_value=0, max_value=1_000_000)
    note = forms.CharField(label="备注", max_length=200, required=False)


class TargetForm(forms.Form):
    region = forms.ChoiceField(label="区划")
    year = params.YearField(label="年度")
    metric = forms.ChoiceField(label="指标", choices=KpiMetric.choices)
    target_pct = forms.FloatField(label="目标值（%）", min_value=0.0, max_value=100.0)


def _scoped_region(request: HttpRequest, code: str) -> Region:
    return get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=code)


def _refuse(form: forms.Form, error: Exception) -> None:
    messages_ = getattr(error, "messages", None) or [str(error)]
    for message in messages_:
        form.add_error(None, message)


def _save_year_entry(request: HttpRequest, form: forms.Form, save: Callable[[dict[str, Any]], None], done: str,
                     page: str) -> HttpResponse | None:
    """Save a valid plan or target form and redirect to its year's list (post/redirect/get); None to re-render.

    A refusal of the service (``ValidationError``) is shown on the form's fields.
    """
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        save(data)
    except ValidationError as error:
        _refuse(form, error)
        return None
    messages.success(request, done)
    return redirect(f"{reverse(page)}?{urlencode({'year': data['year']})}")


def _plans_context(request: HttpRequest, year: int, form: PlanForm | None = None) -> dict[str, Any]:
    editor = allows(request.user, P.WATER_KPI_TARGET_EDIT)
    if editor and form is None:
        form = PlanForm(initial={"year": year})
    if form is not None:
        field_of(form, "region", forms.ChoiceField).choices = _region_choices(request, False)
    plans = scope_queryset(DeploymentPlan.objects.select_related("region"), request.user)
    return {"plans": plans.order_by("year", "region__code"), "year": year, "form": form if editor else None,
            "total": sum(p.planned_sets for p in plans), "may_edit": editor}


@route(get=P.WATER_MONITOR_READ, post=P.WATER_KPI_TARGET_EDIT)
def plans_page(request: HttpRequest) -> HttpResponse:
    """The deployment plans (设备建设计划) in scope; an editor sets a county's planned sets for a year here."""
    year = _year(request)
    if request.method != "POST":
        if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
            plans = scope_queryset(DeploymentPlan.objects.all(), request.user)
            return _xlsx(deployment.export_plans(plans), "deployment-plans.xlsx")
        return render(request, "water/kpi_plans.html", _plans_context(request, year))
    form = PlanForm(request.POST)
    field_of(form, "region", forms.ChoiceField).choices = _region_choices(request, False)

    def save(data: dict[str, Any]) -> None:
        deployment.save_plan(_scoped_region(request, data["region"]), data["year"], data["planned_sets"],
                             data["note"], request.user)

    return _save_year_entry(request, form, save, "已保存设备建设计划", "water:kpi_plans") or render(
        request, "water/kpi_plans.html", _plans_context(request, year, form), status=400)


@route(get=P.WATER_KPI_TARGET_EDIT, post=P.WATER_KPI_TARGET_EDIT)
def plans_import(request: HttpRequest) -> HttpResponse:
    """Import deployment plans from a workbook (the export's columns): all rows or none."""
    return import_page(request, "water/kpi_plans_import.html",
                       lambda content: deployment.import_plans(content, request.user), reverse("water:kpi_plans"),
                       help_text=f"工作表「{deployment.PLAN_SHEET}」，列：{'、'.join(deployment.PLAN_COLUMNS)}")


def _targets_context(request: HttpRequest, year: int, form: TargetForm | None = None) -> dict[str, Any]:
    editor = allows(request.user, P.WATER_KPI_TARGET_EDIT)
    if editor and form is None:
        form = TargetForm(initial={"year": year})
    if form is not None:
        field_of(form, "region", forms.ChoiceField).choices = _region_choices(request, True)
    targets = scope_queryset(KpiTarget.objects.select_related("region"), request.user).filter(year=year)
    region = user_region(request)
    applying = [(metric.label, deployment.target_of(list(KpiTarget.objects.filter(year=year).select_related(
        "region")), region.path, metric)) for metric in KpiMetric]
    return {"targets": targets.order_by("region__code", "metric"), "year": year, "form": form if editor else None,
            "may_edit": editor, "region": region, "applying": applying}


@route(get=P.WATER_MONITOR_READ, post=P.WATER_KPI_TARGET_EDIT)
def targets_page(request: HttpRequest) -> HttpResponse:
    """The year's KPI targets (考核目标) in scope and those applying to the user's region; an editor sets one."""
    year = _year(request)
    if request.method != "POST":
        return render(request, "water/kpi_targets.html", _targets_context(request, year))
    form = TargetForm(request.POST)
    field_of(form, "region", forms.ChoiceField).choices = _region_choices(request, True)

    def save(data: dict[str, Any]) -> None:
        deployment.save_target(_scoped_region(request, data["region"]), data["year"], data["metric"],
                               data["target_pct"], request.user)

    return _save_year_entry(request, form, save, "已保存考核目标", "water:kpi_targets") or render(
        request, "water/kpi_targets.html", _targets_context(request, year, form), status=400)


@route(post=P.WATER_KPI_TARGET_EDIT)
def target_delete(request: HttpRequest, target_id: int) -> HttpResponse:
    """Remove a target; the target of the region above applies again."""
    target = get_object_or_404(scope_queryset(KpiTarget.objects.select_related("region"), request.user), pk=target_id)
    deployment.delete_target(target, request.user)
    messages.success(request, "已删除考核目标")
    return redirect(f"{reverse('water:kpi_targets')}?{urlencode({'year': target.year})}")
