"""上下级数据交换 pages.

Upstream: credentials issued to downstream instances, their health, raw-reading requests. Downstream: this
instance's link to its upstream with its push state.

Reading needs ``water.exchange.read``, every change ``water.exchange.manage``; peers are scoped by their region
(``core.scope``), so a county's operator sees the county's peers only. A new or rotated secret is shown once,
on the page the POST redirects to (kept in the session until then), never again. Every change is audited by
``water.sharing.credentials``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from changji.core import params
from changji.core.access import P, allows
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse
from changji.water.models import DownstreamPeer, RawReadingRequest, RefusedRow
from changji.water.sharing import credentials, delivery, health
from changji.water.web.common import user_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECRET_SESSION_KEY = "water.exchange.secret_once"


class IssueForm(forms.Form):
    name = forms.CharField(label="下级平台名称", max_length=100)
    region = forms.ChoiceField(label="所辖区划")


class ReadingRequestForm(forms.Form):
    peer = forms.ChoiceField(label="下级平台")
    well_code = forms.CharField(label="井编号", max_length=32)
    since = params.DayField(label="起始日")
    until = params.DayField(label="截止日")


class LinkForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, initial="上级平台")
    base_url = forms.URLField(label="上级平台地址", max_length=200, assume_scheme="https")
    key_id = forms.CharField(label="凭据编号", max_length=40)
    secret = forms.CharField(label="签名密钥（只写；留空则保持原密钥）", max_length=128, required=False,
                             widget=forms.PasswordInput(render_value=False))
    batch_size = forms.IntegerField(label="每批条数", min_value=1, max_value=5000, initial=500)


def _peers(request: HttpRequest) -> Any:
    return scope_queryset(DownstreamPeer.objects.select_related("region"), request.user)


def _region_choices(request: HttpRequest) -> list[tuple[str, str]]:
    own = user_region(request)
    below = Region.objects.within(own).exclude(code=own.code).filter(level__lte=own.level + 1).order_by("code")
    return [(own.code, own.name), *((r.code, r.name) for r in below)]


@route(get=P.WATER_EXCHANGE_READ, post=P.WATER_EXCHANGE_MANAGE)
def peers(request: HttpRequest) -> HttpResponse:
    """The credentials issued to downstream instances in scope; a manager issues one here."""
    form = IssueForm(request.POST or None)
    field_of(form, "region", forms.ChoiceField).choices = _region_choices(request)
    if request.method == "POST" and form.is_valid():
        region = get_object_or_404(scope_queryset(Region.objects.all(), request.user), code=form.cleaned_data["region"])
        try:
            peer, secret = credentials.issue(form.cleaned_data["name"], region, request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            request.session[SECRET_SESSION_KEY] = {"key_id": peer.key_id, "secret": secret}
            messages.success(request, f"已签发凭据 {peer.key_id}")
            return redirect("water:exchange_peers")
    status = 400 if request.method == "POST" else 200
    return render(request, "water/exchange_peers.html", {
        "peers": _peers(request), "form": form if allows(request.user, P.WATER_EXCHANGE_MANAGE) else None,
        "secret_once": request.session.pop(SECRET_SESSION_KEY, None) if request.method == "GET" else None,
    }, status=status)


@route(post=P.WATER_EXCHANGE_MANAGE)
def peer_rotate(request: HttpRequest, peer_id: int) -> HttpResponse:
    """Give a peer a new secret (shown once); the old one stops working."""
    peer = get_object_or_404(_peers(request), pk=peer_id)
    try:
        secret = credentials.rotate(peer, request.user)
    except Refusal as error:
        messages.error(request, error.message)
    else:
        request.session[SECRET_SESSION_KEY] = {"key_id": peer.key_id, "secret": secret}
        messages.success(request, f"已更换 {peer.key_id} 的密钥")
    return redirect("water:exchange_peers")


@route(post=P.WATER_EXCHANGE_MANAGE)
def peer_revoke(request: HttpRequest, peer_id: int) -> HttpResponse:
    """Revoke a peer's credential."""
    peer = get_object_or_404(_peers(request), pk=peer_id)
    credentials.revoke(peer, request.user, request.POST.get("reason", "")[:200])
    messages.success(request, f"已吊销 {peer.key_id}")
    return redirect("water:exchange_peers")


def _request_form(request: HttpRequest, data: Any = None) -> ReadingRequestForm:
    form = ReadingRequestForm(data)
    field_of(form, "peer", forms.ChoiceField).choices = [
        (str(p.pk), f"{p.name}（{p.key_id}）") for p in _peers(request).filter(revoked_at__isnull=True)]
    return form


@route(get=P.WATER_EXCHANGE_READ)
def health_page(request: HttpRequest) -> HttpResponse:
    """Each downstream's health per stream, its refused rows and the raw-reading requests; ``format=xlsx``."""
    rows = health.health_rows(_peers(request), timezone.now())
    if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        response = HttpResponse(health.export_health(rows), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="exchange-health.xlsx"'
        return response
    manager = allows(request.user, P.WATER_EXCHANGE_MANAGE)
    return render(request, "water/exchange_health.html", {
        "rows": rows,
        "refused": scope_queryset(RefusedRow.objects.select_related("peer"), request.user)[:100],
        "requests": scope_queryset(RawReadingRequest.objects.select_related("peer"), request.user)[:50],
        "form": _request_form(request) if manager else None,
    })


@route(post=P.WATER_EXCHANGE_MANAGE)
def reading_request(request: HttpRequest) -> HttpResponse:
    """Ask a downstream for a well's raw readings over a period (召测)."""
    form = _request_form(request, request.POST)
    if form.is_valid():
        peer = get_object_or_404(_peers(request), pk=int(form.cleaned_data["peer"]))
        try:
            credentials.request_readings(peer, form.cleaned_data["well_code"], form.cleaned_data["since"],
                                         form.cleaned_data["until"], request.user)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, "已登记召测请求，下级平台下次上报时领取")
            return redirect("water:exchange_health")
    return render(request, "water/exchange_health.html", {
        "rows": health.health_rows(_peers(request), timezone.now()), "refused": [], "requests": [], "form": form,
    }, status=400)


@route(get=P.WATER_EXCHANGE_READ, post=P.WATER_EXCHANGE_MANAGE)
def upstream(request: HttpRequest) -> HttpResponse:
    """This instance's link to its upstream (the secret is write-only) and each stream's push state."""
    link = delivery.active_link()
    initial = ({"name": link.name, "base_url": link.base_url, "key_id": link.key_id, "batch_size": link.batch_size}
               if link else None)
    form = LinkForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            credentials.save_link(by=request.user, **form.cleaned_data)
        except Refusal as error:
            refuse(form, error)
        else:
            messages.success(request, "已保存上级平台连接")
            return redirect("water:exchange_upstream")
    return render(request, "water/exchange_upstream.html", {
        "link": link, "states": health.push_states(),
        "form": form if allows(request.user, P.WATER_EXCHANGE_MANAGE) else None,
    }, status=400 if request.method == "POST" else 200)


@route(post=P.WATER_EXCHANGE_MANAGE)
def push_now(request: HttpRequest) -> HttpResponse:
    """「立即上报」: clear the back-off and run one bounded push now."""
    delivery.retry_now()
    result = delivery.push(limit=10)
    summary = result.summary()
    if summary["errors"]:
        messages.error(request, f"上报未完成：{summary['errors']} 个数据流出错，已安排重试")
    else:
        messages.success(request, f"已上报 {summary['batches']} 批、{summary['rows']} 条")
    return redirect(reverse("water:exchange_upstream"))
