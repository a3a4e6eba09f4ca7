"""The hall's queue pages: the kiosk (取号), a ticket, the called-number display, the clerk's console, figures.

The kiosk, the ticket page and the display are public (no account: the hall's screens and the visitors); they
show queue numbers, never a name. A hall is a region with active windows: ``?region=<code>`` chooses it, and
when only one region has windows it is the default. Taking a number is limited per address
(``SERVICES_QUEUE_TAKE_PER_ADDRESS`` tickets in ``SERVICES_QUEUE_TAKE_WINDOW_MINUTES``, default 60 in 15): a
kiosk's normal pace stays below it, a script pulling every number does not.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from changji.core import params, throttle
from changji.core.access import P
from changji.core.guards import PUBLIC, route
from changji.core.models import Region
from changji.core.scope import scope_queryset
from changji.core.web_forms import run_action
from changji.services import queue, queue_statistics
from changji.services.models import Case, QueueTicket, ServiceWindow, TicketState
from changji.services.queue import SERVICE_TYPE_LABELS, TicketError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the public side: a hall, the kiosk, a ticket, the display -----------------------------------------------


def _hall(request: HttpRequest, data: Any = None) -> Region | None:
    """The hall chosen by ``region`` (404 for a region without windows), or the only one; None: let them choose."""
    code = params.parse(data if data is not None else request.GET, {"region": params.RegionCode(default="")})["region"]
    found = queue.halls()
    if code:
        region = found.filter(pk=code).first()
        if region is None:
            raise Http404("该区划没有服务大厅")
        return region
    return found.first() if found.count() == 1 else None


def _types_served(region: Region) -> list[tuple[str, str]]:
    served = {t for w in ServiceWindow.objects.filter(region=region, active=True) for t in w.service_types}
    return [(value, label) for value, label in SERVICE_TYPE_LABELS.items() if value in served]


def _take_budget_used(address: str) -> bool:
    """Count one ticket for ``address``; True when it is over its budget (the ticket is then refused)."""
    limit = int(getattr(settings, "SERVICES_QUEUE_TAKE_PER_ADDRESS", 60))
    minutes = int(getattr(settings, "SERVICES_QUEUE_TAKE_WINDOW_MINUTES", 15))
    return throttle.count("queue-take", address, timedelta(minutes=minutes)) > limit


class TakeForm(forms.Form):
    service_type = forms.ChoiceField(label="业务类别", choices=list(SERVICE_TYPE_LABELS.items()))


@route(get=PUBLIC, post=PUBLIC)
def queue_take(request: HttpRequest) -> HttpResponse:
    """The kiosk: choose a service type, get a number (POST → the ticket page)."""
    region = _hall(request, request.POST if request.method == "POST" else None)
    form = TakeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if region is None:
            form.add_error(None, "请先选择服务大厅")
        elif form.is_valid():
            if _take_budget_used(request.META.get("REMOTE_ADDR", "")):
                form.add_error(None, "取号过于频繁，请稍后再试或咨询导办台")
                status = 429
            else:
                try:
                    ticket = queue.take(region, form.cleaned_data["service_type"])
                except TicketError as error:
                    form.add_error(None, error.message)
                else:
                    return redirect("services:queue_ticket", ticket_id=ticket.pk)
    return render(request, "services/queue_take.html", {
        "region": region, "halls": queue.halls(), "form": form,
        "types": _types_served(region) if region else []}, status=status)


@route(get=PUBLIC)
def queue_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A ticket: its number, how many wait before it, the window once called (refreshes itself every 20 s)."""
    ticket = get_object_or_404(QueueTicket.objects.select_related("window", "region"), pk=ticket_id)
    return render(request, "services/queue_ticket.html", {
        "ticket": ticket, "ahead": queue.ahead_of(ticket), "type_label": SERVICE_TYPE_LABELS.get(ticket.service_type),
        "state_label": queue.TICKET_TABLE.label(ticket.state),
        "open": ticket.local_day == timezone.localdate() and ticket.state == TicketState.WAITING})


@route(get=PUBLIC)
def queue_display(request: HttpRequest) -> HttpResponse:
    """The called-number screen of a hall; ``services/queue_display.js`` polls ``display.json`` every 3 s."""
    region = _hall(request)
    data = queue.display_data(region) if region else None
    return render(request, "services/queue_display.html", {"region": region, "halls": queue.halls(), "data": data})


@route(get=PUBLIC)
def queue_display_json(request: HttpRequest) -> JsonResponse:
    """The display's data as JSON: numbers, windows, times; nothing about the visitors."""
    region = _hall(request)
    if region is None:
        codes = list(queue.halls().values_list("code", flat=True))
        return JsonResponse({"detail": "请指定服务大厅（region）", "halls": codes}, status=400)
    response = JsonResponse(queue.display_data(region))
    response["Cache-Control"] = "no-store"
    return response


# --- the clerk's console --------------------------------------------------------------------------------------

ACTIONS = {"call": "叫下一号", "recall": "重呼", "start": "开始办理", "no_show": "过号", "finish": "办结"}


class CallForm(forms.Form):
    pass


class TicketForm(forms.Form):
    ticket = params.IdField(widget=forms.HiddenInput)


class FinishForm(TicketForm):
    receipt_number = forms.CharField(label="关联办件受理编号（可选）", max_length=32, required=False)


def _console_forms(data: Any, action: str, current: QueueTicket | None) -> dict[str, forms.Form]:
    def bound(name: str) -> Any:
        return data if action == name else None

    if current is None:
        return {"call": CallForm(bound("call"), prefix="call")}
    initial = {"ticket": current.pk}
    if current.state == TicketState.CALLED:
        return {name: TicketForm(bound(name), prefix=name, initial=initial) for name in ("recall", "start", "no_show")}
    return {"finish": FinishForm(bound("finish"), prefix="finish", initial=initial)}


def _ticket_at(window: ServiceWindow, form: forms.Form) -> QueueTicket:
    ticket = QueueTicket.objects.filter(window=window, pk=form.cleaned_data["ticket"]).select_related("window").first()
    if ticket is None:
        raise TicketError("ticket", "该号码不在本窗口")
    return ticket


def _case(request: HttpRequest, receipt_number: str) -> Case | None:
    if not receipt_number.strip():
        return None
    case = scope_queryset(Case.objects.all(), request.user).filter(receipt_number=receipt_number.strip()).first()
    if case is None:
        raise TicketError("receipt_number", "未找到该受理编号的办件")
    return case


def _apply(request: HttpRequest, window: ServiceWindow, action: str, form: forms.Form) -> str:
    user = request.user
    if action == "call":
        ticket = queue.call_next(window, user)
        return f"请 {ticket.number} 号到 {window.number} 号窗口" if ticket else "当前没有等候的号码"
    ticket = _ticket_at(window, form)
    if action == "recall":
        queue.recall(ticket, user)
        return f"已重呼 {ticket.number}"
    if action == "start":
        queue.start(ticket, user)
        return f"{ticket.number} 开始办理"
    if action == "no_show":
        queue.no_show(ticket, user)
        return f"{ticket.number} 已过号"
    queue.finish(ticket, user, _case(request, form.cleaned_data.get("receipt_number", "")))
    return f"{ticket.number} 已办结"


def _link(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # the walk-in intake page is another part of the hall; no link until it exists
        return None


def _console_context(window: ServiceWindow, current: QueueTicket | None) -> dict[str, Any]:
    today = timezone.localdate()
    waiting = QueueTicket.objects.filter(region_id=window.region_id, local_day=today, state=TicketState.WAITING,
                                         service_type__in=list(window.service_types)).order_by("taken_at", "pk")
    return {
        "window": window, "current": current, "waiting": waiting[:10], "waiting_count": waiting.count(),
        "live": queue.hall_now([window.region_id]), "type_labels": SERVICE_TYPE_LABELS,
        "served_today": QueueTicket.objects.filter(window=window, local_day=today, state=TicketState.DONE).count(),
        "recent": QueueTicket.objects.filter(window=window, local_day=today, state__in=(
            TicketState.DONE, TicketState.NO_SHOW)).order_by("-finished_at", "-pk")[:8],
        "intake_url": _link("services:intake"),
        "window_types": [SERVICE_TYPE_LABELS.get(t, t) for t in window.service_types],
    }


@route(get=P.SERVICES_QUEUE_CALL, post=P.SERVICES_QUEUE_CALL)
def queue_console(request: HttpRequest) -> HttpResponse:
    """The clerk's console: the window's current number and its steps, who waits, the hall's live figures."""
    mine = list(queue.windows_of(request.user))
    if request.user.is_superuser and not mine:
        mine = list(scope_queryset(ServiceWindow.objects.filter(active=True), request.user).order_by("number"))
    source = request.POST if request.method == "POST" else request.GET
    chosen = params.parse(source, {"window": params.Id(default=None)})["window"]
    window = next((w for w in mine if w.pk == chosen), mine[0] if mine and chosen is None else None)
    if window is None:
        return render(request, "services/queue_console.html", {"windows": mine, "window": None},
                      status=404 if chosen else 200)
    current = (QueueTicket.objects.filter(window=window, state__in=(TicketState.CALLED, TicketState.SERVING))
               .order_by("-called_at").first())
    action = request.POST.get("action", "")
    available = _console_forms(request.POST or None, action, current)
    status = run_action(request, available, action, lambda form: _apply(request, window, action, form),
                        errors=(TicketError,), flash_errors=True)
    if status is None:
        return redirect(f"{reverse('services:queue_console')}?window={window.pk}")
    return render(request, "services/queue_console.html", {
        **_console_context(window, current), "windows": mine, "forms": available, "actions": ACTIONS,
        "current_type": SERVICE_TYPE_LABELS.get(current.service_type, "") if current else ""}, status=status)


# --- the waiting figures --------------------------------------------------------------------------------------


def span(request: HttpRequest, days: int = 30) -> tuple[date, date, str | None]:
    """The ``first``..``last`` days asked for (default: the last ``days`` days), or an error to show."""
    today = timezone.localdate()
    chosen = params.parse(request.GET, {"first": params.Day(default=today - timedelta(days=days - 1)),
                                        "last": params.Day(default=today)})
    first, last = chosen["first"], chosen["last"]
    if last < first:
        return first, first, "截止日期不能早于起始日期"
    if (last - first).days > 366:
        return first, last, "查询区间不能超过一年"
    return first, last, None


@route(get=P.SERVICES_STATISTICS_READ)
def queue_statistics_page(request: HttpRequest) -> HttpResponse:
    """Tickets, served, missed, waiting and service minutes per service type and window; ``?format=xlsx``."""
    first, last, error = span(request)
    if error:
        return render(request, "services/queue_statistics.html", {"error": error, "first": first, "last": last},
                      status=400)
    figures = queue_statistics.queue_figures(scope_queryset(QueueTicket.objects.all(), request.user), first, last)
    if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        response = HttpResponse(queue_statistics.to_xlsx(figures), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="queue-{first}-{last}.xlsx"'
        return response
    return render(request, "services/queue_statistics.html", {"figures": figures, "first": first, "last": last})

