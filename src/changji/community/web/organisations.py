"""包联 and grid party organisation pages: lists with filters, forms, details, and the 包联 workbook.

Reading is ``community.read``; changing is ``community.liaison.manage`` (community workers, street officers and
county staff). Every list, detail and export goes through ``core.scope`` (outside scope: 404); the services of
``community.organisations`` check the scope again and refuse with a Chinese message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from changji.community.models import (
    AgreementList,
    CoBuildingUnit,
    Compound,
    Grid,
    GridPartyOrganisation,
    Liaison,
    LiaisonDuty,
    LiaisonKind,
    PartyMember,
    PartyOrganisationKind,
)
from changji.community.organisations import liaison_sheet, liaisons, party
from changji.community.organisations.rules import missing_labels
from changji.community.web.common import scoped_or_404
from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.uploads import MAX_UPLOAD_BYTES, UploadError
from changji.core.web_forms import field_of, refuse, run_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
LIAISON_ACTIONS = {"end": "结束包联", "duty": "添加职责", "duty_done": "职责完成"}


def _communities(user: Any) -> QuerySet[Region]:
    return scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), user).order_by("code")


def _places(user: Any) -> QuerySet[Region]:
    return scope_queryset(Region.objects.filter(level__in=(RegionLevel.VILLAGE, RegionLevel.GRID)),
                          user).order_by("code")


def _may_manage(user: Any) -> bool:
    return allows(user, P.COMMUNITY_LIAISON_MANAGE)


# --- 包联 --------------------------------------------------------------------------------------------------------


class LiaisonForm(forms.Form):
    """A new 包联: where, who, from when, and its duties (one per line on each of the four lists)."""

    region = forms.ModelChoiceField(label="包联社区或网格", queryset=Region.objects.none(), required=False)
    compound = forms.ModelChoiceField(label="或包联小区", queryset=Compound.objects.none(), required=False)
    kind = forms.ChoiceField(label="类别", choices=LiaisonKind.choices)
    name = forms.CharField(label="姓名或单位", max_length=128, required=False,
                           help_text="共建单位或党员包联可留空，取其名称")
    title = forms.CharField(label="职务", max_length=64, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    unit = forms.ModelChoiceField(label="共建单位", queryset=CoBuildingUnit.objects.none(), required=False)
    member = forms.ModelChoiceField(label="党员", queryset=PartyMember.objects.none(), required=False)
    commitment = forms.CharField(label="承诺书", max_length=4000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = params.DayField(label="包联开始")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = _places(user)
        field_of(self, "compound", forms.ModelChoiceField).queryset = scope_queryset(
            Compound.objects.order_by("region_id", "name"), user)
        field_of(self, "unit", forms.ModelChoiceField).queryset = scope_queryset(
            CoBuildingUnit.objects.order_by("name"), user)
        field_of(self, "member", forms.ModelChoiceField).queryset = scope_queryset(
            PartyMember.objects.order_by("name"), user)
        for value, label in AgreementList.choices:
            self.fields[f"duties_{value}"] = forms.CharField(label=f"{label}（每行一项）", max_length=4000,
                                                             required=False, widget=forms.Textarea(attrs={"rows": 2}))
        self.fields["starts_on"].initial = timezone.localdate()

    def attachment(self) -> liaisons.Attachment:
        data = self.cleaned_data
        return liaisons.Attachment(kind=data["kind"], starts_on=data["starts_on"], region=data["region"],
                                   compound=data["compound"], name=data["name"], title=data["title"],
                                   phone=data["phone"], unit=data["unit"], member=data["member"],
                                   commitment=data["commitment"])

    def duties(self) -> list[tuple[str, str]]:
        return [(value, line.strip()) for value, _ in AgreementList.choices
                for line in self.cleaned_data[f"duties_{value}"].splitlines() if line.strip()]


class EndForm(forms.Form):
    ends_on = params.DayField(label="结束日期")
    reason = forms.CharField(label="说明", max_length=255, required=False)


class DutyForm(forms.Form):
    list_kind = forms.ChoiceField(label="清单", choices=AgreementList.choices)
    text = forms.CharField(label="职责内容", max_length=255)


class DutyDoneForm(forms.Form):
    duty = forms.ChoiceField(label="职责")
    done_on = params.DayField(label="完成日期")

    def __init__(self, *args: Any, open_duties: list[LiaisonDuty], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_duties = {str(d.pk): d for d in open_duties}
        field_of(self, "duty", forms.ChoiceField).choices = [
            (str(d.pk), f"{d.get_list_kind_display()}：{d.text}") for d in open_duties]
        self.fields["done_on"].initial = timezone.localdate()


def _liaisons(request: HttpRequest) -> tuple[QuerySet[Liaison], dict[str, Any]]:
    """Scoped attachments narrowed by ``community``, ``kind`` and ``state`` (running / ended); the chosen filters."""
    chosen = params.parse(request.GET, {"community": params.RegionCode(default=""),
                                        "kind": params.Choice(LiaisonKind, default=""),
                                        "state": params.Choice(["running", "ended"], default="")})
    rows = scope_queryset(Liaison.objects.select_related("region", "compound", "unit", "member"), request.user)
    if chosen["community"]:
        rows = rows.filter(region__path__startswith=scoped_or_404(Region.objects.all(), request.user,
                                                                  code=chosen["community"]).path)
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["state"] == "running":
        rows = rows.filter(ends_on__isnull=True)
    elif chosen["state"] == "ended":
        rows = rows.filter(ends_on__isnull=False)
    return rows.order_by("region_id", "kind", "name", "pk"), chosen


@route(get=P.COMMUNITY_READ)
def liaison_list(request: HttpRequest) -> HttpResponse:
    """包联 in scope, paged, filtered by community, kind and whether they still run."""
    rows, chosen = _liaisons(request)
    page = Paginator(rows.prefetch_related("duties"), PAGE_SIZE).get_page(params.query(request, "page",
                                                                                       params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "community/liaisons.html", {
        "page": page, "chosen": chosen, "kinds": LiaisonKind.choices, "communities": _communities(request.user),
        "query": query.urlencode(), "may_manage": _may_manage(request.user)})


@route(get=P.COMMUNITY_LIAISON_MANAGE, post=P.COMMUNITY_LIAISON_MANAGE)
def liaison_new(request: HttpRequest) -> HttpResponse:
    """Record a 包联 to a community, compound or grid in scope, with its duties."""
    form = LiaisonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            liaison = liaisons.attach(form.attachment(), request.user, form.duties())
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已登记包联：{liaison.name}。")
            return redirect("community:liaison_detail", liaison_id=liaison.pk)
    return render(request, "community/liaison_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _liaison_forms(liaison: Liaison, request: HttpRequest, action: str) -> dict[str, forms.Form]:
    if not _may_manage(request.user):
        return {}
    data = request.POST or None

    def bound(name: str) -> Any:
        return data if action == name else None

    available: dict[str, forms.Form] = {}
    open_duties = [d for d in liaison.duties.all() if d.done_on is None]
    if open_duties:
        available["duty_done"] = DutyDoneForm(bound("duty_done"), prefix="duty_done", open_duties=open_duties)
    if liaison.ends_on is None:
        available["duty"] = DutyForm(bound("duty"), prefix="duty")
        available["end"] = EndForm(bound("end"), prefix="end")
    return available


def _apply_liaison(liaison: Liaison, user: Any, action: str, form: forms.Form) -> str:
    data = form.cleaned_data
    if action == "end":
        liaisons.end(liaison, user, data["ends_on"], data["reason"])
    elif action == "duty":
        liaisons.add_duty(liaison, user, data["list_kind"], data["text"])
    elif isinstance(form, DutyDoneForm):
        liaisons.complete_duty(form.open_duties[data["duty"]], user, data["done_on"])
    return f"已{LIAISON_ACTIONS[action]}。"


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_LIAISON_MANAGE)
def liaison_detail(request: HttpRequest, liaison_id: int) -> HttpResponse:
    """A 包联: where, who, its duties with their done dates, the points earned there; end it, add or tick duties."""
    liaison = scoped_or_404(Liaison.objects.select_related("region", "compound", "unit", "member"), request.user,
                            pk=liaison_id)
    action = request.POST.get("action", "")
    available = _liaison_forms(liaison, request, action)
    status = run_action(request, available, action, lambda form: _apply_liaison(liaison, request.user, action, form))
    if status is None:
        return redirect("community:liaison_detail", liaison_id=liaison.pk)
    return render(request, "community/liaison_detail.html", {
        "liaison": liaison, "duties": liaison.duties.all(), "points": liaisons.points_earned_there(liaison),
        "forms": available, "actions": LIAISON_ACTIONS}, status=status)


@route(get=P.COMMUNITY_READ)
def liaisons_export(request: HttpRequest) -> HttpResponse:
    """The filtered 包联 as a workbook of the import's shape (formula-safe)."""
    rows, _ = _liaisons(request)
    response = HttpResponse(liaison_sheet.export_liaisons(rows.prefetch_related("duties")), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="liaisons-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


class WorkbookForm(forms.Form):
    workbook = forms.FileField(label="XLSX 工作簿", help_text=f"不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")


@route(get=P.COMMUNITY_LIAISON_MANAGE, post=P.COMMUNITY_LIAISON_MANAGE)
def liaisons_import(request: HttpRequest) -> HttpResponse:
    """Import a 包联 workbook: every row or none, each problem with its row number."""
    form = WorkbookForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = liaison_sheet.import_liaisons(form.cleaned_data["workbook"].read(), request.user)
        except UploadError as error:
            errors = [error.message]
        else:
            errors = result.errors
            if not errors:
                messages.success(request, result.summary())
                return redirect("community:liaisons")
    refused = bool(errors) or (request.method == "POST" and bool(form.errors))
    return render(request, "community/liaisons_import.html", {"form": form, "errors": errors,
                                                              "columns": liaison_sheet.COLUMNS},
                  status=400 if refused else 200)


# --- 网格党组织 ------------------------------------------------------------------------------------------------


class OrganisationForm(forms.Form):
    """An organisation's own fields, its grids and members (choices limited to its community on the detail page)."""

    community = forms.ModelChoiceField(label="社区", queryset=Region.objects.none())
    name = forms.CharField(label="名称", max_length=128)
    kind = forms.ChoiceField(label="类别", choices=PartyOrganisationKind.choices)
    secretary = forms.ModelChoiceField(label="书记（组长，报到党员）", queryset=PartyMember.objects.none(),
                                       required=False)
    secretary_name = forms.CharField(label="或书记姓名", max_length=64, required=False)
    venue = forms.CharField(label="活动阵地", max_length=128, required=False)
    rules_posted = forms.BooleanField(label="制度上墙", required=False)
    last_activity_on = params.DayField(label="最近一次组织生活", required=False)
    founded_on = params.DayField(label="成立日期")
    grids = forms.ModelMultipleChoiceField(label="覆盖网格", queryset=Grid.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    members = forms.ModelMultipleChoiceField(label="党员", queryset=PartyMember.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: Any, community: Region | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communities = _communities(user)
        grids = scope_queryset(Grid.objects.select_related("region").order_by("region_id"), user)
        members = scope_queryset(PartyMember.objects.order_by("name"), user)
        if community is not None:
            communities = communities.filter(code=community.code)
            grids, members = grids.filter(region__parent=community), members.filter(region=community)
            self.fields["community"].disabled = True
        field_of(self, "community", forms.ModelChoiceField).queryset = communities
        field_of(self, "secretary", forms.ModelChoiceField).queryset = members
        field_of(self, "members", forms.ModelMultipleChoiceField).queryset = members
        field_of(self, "grids", forms.ModelMultipleChoiceField).queryset = grids
        if community is None:
            self.fields["founded_on"].initial = timezone.localdate()

    def own_fields(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in party.EDITABLE}


@transaction.atomic  # all of it or, when a grid or member is refused, none
def _save_organisation(form: OrganisationForm, user: Any,
                       organisation: GridPartyOrganisation | None) -> GridPartyOrganisation:
    data = form.cleaned_data
    if organisation is None:
        organisation = party.create_organisation(data["community"], user, **form.own_fields())
    else:
        party.update_organisation(organisation, user, **form.own_fields())
    party.set_grids(organisation, user, list(data["grids"]))
    party.set_members(organisation, user, list(data["members"]))
    return organisation


@route(get=P.COMMUNITY_READ)
def party_organisation_list(request: HttpRequest) -> HttpResponse:
    """The organisations in scope with the elements they lack, and the coverage per community."""
    chosen = params.parse(request.GET, {"community": params.RegionCode(default=""),
                                        "complete": params.Choice(["yes", "no"], default="")})
    rows = party.with_member_counts(scope_queryset(GridPartyOrganisation.objects.select_related("region", "secretary"),
                                                   request.user))
    if chosen["community"]:
        rows = rows.filter(region=scoped_or_404(Region.objects.all(), request.user, code=chosen["community"]))
    today = timezone.localdate()
    listed = [(o, party.missing_of(o, today)) for o in rows.prefetch_related(
        Prefetch("grids", Grid.objects.select_related("region").order_by("region_id"))).order_by("region_id", "name")]
    if chosen["complete"]:
        listed = [(o, m) for o, m in listed if (not m) == (chosen["complete"] == "yes")]
    page = Paginator(listed, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "community/party_organisations.html", {
        "page": page, "rows": [(o, missing_labels(m)) for o, m in page.object_list], "chosen": chosen,
        "coverage": party.coverage(request.user, today), "communities": _communities(request.user),
        "query": query.urlencode(), "may_manage": _may_manage(request.user)})


@route(get=P.COMMUNITY_LIAISON_MANAGE, post=P.COMMUNITY_LIAISON_MANAGE)
def party_organisation_new(request: HttpRequest) -> HttpResponse:
    """Set up a grid party organisation of a community in scope, with its grids and members."""
    form = OrganisationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = _save_organisation(form, request.user, None)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已成立{organisation.name}。")
            return redirect("community:party_organisation_detail", organisation_id=organisation.pk)
    return render(request, "community/party_organisation_form.html", {"form": form, "organisation": None},
                  status=400 if request.method == "POST" else 200)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_LIAISON_MANAGE)
def party_organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """An organisation: its elements, grids and members; POST edits all of them at once."""
    organisation = scoped_or_404(party.with_member_counts(GridPartyOrganisation.objects.select_related(
        "region", "secretary")), request.user, pk=organisation_id)
    initial = {**{key: getattr(organisation, key) for key in party.EDITABLE}, "community": organisation.region,
               "grids": list(organisation.grids.all()), "members": list(organisation.members.all())}
    form = (OrganisationForm(request.POST or None, user=request.user, community=organisation.region, initial=initial)
            if _may_manage(request.user) else None)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            _save_organisation(form, request.user, organisation)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, "已保存。")
            return redirect("community:party_organisation_detail", organisation_id=organisation.pk)
    return render(request, "community/party_organisation_detail.html", {
        "organisation": organisation, "missing": missing_labels(party.missing_of(organisation, timezone.localdate())),
        "grids": organisation.grids.select_related("region").order_by("region_id"),
        "members": organisation.members.order_by("name"), "form": form},
        status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("liaisons/", liaison_list, name="liaisons"),
    path("liaisons/new/", liaison_new, name="liaison_new"),
    path("liaisons/export.xlsx", liaisons_export, name="liaisons_export"),
    path("liaisons/import/", liaisons_import, name="liaisons_import"),
    path("liaisons/<id:liaison_id>/", liaison_detail, name="liaison_detail"),
    path("party-organisations/", party_organisation_list, name="party_organisations"),
    path("party-organisations/new/", party_organisation_new, name="party_organisation_new"),
    path("party-organisations/<id:organisation_id>/", party_organisation_detail, name="party_organisation_detail"),
]
