"""运维工单 in the water API (``/api/water/work-orders``): list, read, open, the life-cycle steps, photos.

Reading needs ``water.work_order.read``; opening, dispatching, reviewing, returning and cancelling
``water.work_order.manage``; arriving, completing and photos ``water.work_order.work`` and the service lets only the
assignee act (403 for anyone else). Every lookup goes through ``core.scope.scope_queryset`` (another county's order
is a 404). The steps go through ``water.orders.service.transition`` (a refused move or a missing field is a 400
naming the field); photos through ``water.orders.photos.add_photo`` (idempotent per ``client_id``: 201 when stored,
200 when it already was).
"""

import re
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import Field as PydanticField

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.localtime import today
from changji.core.scope import scope_queryset
from changji.water.models import Meter, Well, WorkOrder
from changji.water.orders import photos, service
from changji.water.orders.states import OPEN_STATES, Kind, State, kind_label, state_label

router = Router(tags=["water"])

READING = Field(None, ge=-1e9, le=1e9)
Latitude = Annotated[float, PydanticField(ge=-90, le=90)]
Longitude = Annotated[float, PydanticField(ge=-180, le=180)]


class WorkOrderOut(Schema):
    """A work order (运维工单) with its steps' times and results."""

    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    well: str = Field(..., description="Well.code")
    well_name: str
    region: str
    alarm: UUID | None
    meter: str | None = Field(None, description="Meter.serial")
    assignee: str | None = Field(None, description="the assignee's username")
    due_on: date
    overdue: bool
    description: str
    result: str
    created_at: datetime
    assigned_at: datetime | None
    on_site_at: datetime | None
    done_at: datetime | None
    reviewed_at: datetime | None
    flow_before_m3: float | None
    flow_after_m3: float | None
    energy_before_kwh: float | None
    energy_after_kwh: float | None
    certificate_number: str
    error_pct: float | None
    measured_m3: float | None
    measured_kwh: float | None
    photos: int

    @staticmethod
    def resolve_kind_label(obj: WorkOrder) -> str:
        return kind_label(obj.kind)

    @staticmethod
    def resolve_state_label(obj: WorkOrder) -> str:
        return state_label(obj.state)

    @staticmethod
    def resolve_well(obj: WorkOrder) -> str:
        return obj.well.code

    @staticmethod
    def resolve_well_name(obj: WorkOrder) -> str:
        return obj.well.name

    @staticmethod
    def resolve_region(obj: WorkOrder) -> str:
        return str(obj.well.region_id)

    @staticmethod
    def resolve_alarm(obj: WorkOrder) -> UUID | None:
        return obj.alarm_id

    @staticmethod
    def resolve_meter(obj: WorkOrder) -> str | None:
        return obj.meter.serial if obj.meter else None

    @staticmethod
    def resolve_assignee(obj: WorkOrder) -> str | None:
        return obj.assignee.get_username() if obj.assignee else None

    @staticmethod
    def resolve_overdue(obj: WorkOrder) -> bool:
        return obj.state in OPEN_STATES and obj.due_on < today()

    @staticmethod
    def resolve_photos(obj: WorkOrder) -> int:
        return obj.photos.count()


class WorkOrderIn(Schema):
    """An order to open (待派单): repair, installation or calibration; optionally dispatched at once."""

    kind: Text
    well: Text = Field(..., description="Well.code")
    meter: Text | None = Field(None, description="Meter.serial of an installed meter of the well (calibration)")
    due_on: date
    description: Text = Field("", max_length=2000)
    assignee_id: Id | None = None


class AssignIn(Schema):
    assignee_id: Id | None = Field(None, description="required; the worker to send")
    due_on: date | None = None
    note: Text = Field("", max_length=500)


class OnSiteIn(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    note: Text = Field("", max_length=500)


class DoneIn(Schema):
    """Completion: the result, registers before/after (m³, kWh), calibration certificate and error, 率定."""

    result: Text = Field(..., max_length=2000)
    flow_before_m3: float | None = READING
    flow_after_m3: float | None = READING
    energy_before_kwh: float | None = READING
    energy_after_kwh: float | None = READING
    certificate_number: Text = Field("", max_length=64)
    error_pct: float | None = Field(None, ge=-100, le=100)
    measured_m3: float | None = Field(None, ge=0, le=1e9)
    measured_kwh: float | None = Field(None, ge=0, le=1e9)


class NoteIn(Schema):
    note: Text = Field("", max_length=500)


class ReturnIn(Schema):
    to: Text = Field(..., description="on_site | assigned")
    reason: Text = Field(..., max_length=1000)


class ReasonIn(Schema):
    reason: Text = Field(..., max_length=1000)


class PhotoOut(Schema):
    id: UUID
    client_id: UUID
    created: bool
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    position_source: str


def _orders(request: HttpRequest) -> QuerySet[WorkOrder]:
    return scope_queryset(WorkOrder.objects.select_related("well", "meter", "assignee"), request.user)


def _order(request: HttpRequest, order_id: int) -> WorkOrder:
    return get_object_or_404(_orders(request), pk=order_id)


def _worker(request: HttpRequest, user_id: int) -> Any:
    worker = scope_queryset(get_user_model().objects.filter(pk=user_id, is_active=True), request.user).first()
    if worker is None:
        raise ValidationError({"assignee_id": "负责人不存在或不在本辖区"})
    return worker


@router.get("/work-orders", response=list[WorkOrderOut])
@paginate(Pagination)
@operation(P.WATER_WORK_ORDER_READ)
def list_work_orders(request: HttpRequest, assignee: Text | None = None, kind: Text | None = None,
                     state: Text | None = None, overdue: bool = False) -> QuerySet[WorkOrder]:
    """Orders within the user's region, by due day.

    ``assignee`` is ``me`` or a user id; ``state`` a state or ``open`` (待派单, 已派单, 已到场); ``overdue`` keeps the
    open orders past their due day.
    """
    orders = _orders(request)
    if assignee:
        if assignee != "me" and not re.fullmatch(r"[0-9]{1,18}", assignee, re.ASCII):
            raise ValidationError({"assignee": "取值应为 me 或用户编号"})
        orders = orders.filter(assignee_id=request.user.pk if assignee == "me" else int(assignee))
    if kind:
        if kind not in {k.value for k in Kind}:
            raise ValidationError({"kind": f"取值应为 {', '.join(k.value for k in Kind)} 之一"})
        orders = orders.filter(kind=kind)
    if state == "open":
        orders = orders.filter(state__in=OPEN_STATES)
    elif state:
        if state not in {s.value for s in State}:
            raise ValidationError({"state": f"取值应为 open, {', '.join(s.value for s in State)} 之一"})
        orders = orders.filter(state=state)
    if overdue:
        orders = orders.filter(state__in=OPEN_STATES, due_on__lt=today())
    return orders.order_by("due_on", "pk")


@router.get("/work-orders/{order_id}", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_READ)
def get_work_order(request: HttpRequest, order_id: Id) -> WorkOrder:
    """One order."""
    return _order(request, order_id)


@router.post("/work-orders", response={201: WorkOrderOut})
@operation(P.WATER_WORK_ORDER_MANAGE)
def create_work_order(request: HttpRequest, body: WorkOrderIn) -> Status:
    """Open an order on a well of the user's region (待派单; 已派单 when ``assignee_id`` is given); audited."""
    well = scope_queryset(Well.objects.select_related("region"), request.user).filter(code=body.well).first()
    if well is None:
        raise ValidationError({"well": "机井不存在或不在本辖区"})
    if body.kind not in {"repair", "installation", "calibration"}:
        raise ValidationError({"kind": "取值应为 repair, installation, calibration 之一"})
    meter = None
    if body.meter:
        meter = Meter.objects.filter(well=well, serial=body.meter, removed_at__isnull=True).first()
        if meter is None:
            raise ValidationError({"meter": "该机井没有这块在用的计量表"})
    order = service.create(well=well, kind=body.kind, by=request.user, due_on=body.due_on,
                           description=body.description, meter=meter,
                           assignee=_worker(request, body.assignee_id) if body.assignee_id else None)
    return Status(201, _order(request, order.pk))


@router.post("/work-orders/{order_id}/assign", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_MANAGE)
def assign_work_order(request: HttpRequest, order_id: Id, body: AssignIn) -> WorkOrder:
    """Dispatch (派单) or re-dispatch (改派) to a maintenance worker of the well's county."""
    order = _order(request, order_id)
    if body.assignee_id is None:
        raise ValidationError({"assignee_id": "请指定负责人"})
    service.transition(order, State.ASSIGNED, request.user, assignee=_worker(request, body.assignee_id),
                       due_on=body.due_on, note=body.note)
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/on-site", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_WORK)
def on_site(request: HttpRequest, order_id: Id, body: OnSiteIn) -> WorkOrder:
    """The assignee arrives (到场), with the phone's position when it has one."""
    service.transition(_order(request, order_id), State.ON_SITE, request.user, **body.dict())
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/done", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_WORK)
def done(request: HttpRequest, order_id: Id, body: DoneIn) -> WorkOrder:
    """The assignee completes (完成) with the result and the fields the kind needs."""
    service.transition(_order(request, order_id), State.DONE, request.user, **body.dict())
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/review", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_MANAGE)
def review(request: HttpRequest, order_id: Id, body: NoteIn) -> WorkOrder:
    """Accept a completed order (审核); a calibration is recorded on the meter, a 率定 as the well's coefficient."""
    service.transition(_order(request, order_id), State.REVIEWED, request.user, note=body.note)
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/return", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_MANAGE)
def send_back(request: HttpRequest, order_id: Id, body: ReturnIn) -> WorkOrder:
    """Send a completed order back (退回) to ``on_site`` or ``assigned`` with the reason."""
    order = _order(request, order_id)
    if body.to not in {State.ON_SITE.value, State.ASSIGNED.value}:
        raise ValidationError({"to": "取值应为 on_site 或 assigned"})
    service.transition(order, body.to, request.user, reason=body.reason)
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/cancel", response=WorkOrderOut)
@operation(P.WATER_WORK_ORDER_MANAGE)
def cancel(request: HttpRequest, order_id: Id, body: ReasonIn) -> WorkOrder:
    """Cancel an open order (撤销) with the reason."""
    service.transition(_order(request, order_id), State.CANCELLED, request.user, reason=body.reason)
    return _order(request, order_id)


@router.post("/work-orders/{order_id}/photos", response={200: PhotoOut, 201: PhotoOut})
@operation(P.WATER_WORK_ORDER_WORK)
def upload_photo(request: HttpRequest, order_id: Id, client_id: Form[UUID | None] = None,
                 photo: File[UploadedFile | None] = None, taken_at: Form[datetime | None] = None,
                 latitude: Form[Latitude | None] = None, longitude: Form[Longitude | None] = None) -> Status:
    """Upload one photo under the phone's ``client_id`` (accepted once); EXIF time and GPS win over the form's."""
    order = _order(request, order_id)
    if client_id is None or photo is None:
        raise ValidationError({"client_id" if client_id is None else "photo": "请提供照片及其客户端编号（UUID）"})
    photos.check_photo_size(photo.size)
    stored, created = photos.add_photo(order, request.user, client_id=client_id, data=photo.read(),
                                       name=photo.name or "photo.jpg", taken_at=taken_at, latitude=latitude,
                                       longitude=longitude)
    return Status(201 if created else 200, {
        "id": stored.pk, "client_id": stored.client_id, "created": created, "taken_at": stored.taken_at,
        "latitude": stored.latitude, "longitude": stored.longitude, "position_source": stored.position_source})
