"""Pictures (现场图片): the review page across wells, one picture with its actions, the image, the policies.

* ``/water/pictures/``: the latest picture of each well in the user's scope (filters: county, flagged,
  unreviewed, local day, trigger), flagged ones first, paged; reading needs ``water.evidence.read``.
* ``/water/pictures/<id>/``: the picture, where it came from and its actions (flag with a reason, clear the
  flag, mark reviewed, attach to an alarm or a work order of its well), each ``water.picture.review`` and
  audited (``water.pictures.service``).
* ``/water/pictures/<id>/image.jpg``: the JPEG itself, only through this scoped, permissioned view.
* ``/water/picture-policies/``: the policy of the prefecture and each county in scope (own or inherited);
  ``water.picture.review`` saves or deletes one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import access, params
from changji.core.access import P
from changji.core.guards import route
from changji.core.localtime import day_bounds
from changji.core.models import Region
from changji.core.regions import root_region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.core.web_forms import field_of, run_action
from changji.water.models import Alarm, PicturePolicy, PictureTrigger, Snapshot, Well, WorkOrder
from changji.water.pictures import schedule, service
from changji.water.web.common import counties

PAGE_SIZE = 24
ACTIONS = {"flag": "标记异常", "unflag": "取消标记", "review": "标记已审阅", "attach_alarm": "关联告警",
           "attach_work_order": "关联工单"}
YES_NO = ["1", "0"]


class FlagForm(forms.Form):
    reason = forms.CharField(label="异常原因", max_length=service.MAX_REASON,
                             help_text="如 " + "、".join(service.FLAG_REASONS))


class UnflagForm(forms.Form):
    reason = forms.CharField(label="说明", max_length=service.MAX_REASON, required=False)


class ReviewForm(forms.Form):
    pass


class AttachAlarmForm(forms.Form):
    alarm = forms.ModelChoiceField(queryset=Alarm.objects.none(), label="本机井的告警", required=False,
                                   empty_label="（不关联）")


class AttachWorkOrderForm(forms.Form):
    work_order = forms.ModelChoiceField(queryset=WorkOrder.objects.none(), label="本机井的工单", required=False,
                                        empty_label="（不关联）")


def _pictures(request: HttpRequest) -> Any:
    return scope_queryset(Snapshot.objects.select_related("terminal__well", "terminal__region"), request.user)


@route(get=P.WATER_EVIDENCE_READ)
def picture_list(request: HttpRequest) -> HttpResponse:
    """The latest picture of each well in scope, flagged first; filtered and paged."""
    county_list = counties(request)
    filters = params.parse(request.GET, {
        "county": params.Choice([c.code for c in county_list], default=""),
        "flagged": params.Choice(YES_NO, default=""),
        "reviewed": params.Choice(YES_NO, default=""),
        "day": params.Day(),
        "trigger": params.Choice(PictureTrigger.values, default=""),
    })
    wells = scope_queryset(Well.objects.all(), request.user)
    if filters["county"]:
        county = next(c for c in county_list if c.code == filters["county"])
        wells = wells.filter(region__path__startswith=county.path)
    pictures = service.filter_pictures(
        scope_queryset(Snapshot.objects.all(), request.user),
        flagged=None if not filters["flagged"] else filters["flagged"] == "1",
        reviewed=None if not filters["reviewed"] else filters["reviewed"] == "1",
        day_bounds=day_bounds(filters["day"]) if filters["day"] else None, trigger=filters["trigger"])
    latest = service.latest_per_well(pictures, wells)
    page = Paginator(latest, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "water/pictures.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "counties": county_list,
        "triggers": PictureTrigger.choices, "reasons": service.FLAG_REASONS,
        "may_review": access.allows(request.user, P.WATER_PICTURE_REVIEW),
    })


def _forms(request: HttpRequest, picture: Snapshot, data: Any = None, action: str = "") -> dict[str, forms.Form]:
    if not access.allows(request.user, P.WATER_PICTURE_REVIEW):
        return {}

    def bound(name: str) -> Any:
        return data if action == name else None

    alarms, orders = service.evidence_choices(picture)
    attach_alarm = AttachAlarmForm(bound("attach_alarm"), prefix="attach_alarm",
                                   initial={"alarm": picture.alarm_id})
    field_of(attach_alarm, "alarm", forms.ModelChoiceField).queryset = scope_queryset(alarms, request.user)
    attach_order = AttachWorkOrderForm(bound("attach_work_order"), prefix="attach_work_order",
                                       initial={"work_order": picture.work_order_id})
    field_of(attach_order, "work_order", forms.ModelChoiceField).queryset = scope_queryset(orders, request.user)
    offered: dict[str, forms.Form] = {"flag": FlagForm(bound("flag"), prefix="flag")}
    if picture.flagged:
        offered["unflag"] = UnflagForm(bound("unflag"), prefix="unflag")
    offered.update({"review": ReviewForm(bound("review"), prefix="review"), "attach_alarm": attach_alarm,
                    "attach_work_order": attach_order})
    return offered


def _apply(request: HttpRequest, picture: Snapshot, action: str, form: forms.Form) -> str:
    data, user = form.cleaned_data, request.user
    if action == "flag":
        service.flag(picture, data["reason"], user)
    elif action == "unflag":
        service.unflag(picture, data.get("reason", ""), user)
    elif action == "review":
        service.mark_reviewed(picture, user)
    elif action == "attach_alarm":
        service.attach_alarm(picture, data.get("alarm"), user)
    else:
        service.attach_work_order(picture, data.get("work_order"), user)
    return f"图片已{ACTIONS[action]}"


@route(get=P.WATER_EVIDENCE_READ, post=P.WATER_PICTURE_REVIEW)
def picture_detail(request: HttpRequest, picture_id: int) -> HttpResponse:
    """One picture: where it came from, its flag and review, its alarm and work order; POST an action."""
    picture = get_object_or_404(_pictures(request).select_related("alarm", "work_order", "reviewed_by", "command"),
                                pk=picture_id)
    back = params.parse(request.POST, {"next": params.LocalPath()})["next"]
    action = request.POST.get("action", "")
    offered = _forms(request, picture, request.POST or None, action)
    status = run_action(request, offered, action, lambda form: _apply(request, picture, action, form),
                        (ValidationError,), refused="未知操作")
    if status is None:
        return HttpResponseRedirect(back) if back else redirect("water:picture", picture_id=picture.pk)
    return render(request, "water/picture.html", {
        "picture": picture, "forms": offered, "actions": ACTIONS, "reasons": service.FLAG_REASONS,
    }, status=status)


@route(get=P.WATER_EVIDENCE_READ)
def picture_image(request: HttpRequest, picture_id: int) -> FileResponse:
    """The picture's JPEG, for users who may see the picture's well (404 otherwise)."""
    picture = get_object_or_404(_pictures(request), pk=picture_id)
    try:
        handle = picture.image.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("图片文件不存在") from error
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- policies ---------------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    region = forms.ChoiceField(label="区划", choices=())
    enabled = forms.BooleanField(label="启用", required=False, initial=True)
    times = forms.CharField(label="每日抓拍时间（北京时间，逗号分隔）", max_length=100, required=False,
                            initial=", ".join(schedule.DEFAULT_TIMES))
    alarm_kinds = forms.MultipleChoiceField(label="产生以下告警时抓拍", required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            choices=service.alarm_kind_choices(),
                                            initial=list(schedule.DEFAULT_ALARM_KINDS))

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ChoiceField).choices = [(r.code, r.name) for r in regions]

    def clean_times(self) -> list[str]:
        raw = self.cleaned_data["times"].replace("，", ",")
        try:
            return schedule.parse_times(part for part in raw.split(","))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class DeletePolicyForm(forms.Form):
    region = forms.ChoiceField(label="区划", choices=())

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ChoiceField).choices = [(r.code, r.name) for r in regions]


def _policy_regions(request: HttpRequest) -> list[Region]:
    root = root_region()
    return ([root] if user_can_access_region(request.user, root) else []) + counties(request)


def _policy_rows(regions: list[Region]) -> list[dict[str, Any]]:
    policies = list(PicturePolicy.objects.select_related("region"))
    labels = dict(service.alarm_kind_choices())
    rows = []
    for region in regions:
        policy = service.policy_for(region, policies)
        rows.append({"region": region, "policy": policy, "own": policy is not None and policy.region_id == region.code,
                     "kinds": [labels.get(kind, kind) for kind in (policy.alarm_kinds if policy else [])]})
    return rows


def _save(request: HttpRequest, action: str, form: forms.Form, regions: list[Region]) -> str:
    data = form.cleaned_data
    region = next(r for r in regions if r.code == data["region"])
    if action == "delete":
        policy = PicturePolicy.objects.filter(region=region).first()
        if policy is None:
            raise ValidationError({"region": "该区划没有自己的抓拍策略"})
        service.delete_policy(policy, request.user)
        return f"已删除 {region.name} 的抓拍策略"
    service.save_policy(region, data["enabled"], data["times"], data["alarm_kinds"], request.user)
    return f"已保存 {region.name} 的抓拍策略"


@route(get=P.WATER_EVIDENCE_READ, post=P.WATER_PICTURE_REVIEW)
def picture_policies(request: HttpRequest) -> HttpResponse:
    """The picture policy in force in the prefecture and each county; POST action=save|delete."""
    regions = _policy_regions(request)
    action = request.POST.get("action", "save")
    offered: dict[str, forms.Form] = {}
    if access.allows(request.user, P.WATER_PICTURE_REVIEW):
        offered = {
            "save": PolicyForm(request.POST if action == "save" else None, regions=regions,
                               initial=_initial(request, regions)),
            "delete": DeletePolicyForm(request.POST if action == "delete" else None, regions=regions),
        }
    status = run_action(request, offered, action, lambda form: _save(request, action, form, regions),
                        (ValidationError,), refused="未知操作")
    if status is None:
        return redirect("water:picture_policies")
    return render(request, "water/picture_policies.html", {
        "rows": _policy_rows(regions), "form": offered.get("save"), "delete_form": offered.get("delete"),
    }, status=status)


def _initial(request: HttpRequest, regions: list[Region]) -> dict[str, Any]:
    """Prefill the form from ``?region=`` (a row's 修改 link) with the policy in force there."""
    code = params.parse(request.GET, {"region": params.RegionCode(default="")})["region"]
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        return {}
    policy = service.policy_for(region)
    initial: dict[str, Any] = {"region": code}
    if policy is not None:
        initial.update(enabled=policy.enabled, times=", ".join(policy.times), alarm_kinds=list(policy.alarm_kinds))
    return initial


def alarm_pictures(request: HttpRequest, alarm: Alarm) -> Any:
    """The pictures that are evidence of ``alarm`` (for the alarm page), newest first."""
    return scope_queryset(Snapshot.objects.filter(alarm=alarm), request.user).order_by("-observed_at")

