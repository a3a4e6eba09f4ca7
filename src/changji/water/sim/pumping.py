"""How much each demo well pumps in a year, and its readings day by day (the demo history's physics).

Pure: ``sim/history.py`` writes what this module computes. Every figure is drawn from a generator
seeded by the well's code, so the demo's history, the annual plans seeded for it and the tests agree
without talking.

A year of pumping follows the irrigation calendar of the northern slope of the Tianshan: agricultural
wells pump April–September (peak June–July, 滴灌 daytime runs) and again for winter irrigation (冬灌,
mid-October to November), hardly at all in winter; industrial wells run most days of the year;
domestic wells a few hours every morning. A well's year is :func:`planned_hours` of pumping at its
rated flow (the hours its annual plan allows: 1,300–1,500 h for farmland, 定额-sized) times its
:func:`pumping_factor`: about 1 well in 14 pumps well beyond its plan (超计划取水), the others stay
below it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

__pure__ = True  # no Django: tests/test_architecture.py checks it

SHANGHAI_OFFSET = timedelta(hours=8)
#: Share of the rated flow a running pump delivers on average (the nameplate is a best case).
FLOW_EFFICIENCY = 0.95
#: One extraction well in this many pumps beyond its annual plan (the demo's 超计划 wells, about 7 %).
OVER_PLAN_EVERY = 14
#: Hours between two readings kept in the history: denser in the irrigation season.
SEASON_STEP_H = 4
OFF_SEASON_STEP_H = 6
#: Register capacities of the platform (``usage/reference.py``): the volume register wraps at 10⁸ m³.
VOLUME_CAPACITY_M3 = 1e8

#: Relative pumping by month for agricultural wells (index 1..12); October counts from the 15th only.
AGRICULTURAL_MONTH_WEIGHT = (0.0, 0.02, 0.02, 0.03, 0.6, 1.0, 1.3, 1.4, 1.2, 0.7, 0.5, 0.5, 0.02)


class PumpedWell(Protocol):
    """What the model reads of a well: a fleet well (``sim/fleet.py``) or a registered ``Well``."""

    @property
    def code(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def use(self) -> str: ...

    @property
    def pump_rated_flow_m3h(self) -> float | None: ...


def _rng(well: PumpedWell, topic: str, seed: int) -> random.Random:
    return random.Random(f"{seed}:{topic}:{well.code}")


def planned_hours(well: PumpedWell, seed: int = 2026) -> float:
    """Hours of pumping at rated flow the well's annual plan allows (0 for a monitoring well).

    Farmland 1,300–1,500 h (drip-irrigated cotton and maize on the northern slope), industry
    4,000–4,800 h, domestic supply 1,000–1,200 h.
    """
    if well.kind != "extraction":
        return 0.0
    rng = _rng(well, "plan", seed)
    low, high = {"industrial": (4000, 4800), "domestic": (1000, 1200)}.get(well.use, (1300, 1500))
    return float(round(rng.uniform(low, high)))


def plan_volume_m3(well: PumpedWell, seed: int = 2026) -> float:
    """The annual plan volume that fits the demo history: planned hours × rated flow (m³)."""
    return round(planned_hours(well, seed) * (well.pump_rated_flow_m3h or 0.0), 1)


def monthly_plan_m3(well: PumpedWell, seed: int = 2026) -> list[float]:
    """The plan volume split over the 12 months as the history pumps (``AnnualPlan.monthly_m3``); sums to the plan.

    An over-plan well exceeds its month's share in the months it pumps, as it does its year.
    """
    start = date(2025, 1, 1)
    weights = [0.0] * 12
    for n in range(365):
        day = start + timedelta(days=n)
        weights[day.month - 1] += season_weight(well.use, day)
    total, plan = sum(weights), plan_volume_m3(well, seed)
    months = [round(plan * weight / total, 1) for weight in weights[:-1]]
    return [*months, round(plan - sum(months), 1)]


def over_plan(well: PumpedWell, seed: int = 2026) -> bool:
    """True for the wells that pump beyond their plan in the demo: about 1 in 14 (7 %) of each county's wells.

    Chosen by the well's number within its county (``652301-00005``), so even a small demo fleet has some.
    """
    number = int(well.code.rsplit("-", 1)[-1]) if well.code.rsplit("-", 1)[-1].isdigit() else 0
    return well.kind == "extraction" and number % OVER_PLAN_EVERY == OVER_PLAN_EVERY // 3


def pumping_factor(well: PumpedWell, seed: int = 2026) -> float:
    """Hours actually pumped over the year / planned hours: 1.15–1.35 for over-plan wells, else 0.7–0.95."""
    rng = _rng(well, "factor", seed)
    return rng.uniform(1.15, 1.35) if over_plan(well, seed) else rng.uniform(0.7, 0.95)


def annual_volume_m3(well: PumpedWell, seed: int = 2026) -> float:
    """The volume the demo history pumps from the well over 365 days (m³): planned hours × factor × flow."""
    flow = (well.pump_rated_flow_m3h or 0.0) * FLOW_EFFICIENCY
    return round(planned_hours(well, seed) * pumping_factor(well, seed) * flow, 1)


def season_weight(use: str, day: date) -> float:
    """Relative pumping on ``day`` for a well of ``use`` (agricultural follows the irrigation calendar)."""
    if use != "agricultural":
        return 1.0
    if day.month == 10 and day.day < 15:
        return 0.02
    return AGRICULTURAL_MONTH_WEIGHT[day.month]


def _year_weight(use: str) -> float:
    start = date(2025, 1, 1)
    return sum(season_weight(use, start + timedelta(days=n)) for n in range(365))


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One well's pumping on one local day: the run [start_h, end_h) in local hours, or none."""

    day: date
    start_h: float
    end_h: float
    flow_m3h: float

    @property
    def hours(self) -> float:
        return max(0.0, self.end_h - self.start_h)

    def pumped_until(self, hour: float) -> float:
        """Cubic metres pumped from local midnight until ``hour``."""
        return max(0.0, min(hour, self.end_h) - self.start_h) * self.flow_m3h if hour > self.start_h else 0.0

    def running_at(self, hour: float) -> bool:
        return self.start_h <= hour < self.end_h


def day_plans(well: PumpedWell, first: date, last: date, seed: int = 2026) -> list[DayPlan]:
    """The well's pumping day by day, first..last: the year's hours spread by the season, with days off.

    Days off and run lengths are drawn per day; each month's runs are then scaled so the month pumps
    exactly its share of the year (``annual_volume_m3`` is what 365 days pump, not an expectation).
    """
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rated = well.pump_rated_flow_m3h or 0.0
    if well.kind != "extraction" or rated <= 0:
        return [DayPlan(day, 0.0, 0.0, 0.0) for day in days]
    per_weight = planned_hours(well, seed) * pumping_factor(well, seed) / _year_weight(well.use)
    chance = {"industrial": 0.85, "domestic": 0.92}.get(well.use, 0.75)
    drawn: list[tuple[date, float, float]] = []  # (day, drawn hours, start)
    for day in days:
        rng = random.Random(f"{seed}:day:{well.code}:{day.isoformat()}")
        on = rng.random() < chance
        hours = rng.uniform(0.8, 1.2) * season_weight(well.use, day) if on else 0.0
        drawn.append((day, hours, {"industrial": 0.0, "domestic": 5.5}.get(well.use, 6.0) + rng.uniform(0, 4)))
    months: dict[tuple[int, int], list[tuple[date, float, float]]] = {}
    for item in drawn:
        months.setdefault((item[0].year, item[0].month), []).append(item)
    plans = []
    for items in months.values():
        target = per_weight * sum(season_weight(well.use, day) for day, _, _ in items)
        total = sum(hours for _, hours, _ in items)
        for day, hours, earliest in items:
            run = min(22.0, hours * target / total) if total > 0 else 0.0
            start = min(earliest, 24.0 - run)
            plans.append(DayPlan(day, round(start, 3), round(start + run, 3), round(rated * FLOW_EFFICIENCY, 3))
                         if run > 0 else DayPlan(day, 0.0, 0.0, 0.0))
    return plans


def reading_hours(day: date) -> range:
    """Local hours of the day at which the history keeps a reading: every 4 h in the season, else 6 h."""
    return range(0, 24, SEASON_STEP_H if 4 <= day.month <= 9 else OFF_SEASON_STEP_H)


def local_instant(day: date, hour: float) -> datetime:
    """The UTC instant of ``hour`` (local, Asia/Shanghai) on ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - SHANGHAI_OFFSET + timedelta(hours=hour)


def initial_registers(well: PumpedWell, ratio_m3_per_kwh: float | None, seed: int = 2026) -> tuple[float, float]:
    """The volume (m³) and energy (kWh) registers at the start of the history, as an installed meter shows."""
    rng = _rng(well, "registers", seed)
    volume = float(rng.randint(1_000, 400_000)) if well.kind == "extraction" else 0.0
    return volume, round(volume / (ratio_m3_per_kwh or 2.0), 2)


def seasonal_depth_m(base_depth_m: float, moment: datetime) -> float:
    """Groundwater depth below ground: deepens through the irrigation season, recovers in winter."""
    local = moment + SHANGHAI_OFFSET
    season = math.sin((local.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
    return round(base_depth_m + 2.5 * max(season, 0.0) + 0.002 * local.hour, 2)
