"""走访与关爱 pages: the visit log with its filters and export, recording a visit, a visit's follow-up; care households.

Every list, detail and export goes through ``core.scope`` (``scope_queryset`` / ``scoped_or_404``): a visit or
care household outside the user's region is a 404. The services (``community.visits.service``) check the region
again and audit every change. The care list shows the last visit, the next due day and the overdue days of
each care household, with the overdue count per responsible worker at the top.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from changji.community.models import CareHousehold, CareTag, Compound, Grid, Household, IssueCategory, Visit, VisitKind
from changji.community.privacy import mask_name
from changji.community.visits import service
from changji.community.visits.export import XLSX, care_workbook, visits_workbook
from changji.community.web.common import scoped_or_404
from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.localtime import days_bounds, today
from changji.core.models import Role, User
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse, run_action

PAGE_SIZE = 50
#: How many households the picker lists at once; the building/door search narrows it.
PICKER_LIMIT = 200
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
TAG_LABELS = {value: str(label) for value, label in CareTag.choices}


def place_of(visit: Visit) -> str:
    """Where a visit went: the household's compound, building and door, or the compound's name."""
    if visit.household is not None:
        return household_label(visit.household)
    return visit.compound.name if visit.compound is not None else ""


def household_label(household: Household) -> str:
    """``幸福小区 1号楼 1-101`` for pickers and lists."""
    building = household.building
    return f"{building.compound.name} {building.name} {household.door}"


def household_picker(user: Any, query: str) -> models.QuerySet[Household]:
    """Households in the user's region whose compound, building or door contains ``query``."""
    found = scope_queryset(Household.objects.select_related("building__compound"), user)
    query = query.strip()
    if query:
        found = found.filter(models.Q(building__name__contains=query) | models.Q(door__contains=query)
                             | models.Q(building__compound__name__contains=query))
    return found.order_by("building__compound__name", "building__name", "door")


def _picker_choices(user: Any, query: str) -> list[tuple[Any, str]]:
    return [("", "---------")] + [(h.pk, household_label(h)) for h in household_picker(user, query)[:PICKER_LIMIT]]


class VisitForm(forms.Form):
    """A visit: the household (or a whole compound), when, about what, the follow-up; optionally an issue."""

    household = forms.ModelChoiceField(label="走访户", queryset=Household.objects.none(), required=False)
    compound = forms.ModelChoiceField(label="或走访小区", queryset=Compound.objects.none(), required=False)
    kind = forms.ChoiceField(label="类别", choices=VisitKind.choices)
    visited_at = params.MomentField(label="走访时间", input_formats=MOMENT_FORMATS,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    topic = forms.CharField(label="走访事由", max_length=255)
    notes = forms.CharField(label="情况记录", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label="后续跟进", max_length=255, required=False)
    follow_up_due_on = params.DayField(label="跟进期限", required=False)
    issue_category = forms.ModelChoiceField(label="转为诉求（类别）", required=False, empty_label="不转诉求",
                                            queryset=IssueCategory.objects.filter(active=True))
    issue_description = forms.CharField(label="诉求内容", max_length=4000, required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        households = field_of(self, "household", forms.ModelChoiceField)
        households.queryset = scope_queryset(Household.objects.all(), user)
        households.choices = _picker_choices(user, query)
        field_of(self, "compound", forms.ModelChoiceField).queryset = scope_queryset(
            Compound.objects.order_by("name"), user)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        if not data.get("household") and not data.get("compound") and "household" not in self.errors:
            self.add_error("household", "请选择走访的户或小区")
        return data


class FollowUpDoneForm(forms.Form):
    done_on = params.DayField(label="完成日期")
    note = forms.CharField(label="完成情况", max_length=255, required=False)


def _visits(request: HttpRequest) -> tuple[models.QuerySet[Visit], dict[str, Any]]:
    """Scoped visits narrowed by grid, visitor, kind, date range and open follow-up; the chosen filters."""
    rows = scope_queryset(Visit.objects.select_related("region", "household__building__compound", "compound",
                                                       "issue"), request.user)
    chosen = params.parse(request.GET, {
        "grid": params.RegionCode(default=""), "visitor": params.Text(64, default=""),
        "kind": params.Choice(VisitKind, default=""), "from": params.Day(), "to": params.Day(),
        "open": params.Choice(["1"], default="")})
    if chosen["grid"]:
        rows = rows.filter(region_id=chosen["grid"])
    if chosen["visitor"]:
        rows = rows.filter(visitor_name__contains=chosen["visitor"])
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["from"] or chosen["to"]:
        start, end = days_bounds(chosen["from"] or date(2000, 1, 1), chosen["to"] or date(2099, 12, 31))
        rows = rows.filter(visited_at__gte=start, visited_at__lt=end)
    if chosen["open"]:
        rows = rows.exclude(follow_up="").filter(follow_up_done_on__isnull=True)
    return rows.order_by("-visited_at", "-pk"), chosen


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@route(get=P.COMMUNITY_READ)
def visit_list(request: HttpRequest) -> HttpResponse:
    """The visit log of the user's region, newest first, filtered and paged."""
    rows, chosen = _visits(request)
    page = Paginator(rows, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    return render(request, "community/visits.html", {
        "page": page, "chosen": chosen, "kinds": VisitKind.choices, "query": _query_without_page(request),
        "grids": scope_queryset(Grid.objects.select_related("region"), request.user).order_by("region_id"),
        "rows": [{"visit": v, "place": place_of(v)} for v in page.object_list]})


@route(get=P.COMMUNITY_READ)
def visits_export(request: HttpRequest) -> HttpResponse:
    """The filtered visit log as XLSX (sheet 走访记录)."""
    rows, _ = _visits(request)
    response = HttpResponse(visits_workbook(rows.iterator(chunk_size=2000)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="visits-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@route(get=P.COMMUNITY_VISIT_RECORD, post=P.COMMUNITY_VISIT_RECORD)
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record a visit to a household (``?q=`` searches building and door) or a compound of the user's region."""
    query = params.query(request, "q", params.Text(64, default=""))
    initial = {"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
               "household": params.query(request, "household", params.Id())}
    form = VisitForm(request.POST or None, user=request.user, query=query, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = service.record_visit(
                    request.user, household=data["household"], compound=data["compound"], kind=data["kind"],
                    visited_at=data["visited_at"], topic=data["topic"], notes=data["notes"],
                    follow_up=service.FollowUp(data["follow_up"], data["follow_up_due_on"]),
                    issue_category=data["issue_category"], issue_description=data["issue_description"],
                    now=timezone.now())
            except Refusal as error:
                refuse(form, error)
            else:
                filed = f"，并转为诉求 {visit.issue.request_id}" if visit.issue else ""
                messages.success(request, f"走访已记录{filed}。")
                return redirect("community:visit_detail", visit_id=visit.pk)
        return render(request, "community/visit_form.html", {"form": form, "query": query}, status=400)
    return render(request, "community/visit_form.html", {"form": form, "query": query})


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_VISIT_RECORD)
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    """One visit; POST ``action=follow_up_done`` marks its follow-up done."""
    visit = scoped_or_404(Visit.objects.select_related("region", "household__building__compound", "compound",
                                                       "issue"), request.user, pk=visit_id)
    available: dict[str, forms.Form] = {}
    if visit.follow_up and visit.follow_up_done_on is None and allows(request.user, P.COMMUNITY_VISIT_RECORD):
        action = request.POST.get("action", "")
        available["follow_up_done"] = FollowUpDoneForm(request.POST if action == "follow_up_done" else None,
                                                       prefix="done", initial={"done_on": today()})

    def apply(form: forms.Form) -> str:
        service.complete_follow_up(visit, request.user, form.cleaned_data["done_on"], form.cleaned_data["note"],
                                   today=today())
        return "跟进已完成。"

    status = run_action(request, available, request.POST.get("action", ""), apply)
    if status is None:
        return redirect("community:visit_detail", visit_id=visit.pk)
    care = CareHousehold.objects.filter(household_id=visit.household_id).first() if visit.household_id else None
    return render(request, "community/visit_detail.html", {
        "visit": visit, "forms": available, "care": care,
        "place": place_of(visit)}, status=status)


# --- 关爱户 ---------------------------------------------------------------------------------------------------


def worker_choices(user: Any) -> models.QuerySet[User]:
    """Grid and community workers of the user's region: who may be made responsible for a care household."""
    return scope_queryset(User.objects.filter(is_active=True, role__in=(Role.GRID_WORKER, Role.COMMUNITY_WORKER)),
                          user).order_by("username")


class WorkerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class CareForm(forms.Form):
    """The care of a household: its tags, its visit interval (blank: the default of its tags), its worker."""

    tags = forms.MultipleChoiceField(label="关爱类别", choices=CareTag.choices, widget=forms.CheckboxSelectMultiple)
    interval = forms.IntegerField(label="走访周期（天，留空按类别默认）", min_value=1, max_value=92, required=False)
    worker = WorkerField(label="责任网格员", queryset=User.objects.none(), required=False)
    note = forms.CharField(label="说明", max_length=255, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "worker", WorkerField).queryset = worker_choices(user)


class CareNewForm(CareForm):
    household = forms.ModelChoiceField(label="户", queryset=Household.objects.none())
    field_order = ["household", "tags", "interval", "worker", "note"]

    def __init__(self, *args: Any, user: Any, query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        households = field_of(self, "household", forms.ModelChoiceField)
        households.queryset = scope_queryset(Household.objects.all(), user)
        households.choices = _picker_choices(user, query)


class StopCareForm(forms.Form):
    reason = forms.CharField(label="停止关爱的原因", max_length=255)


def _care_entries(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """The care households the filters choose (a queryset, or the overdue ones' ids most overdue first)."""
    chosen = params.parse(request.GET, {"worker": params.Id(), "tag": params.Choice(CareTag, default=""),
                                        "overdue": params.Choice(["1"], default="")})
    entries = service.scoped_care(request.user)
    if chosen["worker"] is not None:
        entries = entries.filter(worker_id=chosen["worker"])
    if chosen["tag"]:
        # JSON "contains" is not portable to SQLite; a tag is a quoted token in the stored list.
        entries = entries.filter(tags__icontains=f'"{chosen["tag"]}"')
    entries = entries.order_by("region_id", "household_id")
    if chosen["overdue"]:
        days = service.overdue_days_of(entries, today())
        return sorted(days, key=lambda pk: (-days[pk], pk)), chosen
    return entries, chosen


def _care_rows(request: HttpRequest, entries: Any) -> list[service.CareRow]:
    """Rows of ``entries``: care households, or ids of them (kept in their order)."""
    items = list(entries)
    if items and isinstance(items[0], int):
        found = {e.pk: e for e in service.scoped_care(request.user).filter(pk__in=items)}
        items = [found[pk] for pk in items if pk in found]
    return service.care_rows(items, today())


def _care(request: HttpRequest) -> tuple[list[service.CareRow], dict[str, Any]]:
    entries, chosen = _care_entries(request)
    return _care_rows(request, entries), chosen


def _care_row(row: service.CareRow) -> dict[str, Any]:
    return {"row": row, "place": household_label(row.entry.household),
            "tags": "、".join(TAG_LABELS.get(tag, tag) for tag in row.entry.tags)}


@route(get=P.COMMUNITY_READ)
def care_list(request: HttpRequest) -> HttpResponse:
    """Care households of the user's region with last visit, next due day and overdue days; overdue per worker."""
    entries, chosen = _care_entries(request)
    page = Paginator(entries, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    return render(request, "community/care.html", {
        "page": page, "chosen": chosen, "rows": [_care_row(r) for r in _care_rows(request, page.object_list)],
        "summary": service.overdue_care(request.user, today()), "tags": CareTag.choices,
        "workers": worker_choices(request.user), "query": _query_without_page(request)})


@route(get=P.COMMUNITY_READ)
def care_export(request: HttpRequest) -> HttpResponse:
    """The filtered care list as XLSX (``?overdue=1``: the overdue list), most overdue first."""
    rows, _ = _care(request)
    rows = sorted(rows, key=lambda r: (-r.overdue_days, r.entry.pk))
    response = HttpResponse(care_workbook([_care_row(r) for r in rows]), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="care-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@route(get=P.COMMUNITY_VISIT_RECORD, post=P.COMMUNITY_VISIT_RECORD)
def care_new(request: HttpRequest) -> HttpResponse:
    """Tag a household of the user's region for care (``?q=`` searches building and door)."""
    query = params.query(request, "q", params.Text(64, default=""))
    form = CareNewForm(request.POST or None, user=request.user, query=query)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = service.tag_for_care(data["household"], data["tags"], request.user, today=today(),
                                             interval=data["interval"], worker=data["worker"], note=data["note"])
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"已纳入关爱，每 {entry.visit_every_days} 天走访一次。")
                return redirect("community:care_detail", care_id=entry.pk)
        return render(request, "community/care_form.html", {"form": form, "query": query}, status=400)
    return render(request, "community/care_form.html", {"form": form, "query": query})


def _care_forms(entry: CareHousehold, request: HttpRequest, action: str) -> dict[str, forms.Form]:
    if not allows(request.user, P.COMMUNITY_VISIT_RECORD):
        return {}
    data = request.POST if request.method == "POST" else None
    change = CareForm(data if action == "change" else None, prefix="change", user=request.user, initial={
        "tags": entry.tags, "interval": entry.visit_every_days, "worker": entry.worker_id, "note": entry.note})
    available: dict[str, forms.Form] = {"change": change}
    if entry.active:
        available["stop"] = StopCareForm(data if action == "stop" else None, prefix="stop")
    return available


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_VISIT_RECORD)
def care_detail(request: HttpRequest, care_id: int) -> HttpResponse:
    """A care household: its tags, interval and worker (changed or stopped here) and its visit history."""
    entry = scoped_or_404(service.with_last_visit(CareHousehold.objects.select_related(
        "household__building__compound", "region", "worker")), request.user, pk=care_id)
    action = request.POST.get("action", "")
    available = _care_forms(entry, request, action)

    def apply(form: forms.Form) -> str:
        data = form.cleaned_data
        if action == "stop":
            service.untag(entry, request.user, data["reason"])
            return "已停止关爱。"
        service.tag_for_care(entry.household, data["tags"], request.user, today=today(), interval=data["interval"],
                             worker=data["worker"], note=data["note"])
        return "关爱信息已更新。"

    status = run_action(request, available, action, apply)
    if status is None:
        return redirect("community:care_detail", care_id=entry.pk)
    (row,) = service.care_rows([entry], today())
    residents = [mask_name(r.name) for r in entry.household.residents.order_by("pk")]
    return render(request, "community/care_detail.html", {
        **_care_row(row), "entry": entry, "forms": available, "residents": residents,
        "visits": scope_queryset(Visit.objects.filter(household=entry.household), request.user)[:100]},
        status=status)


urlpatterns = [
    path("visits/", visit_list, name="visits"),
    path("visits/new/", visit_new, name="visit_new"),
    path("visits/export/", visits_export, name="visits_export"),
    path("visits/<id:visit_id>/", visit_detail, name="visit_detail"),
    path("care/", care_list, name="care"),
    path("care/new/", care_new, name="care_new"),
    path("care/export/", care_export, name="care_export"),
    path("care/<id:care_id>/", care_detail, name="care_detail"),
]
