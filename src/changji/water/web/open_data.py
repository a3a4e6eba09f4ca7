"""开放数据接口 page: whether the SensorThings API at ``/sta/v1.1/`` answers, and the switch to turn it on or off.

Both reading and switching need ``water.exchange.manage`` (its label: 开关开放数据接口); switching also needs a
scope over the whole instance (``sharing.sensorthings.switch``). A successful POST redirects; a bad form
re-renders with 400.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from changji.core.access import P
from changji.core.guards import route
from changji.water.sharing.sensorthings import switch
from changji.water.sharing.sensorthings.views import CONFORMANCE, ROOT


class SwitchForm(forms.Form):
    enabled = forms.TypedChoiceField(label="开放数据接口", choices=[("1", "开启"), ("0", "关闭")],
                                     coerce=lambda v: v == "1", widget=forms.RadioSelect)
    reason = forms.CharField(label="原因", max_length=200, required=False)


@route(get=P.WATER_EXCHANGE_MANAGE, post=P.WATER_EXCHANGE_MANAGE)
def open_data(request: HttpRequest) -> HttpResponse:
    """The switch's state, who changed it last, the endpoint's address; POST turns it on or off."""
    current = switch.setting()
    form = SwitchForm(request.POST if request.method == "POST" else None,
                      initial={"enabled": "1" if current.enabled else "0"})
    if request.method == "POST" and form.is_valid():
        row = switch.switch(form.cleaned_data["enabled"], request.user, form.cleaned_data["reason"])
        messages.success(request, "已开启开放数据接口" if row.enabled else "已关闭开放数据接口")
        return redirect("water:open_data")
    return render(request, "water/open_data.html", {
        "setting": current, "form": form, "endpoint": request.build_absolute_uri(ROOT + "/"),
        "conformance": CONFORMANCE,
    }, status=400 if form.is_bound else 200)
