"""The notification pages (Chinese): each account's inbox and channel preferences, and the operators' delivery log.

* ``/notifications/`` — the caller's in-app notices, newest first, unread ones marked; POST ``read`` (one, and
  go to its page when ``next`` is given) or ``read_all``. Every role (``core.notification.read``).
* ``/notifications/preferences/`` — per event the caller's role may receive, the channels (站内消息/短信/邮件).
* ``/notifications/outbox/`` — the delivery log of the caller's region: filter by state, channel and event;
  POST ``retry`` sends a failed notice again. County operators and prefecture admins
  (``core.notification.outbox``). Addresses are shown masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.models import Channel, Notification, NotificationPreference, User
from changji.core.notifications import delivery
from changji.core.notifications.events import EventSpec, events
from changji.core.notifications.outbox import channels_for, may_receive
from changji.core.notifications.policy import mask_address
from changji.core.notifications.states import LABELS as STATE_LABELS
from changji.core.scope import scope_queryset

PAGE_SIZE = 30


def inbox_of(user: Any) -> QuerySet[Notification]:
    """The in-app notices addressed to ``user`` (never anybody else's)."""
    return Notification.objects.filter(user=user, channel=Channel.IN_APP)


def unread_count(user: Any) -> int:
    return inbox_of(user).filter(read_at__isnull=True).count()


def _page(request: HttpRequest, rows: QuerySet[Notification]) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))


def _labels() -> dict[str, str]:
    return {spec.action: spec.label for spec in events()}


@route(get=P.NOTIFICATION_READ, post=P.NOTIFICATION_READ)
def inbox(request: HttpRequest) -> HttpResponse:
    """The caller's inbox; POST action=read (id, next) or read_all."""
    if request.method == "POST":
        return _mark(request)
    filters = params.parse(request.GET, {"unread": params.Choice(["1", ""], default="")})
    rows = inbox_of(request.user)
    if filters["unread"]:
        rows = rows.filter(read_at__isnull=True)
    query = request.GET.copy()
    query.pop("page", None)
    page, labels = _page(request, rows), _labels()
    for row in page:
        row.event_label = labels.get(row.event, row.event)
    return render(request, "core/notifications/inbox.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "unread": unread_count(request.user)})


def _mark(request: HttpRequest) -> HttpResponse:
    form = params.parse(request.POST, {"action": params.Choice(["read", "read_all"], default="read"),
                                       "id": params.Id(), "next": params.LocalPath()})
    now = timezone.now()
    if form["action"] == "read_all":
        count = inbox_of(request.user).filter(read_at__isnull=True).update(read_at=now)
        messages.success(request, f"已将 {count} 条消息标记为已读")
        return redirect("core:notifications")
    if form["id"] is None:
        raise params.ParamError("id", "不能为空")
    notice = get_object_or_404(inbox_of(request.user), pk=form["id"])
    if notice.read_at is None:
        notice.read_at = now
        notice.save(update_fields=["read_at"])
    return HttpResponseRedirect(form["next"]) if form["next"] else redirect("core:notifications")


def _account(request: HttpRequest) -> User:
    """The signed-in account (the guard let only signed-in accounts through)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("请先登录")
    return request.user


def receivable(user: Any) -> list[EventSpec]:
    """The events ``user``'s role may receive, in registration order."""
    return [spec for spec in events() if may_receive(user, spec)]


@route(get=P.NOTIFICATION_READ, post=P.NOTIFICATION_READ)
def preferences(request: HttpRequest) -> HttpResponse:
    """The channels per event; POST saves them all (a box per event and channel)."""
    specs = receivable(request.user)
    if request.method == "POST":
        choice = params.Choice(Channel.values)
        chosen = {spec.action: sorted({choice.read(f"c-{spec.action}", raw)
                                       for raw in request.POST.getlist(f"c-{spec.action}") if raw})
                  for spec in specs}
        for action, channels in chosen.items():
            NotificationPreference.objects.update_or_create(user=_account(request), event=action,
                                                            defaults={"channels": channels})
        messages.success(request, "接收方式已保存")
        return redirect("core:notification_preferences")
    stored = dict(NotificationPreference.objects.filter(user=_account(request)).values_list("event", "channels"))
    rows = [{"spec": spec, "channels": channels_for(request.user, spec, stored)} for spec in specs]
    return render(request, "core/notifications/preferences.html", {
        "rows": rows, "channels": Channel.choices,
        "phone": getattr(request.user, "phone", ""), "email": getattr(request.user, "email", "")})


@route(get=P.NOTIFICATION_OUTBOX_READ, post=P.NOTIFICATION_OUTBOX_READ)
def outbox(request: HttpRequest) -> HttpResponse:
    """The region's delivery log; POST retry (id) sends a failed notice again."""
    scoped = scope_queryset(Notification.objects.select_related("user", "region"), request.user)
    if request.method == "POST":
        form = params.parse(request.POST, {"id": params.Id()})
        if form["id"] is None:
            raise params.ParamError("id", "不能为空")
        notice = get_object_or_404(scoped, pk=form["id"])
        delivery.retry(notice)  # a notice that has not failed: TransitionError, a Chinese 400
        messages.success(request, "已重新加入发送队列")
        return redirect(f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path)
    labels = _labels()
    filters = params.parse(request.GET, {
        "state": params.Choice(STATE_LABELS, default=""), "channel": params.Choice(Channel.values, default=""),
        "event": params.Choice(labels, default="")})
    rows = scoped
    for name in ("state", "channel", "event"):
        if filters[name]:
            rows = rows.filter(**{name: filters[name]})
    query = request.GET.copy()
    query.pop("page", None)
    page = _page(request, rows)
    for row in page:
        row.masked_address = mask_address(row.address) if row.address else ""
        row.event_label = labels.get(row.event, row.event)
    return render(request, "core/notifications/outbox.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "states": STATE_LABELS,
        "channels": Channel.choices, "labels": labels})
