"""community.grids.outlines: what a compound's or building's outline may be (pure rules, no database)."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from changji.community.grids.geo import GeometryError
from changji.community.grids.outlines import MAX_VERTICES, check_outline, outline_json, served_rings

TOWN = box(90.27, 43.83, 90.30, 43.84)


def square(west: float, south: float, size: float = 0.001) -> dict:
    return outline_json(box(west, south, west + size, south + size))


def test_a_square_inside_the_town_is_an_outline():
    polygon = check_outline(square(90.285, 43.835), within=TOWN)
    assert polygon.bounds == pytest.approx((90.285, 43.835, 90.286, 43.836))


def test_a_feature_wrapping_the_polygon_is_read():
    assert check_outline({"type": "Feature", "geometry": square(90.285, 43.835), "properties": {}}).is_valid


@pytest.mark.parametrize(("value", "message"), [
    ({"type": "Point", "coordinates": [90.28, 43.83]}, "Polygon"),
    (mapping(box(90.28, 43.83, 90.281, 43.831).union(box(90.29, 43.83, 90.291, 43.831))), "单个多边形"),
    ({"type": "Polygon", "coordinates": [[[90.28, 43.83], [90.281, 43.831], [90.281, 43.83], [90.28, 43.831],
                                          [90.28, 43.83]]]}, "有效"),
    ("not json", "GeoJSON"),
])
def test_what_is_not_one_polygon_is_refused(value, message):
    with pytest.raises(GeometryError, match=message):
        check_outline(value)


def test_too_many_vertices_are_refused():
    circle = box(90.28, 43.83, 90.281, 43.831).centroid.buffer(0.0005, quad_segs=MAX_VERTICES)
    with pytest.raises(GeometryError, match=f"最多 {MAX_VERTICES} 个"):
        check_outline(outline_json(circle))


def test_an_outline_outside_its_container_is_refused_beyond_the_tolerance():
    with pytest.raises(GeometryError, match="超出所在街道"):
        check_outline(square(90.299, 43.835, 0.002), within=TOWN, within_label="所在街道")
    # 90.30° + 3 m is within the 5 m tolerance (a degree of longitude is about 80 km here).
    three_metres = 3 / 80_300
    assert check_outline(outline_json(box(90.299, 43.835, 90.30 + three_metres, 43.836)), within=TOWN)


def test_served_rings_are_rounded_to_six_places():
    assert [90.285123, 43.835] in served_rings(square(90.2851234567, 43.835))[0]
