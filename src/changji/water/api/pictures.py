"""现场图片 in the water API: ``/api/water/pictures`` (list, read, flag, review, attach) and ``/picture-policies``.

Reading pictures needs ``water.evidence.read``; flagging, reviewing, attaching and the policies need
``water.picture.review`` (``core.guards.operation``). Every lookup goes through ``core.scope.scope_queryset``: a
picture outside the user's region is a 404; an alarm or work order named in a body must be of the picture's own
well (400 on its field). Changes go through ``water.pictures.service`` (validated and audited).
"""


from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.localtime import day_bounds
from changji.core.models import Region
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset, user_can_access_region
from changji.water.models import Alarm, PicturePolicy, PictureTrigger, Snapshot, Well, WorkOrder
from changji.water.pictures import service

router = Router(tags=["water"])


class PictureOut(Schema):
    """A picture of a well (现场图片), with why it was taken and its review."""

    id: int
    well: str | None = Field(..., description="Well.code of the picture's well")
    terminal: str = Field(..., description="the terminal's address")
    observed_at: datetime
    received_at: datetime
    size_bytes: int
    sha256: str
    trigger: str = Field(..., description="scheduled | alarm | manual | terminal")
    trigger_label: str
    flagged: bool
    flag_reason: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    alarm_id: UUID | None
    work_order_id: int | None
    image_url: str = Field(..., description="the JPEG, served to users who may read evidence of the well")

    @staticmethod
    def resolve_well(obj: Snapshot) -> str | None:
        well = obj.terminal.well
        return well.code if well is not None else None

    @staticmethod
    def resolve_terminal(obj: Snapshot) -> str:
        return obj.terminal.address

    @staticmethod
    def resolve_trigger_label(obj: Snapshot) -> str:
        return str(obj.get_trigger_display())

    @staticmethod
    def resolve_reviewed_by(obj: Snapshot) -> str | None:
        return obj.reviewed_by.get_username() if obj.reviewed_by_id and obj.reviewed_by else None

    @staticmethod
    def resolve_image_url(obj: Snapshot) -> str:
        return reverse("water:picture_image", args=[obj.pk])


class FlagIn(Schema):
    """Why the picture is flagged, e.g. 表计遮挡, 管路改动, 无人值守异常."""

    reason: Text = Field(..., max_length=service.MAX_REASON)


class UnflagIn(Schema):
    reason: Text = Field("", max_length=service.MAX_REASON)


class AttachIn(Schema):
    """The alarm and/or work order of the picture's own well it is evidence of; ``detach_*`` clears one."""

    alarm_id: UUID | None = None
    work_order_id: Id | None = None
    detach_alarm: bool = False
    detach_work_order: bool = False


class PolicyOut(Schema):
    """A region's picture policy (定时抓拍策略)."""

    region: str
    region_name: str
    enabled: bool
    times: list[str] = Field(..., description='daily times, Asia/Shanghai, "HH:MM"')
    alarm_kinds: list[str]
    last_slot_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_region(obj: PicturePolicy) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: PicturePolicy) -> str:
        return obj.region.name


class PolicyIn(Schema):
    """A region's picture policy to create or replace."""

    enabled: bool = True
    times: list[Text] = Field(default_factory=list, max_length=20)
    alarm_kinds: list[Text] = Field(default_factory=list, max_length=50)


def _pictures(request: HttpRequest) -> QuerySet[Snapshot]:
    return scope_queryset(Snapshot.objects.select_related("terminal__well", "reviewed_by"), request.user)


def _picture(request: HttpRequest, picture_id: int) -> Snapshot:
    return get_object_or_404(_pictures(request), pk=picture_id)


def _yes_no(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value not in ("true", "false", "1", "0"):
        raise ValidationError({name: "取值应为 true 或 false"})
    return value in ("true", "1")


@router.get("/pictures", response=list[PictureOut])
@paginate(Pagination)
@operation(P.WATER_EVIDENCE_READ)
def list_pictures(request: HttpRequest, region: Text | None = None, well: Text | None = None,
                  flagged: Text | None = None, reviewed: Text | None = None, day: date | None = None,
                  trigger: Text | None = None, latest: bool = False) -> QuerySet[Snapshot]:
    """Pictures in the user's region, flagged first, newest first.

    ``region`` is a region code prefix, ``well`` a Well.code; ``flagged``/``reviewed`` true or false; ``day`` a
    local day; ``latest=true`` keeps the latest picture of each well (the review page's list).
    """
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError({"day": f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})
    if trigger and trigger not in PictureTrigger.values:
        raise ValidationError({"trigger": f"取值应为 {', '.join(PictureTrigger.values)} 之一"})
    pictures = service.filter_pictures(
        _pictures(request), flagged=_yes_no("flagged", flagged), reviewed=_yes_no("reviewed", reviewed),
        day_bounds=day_bounds(day) if day else None, trigger=trigger or "")
    wells = scope_queryset(Well.objects.all(), request.user)
    if region:
        wells = wells.filter(region__code__startswith=region)
        pictures = pictures.filter(terminal__region__code__startswith=region)
    if well:
        wells = wells.filter(code=well)
        pictures = pictures.filter(terminal__well__code=well)
    if latest:
        return service.latest_per_well(pictures, wells)
    return pictures.order_by("-flagged", "-observed_at", "-pk")


@router.get("/pictures/{picture_id}", response=PictureOut)
@operation(P.WATER_EVIDENCE_READ)
def get_picture(request: HttpRequest, picture_id: Id) -> Snapshot:
    """One picture."""
    return _picture(request, picture_id)


@router.post("/pictures/{picture_id}/flag", response=PictureOut)
@operation(P.WATER_PICTURE_REVIEW)
def flag_picture(request: HttpRequest, picture_id: Id, body: FlagIn) -> Snapshot:
    """Flag the picture with a reason. Audited."""
    return service.flag(_picture(request, picture_id), body.reason, request.user)


@router.post("/pictures/{picture_id}/unflag", response=PictureOut)
@operation(P.WATER_PICTURE_REVIEW)
def unflag_picture(request: HttpRequest, picture_id: Id, body: UnflagIn) -> Snapshot:
    """Clear the picture's flag. Audited."""
    return service.unflag(_picture(request, picture_id), body.reason, request.user)


@router.post("/pictures/{picture_id}/review", response=PictureOut)
@operation(P.WATER_PICTURE_REVIEW)
def review_picture(request: HttpRequest, picture_id: Id) -> Snapshot:
    """Mark the picture reviewed by the caller. Audited."""
    return service.mark_reviewed(_picture(request, picture_id), request.user)


@router.post("/pictures/{picture_id}/attach", response=PictureOut)
@operation(P.WATER_PICTURE_REVIEW)
def attach_picture(request: HttpRequest, picture_id: Id, body: AttachIn) -> Snapshot:
    """Make the picture evidence of an alarm and/or a work order of its well (or detach it). Audited."""
    picture = _picture(request, picture_id)
    if body.alarm_id is None and body.work_order_id is None and not (body.detach_alarm or body.detach_work_order):
        raise ValidationError({"alarm_id": "请指定要关联的告警或工单"})
    if body.alarm_id is not None or body.detach_alarm:
        alarm = None
        if body.alarm_id is not None:
            alarm = scope_queryset(Alarm.objects.filter(pk=body.alarm_id), request.user).first()
            if alarm is None:
                raise ValidationError({"alarm_id": "告警不存在或不在本辖区"})
        picture = service.attach_alarm(picture, alarm, request.user)
    if body.work_order_id is not None or body.detach_work_order:
        order = None
        if body.work_order_id is not None:
            order = scope_queryset(WorkOrder.objects.filter(pk=body.work_order_id), request.user).first()
            if order is None:
                raise ValidationError({"work_order_id": "工单不存在或不在本辖区"})
        picture = service.attach_work_order(picture, order, request.user)
    return _picture(request, picture.pk)


# --- policies ---------------------------------------------------------------------------------------


def _policy_region(request: HttpRequest, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not user_can_access_region(request.user, region):
        raise Http404("区划不存在")
    return region


@router.get("/picture-policies", response=list[PolicyOut])
@operation(P.WATER_EVIDENCE_READ)
def list_policies(request: HttpRequest) -> QuerySet[PicturePolicy]:
    """The picture policies of the regions within the user's scope."""
    return scope_queryset(PicturePolicy.objects.select_related("region"), request.user).order_by("region_id")


@router.get("/picture-policies/{region_code}", response=PolicyOut)
@operation(P.WATER_EVIDENCE_READ)
def get_policy(request: HttpRequest, region_code: Text) -> PicturePolicy:
    """The policy of one region (its own; 404 when it has none)."""
    region = _policy_region(request, region_code)
    return get_object_or_404(PicturePolicy.objects.select_related("region"), region=region)


@router.put("/picture-policies/{region_code}", response={200: PolicyOut, 201: PolicyOut})
@operation(P.WATER_PICTURE_REVIEW)
def put_policy(request: HttpRequest, region_code: Text, body: PolicyIn) -> Any:
    """Create or replace the picture policy of the prefecture or a county. Audited."""
    region = _policy_region(request, region_code)
    existed = PicturePolicy.objects.filter(region=region).exists()
    policy = service.save_policy(region, body.enabled, body.times, body.alarm_kinds, request.user)
    return Status(200 if existed else 201, policy)


@router.delete("/picture-policies/{region_code}", response={204: None})
@operation(P.WATER_PICTURE_REVIEW)
def delete_policy(request: HttpRequest, region_code: Text) -> Status:
    """Delete a region's own policy (the region above's applies again). Audited."""
    region = _policy_region(request, region_code)
    policy = get_object_or_404(PicturePolicy.objects.select_related("region"), region=region)
    service.delete_policy(policy, request.user)
    return Status(204, None)
