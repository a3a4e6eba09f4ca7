"""取水许可 pages: list and export, a licence's page, the register/edit form, state changes and the import.

The list has filters and highlights the licences ending within 90 days; a licence's page shows its wells, its
annual plans (read-only) and its history from the audit log; revoking asks for confirmation first.

Reading needs ``water.allocation.read``, every change ``water.allocation.edit`` (``core.access``); everything is
limited to the user's region (``core.scope``): another county's licence is a 404. Changes go through
``water.licences.service``, which validates and audits; a refusal is a 400 with the message on its field.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import params
from changji.core.access import P, allows
from changji.core.guards import route
from changji.core.localtime import today
from changji.core.models import AuditEntry
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse
from changji.water.licences import xlsx
from changji.water.licences.service import FIELD_LABELS, save_licence, transition_licence
from changji.water.licences.states import MOVE_LABELS, STATE_LABELS, TABLE, WARNING_DAYS, State
from changji.water.models import AnnualPlan, Licence, WaterSource, WaterUser, Well, WellKind, WellUse
from changji.water.web.common import counties, import_page

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: "Expiring": a valid licence whose term ends within this many days (the first warning's threshold).
EXPIRING_DAYS = max(WARNING_DAYS)


class LicenceForm(forms.Form):
    number = forms.CharField(label="许可证编号", max_length=64)
    source = forms.ChoiceField(label="水源类型", choices=WaterSource.choices)
    purpose = forms.ChoiceField(label="取水用途", choices=WellUse.choices)
    permitted_m3_per_year = forms.FloatField(label="许可年取水量（立方米）", min_value=0, max_value=1e12)
    valid_from = params.DayField(label="有效期起")
    valid_to = params.DayField(label="有效期止")
    issuing_authority = forms.CharField(label="发证机关", max_length=128)
    wells = forms.ModelMultipleChoiceField(label="取水井", queryset=Well.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, wells: QuerySet[Well], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "wells", forms.ModelMultipleChoiceField).queryset = wells


def _moves(current: str) -> list[State]:
    """The moves an operator may make from ``current``, in the order of ``MOVE_LABELS`` (reinstate, suspend, revoke)."""
    return [move for move in MOVE_LABELS if TABLE.allows(State(current), move) and move not in TABLE.system_only]


class StateForm(forms.Form):
    to = forms.ChoiceField(label="变更为")
    reason = forms.CharField(label="原因", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "to", forms.ChoiceField).choices = [(m.value, MOVE_LABELS[m]) for m in _moves(current)]


def _scoped(request: HttpRequest) -> QuerySet[Licence]:
    return scope_queryset(Licence.objects.select_related("water_user", "region"), request.user)


def _filtered(request: HttpRequest) -> tuple[QuerySet[Licence], dict[str, Any], list[Any]]:
    county_list = counties(request)
    filters = params.parse(request.GET, {
        "county": params.Choice([c.code for c in county_list], default=""),
        "state": params.Choice([s.value for s in State], default=""),
        "water_user": params.Text(default=""),
        "expiring": params.Choice(["1"], default=""),
        "q": params.Text(default=""),
    })
    licences = _scoped(request)
    if filters["county"]:
        county = next(c for c in county_list if c.code == filters["county"])
        licences = licences.filter(region__path__startswith=county.path)
    if filters["state"]:
        licences = licences.filter(state=filters["state"])
    if filters["water_user"]:
        licences = licences.filter(water_user__code=filters["water_user"])
    if filters["expiring"]:
        day = today()
        licences = licences.filter(state=State.VALID, valid_to__gte=day,
                                   valid_to__lte=day + timedelta(days=EXPIRING_DAYS))
    if filters["q"]:
        q = filters["q"]
        licences = licences.filter(Q(number__icontains=q) | Q(water_user__name__icontains=q)
                                   | Q(water_user__code__icontains=q) | Q(issuing_authority__icontains=q))
    return licences.order_by("valid_to", "number"), filters, county_list


def _days_left(licence: Licence, day: date) -> int | None:
    """Days until the end of a valid licence's term when within the warning horizon, else None."""
    left = (licence.valid_to - day).days
    return left if licence.state == State.VALID and 0 <= left <= EXPIRING_DAYS else None


@route(get=P.WATER_ALLOCATION_READ)
def licence_list(request: HttpRequest) -> HttpResponse:
    licences, filters, county_list = _filtered(request)
    page = Paginator(licences, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    day = today()
    rows = [(licence, _days_left(licence, day)) for licence in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "water/licences.html", {
        "page": page, "rows": rows, "filters": filters, "query": query.urlencode(), "counties": county_list,
        "states": STATE_LABELS, "expiring_days": EXPIRING_DAYS,
        "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
    })


@route(get=P.WATER_ALLOCATION_READ)
def licence_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as the import's workbook (the licences the user may see)."""
    licences, _, _ = _filtered(request)
    response = HttpResponse(xlsx.export_licences(licences.prefetch_related("wells")), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="licences-{today():%Y%m%d}.xlsx"'
    return response


#: The licence's audit actions as its history names them.
HISTORY_LABELS = {"water.licence.create": "登记", "water.licence.update": "变更",
                  "water.licence.valid": "恢复有效", "water.licence.suspended": "暂停",
                  "water.licence.revoked": "吊销", "water.licence.expired": "到期失效",
                  "water.licence.expiring": "到期提醒"}


def _history(licence: Licence) -> list[dict[str, Any]]:
    """The licence's audit entries, oldest first, with their Chinese name and the fields an edit changed."""
    entries = AuditEntry.objects.filter(object_type=Licence._meta.label_lower, object_id=str(licence.pk),
                                        action__startswith="water.licence.").order_by("at")
    return [{"at": e.at, "actor": e.actor_name, "action": e.action, "label": HISTORY_LABELS.get(e.action, e.action),
             "reason": e.reason, "changed": "、".join(FIELD_LABELS.get(name, name) for name in
                                                     (e.detail or {}).get("changed", {}))}
            for e in entries]


@route(get=P.WATER_ALLOCATION_READ)
def licence_detail(request: HttpRequest, licence_id: int) -> HttpResponse:
    licence = get_object_or_404(_scoped(request), pk=licence_id)
    return render(request, "water/licence.html", {
        "licence": licence, "days_left": _days_left(licence, today()), "year": today().year,
        "wells": scope_queryset(licence.wells.all(), request.user).order_by("code"),
        "plans": AnnualPlan.objects.filter(licence=licence).order_by("-year"),
        "history": _history(licence), "may_edit": allows(request.user, P.WATER_ALLOCATION_EDIT),
        "moves": _moves(licence.state),
    })


def _user_wells(request: HttpRequest, user: WaterUser) -> QuerySet[Well]:
    return scope_queryset(Well.objects.filter(water_user=user, kind=WellKind.EXTRACTION), request.user).order_by("code")


def _save(request: HttpRequest, form: LicenceForm, user: WaterUser, licence: Licence | None) -> Licence | None:
    """Save through the service; on a refusal put it on the form and return None."""
    try:
        return save_licence({**form.cleaned_data, "water_user": user}, request.user, licence)
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
    except PermissionDenied as error:
        refuse(form, ValidationError(str(error)))
    return None


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def licence_new(request: HttpRequest) -> HttpResponse:
    """Register a licence: first the water user (``?water_user=<id>``), then the form with that user's wells."""
    user_id = params.query(request, "water_user", params.Id())
    users = scope_queryset(WaterUser.objects.all(), request.user).order_by("code")
    if user_id is None:
        return render(request, "water/licence_user.html", {"users": users})
    user = get_object_or_404(users, pk=user_id)
    form = LicenceForm(request.POST or None, wells=_user_wells(request, user),
                       initial={"issuing_authority": f"{user.region.name}水利局"})
    if request.method == "POST" and form.is_valid():
        licence = _save(request, form, user, None)
        if licence is not None:
            messages.success(request, f"取水许可证 {licence.number} 已登记")
            return redirect("water:licence", licence_id=licence.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "water/licence_form.html", {"form": form, "water_user": user, "licence": None},
                  status=status)


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def licence_edit(request: HttpRequest, licence_id: int) -> HttpResponse:
    licence = get_object_or_404(_scoped(request), pk=licence_id)
    initial = {name: getattr(licence, name) for name in ("number", "source", "purpose", "permitted_m3_per_year",
                                                         "valid_from", "valid_to", "issuing_authority")}
    initial["wells"] = list(licence.wells.all())
    form = LicenceForm(request.POST or None, wells=_user_wells(request, licence.water_user), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, licence.water_user, licence)
        if saved is not None:
            messages.success(request, f"取水许可证 {saved.number} 已保存")
            return redirect("water:licence", licence_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "water/licence_form.html",
                  {"form": form, "water_user": licence.water_user, "licence": licence}, status=status)


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def licence_state(request: HttpRequest, licence_id: int) -> HttpResponse:
    """Suspend, reinstate or revoke with a reason; revoking shows a confirmation first (``confirm=1`` applies)."""
    licence = get_object_or_404(_scoped(request), pk=licence_id)
    initial = {"to": params.query(request, "to", params.Choice([m.value for m in MOVE_LABELS]))}
    form = StateForm(request.POST or None, current=licence.state, initial=initial)
    if request.method == "POST" and form.is_valid():
        to, reason = form.cleaned_data["to"], form.cleaned_data["reason"]
        if to == State.REVOKED and request.POST.get("confirm") != "1":
            return render(request, "water/licence_revoke_confirm.html",
                          {"licence": licence, "reason": reason})
        try:
            transition_licence(licence, to, request.user, reason)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, f"取水许可证 {licence.number} 已{MOVE_LABELS[State(to)]}")
            return redirect("water:licence", licence_id=licence.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "water/licence_state.html", {"form": form, "licence": licence}, status=status)


@route(get=P.WATER_ALLOCATION_EDIT, post=P.WATER_ALLOCATION_EDIT)
def licence_import(request: HttpRequest) -> HttpResponse:
    """Upload a workbook: all rows or none; every problem listed with its sheet, row and column."""
    return import_page(request, "water/licence_import.html",
                       lambda content: xlsx.import_licences(content, request.user), reverse("water:licences"),
                       help_text="工作表「取水许可证」，表头见模板")


@route(get=P.WATER_ALLOCATION_EDIT)
def licence_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(xlsx.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="licences-template.xlsx"'
    return response
