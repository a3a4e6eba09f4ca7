"""community.grids.geo: parsing, point in grid, consolidation, coverage and the service circle, hand-made polygons."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box, mapping

from changji.community.grids import geo

#: A 0.01° square at Mulei's latitude is about 805 m × 1,112 m.
LAT = 43.83
KX, KY = geo.metres_per_degree(LAT + 0.005)


def square(west: float, south: float, side: float = 0.01) -> Polygon:
    return box(west, south, west + side, south + side)


def test_importing_geo_imports_no_django():
    """The geo module is pure: a fresh interpreter importing it has no django module loaded."""
    code = ("import sys; import changji.community.grids.geo; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


# --- parse_polygon ---------------------------------------------------------------------------------------


def test_parse_polygon_accepts_a_bare_geometry_and_a_feature():
    polygon = square(90.28, LAT)
    assert geo.parse_polygon(mapping(polygon)).equals(polygon)
    feature = {"type": "Feature", "properties": {"id": "1"}, "geometry": mapping(polygon)}
    assert geo.parse_polygon(feature).equals(polygon)
    multi = {"type": "MultiPolygon", "coordinates": [mapping(square(0, 0))["coordinates"],
                                                     mapping(square(1, 1))["coordinates"]]}
    assert geo.parse_polygon(multi).geom_type == "MultiPolygon"


@pytest.mark.parametrize(("geojson", "message"), [
    ({"type": "Point", "coordinates": [90.28, 43.83]}, "Polygon 或 MultiPolygon"),
    ({"type": "Feature", "geometry": None}, "缺少几何"),
    ("not a dict", "GeoJSON 对象"),
    ({"type": "Polygon", "coordinates": []}, "边界为空"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "坐标格式有误"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}, "经纬度范围"),
    # A bow-tie: the ring crosses itself.
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "不是有效的多边形"),
])
def test_parse_polygon_rejects_what_is_not_a_valid_polygon(geojson, message):
    with pytest.raises(geo.GeometryError, match=message) as caught:
        geo.parse_polygon(geojson)
    assert isinstance(caught.value, ValueError)


def test_an_invalid_polygon_is_not_repaired():
    """A self-intersecting ring is an error, not silently made valid."""
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]]}
    with pytest.raises(geo.GeometryError, match="Self-intersection"):
        geo.parse_polygon(bow_tie)


# --- GridIndex ---------------------------------------------------------------------------------------------


def test_locate_finds_the_grid_and_none_outside():
    index = geo.GridIndex([("B", square(90.29, LAT)), ("A", square(90.28, LAT))])
    assert index.locate(90.285, 43.835) == "A"
    assert index.locate(90.295, 43.835) == "B"
    assert index.locate(90.5, 43.835) is None


def test_a_point_on_a_shared_edge_is_assigned_once_to_the_lowest_key():
    """Whatever the order the grids come in, the shared edge belongs to exactly one grid: the lowest key."""
    for grids in ([("A", square(90.28, LAT)), ("B", square(90.29, LAT))],
                  [("B", square(90.29, LAT)), ("A", square(90.28, LAT))]):
        index = geo.GridIndex(grids)
        assert index.locate(90.29, 43.835) == "A"
        assert index.locate_many([90.29, 90.29], [43.835, LAT]) == ["A", "A"]


def test_locate_many_matches_locate_on_many_points():
    grids = [(f"{i:03d}{j:03d}", square(90 + i * 0.01, 43 + j * 0.01)) for i in range(10) for j in range(10)]
    index = geo.GridIndex(grids)
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(89.99, 90.11, 50_000), rng.uniform(42.99, 43.11, 50_000)
    located = index.locate_many(lons, lats)
    assert len(located) == 50_000
    for lon, lat, key in list(zip(lons, lats, located, strict=True))[:500]:
        assert index.locate(lon, lat) == key
        inside = 90 <= lon <= 90.1 and 43 <= lat <= 43.1
        assert (key is not None) == inside
        if inside and key is not None:
            assert square(90 + int(key[:3]) * 0.01, 43 + int(key[3:]) * 0.01).covers(Point(lon, lat))


def test_locate_many_treats_missing_coordinates_as_outside():
    index = geo.GridIndex([("A", square(90.28, LAT))])
    assert index.locate_many([math.nan, 90.285], [43.835, 43.835]) == [None, "A"]
    assert geo.GridIndex([]).locate(90.285, 43.835) is None


# --- consolidate and merge --------------------------------------------------------------------------------


def test_consolidate_maps_each_old_grid_to_the_new_grid_with_the_largest_share():
    new = [("N1", box(0, 0, 2, 1)), ("N2", box(2, 0, 4, 1))]
    old = [("inside", box(0.2, 0.2, 0.8, 0.8)),
           ("mostly_n2", box(1.5, 0, 3.5, 1)),  # 0.5 in N1, 1.5 in N2
           ("outside", box(10, 10, 11, 11))]
    result = geo.consolidate(old, new)
    assert result["inside"] == ("N1", pytest.approx(1.0))
    assert result["mostly_n2"] == ("N2", pytest.approx(0.75))
    assert result["outside"] == (None, 0.0)


def test_consolidate_breaks_a_tie_to_the_lowest_key_and_ignores_touching_grids():
    new = [("N2", box(1, 0, 2, 1)), ("N1", box(0, 0, 1, 1)), ("N3", box(2, 0, 3, 1))]
    result = geo.consolidate([("half", box(0.5, 0, 1.5, 1)), ("touching", box(2, 0, 2.5, 1))], new)
    assert result["half"] == ("N1", pytest.approx(0.5))
    assert result["touching"] == ("N3", pytest.approx(1.0))


def test_merge_unions_each_group():
    merged = geo.merge({"N": [square(0, 0), square(0.01, 0)], "M": [square(5, 5)]})
    assert merged["N"].equals(box(0, 0, 0.02, 0.01))
    assert merged["M"].equals(square(5, 5))
    with pytest.raises(geo.GeometryError, match="没有可合并"):
        geo.merge({"X": []})


# --- coverage_report ---------------------------------------------------------------------------------------


def test_two_squares_sharing_an_edge_cover_their_union_with_no_gap_or_overlap():
    top = LAT + 0.01
    a, b = box(90.28, LAT, 90.29, top), box(90.29, LAT, 90.30, top)
    report = geo.coverage_report(box(90.28, LAT, 90.30, top), [("A", a), ("B", b)])
    assert report.ok
    assert report.gap_area_m2 == 0
    assert report.overlaps == []
    assert report.outside_area_m2 == 0
    assert report.total_area_m2 == pytest.approx(2 * 0.01 * KX * 0.01 * KY, rel=0.001)
    assert report.covered_share == pytest.approx(1.0)


def test_an_overlapping_pair_reports_the_overlap_area_to_one_percent():
    """Grid B is shifted 0.004° west onto A: the overlap is a 0.004° × 0.01° strip (about 322 m × 1,112 m)."""
    a, b = square(90.28, LAT), square(90.286, LAT)
    report = geo.coverage_report(box(90.28, LAT, 90.296, LAT + 0.01), [("B", b), ("A", a)])
    assert not report.ok
    [overlap] = report.overlaps
    assert (overlap.key_a, overlap.key_b) == ("A", "B")
    expected = 0.004 * KX * 0.01 * KY
    assert overlap.area_m2 == pytest.approx(expected, rel=0.01)
    assert geo.area_m2(overlap.geometry) == pytest.approx(expected, rel=0.01)
    assert report.gap_area_m2 == 0
    assert report.significant_overlaps == [overlap]


def test_an_l_shaped_gap_is_found_with_its_area():
    """A 3×3 block of 0.01° cells with grids on the lower-left 2×2: the gap is the L of five cells."""
    cell = 0.01 * KX * 0.01 * KY
    boundary = box(90.27, LAT, 90.30, LAT + 0.03)
    grids = [(f"G{i}{j}", square(90.27 + i * 0.01, LAT + j * 0.01)) for i in range(2) for j in range(2)]
    report = geo.coverage_report(boundary, grids)
    assert not report.ok
    assert report.gap_area_m2 == pytest.approx(5 * cell, rel=0.01)
    assert report.covered_area_m2 == pytest.approx(4 * cell, rel=0.01)
    assert report.gap.geom_type == "Polygon"
    assert len(report.gap.simplify(0).exterior.coords) - 1 == 6  # an L has six corners
    assert report.overlaps == []


def test_slivers_below_the_tolerance_are_ok_and_spill_over_is_reported():
    """Grids drawn a hair apart leave a sliver gap under 1 m²; a grid past the boundary counts as outside."""
    boundary = box(90.28, LAT, 90.30, LAT + 0.01)
    hair = 1e-9
    grids = [("A", box(90.28, LAT, 90.29 - hair, LAT + 0.01)), ("B", box(90.29, LAT, 90.30, LAT + 0.01))]
    report = geo.coverage_report(boundary, grids)
    assert 0 < report.gap_area_m2 < 1
    assert report.ok
    spill = geo.coverage_report(boundary, [*grids, ("C", box(90.30, LAT, 90.31, LAT + 0.01))])
    assert spill.outside_area_m2 == pytest.approx(0.01 * KX * 0.01 * KY, rel=0.01)
    strict = geo.coverage_report(boundary, grids, tolerance_m2=0)
    assert not strict.ok


def test_outline_fills_an_enclosed_hole():
    ring = [square(i * 0.01, j * 0.01) for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    outline = geo.outline(ring)
    assert outline.equals(box(0, 0, 0.03, 0.03))
    report = geo.coverage_report(outline, list(enumerate(ring)))
    assert report.gap.equals(square(0.01, 0.01))


# --- the service circle ------------------------------------------------------------------------------------


def test_distance_m_is_the_haversine_distance():
    assert geo.distance_m(90.28, 43.83, 90.28, 43.83) == 0
    one_degree = math.pi * geo.EARTH_RADIUS_M / 180
    assert geo.distance_m(90, 0, 91, 0) == pytest.approx(one_degree)
    assert geo.distance_m(90.28, 43.83, 90.28, 43.84) == pytest.approx(one_degree / 100, rel=1e-6)


def test_uncovered_lists_points_beyond_the_radius_with_their_nearest_centre():
    """A compound 700 m from the service point is covered by an 800 m circle; one 900 m away is not."""
    centre = (90.28, LAT)
    per_m = 1 / geo.metres_per_degree(LAT)[1]
    points = [("near", centre[0], centre[1] + 700 * per_m), ("far", centre[0], centre[1] - 900 * per_m)]
    centres = [("far_point", 91.0, LAT), ("sp", *centre)]
    assert geo.distance_m(*centre, *points[0][1:]) == pytest.approx(700, rel=0.001)
    [(key, nearest, distance)] = geo.uncovered(points, centres, 800)
    assert (key, nearest) == ("far", "sp")
    assert distance == pytest.approx(900, rel=0.001)
    assert [row[0] for row in geo.uncovered(points, centres, 1000)] == []
    assert geo.uncovered(points, [], 800) == [("near", None, None), ("far", None, None)]


def test_nearest_handles_many_points_in_blocks():
    rng = np.random.default_rng(3)
    points = [(i, lon, lat) for i, (lon, lat) in enumerate(zip(rng.uniform(90, 90.1, 10_000),
                                                              rng.uniform(43.8, 43.9, 10_000), strict=True))]
    centres = [(f"c{i}", lon, lat) for i, (lon, lat) in enumerate(zip(rng.uniform(90, 90.1, 20),
                                                                      rng.uniform(43.8, 43.9, 20), strict=True))]
    rows = geo.nearest(points, centres)
    assert len(rows) == 10_000
    for (key, lon, lat), (row_key, centre_key, distance) in list(zip(points, rows, strict=True))[::997]:
        best = min(centres, key=lambda c: geo.distance_m(lon, lat, c[1], c[2]))
        assert (row_key, centre_key) == (key, best[0])
        assert distance == pytest.approx(geo.distance_m(lon, lat, best[1], best[2]))
