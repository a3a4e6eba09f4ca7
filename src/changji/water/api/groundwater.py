"""Groundwater control in the water API: 管控水位 red lines of monitoring wells and 超采区 zone polygons.

``/api/water/groundwater/control-levels`` (list; PUT one well's) and ``/api/water/groundwater/zones`` (list with
outlines as GeoJSON; POST a FeatureCollection to import, all or nothing). Reading needs ``water.monitor.read``,
changing ``water.groundwater.edit`` on the region concerned. Every lookup is scoped (``core.scope``): a well
outside the user's region is a 404. Changes go through ``water.groundwater.control`` (validated, audited).
"""


import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from changji.core.access import P
from changji.core.api_schemas import Id
from changji.core.guards import operation
from changji.core.scope import scope_queryset
from changji.water.groundwater.control import import_zones, save_control_level
from changji.water.models import ControlLevel, OverdraftZone, Well, WellKind

router = Router(tags=["water"])


class ControlLevelOut(Schema):
    """The red line (管控水位, control depth in m below ground) of one monitoring well."""

    well_id: int
    well_code: str
    control_depth_m: float
    document: str

    @staticmethod
    def resolve_well_code(obj: ControlLevel) -> str:
        return obj.well.code


class ControlLevelIn(Schema):
    control_depth_m: float = Field(..., ge=0, le=1000, description="control depth, m below ground")
    document: str = Field("", max_length=255)


class ZoneOut(Schema):
    """A 超采区 zone with its outline (GeoJSON Polygon or MultiPolygon, WGS-84 longitude/latitude)."""

    id: int
    name: str
    level: str
    level_label: str
    region: str
    document: str
    valid_from_year: int
    valid_to_year: int | None
    geometry: dict[str, Any]

    @staticmethod
    def resolve_level_label(obj: OverdraftZone) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_region(obj: OverdraftZone) -> str:
        return obj.region_id


class ZoneImportOut(Schema):
    created: int
    updated: int


class FeatureCollectionIn(Schema):
    """A GeoJSON FeatureCollection of zones (see README, "Groundwater": the properties each feature carries)."""

    type: str
    features: list[dict[str, Any]]


@router.get("/groundwater/control-levels", response=list[ControlLevelOut])
@operation(P.WATER_MONITOR_READ)
def list_control_levels(request: HttpRequest) -> list[ControlLevel]:
    """The red lines of the monitoring wells in scope."""
    return list(scope_queryset(ControlLevel.objects.select_related("well"), request.user).order_by("well__code"))


@router.get("/groundwater/control-levels/{monitoring_well_id}", response=ControlLevelOut)
@operation(P.WATER_MONITOR_READ)
def get_control_level(request: HttpRequest, monitoring_well_id: Id) -> ControlLevel:
    """One monitoring well's red line (404 when none is set)."""
    return get_object_or_404(scope_queryset(ControlLevel.objects.select_related("well"), request.user),
                             well_id=monitoring_well_id)


@router.put("/groundwater/control-levels/{monitoring_well_id}", response=ControlLevelOut)
@operation(P.WATER_GROUNDWATER_EDIT)
def put_control_level(request: HttpRequest, monitoring_well_id: Id, body: ControlLevelIn) -> ControlLevel:
    """Set a monitoring well's red line (audited)."""
    well = get_object_or_404(scope_queryset(Well.objects.filter(kind=WellKind.MONITORING), request.user)
                             .select_related("region"), pk=monitoring_well_id)
    return save_control_level(well, body.control_depth_m, body.document, request.user)


@router.get("/groundwater/zones", response=list[ZoneOut])
@operation(P.WATER_MONITOR_READ)
def list_zones(request: HttpRequest) -> list[OverdraftZone]:
    """The 超采区 zones designated in the user's region."""
    return list(scope_queryset(OverdraftZone.objects.all(), request.user).order_by("region_id", "name"))


@router.post("/groundwater/zones", response=ZoneImportOut)
@operation(P.WATER_GROUNDWATER_EDIT)
def post_zones(request: HttpRequest, body: FeatureCollectionIn) -> dict[str, int]:
    """Import zones from a GeoJSON FeatureCollection, all or nothing; 400 lists each feature's problems."""
    outcome = import_zones(json.dumps(body.dict()).encode(), request.user)
    if outcome.problems:
        raise ValidationError({"features": outcome.errors})
    return {"created": outcome.created, "updated": outcome.updated}
