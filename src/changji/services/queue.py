"""The hall's queue (取号叫号): tickets taken at the kiosk, called to a window, served, finished or missed.

A ticket moves only along ``TICKET_TABLE`` (``core.transitions``): waiting → called → serving → done; a called
ticket may be called again (重呼, counted in ``recalls``) or marked missed (过号, no_show); at the end of the
day the tickets still waiting or called are closed as missed by the job ``services.queue.close_day``.

Numbers run per local day (Asia/Shanghai), region and service type, each type with its letter: A 批发零售,
B 居民服务, C 租赁, D 食品加工, E 交通运输, Z 咨询导办 (A012 is the 12th ticket of type A today). Two kiosks
taking a number at the same instant race for the same sequence: the unique constraint refuses the second,
which takes the next one. Two clerks calling at once race for the oldest ticket: the call is a conditional
update that only one of them wins. A clerk's actions are audited (``services.queue.<action>``) with the number
only: calls are frequent, the entries stay small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from changji.core import audit, localtime
from changji.core.errors import Refusal
from changji.core.models import Region
from changji.core.transitions import Table, TransitionError, check_transition
from changji.services.models import CONSULTATION, BundleCategory, Case, QueueTicket, ServiceWindow, TicketState

__all__ = ["PREFIXES", "SERVICE_TYPE_LABELS", "TICKET_TABLE", "HallNow", "TicketError", "ahead_of", "call_next",
           "close_past_days", "finish", "hall_now", "link_case", "no_show", "recall", "start", "take",
           "windows_of", "halls", "display_data"]

#: The letter of each service type's numbers.
PREFIXES: Mapping[str, str] = {
    BundleCategory.WHOLESALE_RETAIL: "A", BundleCategory.RESIDENT_SERVICES: "B", BundleCategory.LEASING: "C",
    BundleCategory.FOOD_PROCESSING: "D", BundleCategory.TRANSPORT: "E", CONSULTATION: "Z",
}
#: The service types a window may call and a visitor may choose, with their Chinese names.
SERVICE_TYPE_LABELS: Mapping[str, str] = {
    **{str(value): f"{label}类" for value, label in BundleCategory.choices}, CONSULTATION: "咨询导办",
}

TICKET_TABLE = Table(
    noun="排队号",
    moves={
        TicketState.WAITING: frozenset({TicketState.CALLED, TicketState.NO_SHOW}),
        TicketState.CALLED: frozenset({TicketState.CALLED, TicketState.SERVING, TicketState.NO_SHOW}),
        TicketState.SERVING: frozenset({TicketState.DONE}),
        TicketState.DONE: frozenset(),
        TicketState.NO_SHOW: frozenset(),
    },
    labels={state: str(state.label) for state in TicketState},
)
#: Tickets a day-end closes as missed: nobody answered them that day.
OPEN_AT_DAY_END = (TicketState.WAITING, TicketState.CALLED)
ATTEMPTS = 5


class TicketError(Refusal):
    """A refused queue step, with the field at fault (a move the table forbids is refused on ``state``)."""


def _move(ticket: QueueTicket, target: TicketState, *, by_system: bool = False) -> None:
    try:
        check_transition(TICKET_TABLE, TicketState(ticket.state), target, by_system=by_system)
    except TransitionError as error:
        raise TicketError(error.field, error.message) from error


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def windows_of(user: Any) -> QuerySet[ServiceWindow]:
    """The active windows ``user`` sits at."""
    if not getattr(user, "is_authenticated", False):
        return ServiceWindow.objects.none()
    return ServiceWindow.objects.filter(active=True, clerks=user).select_related("region").order_by("region", "number")


def _clerk_at(window: ServiceWindow, clerk: Any) -> None:
    if not window.active:
        raise TicketError("window", "该窗口已停用")
    if getattr(clerk, "is_superuser", False):
        return
    if not getattr(clerk, "pk", None) or not window.clerks.filter(pk=clerk.pk).exists():
        raise TicketError("window", "您不是该窗口的工作人员")


def _clerk_of_ticket(ticket: QueueTicket, clerk: Any) -> None:
    if ticket.window is None:
        raise TicketError("state", "该号码尚未叫号")
    _clerk_at(ticket.window, clerk)


def _audit(action: str, ticket: QueueTicket, clerk: Any, **detail: Any) -> None:
    audit.record(f"services.queue.{action}", actor=clerk, target=ticket, region=ticket.region, number=ticket.number,
                 **detail)


def take(region: Region, service_type: str, now: datetime | None = None) -> QueueTicket:
    """Take the next number of ``service_type`` today in ``region`` (a public kiosk: no actor, not audited).

    Refused when the type is unknown or no active window of the region calls it.
    """
    if service_type not in PREFIXES:
        raise TicketError("service_type", "请选择业务类别")
    serving = [w for w in ServiceWindow.objects.filter(region=region, active=True) if service_type in w.service_types]
    if not serving:
        raise TicketError("service_type", f"本大厅暂无办理「{SERVICE_TYPE_LABELS[service_type]}」的窗口")
    now = _now(now)
    day = localtime.local_day(now)
    same = QueueTicket.objects.filter(region=region, local_day=day, service_type=service_type)
    for _ in range(ATTEMPTS):  # two kiosks at the same instant race for a sequence: the loser takes the next one
        sequence = (same.aggregate(last=Max("sequence"))["last"] or 0) + 1
        try:
            with transaction.atomic():
                return QueueTicket.objects.create(
                    region=region, local_day=day, service_type=service_type, sequence=sequence,
                    number=f"{PREFIXES[service_type]}{sequence:03d}", taken_at=now)
        except IntegrityError:
            continue
    raise TicketError("service_type", "取号人数较多，请重试")


def ahead_of(ticket: QueueTicket) -> int:
    """How many tickets of the same type wait before ``ticket`` (0 once it is called)."""
    if ticket.state != TicketState.WAITING:
        return 0
    return QueueTicket.objects.filter(
        region_id=ticket.region_id, local_day=ticket.local_day, service_type=ticket.service_type,
        state=TicketState.WAITING, sequence__lt=ticket.sequence).count()


def call_next(window: ServiceWindow, clerk: Any, now: datetime | None = None) -> QueueTicket | None:
    """Call the oldest ticket of today waiting for one of the window's service types; None when nobody waits.

    Refused while the window still has a called or serving ticket (finish it or mark it missed first).
    """
    _clerk_at(window, clerk)
    if QueueTicket.objects.filter(window=window, state__in=(TicketState.CALLED, TicketState.SERVING)).exists():
        raise TicketError("window", "请先办结或过号当前号码，再叫下一号")
    now = _now(now)
    waiting = QueueTicket.objects.filter(region_id=window.region_id, local_day=localtime.local_day(now),
                                         service_type__in=list(window.service_types), state=TicketState.WAITING)
    for _ in range(ATTEMPTS * 4):
        ticket = waiting.order_by("taken_at", "pk").first()
        if ticket is None:
            return None
        _move(ticket, TicketState.CALLED)
        won = QueueTicket.objects.filter(pk=ticket.pk, state=TicketState.WAITING).update(
            state=TicketState.CALLED, called_at=now, window=window, called_by=clerk)
        if won:  # another window called it first: try the next one
            ticket.refresh_from_db()
            _audit("call", ticket, clerk, window=window.number)
            return ticket
    raise TicketError("window", "叫号繁忙，请重试")


@transaction.atomic
def recall(ticket: QueueTicket, clerk: Any) -> QueueTicket:
    """Call a called ticket again (重呼); counted in ``recalls`` so the display announces it again."""
    _clerk_of_ticket(ticket, clerk)
    _move(ticket, TicketState.CALLED)
    if ticket.state != TicketState.CALLED:
        raise TicketError("state", "只能重呼已叫号的号码")
    ticket.recalls += 1
    ticket.save(update_fields=["recalls"])
    _audit("recall", ticket, clerk, recalls=ticket.recalls)
    return ticket


@transaction.atomic
def start(ticket: QueueTicket, clerk: Any) -> QueueTicket:
    """The visitor has come to the window: serving."""
    _clerk_of_ticket(ticket, clerk)
    _move(ticket, TicketState.SERVING)
    ticket.state = TicketState.SERVING
    ticket.save(update_fields=["state"])
    _audit("start", ticket, clerk)
    return ticket


def _check_case(ticket: QueueTicket, case: Case | None) -> None:
    if case is not None and case.region_id != ticket.region_id:
        raise TicketError("case", "办件不属于本大厅所在区划")


@transaction.atomic
def finish(ticket: QueueTicket, clerk: Any, case: Case | None = None, now: datetime | None = None) -> QueueTicket:
    """The visit is over (done), linked to the case filed for it when there is one."""
    _clerk_of_ticket(ticket, clerk)
    _move(ticket, TicketState.DONE)
    _check_case(ticket, case)
    ticket.state = TicketState.DONE
    ticket.finished_at = _now(now)
    if case is not None:
        ticket.case = case
    ticket.save(update_fields=["state", "finished_at", "case"])
    _audit("finish", ticket, clerk, **({"case": case.receipt_number} if case else {}))
    return ticket


@transaction.atomic
def no_show(ticket: QueueTicket, clerk: Any, now: datetime | None = None) -> QueueTicket:
    """The called visitor did not come (过号)."""
    _clerk_of_ticket(ticket, clerk)
    if ticket.state == TicketState.WAITING:
        raise TicketError("state", "只能对已叫号的号码操作过号（未叫的号码当天结束时自动过号）")
    _move(ticket, TicketState.NO_SHOW)
    ticket.state = TicketState.NO_SHOW
    ticket.finished_at = _now(now)
    ticket.save(update_fields=["state", "finished_at"])
    _audit("no_show", ticket, clerk)
    return ticket


@transaction.atomic
def link_case(ticket: QueueTicket, case: Case, clerk: Any) -> QueueTicket:
    """Link a ticket being served or done to the case filed for it (the walk-in intake does this)."""
    if ticket.state not in (TicketState.SERVING, TicketState.DONE):
        raise TicketError("state", "只能关联办理中或已办结的号码")
    _check_case(ticket, case)
    ticket.case = case
    ticket.save(update_fields=["case"])
    _audit("link_case", ticket, clerk, case=case.receipt_number)
    return ticket


def close_past_days(today: date) -> int:
    """Close the tickets of days before ``today`` still waiting or called as missed; return how many."""
    closed = 0
    for state in OPEN_AT_DAY_END:
        check_transition(TICKET_TABLE, state, TicketState.NO_SHOW, by_system=True)
        closed += QueueTicket.objects.filter(local_day__lt=today, state=state).update(state=TicketState.NO_SHOW)
    return closed


@dataclass(frozen=True)
class HallNow:
    """The hall's live figures: tickets waiting now per service type and the longest wait, in minutes."""

    waiting: int
    waiting_by_type: dict[str, int]
    longest_wait_minutes: int | None


def hall_now(region_ids: list[str], now: datetime | None = None) -> HallNow:
    """How many wait now (today) in the regions' halls and how long the oldest of them has waited."""
    now = _now(now)
    rows = list(QueueTicket.objects.filter(region_id__in=region_ids, local_day=localtime.local_day(now),
                                           state=TicketState.WAITING).values_list("service_type", "taken_at"))
    by_type: dict[str, int] = {}
    for service_type, _ in rows:
        by_type[service_type] = by_type.get(service_type, 0) + 1
    oldest = min((taken for _, taken in rows), default=None)
    longest = int((now - oldest).total_seconds() // 60) if oldest else None
    return HallNow(len(rows), by_type, longest)


def halls() -> QuerySet[Region]:
    """The regions with at least one active window."""
    return Region.objects.filter(pk__in=ServiceWindow.objects.filter(active=True).values("region")).order_by("code")


#: How many recent calls the display lists besides each window's last one.
RECENT_CALLS = 8


def display_data(region: Region, now: Any = None) -> dict[str, Any]:
    """What the hall's screen shows: each active window's last call today, the recent calls, how many wait."""
    now = now or timezone.now()
    day = localtime.local_day(now)
    called = (QueueTicket.objects.filter(region=region, local_day=day, called_at__isnull=False)
              .select_related("window").order_by("-called_at", "-pk"))
    last_by_window: dict[int, QueueTicket] = {}
    for ticket in called.filter(window__isnull=False)[:200]:
        last_by_window.setdefault(ticket.window_id or 0, ticket)

    def call(ticket: QueueTicket) -> dict[str, Any]:
        return {"number": ticket.number, "window": ticket.window.number if ticket.window else None,
                "called_at": timezone.localtime(ticket.called_at).strftime("%H:%M") if ticket.called_at else "",
                "recalls": ticket.recalls, "state": ticket.state}

    windows = [{"number": w.number, "name": w.name, "current": call(last_by_window[w.pk])
                if w.pk in last_by_window else None}
               for w in ServiceWindow.objects.filter(region=region, active=True).order_by("number")]
    return {"hall": region.name, "region": region.code, "day": day.isoformat(), "windows": windows,
            "recent": [call(t) for t in called[:RECENT_CALLS]],
            "waiting": QueueTicket.objects.filter(region=region, local_day=day, state=TicketState.WAITING).count()}
