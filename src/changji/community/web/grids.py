"""网格地图 and its companions: the grids of the user's scope with counts, the 10-minute service circle, consolidation.

Every query goes through core.scope: a grid worker sees their grid, a community worker their
community's grids, a street officer the street's. Counts per grid are grouped queries (one per
measure), never a query per grid. The maps get their data from JSON endpoints, not inline scripts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_cache_control
from django.views.decorators.gzip import gzip_page

from changji.community.grids import outline_register
from changji.community.grids import service as grid_service
from changji.community.issues.workflow import OPEN_ISSUE_STATES
from changji.community.models import (
    Building,
    Compound,
    DepartmentalGrid,
    Grid,
    GridPartyOrganisation,
    MicroWish,
    Resident,
    ResidentIssue,
)
from changji.community.web.common import paged
from changji.community.wishes.workflow import WishState
from changji.core import params
from changji.core.access import P
from changji.core.guards import PUBLIC, route
from changji.core.models import Region, RegionLevel
from changji.core.scope import region_of, scope_queryset, user_can_access_region

#: What the grid map can colour the grids by: (key, label).
METRICS = (
    ("residents", "居民"),
    ("compounds", "小区"),
    ("open_issues", "待办诉求"),
    ("published_wishes", "待认领微心愿"),
)


def _scope_name(user: Any) -> str:
    region = region_of(user)
    return region.name if isinstance(region, Region) else "全部"


def _leader_name(grid: Grid) -> str:
    leader = grid.leader
    return (leader.get_full_name() or leader.get_username()) if leader is not None else ""


def grid_rows(user: Any) -> list[dict[str, Any]]:
    """The grids in the user's scope, each with its counts per measure (one grouped query per measure)."""
    grids = list(scope_queryset(Grid.objects.select_related("region__parent", "leader"), user).order_by("region_id")
                 .prefetch_related(Prefetch("party_organisations", GridPartyOrganisation.objects.order_by("name"))))
    counts = {grid.region_id: {key: 0 for key, _ in METRICS} for grid in grids}
    measures = {
        "residents": Resident.objects.all(),
        "compounds": Compound.objects.all(),
        "open_issues": ResidentIssue.objects.filter(state__in=OPEN_ISSUE_STATES),
        "published_wishes": MicroWish.objects.filter(state=WishState.PUBLISHED),
    }
    for key, queryset in measures.items():
        grouped = (scope_queryset(queryset, user).filter(region__level=RegionLevel.GRID)
                   .values("region_id").annotate(n=Count("pk")).order_by())
        for row in grouped:
            if row["region_id"] in counts:
                counts[row["region_id"]][key] = row["n"]
    return [{
        "code": grid.region_id, "name": grid.region.name,
        "community": grid.region.parent.name if grid.region.parent else "",
        "leader": _leader_name(grid), "party_organisations": [o.name for o in grid.party_organisations.all()],
        "area_m2": round(grid.area_m2),
        "counts": counts[grid.region_id], "boundary": grid.boundary,
    } for grid in grids]


@route(get=P.COMMUNITY_READ)
def grid_map(request: HttpRequest) -> HttpResponse:
    """网格地图: the grids on a Leaflet map coloured by a chosen count, and the same grids as a table."""
    rows = grid_rows(request.user)
    for row in rows:
        row["values"] = [(key, row["counts"][key]) for key, _ in METRICS]
    totals = [(key, sum(row["counts"][key] for row in rows)) for key, _ in METRICS]
    return render(request, "community/grid_map.html", {
        "rows": rows, "metrics": METRICS, "totals": totals, "scope_name": _scope_name(request.user),
    })


@route(get=P.COMMUNITY_READ)
def grid_map_data(request: HttpRequest) -> JsonResponse:
    """The grids of the scope as a GeoJSON FeatureCollection; properties carry the names and counts.

    ``compounds`` and ``buildings`` (compact, see ``outline_register.map_outlines``) are the outlines and
    names of the register within the same scope.
    """
    features = [{
        "type": "Feature", "geometry": row.pop("boundary"), "properties": row,
    } for row in grid_rows(request.user)]
    drawn = outline_register.map_outlines(compounds=scope_queryset(Compound.objects.all(), request.user),
                                          buildings=scope_queryset(Building.objects.all(), request.user))
    return JsonResponse({"type": "FeatureCollection", "metrics": [list(m) for m in METRICS], "features": features,
                         **drawn})


# --- 十分钟服务圈 --------------------------------------------------------------------------------------------


def _coverage_rows(user: Any) -> list[grid_service.CompoundCoverage]:
    """The compounds of the user's scope, each with the nearest service point serving that scope."""
    region = region_of(user)
    if not (region is None or isinstance(region, Region)):
        return []
    compounds = scope_queryset(Compound.objects.select_related("region").order_by("region_id", "name"), user)
    return grid_service.compound_coverage(compounds, grid_service.service_points_for(region))


def _distance(value: float | None) -> int | None:
    return None if value is None else round(value)


@route(get=P.COMMUNITY_READ)
def coverage(request: HttpRequest) -> HttpResponse:
    """十分钟服务圈: service points and their circles, compounds covered or not, the uncovered listed (paged)."""
    rows = _coverage_rows(request.user)
    uncovered = [row for row in rows if not row.covered]
    uncovered.sort(key=lambda row: (row.distance_m is not None, -(row.distance_m or 0)))
    page, query = paged(request, uncovered)
    return render(request, "community/coverage.html", {
        "radius_m": round(grid_service.service_circle_m()), "compound_count": len(rows),
        "covered_count": len(rows) - len(uncovered), "uncovered_count": len(uncovered),
        "uncovered": page.object_list, "page": page, "query": query,
        "scope_name": _scope_name(request.user),
    })


@route(get=P.COMMUNITY_READ)
def coverage_data(request: HttpRequest) -> JsonResponse:
    """Compact arrays for the service-circle map (like the water map).

    ``service_points``: [name, lon, lat, services]; ``compounds``: [name, lon, lat, covered (0/1),
    index of the nearest service point or -1, distance m or null, index into ``regions``];
    ``grids``: the grid outlines of the scope.
    """
    region = region_of(request.user)
    rows = _coverage_rows(request.user)
    points = (list(grid_service.service_points_for(region))
              if region is None or isinstance(region, Region) else [])
    point_index = {p.pk: n for n, p in enumerate(points)}
    regions: dict[str, int] = {}
    compounds = []
    for row in rows:
        c = row.compound
        compounds.append([c.name, c.lon, c.lat, int(row.covered),
                          point_index.get(row.nearest.pk, -1) if row.nearest else -1, _distance(row.distance_m),
                          regions.setdefault(c.region.name, len(regions))])
    grids = scope_queryset(Grid.objects.select_related("region"), request.user).order_by("region_id")
    return JsonResponse({
        "radius_m": grid_service.service_circle_m(),
        "service_points": [[p.name, p.lon, p.lat, p.services] for p in points],
        "regions": list(regions), "compounds": compounds,
        "grids": [{"code": g.region_id, "name": g.region.name, "boundary": g.boundary} for g in grids],
    })


# --- 群众上报地图的小区与楼栋轮廓（公开）--------------------------------------------------------------------


#: How long browsers and proxies may keep the public outlines (seconds): the register changes rarely.
OUTLINES_MAX_AGE = 600


@route(get=PUBLIC)
@gzip_page
def report_outlines(request: HttpRequest) -> HttpResponse:
    """Public: compound and building outlines and names for the report map (``?bbox=west,south,east,north``).

    Names and shapes only (``outline_register.map_outlines``): nothing about households or residents.
    Cacheable (``Cache-Control: public``) with an ETag, so a browser revalidates with a 304; gzipped (a town
    of 400 compounds and 4,000 buildings is about 580 kB of JSON, 150 kB gzipped).
    """
    bbox = params.query(request, "bbox", params.BBox())
    body = json.dumps(outline_register.map_outlines(bbox), ensure_ascii=False, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=OUTLINES_MAX_AGE)
    return response


# --- 网格整合 ------------------------------------------------------------------------------------------------


def _regions_with_grids(user: Any) -> list[Region]:
    """The streets/towns in the user's scope that have unified or departmental grids, for the region picker."""
    codes = {code[:9] for code in scope_queryset(Grid.objects.all(), user).values_list("region_id", flat=True)}
    codes |= set(scope_queryset(DepartmentalGrid.objects.all(), user).values_list("region_id", flat=True))
    return list(Region.objects.filter(code__in=codes, level=RegionLevel.TOWNSHIP).order_by("code"))


def _consolidation_region(request: HttpRequest, choices: list[Region]) -> Region | None:
    """The region of ``?region=`` (404 when unknown or outside the scope), else the user's own, else the first."""
    code = params.query(request, "region", params.RegionCode(default=""))
    if code:
        region = Region.objects.filter(code=code, level__gte=RegionLevel.TOWNSHIP).first()
        if region is None or not user_can_access_region(request.user, region):
            raise Http404("未找到该区划")
        return region
    bound = region_of(request.user)
    if isinstance(bound, Region) and bound.level >= RegionLevel.TOWNSHIP:
        return bound
    return choices[0] if choices else None


@route(get=P.COMMUNITY_READ)
def consolidation(request: HttpRequest) -> HttpResponse:
    """网格整合: departmental grids → unified grids (old → new, with shares), and gaps/overlaps of the result."""
    user = request.user
    choices = _regions_with_grids(user)
    region = _consolidation_region(request, choices)
    context: dict[str, Any] = {"region": region, "choices": choices, "scope_name": _scope_name(user)}
    if region is not None:
        in_region = Q(region__path__startswith=region.path) | Q(unified_grid__region__path__startswith=region.path)
        in_scope = (Q(pk__in=scope_queryset(DepartmentalGrid.objects.all(), user).values("pk"))
                    | Q(unified_grid__in=scope_queryset(Grid.objects.all(), user).values("pk")))
        mapping_rows = (DepartmentalGrid.objects.filter(in_region & in_scope).select_related("unified_grid__region")
                        .order_by("department", "source_id"))
        report = grid_service.coverage_for(region)
        names = dict(Region.objects.filter(code__in={o.key_a for o in report.overlaps}
                                           | {o.key_b for o in report.overlaps}).values_list("code", "name"))
        context.update({
            "mapping_rows": mapping_rows, "report": report,
            "covered_percent": None if report.covered_share is None else round(report.covered_share * 100, 2),
            "overlaps": [{"a": names.get(o.key_a, o.key_a), "b": names.get(o.key_b, o.key_b),
                          "area_m2": o.area_m2, "significant": o.area_m2 > report.tolerance_m2}
                         for o in report.overlaps],
            "gap_parts": _parts(report.gap),
            "departments": (DepartmentalGrid.objects.filter(in_region & in_scope).values("department")
                            .annotate(n=Count("pk"), mapped=Count("unified_grid")).order_by("department")),
        })
    return render(request, "community/consolidation.html", context)


def _parts(geometry: Any) -> int:
    """How many separate pieces a (multi)polygon has; 0 when empty."""
    if geometry is None or geometry.is_empty:
        return 0
    return len(getattr(geometry, "geoms", [geometry]))


urlpatterns = [
    path("grid_map/", grid_map, name="grid_map"),
    path("grid_map/data/", grid_map_data, name="grid_map_data"),
    path("coverage/", coverage, name="coverage"),
    path("coverage/data/", coverage_data, name="coverage_data"),
    path("consolidation/", consolidation, name="consolidation"),
    path("report/outlines.json", report_outlines, name="report_outlines"),
]
