"""Demo outlines: the demo town's compounds and buildings drawn, so the maps show where people live.

The town's streets run at one bearing (a few degrees off north-south, as in the county seat), each
compound a little off it. A building is a 48 × 13 m block about its register point, turned with its
compound's street; a compound is the rectangle, aligned with the same street, holding its buildings
and its own point with a 15 m yard. Every outline passes the register's rules
(``community.grids.outlines.check_outline``) against the town's outline before it is saved.
"""

from __future__ import annotations

import random
from collections import defaultdict

from shapely.affinity import rotate
from shapely.geometry import Point, Polygon, box

from changji.community.grids.geo import metres_per_degree
from changji.community.grids.outlines import check_outline, outline_json
from changji.community.models import Building, Compound

#: A demo building's footprint, metres (length along the street, depth across it).
BUILDING_LENGTH_M, BUILDING_DEPTH_M = 48.0, 13.0
#: The yard between a compound's wall and its outermost buildings, metres.
YARD_M = 15.0


def _to_metres(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    kx, ky = metres_per_degree(origin[1])
    return (lon - origin[0]) * kx, (lat - origin[1]) * ky


def _to_degrees(polygon: Polygon, origin: tuple[float, float]) -> Polygon:
    kx, ky = metres_per_degree(origin[1])
    return Polygon([(origin[0] + x / kx, origin[1] + y / ky) for x, y in polygon.exterior.coords])


def _building(x: float, y: float, bearing: float) -> Polygon:
    """A footprint (metres about the compound's point) centred on (x, y), turned ``bearing`` degrees."""
    half_length, half_depth = BUILDING_LENGTH_M / 2, BUILDING_DEPTH_M / 2
    block = box(x - half_length, y - half_depth, x + half_length, y + half_depth)
    return rotate(block, bearing, origin=Point(x, y))


def _wall(points: list[tuple[float, float]], footprints: list[Polygon], bearing: float) -> Polygon:
    """The street-aligned rectangle (metres) holding ``points`` and ``footprints`` with a yard all round."""
    unturned = [rotate(f, -bearing, origin=(0, 0)) for f in footprints] + [
        rotate(Point(p), -bearing, origin=(0, 0)) for p in points]
    xs = [c[0] for g in unturned for c in (g.exterior.coords if isinstance(g, Polygon) else g.coords)]
    ys = [c[1] for g in unturned for c in (g.exterior.coords if isinstance(g, Polygon) else g.coords)]
    rectangle = box(min(xs) - YARD_M, min(ys) - YARD_M, max(xs) + YARD_M, max(ys) + YARD_M)
    return rotate(rectangle, bearing, origin=(0, 0))


def draw_outlines(rng: random.Random, town: Polygon, compounds: list[Compound], buildings: list[Building]) -> int:
    """Give every compound and building of the demo town an outline; return how many outlines were drawn."""
    street = rng.uniform(-12.0, 12.0)
    by_compound: dict[int, list[Building]] = defaultdict(list)
    for building in buildings:
        by_compound[building.compound_id].append(building)
    for compound in compounds:
        origin = (compound.lon, compound.lat)
        bearing = street + rng.uniform(-4.0, 4.0)
        footprints = []
        for building in by_compound[compound.pk]:
            footprint = _building(*_to_metres(building.lon, building.lat, origin), bearing)
            footprints.append(footprint)
            building.outline = outline_json(_to_degrees(footprint, origin))
        wall = _to_degrees(_wall([(0.0, 0.0)], footprints, bearing), origin)
        compound.outline = outline_json(check_outline(outline_json(wall), within=town, within_label="镇域"))
        for building in by_compound[compound.pk]:
            check_outline(building.outline, within=wall, within_label="小区轮廓")
    Compound.objects.bulk_update(compounds, ["outline"], batch_size=500)
    Building.objects.bulk_update(buildings, ["outline"], batch_size=500)
    return len(compounds) + len(buildings)

