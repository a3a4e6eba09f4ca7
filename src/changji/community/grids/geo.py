"""Plane geometry for grids and service circles (pure: shapely, numpy and the standard library, no Django).

Coordinates are WGS 84 longitude/latitude. Areas and distances are measured in a local
equirectangular projection about the geometry's own latitude, which is accurate to well under 1%
across a county (tens of kilometres) — ample for grid areas and 10-minute walking circles.

What lives here:

* ``parse_polygon`` — a GeoJSON polygon (bare geometry or Feature) checked, never silently repaired;
* ``GridIndex`` — which grid holds a point, one or 50,000 at a time (shapely ``STRtree``);
* ``consolidate`` / ``merge`` — departmental grids (部门网格) mapped to and merged into unified grids;
* ``coverage_report`` — gaps and overlaps of a set of grids over a boundary (无缝隙、不交叉);
* ``distance_m`` / ``uncovered`` — the 10-minute service circle (十分钟服务圈) around service points.

Errors: ``GeometryError``, a ``core.errors.Refusal`` (a geometry that cannot be a grid; the message is
Chinese, fit to show).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform, unary_union
from shapely.validation import explain_validity

from changji.core.errors import Refusal

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

#: Areas below this many square metres are digitising slivers, not real gaps or overlaps.
DEFAULT_TOLERANCE_M2 = 1.0

POLYGON_TYPES = ("Polygon", "MultiPolygon")


class GeometryError(Refusal):
    """A geometry that cannot serve as a grid boundary (not a polygon, empty, invalid, off the globe)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


def metres_per_degree(latitude: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at ``latitude``."""
    per_lat = math.pi * EARTH_RADIUS_M / 180
    return per_lat * math.cos(math.radians(latitude)), per_lat


def to_local_metres(geometry: BaseGeometry, latitude: float | None = None) -> BaseGeometry:
    """``geometry`` projected to metres about ``latitude`` (default: the geometry's centre)."""
    if latitude is None:
        latitude = geometry.centroid.y
    kx, ky = metres_per_degree(latitude)

    def scale(x: float, y: float, z: float | None = None) -> tuple[float, float]:
        return x * kx, y * ky

    return transform(scale, geometry)


def area_m2(geometry: BaseGeometry) -> float:
    """The area of a lon/lat polygon in square metres."""
    if geometry.is_empty:
        return 0.0
    return to_local_metres(geometry).area


def _area_m2_at(geometry: BaseGeometry, latitude: float) -> float:
    """The area in square metres of ``geometry`` projected about a fixed ``latitude``.

    The local projection is a scaling, so the area in square degrees times the two scale factors
    equals the projected area; one fixed latitude keeps areas of related pieces comparable.
    """
    if geometry.is_empty:
        return 0.0
    kx, ky = metres_per_degree(latitude)
    return geometry.area * kx * ky


# --- parsing ----------------------------------------------------------------------------------------------


def parse_polygon(geojson: Any) -> Polygon | MultiPolygon:
    """The polygon of a GeoJSON geometry or Feature (WGS 84 lon/lat); GeometryError when it is not one.

    Invalid geometry (self-intersecting rings, …) is an error, not silently repaired with
    ``make_valid``: a grid boundary is a legal line and whoever drew it has to fix it.
    """
    if not isinstance(geojson, Mapping):
        raise GeometryError("边界应为 GeoJSON 对象")
    if geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
        if not isinstance(geojson, Mapping):
            raise GeometryError("要素缺少几何（geometry）")
    kind = geojson.get("type")
    if kind not in POLYGON_TYPES:
        raise GeometryError(f"边界应为 Polygon 或 MultiPolygon，收到 {kind!r}")
    try:
        geometry = shape(dict(geojson))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, shapely.errors.ShapelyError) as error:
        raise GeometryError(f"边界坐标格式有误：{error}") from error
    if geometry.is_empty:
        raise GeometryError("边界为空")
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        raise GeometryError("边界坐标含非数值")
    if (np.abs(coordinates[:, 0]) > 180).any() or (np.abs(coordinates[:, 1]) > 90).any():
        raise GeometryError("边界坐标超出经纬度范围（应为 WGS 84 经度、纬度）")
    if not geometry.is_valid:
        raise GeometryError(f"边界不是有效的多边形（{explain_validity(geometry)}）")
    if geometry.area == 0:
        raise GeometryError("边界面积为零")
    # The GeoJSON type was checked to be one of POLYGON_TYPES above, and shape() builds that type.
    return cast("Polygon | MultiPolygon", geometry)


# --- point in grid ----------------------------------------------------------------------------------------


class GridIndex:
    """Which grid holds a point: an STRtree over the grids, queried one point or a whole array at a time.

    A point on an edge shared by two grids (or in an overlap) belongs to the grid with the lowest
    key, so every point lands in exactly one grid whatever the order the grids came in.
    """

    def __init__(self, grids: Iterable[tuple[Hashable, BaseGeometry]]) -> None:
        ordered = sorted(grids, key=lambda item: item[0])  # type: ignore[arg-type, return-value]
        self.keys: list[Hashable] = [key for key, _ in ordered]
        self.geometries = np.array([geometry for _, geometry in ordered], dtype=object)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def locate(self, lon: float, lat: float) -> Hashable | None:
        """The key of the grid holding (lon, lat), or None outside every grid."""
        key: Hashable | None = self.locate_many([lon], [lat])[0]
        return key

    def locate_many(self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray) -> list[Any]:
        """The grid key (or None) of each point; NaN coordinates are outside every grid."""
        lon_array = np.asarray(lons, dtype=float)
        lat_array = np.asarray(lats, dtype=float)
        if lon_array.shape != lat_array.shape:
            raise ValueError("经度与纬度数量不一致")
        if not len(lon_array) or not self.keys:
            return [None] * len(lon_array)
        points = shapely.points(lon_array, lat_array)
        point_index, grid_index = self.tree.query(points, predicate="intersects")
        # The lowest grid index per point: sort by (point, grid) and keep the first of each point.
        order = np.lexsort((grid_index, point_index))
        point_index, grid_index = point_index[order], grid_index[order]
        first_points, first_at = np.unique(point_index, return_index=True)
        winner = np.full(len(lon_array), -1, dtype=np.int64)
        winner[first_points] = grid_index[first_at]
        keys = self.keys
        return [keys[i] if i >= 0 else None for i in winner.tolist()]


# --- consolidation ----------------------------------------------------------------------------------------


#: Relative difference below which two intersection areas count as equal (floating-point noise).
_TIE = 1e-9


def consolidate(departmental: Iterable[tuple[Hashable, BaseGeometry]],
                unified: Iterable[tuple[Hashable, BaseGeometry]]) -> dict[Any, tuple[Any, float]]:
    """Map each departmental grid to the unified grid holding the largest share of its area (old → new).

    The share is the intersection's area over the old grid's area, both in square metres about
    the old grid's latitude (the local projection is a scaling, so the share does not depend on
    it). Ties (equal to floating-point noise) go to the lowest unified key; an old grid meeting no
    unified grid maps to ``(None, 0.0)``.
    """
    old = list(departmental)
    index = GridIndex(unified)
    result: dict[Any, tuple[Any, float]] = {key: (None, 0.0) for key, _ in old}
    if not old or not len(index):
        return result
    old_geometries = np.array([geometry for _, geometry in old], dtype=object)
    old_index, new_index = index.tree.query(old_geometries, predicate="intersects")
    pieces = shapely.area(shapely.intersection(old_geometries[old_index], index.geometries[new_index]))
    old_areas = shapely.area(old_geometries)
    best: dict[int, tuple[float, int]] = {}
    for i, j, piece in zip(old_index.tolist(), new_index.tolist(), pieces.tolist(), strict=True):
        if piece <= 0:
            continue
        current = best.get(i)
        if current is None or (j < current[1] if math.isclose(piece, current[0], rel_tol=_TIE)
                               else piece > current[0]):
            best[i] = (piece, j)
    for i, (piece, j) in best.items():
        share = piece / old_areas[i] if old_areas[i] > 0 else 0.0
        result[old[i][0]] = (index.keys[j], min(1.0, float(share)))
    return result


#: The name of a group in ``merge`` (a grid code, or anything hashable).
K = TypeVar("K", bound=Hashable)


def merge(groups: Mapping[K, Sequence[BaseGeometry]]) -> dict[K, BaseGeometry]:
    """The unified grid of each named group of departmental grids: the union of the group's polygons."""
    merged: dict[K, BaseGeometry] = {}
    for key, geometries in groups.items():
        if not geometries:
            raise GeometryError(f"网格 {key} 没有可合并的部门网格")
        union = unary_union(list(geometries))
        if union.is_empty or union.geom_type not in POLYGON_TYPES:
            raise GeometryError(f"网格 {key} 合并后不是多边形")
        merged[key] = union
    return merged


# --- coverage ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Two grids claiming the same ground (交叉): the shared area in square metres and its lon/lat polygon."""

    key_a: Any
    key_b: Any
    area_m2: float
    geometry: BaseGeometry


@dataclass(frozen=True)
class CoverageReport:
    """How a set of grids covers a boundary (全覆盖、无缝隙、不交叉); geometries in lon/lat, areas in m².

    ``ok`` when the gaps and every overlap are within ``tolerance_m2`` (digitising slivers).
    """

    total_area_m2: float
    covered_area_m2: float
    gap: BaseGeometry
    gap_area_m2: float
    overlaps: list[Overlap] = field(default_factory=list)
    outside_area_m2: float = 0.0
    outside: BaseGeometry | None = None
    tolerance_m2: float = DEFAULT_TOLERANCE_M2

    @property
    def overlap_area_m2(self) -> float:
        """Total area claimed by more than one grid (pairwise, so triple overlaps count more than once)."""
        return sum(overlap.area_m2 for overlap in self.overlaps)

    @property
    def covered_share(self) -> float | None:
        """Covered area over total area; None for an empty boundary."""
        return self.covered_area_m2 / self.total_area_m2 if self.total_area_m2 > 0 else None

    @property
    def significant_overlaps(self) -> list[Overlap]:
        """The overlaps larger than the tolerance."""
        return [overlap for overlap in self.overlaps if overlap.area_m2 > self.tolerance_m2]

    @property
    def ok(self) -> bool:
        """No gap and no overlap beyond the tolerance."""
        return self.gap_area_m2 <= self.tolerance_m2 and not self.significant_overlaps


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a set-operation result (drops the lines and points where edges touch)."""
    if geometry.is_empty or geometry.geom_type in POLYGON_TYPES:
        return geometry
    parts = [part for part in getattr(geometry, "geoms", []) if part.geom_type in POLYGON_TYPES]
    return unary_union(parts) if parts else Polygon()


def coverage_report(boundary: BaseGeometry, grids: Iterable[tuple[Hashable, BaseGeometry]], *,
                    tolerance_m2: float = DEFAULT_TOLERANCE_M2) -> CoverageReport:
    """Gaps, overlaps and spill-over of ``grids`` against ``boundary``; areas about the boundary's latitude."""
    items = sorted(grids, key=lambda item: item[0])  # type: ignore[arg-type, return-value]
    geometries = [geometry for _, geometry in items]
    union = unary_union(geometries) if geometries else Polygon()
    reference = [boundary, union]
    latitude = next((g.centroid.y for g in reference if not g.is_empty), 0.0)
    gap = _polygonal(boundary.difference(union)) if not boundary.is_empty else Polygon()
    outside = _polygonal(union.difference(boundary)) if not union.is_empty else Polygon()
    covered = boundary.intersection(union) if not (boundary.is_empty or union.is_empty) else Polygon()
    overlaps: list[Overlap] = []
    if len(geometries) > 1:
        array = np.array(geometries, dtype=object)
        left, right = shapely.STRtree(array).query(array, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j:
                continue
            shared = _polygonal(array[i].intersection(array[j]))
            area = _area_m2_at(shared, latitude)
            if area > 0:
                overlaps.append(Overlap(items[i][0], items[j][0], area, shared))
    return CoverageReport(
        total_area_m2=_area_m2_at(boundary, latitude), covered_area_m2=_area_m2_at(covered, latitude),
        gap=gap, gap_area_m2=_area_m2_at(gap, latitude), overlaps=overlaps,
        outside_area_m2=_area_m2_at(outside, latitude), outside=outside, tolerance_m2=tolerance_m2,
    )


def outline(geometries: Iterable[BaseGeometry], *, closing_m: float = 1.0) -> BaseGeometry:
    """The outer outline of a set of polygons with interior holes filled (so an enclosed gap shows as a gap).

    Before the holes are filled, cracks narrower than about ``2 × closing_m`` between neighbouring
    grids are closed (a mitred buffer out and back in), so a digitising crack that runs from an
    enclosed hole to the outside does not turn the hole into a notch of the outline.
    """
    union = unary_union(list(geometries))
    if union.is_empty:
        return Polygon()
    if closing_m > 0:
        eps = closing_m / metres_per_degree(union.centroid.y)[0]
        closed = union.buffer(eps, join_style="mitre").buffer(-eps, join_style="mitre")
        union = unary_union([closed, union])
    parts = union.geoms if hasattr(union, "geoms") else [union]
    return unary_union([Polygon(part.exterior) for part in parts if isinstance(part, Polygon)])


# --- the 10-minute service circle -------------------------------------------------------------------------


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle (haversine) distance in metres between two lon/lat points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


#: Points compared with all centres at once, per block (bounds memory to block × centres floats).
_BLOCK = 4096


def nearest(points: Sequence[tuple[Hashable, float, float]],
            centres: Sequence[tuple[Hashable, float, float]]) -> list[tuple[Any, Any, float | None]]:
    """For each point ``(key, lon, lat)``: ``(key, nearest centre key, haversine distance m)``.

    Vectorised with numpy; without centres (or for a point without coordinates) the nearest is
    ``(None, None)``. Ties go to the centre listed first.
    """
    if not centres:
        return [(key, None, None) for key, _, _ in points]
    centre_keys = [key for key, _, _ in centres]
    centre_lon = np.radians(np.array([c[1] for c in centres], dtype=float))
    centre_lat = np.radians(np.array([c[2] for c in centres], dtype=float))
    result: list[tuple[Any, Any, float | None]] = []
    for start in range(0, len(points), _BLOCK):
        block = points[start:start + _BLOCK]
        lon = np.radians(np.array([p[1] for p in block], dtype=float))[:, None]
        lat = np.radians(np.array([p[2] for p in block], dtype=float))[:, None]
        h = (np.sin((centre_lat - lat) / 2) ** 2
             + np.cos(lat) * np.cos(centre_lat) * np.sin((centre_lon - lon) / 2) ** 2)
        distances = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        best = distances.argmin(axis=1)
        best_distance = distances[np.arange(len(block)), best]
        for (key, _, _), j, d in zip(block, best.tolist(), best_distance.tolist(), strict=True):
            result.append((key, centre_keys[j], float(d)) if math.isfinite(d) else (key, None, None))
    return result


def uncovered(points: Sequence[tuple[Hashable, float, float]], centres: Sequence[tuple[Hashable, float, float]],
              radius_m: float) -> list[tuple[Any, Any, float | None]]:
    """The points farther than ``radius_m`` from every centre, each with its nearest centre and distance.

    The circle is straight-line distance, a stand-in for the 10-minute walk (see
    ``settings.COMMUNITY_SERVICE_CIRCLE_M``); a point exactly on the circle is covered.
    """
    return [row for row in nearest(points, centres) if row[2] is None or row[2] > radius_m]
