"""Daily usage per well, derived from readings: full rebuild and incremental update for late data.

The arithmetic lives in ``stats`` (pure); this module loads readings, writes ``DailyUsage`` rows
and keeps the accumulated sums (``*_sum``) consistent: after days D1..D2 are recomputed, every
later row's sum moves by the same delta (docs/architecture.md, "Late data is normal").

Which figure counts (``usage_m3``): the metered water, unless the flowmeter is missing, or suspect
that day (register reversal, impossible jump, or electricity drawn with no water metered, i.e.
有电无水), in which case the 以电折水 estimate is used and the row says so (``source``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max

from changji.core import localtime
from changji.water.models import DailyUsage, Reading, Terminal, UsageSource, Well, WellCoefficient
from changji.water.sharing import usage as shared_usage
from changji.water.usage import monthly, registers

#: Rated figures are nameplate values; allow pumps some headroom before a rise counts as impossible.
VOLUME_CAPACITY_M3 = 1e8  # SZY206 cumulative volume: 0–799,999,999 m³ (8 digits in practice)
ENERGY_CAPACITY_KWH = 1e6  # SL/T 427 electric energy: 0–999,999.99 kWh
SUSPECT_KINDS = frozenset({registers.SegmentKind.REVERSAL, registers.SegmentKind.IMPOSSIBLE_JUMP})
BYPASS_MIN_KWH = 2.0
BYPASS_MAX_M3 = 0.1


@dataclass(frozen=True)
class WellSeries:
    """The register samples of one well between two instants."""

    volume: list[registers.Sample]
    energy: list[registers.Sample]


def register_specs(well: Well, interval_s: float) -> tuple[registers.RegisterSpec, registers.RegisterSpec]:
    water = registers.RegisterSpec(capacity=VOLUME_CAPACITY_M3, max_rate_per_h=well.pump_rated_flow_m3h,
                               expected_interval_s=interval_s)
    energy = registers.RegisterSpec(capacity=ENERGY_CAPACITY_KWH, max_rate_per_h=well.pump_rated_power_kw,
                                expected_interval_s=interval_s)
    return water, energy


def load_series(terminal_ids: list[int], start: datetime | None, end: datetime | None) -> WellSeries:
    """Return the volume and energy samples of the terminals in [start, end] (both optional)."""
    readings = Reading.objects.filter(terminal_id__in=terminal_ids)
    if start is not None:
        readings = readings.filter(observed_at__gte=start)
    if end is not None:
        readings = readings.filter(observed_at__lte=end)
    volume, energy = [], []
    rows = readings.order_by("observed_at").values_list("observed_at", "volume_m3", "energy_kwh", "pump_on")
    for at, volume_m3, energy_kwh, pump_on in rows.iterator(chunk_size=5000):
        if volume_m3 is not None:
            volume.append(registers.Sample(at, volume_m3, pump_on))
        if energy_kwh is not None:
            energy.append(registers.Sample(at, energy_kwh, pump_on))
    return WellSeries(volume, energy)


def _coefficients(well: Well) -> list[WellCoefficient]:
    return list(WellCoefficient.objects.filter(well=well).order_by("-valid_from"))


def coefficient_on(coefficients: list[WellCoefficient], day: date) -> float | None:
    """Return the coefficient in force on ``day`` from a list ordered by valid_from descending."""
    for coefficient in coefficients:
        if coefficient.valid_from <= day and (coefficient.valid_to is None or coefficient.valid_to >= day):
            return coefficient.m3_per_kwh
    return None


def compute_days(well: Well, series: WellSeries, interval_s: float = 300.0) -> dict[date, DailyUsage]:
    """Return unsaved DailyUsage rows (without sums) for every day the series touches."""
    water_spec, energy_spec = register_specs(well, interval_s)
    water_days = registers.daily_usage(
        registers.segment_register(series.volume, water_spec, _replacements(well, "water")),
        registers.running_intervals(series.energy),
    )
    energy_days = registers.daily_usage(
        registers.segment_register(series.energy, energy_spec, _replacements(well, "energy")),
        registers.running_intervals(series.volume),
    )
    coefficients = _coefficients(well)
    last_seen: dict[date, datetime] = {}
    for sample in (*series.volume, *series.energy):
        day = localtime.local_day(sample.at)
        if day not in last_seen or sample.at > last_seen[day]:
            last_seen[day] = sample.at
    rows = {}
    for day in sorted(set(water_days) | set(energy_days)):
        rows[day] = _day_row(well, day, water_days.get(day), energy_days.get(day), coefficient_on(coefficients, day))
        rows[day].last_observed_at = last_seen.get(day)
    return rows


def _day_row(well: Well, day: date, water: registers.DayUsage | None, energy: registers.DayUsage | None,
             coefficient: float | None) -> DailyUsage:
    row = DailyUsage(
        well=well, day=day, water_m3=water.usage if water else None, energy_kwh=energy.usage if energy else None,
        last_volume_m3=water.last_value if water else None, last_energy_kwh=energy.last_value if energy else None,
        water_reason=_reason(water), energy_reason=_reason(energy),
        spread=bool((water and water.spread) or (energy and energy.spread)), coefficient_m3_per_kwh=coefficient,
    )
    count_usage(row, suspect=water is not None and bool(water.kinds & SUSPECT_KINDS))
    return row


def count_usage(row: DailyUsage, suspect: bool) -> None:
    """Set the row's 以电折水 estimate and the figure that counts (metered unless missing or suspect)."""
    water_m3, energy_kwh, coefficient = row.water_m3, row.energy_kwh, row.coefficient_m3_per_kwh
    estimated = round(energy_kwh * coefficient, 3) if energy_kwh is not None and coefficient else None
    bypass = (energy_kwh or 0) >= BYPASS_MIN_KWH and (water_m3 is None or water_m3 <= BYPASS_MAX_M3)
    usage: float | None
    if water_m3 is not None and not suspect and not (bypass and estimated is not None):
        usage, source = water_m3, UsageSource.METERED
    elif estimated is not None:
        usage, source = estimated, UsageSource.ESTIMATED
    else:
        usage, source = water_m3, UsageSource.METERED if water_m3 is not None else UsageSource.NONE
    row.estimated_water_m3, row.usage_m3, row.source = estimated, usage, source


def _reason(day: registers.DayUsage | None) -> str:
    if day is None:
        return ""
    return ",".join(sorted(str(kind) for kind in day.kinds)) or registers.SegmentKind.NORMAL.value


def _replacements(well: Well, register: str) -> list[registers.Replacement]:
    water = register == "water"
    return [
        registers.Replacement(r.replaced_at, r.old_final_register, r.new_initial_register)
        for r in well.meter_replacements.select_related("old_meter")
        if r.old_meter.measures_water == water
    ]


@transaction.atomic
def write_days(well: Well, rows: dict[date, DailyUsage], first: date, last: date) -> None:
    """Replace the well's rows for days first..last with ``rows`` and keep every later sum consistent."""
    before_rows = shared_usage.snapshot_days([well.pk], first)  # the outbox records what this changes
    before = DailyUsage.objects.filter(well=well, day__lt=first).order_by("-day").first()
    water_sum = before.water_sum_m3 if before else 0.0
    energy_sum = before.energy_sum_kwh if before else 0.0
    old_last = DailyUsage.objects.filter(well=well, day__lte=last).order_by("-day").first()
    old_water_end = old_last.water_sum_m3 if old_last else 0.0
    old_energy_end = old_last.energy_sum_kwh if old_last else 0.0
    DailyUsage.objects.filter(well=well, day__gte=first, day__lte=last).delete()
    new_rows = []
    for day in sorted(d for d in rows if first <= d <= last):
        row = rows[day]
        water_sum += row.water_m3 or 0.0
        energy_sum += row.energy_kwh or 0.0
        row.water_sum_m3, row.energy_sum_kwh = round(water_sum, 6), round(energy_sum, 6)
        new_rows.append(row)
    DailyUsage.objects.bulk_create(new_rows, batch_size=1000)
    monthly.refresh([well.pk], first, last)
    water_delta, energy_delta = water_sum - old_water_end, energy_sum - old_energy_end
    if water_delta or energy_delta:
        later = DailyUsage.objects.filter(well=well, day__gt=last)
        for row in later:
            row.water_sum_m3 += water_delta
            row.energy_sum_kwh += energy_delta
        DailyUsage.objects.bulk_update(later, ["water_sum_m3", "energy_sum_kwh"], batch_size=1000)
    shared_usage.record_day_diff(before_rows, shared_usage.snapshot_days([well.pk], first), [well.pk])


def _terminals_by_well(wells: Iterable[Well]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for terminal_id, well_id in Terminal.objects.filter(well__in=wells).values_list("id", "well_id"):
        out.setdefault(well_id, []).append(terminal_id)
    return out


def rebuild_well(well: Well, terminal_ids: list[int], since: date | None = None) -> int:
    """Recompute the well's daily usage from ``since`` (default: its first reading); return rows."""
    start = None
    if since is not None:
        day_start, _ = localtime.day_bounds(since)
        previous = Reading.objects.filter(terminal_id__in=terminal_ids, observed_at__lt=day_start).aggregate(
            at=Max("observed_at"))["at"]
        start = previous or day_start
    series = load_series(terminal_ids, start, None)
    rows = compute_days(well, series)
    first = since or (min(rows) if rows else None)
    if first is None:
        return 0
    last = max(max(rows, default=first), DailyUsage.objects.filter(well=well).aggregate(d=Max("day"))["d"] or first)
    write_days(well, rows, first, last)
    return sum(1 for day in rows if day >= first)


def usage_between(well: Well, first: date, last: date) -> tuple[float, float]:
    """Return metered water (m³) and energy (kWh) of days first..last as differences of sums."""
    end = DailyUsage.objects.filter(well=well, day__lte=last).order_by("-day").first()
    start = DailyUsage.objects.filter(well=well, day__lt=first).order_by("-day").first()
    if end is None:
        return 0.0, 0.0
    water = end.water_sum_m3 - (start.water_sum_m3 if start else 0.0)
    energy = end.energy_sum_kwh - (start.energy_sum_kwh if start else 0.0)
    return round(water, 6), round(energy, 6)
