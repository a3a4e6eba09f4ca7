"""Pages of residents, party members and posts, co-building units and the points rankings.

Residents are masked, with an XLSX export; party members report for duty (双报到); units show their 一书四单;
the rankings are live, and frozen for closed periods.

Every list and export goes through ``core.scope``; a unit or period outside the user's region is a
404. Identity numbers and phones are shown only masked (``people.resident_rows``, ``privacy``).
Members, units, posts and periods belong to a community, so a grid worker (scoped to a grid) sees
none of them and gets no registration forms; community workers and above do.
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

from changji.community import people, points
from changji.community.models import (
    AgreementEntry,
    AgreementList,
    Building,
    CareTag,
    CoBuildingUnit,
    MemberKind,
    PartyMember,
    PointPeriod,
    Post,
    Resident,
)
from changji.community.people import InputError
from changji.community.privacy import mask_id_number, mask_phone
from changji.community.web.common import paged, scoped_or_404
from changji.community.web.wishes import may_review
from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse, run_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 100
#: The live rankings show the top of each ranking (labelled so); the points page shows the latest periods.
RANKING_SHOWN = 50
PERIODS_SHOWN = 8


def _communities(user: Any) -> models.QuerySet[Region]:
    return scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), user).order_by("code")


# --- residents ---------------------------------------------------------------------------------------------------


def _residents(request: HttpRequest) -> tuple[models.QuerySet[Resident], dict[str, str]]:
    """Scoped residents narrowed by ``tag``, ``building`` and ``q`` (name); the chosen filters."""
    residents = scope_queryset(Resident.objects.all(), request.user)
    chosen = params.parse(request.GET, {"tag": params.Choice(CareTag, default=""), "building": params.Id(),
                                        "q": params.Text(64, default="")})
    if chosen["tag"]:
        # JSON "contains" is not portable to SQLite; a tag is a quoted token in the stored list.
        residents = residents.filter(care_tags__icontains=f'"{chosen["tag"]}"')
    if chosen["building"] is not None:
        residents = residents.filter(household__building_id=chosen["building"])
    if chosen["q"]:
        residents = residents.filter(name__contains=chosen["q"])
    return residents, chosen


@route(get=P.COMMUNITY_RESIDENT_READ)
def resident_list(request: HttpRequest) -> HttpResponse:
    """Residents in scope by compound, building and door, identity numbers and phones masked; care-tag filter."""
    residents, chosen = _residents(request)
    page = Paginator(people.ordered_residents(residents), PAGE_SIZE).get_page(params.query(request, "page",
                                                                                           params.Page()))
    buildings = scope_queryset(Building.objects.select_related("compound"), request.user).order_by(
        "compound__name", "name")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "community/residents.html", {
        "page": page, "rows": people.resident_rows(page.object_list), "chosen": chosen, "tags": CareTag.choices,
        "buildings": buildings, "total": page.paginator.count, "query": query.urlencode()})


@route(get=P.COMMUNITY_RESIDENT_READ)
def resident_export(request: HttpRequest) -> HttpResponse:
    """The filtered resident list as XLSX, masked like the page."""
    residents, _ = _residents(request)
    rows = people.resident_rows(people.ordered_residents(residents).iterator(chunk_size=2000))
    response = HttpResponse(people.residents_to_xlsx(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="residents-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- members and posts -------------------------------------------------------------------------------------------


class MemberForm(forms.Form):
    community = forms.ModelChoiceField(label="报到社区", queryset=Region.objects.none())
    name = forms.CharField(label="姓名", max_length=64)
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    kind = forms.ChoiceField(label="类别", choices=MemberKind.choices)
    work_unit = forms.CharField(label="工作单位", max_length=128, required=False)
    registered_on = params.DayField(label="报到日期")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "community", forms.ModelChoiceField).queryset = _communities(user)


class PostForm(forms.Form):
    community = forms.ModelChoiceField(label="社区", queryset=Region.objects.none())
    name = forms.CharField(label="岗位", max_length=64)
    description = forms.CharField(label="职责", required=False, max_length=500)
    capacity = forms.IntegerField(label="人数上限", min_value=1, max_value=500, initial=5)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "community", forms.ModelChoiceField).queryset = _communities(user)


class PostClaimForm(forms.Form):
    post = forms.ModelChoiceField(label="岗位", queryset=Post.objects.none())
    member = forms.ModelChoiceField(label="党员", queryset=PartyMember.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "post", forms.ModelChoiceField).queryset = scope_queryset(Post.objects.order_by("name"), user)
        field_of(self, "member", forms.ModelChoiceField).queryset = scope_queryset(
            PartyMember.objects.order_by("name"), user)


MEMBER_ACTIONS = {"register": "党员报到登记", "post": "新增岗位", "claim": "认岗"}


def _member_forms(request: HttpRequest, action: str) -> dict[str, forms.Form]:
    if not allows(request.user, P.COMMUNITY_MEMBER_MANAGE) or not _communities(request.user).exists():
        return {}
    data = {"data": request.POST}
    return {
        "register": MemberForm(**(data if action == "register" else {}), prefix="register", user=request.user,
                               initial={"registered_on": timezone.localdate()}),
        "post": PostForm(**(data if action == "post" else {}), prefix="post", user=request.user),
        "claim": PostClaimForm(**(data if action == "claim" else {}), prefix="claim", user=request.user),
    }


def _apply_member(request: HttpRequest, action: str, data: dict[str, Any]) -> str:
    user = request.user
    if action == "register":
        member = people.register_member(data["community"], data["name"], data["id_number"], data["phone"],
                                        data["work_unit"], data["kind"], data["registered_on"], actor=user)
        return f"{member.name} 已报到。"
    if action == "post":
        post = people.create_post(data["community"], data["name"], data["description"], data["capacity"], actor=user)
        return f"已新增岗位“{post.name}”。"
    people.claim_post(data["member"], data["post"], timezone.localdate(), actor=user)
    return f"{data['member'].name} 已认领“{data['post'].name}”。"


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEMBER_MANAGE)
def member_list(request: HttpRequest) -> HttpResponse:
    """Members reporting to communities in scope (masked), posts and their claimants; register, add posts, 认岗."""
    action = request.POST.get("action", "")
    available = _member_forms(request, action)
    status = run_action(request, available, action, lambda form: _apply_member(request, action, form.cleaned_data),
                        refused="不能进行该操作")
    if status is None:
        return redirect("community:members")
    q = params.query(request, "q", params.Text(64, default=""))
    members = scope_queryset(PartyMember.objects.select_related("region"), request.user)
    members = members.filter(name__contains=q) if q else members
    page, query = paged(request, members.annotate(points_total=models.Sum("point_entries__points"))
                        .order_by("region_id", "name", "pk"))
    return render(request, "community/members.html", {
        "page": page, "query": query, "q": q,
        "members": [{"member": m, "id_number": mask_id_number(m.id_number), "phone": mask_phone(m.phone)}
                    for m in page.object_list],
        "posts": people.post_rows(scope_queryset(Post.objects.all(), request.user)),
        "forms": available, "actions": MEMBER_ACTIONS}, status=status)


# --- units and 一书四单 -------------------------------------------------------------------------------------------


class UnitForm(forms.Form):
    community = forms.ModelChoiceField(label="报到社区", queryset=Region.objects.none())
    name = forms.CharField(label="单位名称", max_length=128)
    contact_name = forms.CharField(label="联系人", max_length=64, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    registered_on = params.DayField(label="报到日期")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "community", forms.ModelChoiceField).queryset = _communities(user)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEMBER_MANAGE)
def unit_list(request: HttpRequest) -> HttpResponse:
    """Co-building units registered with communities in scope, with their points; register a unit."""
    form, status = None, 200
    if allows(request.user, P.COMMUNITY_MEMBER_MANAGE) and _communities(request.user).exists():
        form = UnitForm(request.POST or None, user=request.user, initial={"registered_on": timezone.localdate()})
    if request.method == "POST":
        if form is None:
            raise Refusal(None, "不能进行该操作")
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = people.register_unit(data["community"], data["name"], data["contact_name"],
                                            data["contact_phone"], data["registered_on"], actor=request.user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"{unit.name} 已报到。")
                return redirect("community:unit_detail", unit_id=unit.pk)
        status = 400
    q = params.query(request, "q", params.Text(64, default=""))
    units = scope_queryset(CoBuildingUnit.objects.select_related("region"), request.user)
    units = units.filter(name__contains=q) if q else units
    page, query = paged(request, units.annotate(
        points_total=models.Sum("point_entries__points"), agreement_count=models.Count("agreements", distinct=True)
    ).order_by("region_id", "name", "pk"))
    return render(request, "community/units.html", {"units": page.object_list, "page": page, "query": query,
                                                    "q": q, "form": form}, status=status)


class AgreementForm(forms.Form):
    year = params.YearField(label="年度", first=2000)
    commitment = forms.CharField(label="承诺书", widget=forms.Textarea(attrs={"rows": 3}))
    needs = forms.CharField(label="需求清单（每行一项）", widget=forms.Textarea(attrs={"rows": 3}))
    resources = forms.CharField(label="资源清单（每行一项）", widget=forms.Textarea(attrs={"rows": 3}))
    projects = forms.CharField(label="项目清单（每行一项）", widget=forms.Textarea(attrs={"rows": 3}))
    responsibilities = forms.CharField(label="责任清单（每行一项）", widget=forms.Textarea(attrs={"rows": 3}))

    def entries(self) -> dict[str, list[str]]:
        return {kind: self.cleaned_data[kind].splitlines() for kind in AgreementList.values}


class EntryDoneForm(forms.Form):
    entry = params.IdField(widget=forms.HiddenInput)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEMBER_MANAGE)
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit: its 一书四单 by year with the entries done, its points ledger; sign an agreement, mark entries done."""
    unit = scoped_or_404(CoBuildingUnit.objects.select_related("region"), request.user, pk=unit_id)
    action, status = request.POST.get("action", ""), 200
    form = AgreementForm(request.POST if action == "sign" else None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        status = 400
        try:
            if action == "sign" and form.is_valid():
                data = form.cleaned_data
                people.sign_agreement(unit, data["year"], data["commitment"], form.entries(), timezone.localdate(),
                                      actor=request.user)
                messages.success(request, f"已签订 {data['year']} 年度一书四单。")
                return redirect("community:unit_detail", unit_id=unit.pk)
            if action == "done":
                done = EntryDoneForm(request.POST)
                entry = AgreementEntry.objects.filter(
                    agreement__unit=unit, pk=done.cleaned_data["entry"]).first() if done.is_valid() else None
                if entry is None:
                    raise InputError("entry", "未找到该清单事项")
                people.mark_entry_done(entry, timezone.localdate(), actor=request.user)
                messages.success(request, "已标记完成。")
                return redirect("community:unit_detail", unit_id=unit.pk)
            if action != "sign":
                messages.error(request, "不能进行该操作")
        except Refusal as error:
            if action == "sign":
                refuse(form, error)
            else:
                messages.error(request, error.message)
    agreements = unit.agreements.prefetch_related("entries").order_by("-year")
    page, query = paged(request, points.ledger(unit))
    return render(request, "community/unit_detail.html", {
        "unit": unit, "form": form, "phone": mask_phone(unit.contact_phone),
        "agreements": [{"agreement": a, "lists": [(label, [e for e in a.entries.all() if e.list_kind == kind])
                                                  for kind, label in AgreementList.choices]} for a in agreements],
        "page": page, "query": query, "ledger": page.object_list}, status=status)


# --- points ------------------------------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    community = forms.ModelChoiceField(label="社区", queryset=Region.objects.none())
    name = forms.CharField(label="周期", max_length=64)
    starts_on = params.DayField(label="开始日期")
    ends_on = params.DayField(label="结束日期")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "community", forms.ModelChoiceField).queryset = _communities(user)


class SpanForm(forms.Form):
    starts_on = params.DayField(label="自")
    ends_on = params.DayField(label="至")


def _live(request: HttpRequest) -> tuple[SpanForm, dict[str, list[points.RankRow]]]:
    today = timezone.localdate()
    span = SpanForm(request.GET if "starts_on" in request.GET else None,
                    initial={"starts_on": date(today.year, 1, 1), "ends_on": today})
    first, last = date(today.year, 1, 1), today
    if span.is_bound and span.is_valid():
        first, last = span.cleaned_data["starts_on"], span.cleaned_data["ends_on"]
    region = getattr(request.user, "region", None)
    if region is None:  # an unbounded superuser: the whole tree
        region = Region.objects.filter(parent__isnull=True).order_by("code").first()
    live = ({kind: points.ranking(region, first, last, kind)[:RANKING_SHOWN] for kind in points.HOLDER_KINDS}
            if region else {})
    return span, live


def _may_manage_periods(user: Any) -> bool:
    """Points periods are set and closed by community workers and above (``may_review``) who manage members."""
    return allows(user, P.COMMUNITY_MEMBER_MANAGE) and may_review(user)


def _apply_period(request: HttpRequest, form: PeriodForm | None) -> str:
    action = request.POST.get("action", "")
    if action == "period" and form is not None and form.is_valid():
        data = form.cleaned_data
        period = points.create_period(data["community"], data["name"], data["starts_on"], data["ends_on"],
                                      actor=request.user)
        return f"已新建积分周期“{period.name}”。"
    if action == "close" and _may_manage_periods(request.user):
        period = scoped_or_404(PointPeriod.objects.all(), request.user, pk=params.parse(request.POST, {
            "period": params.Id(default=0)})["period"])
        points.close_period(period, timezone.now(), actor=request.user)
        return f"“{period.name}”已结算，排名已冻结。"
    raise InputError("action", "不能进行该操作")


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEMBER_MANAGE)
def points_page(request: HttpRequest) -> HttpResponse:
    """Live rankings of the user's region for a span, and each period's ranking (frozen once closed)."""
    form = PeriodForm(request.POST if request.POST.get("action") == "period" else None, user=request.user) \
        if _may_manage_periods(request.user) and _communities(request.user).exists() else None
    status = 200
    if request.method == "POST":
        params.parse(request.POST, {"period": params.Id()})  # a bad one is a 400 before anything is done
        try:
            messages.success(request, _apply_period(request, form))
            return redirect("community:points")
        except Refusal as error:
            if form is not None and error.field in form.fields:
                refuse(form, error)
            else:
                messages.error(request, error.message)
            status = 400
    span, live = _live(request)
    periods = scope_queryset(PointPeriod.objects.select_related("region"), request.user).order_by(
        "-starts_on")[:PERIODS_SHOWN]
    return render(request, "community/points.html", {
        "span": span, "live": live, "kinds": points.HOLDER_KINDS, "form": form,
        "may_close": _may_manage_periods(request.user), "ranking_shown": RANKING_SHOWN,
        "periods_shown": PERIODS_SHOWN,
        "periods": [{"period": p, "rows": points.period_ranking(p)} for p in periods]}, status=status)


urlpatterns = [
    path("residents/", resident_list, name="residents"),
    path("residents/export/", resident_export, name="residents_export"),
    path("members/", member_list, name="members"),
    path("members/units/", unit_list, name="units"),
    path("members/units/<id:unit_id>/", unit_detail, name="unit_detail"),
    path("members/points/", points_page, name="points"),
]
