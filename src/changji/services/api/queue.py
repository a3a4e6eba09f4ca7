"""The hall's JSON API (``/api/services/queue/…``, ``/api/services/consultations``): numbers, calls, figures.

Taking a number and the called-number display are public like their pages (no personal data: numbers and
windows only); calling needs ``services.queue.call`` at one of the clerk's windows; consultations
``services.consultation.record``; the waiting figures ``services.statistics.read``. Queries go through
``core.scope.scope_queryset``; refusals are 400 with the field at fault (``changji.api``).
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import PUBLIC, operation
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset
from changji.services import consultations, queue, queue_statistics
from changji.services.consultations import ConsultationError, ConsultationIn, mask_phone
from changji.services.models import Consultation, QueueTicket, ServiceWindow

router = Router()  # its operations take the services router's tag


class TicketIn(Schema):
    region: Text
    service_type: Text


class TicketOut(Schema):
    """A queue number: no personal data."""

    id: int
    number: str
    service_type: str
    state: str
    local_day: date
    taken_at: datetime
    called_at: datetime | None
    window: int | None
    ahead: int


class CallOut(Schema):
    """What calling the next number gave: the ticket, or none when nobody waits."""

    ticket: TicketOut | None


class CallOutWindow(Schema):
    number: str
    window: int | None
    called_at: str
    recalls: int
    state: str


class DisplayWindowOut(Schema):
    number: int
    name: str
    current: CallOutWindow | None


class DisplayOut(Schema):
    hall: str
    region: str
    day: date
    windows: list[DisplayWindowOut]
    recent: list[CallOutWindow]
    waiting: int


class ConsultationBody(Schema):
    topic: Text
    question: Text
    guidance: Text
    bundle_code: Text = ""
    visitor_name: Text = ""
    visitor_phone: Text = ""
    ticket: Id | None = None


class ConsultationOut(Schema):
    """A consultation; the visitor's phone masked."""

    id: int
    at: datetime
    region: str
    topic: str
    bundle_code: str
    visitor_name: str
    visitor_phone: str
    question: str
    guidance: str
    clerk: str | None
    ticket: str | None
    case: str | None

    @staticmethod
    def resolve_region(obj: Consultation) -> str:
        return obj.region_id

    @staticmethod
    def resolve_visitor_phone(obj: Consultation) -> str:
        return mask_phone(obj.visitor_phone)

    @staticmethod
    def resolve_clerk(obj: Consultation) -> str | None:
        return obj.clerk.get_username() if obj.clerk else None

    @staticmethod
    def resolve_ticket(obj: Consultation) -> str | None:
        return obj.ticket.number if obj.ticket else None

    @staticmethod
    def resolve_case(obj: Consultation) -> str | None:
        return obj.case.receipt_number if obj.case else None


class QueueRowOut(Schema):
    key: str
    label: str
    tickets: int
    served: int
    no_shows: int
    wait_avg_minutes: float | None
    wait_p90_minutes: float | None
    service_avg_minutes: float | None
    service_p90_minutes: float | None


class QueueStatisticsOut(Schema):
    first: date
    last: date
    total: QueueRowOut
    by_type: list[QueueRowOut]
    by_window: list[QueueRowOut]


def _ticket_out(ticket: QueueTicket) -> dict[str, Any]:
    return {"id": ticket.pk, "number": ticket.number, "service_type": ticket.service_type, "state": ticket.state,
            "local_day": ticket.local_day, "taken_at": ticket.taken_at, "called_at": ticket.called_at,
            "window": ticket.window.number if ticket.window else None, "ahead": queue.ahead_of(ticket)}


def _hall(code: str) -> Any:
    region = queue.halls().filter(pk=code.strip()).first()
    if region is None:
        raise ValidationError({"region": "该区划没有服务大厅"})
    return region


@router.post("/queue/tickets", response={201: TicketOut}, auth=None)
@operation(PUBLIC)
def take_ticket(request: HttpRequest, body: TicketIn) -> Status:
    """Take a number of a service type in a hall (a region with active windows), as the kiosk does."""
    ticket = queue.take(_hall(body.region), body.service_type)
    return Status(201, _ticket_out(ticket))


@router.get("/queue/display", response=DisplayOut, auth=None)
@operation(PUBLIC)
def display(request: HttpRequest, region: Text) -> dict[str, Any]:
    """The hall's called-number screen: each window's last call today, the recent calls, how many wait."""
    return queue.display_data(_hall(region))


@router.post("/queue/windows/{window_id}/call-next", response=CallOut)
@operation(P.SERVICES_QUEUE_CALL)
def call_next(request: HttpRequest, window_id: Id) -> dict[str, Any]:
    """Call the oldest waiting number of the window's service types (the caller must sit at the window)."""
    window = get_object_or_404(scope_queryset(ServiceWindow.objects.all(), request.user), pk=window_id)
    ticket = queue.call_next(window, request.user)
    return {"ticket": _ticket_out(ticket) if ticket else None}


@router.get("/consultations", response=list[ConsultationOut])
@paginate(Pagination)
@operation(P.SERVICES_CONSULTATION_RECORD)
def list_consultations(request: HttpRequest, first: date | None = None, last: date | None = None,
                       topic: Text = "") -> QuerySet[Consultation]:
    """The 咨询导办 log of the user's region, newest first, by local days and topic; phones masked."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError({name: f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})
    found: QuerySet[Consultation] = scope_queryset(
        Consultation.objects.select_related("clerk", "ticket", "case"), request.user)
    found = consultations.filtered(found, first=first, last=last, topic=topic.strip())
    return found.order_by("-at", "-pk")


@router.post("/consultations", response={201: ConsultationOut})
@operation(P.SERVICES_CONSULTATION_RECORD)
def record_consultation(request: HttpRequest, body: ConsultationBody) -> Status:
    """Record a consultation in the hall of the user's window (else of the ticket, else of the user's region)."""
    user = request.user
    window = queue.windows_of(user).first()
    ticket = None
    if body.ticket is not None:
        ticket = scope_queryset(QueueTicket.objects.all(), user).filter(pk=body.ticket).first()
        if ticket is None:
            raise Http404("未找到该排队号")
    region = ticket.region if ticket else window.region if window else getattr(user, "region", None)
    if region is None:
        raise ConsultationError("region", "账号未绑定区划，不能登记咨询")
    if window is not None and window.region_id != region.pk:
        window = None
    consultation = consultations.record(region, user, ConsultationIn(
        topic=body.topic, question=body.question, guidance=body.guidance, bundle_code=body.bundle_code,
        visitor_name=body.visitor_name, visitor_phone=body.visitor_phone), window=window, ticket=ticket)
    return Status(201, consultation)


@router.get("/queue/statistics", response=QueueStatisticsOut)
@operation(P.SERVICES_STATISTICS_READ)
def statistics(request: HttpRequest, first: date | None = None, last: date | None = None) -> dict[str, Any]:
    """Waiting figures per service type and window over local days first..last (default: the last 30 days)."""
    today = timezone.localdate()
    first, last = first or today - timedelta(days=29), last or today
    for name, value in (("first", first), ("last", last)):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError({name: f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})
    if last < first:
        raise ValidationError({"last": "last 不能早于 first"})
    if (last - first).days > 366:
        raise ValidationError({"first": "查询区间不能超过一年"})
    figures = queue_statistics.queue_figures(scope_queryset(QueueTicket.objects.all(), request.user), first, last)
    return {"first": figures.first, "last": figures.last, "total": figures.total.as_dict(),
            "by_type": [row.as_dict() for row in figures.by_type],
            "by_window": [row.as_dict() for row in figures.by_window]}
