"""Unregistered terminals (未登记终端): their recent frames and one-step registration."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core.access import P
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.water.models import Frame, FrameOutcome, QuarantinedTerminal, Well
from changji.water.registry.service import register_quarantined

FRAMES_PER_TERMINAL = 5


class RegisterForm(forms.Form):
    well_code = forms.CharField(label="安装机井编号", max_length=32, required=False,
                                help_text="留空则按地址前六位确定所属县市，暂不装井")


@route(get=P.WATER_QUARANTINE_READ)
def quarantine(request: HttpRequest) -> HttpResponse:
    """The unregistered terminals of the user's region (by the county their address names), newest first."""
    rows = []
    for terminal in scope_queryset(QuarantinedTerminal.objects.all(), request.user)[:100]:
        # Quarantined frames belong to no terminal yet; they are shown because their terminal is in scope.
        frames = Frame.objects.filter(protocol=terminal.protocol, address=terminal.address,
                                      outcome=FrameOutcome.QUARANTINED)
        rows.append({"terminal": terminal, "frames": frames[:FRAMES_PER_TERMINAL],
                     "form": RegisterForm(prefix=f"q{terminal.pk}")})
    return render(request, "water/quarantine.html", {"rows": rows})


@route(post=P.WATER_TERMINAL_REGISTER)
def register(request: HttpRequest, quarantined_id: int) -> HttpResponse:
    """Register one quarantined terminal of the user's region, on a well of that region when one is named."""
    quarantined = get_object_or_404(scope_queryset(QuarantinedTerminal.objects.all(), request.user), pk=quarantined_id)
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
