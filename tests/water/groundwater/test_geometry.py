"""Point-in-polygon for 超采区 outlines: holes, multipolygons, edges, validation (water/groundwater/geometry.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changji.water.groundwater.geometry import GeometryError, Zone, ZoneIndex, contains, validate

SQUARE = [[86.0, 44.0], [87.0, 44.0], [87.0, 45.0], [86.0, 45.0], [86.0, 44.0]]
HOLE = [[86.4, 44.4], [86.6, 44.4], [86.6, 44.6], [86.4, 44.6], [86.4, 44.4]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE, HOLE]}
FAR = [[88.0, 43.0], [88.5, 43.0], [88.5, 43.5], [88.0, 43.0]]  # a triangle
MULTI = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [FAR]]}


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (44.2, 86.2, True), (44.5, 86.5, False),  # inside the hole
    (44.7, 86.5, True), (45.5, 86.5, False), (44.5, 85.9, False),
    (44.0, 86.5, True),  # on the outer edge: inside
    (44.4, 86.5, True),  # on the hole's edge: still in the zone
    (45.0, 87.0, True),  # a vertex
])
def test_polygon_with_a_hole(lat, lon, inside):
    assert contains(POLYGON, lat, lon) is inside


def test_multipolygon_any_part():
    assert contains(MULTI, 43.1, 88.3) and contains(MULTI, 44.1, 86.1)
    assert not contains(MULTI, 43.4, 88.1) and not contains(MULTI, 44.5, 86.5)


@given(st.floats(43.0, 46.0), st.floats(85.0, 88.0))
def test_square_by_its_bounds(lat, lon):
    plain = {"type": "Polygon", "coordinates": [SQUARE]}
    assert contains(plain, lat, lon) == (44.0 <= lat <= 45.0 and 86.0 <= lon <= 87.0)


def test_zone_index_takes_the_strictest_level():
    index = ZoneIndex([Zone(1, "overdraft", MULTI), Zone(2, "severe", {"type": "Polygon", "coordinates": [HOLE]})])
    assert index.level_at(44.5, 86.5) == "severe"  # the hole of zone 1 is zone 2
    assert index.level_at(44.2, 86.2) == "overdraft" and index.level_at(40.0, 80.0) == "normal"
    assert [z.id for z in index.zones_at(44.4, 86.5)] == [1, 2]


@pytest.mark.parametrize(("geometry", "message"), [
    ({"type": "Point", "coordinates": [86, 44]}, "Polygon"),
    ({"type": "Polygon", "coordinates": []}, "没有坐标"),
    ({"type": "Polygon", "coordinates": [[[86, 44], [87, 44], [86, 44]]]}, "4 个点"),
    ({"type": "Polygon", "coordinates": [[[86, 44], [87, 44], [87, 45], [86, 45.5]]]}, "未闭合"),
    ({"type": "Polygon", "coordinates": [[[86, 44], [87, 44], [87, 95], [86, 44]]]}, "超出"),
    ({"type": "Polygon", "coordinates": [[[86, 44], ["x", 44], [87, 45], [86, 44]]]}, "数值"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], []]}, "第 2 个多边形"),
])
def test_invalid_geometries_are_named(geometry, message):
    with pytest.raises(GeometryError, match=message):
        validate(geometry)
