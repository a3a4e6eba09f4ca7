"""A deterministic, realistic fleet of wells for the demo, the simulator, tests and benchmarks.

The prefecture's 10,401 wells are spread over its 7 counties roughly as irrigated land is (the
northern-slope oases of Manas, Hutubi, Changji and Qitai carry most of them). About 1 in 25 is a
groundwater-level monitoring well that speaks SL651-2014 (station type G); the others are
extraction wells whose terminals speak SZY206-2016. Every figure is drawn from a seeded generator,
so the registry seeded by ``changji demo`` and the simulated terminals agree without talking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: (county code, name, share of wells, latitude range, longitude range) — farmland of each county.
COUNTIES: tuple[tuple[str, str, float, tuple[float, float], tuple[float, float]], ...] = (
    ("652301", "昌吉市", 0.17, (44.00, 44.45), (87.05, 87.45)),
    ("652302", "阜康市", 0.09, (44.05, 44.40), (87.85, 88.35)),
    ("652323", "呼图壁县", 0.16, (44.10, 44.55), (86.70, 87.05)),
    ("652324", "玛纳斯县", 0.20, (44.15, 44.60), (86.00, 86.55)),
    ("652325", "奇台县", 0.18, (43.85, 44.30), (89.35, 89.95)),
    ("652327", "吉木萨尔县", 0.11, (43.95, 44.30), (88.95, 89.30)),
    ("652328", "木垒哈萨克自治县", 0.09, (43.75, 44.05), (90.05, 90.55)),
)

PREFECTURE_WELL_COUNT = 10_401
MONITORING_EVERY = 25


@dataclass(frozen=True, slots=True)
class FleetWell:
    """One well of the simulated prefecture and the terminal on it."""

    code: str
    name: str
    county_code: str
    kind: str  # "extraction" | "monitoring"
    use: str  # "agricultural" | "industrial" | "domestic"
    protocol: str  # "szy206" | "sl651"
    address: str
    latitude: float
    longitude: float
    depth_m: float
    pump_rated_power_kw: float | None
    pump_rated_flow_m3h: float | None
    #: This well's true water/electricity ratio (m³ per kWh), what 以电折水 must find again.
    ratio_m3_per_kwh: float | None
    #: Groundwater depth below ground at the start of the year (monitoring wells), m.
    base_depth_m: float | None


def build_fleet(count: int = PREFECTURE_WELL_COUNT, seed: int = 2026) -> list[FleetWell]:
    """Return ``count`` wells, the same ones for the same arguments."""
    rng = random.Random(seed)
    wells = []
    weights = [share for _, _, share, _, _ in COUNTIES]
    numbers: dict[str, int] = {}
    for index in range(count):
        county, county_name, _, lat_range, lon_range = COUNTIES[
            index % 7 if index < 7 else rng.choices(range(7), weights)[0]
        ]
        number = numbers[county] = numbers.get(county, 0) + 1
        monitoring = index % MONITORING_EVERY == MONITORING_EVERY - 1
        lat = round(rng.uniform(*lat_range), 5)
        lon = round(rng.uniform(*lon_range), 5)
        if monitoring:
            wells.append(FleetWell(
                code=f"{county}-{number:05d}", name=f"{county_name}监测井{number}", county_code=county,
                kind="monitoring", use="domestic", protocol="sl651", address=f"{county}{0x8000 + number:04X}",
                latitude=lat, longitude=lon, depth_m=round(rng.uniform(60, 150)), pump_rated_power_kw=None,
                pump_rated_flow_m3h=None, ratio_m3_per_kwh=None, base_depth_m=round(rng.uniform(8, 45), 2),
            ))
            continue
        power = rng.choice([11.0, 15.0, 18.5, 22.0, 30.0, 37.0, 45.0])
        flow = round(min(80.0, max(30.0, power * rng.uniform(1.4, 2.1))), 1)
        use = rng.choices(["agricultural", "industrial", "domestic"], [0.9, 0.06, 0.04])[0]
        wells.append(FleetWell(
            code=f"{county}-{number:05d}", name=f"{county_name}{number}号机井", county_code=county,
            kind="extraction", use=use, protocol="szy206", address=f"{county}{number:04X}",
            latitude=lat, longitude=lon, depth_m=round(rng.uniform(80, 220)), pump_rated_power_kw=power,
            pump_rated_flow_m3h=flow, ratio_m3_per_kwh=round(flow / power * rng.uniform(0.85, 0.95), 3),
            base_depth_m=None,
        ))
    return wells
