"""水资源税 pages: a region's statement, one water user's printable statement, rates and overdraft areas.

Reading needs ``water.tax.read``; changing the rate table and the overdraft areas ``water.tax_rate.edit`` (the
rate table, which applies everywhere, only for an administrator whose scope covers the instance, like
``core.admin_scope.InstanceWideAdmin``). Every successful POST redirects; a refusal re-renders with 400.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from changji.core import params
from changji.core.access import P, allows
from changji.core.guards import route
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.scope import covers_instance, scope_queryset
from changji.core.uploads import UploadError, check_size
from changji.core.web_forms import field_of
from changji.water.models import OverdraftArea, ReportPeriod, WaterTaxRate, WaterUser
from changji.water.tax import rates as rate_table
from changji.water.tax.exports import file_name, to_xlsx
from changji.water.tax.statement import PERIOD_LABELS, tax_statement
from changji.water.web.common import counties, user_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_USERS = 200


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=ReportPeriod.choices, label="计征期", initial=ReportPeriod.MONTH)
    at = params.DayField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    region = forms.ChoiceField(label="区划", required=False)


class RateForm(forms.ModelForm):
    class Meta:
        model = WaterTaxRate
        fields = ["source", "use", "zone", "rate_yuan_per_m3", "over_plan_multiplier", "exempt_within_plan",
                  "valid_from_year", "valid_to_year", "document", "note"]
        widgets = {"valid_from_year": forms.NumberInput(attrs={"min": params.FIRST_YEAR, "max": params.LAST_YEAR}),
                   "valid_to_year": forms.NumberInput(attrs={"min": params.FIRST_YEAR, "max": params.LAST_YEAR})}

    def clean_valid_from_year(self) -> int:
        return _year(self.cleaned_data["valid_from_year"])

    def clean_valid_to_year(self) -> int | None:
        value = self.cleaned_data.get("valid_to_year")
        return None if value is None else _year(value)


def _year(value: int) -> int:
    if not params.FIRST_YEAR <= value <= params.LAST_YEAR:
        raise forms.ValidationError(f"年度应在 {params.FIRST_YEAR}–{params.LAST_YEAR} 之间")
    return value


class AreaForm(forms.ModelForm):
    designated_on = params.DayField(label="划定日期")
    lifted_on = params.DayField(label="解除日期", required=False)

    class Meta:
        model = OverdraftArea
        fields = ["region", "level", "designated_on", "lifted_on", "document"]


class ImportForm(forms.Form):
    file = forms.FileField(label="税额标准工作簿（.xlsx）")


def _refuse(form: forms.BaseForm, error: ValidationError) -> None:
    """Put the model's refusal on the form: on the field it names when the form has it, else on the whole form."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, said in by_field.items():
        for message in said:
            form.add_error(name if name in form.fields else None, message)


# --- the statement ------------------------------------------------------------------------------------------


def _period_form(request: HttpRequest) -> PeriodForm:
    region = user_region(request)
    form = PeriodForm(request.GET if "period" in request.GET else None, initial={"at": local_day(timezone.now())})
    field_of(form, "region", forms.ChoiceField).choices = [("", f"{region.name}（全部）")] + [
        (c.code, c.name) for c in counties(request) if c.code != region.code]
    return form


def _region(request: HttpRequest, code: str) -> Region:
    if not code:
        return user_region(request)
    return get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=code)


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@route(get=P.WATER_TAX_READ)
def tax_page(request: HttpRequest) -> HttpResponse:
    """The statement of a region and period: totals, the water users, a download of the tax office's workbook."""
    form, statement = _period_form(request), None
    if form.is_bound and form.is_valid():
        statement = tax_statement(form.cleaned_data["period"], form.cleaned_data["at"],
                                  _region(request, form.cleaned_data["region"]))
        if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
            return _xlsx(to_xlsx(statement), file_name(statement))
    users = statement.users if statement else []
    return render(request, "water/tax.html", {
        "form": form, "statement": statement, "users": users[:PREVIEW_USERS], "user_count": len(users),
        "query": request.GET.urlencode(), "period_labels": PERIOD_LABELS,
    }, status=400 if form.is_bound and not form.is_valid() else 200)


@route(get=P.WATER_TAX_READ)
def tax_user(request: HttpRequest, water_user_code: str) -> HttpResponse:
    """One water user's printable statement (水资源税计征明细), or its workbook with ``format=xlsx``."""
    user = get_object_or_404(scope_queryset(WaterUser.objects.select_related("region"), request.user),
                             code=water_user_code)
    chosen = params.parse(request.GET, {
        "period": params.Choice(ReportPeriod.values, default=ReportPeriod.MONTH),
        "at": params.Day(default=local_day(timezone.now())), "format": params.Choice(["html", "xlsx"], default="html")})
    statement = tax_statement(chosen["period"], chosen["at"], user.region, user.code)
    if chosen["format"] == "xlsx":
        return _xlsx(to_xlsx(statement), file_name(statement, user.code))
    return render(request, "water/tax_user.html", {
        "statement": statement, "water_user": user, "entry": statement.users[0] if statement.users else None,
        "period_label": PERIOD_LABELS[chosen["period"]], "query": request.GET.urlencode(),
        "printed_at": timezone.localtime(statement.generated_at),
    })


# --- the rate table -----------------------------------------------------------------------------------------


def _may_edit_rates(request: HttpRequest) -> bool:
    return allows(request.user, P.WATER_TAX_RATE_EDIT) and covers_instance(request.user)


def _require_rate_editor(request: HttpRequest) -> None:
    if not _may_edit_rates(request):
        raise PermissionDenied("税额标准适用于全州，仅全州范围的管理员可以修改")


def _rates_context(request: HttpRequest, form: RateForm | None = None,
                   upload: ImportForm | None = None, problems: list[str] | None = None) -> dict[str, Any]:
    editor = _may_edit_rates(request)
    return {"rates": WaterTaxRate.objects.all(), "may_edit": editor,
            "form": form or (RateForm() if editor else None), "upload": upload or (ImportForm() if editor else None),
            "problems": problems or []}


@route(get=P.WATER_TAX_READ, post=P.WATER_TAX_RATE_EDIT)
def rates(request: HttpRequest) -> HttpResponse:
    """The rate table; an administrator of the whole instance adds a row here."""
    if request.method != "POST":
        if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
            return _xlsx(rate_table.export_rates(), "water-tax-rates.xlsx")
        return render(request, "water/tax_rates.html", _rates_context(request))
    _require_rate_editor(request)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            rate_table.save_rate(form.save(commit=False), request.user)
        except ValidationError as error:
            _refuse(form, error)
        else:
            messages.success(request, "已新增税额标准")
            return redirect("water:tax_rates")
    return render(request, "water/tax_rates.html", _rates_context(request, form=form), status=400)


@route(get=P.WATER_TAX_RATE_EDIT, post=P.WATER_TAX_RATE_EDIT)
def rate_edit(request: HttpRequest, rate_id: int) -> HttpResponse:
    """Change one rate row (audited with the fields before and after)."""
    _require_rate_editor(request)
    rate = get_object_or_404(WaterTaxRate, pk=rate_id)
    before = rate_table.snapshot(rate)
    form = RateForm(request.POST if request.method == "POST" else None, instance=rate)
    if request.method == "POST" and form.is_valid():
        try:
            rate_table.save_rate(form.save(commit=False), request.user, before=before)
        except ValidationError as error:
            _refuse(form, error)
        else:
            messages.success(request, "已修改税额标准")
            return redirect("water:tax_rates")
    return render(request, "water/tax_rate_edit.html", {"form": form, "rate": rate},
                  status=400 if form.is_bound else 200)


@route(post=P.WATER_TAX_RATE_EDIT)
def rates_import(request: HttpRequest) -> HttpResponse:
    """Import the rate table from a workbook (the export's columns); all or nothing."""
    _require_rate_editor(request)
    upload = ImportForm(request.POST, request.FILES)
    problems: list[str] = []
    if upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            check_size(file.size)
            created, updated = rate_table.import_rates(file.read(), request.user)
        except rate_table.RateImportError as error:
            problems = [error.message, *error.problems]
        except UploadError as error:
            problems = [error.message]
        else:
            messages.success(request, f"导入完成：新增 {created} 条，更新 {updated} 条")
            return redirect("water:tax_rates")
    return render(request, "water/tax_rates.html", _rates_context(request, upload=upload, problems=problems),
                  status=400)


# --- overdraft areas ----------------------------------------------------------------------------------------


def _area_form(request: HttpRequest, data: Any = None, instance: OverdraftArea | None = None) -> AreaForm:
    form = AreaForm(data, instance=instance)
    field_of(form, "region", forms.ModelChoiceField).queryset = scope_queryset(
        Region.objects.filter(level__gte=3).order_by("code"), request.user)
    return form


@route(get=P.WATER_TAX_READ, post=P.WATER_TAX_RATE_EDIT)
def overdraft_areas(request: HttpRequest) -> HttpResponse:
    """The designated groundwater overdraft areas (地下水超采区) in scope; an administrator designates one here."""
    editor = allows(request.user, P.WATER_TAX_RATE_EDIT)
    form = _area_form(request, request.POST if request.method == "POST" else None) if editor else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            rate_table.save_area(form.save(commit=False), request.user)
        except ValidationError as error:
            _refuse(form, error)
        else:
            messages.success(request, "已保存超采区划定")
            return redirect("water:tax_overdraft")
    areas = scope_queryset(OverdraftArea.objects.select_related("region"), request.user)
    return render(request, "water/tax_overdraft.html", {"areas": areas, "form": form, "may_edit": editor},
                  status=400 if request.method == "POST" else 200)


@route(get=P.WATER_TAX_RATE_EDIT, post=P.WATER_TAX_RATE_EDIT)
def overdraft_area_edit(request: HttpRequest, area_id: int) -> HttpResponse:
    """Change a designation (its level, or the day it is lifted)."""
    area = get_object_or_404(scope_queryset(OverdraftArea.objects.all(), request.user), pk=area_id)
    form = _area_form(request, request.POST if request.method == "POST" else None, instance=area)
    if request.method == "POST" and form.is_valid():
        try:
            rate_table.save_area(form.save(commit=False), request.user)
        except ValidationError as error:
            _refuse(form, error)
        else:
            messages.success(request, "已保存超采区划定")
            return redirect("water:tax_overdraft")
    return render(request, "water/tax_overdraft_edit.html", {"form": form, "area": area},
                  status=400 if form.is_bound else 200)

