"""API of the annual plans (年度取水计划) and county 总量 targets: ``/api/water/plans…``, ``/api/water/county-targets``.

Reading needs ``water.allocation.read``, writing ``water.allocation.edit``; everything is limited to the
user's region (a licence or region outside it is a 404). A POST is an upsert by (licence, year) or
(region, year) through ``water.plans.service``, which checks, audits and derives the allocations; a
refusal is a 400 naming the field. The answer of a plan's POST carries the county's 总量 balance and its
warning when the plans exceed the target (a warning, not a refusal).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.models import Region, RegionLevel
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.regions import root_region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.water.models import AnnualPlan, CountyWaterTarget, Licence
from changji.water.plans.service import county_balance, county_balances, save_county_target, save_plan

router = Router(tags=["water-plans"])

MAX_M3 = 1e12


class PlanOut(Schema):
    id: int
    licence_id: int
    licence_number: str = Field(..., alias="licence.number")
    water_user_id: int = Field(..., alias="licence.water_user_id")
    region: str = Field(..., alias="region_id")
    year: int
    volume_m3: float
    monthly_m3: list[float]
    note: str


class PlanIn(Schema):
    licence_id: Id
    year: int = Field(..., ge=FIRST_YEAR, le=LAST_YEAR)
    volume_m3: float = Field(..., ge=0, le=MAX_M3, allow_inf_nan=False)
    monthly_m3: list[float] | None = Field(None, min_length=12, max_length=12,
                                           description="12 个月的计划水量，省略则按用途默认分配")
    note: Text = Field("", max_length=255)


class BalanceOut(Schema):
    region: str
    name: str
    year: int
    target_m3: float | None
    groundwater_target_m3: float | None
    planned_m3: float
    planned_groundwater_m3: float
    plans: int
    share: float | None
    over: bool
    warning: str | None


class PlanSaved(Schema):
    plan: PlanOut
    balance: BalanceOut


class TargetOut(Schema):
    region: str = Field(..., alias="region_id")
    year: int
    target_m3: float
    groundwater_target_m3: float | None
    note: str


class TargetIn(Schema):
    region: Text = Field(..., pattern=r"^[0-9]{6}$")
    year: int = Field(..., ge=FIRST_YEAR, le=LAST_YEAR)
    target_m3: float = Field(..., ge=0, le=MAX_M3, allow_inf_nan=False)
    groundwater_target_m3: float | None = Field(None, ge=0, le=MAX_M3, allow_inf_nan=False)
    note: Text = Field("", max_length=255)


def _user_region(request: HttpRequest) -> Region:
    region = getattr(request.user, "region", None)
    if region is None and getattr(request.user, "is_superuser", False):
        return root_region()
    if region is None:
        raise Http404("区划不存在")
    return region


def _region(request: HttpRequest, code: str | None) -> Region:
    """The region ``code`` (default: the user's) when it lies within the user's scope, else 404."""
    region = _user_region(request) if not code else Region.objects.filter(code=code).first()
    if region is None or not user_can_access_region(request.user, region):
        raise Http404("区划不存在")
    return region


@router.get("/plans", response=list[PlanOut])
@paginate(Pagination)
@operation(P.WATER_ALLOCATION_READ)
def list_plans(request: HttpRequest, year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR),
               region: Text | None = None,
               licence: Id | None = None) -> QuerySet[AnnualPlan]:
    """Annual plans within the user's region; filters: ``year``, ``region`` (a code within scope), ``licence`` (id)."""
    plans = scope_queryset(AnnualPlan.objects.select_related("licence"), request.user)
    if year is not None:
        plans = plans.filter(year=year)
    if region:
        plans = plans.filter(region__path__startswith=_region(request, region).path)
    if licence is not None:
        plans = plans.filter(licence_id=licence)
    return plans.order_by("-year", "licence__number")


@router.post("/plans", response=PlanSaved)
@operation(P.WATER_ALLOCATION_EDIT)
def upsert_plan(request: HttpRequest, body: PlanIn) -> dict[str, Any]:
    """Create or update the plan of a licence for a year; the answer carries the county's 总量 balance."""
    licence = get_object_or_404(scope_queryset(Licence.objects.all(), request.user), pk=body.licence_id)
    plan = save_plan(licence, body.year, body.volume_m3, body.monthly_m3, body.note, request.user)
    return {"plan": plan, "balance": county_balance(licence.region, body.year).as_dict()}


@router.get("/plans/balance", response=list[BalanceOut])
@operation(P.WATER_ALLOCATION_READ)
def plan_balance(request: HttpRequest, year: int = Query(..., ge=FIRST_YEAR, le=LAST_YEAR),
                 region: Text | None = None) -> list[dict[str, Any]]:
    """Each county's Σ plans against its 总量 control target, with the warning when over."""
    return [b.as_dict() for b in county_balances(_region(request, region), year)]


@router.get("/county-targets", response=list[TargetOut])
@operation(P.WATER_ALLOCATION_READ)
def list_targets(request: HttpRequest, year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR)
                 ) -> QuerySet[CountyWaterTarget]:
    """The county 总量 control targets within the user's region."""
    rows = scope_queryset(CountyWaterTarget.objects.all(), request.user)
    if year is not None:
        rows = rows.filter(year=year)
    return rows.order_by("-year", "region_id")


@router.post("/county-targets", response=TargetOut)
@operation(P.WATER_ALLOCATION_EDIT)
def upsert_target(request: HttpRequest, body: TargetIn) -> CountyWaterTarget:
    """Set a county's 总量 control target for a year (upsert); its county allocation is derived from it."""
    county = _region(request, body.region)
    if county.level != RegionLevel.COUNTY:
        raise Http404("县级区划不存在")
    return save_county_target(county, body.year, body.target_m3, body.groundwater_target_m3, body.note,
                              request.user)
