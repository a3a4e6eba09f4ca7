"""The water-resource tax statement (水资源税计征明细) of a region and period: per water user, per well.

``tax_statement(period, at, region)`` reads, in a dozen grouped queries and never one per well:

- the wells of the region that belong to a water user (extraction wells; a well without a water user has no
  taxpayer and is left out);
- each well's figures of the period: counted use (``usage_m3``, the taxable volume), metered water, 以电折水
  and electricity, from the closed months' rollups and the open month's daily rows (``usage.monthly``);
- the use of the year before the period (for the cumulative over-plan rule of ``tax.rules``);
- the registers (起止表码): the start is the last register at the end of the day before the period, the end the
  last register of the period (``DailyUsage.last_volume_m3``/``last_energy_kwh``); a well silent on that day
  takes its latest day with a register up to ``REGISTER_LOOK_BACK_DAYS`` before. A meter replaced within the
  period (``MeterReplacement``) makes end − start differ from the metered volume; the line then names the
  replacement (old final and new initial register) and the metered volume stays the one derived across it;
- the plan of each water user for the year: the sum of their wells' allocations (``Allocation.allocation_m3``
  plus its changes);
- each well's source and use: the valid licence covering it in the period, else groundwater and the well's use;
  its zone: the stricter of the overdraft areas (regions) standing on the period's last day
  (``tax.rules.zone_of``) and the 超采区 polygons valid in the period's year that contain the well's position
  (``groundwater.geometry``, ``tax.rules.stricter``);
- the rate table.

The arithmetic is ``tax.rules``; this module only gathers the figures and lays out the rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from changji.core import localtime
from changji.core.models import Region
from changji.water.groundwater.control import zone_index
from changji.water.groundwater.geometry import ZoneIndex
from changji.water.models import (
    Allocation,
    AllocationChange,
    DailyUsage,
    Licence,
    LicenceState,
    MeterReplacement,
    MonthlyUsage,
    OverdraftArea,
    WaterSource,
    WaterTaxRate,
    Well,
    WellKind,
    WellUse,
)
from changji.water.reports import period_bounds
from changji.water.tax import rules
from changji.water.usage import monthly

#: How far back a well silent on a boundary day is looked up for its register.
REGISTER_LOOK_BACK_DAYS = 92
#: Up to this many wells missing a register are named in the look-back query; more are filtered after it.
MISSING_AS_LIST = 500
GROUNDWATER = str(WaterSource.GROUNDWATER.value)  # read once: an enum member's value is a descriptor call
PERIOD_FIGURES = ("usage_m3", "water_m3", "estimated_water_m3", "energy_kwh")
SOURCE_LABELS = dict(WaterSource.choices)
USE_LABELS = dict(WellUse.choices)
ZONE_LABELS = {rules.NORMAL: "非超采区", rules.OVERDRAFT: "超采区", rules.SEVERE: "严重超采区"}
PERIOD_LABELS = {"month": "月", "quarter": "季度", "year": "年度"}


@dataclass
class Registers:
    """A well's registers at the start and the end of the period (None where unknown)."""

    start_volume_m3: float | None = None
    end_volume_m3: float | None = None
    start_energy_kwh: float | None = None
    end_energy_kwh: float | None = None


@dataclass
class WellLine:
    """One well of a water user's statement."""

    well_id: int
    code: str
    name: str
    source: str
    use: str
    zone: str
    licence: str
    registers: Registers
    metered_m3: Decimal
    estimated_m3: Decimal
    energy_kwh: Decimal
    counted_m3: Decimal
    within_m3: Decimal = rules.ZERO
    over_m3: Decimal = rules.ZERO
    rate: rules.Rate | None = None
    tax: rules.Tax = field(default_factory=lambda: rules.Tax(rules.ZERO, rules.ZERO))
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {"source": str(SOURCE_LABELS.get(self.source, self.source)),
                "use": str(USE_LABELS.get(self.use, self.use)), "zone": ZONE_LABELS.get(self.zone, self.zone)}


@dataclass
class UserStatement:
    """One water user's tax for the period: plan, use before, the period's use split at the plan, the amount."""

    water_user_id: int
    code: str
    name: str
    region_name: str
    plan_m3: Decimal | None
    used_before_m3: Decimal
    lines: list[WellLine] = field(default_factory=list)

    @property
    def counted_m3(self) -> Decimal:
        return sum((line.counted_m3 for line in self.lines), rules.ZERO)

    @property
    def within_m3(self) -> Decimal:
        return sum((line.within_m3 for line in self.lines), rules.ZERO)

    @property
    def over_m3(self) -> Decimal:
        return sum((line.over_m3 for line in self.lines), rules.ZERO)

    @property
    def amount_yuan(self) -> Decimal:
        return sum((line.tax.amount_yuan for line in self.lines), rules.ZERO)

    @property
    def licences(self) -> list[str]:
        """The numbers of the valid licences covering the user's wells in the period."""
        return sorted({line.licence for line in self.lines if line.licence})

    @property
    def notes(self) -> list[str]:
        said = [] if self.plan_m3 is not None else ["无年度计划（全部按计划内计征）"]
        if any(line.rate is None for line in self.lines):
            said.append("部分机井无适用税额")
        return said


@dataclass
class TaxStatement:
    """The statement of a region and period: water users with their well lines, and totals."""

    period: str
    first: date
    last: date
    region: Region
    generated_at: datetime
    users: list[UserStatement] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.region.name} {self.first:%Y-%m-%d} 至 {self.last:%Y-%m-%d} 水资源税计征明细"

    @property
    def lines(self) -> Iterable[WellLine]:
        return (line for user in self.users for line in user.lines)

    @property
    def totals(self) -> dict[str, Decimal | int]:
        return {"users": len(self.users), "wells": sum(len(u.lines) for u in self.users),
                "counted_m3": sum((u.counted_m3 for u in self.users), rules.ZERO),
                "within_m3": sum((u.within_m3 for u in self.users), rules.ZERO),
                "over_m3": sum((u.over_m3 for u in self.users), rules.ZERO),
                "amount_yuan": sum((u.amount_yuan for u in self.users), rules.ZERO)}


# --- figures ------------------------------------------------------------------------------------------------


def _sums(first: date, last: date, wells: Q, figures: tuple[str, ...]) -> dict[int, dict[str, float | None]]:
    """Per-well figures of days first..last for the wells matching ``wells`` (rollups and daily rows)."""
    span = monthly.split_span(first, last)
    monthly.seal_closed_months(first, last)
    parts: list[QuerySet[Any]] = []
    if span.months:
        parts.append(MonthlyUsage.objects.filter(wells, month__in=span.months).values("well_id")
                     .annotate(**{f"sum_{n}": monthly.MONTHLY_AGGREGATES[f"sum_{n}"] for n in figures}))
    for run_first, run_last in span.daily:
        parts.append(DailyUsage.objects.filter(wells, day__gte=run_first, day__lte=run_last).values("well_id")
                     .annotate(**{f"sum_{n}": monthly.DAILY_AGGREGATES[f"sum_{n}"] for n in figures}))
    totals: dict[int, dict[str, float | None]] = {}
    for part in parts:
        for row in part:
            total = totals.setdefault(row["well_id"], dict.fromkeys(figures))
            for name in figures:
                if row[f"sum_{name}"] is not None:
                    total[name] = (total[name] or 0) + row[f"sum_{name}"]
    return totals


def _registers_on(wells: Q, day: date, expected: set[int]) -> dict[int, tuple[float | None, float | None]]:
    """Each well's (water, electricity) register at the end of ``day``, or of its latest earlier day with one.

    ``expected`` are the wells of the statement: only those without a register on ``day`` are looked up earlier
    (usually none, so the look-back query is skipped).
    """
    has_register = Q(last_volume_m3__isnull=False) | Q(last_energy_kwh__isnull=False)
    found = {row[0]: (row[1], row[2]) for row in DailyUsage.objects.filter(wells, has_register, day=day)
             .values_list("well_id", "last_volume_m3", "last_energy_kwh")}
    missing = expected - set(found)
    if not missing:
        return found
    earlier_rows = DailyUsage.objects.filter(wells, has_register, day__lt=day,
                                             day__gte=day - timedelta(days=REGISTER_LOOK_BACK_DAYS))
    if len(missing) <= MISSING_AS_LIST:
        earlier_rows = earlier_rows.filter(well_id__in=missing)
    earlier = {well_id: latest for well_id, latest in earlier_rows.values("well_id").annotate(latest=Max("day"))
               .values_list("well_id", "latest") if well_id in missing}
    if earlier:
        for well_id, on, water, energy in DailyUsage.objects.filter(
                wells, day__in=set(earlier.values())).values_list(
                "well_id", "day", "last_volume_m3", "last_energy_kwh"):
            if earlier.get(well_id) == on:
                found[well_id] = (water, energy)
    return found


def _registers(wells: Q, first: date, last: date, expected: set[int]) -> dict[int, Registers]:
    end_day = min(last, localtime.local_day(timezone.now()))
    start = _registers_on(wells, first - timedelta(days=1), expected)
    end = _registers_on(wells, end_day, expected) if end_day >= first else {}
    out: dict[int, Registers] = defaultdict(Registers)
    for well_id, (water, energy) in start.items():
        out[well_id].start_volume_m3, out[well_id].start_energy_kwh = water, energy
    for well_id, (water, energy) in end.items():
        out[well_id].end_volume_m3, out[well_id].end_energy_kwh = water, energy
    return out


def _replacements(wells: Q, first: date, last: date) -> dict[int, list[str]]:
    start, end = localtime.days_bounds(first, last)
    notes: dict[int, list[str]] = defaultdict(list)
    replaced = MeterReplacement.objects.filter(wells, replaced_at__gte=start, replaced_at__lt=end)
    for well_id, at, old, new in replaced.order_by("replaced_at").values_list(
            "well_id", "replaced_at", "old_final_register", "new_initial_register"):
        notes[well_id].append(f"{localtime.local_day(at):%m-%d} 换表：旧表止码 {old:g}，新表起码 {new:g}")
    return notes


def _plans(wells: Q, year: int, last: date) -> dict[int, Decimal]:
    """Each water user's plan for ``year``: the allocations of their wells plus the changes that count on ``last``.

    The same allocation the quota sweep enforces (``quotas.sweep.effective_allocation``): a temporary top-up
    counts through its ``expires_on`` and not after, so the statement and the sweep agree on who is over plan.
    """
    rows = Allocation.objects.filter(wells, year=year, well__isnull=False)
    plans: dict[int, Decimal] = defaultdict(Decimal)
    for user_id, total in rows.values("well__water_user_id").annotate(t=Sum("allocation_m3")).values_list(
            "well__water_user_id", "t"):
        plans[user_id] += rules.volume(total)
    changes = AllocationChange.objects.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=last), allocation__in=rows)
    for user_id, total in changes.values("allocation__well__water_user_id").annotate(t=Sum("amount_m3")).values_list(
            "allocation__well__water_user_id", "t"):
        plans[user_id] += Decimal(str(total)).quantize(rules.CENTI_M3)
    return {user_id: max(plan, rules.ZERO) for user_id, plan in plans.items()}


def _licences(wells: Q, first: date, last: date) -> dict[int, tuple[str, str, str]]:
    """Each well's (source, purpose, number) from the licence covering it in the period.

    Valid, or expired since (its term still says which days it covered), so a statement of a past period does
    not change when the licence later expires.
    """
    through = Licence.wells.through.objects.filter(
        wells, licence__state__in=(LicenceState.VALID, LicenceState.EXPIRED), licence__valid_from__lte=last,
        licence__valid_to__gte=first)
    return {well_id: (source, purpose, number) for well_id, source, purpose, number in through.order_by(
        "licence__valid_from").values_list("well_id", "licence__source", "licence__purpose", "licence__number")}


def current_rates() -> list[rules.Rate]:
    """The rate table as ``rules.Rate`` rows."""
    return [rules.Rate(r.source, r.use, r.zone, r.rate_yuan_per_m3, r.over_plan_multiplier, r.exempt_within_plan,
                       r.valid_from_year, r.valid_to_year) for r in WaterTaxRate.objects.all()]


def designations() -> list[rules.Designation]:
    """The designated overdraft areas as ``rules.Designation`` rows."""
    return [rules.Designation(path, level, on, lifted) for path, level, on, lifted in OverdraftArea.objects.values_list(
        "region__path", "level", "designated_on", "lifted_on")]


# --- the statement ------------------------------------------------------------------------------------------


def tax_statement(period: str, at: date, region: Region, water_user_code: str | None = None) -> TaxStatement:
    """The statement of ``region`` for the month, quarter or year containing ``at`` (or one water user's)."""
    first, last = period_bounds(period, at)
    statement = TaxStatement(period, first, last, region, timezone.now())
    well_rows = Well.objects.filter(region__path__startswith=region.path, kind=WellKind.EXTRACTION,
                                    water_user__isnull=False)
    if water_user_code is not None:
        well_rows = well_rows.filter(water_user__code=water_user_code)
    within = Q(well__region__path__startswith=region.path, well__kind=WellKind.EXTRACTION,
               well__water_user__isnull=False)
    if water_user_code is not None:
        within &= Q(well__water_user__code=water_user_code)
    rows = list(well_rows.order_by("water_user__code", "code").values_list(
        "id", "code", "name", "use", "region__path", "water_user_id", "water_user__code", "water_user__name",
        "water_user__region__name", "latitude", "longitude"))
    figures = _sums(first, last, within, PERIOD_FIGURES)
    year_start = date(first.year, 1, 1)
    before = _sums(year_start, first - timedelta(days=1), within, ("usage_m3",)) if first > year_start else {}
    context = _Context(
        figures=figures, before=before, registers=_registers(within, first, last, {row[0] for row in rows}),
        replacements=_replacements(within, first, last), plans=_plans(within, first.year, last),
        licences=_licences(within, first, last), rates=current_rates(), designations=designations(),
        zone_day=last, year=first.year, zones=zone_index(last.year))
    users: dict[int, UserStatement] = {}
    for row in rows:
        user = users.get(row[5])
        if user is None:
            user = users[row[5]] = UserStatement(row[5], row[6], row[7], row[8], context.plans.get(row[5]),
                                                 rules.ZERO)
        user.lines.append(context.line(row))
    for user in users.values():
        user.used_before_m3 = sum((rules.volume(context.before.get(line.well_id, {}).get("usage_m3"))
                                   for line in user.lines), rules.ZERO)
        settle(user)
    statement.users = list(users.values())
    return statement


@dataclass
class _Context:
    """The figures read for a statement, by well (and plans by water user)."""

    figures: dict[int, dict[str, float | None]]
    before: dict[int, dict[str, float | None]]
    registers: dict[int, Registers]
    replacements: dict[int, list[str]]
    plans: dict[int, Decimal]
    licences: dict[int, tuple[str, str, str]]
    rates: list[rules.Rate]
    designations: list[rules.Designation]
    zone_day: date
    year: int
    zones: ZoneIndex = field(default_factory=lambda: ZoneIndex(()))
    _zones: dict[str, str] = field(default_factory=dict)
    _rates: dict[tuple[str, str, str], rules.Rate | None] = field(default_factory=dict)

    def zone(self, path: str) -> str:
        if path not in self._zones:
            self._zones[path] = rules.zone_of(path, self.designations, self.zone_day)
        return self._zones[path]

    def rate(self, source: str, use: str, zone: str) -> rules.Rate | None:
        key = (source, use, zone)
        if key not in self._rates:
            self._rates[key] = rules.choose_rate(self.rates, source, use, zone, self.year)
        return self._rates[key]

    def line(self, row: tuple[Any, ...]) -> WellLine:
        well_id, code, name, use, path = row[:5]
        source, use, licence = (self.licences[well_id] if well_id in self.licences
                                else (GROUNDWATER, use, ""))
        figures = self.figures.get(well_id, {})
        zone = rules.NORMAL
        if source == GROUNDWATER:
            zone = self.zone(path)
            if len(row) > 10 and self.zones.zones:
                zone = rules.stricter(zone, self.zones.level_at(row[9], row[10], rules.SEVERE, rules.OVERDRAFT,
                                                                rules.NORMAL))
        return WellLine(
            well_id=well_id, code=code, name=name, source=source, use=use, zone=zone, licence=licence,
            registers=self.registers.get(well_id, Registers()), metered_m3=rules.volume(figures.get("water_m3")),
            estimated_m3=rules.volume(figures.get("estimated_water_m3")),
            energy_kwh=rules.volume(figures.get("energy_kwh")), counted_m3=rules.volume(figures.get("usage_m3")),
            rate=self.rate(source, use, zone),
            notes=list(self.replacements.get(well_id, [])))


def settle(user: UserStatement) -> None:
    """Split the user's use of the period at the plan, share the over-plan volume among the wells, tax each line."""
    split = rules.split_plan(user.plan_m3, user.used_before_m3, user.counted_m3)
    shares = rules.apportion(split.over_m3, [line.counted_m3 for line in user.lines])
    for line, over in zip(user.lines, shares, strict=True):
        line.over_m3 = over
        line.within_m3 = line.counted_m3 - over
        line.tax = rules.tax_of(rules.PlanSplit(line.within_m3, over), line.rate)
        if line.rate is None and line.counted_m3 > 0:
            line.notes.append("无适用税额")
