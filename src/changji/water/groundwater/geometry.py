"""超采区 outlines: GeoJSON Polygon/MultiPolygon validation and point-in-polygon (pure).

Coordinates are GeoJSON's ``[longitude, latitude]`` in degrees (WGS-84). A polygon is an outer ring and any
number of holes; a point is inside when it is inside the outer ring and inside no hole; a MultiPolygon contains
a point when any of its polygons does. The test is the even-odd ray crossing in the plane of the degrees, which
over the few kilometres of a zone's edge differs from the geodesic edge by far less than a well's GPS error.
A point exactly on an edge counts as inside (a well on the boundary line is in the zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

Ring = Sequence[Sequence[float]]
Polygon = Sequence[Ring]
_EPS = 1e-12


class GeometryError(ValueError):
    """A geometry that is not a valid Polygon/MultiPolygon; the message is shown to the person importing it."""


def polygons(geometry: dict[str, Any]) -> list[Polygon]:
    """The polygons of a Polygon or MultiPolygon geometry (validated; GeometryError otherwise)."""
    validate(geometry)
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError(f"{where}：环至少需要 4 个点（首尾相同）")
    for point in ring:
        if (not isinstance(point, list | tuple) or len(point) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2])):
            raise GeometryError(f"{where}：坐标应为 [经度, 纬度] 数值")
        lon, lat = point[0], point[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"{where}：坐标 [{lon}, {lat}] 超出经纬度范围")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise GeometryError(f"{where}：环未闭合（首尾点不同）")


def validate(geometry: Any) -> None:
    """Raise GeometryError unless ``geometry`` is a GeoJSON Polygon or MultiPolygon with closed rings."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryError("范围应为 GeoJSON Polygon 或 MultiPolygon")
    coordinates = geometry.get("coordinates")
    parts = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(parts, list) or not parts:
        raise GeometryError("范围没有坐标")
    for n, polygon in enumerate(parts, 1):
        if not isinstance(polygon, list) or not polygon:
            raise GeometryError(f"第 {n} 个多边形没有坐标")
        for m, ring in enumerate(polygon):
            _check_ring(ring, f"第 {n} 个多边形的{'外环' if m == 0 else f'第 {m} 个内环'}")


def _on_segment(x: float, y: float, a: Sequence[float], b: Sequence[float]) -> bool:
    (x1, y1), (x2, y2) = a[:2], b[:2]
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > _EPS * max(1.0, abs(x2 - x1) + abs(y2 - y1)):
        return False
    return min(x1, x2) - _EPS <= x <= max(x1, x2) + _EPS and min(y1, y2) - _EPS <= y <= max(y1, y2) + _EPS


def in_ring(x: float, y: float, ring: Ring) -> bool | None:
    """True inside, False outside, None on the ring's edge (x = longitude, y = latitude)."""
    inside = False
    for i in range(len(ring) - 1):
        a, b = ring[i], ring[i + 1]
        if _on_segment(x, y, a, b):
            return None
        (x1, y1), (x2, y2) = a[:2], b[:2]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    """Inside the outer ring (or on its edge) and strictly inside no hole."""
    outer = in_ring(x, y, polygon[0])
    if outer is False:
        return False
    return all(in_ring(x, y, hole) is not True for hole in polygon[1:])


def contains(geometry: dict[str, Any], latitude: float, longitude: float) -> bool:
    """Whether the Polygon/MultiPolygon contains the point (given as latitude, longitude)."""
    return any(in_polygon(longitude, latitude, polygon) for polygon in polygons(geometry))


@dataclass(frozen=True)
class Zone:
    """A zone as the point test needs it: its id, level and outline, with the outline's bounding box."""

    id: int
    level: str
    geometry: dict[str, Any]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        points = [p for polygon in polygons(self.geometry) for p in polygon[0]]
        return (min(p[0] for p in points), min(p[1] for p in points),
                max(p[0] for p in points), max(p[1] for p in points))


class ZoneIndex:
    """The zones, with their bounding boxes computed once, for many point queries."""

    def __init__(self, zones: Iterable[Zone]) -> None:
        self.zones = [(zone, zone.bbox, polygons(zone.geometry)) for zone in zones]

    def zones_at(self, latitude: float, longitude: float) -> list[Zone]:
        """The zones containing the point, in the order given."""
        found = []
        for zone, (x0, y0, x1, y1), parts in self.zones:
            if x0 <= longitude <= x1 and y0 <= latitude <= y1 and any(
                    in_polygon(longitude, latitude, polygon) for polygon in parts):
                found.append(zone)
        return found

    def level_at(self, latitude: float, longitude: float, severe: str = "severe", general: str = "overdraft",
                 outside: str = "normal") -> str:
        """The strictest level of the zones containing the point: severe over general over outside."""
        levels = {zone.level for zone in self.zones_at(latitude, longitude)}
        if severe in levels:
            return severe
        return general if general in levels else outside
