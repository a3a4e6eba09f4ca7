"""Pages of micro-wishes (微心愿) and activities (微行动): lists, the 待认领 board, details with their actions, forms.

Everything is reached through ``core.scope`` (``scope_queryset`` / ``scoped_or_404``): a wish or
activity outside the user's region is a 404. The actions offered on a wish depend on its state and
the user: the community reviews; a member or unit registered with the wish's community is chosen to
claim it; the claimant's fulfilment is recorded with evidence and a photo; the resident's answer is
recorded by the grid worker for them. Residents' names are masked in lists (``mask_name``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from changji.community import activities as activity_domain
from changji.community.actors import InputError, community_of
from changji.community.deadlines import DEADLINE_LABELS
from changji.community.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityPhoto,
    ActivityServed,
    CoBuildingUnit,
    MicroWish,
    PartyMember,
    Resident,
    Room,
)
from changji.community.privacy import mask_name, mask_phone
from changji.community.web.common import paged, scoped_or_404
from changji.community.wishes import service as wish_domain
from changji.community.wishes.workflow import WISH_LABELS, WishState
from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.transitions import TransitionError
from changji.core.web_forms import field_of, refuse, run_action

WISH_ACTIONS = {"publish": "审核通过并发布", "reject": "不予发布", "claim": "认领", "release": "放弃认领",
                "fulfil": "登记实现", "confirm": "群众确认满意", "send_back": "群众不满意，退回重办"}
#: How many options a resident picker lists at once; a name search narrows it.
PICKER_LIMIT = 200
#: The 待认领 board shows the wishes waiting longest; the list below pages through all of them.
BOARD_SIZE = 12


def may_review(user: Any) -> bool:
    """Community workers and above review wishes and close periods; grid workers do not."""
    region = getattr(user, "region", None)
    return bool(user.is_superuser and region is None) or (region is not None and region.level <= RegionLevel.VILLAGE)


def claimant_choices(user: Any, region: Region) -> list[tuple[str, str]]:
    """Members and units registered with the community of ``region``, within the user's scope.

    None when ``region`` is not a community or grid (a wish of a resident still registered at street/town level
    cannot be claimed).
    """
    try:
        community = community_of(region)
    except InputError:
        return []
    members = scope_queryset(PartyMember.objects.filter(region=community), user).order_by("name")
    units = scope_queryset(CoBuildingUnit.objects.filter(region=community), user).order_by("name")
    return ([(f"member:{m.pk}", f"党员 {m.name}（{m.work_unit or m.get_kind_display()}）") for m in members]
            + [(f"unit:{u.pk}", f"共建单位 {u.name}") for u in units])


def claimant_from(value: str) -> dict[str, Any]:
    """``member:3`` / ``unit:4`` → ``{"member": PartyMember}`` / ``{"unit": CoBuildingUnit}``."""
    kind, _, pk = value.partition(":")
    kinds: dict[str, type[PartyMember] | type[CoBuildingUnit]] = {"member": PartyMember, "unit": CoBuildingUnit}
    model = kinds[kind]
    return {kind: model.objects.get(pk=int(pk))}


def resident_picker(user: Any, query: str) -> models.QuerySet[Resident]:
    residents = scope_queryset(Resident.objects.select_related("household__building"), user)
    return residents.filter(name__contains=query.strip()) if query.strip() else residents


class ResidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Resident) -> str:
        return f"{obj.name}（{obj.household.building.name} {obj.household.door}）"


class WishForm(forms.Form):
    resident = ResidentChoiceField(label="心愿人", queryset=Resident.objects.none())
    title = forms.CharField(label="心愿", max_length=128)
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = field_of(self, "resident", ResidentChoiceField)
        field.queryset = scope_queryset(Resident.objects.select_related("household__building"), user)
        choices: list[tuple[Any, str]] = [("", "---------")]
        field.choices = choices + [(r.pk, field.label_from_instance(r))
                                   for r in resident_picker(user, query).order_by("name")[:PICKER_LIMIT]]


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", required=False, max_length=200)


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label="理由", max_length=200)


class ClaimForm(forms.Form):
    claimant = forms.ChoiceField(label="认领方")
    hours = forms.IntegerField(label="认领时限（小时）", min_value=1, max_value=720)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "claimant", forms.ChoiceField).choices = [("", "---------")] + choices
        self.fields["hours"].initial = wish_domain.claim_hours()


class FulfilForm(forms.Form):
    evidence = forms.CharField(label="实现情况", widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label="实现照片", required=False)


def _wish_forms(wish: MicroWish, user: Any, request: HttpRequest, action: str) -> dict[str, forms.Form]:
    def bound(name: str) -> dict[str, Any]:
        return {"data": request.POST, "files": request.FILES} if action == name else {}

    available: dict[str, forms.Form] = {}
    if not allows(user, P.COMMUNITY_WISH_HANDLE):
        return available
    if wish.state == WishState.POSTED and may_review(user):
        available["publish"] = NoteForm(**bound("publish"), prefix="publish")
        available["reject"] = RequiredNoteForm(**bound("reject"), prefix="reject")
    elif wish.state == WishState.PUBLISHED:
        choices = claimant_choices(user, wish.region)
        if choices:
            available["claim"] = ClaimForm(**bound("claim"), prefix="claim", choices=choices)
    elif wish.state == WishState.CLAIMED:
        available["fulfil"] = FulfilForm(**bound("fulfil"), prefix="fulfil")
        available["release"] = NoteForm(**bound("release"), prefix="release")
    elif wish.state == WishState.FULFILLED:
        available["confirm"] = NoteForm(**bound("confirm"), prefix="confirm")
        available["send_back"] = RequiredNoteForm(**bound("send_back"), prefix="send_back")
    if wish.state in (WishState.CLAIMED, WishState.FULFILLED):
        token = wish_domain.claim_token(wish)
        for form in available.values():  # the claim this page shows, checked again when the form comes back
            form.fields["seen"] = forms.CharField(widget=forms.HiddenInput, required=False, initial=token)
    return available


def _apply(wish: MicroWish, user: Any, action: str, data: dict[str, Any]) -> None:
    note = data.get("note", "")
    if data.get("seen") and data["seen"] != wish_domain.claim_token(wish):
        raise TransitionError("state", wish_domain.CLAIM_CHANGED)  # the page showed an earlier claim
    if action in ("publish", "reject"):
        wish_domain.review(wish, action == "publish", actor=user, note=note)
    elif action == "claim":
        wish_domain.claim(wish, **claimant_from(data["claimant"]), actor=user, hours=data["hours"])
    elif action == "release":
        wish_domain.release(wish, actor=user, note=note)
    elif action == "fulfil":
        wish_domain.fulfil(wish, data["evidence"], data.get("photo"), actor=user)
    else:
        wish_domain.confirm(wish, action == "confirm", actor=user, note=note)


def _scoped_wishes(request: HttpRequest) -> models.QuerySet[MicroWish]:
    return scope_queryset(MicroWish.objects.select_related(
        "region", "resident", "claimed_by_member", "claimed_by_unit"), request.user)


def _wish_row(wish: MicroWish, now: Any) -> dict[str, Any]:
    holder = wish_domain.claimant(wish)
    return {"wish": wish, "resident": mask_name(wish.resident.name), "state": WISH_LABELS[WishState(wish.state)],
            "claimant": holder.name if holder else "", "light": wish_domain.claim_light(wish, now)}


@route(get=P.COMMUNITY_READ)
def wish_list(request: HttpRequest) -> HttpResponse:
    """Wishes in scope, paged, with a state filter; the 待认领 board (the longest waiting) and the counts."""
    wishes = _scoped_wishes(request)
    state = params.query(request, "state", params.Choice(WishState, default=""))
    shown = wishes.filter(state=state) if state else wishes
    now = timezone.now()
    page, query = paged(request, shown.order_by("-posted_at", "-pk"))
    waiting = wishes.filter(state=WishState.PUBLISHED)
    return render(request, "community/wish_list.html", {
        "counts": wish_domain.wish_counts(wishes), "state": state,
        "states": [(s.value, label) for s, label in WISH_LABELS.items()],
        "board": [_wish_row(w, now) for w in waiting.order_by("published_at", "pk")[:BOARD_SIZE]],
        "board_size": BOARD_SIZE, "waiting": waiting.count(),
        "page": page, "query": query, "rows": [_wish_row(w, now) for w in page.object_list],
        "light_labels": DEADLINE_LABELS,
    })


@route(get=P.COMMUNITY_WISH_HANDLE, post=P.COMMUNITY_WISH_HANDLE)
def wish_new(request: HttpRequest) -> HttpResponse:
    """Post a wish for a resident of the user's grid (or community); ``?q=`` narrows the residents listed."""
    query = params.query(request, "q", params.Text(64, default=""))
    form = WishForm(request.POST or None, user=request.user, query=query)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                wish = wish_domain.post_wish(data["resident"], data["title"], data["description"], actor=request.user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, "心愿已登记，待社区审核。")
                return redirect("community:wish_detail", wish_id=wish.pk)
        status = 400
    return render(request, "community/wish_form.html", {"form": form, "query": query}, status=status)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_WISH_HANDLE)
def wish_detail(request: HttpRequest, wish_id: int) -> HttpResponse:
    """One wish, its history and the actions its state allows; POST ``action`` = one of WISH_ACTIONS."""
    wish = scoped_or_404(_scoped_wishes(request), request.user, pk=wish_id)
    action = request.POST.get("action", "")
    available = _wish_forms(wish, request.user, request, action)

    def apply(form: forms.Form) -> str:
        _apply(wish, request.user, action, form.cleaned_data)
        return f"已{WISH_ACTIONS[action]}。"

    status = run_action(request, available, action, apply)
    if status is None:
        return redirect("community:wish_detail", wish_id=wish.pk)
    now = timezone.now()
    return render(request, "community/wish_detail.html", {
        **_wish_row(wish, now), "phone": mask_phone(wish.resident.phone), "forms": available,
        "actions": WISH_ACTIONS, "light_labels": DEADLINE_LABELS,
        "events": wish.events.select_related("actor"), "labels": {s.value: label for s, label in WISH_LABELS.items()},
    }, status=status)


@route(get=P.COMMUNITY_READ)
def wish_photo(request: HttpRequest, wish_id: int) -> FileResponse:
    """The evidence photo of a wish in scope."""
    wish = scoped_or_404(MicroWish.objects.all(), request.user, pk=wish_id)
    name = wish.evidence_photo.name
    if not name:  # what ``not wish.evidence_photo`` tests (a FieldFile is false without a name)
        raise Http404("无照片")
    return FileResponse(wish.evidence_photo.open("rb"), filename=name.rsplit("/", 1)[-1])


# --- 微行动 ---------------------------------------------------------------------------------------------------


class ActivityForm(forms.Form):
    region = forms.ModelChoiceField(label="社区或网格", queryset=Region.objects.none())
    kind = forms.ChoiceField(label="类别", choices=ActivityKind.choices)
    title = forms.CharField(label="名称", max_length=128)
    held_on = params.DayField(label="日期")
    place = forms.CharField(label="地点", max_length=128, required=False)
    room = forms.ModelChoiceField(label="功能室", queryset=Room.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = (RegionLevel.VILLAGE, RegionLevel.GRID)
        field_of(self, "region", forms.ModelChoiceField).queryset = scope_queryset(
            Region.objects.filter(level__in=levels), user)
        field_of(self, "room", forms.ModelChoiceField).queryset = scope_queryset(Room.objects.all(), user)


class ParticipantForm(forms.Form):
    holder = forms.ChoiceField(label="参与者")
    hours = forms.DecimalField(label="服务时长（小时）", min_value=0.1, max_value=24, decimal_places=1)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "holder", forms.ChoiceField).choices = [("", "---------")] + choices


class ServedForm(forms.Form):
    residents = forms.ModelMultipleChoiceField(label="服务对象", queryset=Resident.objects.none())

    def __init__(self, *args: Any, user: Any, activity: Activity, query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = community_of(activity.region)
        residents = resident_picker(user, query).filter(region__path__startswith=community.path)
        field = field_of(self, "residents", forms.ModelMultipleChoiceField)
        field.queryset = scope_queryset(Resident.objects.filter(region__path__startswith=community.path), user)
        field.choices = [(r.pk, f"{r.name}（{r.household.building.name} {r.household.door}）")
                         for r in residents.order_by("name")[:PICKER_LIMIT]]


class PhotoForm(forms.Form):
    photo = forms.FileField(label="照片")
    caption = forms.CharField(label="说明", max_length=128, required=False)


ACTIVITY_ACTIONS = {"participant": "登记参与者", "served": "登记服务对象", "photo": "上传照片"}


def _scoped_activities(request: HttpRequest) -> models.QuerySet[Activity]:
    return scope_queryset(Activity.objects.select_related("region", "room", "organiser"), request.user)


@route(get=P.COMMUNITY_READ)
def activity_list(request: HttpRequest) -> HttpResponse:
    """Activities in scope with their figures (activities, people served, hours); ``?kind=`` filters."""
    scoped = _scoped_activities(request)
    kind = params.query(request, "kind", params.Choice(ActivityKind.values, default=""))
    shown = scoped.filter(kind=kind) if kind else scoped
    served = ActivityServed.objects.filter(activity=models.OuterRef("pk")).values("activity").annotate(
        n=models.Count("pk")).values("n")
    hours = ActivityParticipant.objects.filter(activity=models.OuterRef("pk")).values("activity").annotate(
        h=models.Sum("hours")).values("h")
    rows = shown.annotate(served_count=models.Subquery(served), hours_total=models.Subquery(hours))
    page, query = paged(request, rows.order_by("-held_on", "-pk"))
    return render(request, "community/activity_list.html", {
        "figures": activity_domain.activity_figures(shown), "kinds": ActivityKind.choices, "kind": kind,
        "page": page, "query": query, "rows": page.object_list})


@route(get=P.COMMUNITY_ACTIVITY_RECORD, post=P.COMMUNITY_ACTIVITY_RECORD)
def activity_new(request: HttpRequest) -> HttpResponse:
    """Record an activity of a community or grid in scope."""
    form = ActivityForm(request.POST or None, user=request.user, initial={"held_on": timezone.localdate()})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = activity_domain.record_activity(data["region"], data["kind"], data["title"],
                                                           data["held_on"], data["place"], request.user, data["room"])
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, "活动已登记。")
                return redirect("community:activity_detail", activity_id=activity.pk)
        return render(request, "community/activity_form.html", {"form": form}, status=400)
    return render(request, "community/activity_form.html", {"form": form})


def _activity_forms(activity: Activity, request: HttpRequest, action: str) -> dict[str, forms.Form]:
    def bound(name: str) -> dict[str, Any]:
        return {"data": request.POST, "files": request.FILES} if action == name else {}

    available: dict[str, forms.Form] = {}
    if not allows(request.user, P.COMMUNITY_ACTIVITY_RECORD):
        return available
    choices = claimant_choices(request.user, activity.region)
    if choices:
        available["participant"] = ParticipantForm(**bound("participant"), prefix="participant", choices=choices)
    available["served"] = ServedForm(**bound("served"), prefix="served", user=request.user, activity=activity,
                                     query=params.query(request, "q", params.Text(64, default="")))
    available["photo"] = PhotoForm(**bound("photo"), prefix="photo")
    return available


def _apply_activity(activity: Activity, user: Any, action: str, data: dict[str, Any]) -> str:
    if action == "participant":
        (holder,) = claimant_from(data["holder"]).values()
        activity_domain.add_participant(activity, holder, data["hours"], actor=user)
        return f"已登记 {holder.name} 参与。"
    if action == "served":
        added = activity_domain.add_served(activity, data["residents"], actor=user)
        return f"新增服务对象 {added} 人（已登记的不重复计数）。"
    activity_domain.add_photo(activity, data["photo"], data["caption"], actor=user)
    return "照片已上传。"


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_ACTIVITY_RECORD)
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    """One activity: participants and hours, residents served, photos; POST ``action`` adds to them."""
    activity = scoped_or_404(_scoped_activities(request), request.user, pk=activity_id)
    action = request.POST.get("action", "")
    available = _activity_forms(activity, request, action)
    status = run_action(request, available, action,
                        lambda form: _apply_activity(activity, request.user, action, form.cleaned_data),
                        refused="不能进行该操作")
    if status is None:
        return redirect("community:activity_detail", activity_id=activity.pk)
    served = activity.served.select_related("resident__household__building").order_by("resident__name")
    return render(request, "community/activity_detail.html", {
        "activity": activity, "forms": available, "actions": ACTIVITY_ACTIONS,
        "query": params.query(request, "q", params.Text(64, default="")),
        "participants": activity.participants.select_related("member", "unit").order_by("pk"),
        "served": [(mask_name(s.resident.name), s.resident.household.building.name) for s in served],
        "photos": activity.photos.order_by("pk"),
        "figures": activity_domain.activity_figures(Activity.objects.filter(pk=activity.pk)),
    }, status=status)


@route(get=P.COMMUNITY_READ)
def activity_photo(request: HttpRequest, activity_id: int, photo_id: int) -> FileResponse:
    """A photo of an activity in scope."""
    activity = scoped_or_404(Activity.objects.all(), request.user, pk=activity_id)
    item = ActivityPhoto.objects.filter(activity=activity, pk=photo_id).first()
    if item is None or not item.photo.name:  # a stored photo always has a name (the field is required)
        raise Http404("无照片")
    return FileResponse(item.photo.open("rb"), filename=item.photo.name.rsplit("/", 1)[-1])


urlpatterns = [
    path("wishes/", wish_list, name="wishes"),
    path("wishes/new/", wish_new, name="wish_new"),
    path("wishes/<id:wish_id>/", wish_detail, name="wish_detail"),
    path("wishes/<id:wish_id>/photo/", wish_photo, name="wish_photo"),
    path("activities/", activity_list, name="activities"),
    path("activities/new/", activity_new, name="activity_new"),
    path("activities/<id:activity_id>/", activity_detail, name="activity_detail"),
    path("activities/<id:activity_id>/photos/<id:photo_id>/", activity_photo, name="activity_photo"),
]
