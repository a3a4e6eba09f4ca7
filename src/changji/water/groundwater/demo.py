"""The demo's groundwater control (``water.demo``): earlier years' depths, red lines and 超采区 polygons.

* Earlier years: the history covers one year, and the decline judgement wants the same days of earlier years
  (``groundwater.baseline``). Each demo monitoring well gets ``EARLIER_YEARS`` years of one depth a day (local
  noon) before the history, from the simulator's own seasonal curve (``sim.pumping.seasonal_depth_m``) — the
  normal drawdown, without the stories' decline, so the decline the history shapes stands out against them.
* Red lines: each monitoring well's control depth is its deepest depth of the years written plus 3 m.
* Zones: three squares of about 6 km around real demo extraction wells of the counties with the most wells,
  the first severe, valid from last year.

Idempotent: readings are written only for a well without any before the history; red lines and zones are kept
or updated in place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from changji.core.models import Region
from changji.water.models import ControlLevel, Frame, OverdraftZone, Reading, Terminal, Well, WellKind
from changji.water.sim.fleet import FleetWell
from changji.water.sim.pumping import seasonal_depth_m

EARLIER_YEARS = 2
RED_LINE_MARGIN_M = 3.0
ZONE_HALF_DEG = 0.03
ZONE_NAMES = ("{county}严重超采区", "{county}一般超采区", "{county}北部超采区")


def _earlier_depths(fleet: Sequence[FleetWell], first_day: date) -> int:
    bases = {w.code: w.base_depth_m for w in fleet if w.kind == "monitoring"}
    written = 0
    for terminal in Terminal.objects.filter(well__kind=WellKind.MONITORING, well__code__in=list(bases)).select_related(
            "well"):
        start = first_day - timedelta(days=365 * EARLIER_YEARS)
        first_at = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
        if Reading.objects.filter(terminal=terminal, observed_at__lt=first_at - timedelta(hours=8)).exists():
            continue
        frame = Frame.objects.create(received_at=first_at, peer="demo", protocol=terminal.protocol, raw=b"",
                                     outcome="stored", terminal=terminal)
        well = terminal.well
        assert well is not None  # filtered on well__kind
        rows = []
        day = start
        while day < first_day:
            at = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # 12:00 Asia/Shanghai
            rows.append(Reading(terminal=terminal, observed_at=at, received_at=at + timedelta(seconds=20),
                                depth_m=seasonal_depth_m(bases[well.code] or 20.0, at), frame=frame))
            day += timedelta(days=1)
        Reading.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
        written += len(rows)
    return written


def _red_lines(fleet: Sequence[FleetWell]) -> int:
    added = 0
    bases = {w.code: w.base_depth_m or 20.0 for w in fleet if w.kind == "monitoring"}
    for well in Well.objects.filter(kind=WellKind.MONITORING, code__in=list(bases)):
        deepest = bases[well.code] + 2.5 + 0.05  # the seasonal curve's deepest point
        _, created = ControlLevel.objects.get_or_create(
            well=well, defaults={"control_depth_m": round(deepest + RED_LINE_MARGIN_M, 1),
                                 "document": "昌吉州地下水管控指标（示例）"})
        added += created
    return added


def _zones(year: int) -> int:
    extraction = list(Well.objects.filter(kind=WellKind.EXTRACTION).select_related("region").order_by("code"))
    counties = [code for code, _ in Counter(w.region_id[:6] for w in extraction).most_common(len(ZONE_NAMES))]
    added = 0
    for n, county in enumerate(counties):
        centre = next(w for w in extraction if w.region_id.startswith(county))
        lat, lon, half = centre.latitude, centre.longitude, ZONE_HALF_DEG
        ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
                [lon - half, lat + half], [lon - half, lat - half]]
        name = ZONE_NAMES[n].format(county=Region.objects.get(code=county).name)
        _, created = OverdraftZone.objects.update_or_create(
            region_id=county, name=name, valid_from_year=year - 1,
            defaults={"level": "severe" if n == 0 else "overdraft", "geometry": {"type": "Polygon",
                      "coordinates": [ring]}, "document": "昌吉州地下水超采区划定（示例）"})
        added += created
    return added


def seed_groundwater(fleet: Sequence[FleetWell], first_day: date, year: int) -> str:
    """Earlier years' depths before ``first_day``, red lines and zones; say what was added."""
    depths = _earlier_depths(fleet, first_day)
    return f"{depths} earlier depth reading(s), {_red_lines(fleet)} red line(s), {_zones(year)} 超采区 polygon(s)"
