"""Groundwater monitoring wells fused with the extraction wells around them.

Two jobs (README, "Groundwater": each monitoring well is read together with the extraction wells within
5 km of it):

* ``SpatialIndex`` finds the wells within a radius of a point. Sites are bucketed in a grid of about
  ``cell_km`` so a 5 km query reads about nine cells instead of scanning all 10,401 wells; the cells
  to read come from the exact latitude and longitude extent of the spherical cap, and every
  candidate is filtered by its haversine distance, so the answer equals a brute-force scan.
* ``depth_trend`` and ``decline_warning`` flag a monitoring well whose level keeps falling while the
  wells around it pump hard. Depth is 埋深, metres below ground: a LARGER depth is a LOWER water
  level, so a positive slope means the level is falling.

Distances use a spherical Earth of mean radius 6,371.0088 km (IUGG); the error against the
ellipsoid is under 0.5 %, far below the meaning of "5 km". There is no antimeridian handling:
China lies between 73° and 135° E.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__pure__ = True  # no Django: tests/test_architecture.py checks it

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
_PAD_DEG = 1e-9  # widen the searched extent against rounding; the haversine filter decides


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    latitude: float
    longitude: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class SpatialIndex:
    """A fixed grid of about ``cell_km`` × ``cell_km`` over the sites, for radius queries."""

    def __init__(self, sites: Iterable[Site], cell_km: float = 5.0) -> None:
        if cell_km <= 0:
            raise ValueError("cell_km must be positive")
        points = list(sites)
        mean_lat = sum(s.latitude for s in points) / len(points) if points else 0.0
        self.lat_step = cell_km / KM_PER_DEGREE
        # Cells are about cell_km wide at the sites' mean latitude; queries compute their own extent.
        self.lon_step = cell_km / (KM_PER_DEGREE * max(math.cos(math.radians(mean_lat)), 0.01))
        self.cells: dict[tuple[int, int], list[Site]] = defaultdict(list)
        for site in points:
            self.cells[self._cell(site.latitude, site.longitude)].append(site)
        self.size = len(points)

    def _cell(self, latitude: float, longitude: float) -> tuple[int, int]:
        return math.floor(latitude / self.lat_step), math.floor(longitude / self.lon_step)

    def _extent(self, latitude: float, radius_km: float) -> tuple[float, float | None]:
        """Half-extent in degrees of latitude and longitude of the cap; None longitude = all of them."""
        angle = radius_km / EARTH_RADIUS_KM
        dlat = math.degrees(angle) + _PAD_DEG
        phi = math.radians(latitude)
        if angle >= math.pi / 2 - abs(phi) or math.cos(phi) <= 0:
            return dlat, None  # the cap reaches a pole
        return dlat, math.degrees(math.asin(math.sin(angle) / math.cos(phi))) + _PAD_DEG

    def within(self, latitude: float, longitude: float, radius_km: float = 5.0) -> list[tuple[int, float]]:
        """Return (site id, distance km) for every site within ``radius_km``, nearest first (ties by id)."""
        dlat, dlon = self._extent(latitude, radius_km)
        if dlon is None:
            candidates: Iterable[Site] = (s for cell in self.cells.values() for s in cell)
        else:
            lat0, lon0 = self._cell(latitude - dlat, longitude - dlon)
            lat1, lon1 = self._cell(latitude + dlat, longitude + dlon)
            candidates = (s for i in range(lat0, lat1 + 1) for j in range(lon0, lon1 + 1)
                          for s in self.cells.get((i, j), ()))
        found = []
        for site in candidates:
            distance = haversine_km(latitude, longitude, site.latitude, site.longitude)
            if distance <= radius_km:
                found.append((site.id, distance))
        return sorted(found, key=lambda item: (item[1], item[0]))


@dataclass(frozen=True, slots=True)
class Trend:
    slope_m_per_day: float  #: positive = depth increasing = level FALLING
    samples: int
    days: float  #: time between the first and last sample
    r2: float | None  #: None when every depth is equal (nothing to explain)


def depth_trend(series: Sequence[tuple[datetime, float]], min_samples: int = 6) -> Trend | None:
    """Fit depth = a + b·t by least squares (t in days); None with too few samples or no time span.

    Least squares over the whole series rather than last-minus-first, so one bad reading or a pump
    test the day before does not make a trend.
    """
    points = sorted(series)
    if len(points) < max(min_samples, 2):
        return None
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 86400 for t, _ in points]
    ys = [float(depth) for _, depth in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    r2 = None if syy == 0 else (sxy * sxy) / (sxx * syy)
    return Trend(slope_m_per_day=slope, samples=n, days=xs[-1], r2=r2)


@dataclass(frozen=True, slots=True)
class DeclineWarning:
    monitoring_site_id: int
    slope_m_per_30d: float
    nearby_extraction_m3: float
    nearby_wells: int
    level: str  #: "warning" | "critical"


def decline_warning(site_id: int, trend: Trend | None, nearby_extraction_m3: float, nearby_wells: int,
                    fall_m_per_30d: float = 0.5, extraction_m3: float = 50_000.0) -> DeclineWarning | None:
    """Warn when the level falls fast while the wells around it pump a lot; "critical" from twice the fall.

    The level falls faster than ``fall_m_per_30d`` while the wells in the radius pumped more than
    ``extraction_m3`` over the same window.

    Both conditions are needed: a falling level with little pumping nearby is regional (drought,
    a neighbouring basin) and not something the bureau can act on by stopping these wells.
    """
    if trend is None:
        return None
    fall = trend.slope_m_per_day * 30
    if fall <= fall_m_per_30d or nearby_extraction_m3 <= extraction_m3:
        return None
    level = "critical" if fall >= 2 * fall_m_per_30d else "warning"
    return DeclineWarning(site_id, fall, nearby_extraction_m3, nearby_wells, level)
