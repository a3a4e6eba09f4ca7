"""The outline rules of the register: what a compound's or a building's outline may be (pure: no Django).

A compound (小区) and a building (楼栋) may carry an outline, a GeoJSON Polygon in WGS 84, so that
the maps draw the town as residents know it. An outline is checked here, in one place, for the
admin form and the import alike:

* a valid polygon (``geo.parse_polygon``: closed rings, no self-intersection, non-zero area), one
  piece only (a Polygon, not a MultiPolygon: a compound behind one wall, a building of one block);
* at most ``MAX_VERTICES`` vertices (a hand-drawn wall, not a traced survey; keeps the public map light);
* within its container, give or take ``TOLERANCE_M`` metres of digitising slack: a compound within
  its street/town (the outline of the town's unified grids), a building within its compound's outline.

Errors are ``geo.GeometryError`` (a ``core.errors.Refusal``) with a Chinese message fit to show.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import Polygon, mapping
from shapely.geometry.base import BaseGeometry

from changji.community.grids.geo import GeometryError, metres_per_degree, parse_polygon

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Most vertices an outline may have (closing vertex included).
MAX_VERTICES = 200

#: How far (metres) an outline may stray outside its container before it counts as outside.
TOLERANCE_M = 5.0

#: Decimal places kept when an outline is served to a map: 6 places of a degree is about 0.1 m.
SERVED_DECIMALS = 6


def check_outline(geojson: Any, *, within: BaseGeometry | None = None, within_label: str = "",
                  tolerance_m: float = TOLERANCE_M) -> Polygon:
    """The polygon of ``geojson`` if it may be an outline (inside ``within`` ± ``tolerance_m``); else GeometryError."""
    geometry = parse_polygon(geojson)
    if not isinstance(geometry, Polygon):
        raise GeometryError("轮廓应为单个多边形（Polygon），不能是多个多边形")
    vertices = len(shapely.get_coordinates(geometry))
    if vertices > MAX_VERTICES:
        raise GeometryError(f"轮廓有 {vertices} 个顶点，最多 {MAX_VERTICES} 个")
    if within is not None and not within.is_empty:
        slack = tolerance_m / metres_per_degree(geometry.centroid.y)[0]
        if not within.buffer(slack).covers(geometry):
            raise GeometryError(f"轮廓超出{within_label or '所属范围'}（容差 {tolerance_m:g} 米）")
    return geometry


def outline_json(polygon: Polygon) -> dict[str, Any]:
    """``polygon`` as the plain GeoJSON dict stored in the JSON column (lists, not tuples)."""
    stored: dict[str, Any] = json.loads(json.dumps(mapping(polygon)))
    return stored


def served_rings(outline: Any) -> list[list[list[float]]]:
    """The rings of a stored GeoJSON Polygon rounded to ``SERVED_DECIMALS`` (the map's compact form)."""
    return [[[round(float(x), SERVED_DECIMALS), round(float(y), SERVED_DECIMALS)] for x, y, *_ in ring]
            for ring in outline["coordinates"]]
