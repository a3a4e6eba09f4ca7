"""The water-resource tax of a period (水资源税计征), as pure functions over Decimal volumes and rates.

Rules (《水资源税改革试点实施办法》, 财税〔2024〕28号, and the rates of the province's measures, in Xinjiang
《新疆维吾尔自治区水资源税改革试点实施办法》):

- the taxable volume is the volume taken (here the counted use, ``DailyUsage.usage_m3``: metered, or 以电折水
  where the flowmeter is missing or failed);
- use within the water user's annual plan pays the rate; use over the plan (超计划取用水) pays the rate times
  the table's over-plan multiplier; agricultural use within the set limit (规定限额内) is exempt, so its rate row
  says ``exempt_within_plan`` and only the over-plan part is taxed;
- the plan is annual: for a month or a quarter the over-plan volume is counted cumulatively over the calendar
  year, ``over = max(0, cum_end − plan) − max(0, cum_start − plan)`` where ``cum_start`` is the use from 1 January
  to the day before the period and ``cum_end`` adds the period's use. So the months of a year add up to the year,
  and a user who crosses the plan in June pays the multiple only on what lies beyond it;
- a water user's over-plan volume is shared among their wells in proportion to each well's use in the period
  (``apportion``), so each well line carries its own rate (source, use, zone differ between wells);
- volumes are kept to 0.01 m³; money is in yuan, each part (within, over) rounded to the fen with ROUND_HALF_UP,
  and a line's amount is the sum of its two rounded parts (so every total on the statement adds up).

A user without a plan for the year (no allocation) has no over-plan volume: all use counts as within the plan and
the statement marks the user "无年度计划" for the tax office to check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

__pure__ = True

FEN = Decimal("0.01")
#: Volumes are kept to 0.01 m³.
CENTI_M3 = Decimal("0.01")
ZERO = Decimal(0)

NORMAL, OVERDRAFT, SEVERE = "normal", "overdraft", "severe"
#: Where no rate is set for a zone, the next milder zone's rate applies.
ZONE_FALLBACK = {SEVERE: (SEVERE, OVERDRAFT, NORMAL), OVERDRAFT: (OVERDRAFT, NORMAL), NORMAL: (NORMAL,)}


@dataclass(frozen=True, slots=True)
class Rate:
    """One row of the rate table, as the computation needs it."""

    source: str
    use: str
    zone: str
    rate_yuan_per_m3: Decimal
    over_plan_multiplier: Decimal
    exempt_within_plan: bool
    valid_from_year: int
    valid_to_year: int | None = None

    def valid_in(self, year: int) -> bool:
        return self.valid_from_year <= year and (self.valid_to_year is None or year <= self.valid_to_year)


@dataclass(frozen=True, slots=True)
class Designation:
    """A designated overdraft area: the region's path (``…/652323/``), its level and the days it stands."""

    path: str
    level: str
    designated_on: date
    lifted_on: date | None = None

    def stands_on(self, day: date) -> bool:
        return self.designated_on <= day and (self.lifted_on is None or day < self.lifted_on)


@dataclass(frozen=True, slots=True)
class PlanSplit:
    """A period's use split at the annual plan."""

    within_m3: Decimal
    over_m3: Decimal


@dataclass(frozen=True, slots=True)
class Tax:
    """The tax of one well line: the two rounded parts and their sum, in yuan."""

    within_yuan: Decimal
    over_yuan: Decimal

    @property
    def amount_yuan(self) -> Decimal:
        return self.within_yuan + self.over_yuan


def volume(value: float | Decimal | None) -> Decimal:
    """A volume in m³ as Decimal to 0.01 m³ (None and negative values count as 0)."""
    if value is None:
        return ZERO
    amount = Decimal(str(value)).quantize(CENTI_M3, ROUND_HALF_UP)
    return max(amount, ZERO)


def yuan(value: Decimal) -> Decimal:
    """Round to the fen (0.01 yuan), half up."""
    return value.quantize(FEN, ROUND_HALF_UP)


def split_plan(plan_m3: Decimal | None, used_before_m3: Decimal, used_m3: Decimal) -> PlanSplit:
    """Split the period's use at the annual plan, counting cumulatively from 1 January (module docstring)."""
    if plan_m3 is None:
        return PlanSplit(used_m3, ZERO)
    cum_start, cum_end = used_before_m3, used_before_m3 + used_m3
    over = max(ZERO, cum_end - plan_m3) - max(ZERO, cum_start - plan_m3)
    return PlanSplit(used_m3 - over, over)


def apportion(total: Decimal, weights: Sequence[Decimal], step: Decimal = CENTI_M3) -> list[Decimal]:
    """Share ``total`` in proportion to ``weights``, each share a multiple of ``step``, the shares summing to total.

    Largest remainder: every share is rounded down and the steps left over go to the largest remainders
    (the earlier weight first on ties). With all weights zero the shares are equal.
    """
    if not weights:
        return []
    weight_sum = sum(weights, ZERO)
    exact = ([total * w / weight_sum for w in weights] if weight_sum > 0
             else [total / len(weights)] * len(weights))
    shares = [(e / step).to_integral_value(ROUND_FLOOR) * step for e in exact]
    left = int(((total - sum(shares, ZERO)) / step).to_integral_value(ROUND_HALF_UP))
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += step
    return shares


def tax_of(split: PlanSplit, rate: Rate | None) -> Tax:
    """The tax on a well line's within- and over-plan volumes at ``rate`` (none known: no tax computed)."""
    if rate is None:
        return Tax(ZERO, ZERO)
    within = ZERO if rate.exempt_within_plan else yuan(split.within_m3 * rate.rate_yuan_per_m3)
    over = yuan(split.over_m3 * rate.rate_yuan_per_m3 * rate.over_plan_multiplier)
    return Tax(within, over)


def choose_rate(rates: Iterable[Rate], source: str, use: str, zone: str, year: int) -> Rate | None:
    """The rate for a source, use and zone in ``year``; a zone without its own row takes the next milder zone's."""
    valid = [r for r in rates if r.source == source and r.use == use and r.valid_in(year)]
    for candidate in ZONE_FALLBACK.get(zone, (zone,)):
        rows = [r for r in valid if r.zone == candidate]
        if rows:
            return max(rows, key=lambda r: r.valid_from_year)
    return None


def stricter(*zones: str) -> str:
    """The strictest of the zones: severe over overdraft over normal.

    A well's zone is the stricter of its region's designation (``zone_of``) and the 超采区 polygons it lies in
    (``groundwater.geometry``): a polygon adds to the regions, it never makes a designated region milder.
    """
    if SEVERE in zones:
        return SEVERE
    return OVERDRAFT if OVERDRAFT in zones else NORMAL


def zone_of(path: str, designations: Iterable[Designation], day: date) -> str:
    """The zone of a region (its path) on ``day``: severe over overdraft over normal, of the areas it lies in."""
    levels = {d.level for d in designations if path.startswith(d.path) and d.stands_on(day)}
    if SEVERE in levels:
        return SEVERE
    return OVERDRAFT if OVERDRAFT in levels else NORMAL
