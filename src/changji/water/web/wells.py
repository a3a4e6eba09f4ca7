"""The well page: registry, latest reading, charts, quota, alarms, commands, snapshots and raw frames."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.localtime import SHANGHAI, day_bounds, local_day
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of
from changji.water.downlink import queue_command
from changji.water.models import (
    Alarm,
    Allocation,
    Command,
    CommandKind,
    DailyUsage,
    Frame,
    Meter,
    Reading,
    Snapshot,
    Terminal,
    Well,
)
from changji.water.quotas.sweep import effective_allocation, used_m3

PUMP_KINDS = [(CommandKind.PUMP_STOP, CommandKind.PUMP_STOP.label), (CommandKind.PUMP_START,
                                                                       CommandKind.PUMP_START.label)]
RANGES = {"day": timedelta(days=1), "month": timedelta(days=30)}


class PumpCommandForm(forms.Form):
    terminal = forms.ModelChoiceField(queryset=Terminal.objects.none(), label="终端", empty_label=None)
    kind = forms.ChoiceField(choices=PUMP_KINDS, label="指令")
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args: Any, terminals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "terminal", forms.ModelChoiceField).queryset = terminals

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("必须填写下发原因")
        return reason


def _well(request: HttpRequest, well_id: int) -> Well:
    return get_object_or_404(scope_queryset(Well.objects.select_related("region", "water_user"), request.user),
                             pk=well_id)


def _terminals(request: HttpRequest, well: Well) -> Any:
    return scope_queryset(Terminal.objects.filter(well=well), request.user)


def _commands(request: HttpRequest, well: Well) -> Any:
    return scope_queryset(Command.objects.filter(terminal__well=well), request.user).select_related("terminal")[:20]


@route(get=P.WATER_MONITOR_READ)
def well_page(request: HttpRequest, well_id: int) -> HttpResponse:
    """The well's registry, latest reading, charts, quota, alarms, commands, snapshots and raw frames."""
    return _render_well(request, well_id)


def _render_well(request: HttpRequest, well_id: int, form: PumpCommandForm | None = None) -> HttpResponse:
    well = _well(request, well_id)
    terminals = list(_terminals(request, well))
    today = local_day(timezone.now())
    latest = (scope_queryset(Reading.objects.filter(terminal__well=well), request.user)
              .order_by("-observed_at").select_related("terminal").first())
    allocation = scope_queryset(Allocation.objects.filter(well=well, year=today.year), request.user).first()
    quota = None
    if allocation is not None:
        total, used = effective_allocation(allocation), used_m3(allocation, today)
        quota = {"allocation": allocation, "total": total, "used": used,
                 "share_pct": round(used / total * 100, 1) if total else None}
    alarms = (scope_queryset(Alarm.objects.filter(Q(well=well) | Q(terminal__well=well)), request.user)
              .select_related("terminal")[:30])
    frames: list[Frame] = []
    for terminal in terminals:
        frames.extend(scope_queryset(Frame.objects.filter(terminal=terminal), request.user)[:10])
    usage = list(scope_queryset(DailyUsage.objects.filter(well=well, day__gte=today - timedelta(days=59)),
                                request.user).order_by("day"))
    return render(request, "water/well.html", {
        "well": well, "terminals": terminals,
        "meters": scope_queryset(Meter.objects.filter(well=well), request.user),
        "latest": latest, "latest_age": timezone.now() - latest.observed_at if latest else None,
        "quota": quota, "alarms": alarms,
        "commands": _commands(request, well),
        "form": form or PumpCommandForm(terminals=_terminals(request, well)),
        "snapshots": scope_queryset(Snapshot.objects.filter(terminal__well=well), request.user)[:12],
        "frames": sorted(frames, key=lambda f: f.received_at, reverse=True)[:20],
        "usage": usage, "usage_chart": {
            "days": [row.day.isoformat() for row in usage],
            "metered": [row.water_m3 for row in usage], "estimated": [row.estimated_water_m3 for row in usage],
        },
    }, status=400 if form is not None else 200)


@route(get=P.WATER_COMMAND_READ)
def well_commands(request: HttpRequest, well_id: int) -> HttpResponse:
    """The command queue of the well, re-fetched by htmx every 5 s."""
    well = _well(request, well_id)
    return render(request, "water/partials/commands.html", {"well": well, "commands": _commands(request, well)})


@route(post=P.WATER_COMMAND_SEND)
def well_command(request: HttpRequest, well_id: int) -> HttpResponse:
    """Queue a pump stop/start: the first POST shows a confirmation, the second (confirm=1) queues it."""
    well = _well(request, well_id)
    form = PumpCommandForm(request.POST, terminals=_terminals(request, well))
    if not form.is_valid():
        return _render_well(request, well_id, form=form)
    data = form.cleaned_data
    if request.POST.get("confirm") != "1":
        return render(request, "water/command_confirm.html", {"well": well, "form": form, "data": data,
                                                              "kind_label": CommandKind(data["kind"]).label})
    try:
        command = queue_command(data["terminal"], data["kind"], data["reason"], by=request.user)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_well(request, well_id, form=form)
    messages.success(request, f"已加入下发队列：{command.get_kind_display()}（终端 {command.terminal.address}）")
    return redirect("water:well", well_id=well.pk)


def _points(rows: Any, name: str) -> list[list[Any]]:
    """``[time, value]`` pairs with times in ISO 8601 at +08:00 (Asia/Shanghai), what the chart shows."""
    return [[moment.astimezone(SHANGHAI).isoformat(), value]
            for moment, value in ((row["observed_at"], row[name]) for row in rows) if value is not None]


@route(get=P.WATER_MONITOR_READ)
def well_series(request: HttpRequest, well_id: int) -> JsonResponse:
    """Chart data: readings of the last day or 30 days, or daily figures of the year (range=year).

    Times are ISO 8601 at +08:00; the year's days carry use and the registers at the day's end.
    """
    well = _well(request, well_id)
    span = params.query(request, "range", params.Choice([*RANGES, "year"], default="day"))
    today = local_day(timezone.now())
    if span == "year":
        days = scope_queryset(DailyUsage.objects.filter(well=well, day__gte=date(today.year, 1, 1)),
                              request.user).order_by("day").values("day", "usage_m3", "energy_kwh",
                                                                   "last_volume_m3", "last_energy_kwh")
        as_points = [{"observed_at": day_bounds(r["day"])[0], **r} for r in days]
        return JsonResponse({"range": span, "daily": True, "series": {
            "flow": [], "volume": _points(as_points, "usage_m3"), "energy": _points(as_points, "energy_kwh"),
            "volume_register": _points(as_points, "last_volume_m3"),
            "energy_register": _points(as_points, "last_energy_kwh"), "level": [],
        }})
    since = timezone.now() - RANGES[span]
    rows = list(scope_queryset(Reading.objects.filter(terminal__well=well, observed_at__gte=since), request.user)
                .order_by("observed_at").values("observed_at", "flow_m3h", "volume_m3", "energy_kwh", "level_m",
                                                "depth_m"))
    return JsonResponse({"range": span, "daily": False, "series": {
        "flow": _points(rows, "flow_m3h"), "volume": _points(rows, "volume_m3"),
        "energy": _points(rows, "energy_kwh"),
        "level": _points(rows, "level_m") or _points(rows, "depth_m"),
    }})
