"""取水许可 in the water API (``/api/water/licences``): list, read, register, edit and change state.

Read needs ``water.allocation.read``, changes ``water.allocation.edit`` (``core.guards.operation``). Every
lookup goes through ``core.scope.scope_queryset``: a licence, water user or well outside the user's region is
as if it did not exist (a licence: 404; a water user or well named in a body: 400 on its field). Changes go
through ``water.licences.service`` (validated and audited; a refusal is a 400 naming the field).
"""


from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.localtime import today
from changji.core.scope import scope_queryset
from changji.water.licences.service import save_licence, transition_licence
from changji.water.licences.states import State
from changji.water.models import Licence, WaterSource, WaterUser, Well, WellUse

router = Router(tags=["water"])

#: Volumes beyond this are typing errors, not licences (the prefecture's whole use is about 2 × 10⁹ m³ a year).
MAX_VOLUME_M3 = 1e12


class LicenceOut(Schema):
    """A water-abstraction licence (取水许可证); each code comes with its Chinese name."""

    id: int
    number: str
    water_user: str = Field(..., description="WaterUser.code of the holder (取水权人)")
    water_user_name: str
    source: str
    source_label: str
    purpose: str
    purpose_label: str
    permitted_m3_per_year: float
    valid_from: date
    valid_to: date
    issuing_authority: str
    wells: list[str] = Field(..., description="codes of the wells the licence covers")
    state: str
    state_label: str
    state_reason: str
    region: str
    expiry_warned_days: int | None

    @staticmethod
    def resolve_water_user(obj: Licence) -> str:
        return obj.water_user.code

    @staticmethod
    def resolve_water_user_name(obj: Licence) -> str:
        return obj.water_user.name

    @staticmethod
    def resolve_source_label(obj: Licence) -> str:
        return str(obj.get_source_display())

    @staticmethod
    def resolve_purpose_label(obj: Licence) -> str:
        return str(obj.get_purpose_display())

    @staticmethod
    def resolve_wells(obj: Licence) -> list[str]:
        return sorted(well.code for well in obj.wells.all())

    @staticmethod
    def resolve_state_label(obj: Licence) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_region(obj: Licence) -> str:
        return str(obj.region_id)


class LicenceIn(Schema):
    """A licence to register, or all of a licence's fields to replace (PUT)."""

    number: Text = Field(..., max_length=64)
    water_user: Text = Field(..., description="WaterUser.code of the holder; fixed once registered")
    source: Text = Field(WaterSource.GROUNDWATER.value, description="groundwater | surface")
    purpose: Text = Field(WellUse.AGRICULTURAL.value, description="agricultural | industrial | domestic")
    permitted_m3_per_year: float = Field(..., ge=0, le=MAX_VOLUME_M3)
    valid_from: date
    valid_to: date
    issuing_authority: Text = Field(..., max_length=128)
    wells: list[Text] = Field(default_factory=list, max_length=1000, description="well codes")


class LicencePatch(Schema):
    """Some of a licence's fields to change (PATCH); the others stay."""

    number: Text | None = Field(None, max_length=64)
    source: Text | None = None
    purpose: Text | None = None
    permitted_m3_per_year: float | None = Field(None, ge=0, le=MAX_VOLUME_M3)
    valid_from: date | None = None
    valid_to: date | None = None
    issuing_authority: Text | None = Field(None, max_length=128)
    wells: list[Text] | None = Field(None, max_length=1000)


class LicenceTransitionIn(Schema):
    """A move of a licence's state (``valid``, ``suspended``, ``revoked``) with its reason."""

    to: Text
    reason: Text = Field(..., max_length=1000)


def _licences(request: HttpRequest) -> QuerySet[Licence]:
    return scope_queryset(Licence.objects.select_related("water_user"), request.user).prefetch_related("wells")


def _water_user(request: HttpRequest, code: str) -> WaterUser:
    user = scope_queryset(WaterUser.objects.filter(code=code), request.user).select_related("region").first()
    if user is None:
        raise ValidationError({"water_user": f"取水权人 {code} 不存在或不在本辖区"})
    return user


def _wells(request: HttpRequest, codes: list[str]) -> list[Well]:
    found = {w.code: w for w in scope_queryset(Well.objects.filter(code__in=codes), request.user)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError({"wells": f"机井不存在或不在本辖区：{'、'.join(unknown[:20])}"})
    return [found[code] for code in dict.fromkeys(codes)]


@router.get("/licences", response=list[LicenceOut])
@paginate(Pagination)
@operation(P.WATER_ALLOCATION_READ)
def list_licences(request: HttpRequest, state: Text | None = None, region: Text | None = None,
                  water_user: Text | None = None,
                  expiring_within_days: int | None = Query(None, ge=0, le=3650)) -> QuerySet[Licence]:
    """Licences within the user's region, filtered.

    ``region`` is a region code prefix, ``water_user`` a WaterUser code; ``expiring_within_days`` keeps the valid
    licences whose term ends within that many days.
    """
    licences = _licences(request)
    if state is not None:
        if state not in {s.value for s in State}:
            raise ValidationError({"state": f"取值应为 {', '.join(s.value for s in State)} 之一"})
        licences = licences.filter(state=state)
    if region:
        licences = licences.filter(region__code__startswith=region)
    if water_user:
        licences = licences.filter(water_user__code=water_user)
    if expiring_within_days is not None:
        day = today()
        licences = licences.filter(state=State.VALID, valid_to__gte=day,
                                   valid_to__lte=day + timedelta(days=expiring_within_days))
    return licences.order_by("number")


@router.get("/licences/{licence_id}", response=LicenceOut)
@operation(P.WATER_ALLOCATION_READ)
def get_licence(request: HttpRequest, licence_id: Id) -> Licence:
    """One licence."""
    return get_object_or_404(_licences(request), pk=licence_id)


@router.post("/licences", response={201: LicenceOut})
@operation(P.WATER_ALLOCATION_EDIT)
def create_licence(request: HttpRequest, body: LicenceIn) -> Status:
    """Register a licence (it starts valid); audited ``water.licence.create``."""
    data: dict[str, Any] = body.dict()
    data["water_user"] = _water_user(request, body.water_user)
    data["wells"] = _wells(request, body.wells)
    licence = save_licence(data, request.user)
    return Status(201, get_object_or_404(_licences(request), pk=licence.pk))


@router.put("/licences/{licence_id}", response=LicenceOut)
@operation(P.WATER_ALLOCATION_EDIT)
def replace_licence(request: HttpRequest, licence_id: Id, body: LicenceIn) -> Licence:
    """Replace every field of a licence (the water user must stay the same); audited ``water.licence.update``."""
    licence = get_object_or_404(_licences(request), pk=licence_id)
    data: dict[str, Any] = body.dict()
    data["water_user"] = _water_user(request, body.water_user)
    data["wells"] = _wells(request, body.wells)
    save_licence(data, request.user, licence)
    return get_object_or_404(_licences(request), pk=licence.pk)


@router.patch("/licences/{licence_id}", response=LicenceOut)
@operation(P.WATER_ALLOCATION_EDIT)
def update_licence(request: HttpRequest, licence_id: Id, body: LicencePatch) -> Licence:
    """Change some fields of a licence; audited ``water.licence.update`` with the changed fields."""
    licence = get_object_or_404(_licences(request), pk=licence_id)
    data: dict[str, Any] = {name: getattr(licence, name) for name in (
        "number", "water_user", "source", "purpose", "permitted_m3_per_year", "valid_from", "valid_to",
        "issuing_authority")}
    data["wells"] = list(licence.wells.all())
    for name, value in body.dict(exclude_unset=True).items():
        if value is None:
            raise ValidationError({name: "不能为空"})
        data[name] = _wells(request, value) if name == "wells" else value
    save_licence(data, request.user, licence)
    return get_object_or_404(_licences(request), pk=licence.pk)


@router.post("/licences/{licence_id}/transition", response=LicenceOut)
@operation(P.WATER_ALLOCATION_EDIT)
def licence_transition(request: HttpRequest, licence_id: Id, body: LicenceTransitionIn) -> Licence:
    """Suspend, reinstate or revoke a licence with its reason; audited ``water.licence.<state>``."""
    licence = get_object_or_404(_licences(request), pk=licence_id)
    transition_licence(licence, body.to, request.user, body.reason)
    return get_object_or_404(_licences(request), pk=licence.pk)

