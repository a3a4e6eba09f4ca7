"""规约配置 pages: protocol profiles with their versions, device batches, XLSX import/export, 规约不符 suggestions.

Reading needs ``P.WATER_REGISTRY_READ``; changing profiles and batches (and importing them)
``P.WATER_PROFILE_EDIT`` (prefecture-wide reference data). A suggestion is confirmed or dismissed with
``P.WATER_REGISTRY_EDIT`` on the terminal's region (suggestions are scoped by their terminal); the
"检测" button runs the detection over the terminals in the user's region. Every POST redirects on success.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.web_forms import refuse
from changji.water.models import DeviceBatch, LinkMode, ProfileSuggestion, ProtocolProfile, SuggestionState, Terminal
from changji.water.profiles import service, xlsx
from changji.water.profiles.options import describe
from changji.water.web.common import import_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPTIONS_HELP = ('JSON 对象。SZY206：ack_style、word_order（little/big）、flow_first、flow_unit_bits、'
                'time_label_length（null/5/7）、address_order；SL651：volume_extension、energy_extension（FFxx）、'
                'ack_end（EOT/ESC）、ack_time（echo/centre）。未写的取默认值。')


class ProfileForm(forms.Form):
    name = forms.CharField(label="名称", max_length=64)
    protocol = forms.ChoiceField(label="规约", choices=ProtocolProfile.Protocol.choices)
    options = forms.CharField(label="编解码参数", widget=forms.Textarea(attrs={"rows": 8}), required=False,
                              help_text=OPTIONS_HELP)
    link_mode = forms.ChoiceField(label="链路方式", choices=LinkMode.choices)
    report_interval_s = forms.IntegerField(label="上报间隔（秒）", min_value=1, max_value=86400)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class BatchForm(forms.Form):
    name = forms.CharField(label="批次编号", max_length=64)
    manufacturer = forms.CharField(label="厂家", max_length=64, required=False)
    model = forms.CharField(label="型号", max_length=64, required=False)
    firmware = forms.CharField(label="固件版本", max_length=32, required=False)
    delivery_year = params.YearField(label="交付年度", required=False)
    profile = forms.ModelChoiceField(label="规约配置", queryset=ProtocolProfile.objects.order_by("protocol", "name"))
    planned_count = forms.IntegerField(label="合同台数", min_value=0, max_value=1_000_000, required=False)
    notes = forms.CharField(label="备注", widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _terminals(request: HttpRequest) -> QuerySet[Terminal]:
    return scope_queryset(Terminal.objects.all(), request.user)


def _profile_values(form: ProfileForm) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    try:
        values["options"] = json.loads(values["options"]) if values["options"].strip() else {}
    except ValueError as exc:
        raise Refusal("options", f"规约参数不是合法的 JSON：{exc}") from exc
    return values


def _profile_initial(profile: ProtocolProfile) -> dict[str, Any]:
    initial = {name: getattr(profile, name) for name in service.PROFILE_FIELDS}
    initial["options"] = json.dumps(profile.options, ensure_ascii=False, indent=1)
    return initial


@route(get=P.WATER_REGISTRY_READ)
def profile_list(request: HttpRequest) -> HttpResponse:
    """Every protocol profile with its batches and the user's terminals on it; ``?format=xlsx`` exports."""
    if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        response = HttpResponse(xlsx.export_workbook(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="protocol-profiles.xlsx"'
        return response
    terminals = _terminals(request)
    on_batch = dict(terminals.filter(profile_override=None).exclude(batch=None)
                    .values_list("batch__profile").annotate(n=Count("id")).values_list("batch__profile", "n"))
    overridden = dict(terminals.exclude(profile_override=None).values_list("profile_override")
                      .annotate(n=Count("id")).values_list("profile_override", "n"))
    rows = [(p, on_batch.get(p.pk, 0) + overridden.get(p.pk, 0), p.batch_count)
            for p in ProtocolProfile.objects.annotate(batch_count=Count("batches")).order_by("protocol", "name")]
    return render(request, "water/profiles.html", {
        "rows": rows, "may_edit": allows(request.user, P.WATER_PROFILE_EDIT),
        "open_suggestions": scope_queryset(ProfileSuggestion.objects.filter(state=SuggestionState.OPEN),
                                           request.user).count(),
    })


@route(get=P.WATER_PROFILE_EDIT, post=P.WATER_PROFILE_EDIT)
def profile_new(request: HttpRequest) -> HttpResponse:
    """A new profile (GET: the form)."""
    form = ProfileForm(request.POST or None, initial={"report_interval_s": 300, "link_mode": LinkMode.ONLINE,
                                                      "options": "{}"})
    if request.method == "POST" and form.is_valid():
        try:
            profile = service.save_profile(None, _profile_values(form), request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已新增规约配置：{profile}")
            return redirect("water:profile", profile_id=profile.pk)
    return render(request, "water/profile_form.html", {"form": form, "profile": None},
                  status=400 if form.is_bound else 200)


@route(get=P.WATER_REGISTRY_READ, post=P.WATER_PROFILE_EDIT)
def profile_detail(request: HttpRequest, profile_id: int) -> HttpResponse:
    """One profile: its options, version history and batches; its edit form for an editor."""
    profile = get_object_or_404(ProtocolProfile, pk=profile_id)
    form = ProfileForm(request.POST or None, initial=_profile_initial(profile))
    if request.method == "POST" and form.is_valid():
        try:
            saved = service.save_profile(profile, _profile_values(form), request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已保存：{saved}")
            return redirect("water:profile", profile_id=profile.pk)
    batches = profile.batches.annotate(terminal_count=Count("terminals", filter=Q(
        terminals__in=_terminals(request)))).order_by("name")
    return render(request, "water/profile.html", {
        "profile": profile, "form": form, "options": describe(profile.protocol, profile.options),
        "versions": profile.versions.order_by("-version"), "batches": batches,
        "may_edit": allows(request.user, P.WATER_PROFILE_EDIT),
    }, status=400 if form.is_bound else 200)


@route(get=P.WATER_REGISTRY_READ, post=P.WATER_PROFILE_EDIT)
def batch_list(request: HttpRequest) -> HttpResponse:
    """Device batches with the user's terminal counts; an editor adds a batch here (POST)."""
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = service.save_batch(None, dict(form.cleaned_data), request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已新增设备批次：{batch}")
            return redirect("water:batches")
    batches = DeviceBatch.objects.select_related("profile").annotate(terminal_count=Count("terminals", filter=Q(
        terminals__in=_terminals(request)))).order_by("name")
    return render(request, "water/batches.html", {
        "batches": batches, "form": form, "may_edit": allows(request.user, P.WATER_PROFILE_EDIT),
        "unbatched": _terminals(request).filter(batch=None).count(),
    }, status=400 if form.is_bound else 200)


@route(get=P.WATER_REGISTRY_READ, post=P.WATER_PROFILE_EDIT)
def batch_edit(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch: its form (an editor changes it, e.g. moves the batch to another profile)."""
    batch = get_object_or_404(DeviceBatch, pk=batch_id)
    initial = {name: getattr(batch, name) for name in service.BATCH_FIELDS}
    form = BatchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.save_batch(batch, dict(form.cleaned_data), request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, f"已保存设备批次：{batch}")
            return redirect("water:batches")
    return render(request, "water/batch_edit.html", {
        "batch": batch, "form": form, "may_edit": allows(request.user, P.WATER_PROFILE_EDIT),
        "terminal_count": _terminals(request).filter(batch=batch).count(),
    }, status=400 if form.is_bound else 200)


@route(get=P.WATER_PROFILE_EDIT, post=P.WATER_PROFILE_EDIT)
def profiles_import(request: HttpRequest) -> HttpResponse:
    """Import profiles and batches from a workbook (the export's sheets and columns); all or nothing."""
    return import_page(request, "water/profiles_import.html",
                       lambda content: xlsx.import_workbook(content, request.user), "water:profiles",
                       help_text="工作表「规约配置」与「设备批次」，列同导出文件。")


def _suggestions(request: HttpRequest) -> QuerySet[ProfileSuggestion]:
    return scope_queryset(ProfileSuggestion.objects.select_related(
        "terminal__well", "terminal__batch", "current_profile", "suggested_profile"), request.user)


@route(get=P.WATER_REGISTRY_READ, post=P.WATER_REGISTRY_EDIT)
def suggestions(request: HttpRequest) -> HttpResponse:
    """规约不符: terminals whose frames fit another profile; POST runs the check over the user's terminals."""
    if request.method == "POST":
        counts = service.detect(_terminals(request).filter(frames__isnull=False).distinct())
        messages.success(request, f"检测完成：检查终端 {counts['scored']} 台，发现规约不符 {counts['flagged']} 台")
        return redirect("water:profile_suggestions")
    state = params.query(request, "state", params.Choice(SuggestionState.values, default=SuggestionState.OPEN))
    rows = _suggestions(request).filter(state=state).order_by("-created_at")[:500]
    return render(request, "water/profile_suggestions.html", {
        "rows": rows, "state": state, "states": SuggestionState.choices,
        "may_confirm": allows(request.user, P.WATER_REGISTRY_EDIT),
    })


@route(get=P.WATER_REGISTRY_READ, post=P.WATER_REGISTRY_EDIT)
def suggestion_confirm(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """One suggestion with its evidence; POST ``decision=confirm`` switches and re-decodes, ``dismiss`` drops it."""
    suggestion = get_object_or_404(_suggestions(request), pk=suggestion_id)
    if request.method == "POST":
        decision = params.parse(request.POST, {"decision": params.Choice(["confirm", "dismiss"])})["decision"]
        if decision is None:
            raise params.ParamError("decision", "请选择确认切换或忽略")
        try:
            if decision == "confirm":
                result = service.confirm_switch(suggestion, request.user)
                messages.success(request, f"已切换到“{suggestion.suggested_profile.name}”：重解析报文 "
                                          f"{result.frames} 条，读数 {result.readings} 条，已重算用水量与在线统计")
            else:
                service.dismiss(suggestion, request.user)
                messages.success(request, "已忽略该建议")
        except Refusal as error:
            messages.error(request, error.message)
        return redirect("water:profile_suggestion", suggestion_id=suggestion.pk)
    return render(request, "water/profile_suggestion.html", {
        "s": suggestion, "suggested": suggestion.evidence.get("suggested", {}),
        "current": suggestion.evidence.get("current", {}), "may_confirm": allows(request.user, P.WATER_REGISTRY_EDIT),
    })
