"""Grids in the database: unified grids as region nodes, departmental grids, consolidation, coverage, assignment.

A unified grid is a ``core.Region`` of level 网格 under its community plus a ``Grid`` row with the
polygon; ``create_grid`` makes both in one step so the two never disagree. The consolidation of a
street/town runs in three steps (the Mulei way: 1,238 departmental grids merged into 139):

1. ``import_departmental_grids`` — each department's GeoJSON layer (综治, 城管, 民政…), all or nothing;
2. ``consolidate_into`` — unified grids made by merging named groups of departmental grids;
3. ``map_departmental`` — every departmental grid linked to the unified grid holding most of it (old → new).

``coverage_for`` then reports gaps and overlaps, ``assign_to_grids`` puts compounds and buildings
(and the households and residents of a building) into the grid holding their point, and
``uncovered_compounds`` lists the compounds outside every 10-minute service circle. The geometry
itself is in the pure ``community.grids.geo``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from changji.community.grids import geo
from changji.community.models import (
    Building,
    Compound,
    DepartmentalGrid,
    Grid,
    GridPartyOrganisation,
    Household,
    Resident,
    ServicePoint,
)
from changji.core.audit import record
from changji.core.models import Region, RegionLevel
from changji.core.uploads import problem_lines, quoted

#: Rows per ``IN (...)`` list, well under SQLite's limit on query parameters.
_CHUNK = 5000


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """``geometry`` as the plain JSON dict stored in a JSON column (lists, not tuples)."""
    return json.loads(json.dumps(mapping(geometry)))


def _bbox(geometry: BaseGeometry) -> dict[str, float]:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return {"min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat}


@transaction.atomic
def create_grid(code: str, name: str, community: Region, boundary: dict[str, Any], *,
                party_branch: str = "", leader: Any = None) -> Grid:
    """Create the grid ``code`` (the community's 12 digits + 3) with its GeoJSON polygon; return it.

    ``party_branch`` names the community's grid party organisation that covers the grid (set up if new).
    Raises ValueError when the code does not extend the community's code by 3 digits, when
    ``community`` is not a community (village level), or when the polygon is empty or invalid.
    """
    if community.level != RegionLevel.VILLAGE:
        raise ValueError(f"{community.name} 不是社区（村）级区划")
    if len(code) != 15 or not code.isdigit() or not code.startswith(community.code):
        raise ValueError(f"网格代码应为社区代码 {community.code} 加 3 位数字，收到 {code!r}")
    try:
        polygon = geo.parse_polygon(boundary)
    except geo.GeometryError as error:
        raise ValueError(f"网格 {name} 的边界不是有效的多边形：{error}") from error
    region = Region.objects.create(code=code, name=name, level=RegionLevel.GRID, parent=community)
    grid = Grid.objects.create(region=region, boundary=_geojson(polygon), area_m2=geo.area_m2(polygon),
                               leader=leader, **_bbox(polygon))
    if party_branch.strip():
        # The branch named by the caller: the community's organisation of that name, set up if new.
        organisation, _ = GridPartyOrganisation.objects.get_or_create(
            region=community, name=party_branch.strip()[:128], defaults={"founded_on": timezone.localdate()})
        organisation.grids.add(grid)
    return grid


# --- 1. import ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """The outcome of importing one department's layer: counts, or the features at fault (nothing written)."""

    department: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: (feature index, or None for the file as a whole; Chinese reason)
    errors: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        if not self.errors:
            return f"{self.department}：新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"
        problems = problem_lines(quoted(r, 200) if i is None else f"要素 {i}：{quoted(r, 200)}" for i, r in self.errors)
        return "\n  ".join([f"{self.department}：{len(self.errors)} 处错误，未写入任何数据", *problems])


def _feature_fields(feature: Any) -> tuple[str, str, BaseGeometry]:
    """The source id, name and polygon of one GeoJSON feature; GeometryError (Chinese reason) when unusable."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise geo.GeometryError("不是 GeoJSON Feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise geo.GeometryError("properties 应为对象")
    raw_id = next((v for v in (properties.get("id"), properties.get("code"), feature.get("id"))
                   if v not in (None, "")), None)
    source_id = str(raw_id).strip() if raw_id is not None else ""
    if not source_id:
        raise geo.GeometryError("缺少网格编号（properties.id 或 properties.code）")
    if len(source_id) > 64:
        raise geo.GeometryError("网格编号超过 64 个字符")
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise geo.GeometryError("缺少网格名称（properties.name）")
    if len(name.strip()) > 128:
        raise geo.GeometryError("网格名称超过 128 个字符")
    return source_id, name.strip(), geo.parse_polygon(feature)


def import_departmental_grids(township: Region, department: str, feature_collection: Any, *,
                              actor: Any = None) -> ImportResult:
    """Import one department's grids of a street/town from a GeoJSON FeatureCollection, all or nothing.

    Each feature needs ``properties.id`` (or ``code``) and ``properties.name`` and a polygon. Any
    bad feature is reported by index with the reason, and then nothing is written. Importing the
    same department and id again updates name and boundary; a changed boundary clears the stale
    old → new mapping until ``map_departmental`` runs again.
    """
    if township.level != RegionLevel.TOWNSHIP:
        raise ValueError(f"{township.name} 不是街道（乡镇）级区划")
    department = (department or "").strip()
    if not department or len(department) > 64:
        raise ValueError("部门名称不能为空，且不超过 64 个字符")
    result = ImportResult(department)
    features = feature_collection.get("features") if isinstance(feature_collection, Mapping) else None
    if not isinstance(feature_collection, Mapping) or feature_collection.get("type") != "FeatureCollection" \
            or not isinstance(features, list):
        result.errors.append((None, "文件不是 GeoJSON FeatureCollection"))
        return result
    if not features:
        result.errors.append((None, "FeatureCollection 中没有要素"))
        return result
    parsed = _parse_features(features, result)
    existing = {row.source_id: row for row in DepartmentalGrid.objects.filter(department=department,
                                                                             source_id__in=list(parsed))}
    for source_id, row in existing.items():
        if row.region_id != township.code:
            result.errors.append((parsed[source_id][0], f"网格编号 {source_id} 已属于其他街道（乡镇）{row.region_id}"))
    if result.errors:
        result.errors.sort(key=lambda error: error[0] if error[0] is not None else -1)
        return result
    with transaction.atomic():
        _write_departmental(township, department, parsed, existing, result)
        record("community.grids.import", actor=actor, region=township, department=department,
               created=result.created, updated=result.updated, unchanged=result.unchanged)
    return result


def _parse_features(features: list[Any], result: ImportResult) -> dict[str, tuple[int, str, BaseGeometry]]:
    """The well-formed features by source id, as (index, name, polygon); each bad or repeated one an error."""
    parsed: dict[str, tuple[int, str, BaseGeometry]] = {}
    for index, feature in enumerate(features):
        try:
            source_id, name, polygon = _feature_fields(feature)
        except geo.GeometryError as error:
            result.errors.append((index, str(error)))
            continue
        if source_id in parsed:
            result.errors.append((index, f"网格编号 {source_id} 与要素 {parsed[source_id][0]} 重复"))
            continue
        parsed[source_id] = (index, name, polygon)
    return parsed


def _write_departmental(township: Region, department: str, parsed: dict[str, tuple[int, str, BaseGeometry]],
                        existing: dict[str, DepartmentalGrid], result: ImportResult) -> None:
    """Create the new grids, update the changed ones (a new boundary clears the mapping) and count them all."""
    changed_rows = []
    for source_id, (_, name, polygon) in parsed.items():
        boundary = _geojson(polygon)
        row = existing.get(source_id)
        if row is None:
            DepartmentalGrid.objects.create(region=township, department=department, source_id=source_id,
                                            name=name, boundary=boundary)
            result.created += 1
        elif row.boundary != boundary or row.name != name:
            if row.boundary != boundary:
                row.unified_grid, row.overlap_share = None, None
            row.name, row.boundary = name, boundary
            changed_rows.append(row)
            result.updated += 1
        else:
            result.unchanged += 1
    DepartmentalGrid.objects.bulk_update(changed_rows, ["name", "boundary", "unified_grid", "overlap_share"])


# --- 2. consolidate, 3. map old → new ----------------------------------------------------------------------

#: A departmental grid named by (department, source id).
SourceKey = tuple[str, str]


@transaction.atomic
def consolidate_into(township: Region, plan: Mapping[str, tuple[str, str, Sequence[Sequence[str]]]], *,
                     actor: Any = None) -> list[Grid]:
    """Make (or redraw) unified grids by merging named groups of the township's departmental grids.

    ``plan`` maps a new grid code to ``(name, community code, [(department, source id), …])``. An
    existing grid of that code gets the merged boundary and the name. Every departmental grid of
    the township is then mapped old → new (``map_departmental``). ValueError (Chinese message)
    on an unknown community or departmental grid, or a departmental grid listed twice; nothing
    is written then.
    """
    rows = {(row.department, row.source_id): row for row in DepartmentalGrid.objects.filter(region=township)}
    communities = {c.code: c for c in Region.objects.filter(parent=township, level=RegionLevel.VILLAGE)}
    seen: dict[SourceKey, str] = {}
    groups: dict[str, list[BaseGeometry]] = {}
    for code, (name, community_code, keys) in plan.items():
        if community_code not in communities:
            raise ValueError(f"网格 {code}：{community_code} 不是 {township.name} 下的社区")
        if not str(name).strip():
            raise ValueError(f"网格 {code} 缺少名称")
        geometries = []
        for raw_key in keys:
            key: SourceKey = (str(raw_key[0]), str(raw_key[1]))
            if key not in rows:
                raise ValueError(f"网格 {code}：{township.name} 没有部门网格 {key[0]}·{key[1]}")
            if key in seen:
                raise ValueError(f"部门网格 {key[0]}·{key[1]} 同时列入网格 {seen[key]} 和 {code}")
            seen[key] = code
            geometries.append(shape(rows[key].boundary))
        groups[code] = geometries
    merged = geo.merge(groups)
    grids = []
    for code, (name, community_code, _) in plan.items():
        polygon = merged[code]
        grid = Grid.objects.select_related("region").filter(region_id=code).first()
        if grid is None:
            grids.append(create_grid(code, name, communities[community_code], _geojson(polygon)))
            continue
        if grid.region.parent_id != community_code:
            raise ValueError(f"网格 {code} 已属于其他社区 {grid.region.parent_id}")
        grid.region.name = name
        grid.region.save(update_fields=["name"])
        grid.boundary, grid.area_m2 = _geojson(polygon), geo.area_m2(polygon)
        for attribute, value in _bbox(polygon).items():
            setattr(grid, attribute, value)
        grid.save()
        grids.append(grid)
    mapping_ = map_departmental(township)
    record("community.grids.consolidate", actor=actor, region=township, grids=sorted(plan),
           departmental=len(mapping_))
    return grids


@transaction.atomic
def map_departmental(township: Region) -> dict[SourceKey, tuple[str | None, float]]:
    """Link every departmental grid of the township to the unified grid holding most of its area (old → new).

    Writes ``unified_grid`` and ``overlap_share`` (0–1) and returns ``{(department, source id):
    (grid code or None, share)}``; an old grid outside every unified grid gets None and 0.
    """
    rows = list(DepartmentalGrid.objects.filter(region=township).order_by("department", "source_id"))
    unified = Grid.objects.filter(region__path__startswith=township.path).values_list("region_id", "boundary")
    result = geo.consolidate([(row.pk, shape(row.boundary)) for row in rows],
                             [(code, shape(boundary)) for code, boundary in unified])
    for row in rows:
        row.unified_grid_id, share = result[row.pk]
        row.overlap_share = share if row.unified_grid_id else None
    DepartmentalGrid.objects.bulk_update(rows, ["unified_grid", "overlap_share"], batch_size=1000)
    return {(row.department, row.source_id): result[row.pk] for row in rows}


# --- coverage ----------------------------------------------------------------------------------------------


def grids_within(region: Region | None) -> models.QuerySet[Grid]:
    """The unified grids in ``region``'s subtree (all grids for None)."""
    grids = Grid.objects.select_related("region")
    return grids if region is None else grids.filter(region__path__startswith=region.path)


def coverage_for(region: Region, *, boundary: Any = None,
                 tolerance_m2: float = geo.DEFAULT_TOLERANCE_M2) -> geo.CoverageReport:
    """Gaps and overlaps of the unified grids of a street/town, community or grid.

    The boundary is, unless given (GeoJSON or shapely geometry): for a street/town, the union of
    its departmental grids (the ground the departments covered before consolidation), or, without
    any, the outline of its unified grids; for a community or a grid, the outline of its unified
    grids (departmental grids belong to the street/town and cross community lines). The outline
    has its holes filled, so a hole enclosed by grids counts as a gap.
    """
    shapes = [(code, shape(boundary_)) for code, boundary_ in
              grids_within(region).values_list("region_id", "boundary")]
    if boundary is None:
        departmental = []
        if region.level == RegionLevel.TOWNSHIP:
            departmental = [shape(b) for b in
                            DepartmentalGrid.objects.filter(region=region).values_list("boundary", flat=True)]
        boundary = unary_union(departmental) if departmental else geo.outline(g for _, g in shapes)
    elif not isinstance(boundary, BaseGeometry):
        boundary = geo.parse_polygon(boundary)
    return geo.coverage_report(boundary, shapes, tolerance_m2=tolerance_m2)


# --- point in grid -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignResult:
    """Point-in-grid assignment: rows found in a grid, rows outside every grid, rows whose region changed."""

    assigned: int
    unmatched: int
    changed: int = 0


def assign_to_grids(queryset: models.QuerySet[Any], within: Region, *, actor: Any = None) -> AssignResult:
    """Put each row (a model with ``lon``, ``lat``, ``region``) within ``within`` into the grid holding its point.

    Rows outside every grid keep their community or street/town region; a row that was in a grid
    moves up to that grid's community. For buildings, the households and residents follow their
    building's region. One point-in-polygon pass (``geo.GridIndex``) and one UPDATE per target region.
    """
    model = queryset.model
    index = geo.GridIndex((code, shape(boundary)) for code, boundary in
                          grids_within(within).values_list("region_id", "boundary"))
    rows = list(queryset.filter(region__path__startswith=within.path).values_list("pk", "lon", "lat", "region_id"))
    nan = float("nan")
    located = index.locate_many([nan if r[1] is None else r[1] for r in rows],
                                [nan if r[2] is None else r[2] for r in rows])
    levels = {code: (level, parent) for code, level, parent in
              Region.objects.filter(code__in={r[3] for r in rows}).values_list("code", "level", "parent_id")}
    moves: dict[str, list[Any]] = defaultdict(list)  # target region → pks of the rows moving there
    for (pk, _, _, current), grid_code in zip(rows, located, strict=True):
        target = grid_code
        if target is None:
            level, parent = levels[current]
            target = parent if level == RegionLevel.GRID else current
        if target != current:
            moves[target].append(pk)
    with transaction.atomic():
        for target, pks in moves.items():  # one UPDATE per target region (and chunk), not one per row
            for start in range(0, len(pks), _CHUNK):
                model.objects.filter(pk__in=pks[start:start + _CHUNK]).update(region_id=target)
        if model is Building:
            _cascade_from_buildings([r[0] for r in rows])
        unmatched = located.count(None)
        changed = sum(len(pks) for pks in moves.values())
        result = AssignResult(assigned=len(rows) - unmatched, unmatched=unmatched, changed=changed)
        record("community.grids.assign", actor=actor, region=within, model=model._meta.label_lower,
               assigned=result.assigned, unmatched=result.unmatched, changed=result.changed)
    return result


def _cascade_from_buildings(building_ids: Sequence[int]) -> None:
    """Households take their building's region, residents their household's."""
    for start in range(0, len(building_ids), _CHUNK):
        chunk = building_ids[start:start + _CHUNK]
        Household.objects.filter(building_id__in=chunk).update(
            region_id=Subquery(Building.objects.filter(pk=OuterRef("building_id")).values("region_id")[:1]))
        Resident.objects.filter(household__building_id__in=chunk).update(
            region_id=Subquery(Household.objects.filter(pk=OuterRef("household_id")).values("region_id")[:1]))


# --- the 10-minute service circle --------------------------------------------------------------------------


def service_circle_m() -> float:
    """The radius of the 10-minute service circle in metres (``settings.COMMUNITY_SERVICE_CIRCLE_M``)."""
    return float(settings.COMMUNITY_SERVICE_CIRCLE_M)


def service_points_for(region: Region | None) -> models.QuerySet[ServicePoint]:
    """The service points serving ``region``: its own, or for a grid those of its community (all for None)."""
    points = ServicePoint.objects.order_by("pk")
    if region is None:
        return points
    if region.level == RegionLevel.GRID and region.parent_id:
        region = Region.objects.get(code=region.parent_id)
    return points.filter(region__path__startswith=region.path)


@dataclass(frozen=True)
class CompoundCoverage:
    """A compound and the service point nearest to it; ``covered`` when within the service circle."""

    compound: Compound
    nearest: ServicePoint | None
    distance_m: float | None
    covered: bool


def compound_coverage(compounds: Iterable[Compound], service_points: Iterable[ServicePoint],
                      radius_m: float | None = None) -> list[CompoundCoverage]:
    """Each compound with its nearest service point and whether it lies within ``radius_m`` (default: setting)."""
    radius = service_circle_m() if radius_m is None else radius_m
    compounds, points = list(compounds), {p.pk: p for p in service_points}
    rows = geo.nearest([(c.pk, c.lon, c.lat) for c in compounds], [(p.pk, p.lon, p.lat) for p in points.values()])
    return [CompoundCoverage(compound, points.get(point_pk) if point_pk is not None else None, distance,
                             distance is not None and distance <= radius)
            for compound, (_, point_pk, distance) in zip(compounds, rows, strict=True)]


def uncovered_compounds(region: Region | None, radius_m: float | None = None) -> list[CompoundCoverage]:
    """The compounds of ``region`` farther than the service circle from every service point serving it."""
    compounds = Compound.objects.order_by("region_id", "name")
    if region is not None:
        compounds = compounds.filter(region__path__startswith=region.path)
    return [row for row in compound_coverage(compounds, service_points_for(region), radius_m) if not row.covered]
