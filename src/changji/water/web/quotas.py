"""Quota pages (总量控制): the policies per county × use class, the year's allocations, and one allocation's controls.

The policy page shows, for each county in the user's scope and each use class, the policy that applies and
where it comes from (the county's own, or the prefecture's default); an operator with ``water.quota.control``
edits one. The allocation page shows the status (use, share, warning level, a pending stop with its due time,
a stop, an override), the history of changes and of quota events, and the forms: top-up (追加指标), reversal,
override (放行) and its revocation, and — separately, with a confirmation step and ``water.command.send`` —
a remote start (远程开泵). Every change goes through ``water.quotas.controls``.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from changji.core import access, params
from changji.core.access import P
from changji.core.guards import route
from changji.core.localtime import local_day
from changji.core.models import AuditEntry, Region
from changji.core.regions import root_region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.core.web_forms import field_of, refuse, run_action
from changji.water.models import Allocation, AllocationChange, QuotaPolicy, WellUse
from changji.water.quotas import controls
from changji.water.quotas import policy as quota
from changji.water.quotas.sweep import allocation_status, policy_for, pump_state
from changji.water.web.common import counties

PAGE_SIZE = 50
USES = [("", "全部用途"), *WellUse.choices]
VIEWS = {"over80": "用水达 80% 以上", "pending": "已预告关泵", "stopped": "已因超指标关泵", "overridden": "放行中"}
ACTIONS = {"topup": "追加指标", "reverse": "冲销追加", "override": "临时放行", "revoke": "撤销放行"}
#: The quota events of an allocation's history, in words.
EVENTS = {
    "water.quota.warning": "用水预警", "water.quota.stop_announced": "预告关泵", "water.quota.stop": "关泵",
    "water.quota.stop_cancelled": "撤销关泵预告", "water.quota.restore": "恢复供水",
    "water.quota.topup": "追加指标", "water.quota.topup_reversed": "冲销追加", "water.quota.recharge": "充值/调整",
    "water.quota.override": "临时放行", "water.quota.override_revoked": "撤销放行",
}


# --- policies -----------------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    region = forms.ChoiceField(label="区划", choices=())
    use = forms.ChoiceField(label="用途", choices=USES, required=False)
    thresholds = forms.CharField(label="预警阈值（%，从小到大，逗号分隔）", max_length=100, initial="80, 90, 100")
    stop_at_full = forms.BooleanField(label="达到 100% 时关泵（生活用水井除外）", required=False, initial=True)
    notice_hours = forms.IntegerField(label="关泵预告时长（小时）", min_value=0, max_value=quota.MAX_NOTICE_HOURS,
                                      initial=48)

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ChoiceField).choices = [(r.code, r.name) for r in regions]

    def clean_thresholds(self) -> list[float]:
        raw = self.cleaned_data["thresholds"].replace("，", ",").replace("%", "")
        try:
            values = [float(part) / 100 for part in raw.split(",") if part.strip()]
            return list(quota.check_thresholds(values))
        except ValueError as error:
            message = str(error) if any("\u4e00" <= c <= "\u9fff" for c in str(error)) else "预警阈值应为数字"
            raise forms.ValidationError(message) from error


def _policy_regions(request: HttpRequest) -> list[Region]:
    """The regions whose policy the user may set: the prefecture (when in scope) and the counties in scope."""
    root = root_region()
    regions = [root] if user_can_access_region(request.user, root) else []
    return regions + counties(request)


def _policy_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """One row per county in scope × use class: the policy that applies and the region it comes from."""
    county_list = counties(request)
    codes = {code for county in county_list for code in county.ancestors()}
    rows = {(p.region_id, p.use): p for p in QuotaPolicy.objects.filter(region_id__in=codes).select_related("region")}
    out = []
    for county in county_list:
        for use, label in USES:
            row = quota.pick_policy(rows, county.ancestors(), use)
            out.append({"county": county, "use": use, "use_label": label, "policy": row,
                        "own": row is not None and row.region_id == county.code and row.use == use,
                        "thresholds": [round(t * 100) for t in (row.thresholds if row else quota.DEFAULT_THRESHOLDS)],
                        "stop_at_full": row.stop_at_full if row else True,
                        "notice_hours": row.notice_hours if row else int(quota.DEFAULT_NOTICE.total_seconds() // 3600),
                        "stops": (row.stop_at_full if row else True) and use != quota.DOMESTIC})
    return out


@route(get=P.WATER_ALLOCATION_READ, post=P.WATER_QUOTA_CONTROL)
def quota_policies(request: HttpRequest) -> HttpResponse:
    """The policies per county × use class; POST saves one (region, use)."""
    regions = _policy_regions(request)
    form = PolicyForm(request.POST or None, regions=regions, initial=_initial(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            region = next(r for r in regions if r.code == data["region"])
            try:
                controls.save_policy(region, data["use"] or "", data["thresholds"], data["stop_at_full"],
                                     data["notice_hours"], request.user)
            except ValidationError as error:
                refuse(form, error)
            else:
                messages.success(request, f"已保存 {region.name} 的总量控制策略")
                return redirect("water:quota_policies")
        status = 400
    return render(request, "water/quota_policies.html", {
        "rows": _policy_rows(request), "form": form, "may_edit": access.allows(request.user, P.WATER_QUOTA_CONTROL),
    }, status=status)


def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill the form from ``?region=&use=`` (a row's 修改 link) with the policy that row shows."""
    chosen = params.parse(request.GET, {"region": params.RegionCode(default=""),
                                        "use": params.Choice([u for u, _ in USES], default="")})
    if chosen["region"] not in {region.code for region in _policy_regions(request)}:
        return {}  # none chosen, or a region outside the user's scope: its policy is not shown
    row = QuotaPolicy.objects.filter(region_id=chosen["region"], use=chosen["use"]).first()
    initial: dict[str, Any] = {"region": chosen["region"], "use": chosen["use"]}
    if row is not None:
        initial.update(thresholds=", ".join(f"{t * 100:g}" for t in row.thresholds),
                       stop_at_full=row.stop_at_full, notice_hours=row.notice_hours)
    return initial


# --- the year's allocations ---------------------------------------------------------------------------


def _filtered(allocations: QuerySet[Allocation], view: str) -> QuerySet[Allocation]:
    now = timezone.now()
    if view == "over80":
        return allocations.filter(level_reached__gte=0.8)
    if view == "pending":
        return allocations.filter(stop_due_at__isnull=False)
    if view == "stopped":
        return allocations.filter(stopped_by_quota=True)
    if view == "overridden":
        return allocations.filter(override_until__gt=now)
    return allocations


def _row(allocation: Allocation, today: Any) -> dict[str, Any]:
    use = allocation.well.use if allocation.well is not None else ""
    status = allocation_status(allocation, today, policy_for(allocation.scope_region, use).thresholds)
    return {"allocation": allocation, "status": status,
            "share_pct": round(status.share * 100, 1) if math.isfinite(status.share) else None}


@route(get=P.WATER_ALLOCATION_READ)
def quota_list(request: HttpRequest) -> HttpResponse:
    """The allocations of a year in the user's region; ``view`` = over80 | pending | stopped | overridden."""
    today = local_day(timezone.now())
    filters = params.parse(request.GET, {"year": params.Year(default=today.year),
                                         "view": params.Choice(list(VIEWS), default="")})
    allocations = scope_queryset(Allocation.objects.filter(year=filters["year"]), request.user).select_related(
        "well", "water_user", "region", "scope_region")
    allocations = _filtered(allocations, filters["view"]).order_by("-stopped_by_quota", "-level_reached", "pk")
    page = Paginator(allocations, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "water/quotas.html", {
        "page": page, "rows": [_row(a, today) for a in page], "filters": filters, "views": VIEWS,
        "query": query.urlencode(), "now": timezone.now(),
    })


# --- one allocation -----------------------------------------------------------------------------------


class TopUpForm(forms.Form):
    amount_m3 = forms.FloatField(label="追加水量（立方米）", min_value=0.01, max_value=1e9)
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    approver = forms.ModelChoiceField(label="批准人", queryset=get_user_model().objects.none(), empty_label=None)
    expires_on = params.DayField(label="有效期至（留空为全年有效）", required=False)


class ChangeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        when = timezone.localtime(obj.at)
        return f"{when:%Y-%m-%d %H:%M} {obj.amount_m3:+,.0f} m³（{obj.reason[:30]}）"


class ReverseForm(forms.Form):
    change = ChangeChoice(label="要冲销的追加", queryset=AllocationChange.objects.none(), empty_label=None)
    reason = forms.CharField(label="冲销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class OverrideForm(forms.Form):
    until = params.MomentField(label="放行至", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label="放行原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    approver = forms.ModelChoiceField(label="批准人", queryset=get_user_model().objects.none(), empty_label=None)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _allocation(request: HttpRequest, allocation_id: int) -> Allocation:
    return get_object_or_404(scope_queryset(Allocation.objects.select_related(
        "well", "water_user", "region", "scope_region"), request.user), pk=allocation_id)


def _approvers(request: HttpRequest) -> QuerySet[Any]:
    """Accounts in the user's scope that may approve: active, holding water.quota.control (or superusers)."""
    users = get_user_model().objects.filter(is_active=True).filter(
        Q(role__in=access.roles_with(P.WATER_QUOTA_CONTROL)) | Q(is_superuser=True))
    return scope_queryset(users, request.user).order_by("username")


def _forms(request: HttpRequest, allocation: Allocation, action: str) -> dict[str, forms.Form]:
    """The forms the allocation's state offers to a user who may control quotas (none otherwise)."""
    if not access.allows(request.user, P.WATER_QUOTA_CONTROL):
        return {}

    def data(name: str) -> Any:
        return request.POST if action == name else None

    user = request.user
    offered: dict[str, forms.Form] = {"topup": TopUpForm(data("topup"), initial={"approver": user.pk})}
    field_of(offered["topup"], "approver", forms.ModelChoiceField).queryset = _approvers(request)
    reversible = allocation.changes.filter(reverses__isnull=True, reversal__isnull=True)
    if reversible.exists():
        offered["reverse"] = ReverseForm(data("reverse"))
        field_of(offered["reverse"], "change", forms.ModelChoiceField).queryset = reversible.order_by("-at")
    if allocation.well_id is not None:
        offered["override"] = OverrideForm(data("override"), initial={"approver": user.pk})
        field_of(offered["override"], "approver", forms.ModelChoiceField).queryset = _approvers(request)
        if quota.override_active(pump_state(allocation), timezone.now()):
            offered["revoke"] = ReasonForm(data("revoke"))
    return offered


def _apply(request: HttpRequest, allocation: Allocation, action: str, form: forms.Form) -> str:
    data, user = form.cleaned_data, request.user
    if action == "topup":
        change = controls.top_up(allocation, data["amount_m3"], data["reason"], data["approver"],
                                 data.get("expires_on"), user)
        return f"已追加 {change.amount_m3:,.0f} 立方米（批准人 {change.approved_by_name}）"
    if action == "reverse":
        reversal = controls.reverse_top_up(data["change"], data["reason"], user)
        return f"已冲销 {-reversal.amount_m3:,.0f} 立方米"
    if action == "override":
        until = data["until"]
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        controls.override(allocation, user, data["reason"], until, approver=data["approver"])
        return f"已放行至 {timezone.localtime(until):%Y-%m-%d %H:%M}"
    controls.revoke_override(allocation, data["reason"], user)
    return "已撤销放行"


@route(get=P.WATER_ALLOCATION_READ, post=P.WATER_QUOTA_CONTROL)
def quota_detail(request: HttpRequest, allocation_id: int) -> HttpResponse:
    """An allocation's status, history and controls; POST action=topup|reverse|override|revoke."""
    allocation = _allocation(request, allocation_id)
    action = request.POST.get("action", "")
    offered = _forms(request, allocation, action)
    status = run_action(request, offered, action, lambda form: _apply(request, allocation, action, form),
                        (ValidationError,), refused="当前状态下不能进行该操作")
    if status is None:
        return redirect("water:quota", allocation_id=allocation.pk)
    return _render_detail(request, allocation, offered, status)


def _render_detail(request: HttpRequest, allocation: Allocation, offered: dict[str, forms.Form], status: int,
                   start_form: forms.Form | None = None) -> HttpResponse:
    allocation.refresh_from_db()
    today = local_day(timezone.now())
    use = allocation.well.use if allocation.well is not None else ""
    policy = policy_for(allocation.scope_region, use)
    figures = allocation_status(allocation, today, policy.thresholds)
    now = timezone.now()
    events = scope_queryset(AuditEntry.objects.filter(object_type="water.allocation", object_id=str(allocation.pk),
                                                      action__startswith="water.quota."), request.user)
    return render(request, "water/quota.html", {
        "allocation": allocation, "figures": figures, "policy": policy, "use": use,
        "share_pct": round(figures.share * 100, 1) if math.isfinite(figures.share) else None,
        "notice_hours": int(policy.notice.total_seconds() // 3600),
        "stops": quota.may_stop(policy, use or "agricultural") if allocation.well_id else False,
        "override_active": quota.override_active(pump_state(allocation), now),
        "may_start": allocation.well_id is not None and quota.may_start(figures, policy, pump_state(allocation), now),
        "changes": allocation.changes.select_related("reverses").order_by("-at"),
        "events": [(entry, EVENTS.get(entry.action, entry.action)) for entry in events.order_by("-at")[:50]],
        "forms": offered, "actions": ACTIONS,
        "start_form": start_form or ReasonForm(),
    }, status=status)


@route(post=P.WATER_COMMAND_SEND)
def quota_start(request: HttpRequest, allocation_id: int) -> HttpResponse:
    """远程开泵: the first POST shows a confirmation, the second (confirm=1) queues the remote start."""
    allocation = _allocation(request, allocation_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, allocation, _forms(request, allocation, ""), 400, start_form=form)
    if request.POST.get("confirm") != "1":
        return render(request, "water/quota_start_confirm.html", {"allocation": allocation, "form": form})
    try:
        commands = controls.remote_start(allocation, form.cleaned_data["reason"], request.user)
    except ValidationError as error:
        refuse(form, error)
        return _render_detail(request, allocation, _forms(request, allocation, ""), 400, start_form=form)
    messages.success(request, f"已加入下发队列：远程开泵（{len(commands)} 个终端）")
    return redirect("water:quota", allocation_id=allocation.pk)
