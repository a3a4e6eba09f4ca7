"""The alarm centre (告警中心): filter and page alarms; acknowledge, assign, resolve or dismiss them."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import params
from changji.core.access import P, allows
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, run_action
from changji.water.alarms import rules, service
from changji.water.alarms.evidence import evidence_rows
from changji.water.alarms.rules import KIND_LABELS, SEVERITY_LABELS
from changji.water.alarms.workflow import ACTIVE_STATES, STATE_LABELS
from changji.water.models import Alarm, AlarmEvent, Snapshot
from changji.water.web.common import counties

PAGE_SIZE = 50
ACTIONS = {"acknowledge": "确认", "assign": "派单", "resolve": "办结", "dismiss": "误报"}


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="核查人员")
    due = params.DayField(label="完成期限")
    note = forms.CharField(label="说明", required=False)


class ResolveForm(forms.Form):
    result = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 2}))
    snapshot = forms.ModelChoiceField(queryset=Snapshot.objects.none(), label="抓拍照片", required=False)
    photo = forms.FileField(label="或上传现场照片", required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        if not data.get("snapshot") and not data.get("photo"):
            raise forms.ValidationError("请选择抓拍照片或上传现场照片作为证据。")
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(label="误报原因", widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", required=False)


def _forms(request: HttpRequest, alarm: Alarm, data: Any = None, files: Any = None, action: str = ""
           ) -> dict[str, forms.Form]:
    """The action forms offered to the user: none unless the policy lets them handle alarms here.

    An alarm reported from a lower-level instance (``water.sharing``) is handled there: no forms.
    """
    if not allows(request.user, P.WATER_ALARM_TRANSITION) or alarm.terminal.reported_by:
        return {}

    def bound(name: str) -> tuple[Any, Any]:
        return (data, files) if action == name else (None, None)

    assign = AssignForm(*bound("assign"), prefix="assign")
    field_of(assign, "assignee", forms.ModelChoiceField).queryset = assignees(request, alarm)
    resolve = ResolveForm(*bound("resolve"), prefix="resolve")
    field_of(resolve, "snapshot", forms.ModelChoiceField).queryset = scope_queryset(
        Snapshot.objects.filter(terminal=alarm.terminal), request.user)
    return {"acknowledge": NoteForm(*bound("acknowledge"), prefix="acknowledge"), "assign": assign,
            "resolve": resolve, "dismiss": DismissForm(*bound("dismiss"), prefix="dismiss")}


def assignees(request: HttpRequest, alarm: Alarm) -> Any:
    """The alarm's eligible assignees (``service.eligible_assignees``) within the dispatcher's scope."""
    return scope_queryset(service.eligible_assignees(alarm), request.user).order_by("username")


def _scoped(request: HttpRequest) -> Any:
    return scope_queryset(Alarm.objects.select_related("terminal", "well", "assignee"), request.user)


@route(get=P.WATER_ALARM_READ)
def alarm_list(request: HttpRequest) -> HttpResponse:
    alarms = _scoped(request)
    county_list = counties(request)
    filters = params.parse(request.GET, {
        "state": params.Choice(["active", *STATE_LABELS], default=""),
        "kind": params.Choice(KIND_LABELS, default=""),
        "severity": params.Choice(SEVERITY_LABELS, default=""),
        "county": params.Choice([c.code for c in county_list], default=""),
    })
    if filters["state"] == "active":
        alarms = alarms.filter(state__in=ACTIVE_STATES)
    elif filters["state"]:
        alarms = alarms.filter(state=filters["state"])
    if filters["kind"]:
        alarms = alarms.filter(kind=filters["kind"])
    if filters["severity"]:
        alarms = alarms.filter(severity=filters["severity"])
    if filters["county"]:
        county = next(c for c in county_list if c.code == filters["county"])
        alarms = alarms.filter(terminal__region__path__startswith=county.path)
    page = Paginator(alarms.order_by("-raised_at"), PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "water/alarms.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "counties": county_list,
        "states": STATE_LABELS, "severities": SEVERITY_LABELS,
        "kinds": KIND_LABELS,
    })


def _save_photo(upload: Any) -> str:
    name = f"alarm-photos/{uuid.uuid4().hex}-{upload.name}"
    return default_storage.save(name, upload)


def _apply(request: HttpRequest, alarm: Alarm, action: str, form: forms.Form) -> None:
    data, user = form.cleaned_data, request.user
    if action == "acknowledge":
        service.acknowledge(alarm, user, note=data.get("note", ""))
    elif action == "assign":
        service.assign(alarm, user, assignee=data["assignee"], due=data["due"], note=data.get("note", ""))
    elif action == "resolve":
        evidence = data["snapshot"].pk if data.get("snapshot") else _save_photo(data["photo"])
        service.resolve(alarm, user, result=data["result"], evidence=evidence)
    else:
        service.dismiss(alarm, user, reason=data["reason"])


@route(get=P.WATER_ALARM_READ, post=P.WATER_ALARM_TRANSITION)
def alarm_detail(request: HttpRequest, alarm_id: uuid.UUID) -> HttpResponse:
    """The alarm with its history and the action forms; POST action=acknowledge|assign|resolve|dismiss."""
    alarm = get_object_or_404(_scoped(request), pk=alarm_id)
    back = params.parse(request.POST, {"next": params.LocalPath()})["next"]  # before acting: a bad one changes nothing
    action = request.POST.get("action", "")
    all_forms = _forms(request, alarm, request.POST or None, request.FILES or None, action)

    def apply(form: forms.Form) -> str:
        _apply(request, alarm, action, form)
        return f"告警已{ACTIONS[action]}"

    status = run_action(request, all_forms, action, apply, (ValidationError,), refused="未知操作")
    if status is None:
        return HttpResponseRedirect(back) if back else redirect("water:alarm", alarm_id=alarm.pk)
    rule = rules.rule_of(alarm.kind)
    return render(request, "water/alarm.html", {
        "alarm": alarm, "rule": rule, "forms": all_forms, "actions": ACTIONS,
        "evidence": evidence_rows(alarm.evidence),
        "events": scope_queryset(AlarmEvent.objects.filter(alarm=alarm), request.user),
        "pictures": scope_queryset(Snapshot.objects.filter(alarm=alarm), request.user).order_by("-observed_at")
        if allows(request.user, P.WATER_EVIDENCE_READ) else None,
    }, status=status)
