"""Unregistered terminals (未登记终端): their recent frames and one-step registration."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core.scope import scope_queryset

from ..models import Frame, FrameOutcome, QuarantinedTerminal, Well
from ..registry import register_quarantined
from .common import can_command, is_prefecture_user

FRAMES_PER_TERMINAL = 5


class RegisterForm(forms.Form):
    well_code = forms.CharField(label="安装机井编号", max_length=32, required=False,
                                help_text="留空则按地址前六位确定所属县市，暂不装井")


def _require_prefecture(request: HttpRequest) -> None:
    # QuarantinedTerminal declares no REGION_SCOPE (an unknown terminal belongs to no region yet), so
    # the list is for prefecture-level accounts only.
    if not is_prefecture_user(request.user):
        raise PermissionDenied("未登记终端仅州级用户可查看")


@login_required
def quarantine(request: HttpRequest) -> HttpResponse:
    _require_prefecture(request)
    rows = []
    for terminal in QuarantinedTerminal.objects.all()[:100]:
        # Quarantined frames have no terminal, so no region to scope by; the page is prefecture-only.
        frames = Frame.objects.filter(protocol=terminal.protocol, address=terminal.address,
                                      outcome=FrameOutcome.QUARANTINED)[:FRAMES_PER_TERMINAL]
        rows.append({"terminal": terminal, "frames": frames, "form": RegisterForm(prefix=f"q{terminal.pk}")})
    return render(request, "water/quarantine.html", {"rows": rows, "can_register": can_command(request.user)
                                                     or request.user.is_superuser})


@login_required
def register(request: HttpRequest, quarantined_id: int) -> HttpResponse:
    _require_prefecture(request)
    if request.method != "POST":
        return redirect("water:quarantine")
    if not (can_command(request.user) or request.user.is_superuser):
        raise PermissionDenied("无权登记终端")
    quarantined = get_object_or_404(QuarantinedTerminal, pk=quarantined_id)
    form = RegisterForm(request.POST, prefix=f"q{quarantined.pk}")
    well = None
    if not form.is_valid():
        messages.error(request, "机井编号格式不正确")
        return redirect("water:quarantine")
    if form.cleaned_data["well_code"]:
        well = scope_queryset(Well.objects.all(), request.user).filter(code=form.cleaned_data["well_code"]).first()
        if well is None:
            messages.error(request, f"机井 {form.cleaned_data['well_code']} 不存在或不在管辖范围内")
            return redirect("water:quarantine")
    try:
        terminal = register_quarantined(quarantined, request.user, well=well)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"终端 {terminal.address} 已登记")
    return redirect("water:quarantine")
