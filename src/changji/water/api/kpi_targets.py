"""设备建设计划, 考核目标 and the planned-vs-installed view in the JSON API.

``GET /deployment?year=&region=`` answers the view (per county and the total, each rate with its target and
whether it is met); ``/deployment-plans`` and ``/kpi-targets`` list the rows in scope (``year`` filters) and set
one (create or change, ``water.kpi_target.edit`` within the editor's scope, audited). The query is read by
``core.params`` (a bad year or region code is a 400 naming the parameter); a region outside the scope is a 404.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from changji.core import localtime, params
from changji.core.access import P
from changji.core.api_schemas import Text
from changji.core.guards import operation
from changji.core.scope import scope_queryset
from changji.water.api.tax import region_in_scope
from changji.water.kpi import deployment
from changji.water.models import DeploymentPlan, KpiMetric, KpiTarget

router = Router(tags=["water"])
YEAR = Field(ge=params.FIRST_YEAR, le=params.LAST_YEAR)
YEAR_QUERY = Query(None, ge=params.FIRST_YEAR, le=params.LAST_YEAR)


class DeploymentPlanOut(Schema):
    id: int
    region: str = Field(alias="region.code")
    year: int
    planned_sets: int
    note: str


class DeploymentPlanIn(Schema):
    region: Text = Field(pattern=r"^[0-9]{6}$", description="县（市）区划代码")
    year: int = YEAR
    planned_sets: int = Field(ge=0, le=1_000_000)
    note: Text = Field("", max_length=200)


class KpiTargetOut(Schema):
    id: int
    region: str = Field(alias="region.code")
    year: int
    metric: KpiMetric
    target_pct: float


class KpiTargetIn(Schema):
    region: Text = Field(pattern=r"^[0-9]{6}(?:[0-9]{3}){0,3}$", description="区划代码（州或县市）")
    year: int = YEAR
    metric: KpiMetric
    target_pct: float = Field(ge=0, le=100)


class FigureOut(Schema):
    value: float | None
    target_pct: float | None
    met: bool | None


class DeploymentRowOut(Schema):
    code: str
    name: str
    planned_year: int
    planned_to_date: int
    installed: int
    installed_year: int
    online: int
    new_online: int
    accepted: int
    figures: dict[str, FigureOut]


class DeploymentOut(Schema):
    region: str
    year: int
    as_of: Any
    window_first: Any
    rows: list[DeploymentRowOut]
    total: DeploymentRowOut


def _query(request: HttpRequest) -> dict[str, Any]:
    return params.parse(request.GET, {"year": params.Year(default=localtime.today().year),
                                      "region": params.RegionCode(default="")})


def _row(row: deployment.DeploymentRow) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in ("code", "name", "planned_year", "planned_to_date", "installed",
                                                      "installed_year", "online", "new_online", "accepted")},
            "figures": {metric: {"value": f.value, "target_pct": f.target_pct, "met": f.met}
                        for metric, f in row.figures.items()}}


@router.get("/deployment", response=DeploymentOut)
@operation(P.WATER_MONITOR_READ)
def deployment_view(request: HttpRequest) -> dict[str, Any]:
    """Planned, installed, online and accepted sets per county of ``region`` (default: the user's) in ``year``."""
    chosen = _query(request)
    region = region_in_scope(request, chosen["region"])
    view = deployment.deployment_view(region, chosen["year"], localtime.today())
    return {"region": region.code, "year": view.year, "as_of": view.as_of, "window_first": view.window_first,
            "rows": [_row(row) for row in view.rows], "total": _row(view.total)}


@router.get("/deployment-plans", response=list[DeploymentPlanOut])
@operation(P.WATER_MONITOR_READ)
def list_plans(request: HttpRequest, year: int | None = YEAR_QUERY) -> Any:
    """The deployment plans (设备建设计划) in scope, of ``year`` when given."""
    plans = scope_queryset(DeploymentPlan.objects.select_related("region"), request.user)
    return plans.filter(year=year) if year is not None else plans


@router.put("/deployment-plans", response=DeploymentPlanOut)
@operation(P.WATER_KPI_TARGET_EDIT)
def put_plan(request: HttpRequest, body: DeploymentPlanIn) -> DeploymentPlan:
    """Set a county's planned sets for a year (create or change). Audited (``water.deployment_plan.saved``)."""
    region = region_in_scope(request, body.region)
    return deployment.save_plan(region, body.year, body.planned_sets, body.note, request.user)


@router.get("/kpi-targets", response=list[KpiTargetOut])
@operation(P.WATER_MONITOR_READ)
def list_targets(request: HttpRequest, year: int | None = YEAR_QUERY) -> Any:
    """The KPI targets (考核目标) set for regions in scope, of ``year`` when given."""
    targets = scope_queryset(KpiTarget.objects.select_related("region"), request.user)
    return targets.filter(year=year) if year is not None else targets


@router.put("/kpi-targets", response=KpiTargetOut)
@operation(P.WATER_KPI_TARGET_EDIT)
def put_target(request: HttpRequest, body: KpiTargetIn) -> KpiTarget:
    """Set the target of a metric for a region and year (create or change). Audited (``water.kpi_target.saved``)."""
    region = region_in_scope(request, body.region)
    return deployment.save_target(region, body.year, body.metric, body.target_pct, request.user)
