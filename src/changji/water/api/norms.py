"""The 用水定额 and 种植计划 operations of the water API (``/api/water/quota-norms``, ``/api/water/crop-plans``).

Reading needs ``P.WATER_ALLOCATION_READ``, changing ``P.WATER_ALLOCATION_EDIT``. The norm rows a user sees are
the prefecture-wide rows and their region's county rows (``water.norms.service.visible_norms``); crop plans and
water users go through ``core.scope``. Changes go through ``water.norms.service``, whose refusals are 400s.
"""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.errors import Refusal
from changji.core.guards import operation
from changji.core.models import Region
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset
from changji.water.models import CropPlan, QuotaNorm, WaterUser
from changji.water.norms import service

router = Router(tags=["water"])

Kind = Literal["crop", "industry", "domestic"]
Method = Literal["drip", "sprinkler", "pipe", "surface"]


class QuotaNormOut(Schema):
    """One line of the 用水定额 table; ``zone`` is a county code, null for the prefecture-wide row."""

    id: int
    year: int
    kind: str
    category: str
    zone: str | None
    method: str
    value: float
    unit: str
    source: str
    note: str

    @staticmethod
    def resolve_zone(obj: QuotaNorm) -> str | None:
        return obj.region_id


class QuotaNormIn(Schema):
    """A new norm line (``zone``: a county code, or null for the prefecture-wide row)."""

    year: int
    kind: Kind
    category: Text
    zone: Text | None = None
    method: Literal["drip", "sprinkler", "pipe", "surface", ""] = ""
    value: float
    unit: Text
    source: Text = ""
    note: Text = ""


class QuotaNormPatch(Schema):
    """The fields of a norm line to change; absent fields keep their value."""

    year: int | None = None
    kind: Kind | None = None
    category: Text | None = None
    zone: Text | None = None
    method: Literal["drip", "sprinkler", "pipe", "surface", ""] | None = None
    value: float | None = None
    unit: Text | None = None
    source: Text | None = None
    note: Text | None = None


class CropPlanOut(Schema):
    """One crop plan line of a water user (area in 亩)."""

    id: int
    water_user_id: int
    year: int
    crop: str
    area_mu: float
    method: str
    zone_id: str | None


class CropPlanIn(Schema):
    """A new crop plan line."""

    water_user_id: Id
    year: int
    crop: Text
    area_mu: float
    method: Method
    zone: Text | None = None


def _zone(code: str | None) -> Region | None:
    if code is None or code == "":
        return None
    region = Region.objects.filter(pk=code).first()
    if region is None:
        raise Refusal("zone", f"未知区划 {code[:20]}")
    return region


def _year(value: int | None) -> None:
    if value is not None and not FIRST_YEAR <= value <= LAST_YEAR:
        raise Refusal("year", f"年度应为 {FIRST_YEAR}–{LAST_YEAR} 之间的年份")


@router.get("/quota-norms", response=list[QuotaNormOut])
@paginate(Pagination)
@operation(P.WATER_ALLOCATION_READ)
def list_norms(request: HttpRequest, year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR),
               kind: Kind | None = None, zone: Text | None = None,
               method: Method | None = None) -> QuerySet[QuotaNorm]:
    """The norm lines the user sees; ``zone`` is a county code or ``prefecture`` for the prefecture-wide rows."""
    rows = service.visible_norms(request.user)
    if year is not None:
        rows = rows.filter(year=year)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if zone == "prefecture":
        rows = rows.filter(region__isnull=True)
    elif zone:
        rows = rows.filter(region_id=zone)
    if method is not None:
        rows = rows.filter(method=method)
    return rows.order_by("-year", "kind", "category", "method", "pk")


@router.post("/quota-norms", response={201: QuotaNormOut})
@operation(P.WATER_ALLOCATION_EDIT)
def create_norm(request: HttpRequest, body: QuotaNormIn) -> Status:
    """Add a norm line. Audited ``water.norm.create``."""
    _year(body.year)
    values: dict[str, Any] = body.dict()
    values["region"] = _zone(values.pop("zone"))
    return Status(201, service.save_norm(values, by=request.user))


@router.patch("/quota-norms/{norm_id}", response=QuotaNormOut)
@operation(P.WATER_ALLOCATION_EDIT)
def update_norm(request: HttpRequest, norm_id: Id, body: QuotaNormPatch) -> QuotaNorm:
    """Change a norm line. Audited ``water.norm.update``."""
    norm = get_object_or_404(service.visible_norms(request.user), pk=norm_id)
    _year(body.year)
    values = body.dict(exclude_unset=True)
    if "zone" in values:
        values["region"] = _zone(values.pop("zone"))
    values = {k: v for k, v in values.items() if v is not None or k == "region"}
    return service.save_norm(values, by=request.user, norm=norm)


@router.delete("/quota-norms/{norm_id}", response={204: None})
@operation(P.WATER_ALLOCATION_EDIT)
def delete_norm(request: HttpRequest, norm_id: Id) -> Status:
    """Delete a norm line. Audited ``water.norm.delete``."""
    service.delete_norm(get_object_or_404(service.visible_norms(request.user), pk=norm_id), by=request.user)
    return Status(204, None)


@router.get("/crop-plans", response=list[CropPlanOut])
@paginate(Pagination)
@operation(P.WATER_ALLOCATION_READ)
def list_crop_plans(request: HttpRequest, water_user_id: Id | None = None,
                    year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR)) -> QuerySet[CropPlan]:
    """Crop plan lines within the user's region, of one water user and/or year."""
    plans = scope_queryset(CropPlan.objects.all(), request.user)
    if water_user_id is not None:
        plans = plans.filter(water_user_id=water_user_id)
    if year is not None:
        plans = plans.filter(year=year)
    return plans.order_by("water_user_id", "-year", "crop", "method", "pk")


@router.post("/crop-plans", response={201: CropPlanOut})
@operation(P.WATER_ALLOCATION_EDIT)
def create_crop_plan(request: HttpRequest, body: CropPlanIn) -> Status:
    """Add a crop plan line to a water user. Audited ``water.crop_plan.create``."""
    _year(body.year)
    user = get_object_or_404(scope_queryset(WaterUser.objects.select_related("region"), request.user),
                             pk=body.water_user_id)
    values = {"year": body.year, "crop": body.crop, "area_mu": body.area_mu, "method": body.method,
              "zone": _zone(body.zone)}
    return Status(201, service.save_crop_plan(user, values, by=request.user))
